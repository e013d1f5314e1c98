"""Choose the hybrid (model + classical rank fusion) on training cases, then measure it on validation.

    python bench/tune_hybrid.py --cases ../shared/data/phenopacket-store-dev.zip [--model data/models/base]

Grid: classical ranker (similarity, likelihood) x RRF constant k (10, 60) x model weight (0.25, 0.5, 1.0),
scored by MRR on a seeded sample of the split's *training* cases; the best setting is then measured once
on the validation cases, next to both classical rankers and the model alone. The shipped setting lives in
the model folder's meta.json ("ranking": {"hybrid": ...}).
"""

from __future__ import annotations

import argparse
import random

from ontology import load_hpo
from rft.cases import load_cases
from rft.grader import rank_of
from rft.metrics import summarize
from rft.model import ModelRanker
from rft.model.hybrid import fuse_rankings
from rft.rankers import get_ranker
from rft.splits import DEV_SPLIT, load_split

CLASSICAL = ("similarity", "likelihood")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--model", default="data/models/base")
    ap.add_argument("--split", default=str(DEV_SPLIT))
    ap.add_argument("--n-train", type=int, default=800)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    hpo = load_hpo()
    split = load_split(args.split)
    cases = load_cases(args.cases, hpo, require_gene=True).cases
    train_ids, valid_ids = set(split["train"]), set(split["valid"])
    train = random.Random(args.seed).sample([c for c in cases if c.id in train_ids], args.n_train)
    valid = [c for c in cases if c.id in valid_ids]
    model = ModelRanker(args.model, hpo, hybrid=False)
    classical = {name: get_ranker(name, hpo) for name in CLASSICAL}

    def rankings(cs):
        return model.rank(cs), {name: r.rank(cs) for name, r in classical.items()}

    def metrics(rs, cs):
        return summarize([rank_of(r.symbols, c.genes) for r, c in zip(rs, cs, strict=True)])

    def fused(m, c, cs, k, w):
        return metrics([fuse_rankings(a, b, "rrf", k, w) for a, b in zip(m, c)], cs)

    m, cl = rankings(train)
    print(f"{len(train)} training cases: model alone MRR {metrics(m, train)['mrr']:.3f}; " + "; ".join(f"{n} MRR {metrics(cl[n], train)['mrr']:.3f}" for n in CLASSICAL))
    print("| classical | k | model weight | top-1 | top-10 | MRR |\n|---|---|---|---|---|---|")
    grid = []
    for name in CLASSICAL:
        for k in (10, 60):
            for w in (0.25, 0.5, 1.0):
                s = fused(m, cl[name], train, k, w)
                grid.append((s["mrr"], name, k, w))
                print(f"| {name} | {k} | {w} | {s['top1']:.3f} | {s['top10']:.3f} | {s['mrr']:.3f} |")
    _, name, k, w = max(grid)
    print(f"\nbest on training cases: {name}, k={k}, weight={w}\n")
    m, cl = rankings(valid)
    rows = {f"hybrid {name} k={k} w={w}": fused(m, cl[name], valid, k, w), "model alone": metrics(m, valid)}
    rows |= {n: metrics(cl[n], valid) for n in CLASSICAL}
    print(f"| validation ({len(valid)} cases) | top-1 | top-3 | top-5 | top-10 | MRR | mean score |\n|---|---|---|---|---|---|---|")
    for label, s in rows.items():
        print(f"| {label} | {s['top1']:.3f} | {s['top3']:.3f} | {s['top5']:.3f} | {s['top10']:.3f} | {s['mrr']:.3f} | {s['mean_score']:.3f} |")


if __name__ == "__main__":
    main()
