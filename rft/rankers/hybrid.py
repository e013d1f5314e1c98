"""Hybrid ranking: the model's ranking fused with a classical ranker's.

    from rft.rankers.hybrid import HybridRanker
    hybrid = HybridRanker(model_ranker, classical_ranker, mode="rrf", k=10, weight=0.25)
    hybrid.rank(cases, top=10)

A model folder ships its fusion in meta.json (`"ranking": {"hybrid": {...}}`); `rft.registry.load_ranker`
reads it and builds this class, so nothing else needs to know how a model folder ranks.

Two ways, both measured in the README:

- `rrf` (reciprocal-rank fusion): score(g) = w / (k + rank_model(g)) + 1 / (k + rank_classical(g)); scale-free,
  so log-probabilities and similarity scores never need calibrating against each other;
- `rerank`: keep the classical ranker's top `candidates` and order them by the model; the rest follow in
  classical order.

An `rrf` fusion may carry a per-case **gate** (`rft.rankers.gate.Gate`): the model's weight is `weight` on a
case where the gate is open and 0 where it is shut, so that case gets the classical ranking exactly.

Either way every gene of the universe is ranked and the `Ranker` interface is unchanged. When both rankers
give whole-batch arrays (`gene_ranks(cases)` or `score_matrix(cases)`, aligned with their `genes`), `rrf`
fuses the batch in numpy (`fuse_rank_arrays`), with the very order `fuse_rankings` gives, several times
faster than building and merging two full per-case lists.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rft.rankers.base import FusionParts, RankedGene, Ranking, tied_ranks
from rft.rankers.gate import Gate, gate_signals

if TYPE_CHECKING:
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = ["HYBRID_MODES", "HybridRanker", "competition_ranks", "fuse_rank_arrays", "fuse_rankings", "fused_target_ranks", "rank_arrays"]

HYBRID_MODES = ("rrf", "rerank")


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Row-wise 1-based ranks, higher score first, equal scores sharing the best rank (1, 2, 2, 4), as
    `tied_ranks` does on a list; [n_cases, n_genes] in and out."""
    scores = np.atleast_2d(scores)
    order = np.argsort(-scores, axis=1, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=1)
    new_value = np.ones(ordered.shape, dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new_value, np.arange(ordered.shape[1]), 0), axis=1) + 1.0
    ranks = np.empty_like(first)
    np.put_along_axis(ranks, order, first, axis=1)
    return ranks


def fuse_rank_arrays(
    m_ranks: np.ndarray,
    m_genes: Sequence[str],
    c_ranks: np.ndarray,
    c_genes: Sequence[str],
    k: float = 60.0,
    weight: float | np.ndarray = 1.0,
    top: int | None = None,
) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """Reciprocal-rank fusion of a batch: model and classical rank arrays ([n_cases, len(genes)], 1-based)
    -> (universe, fused scores [n_cases, len(universe)], per case the best `top` universe indices, best first).
    `weight` is the model's, one for the batch or one per case (a gate's).

    The universe is the model's genes then the classical ranker's others; a gene one ranker lacks counts as
    ranked last + 1 there; ties go to the classical rank, then the model rank (as in `fuse_rankings`). A case
    whose weight is 0 gets the classical ranking exactly: its ties keep the classical ranker's own order, so a
    model without a say does not even break ties."""
    universe, m_full, c_full = _full_arrays(m_ranks, m_genes, c_ranks, c_genes, weight)
    score = _rrf_score(m_full, c_full, k, weight)
    return universe, score, [_rrf_order(s, m, c, top) for s, m, c in zip(score, m_full, c_full)]


