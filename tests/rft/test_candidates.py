"""Candidate lists (rft.candidates) over the mini ontology (4 annotated genes: SCN1A, STXBP1, GJB2, C9orf72) and a
hand-written gene table (rft.genes): resolution, placement of unannotated genes, the wrapper, files, cases."""

from __future__ import annotations

import json
import math

import pytest

from rft.candidates import CandidateList, CandidateRanker, CandidateRule, parse_candidates, resolve_candidates, restrict_ranking
from rft.cases import Case, case_from_phenopacket, case_from_record, case_to_record
from rft.evaluate import evaluate
from rft.genes import GeneFacts, GeneTable, load_gene_table
from rft.rankers import LikelihoodRatioRanker
from rft.rankers.base import RankedGene, Ranking


@pytest.fixture(scope="module")
def table() -> GeneTable:
    rows = [
        GeneFacts("SCN1A", 6323, "sodium channel", "2", 900, 50, 3, ()),
        GeneFacts("TP53", 7157, "tumor protein p53", "17", 10000, 400, 2, ()),
        GeneFacts("OBSCURE1", 1, "little known", "1", 2, 1, 0, ()),
        GeneFacts("MIDDLE1", 2, "somewhat known", "3", 50, 5, 0, ()),
    ]
    return GeneTable(rows, {"TP53": ["P53", "LFS1"], "OBSCURE1": ["SHARED"], "MIDDLE1": ["SHARED", "OLDNAME"]})


def test_resolve_kb_spelling_aliases_and_unknown(mini_hpo, table):
    cl = resolve_candidates(["scn1a", "p53", "OLDNAME", "SHARED", "NOSUCH9", "SCN1A", "gjb2"], mini_hpo, table)
    assert cl.annotated == ["SCN1A", "GJB2"]  # the KB's spelling, any case; the duplicate kept once
    assert cl.unannotated == ["TP53", "MIDDLE1", "SHARED", "NOSUCH9"]  # an ambiguous alias resolves to nothing: kept as given
    assert "p53 read as TP53" in cl.notes and "OLDNAME read as MIDDLE1" in cl.notes
    assert any(n.startswith("NOSUCH9: not a symbol") for n in cl.notes)


def _ranking(*genes: str) -> Ranking:
    return Ranking("c", [RankedGene(g, float(len(genes) - i)) for i, g in enumerate(genes)])


@pytest.mark.parametrize(
    "rule, expected",
    [
        (CandidateRule(0, "pubmed"), ["TP53", "MIDDLE1", "OBSCURE1", "STXBP1", "GJB2"]),  # unannotated first, most-studied first
        (CandidateRule(1, "pubmed"), ["STXBP1", "TP53", "MIDDLE1", "OBSCURE1", "GJB2"]),  # after the best annotated one
        (CandidateRule(99, "list"), ["STXBP1", "GJB2", "OBSCURE1", "TP53", "MIDDLE1"]),  # after all, as given
    ],
)
def test_restrict_places_unannotated_by_rule(table, rule, expected):
    full = _ranking("SCN1A", "STXBP1", "C9orf72", "GJB2")  # the ranker's order over the whole KB
    cl = CandidateList(["GJB2", "STXBP1"], ["OBSCURE1", "TP53", "MIDDLE1"])
    out = restrict_ranking(full, cl, rule, table)
    assert out.symbols == expected
    assert set(out.unannotated) == {"OBSCURE1", "TP53", "MIDDLE1"}
    assert all(math.isnan(g.score) for g in out.genes if g.gene in out.unannotated)
    assert [g.score for g in out.genes if g.gene == "STXBP1"] == [3.0]  # annotated genes keep the ranker's score


def test_rule_is_validated():
    with pytest.raises(ValueError, match="after must be"):
        CandidateRule(-1)
    with pytest.raises(ValueError, match="order 'alphabet' is unknown"):
        CandidateRule(1, "alphabet")


