"""Phenomizer-style semantic similarity ranker: Resnik similarity, best-match average, over every gene.

    from rft.rankers import SimilarityRanker
    ranker = SimilarityRanker(hpo)
    [ranking] = ranker.rank([case], top=10)

Resnik similarity of two terms is the information content (IC) of their most informative common ancestor.
For a patient term q and an annotated entity g (a disease, or a gene with its diseases' annotations merged),
the best match is max over g's annotated terms a of sim(q, a): the largest IC among the ancestors of q
(q included) that lie in g's *annotation closure* (its terms and all their ancestors). The score of g is

    score(g) = mean_q best(q, g)                                (patient -> g, "one-sided")
             + tie_break * mean_a best(a, patient)              (g -> patient, only to order ties)
             [the two directions averaged instead, when symmetric=True]
             - excluded_weight * mean_e IC(e) * [e in g's annotation closure]

and at the default level="disease" a gene takes the best score of its diseases. Excluded terms, when
weighted, count against a gene annotated with them (or one of their descendants). Everything is vectorised
over a sparse entity x term closure matrix: all ~5,000 genes (~8,900 diseases) in ~25 ms per case here.
`rft.evidence.explain` shows, term by term, where a gene's score comes from.
`bench/bench_rankers.py` measures the variants; the defaults are what won there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rft.rankers.base import Ranking, rank_by_scores
from rft.rankers.matrices import ontology_matrices

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["SimilarityRanker"]


class SimilarityRanker:
    """Resnik best-match-average ranker over every annotated gene (see the module docstring).

    Args:
        hpo: the ontology and annotations.
        level: "disease" scores each disease's annotations and gives a gene its best disease; "gene" scores
            each gene's annotations merged over its diseases.
        symmetric: average the patient->gene and gene->patient directions (False: patient->gene only).
        tie_break: weight of the gene->patient direction added to break ties of the one-sided score (many
            genes match every patient term equally well; the one whose own annotations the patient covers
            best goes first). Small enough never to reorder genes whose one-sided scores differ.
        excluded_weight: how much an excluded term annotated to a gene counts against it (0 ignores them).
    """

    def __init__(
        self,
        hpo: Hpo,
        level: str = "disease",
        symmetric: bool = False,
        tie_break: float = 1e-4,
        excluded_weight: float = 0.0,
        name: str = "similarity",
    ):
        self.hpo = hpo
        self.m = ontology_matrices(hpo, level)
        self.level = level
        self.symmetric = symmetric
        self.tie_break = tie_break
        self.excluded_weight = excluded_weight
        self.name = name
        self.score_meaning = ("mean information content of each patient term's best match in the annotations of the "
                              + ("gene's best-matching disease" if level == "disease" else "gene") + " (higher: more specific shared signs)")

    @property
    def genes(self) -> list[str]:
        return self.m.genes

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        idx = self.m.term_index
        return [idx[t] for t in terms if t in idx]

    def _term_best(self, q: int) -> np.ndarray:
        """IC of the most informative common ancestor of term index q and each entity's annotations (0 if
        none): a function of q alone, so a batch computes it once per distinct term."""
        mica, _ = self.m.mica(q)
        return np.where(mica >= 0, self.m.ic[mica], 0.0).astype(np.float64)

    def reverse_scores(self, present: Sequence[int]) -> np.ndarray:
        """The entity -> patient direction for present term indices: per entity, the mean over its annotated terms
        of each one's best match (IC) among the patient's terms (what `tie_break` weighs, or symmetric averages)."""
        m = self.m
        patient_ic = np.zeros(len(m.terms), dtype=np.float32)
        closure_p = np.unique(np.concatenate([m.anc_lists[q] for q in present]))
        patient_ic[closure_p] = m.ic[closure_p]
        # For every term a: the IC of its best match among the patient's terms = max over a's ancestors.
        # (Every row holds at least the term itself, so reduceat over the CSR row starts is well defined.)
        term_best = np.maximum.reduceat(patient_ic[m.anc.indices], m.anc.indptr[:-1])
        return m.annot @ term_best

    def scores(self, case: Case) -> np.ndarray:
        """Score of every gene (aligned with `self.genes`) for one case; higher is better."""
        return self.score_matrix([case])[0]

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every gene for a batch of cases, [n_cases, n_genes]; each distinct term is matched once."""
        return self.m.to_genes(self.entity_score_matrix(cases))

    def entity_score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every scored entity (disease, or gene at level="gene") for a batch, [n_cases, n_entities]:
        what `score_matrix` reduces to genes, and what `rft.evidence.explain` picks a gene's best disease from."""
        m = self.m
        out = np.zeros((len(cases), len(m.entities)), dtype=np.float64)
        cache: dict[int, np.ndarray] = {}
        for row, case in enumerate(cases):
            present = self._term_ids(case.present)
            if not present:
                continue
            best = np.zeros((len(m.entities), len(present)), dtype=np.float64)
            for j, q in enumerate(present):
                if q not in cache:
                    cache[q] = self._term_best(q)
                best[:, j] = cache[q]
            score = best.mean(axis=1)
            if self.symmetric or self.tie_break:
                reverse = self.reverse_scores(present)
                score = 0.5 * (score + reverse) if self.symmetric else score + self.tie_break * reverse
            excluded = self._term_ids(case.excluded)
            if excluded and self.excluded_weight:
                hit = m.closure[:, excluded].multiply(m.ic[excluded]).toarray()
                score = score - self.excluded_weight * hit.mean(axis=1)
            out[row] = score
        return out

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.m.genes, cases, top)
