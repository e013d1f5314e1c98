"""The `rft` command line, run in-process on the mini ontology (and once on the bundled release)."""

from __future__ import annotations

import json
import sys

import pytest

from rft.cli import main


@pytest.fixture
def run(capsys, fixtures_dir):
    def _run(*argv: str, hpo_dir: str | None = str(fixtures_dir / "hpo_mini")) -> tuple[int, str, str]:
        extra = ["--hpo-dir", hpo_dir] if hpo_dir else []
        code = main([*argv, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_hpo_search_json(run):
    code, out, _ = run("hpo", "search", "seizure", "--json")
    data = json.loads(out)
    assert code == 0 and data["hits"][0]["id"] == "HP:0001250" and data["hpo_version"] == "2099-01-01"


def test_hpo_search_bundled_release_lists_seizure_first(run):
    code, out, _ = run("hpo", "search", "seizure", "--limit", "3", "--json", hpo_dir=None)
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "HP:0001250"


def test_hpo_info(run):
    code, out, _ = run("hpo", "info", "hp_0001275", "--json")  # alt id of Seizure
    data = json.loads(out)
    assert code == 0 and data["id"] == "HP:0001250" and data["label"] == "Seizure"
    assert data["parents"] == [{"id": "HP:0012638", "label": "Abnormal nervous system physiology"}]
    assert data["genes_annotated"] == 2 and "Seizures" in data["synonyms"]


def test_hpo_info_unknown_term_exits_2(run):
    code, _, err = run("hpo", "info", "HP:1234567")
    assert code == 2 and "HP:1234567" in err


def test_cases_validate_reports_counts_and_problems(run, fixtures_dir):
    code, out, _ = run("cases", "validate", str(fixtures_dir / "cases"), "--json", "--show", "3")
    data = json.loads(out)
    assert code == 0
    assert data["read"] == 17 and data["usable"] == 10 and data["with_gene"] == 7 and data["with_excluded"] == 3
    assert data["problems_by_kind"]["malformed"] == 4 and len(data["first_problems"]) == 3


@pytest.mark.parametrize("path, message", [("nope.zip", "does not exist"), ("pyproject.toml", "unsupported format")])
def test_cases_validate_bad_path_exits_2(run, path, message):
    code, _, err = run("cases", "validate", path)
    assert code == 2 and message in err


def test_cases_convert(run, fixtures_dir, tmp_path):
    out_path = tmp_path / "out.jsonl"
    code, out, _ = run("cases", "convert", str(fixtures_dir / "cases" / "cases.csv"), str(out_path), "--json")
    assert code == 0 and json.loads(out)["written"] == 5
    assert len(out_path.read_text().splitlines()) == 5


def test_grade(run):
    code, out, _ = run("grade", "--truth", "STXBP1", "1. SCN1A, 2. stxbp1, 3. FAKE", "--k", "10", "--json")
    data = json.loads(out)
    assert code == 0 and data["rank"] == 2 and data["score"] == pytest.approx(0.9)


def test_grade_bad_k_exits_2(run):
    code, _, err = run("grade", "--truth", "SCN1A", "SCN1A", "--k", "0")
    assert code == 2 and "k must be at least 1" in err


@pytest.mark.parametrize("missing", ["trl", "datasets"])
def test_train_without_the_train_extra_says_so_in_one_line(run, monkeypatch, missing, tmp_path):
    """The core install has no trl/datasets (pyproject's [train] extra): `rft train` names the extra, before reading any file."""
    monkeypatch.setitem(sys.modules, missing, None)  # `import trl` now raises ImportError, as in a core-only environment
    code, out, err = run("train", "--base", "data/models/base", "--train", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "run"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "[train]" in err and missing in err, err
