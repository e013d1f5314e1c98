"""The common ranker interface: classical rankers and models alike turn cases into ranked gene lists.

    ranker = get_ranker("similarity", hpo)        # or a model folder, see `rft.rankers.registry`
    [ranking] = ranker.rank([case], top=10)
    ranking.genes[0].gene, ranking.genes[0].score

The CLI, the evaluator and the app only ever call `rank`; they never care which ranker is behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from rft.cases import Case

__all__ = ["RankedGene", "Ranking", "Ranker"]


@dataclass(frozen=True)
class RankedGene:
    gene: str
    score: float


@dataclass
class Ranking:
    """One case's genes, best first. `genes` holds the whole ranking unless `top` cut it."""

    case_id: str
    genes: list[RankedGene] = field(default_factory=list)
    ms: float = 0.0  # time spent ranking this case (amortised over the batch)

    @property
    def symbols(self) -> list[str]:
        return [g.gene for g in self.genes]


@runtime_checkable
class Ranker(Protocol):
    """Anything with a `name` and a batched `rank`."""

    name: str

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        """Rank every gene of the ranker's universe for each case; keep the best `top` (None = all)."""
        ...
