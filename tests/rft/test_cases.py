from __future__ import annotations

import json
import zipfile

import pytest

from rft.cases import Case, load_cases, load_cases_from_bytes, write_jsonl


def kinds(batch) -> list[str]:
    return [p.kind for p in batch.problems]


def test_valid_phenopacket(mini_hpo, fixtures_dir):
    batch = load_cases(fixtures_dir / "cases" / "valid_phenopacket.json", mini_hpo)
    assert batch.problems == []
    [case] = batch.cases
    assert case == Case(
        "PMID_1_patient1",
        ("HP:0001250", "HP:0001263"),  # Seizure, Global developmental delay
        ("HP:0000365",),  # Hearing impairment, excluded
        ("SCN1A",),
        str(fixtures_dir / "cases" / "valid_phenopacket.json"),
    )


def test_obsolete_ids_are_replaced_or_reported(mini_hpo, fixtures_dir):
    batch = load_cases(fixtures_dir / "cases" / "obsolete_id_phenopacket.json", mini_hpo)
    [case] = batch.cases
    assert case.present == ("HP:0001250",)  # obsolete Fits and the alt id both became Seizure, once
    assert case.genes == ("STXBP1",)  # read from genomicInterpretations[].gene.symbol
    assert kinds(batch) == ["replaced_term", "replaced_term", "obsolete_term"]
    assert "HP:0000888" in str(batch.problems[2])


def test_label_instead_of_id_is_read_and_unknown_id_named(mini_hpo, fixtures_dir):
    batch = load_cases(fixtures_dir / "cases" / "label_instead_of_id_phenopacket.json", mini_hpo)
    assert [c.present for c in batch.cases] == [("HP:0001250",)]
    assert kinds(batch) == ["unknown_term"]
    assert "HP:9999999" in batch.problems[0].message


def test_gene_required(mini_hpo, fixtures_dir):
    path = fixtures_dir / "cases" / "label_instead_of_id_phenopacket.json"
    batch = load_cases(path, mini_hpo, require_gene=True)
    assert batch.cases == [] and kinds(batch)[-1] == "no_gene" and batch.problems[-1].dropped


@pytest.mark.parametrize(
    "name, kind",
    [
        ("malformed.json", "malformed"),  # truncated JSON
        ("empty_phenotypes_phenopacket.json", "no_present_terms"),  # phenotypicFeatures: []
    ],
)
def test_unusable_files_become_problems(mini_hpo, fixtures_dir, name, kind):
    batch = load_cases(fixtures_dir / "cases" / name, mini_hpo)
    assert batch.cases == [] and batch.n_read == 1
    assert kinds(batch) == [kind] and name in batch.problems[0].where


def test_csv_with_bad_rows(mini_hpo, fixtures_dir):
    batch = load_cases(fixtures_dir / "cases" / "cases.csv", mini_hpo)
    by_id = {c.id: c for c in batch.cases}
    assert by_id["row_ok"].excluded == ("HP:0000365",)
    assert by_id["row_pipe"].present == ("HP:0000407", "HP:0000365") and by_id["row_pipe"].genes == ("GJB2",)
    assert by_id["row_unknown_term"].present == ("HP:0001250",)  # the unknown id is dropped, the case kept
    assert by_id["row_no_gene"].genes == ()
    assert by_id["row_bad_gene"].genes == ()
    assert "row_no_present" not in by_id and "row_extra_cells" not in by_id
    assert batch.n_read == 7
    wheres = {p.kind: p.where for p in batch.problems}
    assert wheres["malformed"].endswith("cases.csv:7")  # the row with an extra cell, by line number
    assert wheres["unknown_term"].endswith("cases.csv:4")
    assert set(kinds(batch)) == {"unknown_term", "no_present_terms", "malformed", "bad_gene"}


