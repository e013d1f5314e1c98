"""GO profiles (rft.genes.GoProfiles: IC-weighted Jaccard of genes' GO terms), their file, and the candidate order
that uses them ("go-similarity": unannotated candidates by function alike the genes that fit the patient best)."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from rft.candidates import CandidateList, CandidateRule, go_affinity, restrict_ranking
from rft.genes import GeneFacts, GeneTable, GoProfiles, go_profiles_text, load_go_profiles, read_go_profiles
from rft.rankers.base import RankedGene, Ranking

TERMS = ["GO:channel", "GO:synapse", "GO:dna_repair", "GO:binding"]
GENES = {"SCN1A": [0, 1, 3], "STXBP1": [1, 3], "OBSCURE1": [0, 1, 3], "TP53": [2, 3], "MIDDLE1": [3]}


@pytest.fixture(scope="module")
def go() -> GoProfiles:
    return GoProfiles(TERMS, GENES)


def test_similarity_is_ic_weighted_jaccard_by_hand(go):
    n = len(GENES)  # 5 genes carry GO terms; IC(term) = ln(5 / genes carrying it)
    ic = {0: math.log(n / 2), 1: math.log(n / 3), 2: math.log(n / 1), 3: math.log(n / 5)}
    scn1a, tp53 = {0, 1, 3}, {2, 3}
    expected = sum(ic[t] for t in scn1a & tp53) / sum(ic[t] for t in scn1a | tp53)
    sim = go.similarity(["TP53", "OBSCURE1", "NOGO"], ["SCN1A"])
    assert sim[0, 0] == pytest.approx(expected)  # only the uninformative "binding" is shared: 0
    assert sim[1, 0] == pytest.approx(1.0)  # the same terms
    assert sim[2, 0] == 0.0  # a gene without GO terms is similar to nothing
    assert go.similarity(["SCN1A"], []).shape == (1, 0)


def test_affinity_weights_reference_by_rank(go):
    a = go_affinity(["OBSCURE1", "TP53"], ["SCN1A", "TP53"], go)
    s = go.similarity(["OBSCURE1", "TP53"], ["SCN1A", "TP53"])
    np.testing.assert_allclose(a, s[:, 0] + s[:, 1] / 2)


def test_file_round_trip_and_bad_files(tmp_path):
    path = tmp_path / "go.tsv.gz"
    path.write_bytes(gzip.compress(go_profiles_text(TERMS, GENES).encode()))
    back = read_go_profiles(path)
    np.testing.assert_allclose(back.similarity(list(GENES), list(GENES)), GoProfiles(TERMS, GENES).similarity(list(GENES), list(GENES)))
    (tmp_path / "bad.tsv").write_text("SCN1A\t0 1\n")
    with pytest.raises(ValueError, match="first line must be '#terms"):
        read_go_profiles(tmp_path / "bad.tsv")
    (tmp_path / "range.tsv").write_text("#terms\tGO:1 GO:2\nSCN1A\t0 5\n")
    with pytest.raises(ValueError, match=r"line 2 \(SCN1A\): term index out of range"):
        read_go_profiles(tmp_path / "range.tsv")
    with pytest.raises(ValueError, match="cannot be read"):
        read_go_profiles(tmp_path / "missing.tsv.gz")


def test_go_similarity_order_puts_the_functional_neighbour_of_the_best_genes_first(go):
    table = GeneTable([GeneFacts("TP53", 7157, "tumor protein p53", "17", 10000, 400, 2, ()),
                       GeneFacts("OBSCURE1", 1, "little known", "1", 2, 1, 0, ()),
                       GeneFacts("MIDDLE1", 2, "somewhat known", "3", 50, 5, 0, ())], {})
    full = Ranking("c", [RankedGene(g, float(4 - i)) for i, g in enumerate(("SCN1A", "STXBP1", "C9orf72", "GJB2"))])
    cl = CandidateList(["GJB2"], ["TP53", "MIDDLE1", "OBSCURE1"])
    by_go = restrict_ranking(full, cl, CandidateRule(0, "go-similarity"), table, go=go)
    assert by_go.symbols == ["OBSCURE1", "TP53", "MIDDLE1", "GJB2"]  # alike SCN1A/STXBP1 first; ties by PubMed
    assert restrict_ranking(full, cl, CandidateRule(0, "pubmed"), table).symbols == ["TP53", "MIDDLE1", "OBSCURE1", "GJB2"]
    # an explicit reference replaces the ranking's own first genes
    assert restrict_ranking(full, cl, CandidateRule(0, "go-similarity"), table, reference=["TP53"], go=go).symbols[0] == "TP53"


def test_shipped_go_profiles():
    go = load_go_profiles()
    sim = go.similarity(["SCN2A", "TTN"], ["SCN1A"])[:, 0]
    assert sim[0] > 3 * sim[1]  # a paralogous sodium channel is alike in function (0.39); titin is not (0.10)
    assert "SCN1A" in go and len(go.terms) > 10_000


def test_go_order_says_what_placed_each_gene(go, mini_hpo):
    from rft.candidates import describe_rule, unannotated_note

    table = GeneTable([GeneFacts("OBSCURE1", 1, "little known", "1", 2, 1, 0, ())], {})
    full = Ranking("c", [RankedGene(g, float(4 - i)) for i, g in enumerate(("SCN1A", "STXBP1", "C9orf72", "GJB2"))])
    out = restrict_ranking(full, CandidateList(["GJB2"], ["OBSCURE1", "NOSUCH9"]), CandidateRule(1, "go-similarity"), table, go=go)
    assert out.unannotated_why == {"OBSCURE1": "most alike in function (GO) to SCN1A, #1 for this patient genome-wide (similarity 1.00)"}
    note = unannotated_note("OBSCURE1", out, mini_hpo, table)
    assert note.startswith("[no phenotype annotation in HPO") and "little known" in note and "alike in function (GO) to SCN1A" in note
    assert unannotated_note("NOSUCH9", out, mini_hpo, table, label=False) == "not in NCBI Gene 2022-09"
    assert describe_rule(CandidateRule(2, "go-similarity", 100)) == (
        "they go after the best 2 annotated candidates (sooner if those rank below #100 genome-wide: a poor fit), "
        "most alike in function (GO) to the genes that fit the patient best first")


@pytest.mark.parametrize("fit_rank, expected", [
    (None, ["SCN1A", "GJB2", "OBSCURE1"]),  # after the best 2 annotated candidates, however poorly they fit
    (3, ["SCN1A", "OBSCURE1", "GJB2"]),  # GJB2 is #4 genome-wide: below the fit rank, so the unannotated gene goes first
    (1, ["SCN1A", "OBSCURE1", "GJB2"]),
])
def test_fit_rank_moves_unannotated_genes_ahead_of_poor_fits(go, fit_rank, expected):
    table = GeneTable([GeneFacts("OBSCURE1", 1, "little known", "1", 2, 1, 0, ())], {})
    full = Ranking("c", [RankedGene(g, float(4 - i)) for i, g in enumerate(("SCN1A", "STXBP1", "C9orf72", "GJB2"))])
    cl = CandidateList(["GJB2", "SCN1A"], ["OBSCURE1"])
    assert restrict_ranking(full, cl, CandidateRule(2, "go-similarity", fit_rank), table, go=go).symbols == expected
    # genome-wide ranks given apart (a ranking already cut to the candidates) decide the same way
    cut = Ranking("c", [RankedGene("SCN1A", 2.0), RankedGene("GJB2", 1.0)])
    assert restrict_ranking(cut, cl, CandidateRule(2, "go-similarity", fit_rank), table, reference=["SCN1A"], go=go,
                            ranks={"SCN1A": 1, "GJB2": 4}).symbols == expected


def test_fit_rank_is_validated():
    with pytest.raises(ValueError, match="fit_rank must be a rank >= 1"):
        CandidateRule(2, "go-similarity", 0)
