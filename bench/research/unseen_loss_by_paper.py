"""Where a ranking gains or loses against a classical ranker on new genes, paper by paper.

    python bench/window.py --train ../shared/data/phenopacket-store-dev.zip --window ../shared/data/phenopacket-store-2025h2.zip \
        --choice-rule best                                          # the rule before the one-SE rule (writes runs/window/)
    python bench/research/unseen_loss_by_paper.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip        # 20 s, reads runs/window/window.json

Reads the per-case ranks `bench/window.py` writes (report part only) and sums, per publication, the reciprocal
rank of the chosen ranking (or `--row`) minus that of `--against` (default: the consensus) over the cases whose
gene no training case names. A mean over 291 cases with a small clustered SE can hide that the whole difference
sits in a few papers; this prints them. (Rerun bench/window.py without `--choice-rule best` to restore the
shipped choice in runs/window/.)
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from ontology import load_hpo
from rft.cases import load_cases
from rft.splits import publication_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the dev zip: which genes are 'seen'")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--work", default="runs/window", help="where bench/window.py wrote window.json")
    ap.add_argument("--row", help="the report table's row to read (default: the chosen ranking's)")
    ap.add_argument("--against", default="consensus", help="the row it is compared with (default: consensus)")
    ap.add_argument("--show", type=int, default=8, help="papers printed at each end")
    args = ap.parse_args()
    path = Path(args.work) / "window.json"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run bench/window.py first (see the docstring)")
    report = json.loads(path.read_text())
    ranks = report["ranks"]
    row = args.row or next(name for name in ranks if name.startswith("**RFT as chosen"))
    for name in (row, args.against):
        if name not in ranks:
            raise SystemExit(f"no row {name!r} in {path}; rows: {', '.join(ranks)}")
    hpo = load_hpo()
    seen = {g for c in load_cases(args.train, hpo, require_gene=True).cases for g in c.genes}
    genes = {c.id: c.genes for c in load_cases(args.window, hpo, require_gene=True).cases}

    def rr(rank) -> float:
        return 1.0 / rank if isinstance(rank, (int, float)) and rank >= 1 else 0.0

    by_paper: dict[str, list[float]] = defaultdict(list)
    for cid in report["report"]:
        if not any(g in seen for g in genes[cid]):
            by_paper[publication_of(cid)].append(rr(ranks[row][cid]) - rr(ranks[args.against][cid]))
    n = sum(len(v) for v in by_paper.values())
    total = sum(sum(v) for v in by_paper.values())
    moved = {p: v for p, v in by_paper.items() if any(abs(d) > 1e-12 for d in v)}
    print(f"\n{row} minus {args.against}, report cases whose gene no training case names: {n} cases, {len(by_paper)} papers "
          f"(genes outside the KB count 0 for both); summed reciprocal rank {total:+.2f} (MRR {total / max(n, 1):+.4f}); "
          f"{len(moved)} papers where the two differ\n")
    print("| paper | gene | cases | summed difference |\n|---|---|---|---|")
    ordered = sorted(moved.items(), key=lambda kv: sum(kv[1]))
    shown = ordered if len(ordered) <= 2 * args.show else ordered[: args.show] + ordered[-args.show:]
    for paper, diffs in shown:
        gene = next(genes[c] for c in report["report"] if publication_of(c) == paper)
        print(f"| {paper} | {', '.join(gene)} | {len(diffs)} | {sum(diffs):+.2f} |")


if __name__ == "__main__":
    main()
