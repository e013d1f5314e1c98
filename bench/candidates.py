"""Candidate benchmark: simulated exomes (the causal gene plus N uniformly drawn protein-coding genes) on the 2025h2 window.

    python bench/candidates.py --window ../shared/data/phenopacket-store-2025h2.zip --train ../shared/data/phenopacket-store-dev.zip

About 6-9 min on 2 cores with the classical ranker (the default, `likelihood`: the ranker the shipped gate falls back
to). `--ranker model:FOLDER --ranking chosen.json` ranks with a model as a ranking config says (minutes more on CPU);
use a model that has not seen the window (bench/window.py's runs/window/knowledge_lpo5/...), never the shipped
one, which was fit on it.

The window, its choose/report split and its knowledge base are bench/window.py's: the window's papers split by
publication (`rft.splits.split_by_publication`, seed 0, half and half), and each case ranked at the shipped HPO
release without the annotations citing its own paper (`Hpo.without_publications`, 5 leave-publication-out folds),
so a patient's gene is annotated only if other papers had annotated it.

A simulated exome: the causal gene(s) plus N genes drawn uniformly (or, `--draw length`, in proportion to genomic
length: long genes such as TTN collect more rare variants), per case and seed, from the gene universe:
the 20,598 protein-coding genes of NCBI Gene 2022-09 (`rft.genes`), not from the genes HPO annotates. An exome's
rare, damaging variants fall in any protein-coding gene, mostly in genes no disease is known for; drawing decoys
from annotated genes only would make "the one unannotated candidate" a give-away for every new disease gene.

`--case-knowledge MODE` adds solved cases as knowledge (`rft.case_knowledge`), never a case's own paper: `train`
(the --train cases), `train+choose` (and the window's choose part), or `train+older`, the prospective one (and
every window paper older than the case's own by PubMed id, in 8 PMID-ordered groups per fold; a choose case knows
older choose papers only). With it the report splits "gene not in KB" by whether the case knowledge names the gene.
About 7 min with the likelihood ranker, 10 with a model (its folder is loaded once per group).

Each case's genome-wide ranking is restricted to its candidates by `rft.candidates.restrict_ranking` (the product's
code path); the rule for unannotated candidates (`CandidateRule`: after how many annotated ones, how poor a fit
sends them sooner, in which order) is
chosen on the choose part (top-1 over all cases, N=50, mean over seeds) and only reported on the report part.
Prints the choice grid and the report tables (top-1/3/10 and MRR, mean over seeds, by subset).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from window import leave_publication_out  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from rft.candidates import DEFAULT_RULE, REFERENCE_GENES, CandidateList, CandidateRule, restrict_ranking
from rft.case_knowledge import with_case_reports
from rft.cases import load_cases
from rft.genes import load_gene_table, load_go_profiles
from rft.grader import rank_of
from rft.prospective import case_facts
from rft.registry import hybrid_ranker, load_ranker
from rft.splits import publication_of, publication_pmid, split_by_publication

AFTER = (0, 1, 2, 3, 5, 10, 1_000_000)
FIT_RANKS = (None, 30, 100, 300, 1000, 3000)  # CandidateRule.fit_rank: unannotated genes also go before annotated ones ranked below this
ORDERS = ("go-similarity", "pubmed", "go", "list")
SUBSETS = {
    "all": lambda f: True,
    "gene in KB": lambda f: f.gene_in_kb,
    "gene not in KB": lambda f: not f.gene_in_kb,
    "seen gene": lambda f: f.seen,
    "unseen gene": lambda f: not f.seen,
}


def log(msg: str) -> None:
    print(f"[candidates {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def draw_decoys(universe: list[str], causal: set[str], n: int, seed: int, case_id: str, cum_weights: np.ndarray | None = None) -> list[str]:
    """N genes drawn without replacement from the universe, uniformly or in proportion to `cum_weights` (cumulative,
    aligned with `universe`), the causal ones excluded; seeded per case."""
    rng = random.Random(f"{seed}:{case_id}")
    out: list[str] = []
    while len(out) < n:
        if cum_weights is None:
            g = universe[rng.randrange(len(universe))]
        else:
            g = universe[min(int(np.searchsorted(cum_weights, rng.random() * cum_weights[-1], side="right")), len(universe) - 1)]
        if g not in causal and g not in out:
            out.append(g)
    return out


CASE_KNOWLEDGE = ("train", "train+choose", "train+older")
OLDER_GROUPS = 8  # "train+older": a fold's papers in this many PMID-ordered groups, each knowing the window papers older than its first


def knowledge_groups(cases, hpo_f, train, window, split, mode):
    """(cases, KB) pairs covering `cases` (one leave-publication-out fold): the fold's KB alone, or with solved cases
    as knowledge (`--case-knowledge` MODE), a case's own paper never among them. "train+older" is the prospective
    one: a case knows the --train cases and the window's cases of papers with a smaller PubMed id (older) than the
    first paper of its group (a choose case: of the choose part only); a case without a PMID knows the --train cases only."""
    if not mode:
        yield cases, hpo_f
        return
    own = {publication_of(c.id) for c in cases}
    choose = set(split["train"])
    if mode in ("train", "train+choose"):
        extra = [c for c in window if c.id in choose and publication_of(c.id) not in own] if mode == "train+choose" else []
        yield cases, with_case_reports(hpo_f, train + extra, leave_out=own)
        return
    for in_choose in (True, False):  # a choose case never knows a report case: nothing reported feeds a choice
        part = [c for c in cases if (c.id in choose) == in_choose]
        known = [c for c in window if c.id in choose or not in_choose]
        pmids = sorted({p for c in part if (p := publication_pmid(c.id)) is not None})
        bounds = sorted({pmids[i * len(pmids) // OLDER_GROUPS] for i in range(OLDER_GROUPS) if i * len(pmids) // OLDER_GROUPS < len(pmids)})
        start_of = lambda c, bounds=bounds: max((b for b in bounds if b <= (publication_pmid(c.id) or -1)), default=None)
        for b in [None, *bounds]:
            group = [c for c in part if start_of(c) == b]
            if group:
                older = [c for c in known if b is not None and (p := publication_pmid(c.id)) is not None and p < b]
                yield group, with_case_reports(hpo_f, train + older, leave_out={publication_of(c.id) for c in group})


def describe_short(rule: CandidateRule) -> str:
    return f"after {rule.after}, {rule.order}, fit_rank {rule.fit_rank}"


def metrics(ranks: list[int | None]) -> dict[str, float]:
    r = np.array([np.inf if x is None else x for x in ranks], dtype=float)
    return {"top1": float((r <= 1).mean()), "top3": float((r <= 3).mean()), "top10": float((r <= 10).mean()), "mrr": float((1.0 / r).mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--window", required=True, help="phenopackets of newer publications (the 2025h2 zip)")
    ap.add_argument("--train", help="the cases the model was tuned on (the dev zip): 'seen gene' = named by one of them")
    ap.add_argument("--ranker", default="likelihood", help="ranker spec for rft.registry.load_ranker (default: likelihood)")
    ap.add_argument("--ranking", help="a JSON file whose 'ranking' (meta.json's, or bench/window.py's chosen.json) says how --ranker's model "
                    "folder ranks: e.g. runs/window/chosen.json with --ranker model:runs/window/knowledge_lpo5/rft_lr1e-3_300/merged")
    ap.add_argument("--n", type=int, nargs="+", default=[20, 50, 200], help="decoys per exome")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--draw", choices=("uniform", "length"), default="uniform",
                    help="decoys drawn uniformly from the universe, or in proportion to genomic length (genes without one: the median)")
    ap.add_argument("--case-knowledge", choices=CASE_KNOWLEDGE,
                    help="the KB also holds solved cases as knowledge (rft.case_knowledge), never a case's own paper: the --train "
                         "cases; or those and the window's choose part; or those and every window paper older than the case's (by PMID)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="the window's choose/report split and folds (bench/window.py's)")
    args = ap.parse_args()
    t0 = time.time()

    hpo = load_hpo()
    table, go = load_gene_table(), load_go_profiles()
    window = load_cases(args.window, hpo, require_gene=True).cases
    train = load_cases(args.train, hpo, require_gene=True).cases if args.train else []
    train_genes = {g for c in train for g in c.genes}
    split = split_by_publication(window, valid_fraction=0.5, seed=args.seed)
    part = {i: "choose" for i in split["train"]} | {i: "report" for i in split["valid"]}
    # The universe in the KB's spelling where the KB has the gene (symbols differ across releases).
    universe = [hpo.canonical_gene(s) or s for s in table.symbols]
    cum_weights = None
    if args.draw == "length":
        lengths = np.array([table.facts(s).length for s in table.symbols], dtype=float)
        cum_weights = np.cumsum(np.where(lengths > 0, lengths, np.median(lengths[lengths > 0])))
    log(f"KB {hpo.version}; window {len(window)} cases (choose {len(split['train'])}, report {len(split['valid'])}); universe {len(universe)} genes")

    # Each case's genome-wide ranking at its fold's leave-publication-out KB, once.
    rankings, annotated, facts = {}, {}, {}
    config = json.loads(Path(args.ranking).read_text())["ranking"] if args.ranking else None
    for f, cases, hpo_f in leave_publication_out(window, hpo, args.folds, args.seed):
        facts |= case_facts(cases, hpo_f, train_genes)  # "gene in KB": in HPO's annotations, whatever else the KB holds
        for group, kb in knowledge_groups(cases, hpo_f, train, window, split, args.case_knowledge):
            if config:  # the model ranked as the file says: the product's fusion and gate, through rft.registry
                ranker = load_ranker(args.ranker, kb, model_only=True, generate=int(config.get("generate", 0)))
                ranker = hybrid_ranker(ranker, config["hybrid"], kb) if config.get("hybrid") else ranker
            else:
                ranker = load_ranker(args.ranker, kb)
            for c, r in zip(group, ranker.rank(group, top=None)):
                rankings[c.id] = r
            annotated |= dict.fromkeys((c.id for c in group), frozenset(kb.genes))  # each case's KB: its fold's (and group's)
        log(f"fold {f + 1}/{args.folds}: {len(cases)} cases ranked by {ranker.name} ({', '.join(kb.extra_sources) or 'HPO only'})")
    name = ranker.name
    known_gene = {c.id for c in window if set(c.genes) & annotated[c.id]}  # the gene is in the case's KB: HPO's, or case knowledge

    # ranks[(n, seed, rule)][case_id]
    rules = [CandidateRule(a, o, r) for a in AFTER for o in ORDERS for r in FIT_RANKS if r is None or (a > 0 and o == "go-similarity")]
    ranks: dict[tuple, dict[str, int | None]] = {}
    for c in window:
        kb = annotated[c.id]
        causal = set(c.genes)
        reference = [g.gene for g in rankings[c.id].genes[:REFERENCE_GENES]]  # genome-wide: what "go-similarity" compares with
        full_rank = {g.gene: i for i, g in enumerate(rankings[c.id].genes, start=1)}  # genome-wide ranks, for fit_rank
        for n in args.n:
            for seed in range(args.seeds):
                genes = list(causal) + draw_decoys(universe, causal, n, seed, c.id, cum_weights)
                random.Random(f"order:{seed}:{c.id}").shuffle(genes)  # "list" order carries no hint of the answer
                cl = CandidateList([g for g in genes if g in kb], [g for g in genes if g not in kb])
                cut = restrict_ranking(rankings[c.id], cl, CandidateRule(0, "list"), table)  # the candidates only; each rule re-places them
                for rule in rules if n == 50 or part[c.id] == "report" else ():
                    ranks.setdefault((n, seed, rule), {})[c.id] = rank_of(restrict_ranking(cut, cl, rule, table, reference, go, full_rank).symbols, c.genes)
    log(f"restricted in {time.time() - t0:.0f} s")

    def table_of(n: int, rule: CandidateRule, ids: list[str]) -> dict[str, float]:
        per_seed = [metrics([ranks[(n, s, rule)][i] for i in ids]) for s in range(args.seeds)]
        return {k: float(np.mean([m[k] for m in per_seed])) for k in per_seed[0]} | {"sd_top1": float(np.std([m["top1"] for m in per_seed]))}

    choose = [i for i in part if part[i] == "choose"]
    report = [i for i in part if part[i] == "report"]
    print(f"\n## Choose part: {len(choose)} cases; {name}; N=50 decoys drawn {args.draw}, {args.seeds} seeds; top-1 over all cases by rule\n")
    print("| unannotated after | " + " | ".join(f"{o}: top-1 / MRR" for o in ORDERS) + " |\n|---|" + "---|" * len(ORDERS))
    for a in AFTER:
        cells = [table_of(50, CandidateRule(a, o), choose) for o in ORDERS]
        print(f"| {a if a < 1_000_000 else 'all'} | " + " | ".join(f"{m['top1']:.3f} / {m['mrr']:.3f}" for m in cells) + " |")
    print("\nWith `fit_rank` (go-similarity order; unannotated candidates also go before annotated ones ranked below it genome-wide): top-1 / MRR\n")
    fits = [r for r in FIT_RANKS if r is not None]
    print("| unannotated after | " + " | ".join(f"fit_rank {r}" for r in fits) + " |\n|---|" + "---|" * len(fits))
    for a in AFTER[1:]:
        cells = [table_of(50, CandidateRule(a, "go-similarity", r), choose) for r in fits]
        print(f"| {a if a < 1_000_000 else 'all'} | " + " | ".join(f"{m['top1']:.3f} / {m['mrr']:.3f}" for m in cells) + " |")
    chosen = max(rules, key=lambda r: (table_of(50, r, choose)["top1"], table_of(50, r, choose)["mrr"]))
    print(f"\nchosen: {chosen}")

    print(f"\n## Report part: {len(report)} cases, {len({publication_of(i) for i in report})} papers; {name}; decoys drawn {args.draw}; mean over {args.seeds} seeds\n")
    print("| N decoys | rule | subset | cases | top-1 | ± sd over seeds | top-3 | top-10 | MRR |\n|---|---|---|---|---|---|---|---|---|")
    baseline = CandidateRule(1_000_000, "list")  # annotated first, the rest in random order
    for n in args.n:
        shown = [("chosen", chosen)] + ([(f"shipped ({describe_short(DEFAULT_RULE)})", DEFAULT_RULE)] if DEFAULT_RULE != chosen else [])
        for label, rule in (*shown, ("annotated first, rest random", baseline)):
            for s, keep in SUBSETS.items():
                ids = [i for i in report if keep(facts[i])]
                if not ids or (s in ("seen gene", "unseen gene") and not args.train):
                    continue
                rows = [(s, ids)]
                if s == "gene not in KB" and args.case_knowledge:  # split: known from the case knowledge, or not at all
                    rows += [("gene not in KB, in case knowledge", [i for i in ids if i in known_gene]),
                             ("gene not in KB nor case knowledge", [i for i in ids if i not in known_gene])]
                for s_label, s_ids in rows:
                    if s_ids:
                        m = table_of(n, rule, s_ids)
                        print(f"| {n} | {label} | {s_label} | {len(s_ids)} | {m['top1']:.3f} | {m['sd_top1']:.3f} | {m['top3']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} |")
        # A ceiling, not a ranking: a gate that knew the answer's KB status would put the unannotated genes first
        # exactly when the causal gene is one of them (ordered by the chosen prior); no real rule can beat it.
        first = CandidateRule(0, chosen.order)  # (and fit_rank is moot)
        for s in ("all", "gene not in KB"):
            ids = [i for i in report if SUBSETS[s](facts[i])]
            known = CandidateRule(chosen.after, chosen.order)  # the annotated genes' cases as if no fit gate moved anything
            per_seed = [metrics([ranks[(n, seed, known if i in known_gene else first)][i] for i in ids]) for seed in range(args.seeds)]
            m = {k: float(np.mean([x[k] for x in per_seed])) for k in per_seed[0]}
            print(f"| {n} | ceiling: oracle KB-status gate, {chosen.order} order | {s} | {len(ids)} | {m['top1']:.3f} | | {m['top3']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} |")
    log(f"done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
