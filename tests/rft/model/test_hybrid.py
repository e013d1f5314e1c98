from __future__ import annotations

import pytest

from rft.model.hybrid import HybridRanker, fuse_rankings
from rft.rankers.base import RankedGene, Ranking


def _ranking(*genes: str) -> Ranking:
    return Ranking("c", [RankedGene(g, float(-i)) for i, g in enumerate(genes)])


@pytest.mark.parametrize(
    "mode, kwargs, expected",
    [
        ("rrf", {"k": 1.0}, ["B", "A", "C"]),  # B is 2nd and 1st: 1/3 + 1/2 beats A's 1/2 + 1/4
        ("rrf", {"k": 1.0, "weight": 10.0}, ["A", "B", "C"]),  # the model's order wins when it weighs more
        ("rerank", {"candidates": 2}, ["B", "C", "A"]),  # classical top 2 (B, C) in the model's order, then A
    ],
)
def test_fusion_orders(mode, kwargs, expected):
    model, classical = _ranking("A", "B", "C"), _ranking("B", "C", "A")
    assert fuse_rankings(model, classical, mode, **kwargs).symbols == expected


def test_rerank_reorders_only_the_candidates():
    model, classical = _ranking("C", "B", "A"), _ranking("A", "B", "C")
    assert fuse_rankings(model, classical, "rerank", candidates=2).symbols == ["B", "A", "C"]


def test_hybrid_ranker_keeps_every_gene_and_cuts_at_top():
    class Fixed:
        def __init__(self, name, genes):
            self.name, self.genes = name, genes

        def rank(self, cases, top=None):
            return [_ranking(*self.genes) for _ in cases]

    hybrid = HybridRanker(Fixed("m", ["A", "B", "C"]), Fixed("c", ["C", "B", "A"]))
    assert len(hybrid.rank([object()])[0].genes) == 3
    assert len(hybrid.rank([object()], top=2)[0].genes) == 2
    with pytest.raises(ValueError, match="hybrid mode"):
        HybridRanker(Fixed("m", []), Fixed("c", []), mode="vote")


def test_classical_ties_do_not_decide_the_fusion():
    # The classical ranker ties A, B and C (listed alphabetically); the model prefers C: C must come first.
    model = _ranking("C", "B", "A")
    classical = Ranking("c", [RankedGene(g, 1.0) for g in ("A", "B", "C")])
    assert fuse_rankings(model, classical, "rrf", k=10, weight=0.25).symbols[0] == "C"
