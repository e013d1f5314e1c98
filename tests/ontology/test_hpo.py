from __future__ import annotations

import math

import pytest

from ontology import load_hpo


def test_mini_release_version_and_terms(mini_hpo):
    assert mini_hpo.version == "2099-01-01"
    assert len(mini_hpo) == 12  # 14 stanzas minus the 2 obsolete terms
    assert "HP:0000999" not in mini_hpo  # obsolete Fits


@pytest.mark.parametrize(
    "given, current",
    [
        ("HP:0001250", "HP:0001250"),  # Seizure: already current
        ("HP:0001275", "HP:0001250"),  # alt_id of Seizure
        ("HP:0000999", "HP:0001250"),  # obsolete Fits, replaced_by Seizure
    ],
)
def test_term_follows_redirects(mini_hpo, given, current):
    assert mini_hpo.term(given).id == current


def test_obsolete_without_replacement_is_kept_with_consider(mini_hpo):
    assert mini_hpo.obsolete["HP:0000888"] == ("HP:0001263",)  # consider Global developmental delay
    with pytest.raises(KeyError):
        mini_hpo.term("HP:0000888")


def test_term_fields(mini_hpo):
    seizure = mini_hpo.term("HP:0001250")
    assert seizure.label == "Seizure"
    assert seizure.synonyms == ("Epileptic seizure", "Seizures")
    assert seizure.definition.startswith("A seizure is")
    assert seizure.parents == ("HP:0012638",)  # Abnormal nervous system physiology


def test_ancestors_and_descendants(mini_hpo):
    # Bilateral tonic-clonic seizure -> Seizure -> Abnormal nervous system physiology -> ... -> All
    assert mini_hpo.ancestors("HP:0002069") == {"HP:0001250", "HP:0012638", "HP:0000707", "HP:0000118", "HP:0000001"}
    assert "HP:0002069" in mini_hpo.ancestors("HP:0002069", include_self=True)
    assert mini_hpo.descendants("HP:0000598") == {"HP:0000365", "HP:0000407"}  # ear -> hearing terms
    assert mini_hpo.children("HP:0000365") == ["HP:0000407"]


def test_gene_annotations_keep_phenotypes_only_and_follow_alt_ids(mini_hpo):
    # GJB2's "Autosomal recessive inheritance" is a mode of inheritance, not a sign: dropped.
    assert mini_hpo.gene_terms["GJB2"] == {"HP:0000407": None}
    # STXBP1 was annotated with the alt id HP:0001275: it lands on Seizure, with frequency 1/2.
    assert mini_hpo.gene_terms["STXBP1"] == {"HP:0001263": 1.0, "HP:0001250": 0.5}
    assert mini_hpo.gene_terms["SCN1A"]["HP:0002069"] == pytest.approx(0.55)  # "Frequent" band midpoint
    assert mini_hpo.term_genes["HP:0001263"] == {"SCN1A", "STXBP1"}
    assert mini_hpo.genes == ["C9orf72", "GJB2", "SCN1A", "STXBP1"]
    assert mini_hpo.diseases("SCN1A") == [("OMIM:607208", "Dravet syndrome")]


def test_canonical_gene_is_case_insensitive(mini_hpo):
    assert mini_hpo.canonical_gene("c9ORF72") == "C9orf72"
    assert mini_hpo.canonical_gene("NOTAGENE") is None


def test_gene_id_is_the_ncbi_gene_curie(mini_hpo):
    assert mini_hpo.gene_id("SCN1A") == "NCBIGene:6323"  # genes_to_phenotype.txt writes the bare number 6323
    assert mini_hpo.gene_id("scn1a") is None and mini_hpo.gene_id("NOTAGENE") is None  # symbols as the release spells them
    assert mini_hpo.without_publications([11]).gene_id("SCN1A") == "NCBIGene:6323"  # leaving papers out keeps the ids


def test_information_content(mini_hpo):
    n = 4  # genes with phenotype annotations
    assert mini_hpo.ic["HP:0000118"] == pytest.approx(0.0)  # every gene sits under the root
    assert mini_hpo.ic["HP:0001250"] == pytest.approx(-math.log(2 / n))  # SCN1A, STXBP1
    assert mini_hpo.ic["HP:0000407"] == pytest.approx(-math.log(1 / n))  # GJB2 only
    assert mini_hpo.ic["HP:0000365"] < mini_hpo.ic["HP:0000407"]  # a parent is never more informative


def test_load_hpo_reports_missing_folder_and_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_hpo(tmp_path / "nope")
    (tmp_path / "hp.obo").write_text("format-version: 1.2\n")
    with pytest.raises(ValueError, match="lacks phenotype.hpoa, genes_to_phenotype.txt or phenotype_to_genes.txt"):
        load_hpo(tmp_path)


def test_env_var_points_to_another_release(monkeypatch, fixtures_dir):
    monkeypatch.setenv("RFT_HPO_DIR", str(fixtures_dir / "hpo_mini"))
    assert load_hpo().version == "2099-01-01"


def test_bundled_release(hpo):
    assert hpo.version == "2025-01-16"
    assert len(hpo) > 18_000
    assert len(hpo.genes) > 4_500
    assert hpo.term("HP:0001250").label == "Seizure"
