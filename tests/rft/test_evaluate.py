from __future__ import annotations

import json
import math
import zipfile

import pytest

from rft.cases import Case, load_cases
from rft.cli import main
from rft.evaluate import compare_results, evaluate, read_results, write_results
from rft.rankers import SimilarityRanker
from rft.splits import publication_of, split_by_publication


def test_evaluate_records_and_metrics(mini_hpo):
    cases = [
        Case("a", ("HP:0002069",), genes=("SCN1A",)),  # found first
        Case("b", ("HP:0000407",), genes=("GJB2",)),  # found first
        Case("c", ("HP:0000407",), genes=("BRCA1",)),  # gene outside the ranker's universe
        Case("d", ("HP:0000407",)),  # no gene: not evaluated
    ]
    records, metrics = evaluate(SimilarityRanker(mini_hpo), cases, k=10)
    assert [r["case_id"] for r in records] == ["a", "b", "c"]
    assert [r["rank"] for r in records] == [1, 1, None]
    assert records[0]["score"] == 1.0 and records[0]["top10"][0] == "SCN1A"
    assert metrics["n"] == 3 and metrics["top1"] == pytest.approx(2 / 3) and metrics["not_in_universe"] == 1


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


def test_compare_intersection_and_plot(tmp_path, capsys):
    a = [{"case_id": f"c{i}", "ranker": "A", "rank": r} for i, r in enumerate([1, 2, 5, None, 3])]
    b = [{"case_id": f"c{i}", "ranker": "B", "rank": r} for i, r in enumerate([1, 1, 2, 4, 9, 1])]  # one extra case
    write_results(a, tmp_path / "a.jsonl")
    write_results(b, tmp_path / "b.jsonl")
    c = compare_results([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert c.n_common == 5 and c.dropped == {"A": 0, "B": 1}
    assert c.pairwise[0]["wins"] == 3 and c.pairwise[0]["losses"] == 1 and c.pairwise[0]["ties"] == 1
    assert 0.0 < c.pairwise[0]["wilcoxon_p"] <= 1.0
    assert main(["compare", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "5 cases common to all files; B: 1 dropped" in out
    assert (tmp_path / "compare_topk.png").stat().st_size > 1000


def test_compare_rejects_bad_files(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"case": 1}\n')
    write_results([{"case_id": "x", "rank": 1}], tmp_path / "ok.jsonl")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        compare_results([tmp_path / "ok.jsonl", tmp_path / "bad.jsonl"])
    write_results([{"case_id": "y", "rank": 1}], tmp_path / "other.jsonl")
    with pytest.raises(ValueError, match="share no case"):
        compare_results([tmp_path / "ok.jsonl", tmp_path / "other.jsonl"])


def test_split_by_publication_keeps_papers_whole():
    cases = [Case(f"PMID_{p}_{i}", ("HP:0001250",), genes=("SCN1A",)) for p in range(20) for i in range(p % 4 + 1)]
    split = split_by_publication(cases, valid_fraction=0.25, seed=3)
    train_pubs = {publication_of(i) for i in split["train"]}
    valid_pubs = {publication_of(i) for i in split["valid"]}
    assert not train_pubs & valid_pubs
    assert len(split["train"]) + len(split["valid"]) == len(cases)
    assert math.isclose(len(split["valid"]) / len(cases), 0.25, abs_tol=0.1)
    assert split == split_by_publication(list(reversed(cases)), valid_fraction=0.25, seed=3)  # order-independent


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
