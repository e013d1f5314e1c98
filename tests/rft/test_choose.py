"""Choosing a model folder's ranking: the model alone, the classical partners, every fusion, the best by MRR."""

from __future__ import annotations

from rft.cases import Case
from rft.choose import FUSION_KS, FUSION_WEIGHTS, best_ranking, fusion_grid
from rft.model import ModelRanker


def test_grid_grades_every_candidate_and_ships_only_model_rankings(mini_hpo, tiny_bundle):
    cases = [Case("a", ("HP:0002069",), genes=("SCN1A",)), Case("b", ("HP:0000407",), genes=("GJB2",))]
    rows = fusion_grid(ModelRanker(tiny_bundle, mini_hpo, generate=0), mini_hpo, cases)
    labels = [label for label, _, _ in rows]
    assert labels[0] == "model alone" and "similarity" in labels and "likelihood" in labels
    assert len(rows) == 1 + 2 * (1 + len(FUSION_KS) * len(FUSION_WEIGHTS))
    assert all(m["n"] == 2 for _, _, m in rows)
    label, ranking = best_ranking(rows)
    assert label not in ("similarity", "likelihood")  # a classical ranker alone is no ranking of a model folder
    assert ranking == {} or set(ranking["hybrid"]) == {"classical", "mode", "k", "weight"}


def test_best_ranking_takes_the_first_of_equals():
    rows = [("model alone", {}, {"mrr": 0.5}), ("similarity", None, {"mrr": 0.9}), ("fusion", {"hybrid": {"k": 10}}, {"mrr": 0.5})]
    assert best_ranking(rows) == ("model alone", {})
