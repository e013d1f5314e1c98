"""Hypergeometric enrichment ranker: the plain lookup every other ranker has to beat (as hpo3 and Phen2Gene's
baseline compute it).

    from rft.rankers import EnrichmentRanker
    [ranking] = EnrichmentRanker(hpo).rank([case], top=10)

For gene g, with the ontology's terms as the population:

    M = number of terms in the release          (population)
    K = |closure(g)|: terms annotated to g, or an ancestor of one      (successes in the population)
    n = the patient's present terms the release knows                  (draws)
    k = how many of them lie in closure(g)                             (successes drawn)
    p(g) = P(X >= k), X ~ Hypergeometric(M, K, n)

score(g) = -ln p(g), higher is better; a gene no patient term hits has p = 1 (score 0). Unlike the similarity
and likelihood rankers it gives no credit at all to a term that only *relates* to g's annotations (more specific
than anything annotated, or a sibling), and a gene with a large annotation closure needs more hits for the same
p: the two reasons it ranks a new paper's gene first more often (README, "New patients").
Excluded terms are not used. Vectorised over the gene x term closure matrix: a few ms per case for all genes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import hypergeom

from rft.rankers.base import Ranking, rank_by_scores
from rft.rankers.matrices import ontology_matrices

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["EnrichmentRanker"]


class EnrichmentRanker:
    """-ln of the hypergeometric enrichment p-value of each gene's annotation closure in the patient's terms."""

    def __init__(self, hpo: Hpo, name: str = "enrichment"):
        self.hpo = hpo
        self.m = ontology_matrices(hpo, "gene")
        self.name = name
        self.score_meaning = ("-ln p of a hypergeometric test: are the patient's terms enriched in the gene's annotations "
                              "(its terms and their ancestors)? 0: no term hits the gene")
        self.population = len(self.m.terms)
        self.closure_size = np.asarray(self.m.closure.sum(axis=1)).ravel().astype(np.int64)

    @property
    def genes(self) -> list[str]:
        return self.m.genes

    def hits(self, case: Case) -> tuple[np.ndarray, int]:
        """(k per gene: the case's present terms in each gene's closure, n: the present terms the release knows)."""
        idx = sorted({self.m.term_index[t] for t in case.present if t in self.m.term_index})
        if not idx:
            return np.zeros(len(self.m.genes), dtype=np.int64), 0
        return np.asarray(self.m.closure[:, idx].sum(axis=1)).ravel().astype(np.int64), len(idx)

    def p_values(self, case: Case) -> np.ndarray:
        """The enrichment p-value of every gene (aligned with `genes`) for one case."""
        return np.exp(-self.scores(case))

    def scores(self, case: Case) -> np.ndarray:
        """-ln p of every gene (aligned with `genes`) for one case; higher is better."""
        k, n = self.hits(case)
        if n == 0:
            return np.zeros(len(k))
        # logsf(k - 1) = ln P(X >= k); clip: a p-value of 1 is a score of 0, never -0.0 or a rounding below it.
        return np.maximum(-hypergeom.logsf(k - 1, self.population, self.closure_size, n), 0.0)

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every gene for a batch of cases, [n_cases, n_genes]."""
        return np.stack([self.scores(c) for c in cases]) if cases else np.zeros((0, len(self.m.genes)))

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.m.genes, cases, top)