def test_csv_without_present_column(mini_hpo, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("patient,symptoms\np1,HP:0001250\n")
    batch = load_cases(path, mini_hpo)
    assert batch.cases == [] and "no 'present' column" in batch.problems[0].message


def test_tsv(mini_hpo, tmp_path):
    path = tmp_path / "cases.tsv"
    path.write_text("case_id\tpresent\texcluded\tgene\nt1\tHP:0001250|HP:0001263\t\tSTXBP1\n")
    assert load_cases(path, mini_hpo).cases[0].present == ("HP:0001250", "HP:0001263")


def test_jsonl(mini_hpo, fixtures_dir):
    batch = load_cases(fixtures_dir / "cases" / "cases.jsonl", mini_hpo)
    assert [c.id for c in batch.cases] == ["j1", "j2"]
    assert batch.cases[1].genes == ("GJB2",)  # "gene" as a plain string
    assert [(p.where.rsplit(":", 1)[-1], p.kind) for p in batch.problems] == [
        ("3", "malformed"),  # not JSON
        ("4", "no_present_terms"),
        ("5", "malformed"),  # JSON, but not an object
    ]


def test_folder_and_zip_read_the_same_cases(mini_hpo, fixtures_dir, tmp_path):
    folder = fixtures_dir / "cases"
    from_folder = load_cases(folder, mini_hpo)
    archive = tmp_path / "cases.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"store/{p.name}")
        zf.writestr("__MACOSX/._junk.json", b"\x00\x01")  # resource forks are ignored
    from_zip = load_cases(archive, mini_hpo)
    assert [c.id for c in from_zip.cases] == [c.id for c in from_folder.cases]
    assert from_zip.n_read == from_folder.n_read
    assert from_zip.summary()["usable"] == len(from_folder.cases)


def test_folder_of_zips_reads_every_zip(mini_hpo, fixtures_dir, tmp_path):
    # Two release zips in one folder (how scripts/ship.sh trains on the dev zip and the newer window together).
    folder = tmp_path / "releases"
    folder.mkdir()
    for name, member in (("old.zip", "valid_phenopacket.json"), ("new.zip", "cases.jsonl")):
        with zipfile.ZipFile(folder / name, "w") as zf:
            zf.write(fixtures_dir / "cases" / member, f"store/{member}")
    both = load_cases(folder, mini_hpo)
    one = [load_cases(folder / n, mini_hpo) for n in ("new.zip", "old.zip")]
    assert [c.id for c in both.cases] == [c.id for b in one for c in b.cases]


def test_bytes_upload_and_broken_zip(mini_hpo, fixtures_dir):
    data = (fixtures_dir / "cases" / "valid_phenopacket.json").read_bytes()
    assert load_cases_from_bytes("upload.json", data, mini_hpo).cases[0].genes == ("SCN1A",)
    broken = load_cases_from_bytes("upload.zip", b"PK not really", mini_hpo)
    assert kinds(broken) == ["malformed"] and "zip" in broken.problems[0].message
    latin1 = load_cases_from_bytes("upload.csv", "case_id,present\nx,Séizure\n".encode("latin-1"), mini_hpo)
    assert kinds(latin1) == ["malformed"] and "UTF-8" in latin1.problems[0].message


@pytest.mark.parametrize("name", ["cases.txt", "cases", "cases.xlsx"])
def test_unsupported_format_is_a_value_error(mini_hpo, tmp_path, name):
    path = tmp_path / name
    path.write_text("x")
    with pytest.raises(ValueError, match="unsupported format"):
        load_cases(path, mini_hpo)


def test_missing_path_is_a_value_error(mini_hpo, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_cases(tmp_path / "nope.zip", mini_hpo)


def test_jsonl_round_trip(mini_hpo, fixtures_dir, tmp_path):
    original = load_cases(fixtures_dir / "cases", mini_hpo).cases
    out = tmp_path / "all.jsonl"
    assert write_jsonl(original, out) == len(original)
    first = json.loads(out.read_text().splitlines()[0])
    assert set(first) == {"id", "present", "excluded", "genes", "source"}
    again = load_cases(out, mini_hpo).cases
    assert [(c.id, c.present, c.excluded, c.genes) for c in again] == [(c.id, c.present, c.excluded, c.genes) for c in original]


def test_gene_not_in_knowledge_base_is_kept_and_reported(mini_hpo, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "x", "present": ["HP:0001250"], "genes": ["brca1"]}\n')
    batch = load_cases(path, mini_hpo)
    assert batch.cases[0].genes == ("BRCA1",) and kinds(batch) == ["gene_not_in_kb"]


def test_conflicting_term_kept_as_present(mini_hpo, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "x", "present": ["HP:0001250"], "excluded": ["HP:0001250", "HP:0000365"]}\n')
    batch = load_cases(path, mini_hpo)
    assert batch.cases[0].excluded == ("HP:0000365",) and kinds(batch) == ["conflicting_term"]
