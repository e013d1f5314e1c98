"""The classical consensus: the likelihood and similarity rankers fused by reciprocal rank, with equal say.

    from rft.rankers.consensus import ConsensusRanker
    [ranking] = ConsensusRanker(hpo).rank([case], top=10)

score(g) = 1/(k + likelihood rank(g)) + 1/(k + similarity rank(g)), k = 60, ranks 1-based with ties sharing the
best rank. The two rankers fail on different patients (the likelihood ranker punishes a term the disease lacks,
the similarity ranker credits the closest relative of every term), so their consensus is steadier than either on
new papers: on the choose part of the 2025h2 window it led both by publication MRR, and it lost to neither on
genes no training case names (bench/window.py). Knowledge only, like its parts: no training case is read.

Its parts are the two rankers in the settings `PARTS` names, chosen on new patients (`bench/classical_variants.py`,
the 2025h2 window's choose part by publication MRR, 2026-12-07): the likelihood ranker over each gene's diseases'
annotations merged (level "gene": a gene described by several thin entries is judged on all of them) and the
symmetric best-match similarity (the patient's terms in the gene's annotations, and the gene's in the patient's:
a gene with few annotated terms is not beaten by one with many). The rankers alone keep their defaults.

Its evidence is the likelihood ranker's (`explained_by`): a fused score has no term-by-term reading of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rft.rankers.base import Ranking, rank_by_scores
from rft.rankers.hybrid import competition_ranks, rank_arrays
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["CONSENSUS_K", "PARTS", "ConsensusRanker"]

CONSENSUS_K = 60.0  # the RRF constant of the fusion literature; not tuned (nothing of this ranker is fitted)
PARTS = {"likelihood": {"level": "gene"}, "similarity": {"symmetric": True}}  # each part's settings (see the module docstring)


class ConsensusRanker:
    """Reciprocal-rank fusion of a likelihood and a similarity ranker (see the module docstring): by default the two
    in the settings `PARTS` names; `likelihood`/`similarity` give other variants (bench/classical_variants.py)."""

    def __init__(self, hpo: Hpo, k: float = CONSENSUS_K, name: str = "consensus",
                 likelihood: LikelihoodRatioRanker | None = None, similarity: SimilarityRanker | None = None):
        self.likelihood = likelihood or LikelihoodRatioRanker(hpo, **PARTS["likelihood"])
        self.similarity = similarity or SimilarityRanker(hpo, **PARTS["similarity"])
        if list(self.likelihood.genes) != list(self.similarity.genes):  # both score the release's annotated genes
            raise ValueError("the likelihood and similarity rankers rank different genes; a consensus needs the same universe")
        self.k, self.name = k, name
        self.explained_by = self.likelihood
        self.score_meaning = (f"1/({k:g} + likelihood rank) + 1/({k:g} + similarity rank): the consensus of the two classical "
                              "rankers; only the order means something")

    @property
    def genes(self) -> list[str]:
        return self.likelihood.genes

    def fuse(self, likelihood_ranks: np.ndarray, similarity_ranks: np.ndarray) -> np.ndarray:
        """The consensus score from the two rankers' rank arrays (1-based, aligned with `genes`)."""
        return 1.0 / (self.k + likelihood_ranks) + 1.0 / (self.k + similarity_ranks)

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Fused scores [n_cases, n_genes], aligned with `genes`."""
        return self.fuse(rank_arrays(self.likelihood, cases), rank_arrays(self.similarity, cases))

    def gene_ranks(self, cases: Sequence[Case]) -> np.ndarray:
        """1-based ranks [n_cases, n_genes], ties sharing the best rank (what a fusion with a model reads)."""
        return competition_ranks(self.score_matrix(cases))

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.genes, cases, top)
