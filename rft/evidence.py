"""Why a gene ranks where it does: a classical ranker's own computation, term by term.

    from rft.evidence import explain, explaining_ranker
    ev = explain(hpo, case, "SCN1A")          # the similarity ranker's view; or ranker=LikelihoodRatioRanker(hpo)
    ev = explain(hpo, case, gene, ranker=explaining_ranker(ranker, hpo))   # the view of what ranked the list
    explained_counts(hpo, case, genes, ranker)  # {gene: (k, n)}: a table's "explains" column, one case score for all genes
    ev.best_disease                           # (id, name): the gene's disease the ranker scored it by
    for m in ev.present:                      # one per present term
        print(m.patient_term, m.gene_term, m.how, m.contribution)
    ev.score                                  # the ranker's score for the gene: the contributions plus `ev.parts`
    ev.excluded                               # absent terms the best disease is annotated with

`explain` reads the very matrices the ranker scores with (`rft.rankers.matrices`): the same annotation
closure, the same information content (computed over the scored diseases), the same most informative common
ancestor (MICA) per term, and the same best disease (the highest-scoring of the gene's diseases, as
`score_matrix` takes it). So `ev.score` equals the ranker's score of the gene, and each term's `contribution`
(plus `ev.parts`, the similarity ranker's tie-break) adds up to it: for the `SimilarityRanker` a term adds
its match's IC / the number of terms; for the `LikelihoodRatioRanker` its log likelihood ratio (`TermMatch.log_lr`),
an unexplained term the floor's penalty, and an excluded term, when counted, its own ratio. A term the gene has
nothing for never adds a positive number.

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
    from collections.abc import Sequence

    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker
    from rft.rankers.matrices import OntologyMatrices

__all__ = ["Evidence", "TermMatch", "explain", "explained_counts", "explaining_ranker", "ranker_method"]

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
    contribution: float | None = None  # what this term adds to the gene's score (None: the ranker does not count it)
    how: str = ""  # the kind of match, in words: annotated, related (penalised), unexplained (penalty), absent ...
    background: float | None = None  # the likelihood ranker's background frequency b of the term it matched by


@dataclass
class Evidence:
    gene: str
    present: list[TermMatch] = field(default_factory=list)
    excluded: list[TermMatch] = field(default_factory=list)
    diseases: list[tuple[str, str]] = field(default_factory=list)
    best_disease: tuple[str, str] | None = None  # the disease the gene was scored by (level="disease")
    score: float = 0.0  # the ranker's score of the gene: the sum of the terms' contributions and `parts`
    parts: list[tuple[str, float]] = field(default_factory=list)  # what adds to the score besides the terms (a tie-break)
    excluded_counted: bool = False  # does the ranker count excluded terms against the gene?
    method: str = "similarity"  # the ranker explained: "similarity" or "likelihood"


def ranker_method(ranker: ExplainableRanker) -> str:
    """What a classical ranker computes, as `Evidence.method` names it: "likelihood" or "similarity"."""
    return "likelihood" if isinstance(ranker, LikelihoodRatioRanker) else "similarity"


def explaining_ranker(ranker: Ranker, hpo: Hpo) -> ExplainableRanker:
    """The classical ranker whose computation explains `ranker`'s list: the ranker itself when it is one, a
    fusion's classical partner (a consensus partner: the part it names, `explained_by`), else (a model alone: its
    scores have no term-by-term reading) the similarity ranker."""
    for candidate in (ranker, getattr(ranker, "classical", None)):
        candidate = getattr(candidate, "explained_by", candidate)
        if isinstance(candidate, (SimilarityRanker, LikelihoodRatioRanker)):
            return candidate
    return SimilarityRanker(hpo)


def explain(hpo: Hpo, case: Case, gene: str, ranker: ExplainableRanker | None = None, level: str = "disease") -> Evidence:
    """Term-by-term evidence for `gene` in `case`, as `ranker` (default: `SimilarityRanker(hpo, level=level)`;
    or a `LikelihoodRatioRanker`) scores it: every counted term's `contribution`, plus `Evidence.parts` (the
    similarity ranker's tie-break), add up to `Evidence.score`, the ranker's score of the gene.

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

    def match(term: str, shared: str | None, exact: bool, contribution: float | None, how: str, frequency: float | None = None,
              log_lr: float | None = None, background: float | None = None) -> TermMatch:
        via = _most_specific_under(hpo, m, annotated, shared) if shared else None
        if frequency is None and via:
            frequency = annotated.get(via)
        return TermMatch(term, hpo.label(term), via, hpo.label(via) if via else None, shared, hpo.label(shared) if shared else None,
                         float(m.ic[m.term_index[shared]]) if shared else 0.0, exact, frequency, log_lr, contribution, how, background)

    known = [q for q in case.present if q in m.term_index]
    for q in known:
        qi = m.term_index[q]
        mica = int(m.mica(qi)[0][best])
        ic = float(m.ic[mica]) if mica >= 0 else 0.0
        if likelihood:  # f(q|g) / b(q) when q is in the closure, else via the MICA, penalised; the floor below all
            found, exact, f, b = (float(x[best]) for x in ranker.term_match(qi))
            log_lr = float(ranker.term_log_lr(qi)[best])
            floored = log_lr <= float(np.log(ranker.floor)) + 1e-12
            if not found or floored:
                how = "unexplained: the disease has nothing like it (penalty)"
            elif exact:
                how = "annotated"
            else:
                how = f"related, via {hpo.label(m.terms[mica])}: the disease has only a relative (×{ranker.partial_penalty:g} penalty)"
            shared = m.terms[mica] if ic > 0 else None
            ev.present.append(match(q, shared, bool(exact), log_lr, how, f if found else None, log_lr, b))
            continue
        shared = None  # a root every entity shares (IC 0) is no match
        if ic > 0:  # of the ancestors as informative as the ranker's MICA, show the deepest (the score is the same)
            tied = [a for a in hpo.ancestors(q, include_self=True) if a in closure and float(m.ic[m.term_index[a]]) == ic]
            shared = max(tied, key=lambda a: (len(hpo.ancestors(a)), a))
        how = "annotated" if shared == q else f"shared ancestor only ({hpo.label(shared)})" if shared else "unexplained: nothing shared"
        share = 0.5 if ranker.symmetric else 1.0  # symmetric: the two directions averaged
        ev.present.append(match(q, shared, shared == q, share * ic / len(known), how))
    if likelihood:
        # Counted, every excluded term the ranker knows counts, annotated or not (1 / (1 - b(e)) when not).
        for e in case.excluded:
            if e not in m.term_index:
                continue
            if ranker.use_excluded:
                lr = float(ranker.excluded_log_lr(m.term_index[e])[best])
                how = "absent, yet the disease has it (counts against)" if e in closure else "absent, and the disease lacks it"
                ev.excluded.append(match(e, e if e in closure else None, e in closure, lr, how, log_lr=lr))
            elif e in closure:
                ev.excluded.append(match(e, e, True, None, "absent, yet the disease has it (not counted by this ranker)"))
        ev.present.sort(key=lambda t: -t.contribution)
    else:
        excluded = [e for e in case.excluded if e in m.term_index]
        for e in excluded:
            if e in closure:
                penalty = -ranker.excluded_weight * float(m.ic[m.term_index[e]]) / len(excluded) if counted else None
                ev.excluded.append(match(e, e, True, penalty, "absent, yet the disease has it" + (" (counts against)" if counted else " (not counted by this ranker)")))
        ev.present.sort(key=lambda t: -t.contribution)
        if known and (ranker.symmetric or ranker.tie_break):
            weight = 0.5 if ranker.symmetric else ranker.tie_break
            reverse = float(ranker.reverse_scores([m.term_index[q] for q in known])[best])
            ev.parts.append(("how much of the disease's own annotations the patient covers" + (" (tie-break)" if not ranker.symmetric else ""), weight * reverse))
    ev.score = float(scores.max())
    return ev


