from __future__ import annotations

import pickle

import pytest

from rft.grader import TopKRankGrader, grade, parse_gene_list, rank_of, score_rank
from rft.metrics import summarize

KNOWN = {"SCN1A", "STXBP1", "KCNQ2", "C9orf72", "GJB2"}


@pytest.mark.parametrize(
    "text, genes",
    [
        ("SCN1A STXBP1 KCNQ2", ("SCN1A", "STXBP1", "KCNQ2")),  # plain, space separated
        ("1. SCN1A\n2. STXBP1\n3. KCNQ2", ("SCN1A", "STXBP1", "KCNQ2")),  # numbered lines
        ("1) scn1a, 2) stxbp1", ("SCN1A", "STXBP1")),  # lower case, ')' numbering, commas
        ("- SCN1A\n- STXBP1", ("SCN1A", "STXBP1")),  # bullets
        ("SCN1A, SCN1A, STXBP1, scn1a", ("SCN1A", "STXBP1")),  # duplicates count at first position
        ("1.SCN1A 2.STXBP1", ("SCN1A", "STXBP1")),  # numbering glued to the symbol
        ("<genes> SCN1A KCNQ2 <eos>", ("SCN1A", "KCNQ2")),  # model special tokens
        ("c9orf72; GJB2 | KCNQ2", ("C9orf72", "GJB2", "KCNQ2")),  # official spelling restored
        ("SCN1A FAKEGENE STXBP1", ("SCN1A", "STXBP1")),  # unknown symbols dropped, order kept
        ('"SCN1A" (score 0.9), "KCNQ2"', ("SCN1A", "KCNQ2")),  # quotes and commentary
        ("", ()),  # empty output
        ("The answer is unclear.", ()),  # prose, no gene
    ],
)
def test_parse_gene_list(text, genes):
    assert parse_gene_list(text, KNOWN).genes == genes


def test_parse_without_universe_keeps_symbol_shaped_tokens():
    parsed = parse_gene_list("1. SCN1A, 2. kcnq2, 3. ???")
    assert parsed.genes == ("SCN1A", "KCNQ2")
    assert "???" in parsed.dropped


@pytest.mark.parametrize(
    "rank, k, kind, score",
    [
        (1, 10, "topk", 1.0),  # best possible
        (2, 10, "topk", 0.9),  # (k + 1 - r) / k
        (10, 10, "topk", 0.1),  # last rank that scores
        (11, 10, "topk", 0.0),  # past k
        (None, 10, "topk", 0.0),  # absent
        (1, 1, "topk", 1.0),  # k = 1 is a top-1 hit
        (4, 10, "reciprocal", 0.25),  # 1 / r
        (11, 10, "reciprocal", 0.0),  # reciprocal also stops at k
        (10, 10, "hit", 1.0),  # any rank within k
        (11, 10, "hit", 0.0),
    ],
)
def test_score_rank(rank, k, kind, score):
    assert score_rank(rank, k, kind) == pytest.approx(score)


@pytest.mark.parametrize("k, kind, message", [(0, "topk", "k must be at least 1"), (10, "ndcg", "unknown grader")])
def test_score_rank_rejects_bad_config(k, kind, message):
    with pytest.raises(ValueError, match=message):
        score_rank(1, k, kind)


@pytest.mark.parametrize(
    "output, truth, score, rank, reason",
    [
        ("SCN1A STXBP1", ["STXBP1"], 0.9, 2, "rank 2"),  # found second
        ("SCN1A STXBP1", ["stxbp1", "SCN1A"], 1.0, 1, "rank 1"),  # several causal genes: best rank counts
        ("KCNQ2 GJB2", ["SCN1A"], 0.0, None, "causal gene not among 2 listed"),
        ("", ["SCN1A"], 0.0, None, "empty output"),
        (None, ["SCN1A"], 0.0, None, "empty output"),
        (42, ["SCN1A"], 0.0, None, "output is int, not text"),
        ("no genes here!", ["SCN1A"], 0.0, None, "no gene symbol found in output"),
        ("SCN1A", [], 0.0, None, "case has no causal gene"),
        (["KCNQ2", "SCN1A"], ["SCN1A"], 0.9, 2, "rank 2"),  # an already parsed list
    ],
)
def test_grade(output, truth, score, rank, reason):
    g = grade(output, truth, k=10, known_genes=KNOWN)
    assert (g.score, g.rank, g.reason) == (pytest.approx(score), rank, reason)


