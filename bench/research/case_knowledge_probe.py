"""Does matching a patient to the training cases themselves (case knowledge) give what RFT gives on seen genes?

    python bench/research/case_knowledge_probe.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip                                             # ~2 min

RFT tuned on the dev cases puts genes those cases name first far more often than any lookup (bench/window.py,
report part, seen genes: RFT alone top-1 0.490, the likelihood ranker 0.351). If what it learned were each
gene's patient profile, the explicit version would do as well: the classical rankers with the dev cases as
knowledge (`rft.case_knowledge`: each gene's cases one more annotated entry). Genome-wide, on the report part of
bench/window.py's split, each case at the leave-publication-out KB (its own paper's annotations left out; no
dev case shares a paper with the window): top-1 and MRR by subset, with and without the dev cases as knowledge.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the window's fold generator
from window import leave_publication_out

from ontology import load_hpo
from rft.case_knowledge import with_case_reports
from rft.cases import load_cases
from rft.grader import rank_of
from rft.prospective import case_facts
from rft.registry import load_ranker
from rft.splits import split_by_publication

SUBSETS = {"all": lambda f: True, "seen gene": lambda f: f.gene_in_kb and f.seen, "unseen gene (in KB)": lambda f: f.gene_in_kb and not f.seen}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the cases the model was tuned on (the dev zip): the knowledge")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--rankers", nargs="+", default=["likelihood", "consensus"])
    args = ap.parse_args()
    hpo = load_hpo()
    window = load_cases(args.window, hpo, require_gene=True).cases
    train = load_cases(args.train, hpo, require_gene=True).cases
    seen = {g for c in train for g in c.genes}
    report = set(split_by_publication(window, valid_fraction=0.5, seed=0)["valid"])
    ranks: dict[str, dict[str, tuple]] = {}
    for _, cases, hpo_f in leave_publication_out(window, hpo, 5, 0):
        facts = case_facts(cases, hpo_f, seen)
        kb = with_case_reports(hpo_f, train)
        for name in args.rankers:
            for label, k in ((name, hpo_f), (f"{name} + dev cases", kb)):
                for c, r in zip(cases, load_ranker(name, k).rank(cases, top=None)):
                    if c.id in report:
                        ranks.setdefault(label, {})[c.id] = (rank_of(r.symbols, c.genes), facts[c.id])
    print(f"Report part: {len(report)} cases; KB {hpo.version} leave-publication-out; knowledge: {len(train)} dev cases\n")
    print("| ranker | " + " | ".join(f"{s}: top-1 / MRR" for s in SUBSETS) + " |\n|---|" + "---|" * len(SUBSETS))
    for label, d in ranks.items():
        cells = []
        for keep in SUBSETS.values():
            rs = [r for r, f in d.values() if keep(f)]
            cells.append(f"{np.mean([r == 1 for r in rs]):.3f} / {np.mean([1 / r if r else 0.0 for r in rs]):.3f} (n={len(rs)})")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
