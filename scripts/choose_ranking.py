"""Choose how a model folder ranks (its fusion with a classical ranker) on the split's tune cases, and write it.

    python scripts/choose_ranking.py --cases ../shared/data/phenopacket-store-dev.zip --model runs/rft/merged [--write]

Grid: classical ranker (similarity, likelihood) x RRF constant k (10, 60) x model weight (0.25, 0.5, 1.0, 2.0),
plus the model alone, scored by MRR on the split's *tune* cases (publications held out of RFT training). The
best setting is then measured once on the validation cases, next to the classical rankers and the model alone.
With --write it goes into the model folder's meta.json (`"ranking"`, `"metrics"`, `"validation"`), which is
what `rft.registry.load_ranker`, the CLI and the app read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.evaluate import evaluate
from rft.model import ModelRanker
from rft.rankers.hybrid import HybridRanker, rank_arrays
from rft.registry import CLASSICAL_RANKERS, model_folder
from rft.splits import DEV_SPLIT, select

KS = (10, 60)
WEIGHTS = (0.25, 0.5, 1.0, 2.0)
COLUMNS = ("top1", "top3", "top5", "top10", "mrr", "mean_score")


class FixedRanks:
    """A ranker's rank arrays computed once for a set of cases, so every grid point fuses without re-ranking."""

    def __init__(self, ranker, cases):
        self.name, self.genes = ranker.name, ranker.genes
        self._ranks = rank_arrays(ranker, cases)
        self._row = {c.id: i for i, c in enumerate(cases)}
        self._ranker = ranker

    def gene_ranks(self, cases):
        return self._ranks[[self._row[c.id] for c in cases]]

    def rank(self, cases, top=None):
        return self._ranker.rank(cases, top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--model", required=True, help="model folder (or 'default')")
    ap.add_argument("--split", default=str(DEV_SPLIT))
    ap.add_argument("--generate", type=int, default=0, help="genes the model decodes before the rest follow by score (0: scores only, one forward pass)")
    ap.add_argument("--write", action="store_true", help="write the chosen ranking and the validation metrics into the model folder's meta.json")
    args = ap.parse_args()

    hpo = load_hpo()
    folder = model_folder(args.model) or Path(args.model)
    cases = load_cases(args.cases, hpo, require_gene=True).cases
    tune, valid = select(cases, args.split, "tune"), select(cases, args.split, "valid")
    model = ModelRanker(folder, hpo, generate=args.generate)

    def grid(part):
        fixed_model = FixedRanks(model, part)
        out = {"model alone": (evaluate(model, part)[1], None)}
        for name, make in CLASSICAL_RANKERS.items():
            classical = FixedRanks(make(hpo), part)
            out[name] = (evaluate(classical, part)[1], None)
            for k in KS:
                for w in WEIGHTS:
                    config = {"classical": name, "mode": "rrf", "k": k, "weight": w}
                    out[f"{name} k={k} w={w}"] = (evaluate(HybridRanker(fixed_model, classical, "rrf", k, w), part)[1], config)
        return out

    rows = grid(tune)
    print(f"{len(tune)} tune cases ({args.split}); model {folder}")
    print("| ranking | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS))
    for label, (m, _) in rows.items():
        print(f"| {label} | " + " | ".join(f"{m[c]:.3f}" for c in COLUMNS) + " |")
    candidates = {label: r for label, r in rows.items() if r[1] is not None or label == "model alone"}
    best = max(candidates, key=lambda label: candidates[label][0]["mrr"])
    chosen = candidates[best][1]
    ranking = {"generate": args.generate} | ({"hybrid": chosen} if chosen else {})
    print(f"\nbest on the tune cases: {best}\nmeta.json: \"ranking\": {json.dumps(ranking)}\n")

    chosen_ranker = HybridRanker(model, CLASSICAL_RANKERS[chosen["classical"]](hpo), "rrf", chosen["k"], chosen["weight"]) if chosen else model
    measured = {f"chosen: {best}": evaluate(chosen_ranker, valid)[1], "model alone": evaluate(model, valid)[1]}
    measured |= {name: evaluate(make(hpo), valid)[1] for name, make in CLASSICAL_RANKERS.items()}
    print(f"| validation ({len(valid)} cases) | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS))
    for label, m in measured.items():
        print(f"| {label} | " + " | ".join(f"{m[c]:.3f}" for c in COLUMNS) + " |")
    if args.write:
        meta = json.loads((folder / "meta.json").read_text())
        shipped = measured[f"chosen: {best}"]
        meta["ranking"] = ranking
        meta["metrics"] = {key: shipped[key] for key in ("n", "top1", "top3", "top5", "top10", "mrr", "mean_score")}
        meta["validation"] = {"split": args.split, "chosen_on": f"{len(tune)} tune cases", "command": "python " + " ".join(sys.argv), "rows": measured}
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"wrote ranking and validation metrics to {folder / 'meta.json'}")


if __name__ == "__main__":
    main()