def test_rank_past_k_says_so():
    genes = " ".join(["KCNQ2"] + [f"G{i}" for i in range(12)] + ["SCN1A"])
    g = grade(genes, ["SCN1A"], k=10)
    assert g.rank == 14 and g.score == 0.0 and "past k=10" in g.reason


def test_rank_of_is_case_insensitive():
    assert rank_of(["A", "scn1a"], ["SCN1A"]) == 2
    assert rank_of([], ["SCN1A"]) is None


def test_reward_function_shape_matches_trl():
    grader = TopKRankGrader(k=10, known_genes=KNOWN)
    completions = [
        "SCN1A STXBP1",  # plain text
        [{"role": "assistant", "content": "STXBP1 SCN1A"}],  # conversational
        "garbage",
    ]
    scores = grader(completions=completions, genes=[["STXBP1"], "SCN1A", ["SCN1A"]], prompts=["p"] * 3)
    assert scores == [pytest.approx(0.9), pytest.approx(0.9), 0.0]
    assert grader.last_reasons[2] == "no gene symbol found in output"
    assert grader.__name__ == "topk_rank_k10"
    assert pickle.loads(pickle.dumps(grader))(completions=["SCN1A"], genes=[["SCN1A"]]) == [1.0]


def test_reward_function_validates_config_on_creation():
    with pytest.raises(ValueError, match="unknown grader"):
        TopKRankGrader(kind="bleu")


def test_summarize_uses_grader_scores():
    m = summarize([1, 3, None, 12], k=10)
    assert m["n"] == 4
    assert (m["top1"], m["top3"], m["top10"], m["top50"]) == (0.25, 0.5, 0.5, 0.75)
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 12) / 4)
    assert m["mean_score"] == pytest.approx((1.0 + 0.8) / 4)
    assert m["top_max"] == 0.75
    assert summarize([])["mrr"] == 0.0


def _similarity(gene, listed):
    alike = {("SCN1A", "STXBP1"): 0.5, ("SCN1A", "KCNQ2"): 0.8}
    return [alike.get((gene, g), 0.0) for g in listed]


def test_near_credit_rewards_a_miss_by_its_best_listed_neighbour_discounted_by_rank():
    grader = TopKRankGrader(k=10, known_genes=KNOWN, near_credit=0.1, similarity=_similarity)
    scores = grader(completions=["STXBP1 KCNQ2", "GJB2 STXBP1", "SCN1A GJB2", "GJB2"], genes=[["SCN1A"]] * 4)
    # KCNQ2 at rank 2: 0.8 * 0.9 beats STXBP1 at rank 1 (0.5 * 1.0); a hit scores as without near credit.
    assert scores == [pytest.approx(0.1 * 0.72), pytest.approx(0.1 * 0.5 * 0.9), 1.0, 0.0]
    assert max(scores[:2]) < score_rank(10, 10)  # no miss outscores a hit within k
    assert grader.__name__ == "topk_rank_k10_near0.1"
    assert pickle.loads(pickle.dumps(grader))(completions=["KCNQ2"], genes=[["SCN1A"]]) == [pytest.approx(0.08)]


def test_near_credit_needs_a_similarity_and_a_sensible_weight():
    with pytest.raises(ValueError, match="needs a similarity"):
        TopKRankGrader(near_credit=0.1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        TopKRankGrader(near_credit=2.0, similarity=_similarity)
