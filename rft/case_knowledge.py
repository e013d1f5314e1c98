"""Curated case reports as knowledge: each gene's solved patients become one more annotated "disease" of that gene.

    from rft.case_knowledge import with_case_reports
    kb = with_case_reports(hpo, cases)                       # every ranker now also matches patients to these cases
    kb = with_case_reports(hpo, cases, leave_out={"PMID_1"}) # as a patient of PMID_1 would meet it

HPO annotates a gene only once a disease entry cites it; a lab's (or phenopacket-store's) solved cases often name
genes HPO has not curated yet, and describe known genes more fully than their disease entries. Here the cases of
gene g form the entry `CASES:g`, "published cases of g", whose terms are the present terms of g's patients with
frequency = the share of those patients showing the term (an unreported term is not evidence of absence, so
excluded terms are not used). The classical rankers, the model's knowledge head and the evidence view then read
it like any other disease of g: a patient resembling those cases ranks g high even when HPO does not annotate g,
and the evidence names the cases' papers.

Leave-publication-out (`leave_out`) matters as much here as for HPO's own annotations: a patient must never be
matched against the cases of its own paper.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rft.splits import publication_of

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = [
    "CASE_KNOWLEDGE_ENV", "CASE_PREFIX", "case_annotations", "case_knowledge_paths", "knowledge_source", "load_case_knowledge",
    "read_case_knowledge", "with_case_reports",
]

CASE_PREFIX = "CASES:"  # the disease id of a gene's cases: CASES:<gene>


def case_annotations(hpo: Hpo, cases: Iterable[Case], leave_out: Collection[str] = ()) -> tuple[dict, dict, dict]:
    """(disease_terms, disease_genes, disease_names) of the `CASES:<gene>` entries for `Hpo.with_annotations`.

    A case counts for each of its genes (in the KB's spelling where the KB has the gene); cases of a publication
    in `leave_out` (`rft.splits.publication_of`) and cases without a gene are skipped; terms outside the release
    are dropped by `Hpo.with_annotations`.

    >>> from rft.cases import Case
    >>> from types import SimpleNamespace
    >>> kb = SimpleNamespace(canonical_gene=lambda s: None)
    >>> cases = [Case("PMID_1_a", ("HP:1", "HP:2"), genes=("G",)), Case("PMID_2_b", ("HP:1",), genes=("G",))]
    >>> terms, genes, names = case_annotations(kb, cases)
    >>> terms["CASES:G"], genes["CASES:G"], names["CASES:G"]
    ({'HP:1': 1.0, 'HP:2': 0.5}, 'G', 'published cases of G: 2 patients in PMID:1, PMID:2')
    """
    leave_out = set(leave_out)
    by_gene: dict[str, list[Case]] = {}
    for case in cases:
        if publication_of(case.id) in leave_out:
            continue
        for symbol in dict.fromkeys(case.genes):
            by_gene.setdefault(hpo.canonical_gene(symbol) or symbol, []).append(case)
    disease_terms, disease_genes, disease_names = {}, {}, {}
    for gene, patients in sorted(by_gene.items()):
        counts: dict[str, int] = {}
        for case in patients:
            for t in set(case.present):
                counts[t] = counts.get(t, 0) + 1
        if not counts:
            continue
        d = CASE_PREFIX + gene
        disease_terms[d] = {t: n / len(patients) for t, n in sorted(counts.items())}
        disease_genes[d] = gene
        papers = sorted({publication_of(c.id).replace("PMID_", "PMID:") for c in patients})
        more = f" and {len(papers) - 3} more" if len(papers) > 3 else ""
        disease_names[d] = f"published cases of {gene}: {len(patients)} patient{'s' * (len(patients) != 1)} in {', '.join(papers[:3])}{more}"
    return disease_terms, disease_genes, disease_names


def with_case_reports(hpo: Hpo, cases: Iterable[Case], leave_out: Collection[str] = (), source: str = "case reports") -> Hpo:
    """`hpo` plus one `CASES:<gene>` entry per gene of `cases` (see the module docstring); `hpo` is unchanged."""
    leave_out = set(leave_out)
    used = [c for c in cases if c.genes and publication_of(c.id) not in leave_out]
    terms, genes, names = case_annotations(hpo, used)
    return hpo.with_annotations(terms, genes, names, f"{source}: {len(used)} cases, {len(terms)} genes")


CASE_KNOWLEDGE_ENV = "RFT_CASE_KNOWLEDGE"  # the app's case knowledge: paths joined by os.pathsep


def read_case_knowledge(paths: Sequence[str | Path], hpo: Hpo) -> list[Case]:
    """The solved cases of phenopacket zips/folders, JSONL or CSV files (`rft.cases.load_cases`, with its bounds;
    cases without a causal gene are skipped).

    Raises:
        ValueError: a path is missing or holds no case with a gene.
    """
    from rft.cases import load_cases

    cases = []
    for path in paths:
        if not Path(path).exists():
            raise ValueError(f"case knowledge {str(path)!r} does not exist (give a phenopacket zip or folder, JSONL or CSV)")
        batch = load_cases(path, hpo, require_gene=True)
        if not batch.cases:
            raise ValueError(f"case knowledge {str(path)!r} holds no usable case with a causal gene ({len(batch.problems)} problems)")
        cases += batch.cases
    return cases


def knowledge_source(paths: Sequence[str | Path]) -> str:
    """What `Hpo.extra_sources` calls the case knowledge of `paths`."""
    return "case reports from " + ", ".join(Path(p).name for p in paths)


def load_case_knowledge(paths: Sequence[str | Path], hpo: Hpo, leave_out: Collection[str] = ()) -> Hpo:
    """`hpo` plus the solved cases of `paths` (`read_case_knowledge`); `.knowledge` says what was added. Cases of
    publications in `leave_out` are skipped: `rft eval` leaves out the evaluated cases' own papers.

    Raises:
        ValueError: a path is missing or holds no case with a gene.
    """
    return with_case_reports(hpo, read_case_knowledge(paths, hpo), leave_out, source=knowledge_source(paths))


def case_knowledge_paths(value: str | None = None) -> list[str]:
    """The paths of `value` (default: `$RFT_CASE_KNOWLEDGE`), split on os.pathsep; [] when unset."""
    value = os.environ.get(CASE_KNOWLEDGE_ENV, "") if value is None else value
    return [p for p in value.split(os.pathsep) if p.strip()]
