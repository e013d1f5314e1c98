"""Solved cases as knowledge (rft.case_knowledge, Hpo.with_annotations) on the mini ontology, and the CLI's --case-knowledge."""

from __future__ import annotations

import json

import pytest

from rft.case_knowledge import case_annotations, case_knowledge_paths, load_case_knowledge, with_case_reports
from rft.cases import Case
from rft.cli import main
from rft.rankers import LikelihoodRatioRanker

HEARING, SNHL, GDD, SEIZURE = "HP:0000365", "HP:0000407", "HP:0001263", "HP:0001250"
# NEWG: a gene the mini release does not annotate; two papers describe it.
CASES = [
    Case("PMID_1_patient_1", (SNHL, GDD), genes=("NEWG",)),
    Case("PMID_1_patient_2", (SNHL,), genes=("NEWG",)),
    Case("PMID_2_patient_1", (SNHL, GDD), genes=("NEWG",)),
    Case("PMID_3_patient_1", (SEIZURE,), genes=("scn1a",)),  # a known gene, spelt otherwise: merged into SCN1A
    Case("PMID_4_patient_1", (SEIZURE,)),  # no gene: nothing to learn
]


def test_case_annotations_count_patients_per_gene(mini_hpo):
    terms, genes, names = case_annotations(mini_hpo, CASES)
    assert terms == {"CASES:NEWG": {GDD: 2 / 3, SNHL: 1.0}, "CASES:SCN1A": {SEIZURE: 1.0}}
    assert genes == {"CASES:NEWG": "NEWG", "CASES:SCN1A": "SCN1A"}
    assert names["CASES:NEWG"] == "published cases of NEWG: 3 patients in PMID:1, PMID:2"
    left = case_annotations(mini_hpo, CASES, leave_out={"PMID_1"})[0]
    assert left["CASES:NEWG"] == {GDD: 1.0, SNHL: 1.0}


def test_a_gene_hpo_lacks_ranks_first_for_a_patient_like_its_cases(mini_hpo):
    patient = Case("new", (SNHL, GDD))
    [before] = LikelihoodRatioRanker(mini_hpo).rank([patient], top=None)
    assert "NEWG" not in before.symbols
    kb = with_case_reports(mini_hpo, CASES)
    [after] = LikelihoodRatioRanker(kb).rank([patient], top=None)
    assert after.symbols[0] == "NEWG"
    assert "CASES:NEWG" in kb.gene_diseases["NEWG"] and kb.gene_diseases["SCN1A"] >= {"OMIM:607208", "CASES:SCN1A"}
    assert kb.inheritance("GJB2") == mini_hpo.inheritance("GJB2")  # the release's own entries keep their modes
    assert mini_hpo.canonical_gene("NEWG") is None and kb.canonical_gene("newg") == "NEWG"  # the release itself is unchanged
    assert kb.extra_sources == ("case reports: 4 cases, 2 genes",)


def test_leaving_out_every_paper_of_a_gene_leaves_it_unranked(mini_hpo):
    kb = with_case_reports(mini_hpo, CASES, leave_out={"PMID_1", "PMID_2"})
    assert "NEWG" not in kb.genes and "SCN1A" in kb.genes


def test_release_files_reread_drop_the_added_entries(mini_hpo):
    kb = with_case_reports(mini_hpo, CASES)
    again = kb.without_publications([])
    assert "NEWG" not in again.genes and again.extra_sources == ()


def test_an_added_id_may_not_shadow_the_release(mini_hpo):
    with pytest.raises(ValueError, match="OMIM:607208"):
        mini_hpo.with_annotations({"OMIM:607208": {SEIZURE: 1.0}}, {"OMIM:607208": "SCN1A"}, {}, "x")


def test_load_case_knowledge_names_a_bad_path(mini_hpo, tmp_path):
    with pytest.raises(ValueError, match="nowhere.zip"):
        load_case_knowledge([tmp_path / "nowhere.zip"], mini_hpo)
    empty = tmp_path / "nogene.jsonl"
    empty.write_text(json.dumps({"id": "a", "present": [SEIZURE]}) + "\n")
    with pytest.raises(ValueError, match="no usable case with a causal gene"):
        load_case_knowledge([empty], mini_hpo)
    assert case_knowledge_paths(f"{tmp_path}/a.zip::{tmp_path}/b") == [f"{tmp_path}/a.zip", f"{tmp_path}/b"]


@pytest.fixture
def knowledge_file(tmp_path):
    path = tmp_path / "solved.jsonl"
    path.write_text("".join(json.dumps({"id": c.id, "present": list(c.present), "genes": list(c.genes)}) + "\n" for c in CASES[:3]))
    return path


def _run(capsys, fixtures_dir, *argv):
    code = main([*argv, "--hpo-dir", str(fixtures_dir / "hpo_mini"), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_cli_rank_with_case_knowledge(capsys, fixtures_dir, knowledge_file):
    code, data, err = _run(capsys, fixtures_dir, "rank", SNHL, GDD, "--model", "likelihood", "--case-knowledge", str(knowledge_file))
    assert code == 0 and data["genes"][0]["gene"] == "NEWG" and data["knowledge"] == ["case reports from solved.jsonl: 3 cases, 1 genes"]
    assert "knowledge: HPO 2099-01-01 + case reports" in err


def test_cli_eval_leaves_out_each_case_own_paper(capsys, fixtures_dir, knowledge_file, tmp_path):
    one = tmp_path / "paper2.jsonl"
    one.write_text(json.dumps({"id": "PMID_2_patient_1", "present": [SNHL, GDD], "genes": ["NEWG"]}) + "\n")
    code, data, _ = _run(capsys, fixtures_dir, "eval", "--ranker", "likelihood", "--cases", str(one), "--case-knowledge", str(knowledge_file))
    assert code == 0 and data["metrics"]["top1"] == 1.0  # found through paper 1's cases
    assert data["knowledge"] == ["case reports from solved.jsonl: 2 cases, 1 genes"]  # paper 2's own case left out
    only_own = tmp_path / "own.jsonl"
    only_own.write_text(one.read_text())
    code, data, _ = _run(capsys, fixtures_dir, "eval", "--ranker", "likelihood", "--cases", str(one), "--case-knowledge", str(only_own))
    assert code == 0 and data["metrics"]["top1"] == 0.0 and data["knowledge"] == ["case reports from own.jsonl: 0 cases, 0 genes"]
