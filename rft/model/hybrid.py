"""Hybrid ranking: the model's ranking fused with a classical ranker's.

    from rft.model import HybridRanker, ModelRanker
    hybrid = HybridRanker(ModelRanker("default", hpo), classical_ranker, mode="rrf")
    hybrid.rank(cases, top=10)

Two ways, both measured in the README:

- `rrf` (reciprocal-rank fusion): score(g) = w / (k + rank_model(g)) + 1 / (k + rank_classical(g)); scale-free,
  so log-probabilities and similarity scores never need calibrating against each other;
- `rerank`: keep the classical ranker's top `candidates` and order them by the model; the rest follow in
  classical order.

Either way every gene of the universe is ranked and the `Ranker` interface is unchanged.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = ["HYBRID_MODES", "HybridRanker", "fuse_rankings"]

HYBRID_MODES = ("rrf", "rerank")


def _tied_ranks(ranking: Ranking) -> np.ndarray:
    """1-based ranks in list order where equal scores share the best rank (1, 2, 2, 4): a classical ranker
    ties hundreds of genes on a short case, and their alphabetical order must not decide the fusion."""
    scores = np.array([g.score for g in ranking.genes], dtype=float)
    if len(scores) == 0:
        return scores
    new_value = np.r_[True, scores[1:] != scores[:-1]]
    first = np.where(new_value, np.arange(len(scores)), 0)
    return np.maximum.accumulate(first) + 1.0


def fuse_rankings(
    model: Ranking, classical: Ranking, mode: str = "rrf", k: float = 60.0, weight: float = 1.0, candidates: int = 50, top: int | None = None
) -> Ranking:
    """One case's fused ranking (see the module docstring), cut at `top`; scores are the fused scores for
    `rrf` and the model's scores for `rerank`. A gene one ranker lacks counts as ranked last there."""
    if mode not in HYBRID_MODES:
        raise ValueError(f"hybrid mode must be one of {HYBRID_MODES}, got {mode!r}")
    m_genes, c_genes = model.symbols, classical.symbols
    universe = list(dict.fromkeys(m_genes + c_genes))
    index = {g: i for i, g in enumerate(universe)}
    m_rank = np.full(len(universe), len(m_genes) + 1, dtype=float)
    m_rank[[index[g] for g in m_genes]] = _tied_ranks(model)
    c_rank = np.full(len(universe), len(c_genes) + 1, dtype=float)
    c_rank[[index[g] for g in c_genes]] = _tied_ranks(classical)
    if mode == "rrf":
        score = weight / (k + m_rank) + 1.0 / (k + c_rank)
        order = np.lexsort((c_rank, -score))  # ties go to the classical order
    else:
        head = c_rank <= candidates
        score = np.full(len(universe), float("-inf"))
        score[[index[g.gene] for g in model.genes]] = [g.score for g in model.genes]
        order = np.lexsort((c_rank, np.where(head, m_rank, np.inf), ~head))
    order = order[:top] if top else order
    return Ranking(model.case_id, [RankedGene(universe[i], float(score[i])) for i in order], model.ms + classical.ms)


class HybridRanker:
    """A `Ranker` fusing a model ranker with a classical one.

    Args:
        model: the model's ranker (`ModelRanker`).
        classical: any `Ranker`, e.g. `rft.rankers.registry.get_ranker("similarity", hpo)`.
        mode: "rrf" or "rerank".
        k: the RRF constant (larger flattens the head of both rankings).
        weight: the model's weight in RRF (1 = equal say).
        candidates: how many classical genes `rerank` re-orders.
    """

    def __init__(self, model: Ranker, classical: Ranker, mode: str = "rrf", k: float = 60.0, weight: float = 1.0, candidates: int = 50):
        if mode not in HYBRID_MODES:
            raise ValueError(f"hybrid mode must be one of {HYBRID_MODES}, got {mode!r}")
        self.model, self.classical = model, classical
        self.mode, self.k, self.weight, self.candidates = mode, k, weight, candidates
        self.name = f"hybrid-{mode}({model.name}+{classical.name})"

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        t0 = time.perf_counter()
        fused = [
            fuse_rankings(m, c, self.mode, self.k, self.weight, self.candidates, top)
            for m, c in zip(self.model.rank(cases), self.classical.rank(cases), strict=True)
        ]
        ms = (time.perf_counter() - t0) * 1000 / max(len(cases), 1)
        for r in fused:
            r.ms = ms
        return fused
