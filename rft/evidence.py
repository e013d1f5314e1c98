"""Why a gene ranks where it does: per patient term, the gene annotation it matches and how specifically.

    from rft.evidence import explain
    ev = explain(hpo, case, "SCN1A")
    for m in ev.present:   # one per present term
        print(m.patient_term, m.gene_term, m.common_ancestor, round(m.ic, 2), m.exact)
    ev.excluded            # absent terms the gene is annotated with: they count against it
    ev.diseases            # [(disease id, name), ...] behind the gene's annotations
    ev.best_disease        # (id, name) of the disease the terms were matched against (level="disease")

A match runs through the most informative common ancestor (MICA) of the patient term and the gene's
annotated terms, the quantity the similarity ranker averages (Resnik). `exact` is true when the gene is
annotated with the patient term itself or a more specific one. With level="disease" (the default, as in the
shipped rankers) the matches run against the gene's best-matching disease (highest Resnik best-match average);
with level="gene", against the gene's annotations merged over its diseases. IC is `hpo.ic` (over genes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["TermMatch", "Evidence", "explain"]


@dataclass(frozen=True)
class TermMatch:
    """How one patient term meets a gene's annotations."""

    patient_term: str
    patient_label: str
    gene_term: str | None  # the annotated term the match runs through (None: nothing below the root)
    gene_label: str | None
    common_ancestor: str | None
    common_label: str | None
    ic: float  # information content of the common ancestor
    exact: bool  # gene annotated with the patient term itself or a descendant
    frequency: float | None = None  # annotated frequency of `gene_term`, when given


@dataclass
class Evidence:
    gene: str
    present: list[TermMatch] = field(default_factory=list)
    excluded: list[TermMatch] = field(default_factory=list)
    diseases: list[tuple[str, str]] = field(default_factory=list)
    best_disease: tuple[str, str] | None = None  # the disease matched against, at level="disease"


def _best_under(hpo: Hpo, gene_terms: dict, term: str) -> str | None:
    """The gene's most specific annotated term at or under `term`."""
    under = [t for t in gene_terms if term == t or term in hpo.ancestors(t)]
    return max(under, key=lambda t: _specificity(hpo, t)) if under else None


def _specificity(hpo: Hpo, term: str) -> tuple[float, int, str]:
    """IC first; at equal IC the deeper term (more ancestors) is the more specific one."""
    return (hpo.ic.get(term, 0.0), len(hpo.ancestors(term)), term)


def _resnik_bma(hpo: Hpo, present: list[str], closure: set[str]) -> float:
    return sum(max((hpo.ic.get(a, 0.0) for a in hpo.ancestors(q, include_self=True) if a in closure), default=0.0) for q in present)


def explain(hpo: Hpo, case: Case, gene: str, level: str = "disease") -> Evidence:
    """Term-by-term evidence for `gene` in `case`.

    Args:
        level: "disease" matches against the gene's best-matching disease, "gene" against all its annotations.

    Raises:
        ValueError: the gene has no phenotype annotation in this HPO release, or `level` is unknown.
    """
    if level not in ("gene", "disease"):
        raise ValueError(f"level must be one of gene, disease, got {level!r}")
    symbol = hpo.canonical_gene(gene)
    if symbol is None:
        raise ValueError(f"gene {gene!r} has no phenotype annotation in HPO {hpo.version}")
    gene_terms = hpo.gene_terms[symbol]
    closure = {a for t in gene_terms for a in hpo.ancestors(t, include_self=True)}
    ev = Evidence(symbol, diseases=hpo.diseases(symbol))
    own = [d for d in sorted(hpo.gene_diseases.get(symbol, ())) if d in hpo.disease_terms]
    if level == "disease" and own:
        present = [q for q in case.present if q in hpo.terms]
        closures = {d: {a for t in hpo.disease_terms[d] for a in hpo.ancestors(t, include_self=True)} for d in own}
        best = max(own, key=lambda d: _resnik_bma(hpo, present, closures[d]))  # first by id on ties
        gene_terms, closure = hpo.disease_terms[best], closures[best]
        ev.best_disease = (best, hpo.disease_names.get(best, best))
    for q in case.present:
        if q not in hpo.terms:
            continue
        # A common ancestor every gene shares (IC 0, e.g. Phenotypic abnormality) is no match at all.
        shared = [a for a in hpo.ancestors(q, include_self=True) if a in closure and hpo.ic.get(a, 0.0) > 0]
        mica = max(shared, key=lambda a: _specificity(hpo, a)) if shared else None
        via = _best_under(hpo, gene_terms, mica) if mica else None
        ev.present.append(
            TermMatch(
                q, hpo.label(q), via, hpo.label(via) if via else None, mica, hpo.label(mica) if mica else None,
                float(hpo.ic.get(mica, 0.0)) if mica else 0.0, mica == q, gene_terms.get(via) if via else None,
            )
        )
    for e in case.excluded:
        if e in closure:
            via = _best_under(hpo, gene_terms, e)
            ev.excluded.append(
                TermMatch(e, hpo.label(e), via, hpo.label(via) if via else None, e, hpo.label(e), float(hpo.ic.get(e, 0.0)), True, gene_terms.get(via) if via else None)
            )
    ev.present.sort(key=lambda m: -m.ic)
    return ev
