from __future__ import annotations

import pytest

from rft.rankers.base import RankedGene, Ranking
from rft.rankers.hybrid import HybridRanker, fuse_rankings


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


def test_array_fusion_gives_the_list_fusion_order():
    # Random model and classical rankings over partly different genes, classical scores with many ties:
    # the batched numpy fusion must give exactly the per-case list fusion's order and scores.
    import numpy as np

    from rft.rankers.hybrid import competition_ranks, fuse_rank_arrays

    rng = np.random.default_rng(0)
    m_genes = [f"G{i}" for i in range(40)]
    c_genes = [f"G{i}" for i in range(10, 50)]
    m_scores = rng.normal(size=(5, len(m_genes)))
    c_scores = rng.integers(0, 4, size=(5, len(c_genes))).astype(float)  # four values: heavy ties
    m_ranks, c_ranks = competition_ranks(m_scores), competition_ranks(c_scores)
    universe, score, order = fuse_rank_arrays(m_ranks, m_genes, c_ranks, c_genes, k=10, weight=0.25)
    _, _, head = fuse_rank_arrays(m_ranks, m_genes, c_ranks, c_genes, k=10, weight=0.25, top=7)
    for row in range(5):
        assert head[row].tolist() == order[row][:7].tolist()
        as_list = [
            Ranking("c", [RankedGene(genes[i], float(s[row, i])) for i in np.argsort(-s[row], kind="stable")])
            for genes, s in ((m_genes, m_scores), (c_genes, c_scores))
        ]
        expected = fuse_rankings(*as_list, "rrf", k=10, weight=0.25)
        assert [universe[i] for i in order[row]] == expected.symbols
        assert np.allclose([score[row, i] for i in order[row]], [g.score for g in expected.genes])


def test_competition_ranks_share_the_best_rank():
    import numpy as np

    from rft.rankers.hybrid import competition_ranks

    assert competition_ranks(np.array([[0.5, 2.0, 0.5, 1.0]])).tolist() == [[3.0, 1.0, 3.0, 2.0]]
