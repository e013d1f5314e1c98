"""Choosing how a model folder ranks: the model alone, or fused with a classical ranker (partner, k, weight).

    from rft.choose import fusion_grid, best_ranking
    rows = fusion_grid(model_ranker, hpo, tune_cases)     # [(label, ranking config, metrics), ...]
    label, ranking = best_ranking(rows)                   # the highest publication MRR; ranking goes into meta.json

Every candidate is graded by `rft.evaluate.evaluate` on the cases given. Choose on cases the knowledge base has
not seen (a prospective tune window, `bench/prospective.py`), never on leaked ones: what fuses best on leaked
cases is what repeats the annotations best. `scripts/choose_ranking.py` writes the choice into a model folder.

The choice is made on the *publication MRR*: each publication's mean reciprocal rank, averaged over
publications. Case reports come in cohorts of 1 to 125 patients of one gene; a mean over cases lets the two or
three largest cohorts of a window decide, and what helps on them (their gene, or a gene like it, ranked first)
is what the next window's cohorts do not share. On the project's two prospective windows the case-mean choice
reversed from one window to the next; the publication-mean choice held (README, "Prospective benchmark").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rft.evaluate import evaluate
from rft.metrics import reciprocal_rank
from rft.prospective import publication_mean
from rft.rankers.hybrid import HybridRanker, rank_arrays
from rft.splits import publication_of

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = [
    "CHOICE_METRIC", "FUSION_KS", "FUSION_WEIGHTS", "PARTNERS", "FixedRanks", "best_ranking", "fusion_candidates", "fusion_grid", "graded",
    "one_se_choice",
]

FUSION_KS = (10, 60)
FUSION_WEIGHTS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)  # the model's weight; the classical partner's is 1
CHOICE_METRIC = "publication_mrr"  # see the module docstring
PARTNERS = ("similarity", "likelihood")  # the classical rankers a model is fused with (rft.registry.CLASSICAL_RANKERS)


class FixedRanks:
    """A ranker's rank arrays computed once for a set of cases, so every grid point fuses without re-ranking
    (`ranker` is the ranker itself; `rank` still ranks afresh)."""

    def __init__(self, ranker: Ranker, cases: Sequence[Case]):
        self.name, self.genes, self.ranker = ranker.name, ranker.genes, ranker
        self._ranks = rank_arrays(ranker, cases)
        self._row = {c.id: i for i, c in enumerate(cases)}

    def gene_ranks(self, cases: Sequence[Case]):
        return self._ranks[[self._row[c.id] for c in cases]]

    def rank(self, cases: Sequence[Case], top: int | None = None):
        return self.ranker.rank(cases, top)


def fusion_candidates(model: Ranker, hpo: Hpo, cases: Sequence[Case], partners: Sequence[str] = PARTNERS) -> list[tuple[str, dict[str, Any] | None, Ranker]]:
    """The model alone, each classical partner alone, and every (partner, k, weight) fusion, as rankers of
    `cases` (each ranker ranks once; the fusions reuse its ranks).

    Returns:
        (label, ranking config or None for a ranker that is not the model's, ranker) per candidate; the model
        alone has config {} (no "hybrid").
    """
    from rft.registry import CLASSICAL_RANKERS

    cases = [c for c in cases if c.genes]
    fixed_model = FixedRanks(model, cases)
    out: list[tuple[str, dict[str, Any] | None, Ranker]] = [("model alone", {}, fixed_model)]
    for name in partners:
        classical = FixedRanks(CLASSICAL_RANKERS[name](hpo), cases)
        out.append((name, None, classical))
        for k in FUSION_KS:
            for w in FUSION_WEIGHTS:
                config = {"hybrid": {"classical": name, "mode": "rrf", "k": k, "weight": w}}
                out.append((f"model + {name} k={k} w={w}", config, HybridRanker(fixed_model, classical, "rrf", k, w)))
    return out


def fusion_grid(model: Ranker, hpo: Hpo, cases: Sequence[Case], partners: Sequence[str] = PARTNERS) -> list[tuple[str, dict[str, Any] | None, dict]]:
    """Every candidate of `fusion_candidates`, graded on `cases`: (label, ranking config or None, metrics)."""
    cases = [c for c in cases if c.genes]
    return [(label, config, graded(ranker, cases)) for label, config, ranker in fusion_candidates(model, hpo, cases, partners)]


def graded(ranker: Ranker, cases: Sequence[Case]) -> dict:
    """`rft.evaluate.evaluate`'s metrics plus the publication MRR (the mean over publications of each one's MRR)."""
    results, metrics = evaluate(ranker, cases)
    groups = [publication_of(r.case_id) for r in results]
    metrics["publication_mrr"] = publication_mean([reciprocal_rank(r.rank) for r in results], groups)
    metrics["publications"] = len(set(groups))
    return metrics


def best_ranking(rows: Sequence[tuple[str, dict[str, Any] | None, dict]], metric: str = CHOICE_METRIC) -> tuple[str, dict[str, Any]]:
    """The candidate a model folder can ship (the model alone or a fusion) with the best `metric`; the first on ties."""
    label, config, _ = max((r for r in rows if r[1] is not None), key=lambda r: r[2][metric])
    return label, dict(config)


def one_se_choice(reciprocal_ranks: dict[str, Sequence[float]], publications: Sequence[str], cost: dict[str, float]) -> tuple[str, str, dict[str, float]]:
    """The one-standard-error rule (CART's) over rankings of the same cases: (chosen, best, within).

    `best` has the highest publication MRR (each publication's mean reciprocal rank, averaged; ties: the lower cost);
    `within` maps every ranking whose paired difference from the best (publication by publication) is at most one
    standard error of that difference to the difference; `chosen` is the one of those with the lowest `cost` (here:
    the share of cases where the model speaks), then the higher score. The choose data cannot tell the rankings in
    `within` apart, so the one closest to the classical ranking is taken. Scores and costs count to 6 decimals;
    remaining ties go to the first in `reciprocal_ranks`' order.

    >>> rr = {"bold": [1.0, 0.0, 1.0, 0.5], "careful": [1.0, 0.0, 0.5, 0.5], "poor": [0.0, 0.0, 0.0, 0.0]}
    >>> one_se_choice(rr, ["P1", "P2", "P3", "P4"], {"bold": 0.9, "careful": 0.1, "poor": 0.0})[:2]
    ('careful', 'bold')
    """
    pubs = np.asarray(publications)
    names = sorted(set(publications))
    by_pub = {lbl: np.array([np.mean(np.asarray(v, dtype=float)[pubs == p]) for p in names]) for lbl, v in reciprocal_ranks.items()}
    score = {lbl: round(float(v.mean()), 6) for lbl, v in by_pub.items()}  # differences past 6 decimals are ties
    best = max(by_pub, key=lambda lbl: (score[lbl], -cost[lbl]))
    within = {}
    for lbl, v in by_pub.items():
        d = by_pub[best] - v
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        if d.mean() <= se + 1e-12:
            within[lbl] = float(d.mean())
    chosen = min(within, key=lambda lbl: (round(cost[lbl], 6), -score[lbl]))
    return chosen, best, within
