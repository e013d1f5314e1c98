"""Issue 13, one test per reproduction: nothing a user owns is deleted or overwritten, no upload exhausts the
server, every bad input gets a one-line answer. Fixtures are made in each test; the mini ontology is
tests/fixtures/hpo_mini (HP:0001250 Seizure, HP:0001263 Global developmental delay, genes SCN1A, STXBP1).
"""

from __future__ import annotations

import errno
import io
import json
import resource
import time
import zipfile
from pathlib import Path

import pytest
import tomllib

from rft.cases import load_cases_from_bytes
from rft.cli import main
from rft.limits import MAX_ARCHIVE_MEMBERS, MAX_CELL_CHARS, MAX_MEMBER_MB, MAX_RANKED_GENES
from rft.writes import csv_cell, write_atomic

ROOT = Path(__file__).resolve().parents[1]
CASE = {"id": "c1", "present": ["HP:0001250"], "genes": ["SCN1A"]}
MINI = str(ROOT / "tests" / "fixtures" / "hpo_mini")


def _cli(capsys, *argv: str) -> tuple[int, str]:
    rc = main([*argv, "--hpo-dir", MINI])
    err = capsys.readouterr().err
    return rc, err


def _run_folder(tmp_path: Path, meta: dict | None) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    if meta is not None:
        (out / "meta.json").write_text(json.dumps(meta))
    return out


@pytest.fixture
def base_and_cases(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "meta.json").write_text(json.dumps({"written_by": "rft-genes", "pretrain": {}, "ranking": {"hybrid": {"mode": "rrf"}}}))
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    return base, cases


def _config(**kw):
    from rft.train import RftConfig

    return RftConfig(**kw)


# -- data loss ---------------------------------------------------------------------------------------------
def test_item01_force_replaces_only_a_run_folder_and_never_one_holding_an_input(tmp_path, base_and_cases):
    from rft.train.run import check_run_folder

    base, cases = base_and_cases
    foreign = _run_folder(tmp_path, None)  # no meta.json: not a run folder
    with pytest.raises(ValueError, match="not a folder rft-genes wrote"):
        check_run_folder(_config(train=str(cases), base=str(base), out=str(foreign), force=True))
    inner = foreign / "train.jsonl"
    inner.write_text(json.dumps(CASE) + "\n")
    (foreign / "meta.json").write_text(json.dumps({"written_by": "rft-genes", "kind": "rft-run", "status": "finished"}))
    with pytest.raises(ValueError, match="holds the input"):  # a run folder, but the --train file is inside it
        check_run_folder(_config(train=str(inner), base=str(base), out=str(foreign), force=True))
    assert inner.exists() and (foreign / "keep.txt").exists()


def test_item02_out_equal_to_the_base_model_folder_is_refused(tmp_path, base_and_cases):
    from rft.train.run import check_run_folder

    base, cases = base_and_cases
    before = (base / "meta.json").read_text()
    for force in (False, True):
        with pytest.raises(ValueError, match="base|rft-genes wrote|not empty"):
            check_run_folder(_config(train=str(cases), base=str(base), out=str(base), force=force))
    assert (base / "meta.json").read_text() == before


def test_item03_resume_refuses_a_finished_run(tmp_path, base_and_cases):
    from rft.train.run import check_run_folder

    base, cases = base_and_cases
    run = _run_folder(tmp_path, {"written_by": "rft-genes", "kind": "rft-run", "status": "finished", "steps": 4})
    (run / "checkpoint-4").mkdir()
    (run / "checkpoint-4" / "trainer_state.json").write_text("{}")
    with pytest.raises(ValueError, match="finished run"):
        check_run_folder(_config(train=str(cases), base=str(base), out=str(run), resume=True))


def test_item04_eval_and_convert_never_overwrite_silently(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    original = cases.read_text()
    rc, err = _cli(capsys, "cases", "convert", str(cases), str(cases), "--force")  # OUT is the input
    assert rc == 2 and "input" in err and cases.read_text() == original
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    rc, err = _cli(capsys, "cases", "convert", str(cases), str(out))
    assert rc == 2 and "--force" in err and out.read_text() == "precious\n"
    rc, err = _cli(capsys, "eval", "--ranker", "similarity", "--cases", str(cases), "--out", str(cases), "--force")
    assert rc == 2 and "input" in err and cases.read_text() == original
    rc, err = _cli(capsys, "eval", "--ranker", "similarity", "--cases", str(cases), "--out", str(out))
    assert rc == 2 and out.read_text() == "precious\n"
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"id": "x", "present": ["HP:9999999"]}) + "\n")
    rc, err = _cli(capsys, "cases", "convert", str(empty), str(out), "--force")  # 0 usable cases
    assert rc == 2 and "no usable case" in err and out.read_text() == "precious\n"
    rc, _ = _cli(capsys, "cases", "convert", str(cases), str(out), "--force")
    assert rc == 0 and json.loads(out.read_text())["id"] == "c1"
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, renamed into place


