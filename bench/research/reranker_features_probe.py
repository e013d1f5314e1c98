"""Which of the knowledge reranker's features carry what it learns, and where a patient's excluded terms sit in the
causal gene's annotations (issue 24).

    python bench/research/reranker_features_probe.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip          # ~4 min after bench/reranker.py and its --describe gene run

1. Ablation and recipe: bench/reranker.py's recipe (dev cases outside gene fold 0, the step kept on that fold's held-out genes)
   retrained with groups of `FEATURES` set to 0 in every case, judged on the window's **choose** part (prospective;
   the report part is not read): top-1 / MRR on genes no dev case names and on genes some dev case names; then the
   recipe's learning rate and KL pull varied, with every feature and without the excluded-term ones, on the dev
   cases described without their own paper and without every paper of their gene (`--describe gene`).
2. The patient's excluded terms against the causal gene's annotations at the shipped release (choose part): how many
   lie in the gene's annotation closure, and how many of those only through annotations of frequency 0 ("0/5":
   observed in none of the patients, which the annotation reader keeps as an annotation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/
from reranker import cached_parts, choose_part_rows, data_of, features_cache, full_ranks, lpo_features, reciprocal

from rft.rankers.reranker import DEFAULT_CANDIDATES, FEATURES
from rft.splits import split_by_gene, split_by_publication
from rft.train.rerank import train_reranker

GROUPS = {  # feature groups, by their names in FEATURES
    "none": (),
    "the excluded-term share": ("share of the patient's excluded terms the candidate is annotated with",),
    "the three term-by-term shares": ("share of the candidate's annotated terms the patient shows (at or below)",
                                      "share of the patient's present terms the candidate's annotations imply",
                                      "share of the patient's excluded terms the candidate is annotated with"),
    "best-disease likelihood (2)": ("best-disease likelihood score minus the case's best", "ln best-disease likelihood rank"),
    "annotated terms and diseases (2)": ("ln number of annotated terms", "ln number of diseases"),
    "all eight added 2026-12-07": FEATURES[8:],
}


def _run(tf: dict, wf: dict, cols: list[int], rows_t, rows_h, subsets: dict, lr: float, kl: float, seed: int) -> tuple[list[str], int]:
    """bench/reranker.py's recipe with feature columns `cols` set to 0: (top-1 / MRR per subset of the window, kept step)."""
    t, w = dict(tf), dict(wf)
    t["features"], w["features"] = tf["features"].copy(), wf["features"].copy()
    t["features"][..., cols] = 0.0
    w["features"][..., cols] = 0.0
    policy, curve = train_reranker(data_of(t, rows_t), data_of(t, rows_h), steps=600, lr=lr, kl=kl, eval_every=50, seed=seed)
    cells = []
    for rows in subsets.values():
        r = full_ranks(policy, w, rows)
        cells.append(f"{np.mean(r == 1):.3f} / {np.mean(reciprocal(r)):.3f}")
    return cells, max(curve, key=lambda r: r["valid_mrr"])["step"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--window", required=True)
    ap.add_argument("--work", default="runs/reranker", help="bench/reranker.py's folder (its cached features are reused)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    work = Path(args.work)
    hpo, train_cases, window, tf, wf = cached_parts(args.train, args.window, work, args.seed)
    gsplit = split_by_gene(train_cases, 5, 0, args.seed)
    rows_t = [i for i, c in enumerate(train_cases) if c.id in set(gsplit["train"])]
    rows_h = [i for i, c in enumerate(train_cases) if c.id in set(gsplit["valid"])]
    subsets = {"unseen": choose_part_rows(window, wf, train_cases, args.seed),
               "seen": choose_part_rows(window, wf, train_cases, args.seed, seen=True)}
    print(f"## Ablation: choose part, top-1 / MRR (unseen genes n={len(subsets['unseen'])}, seen genes n={len(subsets['seen'])})\n")
    print("| features set to 0 | kept step | unseen gene | seen gene |\n|---|---|---|---|")
    for name, group in GROUPS.items():
        cells, step = _run(tf, wf, [FEATURES.index(f) for f in group], rows_t, rows_h, subsets, 3e-3, 0.01, args.seed)
        print(f"| {name} | {step} | " + " | ".join(cells) + " |", flush=True)

    excluded = [FEATURES.index(f) for f in FEATURES if "excluded terms" in f]
    print("\n## Recipes: choose part, top-1 / MRR\n")
    print("| --train described | features | lr | kl | kept step | unseen gene | seen gene |\n|---|---|---|---|---|---|---|")
    for describe in ("paper", "gene"):
        feats = lpo_features(train_cases, hpo, 5, args.seed, DEFAULT_CANDIDATES, features_cache(work, "train", DEFAULT_CANDIDATES, describe), describe)
        for label, cols in (("all", []), ("without the excluded-term ones", excluded)):
            for lr, kl in ((3e-3, 0.01), (1e-3, 0.01), (3e-3, 0.0)):
                cells, step = _run(feats, wf, cols, rows_t, rows_h, subsets, lr, kl, args.seed)
                print(f"| {describe} | {label} | {lr:g} | {kl:g} | {step} | " + " | ".join(cells) + " |", flush=True)

    choose = set(split_by_publication(window, valid_fraction=0.5, seed=args.seed)["train"])
    named = {g for c in train_cases for g in c.genes}
    zero = sum(1 for terms in hpo.gene_terms.values() for f in terms.values() if f == 0.0)
    print(f"\n## Excluded terms in the causal gene's annotations (choose part; {zero:,} of "
          f"{sum(map(len, hpo.gene_terms.values())):,} gene-term annotations at HPO {hpo.version} have frequency 0)\n")
    print("| causal gene | excluded terms | in its closure | without its frequency-0 annotations |\n|---|---|---|---|")
    closure = lambda terms: set(terms) | {a for t in terms for a in hpo.ancestors(t)}
    for label, seen in (("named by a dev case", True), ("named by no dev case", False)):
        n = full = positive = 0
        for c in window:
            genes = [g for g in c.genes if g in hpo.gene_terms]
            if c.id not in choose or not genes or bool(named & set(c.genes)) != seen:
                continue
            terms = hpo.gene_terms[genes[0]]
            every, shown = closure(terms), closure([t for t, f in terms.items() if f != 0.0])
            excluded = [e for e in c.excluded if e in hpo.terms]
            n, full, positive = n + len(excluded), full + sum(e in every for e in excluded), positive + sum(e in shown for e in excluded)
        print(f"| {label} | {n} | {full} ({full / max(n, 1):.0%}) | {positive} |")


if __name__ == "__main__":
    main()
