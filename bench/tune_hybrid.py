"""Choose the hybrid (model + classical rank fusion) on training cases, then measure it on validation.

    python bench/tune_hybrid.py --cases ../shared/data/phenopacket-store-dev.zip [--model data/models/base] [--write-meta]

Grid: classical ranker (similarity, likelihood) x RRF constant k (10, 60) x model weight (0.25, 0.5, 1.0, 2.0),
scored by MRR on the split's *tune* cases (publications held out of RFT training; a seeded sample of the
training cases when the split has no tune part); the best setting is then measured once
on the validation cases, next to both classical rankers and the model alone. The shipped setting lives in
the model folder's meta.json ("ranking": {"hybrid": ...}).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

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
    ap.add_argument("--n-train", type=int, default=800, help="training cases sampled when the split has no tune part")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--generate", type=int, default=0, help="genes the model decodes before the rest follow by score (0: scores only, one forward pass)")
    ap.add_argument("--write-meta", action="store_true", help="write the chosen ranking and the validation metrics into the model folder's meta.json")
    args = ap.parse_args()

    hpo = load_hpo()
    split = load_split(args.split)
    cases = load_cases(args.cases, hpo, require_gene=True).cases
    train_ids, valid_ids = set(split["train"]), set(split["valid"])
    if split.get("tune"):  # never trained on, by the base or by RFT
        tune_ids = set(split["tune"])
        train = [c for c in cases if c.id in tune_ids]
    else:
        train = random.Random(args.seed).sample([c for c in cases if c.id in train_ids], args.n_train)
    valid = [c for c in cases if c.id in valid_ids]
    model = ModelRanker(args.model, hpo, hybrid=False, generate=args.generate)
    classical = {name: get_ranker(name, hpo) for name in CLASSICAL}

    def rankings(cs):
        return model.rank(cs), {name: r.rank(cs) for name, r in classical.items()}

    def metrics(rs, cs):
        return summarize([rank_of(r.symbols, c.genes) for r, c in zip(rs, cs, strict=True)])

    def fused(m, c, cs, k, w):
        return metrics([fuse_rankings(a, b, "rrf", k, w) for a, b in zip(m, c)], cs)

    m, cl = rankings(train)
    print(f"{len(train)} {'tune' if split.get('tune') else 'training'} cases: model alone MRR {metrics(m, train)['mrr']:.3f}; " + "; ".join(f"{n} MRR {metrics(cl[n], train)['mrr']:.3f}" for n in CLASSICAL))
    print("| classical | k | model weight | top-1 | top-10 | MRR |\n|---|---|---|---|---|---|")
    grid = []
    for name in CLASSICAL:
        for k in (10, 60):
            for w in (0.25, 0.5, 1.0, 2.0):
                s = fused(m, cl[name], train, k, w)
                grid.append((s["mrr"], name, k, w))
                print(f"| {name} | {k} | {w} | {s['top1']:.3f} | {s['top10']:.3f} | {s['mrr']:.3f} |")
    _, name, k, w = max(grid)
    print(f"\nbest on those cases: {name}, k={k}, weight={w}")
    print(f'meta.json: "ranking": {{"generate": {args.generate}, "hybrid": {{"classical": "{name}", "mode": "rrf", "k": {k}, "weight": {w}}}}}\n')
    m, cl = rankings(valid)
    rows = {f"hybrid {name} k={k} w={w}": fused(m, cl[name], valid, k, w), "model alone": metrics(m, valid)}
    rows |= {n: metrics(cl[n], valid) for n in CLASSICAL}
    print(f"| validation ({len(valid)} cases) | top-1 | top-3 | top-5 | top-10 | MRR | mean score |\n|---|---|---|---|---|---|---|")
    for label, s in rows.items():
        print(f"| {label} | {s['top1']:.3f} | {s['top3']:.3f} | {s['top5']:.3f} | {s['top10']:.3f} | {s['mrr']:.3f} | {s['mean_score']:.3f} |")
    if args.write_meta:
        folder = Path(args.model)
        meta = json.loads((folder / "meta.json").read_text())
        shipped = rows[f"hybrid {name} k={k} w={w}"]
        meta["ranking"] = {"generate": args.generate, "hybrid": {"classical": name, "mode": "rrf", "k": k, "weight": w}}
        meta["metrics"] = {key: shipped[key] for key in ("n", "top1", "top3", "top5", "top10", "mrr", "mean_score")}
        meta["validation"] = {
            "split": args.split, "chosen_on": f"{len(train)} {'tune' if split.get('tune') else 'training'} cases",
            "command": "python " + " ".join(sys.argv), "rows": rows,
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"wrote ranking and validation metrics to {folder / 'meta.json'}")


if __name__ == "__main__":
    main()
