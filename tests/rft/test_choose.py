"""Choosing a model folder's ranking: the model alone, the classical partners, every fusion, the best by MRR."""

from __future__ import annotations

from rft.cases import Case
from rft.choose import FUSION_KS, FUSION_WEIGHTS, best_ranking, fusion_grid, one_se_choice
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


def test_one_se_rule_takes_the_cheapest_ranking_the_data_cannot_tell_from_the_best():
    pubs = ["P1", "P2", "P3", "P4", "P5", "P6"]
    rr = {
        "model loud": [1.0, 0.5, 1.0, 0.2, 0.5, 1.0],    # the best publication MRR
        "model quiet": [1.0, 0.5, 0.5, 0.2, 0.5, 1.0],   # behind on one paper only: within one SE
        "classical": [0.1, 0.0, 0.1, 0.0, 0.1, 0.0],     # behind everywhere: outside
    }
    cost = {"model loud": 0.8, "model quiet": 0.1, "classical": 0.0}
    chosen, best, within = one_se_choice(rr, pubs, cost)
    assert (chosen, best) == ("model quiet", "model loud")
    assert set(within) == {"model loud", "model quiet"} and within["model loud"] == 0.0
    # Where the best leads the cheaper one on every paper, the difference is certain: the best is kept.
    rr["model quiet"] = [v - 0.05 for v in rr["model loud"]]
    assert one_se_choice(rr, pubs, cost)[0] == "model loud"


def test_one_se_rule_weighs_papers_not_cases():
    # One paper of four cases where the loud ranking wins, two single-case papers where it loses a little: by
    # case it would lead; by paper the two are level, and the quiet one is taken.
    pubs = ["P1"] * 4 + ["P2", "P3"]
    rr = {"loud": [1.0] * 4 + [0.25, 0.25], "quiet": [0.5] * 4 + [0.5, 0.5]}
    chosen, best, _ = one_se_choice(rr, pubs, {"loud": 0.9, "quiet": 0.1})
    assert chosen == "quiet" and best == "quiet"


def test_one_se_rule_breaks_exact_ties_by_the_order_given():
    pubs = ["P1", "P2", "P3"]
    rr = {"w=2": [0.5, 0.25, 1.0], "w=4": [0.5, 0.25 + 1e-9, 1.0]}  # the same to 6 decimals
    assert one_se_choice(rr, pubs, {"w=2": 0.09, "w=4": 0.09})[0] == "w=2"
    assert one_se_choice(dict(reversed(list(rr.items()))), pubs, {"w=2": 0.09, "w=4": 0.09})[0] == "w=4"
