"""Choose how a model folder ranks (alone, or fused with a classical ranker) on tune cases, and write it.

    python scripts/choose_ranking.py --cases CASES --split SPLIT.json --part tune --model runs/rft/merged [--write]

Grades the model alone and every fusion of `rft.choose.fusion_grid` on the split's `--part` cases and prints the
table; the best by MRR is what the folder should ship. With --write it goes into the model folder's meta.json
(`"ranking"`, and `"ranking_chosen_on"` with the table), which `rft.registry.load_ranker`, the CLI and the app
read. Choose on prospective cases (`bench/prospective.py` makes such a split): never on cases the knowledge
base was curated from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.choose import best_ranking, fusion_grid
from rft.model import ModelRanker
from rft.registry import model_folder
from rft.splits import select

COLUMNS = ("n", "top1", "top3", "top10", "mrr", "mean_score")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--split", required=True, help="a split file")
    ap.add_argument("--part", default="tune", help="the split's part to choose on")
    ap.add_argument("--model", required=True, help="model folder (or 'default')")
    ap.add_argument("--hpo-dir", default=None, help="the HPO release the model was built on (default: the bundled one)")
    ap.add_argument("--generate", type=int, default=0, help="genes the model decodes before the rest follow by score (0: scores only)")
    ap.add_argument("--write", action="store_true", help="write the chosen ranking into the model folder's meta.json")
    args = ap.parse_args()

    hpo = load_hpo(args.hpo_dir)
    folder = model_folder(args.model) or Path(args.model)
    cases = select(load_cases(args.cases, hpo, require_gene=True).cases, args.split, args.part)
    rows = fusion_grid(ModelRanker(folder, hpo, generate=args.generate), hpo, cases)
    print(f"{len(cases)} {args.part} cases ({args.split}); model {folder}; HPO {hpo.version}")
    print("| ranking | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS))
    for label, _, m in rows:
        print(f"| {label} | " + " | ".join(f"{m[c]:.3f}" if c != "n" else str(m[c]) for c in COLUMNS) + " |")
    label, ranking = best_ranking(rows)
    ranking = {"generate": args.generate} | ranking
    print(f"\nbest: {label}\nmeta.json: \"ranking\": {json.dumps(ranking)}")
    if args.write:
        meta = json.loads((folder / "meta.json").read_text())
        meta["ranking"] = ranking
        meta["ranking_chosen_on"] = {"cases": f"{len(cases)} {args.part} cases of {args.split}", "command": "python " + " ".join(sys.argv),
                                     "rows": {lbl: {c: m[c] for c in COLUMNS} for lbl, _, m in rows}}
        tmp = folder / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2) + "\n")
        tmp.replace(folder / "meta.json")
        print(f"wrote the ranking into {folder / 'meta.json'}")


if __name__ == "__main__":
    main()
