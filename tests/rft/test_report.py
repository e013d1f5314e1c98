"""rft.report: the tables, metrics and curves the app shows, built from rankings (no Streamlit)."""

from __future__ import annotations

import pandas as pd
import pytest

from rft.cases import Case
from rft.rankers.base import RankedGene, Ranking
from rft.report import (
    case_results_frame,
    metrics_of,
    metrics_table,
    rank_in_chunks,
    rank_pairs,
    ranking_frame,
    rankings_long_frame,
    read_saved_results,
    topk_curve,
)

CASES = [
    Case("c1", ("HP:0001250",), genes=("SCN1A",)),  # Seizure; found at rank 2
    Case("c2", ("HP:0001263",), genes=("MECP2",)),  # Global developmental delay; not ranked
    Case("c3", ("HP:0001250",)),  # no causal gene: must not count as a failure
]
RANKINGS = [
    Ranking("c1", [RankedGene("STXBP1", 0.9), RankedGene("SCN1A", 0.8)]),
    Ranking("c2", [RankedGene("FBN1", 0.5)]),
    Ranking("c3", [RankedGene("NF1", 0.1)]),
]


def test_case_results_rank_score_and_unknown_gene():
    frame = case_results_frame(CASES, RANKINGS, k=10)
    assert frame["rank"][0] == 2 and pd.isna(frame["rank"][1])
    assert frame["score"][0] == pytest.approx(0.9)  # (k + 1 - rank) / k
    assert frame["score"][1] == 0.0 and pd.isna(frame["score"][2])
    assert frame["top_genes"][0] == "STXBP1, SCN1A"


def test_metrics_count_only_cases_with_a_gene():
    m = metrics_of(case_results_frame(CASES, RANKINGS))
    assert m["n"] == 2 and m["top1"] == 0.0 and m["top3"] == 0.5 and m["mrr"] == pytest.approx(0.25)


def test_metrics_table_one_row_per_ranker():
    frame = case_results_frame(CASES, RANKINGS)
    table = metrics_table({"a": frame, "b": frame})
    assert table["ranker"].tolist() == ["a", "b"] and table["n"].tolist() == [2, 2]


@pytest.mark.parametrize(
    "ranks, max_k, expected",
    [
        ([1, 3, None], 3, [1 / 3, 1 / 3, 2 / 3]),  # the unranked case never counts
        ([], 2, [0.0, 0.0]),  # no cases: a flat zero curve, no division by zero
        ([2, 2], 2, [0.0, 1.0]),
    ],
)
def test_topk_curve(ranks, max_k, expected):
    assert topk_curve(ranks, max_k) == pytest.approx(expected)


def test_rank_pairs_names_the_winner_per_case():
    a = pd.DataFrame({"case_id": ["x", "y", "z"], "causal_gene": ["G1", "G2", "G3"], "rank": pd.array([1, 50, None], dtype="Int64")})
    b = pd.DataFrame({"case_id": ["x", "y", "z"], "causal_gene": ["G1", "G2", "G3"], "rank": pd.array([20, 2, 3], dtype="Int64")})
    pairs = rank_pairs(a, b, "a", "b", k=10)
    assert pairs["winner"].tolist() == ["a", "b", "b"]


def test_ranking_frames():
    one = ranking_frame(RANKINGS[0], truth=("SCN1A",))
    assert one["causal"].tolist() == [False, True] and one["rank"].tolist() == [1, 2]
    long = rankings_long_frame(RANKINGS)
    assert len(long) == 4 and long.columns.tolist() == ["case_id", "rank", "gene", "score"]


def test_read_saved_results_refuses_files_without_the_columns():
    assert read_saved_results("ok.csv", b"case_id,rank\nc1,3\nc2,\n")["rank"].isna().tolist() == [False, True]
    with pytest.raises(ValueError, match="lacks column"):
        read_saved_results("bad.csv", b"a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a readable CSV"):
        read_saved_results("empty.csv", b"")


def test_rank_in_chunks_resumes_where_it_stopped():
    class Echo:
        name = "echo"

        def rank(self, cases, top=None):
            return [Ranking(c.id) for c in cases]

    cases = [Case(f"c{i}", ("HP:0001250",)) for i in range(5)]
    done = [n for n, _ in rank_in_chunks(Echo(), cases, None, chunk_size=2, start=2)]
    assert done == [4, 5]
