"""Choose how a model folder ranks (alone, or fused with a classical ranker) on tune cases, and write it.

    python scripts/choose_ranking.py --cases CASES --split SPLIT.json --part tune --model runs/rft/merged [--write]
    python scripts/choose_ranking.py --from-benchmark runs/window/chosen.json --model runs/ship/rft/merged --write

Grades the model alone and every fusion of `rft.choose.fusion_grid` on the split's `--part` cases and prints the
table; the best by publication MRR (`rft.choose.CHOICE_METRIC`) is what the folder should ship. With --write it goes into the model folder's meta.json
(`"ranking"`, and `"ranking_chosen_on"` with the table), which `rft.registry.load_ranker`, the CLI and the app
read. Choose on prospective cases, never on cases the knowledge base was curated from: --from-benchmark takes
the choice `bench/window.py` (or `bench/prospective.py`) made on its prospective choose part (with the figures that chose it, which
go into meta.json as "prospective").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.choose import CHOICE_METRIC, best_ranking, fusion_grid
from rft.model import ModelRanker
from rft.registry import model_folder
from rft.splits import select
from rft.writes import write_atomic

COLUMNS = ("n", "top1", "top3", "top10", "mrr", "publication_mrr", "mean_score")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", help="cases to choose on (with --split)")
    ap.add_argument("--split", help="a split file")
    ap.add_argument("--from-benchmark", help="a chosen.json written by bench/prospective.py: ship its ranking as it is")
    ap.add_argument("--as", dest="kind", choices=("base", "rft"), default=None,
                    help="with --from-benchmark: take the ranking chosen for this model (default: the model the benchmark chose)")
    ap.add_argument("--part", default="tune", help="the split's part to choose on")
    ap.add_argument("--model", required=True, help="model folder (or 'default')")
    ap.add_argument("--hpo-dir", default=None, help="the HPO release the model was built on (default: the bundled one)")
    ap.add_argument("--generate", type=int, default=0, help="genes the model decodes before the rest follow by score (0: scores only)")
    ap.add_argument("--write", action="store_true", help="write the chosen ranking into the model folder's meta.json")
    args = ap.parse_args()
    folder = model_folder(args.model) or Path(args.model)
    if args.from_benchmark:
        choice = json.loads(Path(args.from_benchmark).read_text())
        kind = args.kind or choice["model"]
        ranking = choice["rankings"][kind]
        rows = choice["prospective_eval"]["rows"]
        shipped_row = choice["prospective_eval"].get("shipped_row") if kind == choice["model"] else None
        shipped_row = shipped_row or next(n for n in rows if n.startswith("RFT as shipped" if kind == "rft" else "base as shipped"))
        alone_row = "RFT alone" if kind == "rft" else "base alone"
        print(f"ranking chosen for the {kind} model by the prospective benchmark ({choice['chosen_on']}): {json.dumps(ranking)}")
        if args.write:
            _write(folder, {"ranking": ranking, "prospective": choice["prospective_eval"] | {"chosen_on": choice["chosen_on"], "shipped_row": shipped_row,
                                                                                            "benchmark_chose": choice["model"], "shipped": kind},
                            # what the Models page shows: this recipe's figures on the prospective evaluation window
                            "metrics_prospective": {"alone": rows[alone_row], "as shipped": rows[shipped_row]}})
        return
    if not (args.cases and args.split):
        ap.error("pass --cases and --split (and --part), or --from-benchmark")

    hpo = load_hpo(args.hpo_dir)
    cases = select(load_cases(args.cases, hpo, require_gene=True).cases, args.split, args.part)
    rows = fusion_grid(ModelRanker(folder, hpo, generate=args.generate), hpo, cases)
    print(f"{len(cases)} {args.part} cases ({args.split}); model {folder}; HPO {hpo.version}")
    print("| ranking | " + " | ".join(COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS))
    for label, _, m in rows:
        print(f"| {label} | " + " | ".join(f"{m[c]:.3f}" if c != "n" else str(m[c]) for c in COLUMNS) + " |")
    label, ranking = best_ranking(rows)
    ranking = {"generate": args.generate} | ranking
    print(f"\nbest by {CHOICE_METRIC}: {label}\nmeta.json: \"ranking\": {json.dumps(ranking)}")
    if args.write:
        _write(folder, {"ranking": ranking, "ranking_chosen_on": {"cases": f"{len(cases)} {args.part} cases of {args.split}", "command": "python " + " ".join(sys.argv),
                                                                   "rows": {lbl: {c: m[c] for c in COLUMNS} for lbl, _, m in rows}}})


def _write(folder: Path, fields: dict) -> None:
    """Merge `fields` into the folder's meta.json, atomically (`rft.writes.write_atomic`)."""
    meta = json.loads((folder / "meta.json").read_text()) | fields
    write_atomic(folder / "meta.json", json.dumps(meta, indent=2, default=str) + "\n", force=True, what="meta.json")
    print(f"wrote {', '.join(fields)} into {folder / 'meta.json'}")


if __name__ == "__main__":
    main()