def explained_counts(hpo: Hpo, case: Case, genes: Sequence[str], ranker: ExplainableRanker | None = None,
                     level: str = "disease") -> dict[str, tuple[int, int]]:
    """Per gene, (k, n): of the case's n present terms the ranker knows, the k its best disease is annotated with
    (or with a more specific term), i.e. `sum(t.exact for t in ev.present), len(ev.present)` of `explain`, for many
    genes at the cost of one case score instead of one per gene. Genes this release does not annotate are left out."""
    ranker = ranker or SimilarityRanker(hpo, level=level)
    m = ranker.m
    known = [m.term_index[q] for q in case.present if q in m.term_index]
    scores = ranker.entity_score_matrix([case])[0]
    # exact: the term itself in the entity's closure, which is when its MICA is the term (`OntologyMatrices.mica`
    # puts q first among equals); the similarity ranker also needs an informative term (IC 0 is no match).
    likelihood = ranker_method(ranker) == "likelihood"
    exact = np.array([(m.mica(q)[0] == q) & (likelihood or float(m.ic[q]) > 0) for q in known], dtype=bool).reshape(len(known), -1)
    out: dict[str, tuple[int, int]] = {}
    for gene in genes:
        symbol = hpo.canonical_gene(gene)
        if symbol is None or symbol not in m.gene_index:
            continue
        entities = m.entities_of(symbol)
        best = int(entities[int(np.argmax(scores[entities]))])  # as `explain` picks it
        out[gene] = (int(exact[:, best].sum()) if known else 0, len(known))
    return out


def _most_specific_under(hpo: Hpo, m: OntologyMatrices, annotated: dict, term: str) -> str | None:
    """The entity's annotated term at or under `term` with the highest IC (then the deepest)."""
    under = [t for t in annotated if t == term or term in hpo.ancestors(t)]
    return max(under, key=lambda t: (float(m.ic[m.term_index[t]]), len(hpo.ancestors(t)), t)) if under else None
