"""Write the fixed, publication-grouped split of the dev set (case ids only) to data/splits/dev_split.json.

    python scripts/make_split.py --cases ../shared/data/phenopacket-store-dev.zip [--valid-fraction 0.2] [--tune-cases 800] [--seed 0]
    python scripts/make_split.py --cases CASES.zip --by gene --folds 5 --fold 0 [--seen-fraction 0.1] --out runs/gene_fold0.json

By gene (`rft.splits.split_by_gene`): valid holds every case of one fold of the causal genes, so an RFT run on
that split (`rft train --split`) reports, every --eval-every steps, how it ranks genes it was never rewarded for.

Only cases with a causal gene are split, by publication: valid (final measurement), tune (held out of
RFT training; picks the ranking of a tuned model, scripts/choose_ranking.py) and train. The file holds ids, never
case data.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.splits import DEV_SPLIT, carve_tuning, save_split, split_by_gene, split_by_publication


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--valid-fraction", type=float, default=0.2)
    ap.add_argument("--tune-cases", type=int, default=800, help="training cases moved to the tune part (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--by", choices=("publication", "gene"), default="publication", help="group by publication (default) or hold out one fold of the genes")
    ap.add_argument("--folds", type=int, default=5, help="--by gene: the number of gene folds")
    ap.add_argument("--fold", type=int, default=0, help="--by gene: the fold held out (0..folds-1)")
    ap.add_argument("--seen-fraction", type=float, default=0.0,
                    help="--by gene: also move whole papers holding this share of the other cases to valid (seen-gene figures)")
    ap.add_argument("--out", default=str(DEV_SPLIT))
    ap.add_argument("--force", action="store_true", help="replace an existing split file")
    args = ap.parse_args()
    if Path(args.out).exists() and not args.force:
        raise SystemExit(f"make_split: {args.out} exists; pass --force to replace it")
    cases = load_cases(args.cases, load_hpo(), require_gene=True).cases
    if args.by == "gene":
        split = split_by_gene(cases, args.folds, args.fold, args.seed, args.seen_fraction)
        save_split(split, args.out, force=args.force, source=f"{Path(args.cases).name}, genes held out: fold {args.fold} of {args.folds}")
        print(f"train {split['n_train']} cases, valid {split['n_valid']} cases of {len(split['held_out_genes'])} held-out genes -> {args.out}")
        return
    split = split_by_publication(cases, args.valid_fraction, args.seed)
    if args.tune_cases:
        split = carve_tuning(split, args.tune_cases, args.seed)
    save_split(split, args.out, force=args.force, source="phenopacket-store-dev.zip (7,487 phenopackets, snapshot b694d17)")
    print(f"train {split['n_train']} cases, tune {split.get('n_tune', 0)}, valid {split['n_valid']} cases -> {args.out}")


if __name__ == "__main__":
    main()
