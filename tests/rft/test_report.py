"""rft.report: the tables and curves the app shows, rendered from graded results (no Streamlit)."""

from __future__ import annotations

import pytest

from rft.evaluate import CaseResult, compare
from rft.rankers.base import RankedGene, Ranking
from rft.report import download_name, rank_pairs, ranking_frame, rankings_long_frame, results_frame, topk_curves_frame

RANKINGS = [
    Ranking("c1", [RankedGene("STXBP1", 0.9), RankedGene("SCN1A", 0.8)]),
    Ranking("c2", [RankedGene("FBN1", 0.5)]),
]


def test_results_frame_keeps_missing_ranks_and_scores_as_na():
    frame = results_frame([CaseResult("c1", ("SCN1A",), 2, 0.9, ("STXBP1", "SCN1A")), CaseResult("c2", (), None, None)])
    assert frame["rank"].tolist()[0] == 2 and frame["rank"].isna().tolist() == [False, True]
    assert frame["score"].isna().tolist() == [False, True]
    assert frame["top_genes"][0] == "STXBP1, SCN1A" and frame["causal_gene"][1] == ""


@pytest.mark.parametrize(
    "ranks, expected",
    [
        ([1, 3, None], [1 / 3, 1 / 3, 2 / 3]),  # the unranked case never counts
        ([], [0.0, 0.0, 0.0]),  # no cases: a flat zero curve, no division by zero
    ],
)
def test_topk_curves_frame(ranks, expected):
    frame = topk_curves_frame({"a": ranks}, max_k=3)
    assert frame["k"].tolist() == [1, 2, 3] and frame["fraction"].tolist() == pytest.approx(expected)


def test_rank_pairs_names_the_winner_per_case():
    a = [CaseResult(c, ("G",), r) for c, r in zip("xyz", [1, 50, None])]
    b = [CaseResult(c, ("G",), r) for c, r in zip("xyz", [20, 2, 3])]
    pairs = rank_pairs(compare({"a": a, "b": b}), "a", "b", k=10)
    assert pairs["winner"].tolist() == ["a", "b", "b"]


def test_ranking_frames():
    one = ranking_frame(RANKINGS[0], truth=("SCN1A",))
    assert one["causal"].tolist() == [False, True] and one["rank"].tolist() == [1, 2]
    long = rankings_long_frame(RANKINGS)
    assert len(long) == 3 and long.columns.tolist() == ["case_id", "rank", "gene", "score"]


def test_ranking_frame_marks_ties_with_the_rank_they_share():
    from rft.rankers.base import RankedGene, Ranking

    ranking = Ranking("c", [RankedGene("A", 3.0), RankedGene("B", 2.0), RankedGene("C", 2.0), RankedGene("D", 1.0)])
    frame = ranking_frame(ranking)
    assert frame["rank"].tolist() == [1, 2, 3, 4]  # list position: the grader's convention
    assert frame["tie"].tolist() == ["", "=2", "=2", ""]  # B and C share rank 2


@pytest.mark.parametrize(
    "ranker, expected",
    [
        ("default", "rankings_default_2026-11-30.csv"),  # the shipped model, by its spec
        ("similarity", "rankings_similarity_2026-11-30.csv"),
        ("model:/data/runs/rft lr=3e-5/merged", "rankings_merged_2026-11-30.csv"),  # a model folder: its own name
        ("model:C:/runs/my model", "rankings_my-model_2026-11-30.csv"),  # spaces would break a shell command
        ("", "rankings_ranker_2026-11-30.csv"),  # no ranker recorded
    ],
)
def test_download_name_holds_ranker_and_date(ranker, expected):
    import datetime

    assert download_name("rankings", ranker, "csv", datetime.date(2026, 11, 30)) == expected


def test_a_disease_named_alike_by_omim_and_orphanet_is_listed_once(hpo):
    # Issue 26, bug 6: ANKRD11's "KBG syndrome" is OMIM:148050 and ORPHA:2332; the table, JSON and summary said it twice.
    from rft.cases import Case
    from rft.report import diagnosis_record, diagnosis_summary_html, ranking_frame

    ranking = Ranking("c", [RankedGene("ANKRD11", 1.0)])
    assert ranking_frame(ranking, hpo)["diseases"][0].count("KBG syndrome") == 1
    assert diagnosis_record(Case("c", ("HP:0001250",)), ranking, hpo, "x")["genes"][0]["diseases"].count("KBG syndrome") == 1
    assert diagnosis_summary_html(Case("c", ("HP:0001250",)), ranking, hpo, "x").count("KBG syndrome") == 1


def test_printable_summary_opens_with_the_disclaimer_and_says_when_what_and_which_release(hpo):
    from datetime import datetime, timezone

    from rft.cases import Case
    from rft.report import diagnosis_summary_html

    page = diagnosis_summary_html(Case("c", ("HP:0001250",)), Ranking("c", [RankedGene("SCN1A", 1.0)]), hpo, "likelihood",
                                  created=datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc))
    body = page.split("<body>")[1]
    assert body.index("Research use only") < body.index("<h1>")  # the disclaimer on top
    assert "2026-12-07 04:30 UTC" in body and "rft-genes" in body and f"HPO release (knowledge base) {hpo.version}" in body


def test_gene_table_shows_each_genes_modes_of_inheritance(hpo):
    frame = ranking_frame(Ranking("c", [RankedGene("SCN1A", 2.0), RankedGene("MECP2", 1.0)]), hpo)
    assert frame["inheritance"].tolist() == ["AD", "XL, XLD, XLR"]


def test_json_export_carries_a_fused_genes_parts(hpo):
    import numpy as np

    from rft.cases import Case
    from rft.rankers.base import FusionParts
    from rft.report import diagnosis_record

    parts = FusionParts("m", "likelihood", 60.0, 1.0, np.array([3.0, 1.0]), np.array([1.0, 4.0]))
    ranking = Ranking("c", [RankedGene("SCN1A", 1 / 63 + 1 / 61), RankedGene("FBN1", 1 / 61 + 1 / 64)], fusion=parts)
    genes = diagnosis_record(Case("c", ("HP:0001250",)), ranking, hpo, "x")["genes"]
    assert [(g["model_rank"], g["classical_rank"]) for g in genes] == [(3, 1), (1, 4)] and genes[0]["rrf_k"] == 60.0
