"""Prospective evaluation: windows by publication date, case facts, and standard errors that respect publications."""

from __future__ import annotations

import math

import pytest

from rft.cases import Case
from rft.evaluate import CaseResult
from rft.prospective import breakdown, case_facts, format_breakdown, match_fraction, mean_with_se, paired_difference
from rft.splits import prospective_split, publication_pmid


def test_windows_follow_the_horizon_and_keep_papers_whole():
    cases = [Case(f"PMID_{p}_{i}", ("HP:0001250",), genes=("SCN1A",)) for p in (5, 10, 11, 20, 21) for i in range(2)] + [Case("lab-7", ("HP:0001250",))]
    split = prospective_split(cases, horizon=10, tune_until=20)
    # PMID 10 is at the horizon: the KB may know it, so it is training material, never prospective.
    assert {publication_pmid(i) for i in split["train"]} == {5, 10}
    assert {publication_pmid(i) for i in split["tune"]} == {11, 20} and {publication_pmid(i) for i in split["eval"]} == {21}
    assert split["no_pmid"] == ["lab-7"] and split["n_eval"] == 2
    with pytest.raises(ValueError, match="must not be before the horizon"):
        prospective_split(cases, horizon=10, tune_until=9)


@pytest.mark.parametrize(
    "present, gene, expected",
    [
        (("HP:0002069", "HP:0000407"), "SCN1A", 0.5),  # tonic-clonic seizure is SCN1A's own term; hearing is not
        (("HP:0001250",), "SCN1A", 1.0),  # Seizure: annotated to SCN1A itself
        (("HP:0012638",), "SCN1A", 0.0),  # above SCN1A's annotations (less specific), not at or under one
        (("HP:0000407",), "NOTAGENE", None),  # a gene the KB does not know has no match at all
    ],
)
def test_match_fraction(mini_hpo, present, gene, expected):
    assert match_fraction(mini_hpo, Case("c", present, genes=(gene,))) == expected


def test_clustered_standard_error_is_larger_when_a_paper_dominates():
    values = [1.0] * 50 + [0.0] * 50
    independent = mean_with_se(values, [str(i) for i in range(100)])
    one_paper_each = mean_with_se(values, ["a"] * 50 + ["b"] * 50)  # each paper all right or all wrong
    assert independent[0] == one_paper_each[0] == 0.5
    assert independent[1] == pytest.approx(math.sqrt(0.25 * 100 / 99 / 100))
    assert one_paper_each[2] > 5 * independent[2]
    assert all(math.isnan(x) for x in mean_with_se([], []))


def test_breakdown_by_subset(mini_hpo):
    cases = [
        Case("PMID_1_a", ("HP:0002069",), genes=("SCN1A",)),  # gene in KB, seen in training, full match
        Case("PMID_2_a", ("HP:0000407",), genes=("SCN1A",)),  # gene in KB, seen, no match
        Case("PMID_2_b", ("HP:0000407",), genes=("GJB2",)),  # gene in KB, unseen, full match
        Case("PMID_3_a", ("HP:0000407",), genes=("NEWGENE",)),  # gene the KB does not know
    ]
    facts = case_facts(cases, mini_hpo, train_genes={"SCN1A"})
    results = [CaseResult(c.id, c.genes, r) for c, r in zip(cases, [1, 4, 1, None])]
    table = breakdown(results, facts)
    assert table["all"]["n"] == 4 and table["all"]["top1"] == 0.5 and table["all"]["publications"] == 3
    assert table["gene in KB"]["n"] == 3 and table["seen gene"]["n"] == 2 and table["unseen gene"]["top1"] == 1.0
    assert table["match < 0.5"]["n"] == 1 and table["match < 0.5"]["mrr"] == 0.25
    text = format_breakdown({"r": table})
    assert "| r | 0.500 ± " in text and "unseen gene (n=1, 1 pubs)" in text


def test_paired_difference_cancels_what_both_rankers_share(mini_hpo):
    # Two rankers that agree on 9 cases (ranks 1..9) and differ on one (rank 1 vs rank 2): the MRRs' own SEs
    # are large, the paired difference is exactly 0.05 with a small SE; cases only one ranker graded are left out.
    cases = [Case(f"PMID_{i}_a", ("HP:0002069",), genes=("SCN1A",)) for i in range(10)]
    facts = case_facts(cases, mini_hpo, train_genes=set())
    a = [CaseResult(c.id, c.genes, i + 1) for i, c in enumerate(cases)]
    b = [CaseResult(c.id, c.genes, i + 1 if i else 2) for i, c in enumerate(cases)]
    d = paired_difference(a + [CaseResult("PMID_99_a", ("SCN1A",), 1)], b, facts)
    assert d["n"] == 10 and d["publications"] == 10 and d["mrr_diff"] == pytest.approx(0.05)
    assert d["se"] == pytest.approx(0.05) and d["se"] < breakdown(a, facts)["all"]["mrr_se"]
    assert paired_difference(a, a, facts)["mrr_diff"] == 0.0
    assert d["pub_mrr_diff"] == pytest.approx(0.05) and d["pub_se"] == pytest.approx(0.05)  # one case per paper: the same


def test_paired_difference_by_publication_weighs_each_paper_once(mini_hpo):
    # Paper 1: 3 cases, a better by 0.5 on each; paper 2: 1 case, b better by 0.5. By case a leads by 0.25; by
    # publication the two papers cancel, with the SE of two papers' differences (0.5).
    cases = [Case(f"PMID_1_{i}", ("HP:0002069",), genes=("SCN1A",)) for i in range(3)] + [Case("PMID_2_a", ("HP:0002069",), genes=("SCN1A",))]
    facts = case_facts(cases, mini_hpo, train_genes=set())
    a = [CaseResult(c.id, c.genes, 1 if c.id.startswith("PMID_1") else 2) for c in cases]
    b = [CaseResult(c.id, c.genes, 2 if c.id.startswith("PMID_1") else 1) for c in cases]
    d = paired_difference(a, b, facts)
    assert d["mrr_diff"] == pytest.approx(0.25) and d["publications"] == 2
    assert d["pub_mrr_diff"] == pytest.approx(0.0) and d["pub_se"] == pytest.approx(0.5)


def test_the_window_view_cuts_at_the_horizon(mini_hpo):
    # The fresh window's subsets (bench/window.py): a paper newer than every paper the KB cites is "above horizon".
    import copy

    from rft.prospective import WINDOW_SUBSETS, format_summary

    hpo = copy.copy(mini_hpo)
    hpo.horizon = 200
    cases = [Case("PMID_100_a", ("HP:0001250",), genes=("SCN1A",)), Case("PMID_300_b", ("HP:0001250",), genes=("STXBP1",)),
             Case("case-x", ("HP:0001250",), genes=("GJB2",))]
    facts = case_facts(cases, hpo, train_genes={"SCN1A"})
    assert [facts[c.id].above_horizon for c in cases] == [False, True, False]  # no PMID: not known to be newer
    assert [WINDOW_SUBSETS["unseen gene, above horizon"](facts[c.id]) for c in cases] == [False, True, False]
    results = [CaseResult(c.id, c.genes, rank) for c, rank in zip(cases, (1, 4, None))]
    table = breakdown(results, facts, WINDOW_SUBSETS)
    assert table["above horizon"]["n"] == 1 and table["seen gene"]["top1"] == 1.0
    summary = format_summary({"r": results}, {"r": table}, "cse")
    assert summary.splitlines()[2].startswith("| r | 3 | 0.333 ± ")