# -- server exhaustion -------------------------------------------------------------------------------------
def _bomb(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_item05_zip_bombs_are_refused_in_bounded_time_and_memory(mini_hpo):
    big = (MAX_MEMBER_MB + 10) << 20
    one = _bomb({"a.jsonl": b"\n" * big, "b.jsonl": json.dumps(CASE).encode() + b"\n"})
    assert len(one) < 1 << 20
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    batch = load_cases_from_bytes("bomb.zip", one, mini_hpo)
    assert time.perf_counter() - t0 < 10
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) < 300 * 1024  # KiB: well under the member
    assert [c.id for c in batch.cases] == ["c1"] and any(p.kind == "limit" and "a.jsonl" in p.where for p in batch.problems)
    many = _bomb({f"m{i}.json": b"{}" for i in range(MAX_ARCHIVE_MEMBERS + 5)})
    t0 = time.perf_counter()
    batch = load_cases_from_bytes("many.zip", many, mini_hpo)
    assert time.perf_counter() - t0 < 60
    assert any(p.kind == "limit" and f"{MAX_ARCHIVE_MEMBERS:,}" in p.message for p in batch.problems)


def test_item06_did_you_mean_is_bounded(mini_hpo, hpo):
    from ontology import resolve_term

    long_cell = " ".join(f"word{i} a the of" for i in range(2000))
    t0 = time.perf_counter()
    for _ in range(20):
        r = resolve_term(hpo, long_cell)
        assert r.id is None and r.kind == "unknown_term"
    assert time.perf_counter() - t0 < 2  # was ~2 s per value
    assert hpo.search("a " * 3000, 5) == [] and hpo.search("seizure", 1)[0].id == "HP:0001250"


def test_item07_batch_page_bounds_genes_kept():
    src = (ROOT / "pages" / "batch.py").read_text()
    assert "MAX_RANKED_GENES" in src and "max_value=5000" not in src
    assert MAX_RANKED_GENES <= 1_000_000


def test_item08_models_page_hides_error_details_and_reads_only_models_dirs():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"  # false means "stacktrace" in Streamlit >= 1.50
    src = (ROOT / "pages" / "models.py").read_text()
    assert "text_input" not in src and "models_dirs()" in src


def test_item09_csv_cells_are_neutralised(tmp_path):
    import pandas as pd

    from rft.evaluate import CaseResult, read_results, results_text, write_results
    from rft.report import frame_to_csv_bytes

    evil = "=cmd|' /C calc'!A0"
    assert csv_cell(evil).startswith("'=") and csv_cell("\tx").startswith("'") and csv_cell("SCN1A") == "SCN1A"
    assert b"\n'=cmd" in frame_to_csv_bytes(pd.DataFrame({"case_id": [evil], "rank": [1]}))
    result = CaseResult(evil, ("SCN1A",), 1, 1.0, ("SCN1A",), "r", 1, 0, 0.1)
    assert "\n'=cmd" in results_text([result], csv_format=True)
    write_results([result], tmp_path / "r.csv")
    assert read_results(tmp_path / "r.csv")[0].case_id == evil  # read back as written


