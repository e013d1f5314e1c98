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


def test_eval_takes_a_classical_ranker_by_model_as_rank_does(run, fixtures_dir):
    # Issue 26, bug 5: `rft rank --model likelihood` works; `rft eval --model likelihood` looked for a model folder.
    code, out, _ = run("eval", "--model", "likelihood", "--cases", str(fixtures_dir / "cases" / "cases.jsonl"), "--json")
    assert code == 0 and json.loads(out)["ranker"] == "likelihood"


@pytest.mark.parametrize("missing", ["trl", "datasets"])
def test_train_without_the_train_extra_says_so_in_one_line(run, monkeypatch, missing, tmp_path):
    """The core install has no trl/datasets (pyproject's [train] extra): `rft train` names the extra, before reading any file."""
    monkeypatch.setitem(sys.modules, missing, None)  # `import trl` now raises ImportError, as in a core-only environment
    code, out, err = run("train", "--base", "data/models/base", "--train", str(tmp_path / "absent.zip"), "--out", str(tmp_path / "run"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "[train]" in err and missing in err, err


def _many_term_cases(hpo, path, n_cases: int) -> None:
    from rft.model.tokenizer import MAX_PRESENT

    terms = sorted(t for t in hpo.terms if hpo.is_phenotype(t))[: MAX_PRESENT + 5]  # 5 more than the prompt holds
    path.write_text("".join(json.dumps({"id": f"big-{i}", "present": terms[i:] + terms[:i], "genes": ["SCN1A"]}) + "\n"
                            for i in range(n_cases)))


@pytest.mark.slow
def test_eval_says_per_case_conditions_in_one_line(hpo, tmp_path, capsys):
    """Four cases whose prompts are cut: one summary line, no Python warning lines; --verbose lists them; --quiet drops it."""
    cases = tmp_path / "big.jsonl"
    _many_term_cases(hpo, cases, 4)
    argv = ["eval", "--model", "default", "--cases", str(cases)]

    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "Warning" not in err and "warnings.warn" not in err, err  # no raw warning with its source line
    assert err.splitlines() == [("rft: 4 cases had their prompt cut to the terms the model has positions for (the least specific left out); "
                                 "--verbose lists them")]

    assert main([*argv, "--verbose"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert sorted(ln.split(":")[1].strip() for ln in lines if "cut the 5 least specific" in ln) == [f"case big-{i}" for i in range(4)]

    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_other_warnings_are_counted_not_printed(run, monkeypatch):
    """A library's own warning during a command is one counted line, not its message and source line."""
    import warnings

    import rft.cli

    def noisy(args):
        for _ in range(3):
            warnings.warn("something a library says", UserWarning)
        return 0

    monkeypatch.setattr(rft.cli, "_cmd_grade", noisy)
    code, _out, err = run("grade", "--truth", "SCN1A", "SCN1A")
    assert code == 0
    assert err.splitlines() == ["rft: 3 other warning(s), e.g. 'something a library says'; --verbose shows them"]
