"""Why a gene ranks where it does: the similarity ranker's own computation, term by term.

    from rft.evidence import explain
    ev = explain(hpo, case, "SCN1A")          # or explain(hpo, case, gene, ranker=SimilarityRanker(hpo, ...))
    ev.best_disease                           # (id, name): the gene's disease the ranker scored it by
    for m in ev.present:                      # one per present term
        print(m.patient_term, m.gene_term, m.common_ancestor, round(m.ic, 2), m.exact)
    ev.score                                  # mean of the matches' IC: the ranker's score for the gene
    ev.excluded                               # absent terms the best disease is annotated with

`explain` reads the very matrices the `SimilarityRanker` scores with (`rft.rankers.matrices`): the same
annotation closure, the same information content (computed over the scored diseases), the same most
informative common ancestor (MICA) per term, and the same best disease (the highest-scoring of the gene's
diseases, as `score_matrix` takes it). So `ev.score` equals the ranker's one-sided score of the gene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.matrices import OntologyMatrices

__all__ = ["TermMatch", "Evidence", "explain"]


@dataclass(frozen=True)
class TermMatch:
    """How one patient term meets the annotations the gene was scored by."""

    patient_term: str
    patient_label: str
    gene_term: str | None  # the most specific annotated term under the common ancestor (None: nothing shared)
    gene_label: str | None
    common_ancestor: str | None
    common_label: str | None
    ic: float  # information content of the common ancestor, as the ranker computes it
    exact: bool  # annotated with the patient term itself or a more specific one
    frequency: float | None = None  # annotated frequency of `gene_term`, when given


@dataclass
class Evidence:
    gene: str
    present: list[TermMatch] = field(default_factory=list)
    excluded: list[TermMatch] = field(default_factory=list)
    diseases: list[tuple[str, str]] = field(default_factory=list)
    best_disease: tuple[str, str] | None = None  # the disease the gene was scored by (level="disease")
    score: float = 0.0  # mean IC over the present terms the ranker knows: its one-sided score
    excluded_counted: bool = False  # does the ranker count excluded terms against the gene?


def explain(hpo: Hpo, case: Case, gene: str, ranker: SimilarityRanker | None = None, level: str = "disease") -> Evidence:
    """Term-by-term evidence for `gene` in `case`, as `ranker` (default: `SimilarityRanker(hpo, level=level)`) scores it.

    Raises:
        ValueError: the gene has no phenotype annotation in this HPO release, or `level` is unknown.
    """
    ranker = ranker or SimilarityRanker(hpo, level=level)
    m = ranker.m
    symbol = hpo.canonical_gene(gene)
    if symbol is None or symbol not in m.gene_index:
        raise ValueError(f"gene {gene!r} has no phenotype annotation in HPO {hpo.version}")
    entities = m.entities_of(symbol)
    scores = ranker.entity_score_matrix([case])[0][entities]
    best = int(entities[int(np.argmax(scores))])  # the first of equals, as np.maximum.reduceat keeps the value
    name = m.entities[best]
    annotated = m.entity_terms[name]
    ev = Evidence(symbol, diseases=hpo.diseases(symbol), excluded_counted=bool(ranker.excluded_weight))
    if ranker.level == "disease":
        ev.best_disease = (name, hpo.disease_names.get(name, name))
    closure = {m.terms[int(a)] for a in m.closure[best].nonzero()[1]}  # the best entity's annotation closure
    ics = []
    for q in case.present:
        if q not in m.term_index:
            continue
        mica = int(m.mica(m.term_index[q])[0][best])
        ic = float(m.ic[mica]) if mica >= 0 else 0.0
        ics.append(ic)
        shared = None  # a root every entity shares (IC 0) is no match
        if ic > 0:  # of the ancestors as informative as the ranker's MICA, show the deepest (the score is the same)
            tied = [a for a in hpo.ancestors(q, include_self=True) if a in closure and float(m.ic[m.term_index[a]]) == ic]
            shared = max(tied, key=lambda a: (len(hpo.ancestors(a)), a))
        via = _most_specific_under(hpo, m, annotated, shared) if shared else None
        ev.present.append(
            TermMatch(q, hpo.label(q), via, hpo.label(via) if via else None, shared, hpo.label(shared) if shared else None,
                      ic if shared else 0.0, shared == q, annotated.get(via) if via else None)
        )
    ev.score = float(np.mean(ics)) if ics else 0.0
    for e in case.excluded:
        if e in closure:
            via = _most_specific_under(hpo, m, annotated, e)
            ev.excluded.append(
                TermMatch(e, hpo.label(e), via, hpo.label(via) if via else None, e, hpo.label(e), float(m.ic[m.term_index[e]]), True,
                          annotated.get(via) if via else None)
            )
    ev.present.sort(key=lambda t: -t.ic)
    return ev


def _most_specific_under(hpo: Hpo, m: OntologyMatrices, annotated: dict, term: str) -> str | None:
    """The entity's annotated term at or under `term` with the highest IC (then the deepest)."""
    under = [t for t in annotated if t == term or term in hpo.ancestors(t)]
    return max(under, key=lambda t: (float(m.ic[m.term_index[t]]), len(hpo.ancestors(t)), t)) if under else None