# -- whole batch lost / tracebacks -------------------------------------------------------------------------
def test_item10_bad_members_and_deep_json_are_problems_and_good_records_load(mini_hpo):
    good = json.dumps(CASE).encode() + b"\n"
    deep = b"[" * 100_000 + b"]" * 100_000
    batch = load_cases_from_bytes("deep.jsonl", good + deep + b"\n", mini_hpo)
    assert [c.id for c in batch.cases] == ["c1"] and batch.problems[0].kind == "malformed"
    assert load_cases_from_bytes("deep.json", deep, mini_hpo).problems[0].kind == "malformed"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("good.jsonl", good)
        zf.writestr("crc.jsonl", good.replace(b"c1", b"c2"))
        zf.writestr("method.jsonl", good.replace(b"c1", b"c3"))
        zf.writestr("secret.jsonl", good.replace(b"c1", b"c4"))
    data = bytearray(buf.getvalue())
    data[data.index(b'"c2"') + 1] ^= 1  # corrupt the stored bytes: bad CRC
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    infos = {i.filename: i for i in zf.infolist()}
    data[infos["method.jsonl"].header_offset + 8] = 99  # compression method 99 in the local header
    for offset in (infos["secret.jsonl"].header_offset + 6,):
        data[offset] |= 1  # the encrypted flag in the local header
    cd = bytes(data).rfind(b"PK\x01\x02" + bytes(data[bytes(data).index(b"PK\x01\x02") + 4 : bytes(data).index(b"PK\x01\x02") + 6]))
    _ = cd
    start = 0
    while (start := bytes(data).find(b"PK\x01\x02", start)) != -1:  # the central directory entries
        name_len = int.from_bytes(data[start + 28 : start + 30], "little")
        name = bytes(data[start + 46 : start + 46 + name_len])
        if name == b"method.jsonl":
            data[start + 10] = 99
        if name == b"secret.jsonl":
            data[start + 8] |= 1
        start += 4
    batch = load_cases_from_bytes("mixed.zip", bytes(data), mini_hpo)
    assert [c.id for c in batch.cases] == ["c1"]
    bad = {p.where.split("!")[1] for p in batch.problems if p.kind == "malformed"}
    assert bad == {"crc.jsonl", "method.jsonl", "secret.jsonl"}


def test_item11_resume_uses_the_last_complete_checkpoint_and_survives_a_cut_metrics_line(tmp_path):
    from rft.train.log import last_checkpoint_step, read_metrics, truncate_metrics

    for step, complete in ((2, True), (4, False)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if complete:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert last_checkpoint_step(tmp_path) == 2
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text('{"kind": "train", "step": 1, "reward": 0.1}\n{"kind": "train", "step": 2, "reward": 0.2}\n{"kind": "tr')
    truncate_metrics(metrics, 2)
    assert [r["step"] for r in read_metrics(metrics)] == [1, 2]


@pytest.mark.parametrize("broken, named", [
    ("config.json", "config.json"),  # malformed JSON
    ("tokenizer.json", "tokenizer.json"),
    ("meta.json", "meta.json"),
    ("model.safetensors", "model.safetensors"),  # truncated
])
def test_item12_broken_model_folders_name_the_file(tmp_path, mini_hpo, broken, named):
    from rft.model.architecture import ModelSpec, build_base_model
    from rft.model.checkpoint import load_model, save_model
    from rft.model.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(mini_hpo)
    model = build_base_model(mini_hpo, tokenizer, ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, seed=0, head="free"))
    folder = save_model(model, tokenizer, tmp_path / "m", {"kind": "test"}, dtype=None)
    path = folder / broken
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ValueError, match=named) as e:
        load_model(folder, mini_hpo)
    assert "\n" not in str(e.value)


def test_item13_duplicate_case_ids_are_problems_and_results_stay_keyed(tmp_path, mini_hpo):
    from rft.evaluate import read_results

    batch = load_cases_from_bytes("d.jsonl", ((json.dumps(CASE) + "\n") * 2).encode(), mini_hpo)
    assert len(batch.cases) == 1 and [p.kind for p in batch.problems] == ["duplicate_id"]
    results = tmp_path / "r.jsonl"
    row = {"case_id": "c1", "rank": 1, "causal_gene": ["SCN1A"]}
    results.write_text((json.dumps(row) + "\n") * 2)
    with pytest.raises(ValueError, match="appears twice"):
        read_results(results)


def test_item14_odd_out_paths_give_one_line(tmp_path, capsys, monkeypatch):
    import rft.writes

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n")
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path, tmp_path / "afile" / "out.jsonl"):
        rc, err = _cli(capsys, "cases", "convert", str(cases), str(out))
        assert rc == 2 and err.count("\n") == 1 and str(out) in err

    def full(tmp, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rft.writes, "_write_file", full)
    with pytest.raises(ValueError, match="No space left on device"):
        write_atomic(tmp_path / "new.jsonl", "x")
    assert not (tmp_path / "new.jsonl").exists()