def test_candidate_ranker_and_evaluate(mini_hpo, table):
    cases = [Case("a", ("HP:0002069",), genes=("SCN1A",)), Case("b", ("HP:0000407",), genes=("TP53",)), Case("c", ("HP:0000407",), genes=("GJB2",))]
    given = {"a": ["GJB2", "SCN1A", "TP53"], "b": ["GJB2", "TP53"], "c": ["SCN1A", "TP53"]}
    ranker = CandidateRanker(LikelihoodRatioRanker(mini_hpo), mini_hpo, given, CandidateRule(1, "pubmed"), table)
    rankings = ranker.rank(cases)
    assert [r.symbols for r in rankings] == [["SCN1A", "TP53", "GJB2"], ["GJB2", "TP53"], ["SCN1A", "TP53"]]
    results, metrics = evaluate(ranker, cases)
    assert [r.rank for r in results] == [1, 2, None]  # c's causal gene is not among its candidates
    assert [r.in_universe for r in results] == [True, True, False]
    assert metrics["not_in_universe"] == 1
    with pytest.raises(ValueError, match="case 'x' has no candidate genes"):
        ranker.rank([Case("x", ("HP:0000407",))])


def test_case_candidates_used_when_none_given(mini_hpo, table):
    case = Case("a", ("HP:0000407",), candidates=("SCN1A", "GJB2"))
    [r] = CandidateRanker(LikelihoodRatioRanker(mini_hpo), mini_hpo, None, table=table).rank([case])
    assert r.symbols == ["GJB2", "SCN1A"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SCN1A\nGJB2\n", ["SCN1A", "GJB2"]),  # one per line
        ("SCN1A, GJB2; TP53 KCNQ2", ["SCN1A", "GJB2", "TP53", "KCNQ2"]),  # pasted with commas, semicolons, spaces
        ("case_id\tgene\na\tSCN1A\na\tGJB2\nb\tTP53\n", {"a": ["SCN1A", "GJB2"], "b": ["TP53"]}),  # TSV with its header
        ("# exome 1\na\tSCN1A\n", {"a": ["SCN1A"]}),  # a comment line
    ],
)
def test_parse_candidates(text, expected):
    assert parse_candidates(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("a\tSCN1A\nb\t\n", "line 2"),  # a TSV row without its gene
        ("\n# nothing\n", "no gene symbol"),
    ],
)
def test_parse_candidates_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_candidates(text, "cands.tsv")


def test_cases_carry_candidates(mini_hpo):
    case, _ = case_from_record({"id": "r1", "present": ["HP:0000407"], "genes": ["GJB2"], "candidates": ["GJB2", "TP53"]}, mini_hpo)
    assert case.candidates == ("GJB2", "TP53")
    assert case_to_record(case)["candidates"] == ["GJB2", "TP53"]
    plain, _ = case_from_record({"id": "r2", "present": ["HP:0000407"]}, mini_hpo)
    assert "candidates" not in case_to_record(plain)  # records without candidates stay as they were

    def gi(symbol, status):
        return {"interpretationStatus": status, "variantInterpretation": {"variationDescriptor": {"geneContext": {"symbol": symbol}}}}

    packet = {"id": "p1", "phenotypicFeatures": [{"type": {"id": "HP:0000407"}}],
              "interpretations": [{"diagnosis": {"genomicInterpretations": [gi("GJB2", "CAUSATIVE"), gi("TP53", "CANDIDATE"), gi("SCN1A", "CANDIDATE")]}}]}
    case, _ = case_from_phenopacket(json.loads(json.dumps(packet)), mini_hpo)
    assert case.genes == ("GJB2",)
    assert case.candidates == ("TP53", "SCN1A", "GJB2")  # the CANDIDATE genes and the causal one


def test_shipped_gene_table():
    table = load_gene_table()
    assert len(table.symbols) > 19_000  # NCBI Gene's protein-coding genes
    assert table.resolve("p53") == "TP53" and table.facts("TP53").pubmed > 1000


def test_downloads_of_a_candidate_ranking_hold_no_nan(mini_hpo, table):
    from rft import report

    case = Case("a", ("HP:0000407",), genes=("GJB2",))
    [r] = CandidateRanker(LikelihoodRatioRanker(mini_hpo), mini_hpo, ["GJB2", "TP53"], table=table).rank([case])
    record = json.dumps(report.diagnosis_record(case, r, mini_hpo, "likelihood"), allow_nan=False)  # strict JSON
    assert '"score": null' in record
    assert "no HPO annotation" in report.diagnosis_summary_html(case, r, mini_hpo, "likelihood", 10, top=2)
