from __future__ import annotations

import json
import math
import zipfile

import pytest

from rft.cases import Case
from rft.cli import main
from rft.evaluate import CaseResult, compare, evaluate, grade_rankings, read_results, results_text, write_results
from rft.rankers import RankedGene, Ranking, SimilarityRanker
from rft.report import format_comparison
from rft.splits import publication_of, split_by_publication


def test_evaluate_records_and_metrics(mini_hpo):
    cases = [
        Case("a", ("HP:0002069",), genes=("SCN1A",)),  # found first
        Case("b", ("HP:0000407",), genes=("GJB2",)),  # found first
        Case("c", ("HP:0000407",), genes=("BRCA1",)),  # gene outside the ranker's universe
        Case("d", ("HP:0000407",)),  # no gene: not evaluated
    ]
    results, metrics = evaluate(SimilarityRanker(mini_hpo), cases, k=10)
    assert [r.case_id for r in results] == ["a", "b", "c"]
    assert [r.rank for r in results] == [1, 1, None]
    assert results[0].score == 1.0 and results[0].top_genes[0] == "SCN1A" and results[0].ranker == "similarity"
    assert [r.in_universe for r in results] == [True, True, False]
    assert metrics["n"] == 3 and metrics["top1"] == pytest.approx(2 / 3) and metrics["not_in_universe"] == 1


def test_grade_rankings_rank_score_and_unknown_gene():
    cases = [
        Case("c1", ("HP:0001250",), genes=("SCN1A",)),  # Seizure; found at rank 2
        Case("c2", ("HP:0001263",), genes=("MECP2",)),  # Global developmental delay; not ranked
        Case("c3", ("HP:0001250",)),  # no causal gene: no score, so never a failure
    ]
    rankings = [Ranking("c1", [RankedGene("STXBP1", 0.9), RankedGene("SCN1A", 0.8)]), Ranking("c2", [RankedGene("FBN1", 0.5)]), Ranking("c3")]
    results = grade_rankings(cases, rankings, k=10)
    assert [r.rank for r in results] == [2, None, None]
    assert [r.score for r in results] == [pytest.approx(0.9), 0.0, None]  # (k + 1 - rank) / k
    assert results[0].top_genes == ("STXBP1", "SCN1A")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_results_files_round_trip_in_both_formats(tmp_path, suffix):
    # `rft eval --out` writes JSONL, the Batch page CSV: both carry the same columns and read back the same.
    results = [
        CaseResult("c1", ("SCN1A",), 2, 0.9, ("STXBP1", "SCN1A"), "similarity", 3, 1, 1.5),
        CaseResult("c2", (), None, None, ("FBN1",), "similarity", 1, 0, 0.5),
    ]
    write_results(results, tmp_path / f"r{suffix}")
    assert read_results(tmp_path / f"r{suffix}") == results


def test_eval_cli_on_zip_with_broken_files(tmp_path, fixtures_dir, capsys):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("valid_phenopacket.json", "obsolete_id_phenopacket.json", "malformed.json", "empty_phenotypes_phenopacket.json"):
            zf.write(fixtures_dir / "cases" / name, f"store/{name}")
    out = tmp_path / "results.jsonl"
    code = main(["eval", "--ranker", "similarity", "--cases", str(archive), "--out", str(out), "--json", "--hpo-dir", str(fixtures_dir / "hpo_mini")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["metrics"]["n"] == 2  # the two good cases were ranked
    assert data["skipped_cases"] == 2 and data["problems_by_kind"]["malformed"] == 1
    assert any("malformed.json" in p for p in data["problems"])
    assert len(read_results(out)) == 2


def _results(ranker: str, ranks: list) -> list[CaseResult]:
    return [CaseResult(f"c{i}", ("G",), r, None, (), ranker) for i, r in enumerate(ranks)]


def test_compare_intersection_and_plot(tmp_path, capsys):
    write_results(_results("A", [1, 2, 5, None, 3]), tmp_path / "a.jsonl")
    write_results(_results("B", [1, 1, 2, 4, 9, 1]), tmp_path / "b.csv")  # one extra case; a Batch-page CSV
    c = compare({"A": read_results(tmp_path / "a.jsonl"), "B": read_results(tmp_path / "b.csv")})
    assert c.n_common == 5 and c.dropped == {"A": 0, "B": 1}
    assert c.pairwise[0]["wins"] == 3 and c.pairwise[0]["losses"] == 1 and c.pairwise[0]["ties"] == 1
    assert 0.0 < c.pairwise[0]["wilcoxon_p"] <= 1.0
    assert main(["compare", str(tmp_path / "a.jsonl"), str(tmp_path / "b.csv")]) == 0
    out = capsys.readouterr().out
    assert "5 cases common to all files; B: 1 dropped" in out
    assert (tmp_path / "compare_topk.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.jsonl", b'{"case": 1}\n', "bad.jsonl:1: a results line needs 'case_id' and 'rank'"),
        ("bad.jsonl", b"{not json\n", "bad.jsonl:1: not valid JSON"),
        ("bad.csv", b"a,b\n1,2\n", "bad.csv: lacks column"),
        ("bad.csv", b"case_id,rank\nx,first\n", "bad.csv:2: rank 'first' is not a whole number"),
        ("empty.csv", b"", "lacks column"),
        ("empty.jsonl", b"\n", "holds no case"),
    ],
)
def test_bad_results_files_name_the_file_and_line(name, content, message):
    with pytest.raises(ValueError, match=message):
        read_results(name, content)


