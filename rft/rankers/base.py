"""The common ranker interface: classical rankers and models alike turn cases into ranked gene lists.

    ranker = get_ranker("similarity", hpo)        # or a model folder, see `rft.rankers.registry`
    [ranking] = ranker.rank([case], top=10)
    ranking.genes[0].gene, ranking.genes[0].score

The CLI, the evaluator and the app only ever call `rank`; they never care which ranker is behind it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from rft.cases import Case

__all__ = ["FusionParts", "RankedGene", "Ranker", "Ranking", "rank_by_scores", "tied_ranks"]


@dataclass(frozen=True)
class RankedGene:
    gene: str
    score: float


@dataclass(frozen=True)
class FusionParts:
    """How a reciprocal-rank fusion scored the genes of one `Ranking`: gene i's score is
    `weight / (k + model_ranks[i]) + 1 / (k + classical_ranks[i])` (`rft.rankers.hybrid`), the ranks being each
    ranker's own (1-based, ties sharing the best rank; a gene a ranker lacks: its last rank + 1). `weight` is the
    model's weight on this case (0 where a gate shut it out)."""

    model: str
    classical: str
    k: float
    weight: float
    model_ranks: np.ndarray
    classical_ranks: np.ndarray

    def head(self, n: int) -> FusionParts:
        """The parts of the first `n` genes (for a ranking cut to its head)."""
        return dataclasses.replace(self, model_ranks=self.model_ranks[:n], classical_ranks=self.classical_ranks[:n])

    def parts(self, i: int) -> tuple[float, float]:
        """(the model's part, the classical ranker's part) of gene i's fused score; they sum to it."""
        return self.weight / (self.k + float(self.model_ranks[i])), 1.0 / (self.k + float(self.classical_ranks[i]))


@dataclass
class Ranking:
    """One case's genes, best first. `genes` holds the whole ranking unless `top` cut it."""

    case_id: str
    genes: list[RankedGene] = field(default_factory=list)
    ms: float = 0.0  # time spent ranking this case (amortised over the batch)
    # A gated fusion's verdict on this case (rft.rankers.gate): {"open": did the model have a say, "confidence",
    # "lift", "disagreement": what the gate read, "rule": the gate in words}; None for every other ranker.
    gate: dict | None = None
    # A reciprocal-rank fusion's parts (rft.rankers.hybrid), aligned with `genes`: `FusionParts`; None for every other ranker.
    fusion: FusionParts | None = None
    # Within a candidate list (rft.candidates): the candidates the knowledge base does not annotate, placed by rule.
    unannotated: tuple[str, ...] = ()
    # ... and, where the rule's order read GO, the annotated gene each one is most alike in function to (a sentence).
    unannotated_why: dict[str, str] = field(default_factory=dict)

    @property
    def symbols(self) -> list[str]:
        return [g.gene for g in self.genes]


def tied_ranks(ranking: Ranking) -> np.ndarray:
    """1-based ranks in list order where equal scores share the best rank (1, 2, 2, 4): a classical ranker
    ties hundreds of genes on a short case, and their alphabetical order must not decide a fusion, nor be
    read as a preference. (The grader ranks by list position: `rft.grader.rank_of`.)"""
    scores = np.array([g.score for g in ranking.genes], dtype=float)
    if len(scores) == 0:
        return scores
    new_value = np.r_[True, scores[1:] != scores[:-1]]
    first = np.where(new_value, np.arange(len(scores)), 0)
    return np.maximum.accumulate(first) + 1.0


@runtime_checkable
class Ranker(Protocol):
    """Anything with a `name`, a batched `rank`, and `score_meaning`: one line saying what its score is."""

    name: str
    score_meaning: str

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        """Rank every gene of the ranker's universe for each case; keep the best `top` (None = all)."""
        ...


def rank_by_scores(
    score_matrix: Callable[[Sequence[Case]], np.ndarray], genes: Sequence[str], cases: Sequence[Case], top: int | None, chunk: int = 256
) -> list[Ranking]:
    """Rankings from batched scores ([n_cases, n_genes] aligned with `genes`, higher is better), `chunk` cases
    at a time; each ranking's `ms` is its chunk's time per case."""
    out = []
    for start in range(0, len(cases), chunk):
        part = cases[start : start + chunk]
        t0 = time.perf_counter()
        scores = score_matrix(part)
        rows = [_top_indices(s, len(s) if top is None else min(top, len(s))) for s in scores]
        ms = (time.perf_counter() - t0) * 1000 / len(part)
        out.extend(Ranking(c.id, [RankedGene(genes[i], float(s[i])) for i in order], ms) for c, s, order in zip(part, scores, rows))
    return out


def _top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    """The best `n` indices, best first, equal scores in index order: the head of the full ranking exactly (a bare
    argpartition would pick and order tied genes arbitrarily, so a cut list could disagree with the full one)."""
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    threshold = np.partition(scores, len(scores) - n)[len(scores) - n]
    keep = np.flatnonzero(scores >= threshold)
    return keep[np.argsort(-scores[keep], kind="stable")][:n]
