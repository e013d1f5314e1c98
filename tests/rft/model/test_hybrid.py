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


# -- the per-case gate (rft.rankers.gate.Gate) in the fusion ----------------------------------------------------


class _StubModel:
    """A model whose first-gene probabilities are fixed per case id (what a gate reads)."""

    score_meaning = "log-probability"

    def __init__(self, genes, probs, name="stub"):
        import numpy as np

        self.name, self.genes, self._lp = name, genes, {cid: np.log(np.asarray(p, dtype=float)) for cid, p in probs.items()}

    def first_gene_logprobs(self, cases):
        import numpy as np

        return np.stack([self._lp[c.id] for c in cases])

    def rank(self, cases, top=None):
        raise AssertionError("a gated fusion reads first_gene_logprobs, never the model's list")


class _StubClassical:
    """A classical ranker with a fixed score per gene for every case; B and C tie."""

    name = "classical"
    score_meaning = "score"

    def __init__(self, genes, scores):
        self.genes, self._scores = genes, scores

    def score_matrix(self, cases):
        import numpy as np

        return np.tile(np.asarray(self._scores, dtype=float), (len(cases), 1))

    def rank(self, cases, top=None):
        from rft.rankers import rank_by_scores

        return rank_by_scores(self.score_matrix, self.genes, cases, top)


GENES = ["A", "B", "C", "D"]
CLASSICAL_SCORES = [4.0, 2.0, 2.0, 1.0]  # A, then B and C tied (listed B first), then D
# "familiar": the tuned model is sure of C (0.85) where its base gave C 0.05: the tuning put C there, as on a
# training cohort. "new": the model's best guess D (0.35) is what its base already thought (0.30): nothing learned.
TUNED = {"familiar": [0.05, 0.05, 0.85, 0.05], "new": [0.2, 0.2, 0.25, 0.35]}
BASE = {"familiar": [0.3, 0.3, 0.05, 0.35], "new": [0.2, 0.25, 0.25, 0.3]}


def _gated(gate, reference=True):
    from rft.cases import Case

    hybrid = HybridRanker(_StubModel(GENES, TUNED), _StubClassical(GENES, CLASSICAL_SCORES), "rrf", k=1, weight=4.0, gate=gate,
                          reference=_StubModel(GENES, BASE, "base") if reference else None)
    rankings = hybrid.rank([Case("familiar", ("HP:0001250",)), Case("new", ("HP:0001250",))])
    return {r.case_id: r.symbols for r in rankings}, [r.gate["open"] for r in rankings]


CLASSICAL_ORDER = ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    "gate, familiar, new, is_open",
    [
        # the tuning lifted C 17-fold on the familiar case: the model speaks there (C first); the new case, lifted
        # 1.2-fold, gets the classical ranking exactly, its B-C tie in the classical ranker's own order
        ({"min_lift": 5.0, "reference": "base"}, ["C", "A", "B", "D"], CLASSICAL_ORDER, [True, False]),
        # confidence alone: 0.85 passes, 0.35 does not
        ({"min_confidence": 0.5}, ["C", "A", "B", "D"], CLASSICAL_ORDER, [True, False]),
        # the classical ranker must rank the model's first gene first: shut on both
        ({"max_disagreement": 1}, CLASSICAL_ORDER, CLASSICAL_ORDER, [False, False]),
        # always open: the model weighs in everywhere, its D climbs on the new case
        ({}, ["C", "A", "B", "D"], ["D", "C", "A", "B"], [True, True]),
    ],
)
def test_gate_gives_the_model_a_say_only_on_cases_like_its_training(gate, familiar, new, is_open):
    rankings, opened = _gated(gate)
    assert rankings == {"familiar": familiar, "new": new}
    assert opened == is_open


def test_fusion_parts_sum_to_each_shown_score():
    # What the evidence panel shows beside a fused gene: the model's and the classical ranker's parts, from the
    # very ranks the fusion used; they must add up to the score in the list, gate open (weight 4) or shut (0).
    import numpy as np

    hybrid = HybridRanker(_StubModel(GENES, TUNED), _StubClassical(GENES, CLASSICAL_SCORES), "rrf", k=1, weight=4.0, gate={"min_confidence": 0.5})
    from rft.cases import Case

    for ranking in hybrid.rank([Case("familiar", ("HP:0001250",)), Case("new", ("HP:0001250",))]):
        parts = ranking.fusion
        assert parts is not None and parts.weight == (4.0 if ranking.gate["open"] else 0.0)
        assert parts.model == "stub" and parts.classical == "classical"
        for i, gene in enumerate(ranking.genes):
            assert np.isclose(sum(parts.parts(i)), gene.score)
        if ranking.case_id == "new":  # gate shut: the model's part is 0, yet its own rank is still shown (D first)
            assert parts.parts(ranking.symbols.index("D"))[0] == 0.0 and parts.model_ranks[ranking.symbols.index("D")] == 1.0
        assert parts.classical_ranks[ranking.symbols.index("B")] == parts.classical_ranks[ranking.symbols.index("C")] == 2.0  # tied


