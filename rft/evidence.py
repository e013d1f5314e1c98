"""Why a gene ranks where it does: a classical ranker's own computation, term by term.

    from rft.evidence import explain, explaining_ranker
    ev = explain(hpo, case, "SCN1A")          # the similarity ranker's view; or ranker=LikelihoodRatioRanker(hpo)
    ev = explain(hpo, case, gene, ranker=explaining_ranker(ranker, hpo))   # the view of what ranked the list
    ev.best_disease                           # (id, name): the gene's disease the ranker scored it by
    for m in ev.present:                      # one per present term
        print(m.patient_term, m.gene_term, m.common_ancestor, round(m.ic, 2), m.exact, m.log_lr)
    ev.score                                  # the ranker's score for the gene (see `Evidence.method`)
    ev.excluded                               # absent terms the best disease is annotated with

`explain` reads the very matrices the ranker scores with (`rft.rankers.matrices`): the same annotation
closure, the same information content (computed over the scored diseases), the same most informative common
ancestor (MICA) per term, and the same best disease (the highest-scoring of the gene's diseases, as
`score_matrix` takes it). So `ev.score` equals the ranker's score of the gene: for the `SimilarityRanker` its
one-sided score, the mean IC of the matches; for the `LikelihoodRatioRanker` the sum of each term's log
likelihood ratio (`TermMatch.log_lr`).

A fused ranking (a model folder's `"hybrid"`) is explained by its classical partner: the model's own scores
have no term-by-term reading, and the partner is half of the ranking (`explaining_ranker`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker
    from rft.rankers.matrices import OntologyMatrices

__all__ = ["Evidence", "TermMatch", "explain", "explaining_ranker", "ranker_method"]

ExplainableRanker = SimilarityRanker | LikelihoodRatioRanker


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
    log_lr: float | None = None  # the likelihood ranker's log likelihood ratio for this term (None: not counted)


@dataclass
class Evidence:
    gene: str
    present: list[TermMatch] = field(default_factory=list)
    excluded: list[TermMatch] = field(default_factory=list)
    diseases: list[tuple[str, str]] = field(default_factory=list)
    best_disease: tuple[str, str] | None = None  # the disease the gene was scored by (level="disease")
    score: float = 0.0  # the ranker's score of the gene: similarity, mean IC of the matches; likelihood, sum of log LR
    excluded_counted: bool = False  # does the ranker count excluded terms against the gene?
    method: str = "similarity"  # the ranker explained: "similarity" or "likelihood"


def ranker_method(ranker: ExplainableRanker) -> str:
    """What a classical ranker computes, as `Evidence.method` names it: "likelihood" or "similarity"."""
    return "likelihood" if isinstance(ranker, LikelihoodRatioRanker) else "similarity"


def explaining_ranker(ranker: Ranker, hpo: Hpo) -> ExplainableRanker:
    """The classical ranker whose computation explains `ranker`'s list: the ranker itself when it is one, a
    fusion's classical partner, else (a model alone: its scores have no term-by-term reading) the similarity ranker."""
    for candidate in (ranker, getattr(ranker, "classical", None)):
        if isinstance(candidate, (SimilarityRanker, LikelihoodRatioRanker)):
            return candidate
    return SimilarityRanker(hpo)


def explain(hpo: Hpo, case: Case, gene: str, ranker: ExplainableRanker | None = None, level: str = "disease") -> Evidence:
    """Term-by-term evidence for `gene` in `case`, as `ranker` (default: `SimilarityRanker(hpo, level=level)`;
    or a `LikelihoodRatioRanker`) scores it.

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
    method = ranker_method(ranker)
    likelihood = method == "likelihood"
    counted = ranker.use_excluded if likelihood else bool(ranker.excluded_weight)
    ev = Evidence(symbol, diseases=hpo.diseases(symbol), excluded_counted=counted, method=method)
    if ranker.level == "disease":
        ev.best_disease = (name, hpo.disease_names.get(name, name))
    annotated = m.entity_terms[name]
    closure = {m.terms[int(a)] for a in m.closure[best].nonzero()[1]}  # the best entity's annotation closure

    def match(term: str, shared: str | None, exact: bool, log_lr: float | None) -> TermMatch:
        via = _most_specific_under(hpo, m, annotated, shared) if shared else None
        return TermMatch(term, hpo.label(term), via, hpo.label(via) if via else None, shared, hpo.label(shared) if shared else None,
                         float(m.ic[m.term_index[shared]]) if shared else 0.0, exact, annotated.get(via) if via else None, log_lr)

    for q in case.present:
        if q not in m.term_index:
            continue
        qi = m.term_index[q]
        mica = int(m.mica(qi)[0][best])
        ic = float(m.ic[mica]) if mica >= 0 else 0.0
        shared = None  # a root every entity shares (IC 0) is no match
        if likelihood:  # f(q|g) / b(q) when q is in the closure, else via the MICA, penalised
            shared = m.terms[mica] if ic > 0 else None
            ev.present.append(match(q, shared, mica == qi, float(ranker.term_log_lr(qi)[best])))
            continue
        if ic > 0:  # of the ancestors as informative as the ranker's MICA, show the deepest (the score is the same)
            tied = [a for a in hpo.ancestors(q, include_self=True) if a in closure and float(m.ic[m.term_index[a]]) == ic]
            shared = max(tied, key=lambda a: (len(hpo.ancestors(a)), a))
        ev.present.append(match(q, shared, shared == q, None))
    # With the likelihood ranker counting them, every excluded term it knows counts, annotated or not (1 / (1 - b(e)) when not).
    excluded_lr = {e: float(ranker.excluded_log_lr(m.term_index[e])[best]) for e in case.excluded if e in m.term_index} if likelihood and ranker.use_excluded else {}
    for e in case.excluded:
        if e in closure:
            ev.excluded.append(match(e, e, True, excluded_lr.get(e)))
    if likelihood:
        ev.score = sum((t.log_lr for t in ev.present), 0.0) + sum((excluded_lr[e] for e in case.excluded if e in excluded_lr), 0.0)
        ev.present.sort(key=lambda t: -t.log_lr)
    else:
        ev.score = float(np.mean([t.ic for t in ev.present])) if ev.present else 0.0  # the mean IC of the matches
        ev.present.sort(key=lambda t: -t.ic)
    return ev


def _most_specific_under(hpo: Hpo, m: OntologyMatrices, annotated: dict, term: str) -> str | None:
    """The entity's annotated term at or under `term` with the highest IC (then the deepest)."""
    under = [t for t in annotated if t == term or term in hpo.ancestors(t)]
    return max(under, key=lambda t: (float(m.ic[m.term_index[t]]), len(hpo.ancestors(t)), t)) if under else None
