"""Is how recently HPO curated a gene a signal a knowledge-only ranker could learn for genes no training case names?

    python bench/research/recency_probe.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip                                             # ~3 min

A reranker that cannot see gene identity (issue 24, item 3) can still read what the knowledge base says about each
candidate beyond its term match: how many papers its annotations cite, and how new the newest of them is. New case
reports might favour recently described genes. On the *choose* part of bench/window.py's split (nothing here is
reported from the report part), each case at the leave-publication-out KB (its fold's papers left out, as the
window benchmark deals them): among the consensus ranker's best `--top` candidates, how often the causal gene is
the first by consensus, how often it is the most recently curated candidate, and its percentile among the
candidates by newest citing PMID and by number of citing PMIDs, for genes a training case names and for the others.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the window's fold generator
from window import leave_publication_out

from ontology import load_hpo
from ontology.annotations import read_gene_diseases
from rft.cases import load_cases
from rft.rankers.consensus import ConsensusRanker
from rft.splits import split_by_publication

PMID = re.compile(r"PMID:(\d+)")


def gene_pmids(data_dir: Path) -> dict[str, set[int]]:
    """Each gene's PMIDs: every PMID cited by an annotation line of one of its diseases (phenotype.hpoa)."""
    disease_pmids: dict[str, set[int]] = defaultdict(set)
    with open(data_dir / "phenotype.hpoa", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if line.startswith(("#", "database_id")) or len(parts) < 5:
                continue
            disease_pmids[parts[0]].update(int(p) for p in PMID.findall(parts[4]))
    gene_diseases, _ = read_gene_diseases(data_dir)
    return {g: set().union(*(disease_pmids[d] for d in ds)) for g, ds in gene_diseases.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the cases a model would be tuned on (the dev zip): which genes are 'seen'")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--top", type=int, default=20, help="the consensus candidates compared")
    args = ap.parse_args()
    hpo = load_hpo()
    seen_genes = {g for c in load_cases(args.train, hpo, require_gene=True).cases for g in c.genes}
    window = load_cases(args.window, hpo, require_gene=True).cases
    choose = set(split_by_publication(window, valid_fraction=0.5, seed=0)["train"])  # bench/window.py's choose part
    pmids = gene_pmids(hpo.data_dir)
    rows = {"seen gene": [], "unseen gene": []}
    n_choose = 0
    for _, cases, hpo_f in leave_publication_out(window, hpo, 5, 0):
        cases = [c for c in cases if c.id in choose]
        n_choose += len(cases)
        ranker = ConsensusRanker(hpo_f)
        genes = ranker.genes
        left_out = hpo_f.excluded_pmids
        newest = np.array([max(pmids.get(g, set()) - left_out, default=0) for g in genes], dtype=float)
        n_pmids = np.array([len(pmids.get(g, set()) - left_out) for g in genes], dtype=float)
        ranks = ranker.gene_ranks(cases)
        for case, row in zip(cases, ranks):
            top = np.argsort(row, kind="stable")[: args.top]
            at = [i for i, j in enumerate(top) if genes[j] in case.genes]
            if at:
                rows["seen gene" if any(g in seen_genes for g in case.genes) else "unseen gene"].append((at[0], newest[top], n_pmids[top]))

    def percentile(values: np.ndarray, i: int) -> float:
        return float(np.mean(values < values[i]) + 0.5 * np.mean(values == values[i]))

    print(f"\nChoose part: {n_choose} cases; those whose causal gene is among the consensus's best {args.top}, by subset\n")
    print("| subset | n | consensus first | most recently curated candidate | causal gene's percentile: newest citing PMID | "
          "number of citing PMIDs |\n|---|---|---|---|---|---|")
    for name, got in rows.items():
        if not got:
            continue
        print(f"| {name} | {len(got)} | {np.mean([i == 0 for i, _, _ in got]):.3f} | {np.mean([int(np.argmax(nw)) == i for i, nw, _ in got]):.3f} | "
              f"{np.mean([percentile(nw, i) for i, nw, _ in got]):.3f} | {np.mean([percentile(n, i) for i, _, n in got]):.3f} |")
    print("\n(percentile 0.5: no signal; a candidate list's ties count half)")


if __name__ == "__main__":
    main()
