"""Write the fixed, publication-grouped split of the dev set (case ids only) to data/splits/dev_split.json.

    python scripts/make_split.py --cases ../shared/data/phenopacket-store-dev.zip [--valid-fraction 0.2] [--tune-cases 800] [--seed 0]

Only cases with a causal gene are split, by publication: valid (final measurement), tune (held out of
RFT training; picks the ranking of a tuned model, scripts/choose_ranking.py) and train. The file holds ids, never
case data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.splits import DEV_SPLIT, carve_tuning, save_split, split_by_publication


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--valid-fraction", type=float, default=0.2)
    ap.add_argument("--tune-cases", type=int, default=800, help="training cases moved to the tune part (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(DEV_SPLIT))
    ap.add_argument("--force", action="store_true", help="replace an existing split file")
    args = ap.parse_args()
    if Path(args.out).exists() and not args.force:
        raise SystemExit(f"make_split: {args.out} exists; pass --force to replace it")
    cases = load_cases(args.cases, load_hpo(), require_gene=True).cases
    split = split_by_publication(cases, args.valid_fraction, args.seed)
    if args.tune_cases:
        split = carve_tuning(split, args.tune_cases, args.seed)
    save_split(split, args.out, force=args.force, source="phenopacket-store-dev.zip (7,487 phenopackets, snapshot b694d17)")
    print(f"train {split['n_train']} cases, tune {split.get('n_tune', 0)}, valid {split['n_valid']} cases -> {args.out}")


if __name__ == "__main__":
    main()