def test_item15_a_huge_csv_cell_loses_its_row_only_with_the_right_line(mini_hpo):
    text = "case_id,present,gene\nc1,HP:0001250,SCN1A\nc2,\"" + "x" * (MAX_CELL_CHARS + 10) + "\",SCN1A\n\nc3,HP:0001263,STXBP1\n"
    batch = load_cases_from_bytes("big.csv", text.encode(), mini_hpo)
    assert [c.id for c in batch.cases] == ["c1", "c3"]
    assert [p.where for p in batch.problems] == ["big.csv:3"] and batch.cases[1].source == "big.csv:5"


def test_item16_phenopacket_oddities_are_handled_or_reported(mini_hpo):
    packet = {"id": "p1", "phenotypicFeatures": [
        {"type": {"id": "HP:0001250"}},
        {"type": {"id": "HP:0000365"}, "excluded": "true"},  # string true: excluded
        {"type": {"label": "Global developmental delay"}},  # label only
        {"type": "HP:0000407"},  # plain-string type
        {"type": {"id": 1250}},  # numeric id: a problem
        {"type": {"id": "HP:0000001"}},  # All: not a phenotype
        {"type": {"id": "HP:0000005"}},  # Mode of inheritance: not a phenotype
    ], "interpretations": [{"diagnosis": {"genomicInterpretations": [{"gene": {"symbol": ["SCN1A", "STXBP1"]}}]}}]}
    batch = load_cases_from_bytes("p.json", json.dumps(packet).encode(), mini_hpo)
    [case] = batch.cases
    assert case.present == ("HP:0001250", "HP:0001263", "HP:0000407") and case.excluded == ("HP:0000365",)
    assert case.genes == ("SCN1A", "STXBP1")
    kinds = sorted(p.kind for p in batch.problems)
    assert kinds == ["label", "malformed", "not_phenotype", "not_phenotype"] or kinds == ["malformed", "not_phenotype", "not_phenotype"]


@pytest.mark.parametrize("setting, message", [
    ({"grpo": {"learning_rate": "fast"}}, "grpo.learning_rate"),
    ({"k": "ten"}, "setting k"),
    ({"grpo": [1, 2]}, "setting grpo"),
    ({"grpo": {"max_steps": 0}}, "--max-steps"),
])
def test_item17_config_values_of_the_wrong_type(base_and_cases, setting, message):
    base, cases = base_and_cases
    with pytest.raises(ValueError, match=message):
        _config(train=str(cases), base=str(base), out="x", **setting)


def test_item17_malformed_yaml_and_bad_top(tmp_path, capsys, base_and_cases):
    base, cases = base_and_cases
    config = tmp_path / "run.yaml"
    config.write_text("k: [unclosed\n")
    rc = main(["train", "--config", str(config), "--train", str(cases), "--base", str(base)])
    assert rc == 2 and "not valid YAML" in capsys.readouterr().err
    for top in ("0", "-3"):
        rc, err = _cli(capsys, "rank", "HP:0001250", "--ranker", "similarity", "--top", top)
        assert rc == 2 and "--top" in err


def test_item18_prompt_cuts_are_warned_with_the_terms(hpo):
    from rft.cases import Case
    from rft.model.tokenizer import MAX_PRESENT, prompt_terms

    many = tuple(sorted(t for t in hpo.terms if hpo.is_phenotype(t))[: MAX_PRESENT + 3])
    with pytest.warns(UserWarning, match="cut the 3 least specific: HP:"):
        present, _ = prompt_terms(Case("big", many), hpo)
    assert len(present) == MAX_PRESENT


def test_item19_null_reward_does_not_hide_the_card(tmp_path):
    from rft.model_card import read_model_card

    (tmp_path / "meta.json").write_text(json.dumps({"kind": "rft-run"}))
    (tmp_path / "metrics.jsonl").write_text('{"kind": "train", "step": 1, "reward": null}\n{"kind": "train", "step": 2, "reward": 0.5}\n')
    card = read_model_card(tmp_path)
    assert card.curve["value"].tolist() == [0.5]


def test_item20_ranking_uses_the_supported_cache_argument(mini_hpo):
    import warnings

    from rft.cases import Case
    from rft.model.architecture import ModelSpec, build_base_model
    from rft.model.checkpoint import RankingModel
    from rft.model.ranking import rank_genes
    from rft.model.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(mini_hpo)
    model = build_base_model(mini_hpo, tokenizer, ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, seed=0, head="free")).eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*past_key_values.*")
        [r] = rank_genes(RankingModel(model, tokenizer), [Case("c", ("HP:0001250",))], top=3, hpo=mini_hpo)
    assert len(r.generated) == 3
