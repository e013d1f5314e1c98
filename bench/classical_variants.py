"""The classical rankers' settings, chosen on new patients instead of the dev split.

    python bench/classical_variants.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip                                         # ~15 min on 2 cores

The likelihood and similarity rankers' defaults were measured on the dev split (bench/bench_rankers.py), whose
papers HPO was curated from; the consensus of the two is what the product ranks with wherever the model is not
heard, i.e. on most patients of genes no training case names. Here every variant ranks the 2025h2 window's cases
as bench/window.py ranks them (the shipped KB without the annotations citing each fold's papers), and the
**choice is made on the choose part** by publication MRR over all its cases (`rft.choose.CHOICE_METRIC`); the
report part is printed for every variant beside it, nothing chosen on it. Variants: the level (a gene's best
disease, or its diseases' annotations merged), the symmetric best-match average (similarity), and the patient's
excluded terms (likelihood: as evidence; similarity: against a gene annotated with them); each consensus fuses a
likelihood variant with a similarity variant as `rft.rankers.consensus` does.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from window import leave_publication_out  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from rft.cases import load_cases
from rft.evaluate import evaluate
from rft.metrics import reciprocal_rank
from rft.prospective import case_facts, mean_with_se, publication_mean
from rft.rankers import LikelihoodRatioRanker, SimilarityRanker
from rft.rankers.consensus import PARTS, ConsensusRanker
from rft.splits import publication_of, split_by_publication

LIKELIHOOD = {  # label -> LikelihoodRatioRanker settings; the first is the default
    "likelihood": {},
    "likelihood, gene level": {"level": "gene"},
    "likelihood, excluded terms": {"use_excluded": True},
}
SIMILARITY = {
    "similarity": {},
    "similarity, gene level": {"level": "gene"},
    "similarity, symmetric": {"symmetric": True},
    "similarity, excluded terms": {"excluded_weight": 0.5},
}


def log(msg: str) -> None:
    print(f"[classical {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the dev zip: which genes are 'seen' (named by a training case)")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    hpo = load_hpo()
    seen = {g for c in load_cases(args.train, hpo, require_gene=True).cases for g in c.genes}
    window = load_cases(args.window, hpo, require_gene=True).cases
    choose = set(split_by_publication(window, valid_fraction=0.5, seed=args.seed)["train"])  # bench/window.py's split
    ranks: dict[str, dict[str, int | None]] = {}
    facts = {}
    for f, cases, hpo_f in leave_publication_out(window, hpo, args.folds, args.seed):
        facts |= case_facts(cases, hpo_f, seen)
        lik = {n: LikelihoodRatioRanker(hpo_f, **kw) for n, kw in LIKELIHOOD.items()}
        sim = {n: SimilarityRanker(hpo_f, **kw) for n, kw in SIMILARITY.items()}
        rankers = lik | sim | {f"consensus: {a} + {b}": ConsensusRanker(hpo_f, likelihood=lik[a], similarity=sim[b]) for a in lik for b in sim}
        for name, ranker in rankers.items():
            ranks.setdefault(name, {}).update({r.case_id: r.rank for r in evaluate(ranker, cases)[0]})
        log(f"fold {f + 1}/{args.folds}: {len(cases)} cases, {len(rankers)} rankers")

    def cells(name: str, ids: list[str]) -> tuple[float, str]:
        rr = [reciprocal_rank(ranks[name][i]) for i in ids]
        pubs = [publication_of(i) for i in ids]
        unseen = [i for i in ids if facts[i].gene_in_kb and not facts[i].seen]
        u_rr = mean_with_se([reciprocal_rank(ranks[name][i]) for i in unseen], [publication_of(i) for i in unseen])
        top1 = np.mean([ranks[name][i] == 1 for i in ids])
        return publication_mean(rr, pubs), f"{publication_mean(rr, pubs):.4f} | {np.mean(rr):.4f} | {top1:.3f} | {u_rr[0]:.4f} [{u_rr[2]:.4f}]"

    parts = {"choose": [c.id for c in window if c.id in choose], "report": [c.id for c in window if c.id not in choose]}
    scored = {name: cells(name, parts["choose"]) for name in ranks}
    shipped = (f"consensus: {next(n for n, kw in LIKELIHOOD.items() if kw == PARTS['likelihood'])} + "
               f"{next(n for n, kw in SIMILARITY.items() if kw == PARTS['similarity'])}")  # rft.rankers.consensus as it ships
    chosen = max(scored, key=lambda n: (round(scored[n][0], 6), n == shipped))
    print(f"\n## Every variant: choose part ({len(parts['choose'])} cases; the choice) and report part ({len(parts['report'])} cases; "
          "printed, not chosen on). Publication MRR | MRR | top-1 | unseen-gene MRR [clustered SE]\n")
    print("| ranker | choose: publication MRR | MRR | top-1 | unseen MRR | report: publication MRR | MRR | top-1 | unseen MRR |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for name in sorted(ranks, key=lambda n: -scored[n][0]):
        mark = "**" if name == chosen else ""
        print(f"| {mark}{name}{mark} | {scored[name][1]} | {cells(name, parts['report'])[1]} |")
    print(f"\nChosen on the choose part: {chosen} (publication MRR {scored[chosen][0]:.4f}); the consensus as it ships "
          f"(rft.rankers.consensus.PARTS): {shipped} {scored[shipped][0]:.4f}")
    log(f"done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
