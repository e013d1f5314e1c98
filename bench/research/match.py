"""How much a knowledge base (KB) has seen a set of cases: the median *match* of their present terms to their gene.

    python bench/research/match.py --cases ../shared/data/phenopacket-store-dev.zip
    python bench/research/match.py --cases ... --hpo-dir 2024-03-06 --split data/splits/dev_split.json --part valid

A case's match (`rft.prospective.match_fraction`) is the fraction of its present terms at or under a term the
KB annotates to its causal gene. It prints one row per group: the split's part at the KB (default: the dev
split's validation part at the bundled release), and the cases published before and after the KB's horizon.
Near 1.0 means the KB was curated from those very papers, and every ranker's figures on them are flattered.
"""

from __future__ import annotations

import argparse
import statistics

from ontology import load_hpo
from rft.cases import load_cases
from rft.prospective import match_fraction
from rft.splits import DEV_SPLIT, publication_pmid, select


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--hpo-dir", default=None, help="HPO release folder or cached date (default: the bundled one)")
    ap.add_argument("--split", default=str(DEV_SPLIT))
    ap.add_argument("--part", default="valid")
    args = ap.parse_args()
    hpo = load_hpo(args.hpo_dir)
    cases = load_cases(args.cases, hpo, require_gene=True).cases
    pmid = {c.id: publication_pmid(c.id) for c in cases}
    groups = {
        f"{args.part} part of {args.split}": select(cases, args.split, args.part),
        f"published up to the horizon (PMID <= {hpo.horizon})": [c for c in cases if pmid[c.id] is not None and pmid[c.id] <= hpo.horizon],
        f"published after the horizon (PMID > {hpo.horizon})": [c for c in cases if pmid[c.id] is not None and pmid[c.id] > hpo.horizon],
    }
    print(f"HPO {hpo.version}\n\n| cases | n | gene in KB | median match | mean match |\n|---|---|---|---|---|")
    for name, group in groups.items():
        values = [m for m in (match_fraction(hpo, c) for c in group) if m is not None]
        if values:
            print(f"| {name} | {len(group)} | {len(values)} | {statistics.median(values):.2f} | {statistics.fmean(values):.2f} |")
        else:
            print(f"| {name} | {len(group)} | 0 | - | - |")


if __name__ == "__main__":
    main()