def test_list_fusion_parts_sum_to_each_shown_score():
    import numpy as np

    fused = fuse_rankings(_ranking("A", "B", "C"), _ranking("B", "C", "A"), "rrf", k=1.0, weight=2.0, model_name="m", classical_name="c")
    assert [np.isclose(sum(fused.fusion.parts(i)), g.score) for i, g in enumerate(fused.genes)] == [True] * 3
    assert fuse_rankings(_ranking("A"), _ranking("A"), "rerank").fusion is None  # a re-ranking has no parts to add


def test_a_gate_needs_what_it_reads():
    class ListOnly:
        name, genes = "list-only", GENES

    classical = _StubClassical(GENES, CLASSICAL_SCORES)
    with pytest.raises(ValueError, match="first-gene probabilities"):
        HybridRanker(ListOnly(), classical, gate={"min_confidence": 0.1})
    with pytest.raises(ValueError, match="needs the reference model"):
        HybridRanker(_StubModel(GENES, TUNED), classical, gate={"min_lift": 5.0, "reference": "base"})
    with pytest.raises(ValueError, match="needs hybrid mode 'rrf'"):
        HybridRanker(_StubModel(GENES, TUNED), classical, "rerank", gate={})


def test_gated_tiny_model_shut_everywhere_is_the_classical_ranking(tiny_bundle, mini_hpo):
    # A real (tiny) model through the product's path: a gate that never opens gives the classical ranking exactly
    # (ties in its own order), a gate that always opens gives the ungated fusion.
    from rft.cases import Case
    from rft.model import ModelRanker
    from rft.rankers import LikelihoodRatioRanker

    cases = [Case("a", ("HP:0002069", "HP:0001263")), Case("b", ("HP:0000407",))]
    model, classical = ModelRanker(tiny_bundle, mini_hpo, generate=0), LikelihoodRatioRanker(mini_hpo)
    shut = HybridRanker(model, classical, "rrf", k=10, weight=100.0, gate={"min_confidence": 1.0}).rank(cases)
    assert [r.symbols for r in shut] == [r.symbols for r in classical.rank(cases)]
    always = HybridRanker(model, classical, "rrf", k=10, weight=2.0, gate={}).rank(cases)
    ungated = HybridRanker(model, classical, "rrf", k=10, weight=2.0).rank(cases)
    assert [r.symbols for r in always] == [r.symbols for r in ungated]


def test_counted_target_ranks_equal_the_fused_order():
    # The grid's counted rank (bench/window.py) must be each target's position in fuse_rank_arrays' order,
    # with a per-case weight (0 included: the classical order exactly), heavy classical ties and genes one ranker lacks.
    import numpy as np

    from rft.rankers.hybrid import competition_ranks, fuse_rank_arrays, fused_target_ranks

    rng = np.random.default_rng(1)
    m_genes = [f"G{i}" for i in range(30)]
    c_genes = [f"G{i}" for i in range(5, 40)]
    m_ranks = competition_ranks(rng.normal(size=(6, len(m_genes))))
    c_ranks = competition_ranks(rng.integers(0, 3, size=(6, len(c_genes))).astype(float))
    weight = np.array([0.0, 0.5, 2.0, 0.0, 4.0, 1.0])
    targets = [("G0",), ("G39", "G12"), ("G7",), ("nope",), ("G20", "G21"), ()]
    universe, _, orders = fuse_rank_arrays(m_ranks, m_genes, c_ranks, c_genes, k=10, weight=weight)
    counted = fused_target_ranks(m_ranks, m_genes, c_ranks, c_genes, targets, k=10, weight=weight)
    for row, genes in enumerate(targets):
        positions = [i + 1 for i, u in enumerate(orders[row]) if universe[u] in genes]
        assert counted[row] == (min(positions) if positions else np.inf)
    # weight 0: the classical genes in the classical ranker's own list order (rank, then its gene order)
    classical_order = [c_genes[i] for i in np.lexsort((np.arange(len(c_genes)), c_ranks[0]))]
    assert [universe[u] for u in orders[0]][: len(c_genes)] == classical_order
