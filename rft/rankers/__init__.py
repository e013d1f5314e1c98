"""Rankers: turn cases into ranked gene lists through one interface (`rank(cases, top)`)."""

from rft.rankers.base import RankedGene, Ranker, Ranking
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.registry import BEST_CLASSICAL, CLASSICAL_RANKERS, available_rankers, get_ranker
from rft.rankers.similarity import SimilarityRanker

__all__ = [
    "BEST_CLASSICAL",
    "CLASSICAL_RANKERS",
    "LikelihoodRatioRanker",
    "RankedGene",
    "Ranker",
    "Ranking",
    "SimilarityRanker",
    "available_rankers",
    "get_ranker",
]