def fused_target_ranks(
    m_ranks: np.ndarray, m_genes: Sequence[str], c_ranks: np.ndarray, c_genes: Sequence[str], targets: Sequence[Sequence[str]],
    k: float = 60.0, weight: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Per case, the 1-based position of the best of its `targets` (causal genes) in `fuse_rank_arrays`' order,
    inf when the universe has none of them; counted, not sorted, so a grid of fusions (`bench/window.py`) costs
    one pass per setting. The same order as `fuse_rank_arrays`: fused score, then classical rank, then model rank,
    then universe position."""
    universe, m_full, c_full = _full_arrays(m_ranks, m_genes, c_ranks, c_genes, weight)
    score = _rrf_score(m_full, c_full, k, weight)
    index = {g: i for i, g in enumerate(universe)}
    rows = np.arange(len(score))
    position = np.arange(score.shape[1])[None, :]
    best = np.full(len(score), np.inf)
    for j in range(max((len(t) for t in targets), default=0)):
        col = np.array([index.get(t[j], -1) if j < len(t) else -1 for t in targets])
        have = col >= 0
        c = np.maximum(col, 0)[:, None]
        s_t, c_t, m_t = score[rows, c[:, 0]][:, None], c_full[rows, c[:, 0]][:, None], m_full[rows, c[:, 0]][:, None]
        ahead = (score > s_t) | ((score == s_t) & ((c_full < c_t) | ((c_full == c_t) & ((m_full < m_t) | ((m_full == m_t) & (position < c))))))
        best = np.where(have, np.minimum(best, ahead.sum(axis=1) + 1.0), best)
    return best


def _full_arrays(
    m_ranks: np.ndarray, m_genes: Sequence[str], c_ranks: np.ndarray, c_genes: Sequence[str], weight: float | np.ndarray = 1.0
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(universe, model ranks, classical ranks) over the fused universe; a gene one ranker lacks is ranked last + 1
    there. On a case whose model weight is 0 the "model ranks" are the classical ranker's list positions, so the
    tie-break after the classical rank is the classical ranker's own order."""
    universe, c_index = _universe(tuple(m_genes), tuple(c_genes))
    n = len(m_ranks)
    m_full = np.full((n, len(universe)), len(m_genes) + 1, dtype=float)
    m_full[:, : len(m_genes)] = m_ranks
    c_full = np.full((n, len(universe)), len(c_genes) + 1, dtype=float)
    c_full[:, c_index] = c_ranks
    silent = np.broadcast_to(np.asarray(weight, dtype=float).reshape(-1) == 0, (n,))
    if silent.any():
        m_full[silent] = len(c_genes) + 1
        m_full[np.ix_(silent, c_index)] = np.arange(1, len(c_genes) + 1, dtype=float)
    return universe, m_full, c_full


def _rrf_score(m_rank: np.ndarray, c_rank: np.ndarray, k: float, weight: float | np.ndarray) -> np.ndarray:
    """w / (k + model rank) + 1 / (k + classical rank); a per-case weight (a gate's) applies to its row."""
    if np.ndim(weight):
        weight = np.asarray(weight, dtype=float).reshape(-1, *([1] * (np.ndim(m_rank) - 1)))
    return weight / (k + m_rank) + 1.0 / (k + c_rank)


def _rrf_order(score: np.ndarray, m_rank: np.ndarray, c_rank: np.ndarray, top: int | None) -> np.ndarray:
    """Indices best first by fused score, ties to the classical rank, then the model's; the best `top` only."""
    keep = np.arange(len(score))
    if top and top < len(score):  # only genes scoring at least the top-th best can be in the head
        keep = np.flatnonzero(score >= np.partition(score, len(score) - top)[len(score) - top])
    return keep[np.lexsort((m_rank[keep], c_rank[keep], -score[keep]))][:top]


@functools.lru_cache(maxsize=8)
def _universe(m_genes: tuple[str, ...], c_genes: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    index = {g: i for i, g in enumerate(m_genes)}
    universe = list(m_genes) + [g for g in c_genes if g not in index]
    index.update({g: i for i, g in enumerate(universe)})
    return universe, np.array([index[g] for g in c_genes], dtype=np.int64)


def rank_arrays(ranker, cases: Sequence[Case]) -> np.ndarray | None:
    """1-based ranks of every gene of `ranker.genes` per case, [n_cases, n_genes], ties sharing the best rank;
    None when the ranker gives neither `gene_ranks` nor `score_matrix` (then fusion goes case by case)."""
    if hasattr(ranker, "gene_ranks") and hasattr(ranker, "genes"):
        return ranker.gene_ranks(cases)
    if hasattr(ranker, "score_matrix") and hasattr(ranker, "genes"):
        return competition_ranks(ranker.score_matrix(cases))
    return None


def fuse_rankings(
    model: Ranking, classical: Ranking, mode: str = "rrf", k: float = 60.0, weight: float = 1.0, candidates: int = 50, top: int | None = None,
    model_name: str = "model", classical_name: str = "classical",
) -> Ranking:
    """One case's fused ranking (see the module docstring), cut at `top`; scores are the fused scores for
    `rrf` (with their parts in `Ranking.fusion`) and the model's scores for `rerank`. A gene one ranker lacks
    counts as ranked last there."""
    if mode not in HYBRID_MODES:
        raise ValueError(f"hybrid mode must be one of {HYBRID_MODES}, got {mode!r}")
    m_genes, c_genes = model.symbols, classical.symbols
    universe = list(dict.fromkeys(m_genes + c_genes))
    index = {g: i for i, g in enumerate(universe)}
    m_rank = np.full(len(universe), len(m_genes) + 1, dtype=float)
    m_rank[[index[g] for g in m_genes]] = tied_ranks(model)
    c_rank = np.full(len(universe), len(c_genes) + 1, dtype=float)
    c_rank[[index[g] for g in c_genes]] = tied_ranks(classical)
    if mode == "rrf":
        score = _rrf_score(m_rank, c_rank, k, weight)
        order = _rrf_order(score, m_rank, c_rank, top)
    else:
        head = c_rank <= candidates
        score = np.full(len(universe), float("-inf"))
        score[[index[g.gene] for g in model.genes]] = [g.score for g in model.genes]
        order = np.lexsort((c_rank, np.where(head, m_rank, np.inf), ~head))
    order = order[:top] if top else order
    parts = FusionParts(model_name, classical_name, k, weight, m_rank[order], c_rank[order]) if mode == "rrf" else None
    return Ranking(model.case_id, [RankedGene(universe[i], float(score[i])) for i in order], model.ms + classical.ms, fusion=parts)


class HybridRanker:
    """A `Ranker` fusing a model ranker with a classical one.

    Args:
        model: the model's ranker (`rft.model.ModelRanker`).
        classical: any `Ranker`, e.g. `SimilarityRanker(hpo)`.
        mode: "rrf" or "rerank".
        k: the RRF constant (larger flattens the head of both rankings).
        weight: the model's weight in RRF (1 = equal say).
        candidates: how many classical genes `rerank` re-orders.
        gate: `rrf` only: a `Gate` (or its meta.json dict) that gives each case the model's weight or 0; the
            model must then give `first_gene_logprobs` (a `rft.model.ModelRanker`; the gate reads its
            first-step ranking, as generate=0 ranks).
        reference: the model a gate's `min_lift` measures the model against (its base), with `first_gene_logprobs`.
        name: the name results carry (default `<model>+<classical>-<mode>`).
    """

    def __init__(
        self, model: Ranker, classical: Ranker, mode: str = "rrf", k: float = 60.0, weight: float = 1.0, candidates: int = 50,
        gate: Gate | dict[str, Any] | None = None, reference: Ranker | None = None, name: str | None = None,
    ):
        if mode not in HYBRID_MODES:
            raise ValueError(f"hybrid mode must be one of {HYBRID_MODES}, got {mode!r}")
        self.gate = Gate.from_config(gate)
        if self.gate is not None and mode != "rrf":
            raise ValueError(f"a gate needs hybrid mode 'rrf', got {mode!r}")
        if self.gate is not None and not hasattr(model, "first_gene_logprobs"):
            raise ValueError(f"a gate reads the model's first-gene probabilities; {model.name!r} does not give them")
        if self.gate is not None and self.gate.min_lift > 0 and not hasattr(reference, "first_gene_logprobs"):
            raise ValueError("a gate with min_lift needs the reference model it measures the lift against (its 'reference' folder)")
        self.reference = reference
        self.model, self.classical = model, classical
        self.mode, self.k, self.weight, self.candidates = mode, k, weight, candidates
        self.name = name or f"{model.name}+{classical.name}-{mode}"

    @property
    def score_meaning(self) -> str:
        if self.mode == "rrf" and self.gate is not None:
            return (f"reciprocal-rank fusion where the gate lets the model speak ({self.weight:g}/({self.k:g} + model rank) + "
                    f"1/({self.k:g} + {self.classical.name} rank)), else the {self.classical.name} ranking; only the order means something")
        if self.mode == "rrf":
            return (f"reciprocal-rank fusion: {self.weight:g}/({self.k:g} + model rank) + 1/({self.k:g} + {self.classical.name} rank); "
                    "only the order means something")
        return f"the model's log-probability, re-ordering the {self.classical.name} ranker's best {self.candidates} genes"

    @property
    def genes(self) -> list[str]:
        """The fused universe: the model's genes, then the classical ranker's others."""
        return _universe(tuple(self.model.genes), tuple(self.classical.genes))[0]

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        t0 = time.perf_counter()
        if self.gate is not None:
            return self._rank_gated(cases, top, t0)
        if self.mode == "rrf" and cases:
            m_ranks = rank_arrays(self.model, cases)
            c_ranks = rank_arrays(self.classical, cases) if m_ranks is not None else None
            if c_ranks is not None:
                return self._rank_from_arrays(cases, m_ranks, c_ranks, top, t0)
        fused = [
            fuse_rankings(m, c, self.mode, self.k, self.weight, self.candidates, top, self.model.name, self.classical.name)
            for m, c in zip(self.model.rank(cases), self.classical.rank(cases), strict=True)
        ]
        ms = (time.perf_counter() - t0) * 1000 / max(len(cases), 1)
        for r in fused:
            r.ms = ms
        return fused

    def gate_weights(self, cases: Sequence[Case]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        """(model ranks, classical ranks, the model's weight per case, the gate's verdict per case: `Ranking.gate`)
        for a gated fusion of `cases`."""
        assert self.gate is not None
        logprobs = self.model.first_gene_logprobs(cases)
        c_ranks = rank_arrays(self.classical, cases)
        if c_ranks is None:
            raise ValueError(f"a gate needs the classical ranker's whole ranking as an array; {self.classical.name!r} does not give it")
        reference = None
        if self.reference is not None and self.gate.min_lift > 0:
            reference = (self.reference.first_gene_logprobs(cases), self.reference.genes)
        signals = gate_signals(logprobs, self.model.genes, c_ranks, self.classical.genes, reference)
        is_open = self.gate.open(signals)
        rule = self.gate.describe()
        verdicts = [{"open": bool(o), "confidence": float(c), "lift": float(lf), "disagreement": float(d), "rule": rule}
                    for o, c, lf, d in zip(is_open, signals.confidence, signals.lift, signals.disagreement)]
        return competition_ranks(logprobs), c_ranks, np.where(is_open, self.weight, 0.0), verdicts

    def _rank_gated(self, cases: Sequence[Case], top: int | None, t0: float) -> list[Ranking]:
        if not cases:
            return []
        m_ranks, c_ranks, weights, verdicts = self.gate_weights(cases)
        rankings = self._rank_from_arrays(cases, m_ranks, c_ranks, top, t0, weights)
        for ranking, verdict in zip(rankings, verdicts):
            ranking.gate = verdict
        return rankings

    def _rank_from_arrays(
        self, cases: Sequence[Case], m_ranks: np.ndarray, c_ranks: np.ndarray, top: int | None, t0: float, weight: float | np.ndarray | None = None
    ) -> list[Ranking]:
        weight = self.weight if weight is None else weight
        universe, score, orders = fuse_rank_arrays(m_ranks, self.model.genes, c_ranks, self.classical.genes, self.k, weight, top)
        # The parts shown beside each gene: the model's own ranks (also where a gate gave it weight 0) and the classical
        # ranks, as float32 (whole ranks, exact; a full ranking's parts cost 8 bytes a gene).
        _, m_full, c_full = _full_arrays(m_ranks, self.model.genes, c_ranks, self.classical.genes)
        weights = np.broadcast_to(np.asarray(weight, dtype=float).reshape(-1), (len(cases),))
        ms = (time.perf_counter() - t0) * 1000 / len(cases)
        return [
            Ranking(case.id, [RankedGene(universe[i], float(row_score[i])) for i in order], ms,
                    fusion=FusionParts(self.model.name, self.classical.name, self.k, float(w),
                                       m_full[row, order].astype(np.float32), c_full[row, order].astype(np.float32)))
            for row, (case, row_score, order, w) in enumerate(zip(cases, score, orders, weights))
        ]

