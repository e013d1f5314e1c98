"""Rankers: turn cases into ranked gene lists through one interface (`rank(cases, top)`).

Classical: `SimilarityRanker` (Resnik), `LikelihoodRatioRanker` (LIRICAL-style), `EnrichmentRanker` (the
hypergeometric lookup every ranker must beat), `ConsensusRanker` (likelihood and similarity fused by rank); `HybridRanker` fuses a model's ranking with a classical one,
optionally through a per-case `Gate`. Build any of them by name with `rft.registry.load_ranker`.
"""

from rft.rankers.base import RankedGene, Ranker, Ranking, rank_by_scores
from rft.rankers.consensus import ConsensusRanker
from rft.rankers.enrichment import EnrichmentRanker
from rft.rankers.gate import Gate
from rft.rankers.hybrid import HYBRID_MODES, HybridRanker, fuse_rankings
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

__all__ = [
    "HYBRID_MODES", "ConsensusRanker", "EnrichmentRanker", "Gate", "HybridRanker", "LikelihoodRatioRanker", "RankedGene", "Ranker", "Ranking", "SimilarityRanker",
    "fuse_rankings", "rank_by_scores",
]
