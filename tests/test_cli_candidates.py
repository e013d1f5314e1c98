"""`rft rank --candidates` and `rft eval --candidates` on the mini ontology (4 annotated genes)."""

from __future__ import annotations

import json

import pytest

from rft.cli import main


@pytest.fixture
def run(capsys, fixtures_dir):
    def _run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--hpo-dir", str(fixtures_dir / "hpo_mini")])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_rank_within_a_gene_list(run, tmp_path):
    genes = tmp_path / "genes.txt"
    genes.write_text("gjb2\nSCN1A\np53\nNOSUCH9\n")
    code, out, _ = run("rank", "HP:0002069", "--model", "likelihood", "--candidates", str(genes), "--json")  # tonic-clonic seizure
    data = json.loads(out)
    assert code == 0
    assert [g["gene"] for g in data["genes"]] == ["SCN1A", "GJB2", "TP53", "NOSUCH9"]  # only the candidates; unannotated after 3
    assert data["genes"][2]["score"] is None and data["genes"][2]["note"].startswith("[no phenotype annotation in HPO 2099-01-01]")
    assert "p53 read as TP53" in data["candidate_notes"]


def test_eval_within_candidates_tsv_and_cases_own(run, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "a", "present": ["HP:0000407"], "genes": ["GJB2"]}) + "\n"
                     + json.dumps({"id": "b", "present": ["HP:0002069"], "genes": ["GJB2"], "candidates": ["SCN1A", "GJB2"]}) + "\n")
    tsv = tmp_path / "cands.tsv"
    tsv.write_text("case_id\tgene\na\tSCN1A\na\tGJB2\n")
    code, out, _ = run("eval", "--ranker", "likelihood", "--cases", str(cases), "--candidates", str(tsv), "--json")
    data = json.loads(out)
    assert code == 0 and data["ranker"] == "likelihood within candidates"
    assert data["metrics"]["n"] == 2 and data["metrics"]["top1"] == 0.5  # a: GJB2 first; b (its own list): SCN1A first


def test_bad_candidates_file_is_one_line(run, tmp_path):
    tsv = tmp_path / "cands.tsv"
    tsv.write_text("a\tSCN1A\nb\n\t\n")
    code, _, err = run("rank", "HP:0002069", "--model", "likelihood", "--candidates", str(tsv))
    assert code == 2 and err.startswith("rft: error: ") and "line 2" in err and len(err.strip().splitlines()) == 1


def test_rank_within_an_annotated_vcf(run, tmp_path):
    vcf = tmp_path / "patient.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n"
                   '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL">\n'
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "1\t10\t.\tC\tT\t50\tPASS\tCSQ=T|stop_gained|HIGH|GJB2\n1\t20\t.\tC\tT\t50\tPASS\tCSQ=T|missense_variant|MODERATE|SCN1A\n"
                   "1\t30\t.\tC\tT\t50\tPASS\tCSQ=T|intron_variant|MODIFIER|STXBP1\n")
    code, out, err = run("rank", "HP:0000407", "--model", "likelihood", "--candidates", str(vcf), "--json")  # hearing impairment
    assert code == 0 and [g["gene"] for g in json.loads(out)["genes"]] == ["GJB2", "SCN1A"]  # STXBP1's variant is too mild
    assert "impact >= MODERATE: 2 variants, 2 genes" in err
