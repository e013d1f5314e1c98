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
    rows = [("model alone", {}, {"publication_mrr": 0.5}), ("similarity", None, {"publication_mrr": 0.9}), ("fusion", {"hybrid": {"k": 10}}, {"publication_mrr": 0.5})]
    assert best_ranking(rows) == ("model alone", {})
    assert best_ranking([("a", {}, {"mrr": 0.1}), ("b", {"hybrid": {}}, {"mrr": 0.2})], metric="mrr")[0] == "b"


def test_publication_mrr_weighs_each_paper_once(mini_hpo, tiny_bundle):
    # Three cases of one paper and one case of another: the case MRR counts the big paper three times, the
    # publication MRR once, so a ranker that is right only on the big paper does not win the choice by its size.
    from rft.choose import graded
    from rft.rankers.base import RankedGene, Ranking

    class Fixed:
        name, genes = "fixed", ["SCN1A", "GJB2"]

        def rank(self, cases, top=None):
            return [Ranking(c.id, [RankedGene("SCN1A", 1.0), RankedGene("GJB2", 0.0)]) for c in cases]

    cases = [Case(f"PMID_1_{i}", ("HP:0002069",), genes=("SCN1A",)) for i in range(3)] + [Case("PMID_2_a", ("HP:0000407",), genes=("GJB2",))]
    m = graded(Fixed(), cases)
    assert m["mrr"] == (3 + 0.5) / 4 and m["publication_mrr"] == (1 + 0.5) / 2 and m["publications"] == 2