def test_compare_needs_common_cases():
    with pytest.raises(ValueError, match="share no case"):
        compare({"a": _results("a", [1]), "b": [CaseResult("other", ("G",), 1)]})


def test_split_by_publication_keeps_papers_whole():
    cases = [Case(f"PMID_{p}_{i}", ("HP:0001250",), genes=("SCN1A",)) for p in range(20) for i in range(p % 4 + 1)]
    split = split_by_publication(cases, valid_fraction=0.25, seed=3)
    train_pubs = {publication_of(i) for i in split["train"]}
    valid_pubs = {publication_of(i) for i in split["valid"]}
    assert not train_pubs & valid_pubs
    assert len(split["train"]) + len(split["valid"]) == len(cases)
    assert math.isclose(len(split["valid"]) / len(cases), 0.25, abs_tol=0.1)
    assert split == split_by_publication(list(reversed(cases)), valid_fraction=0.25, seed=3)  # order-independent


def test_gene_folds_never_share_a_gene():
    """split_by_gene: the held-out genes of the folds partition the genes; no training case names a held-out gene."""
    from rft.splits import split_by_gene

    genes = [f"G{i}" for i in range(23)]
    cases = [Case(f"PMID_{i}_a", ("HP:0001250",), genes=(genes[i % 23],)) for i in range(60)]
    cases.append(Case("PMID_99_a", ("HP:0001250",), genes=("G1", "G2")))  # two genes: held out when either is
    splits = [split_by_gene(cases, folds=5, fold=f, seed=7) for f in range(5)]
    held = [set(s["held_out_genes"]) for s in splits]
    assert all(not a & b for i, a in enumerate(held) for b in held[i + 1 :]) and set().union(*held) == set(genes)
    by_id = {c.id: c for c in cases}
    for s in splits:
        train_genes = {g for i in s["train"] for g in by_id[i].genes}
        assert not train_genes & set(s["held_out_genes"])
        assert all(set(by_id[i].genes) & set(s["held_out_genes"]) for i in s["valid"])
        assert sorted(s["train"] + s["valid"]) == sorted(by_id)
    assert splits[0] == split_by_gene(list(reversed(cases)), folds=5, fold=0, seed=7)  # order-independent
    mixed = split_by_gene(cases, folds=5, fold=0, seed=7, seen_fraction=0.3)  # + whole papers of seen genes in valid
    assert set(splits[0]["valid"]) < set(mixed["valid"]) and not set(mixed["train"]) & set(mixed["valid"])
    with pytest.raises(ValueError, match="fold must be in 0..4"):
        split_by_gene(cases, folds=5, fold=5)


def test_tune_part_takes_whole_papers_from_train_only():
    from rft.splits import carve_tuning

    cases = [Case(f"PMID_{p}_{i}", ("HP:0001250",), genes=("SCN1A",)) for p in range(30) for i in range(p % 4 + 1)]
    split = split_by_publication(cases, valid_fraction=0.25, seed=3)
    carved = carve_tuning(split, n_cases=10, seed=0)
    assert carved["valid"] == split["valid"]  # validation untouched
    assert sorted(carved["train"] + carved["tune"]) == sorted(split["train"])
    assert 10 <= len(carved["tune"]) < 14  # whole papers of at most 4 cases, until 10 are held out
    assert not {publication_of(i) for i in carved["tune"]} & {publication_of(i) for i in carved["train"]}
    with pytest.raises(ValueError, match="at least 1"):
        carve_tuning(split, n_cases=0)


def test_rank_in_chunks_resumes_where_it_stopped():
    from rft.evaluate import rank_in_chunks

    class Echo:
        name = "echo"

        def rank(self, cases, top=None):
            return [Ranking(c.id) for c in cases]

    cases = [Case(f"c{i}", ("HP:0001250",)) for i in range(5)]
    done = [n for n, _ in rank_in_chunks(Echo(), cases, None, chunk_size=2, start=2)]
    assert done == [4, 5]


def test_a_file_that_kept_only_a_head_is_compared_within_it():
    # Issue 26, bug 3: a Batch CSV keeps each case's top 100 genes; `rft eval` keeps whole rankings. A gene the CSV
    # cut off (rank > 100 in the full file) is no loss for the CSV's ranker: both are compared within the top 100.
    full = [CaseResult(f"c{i}", ("G",), r, ranker="likelihood") for i, r in enumerate([5, 150, 300, 2])]
    head = [CaseResult(f"c{i}", ("G",), r, ranker="likelihood", kept=100) for i, r in enumerate([5, None, None, 3])]
    c = compare({"eval": full, "batch": head})
    assert c.cut == 100 and c.ranks["eval"] == [5, None, None, 2]
    assert (c.pairwise[0]["wins"], c.pairwise[0]["losses"], c.pairwise[0]["ties"]) == (0, 1, 3)
    assert "top 100" in format_comparison(c)
    # the depth travels in the results file, CSV and JSONL alike
    for csv_format, name in ((True, "r.csv"), (False, "r.jsonl")):
        assert [r.kept for r in read_results(name, results_text(head, csv_format=csv_format).encode())] == [100] * 4


def test_graded_head_keeps_the_rankers_universe():
    # Issue 26, bug 2: a causal gene the ranker knows but that fell below the kept head is in the universe.
    case = Case("c", ("HP:0001250",), genes=("FAR",))
    head = Ranking("c", [RankedGene("NEAR", 1.0)])
    assert grade_rankings([case], [head])[0].in_universe is False  # what the head alone says
    [graded] = grade_rankings([case], [head], universe={"NEAR", "FAR"}, kept=1)
    assert graded.in_universe and graded.kept == 1 and graded.rank is None
