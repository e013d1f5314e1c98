"""The Diagnose page's library parts: ranked diseases (`rft.diseases`), links out (`rft.links`), the
phenopacket export (`rft.phenopacket_export`) and its re-import through the case loaders."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case, load_cases_from_bytes
from rft.diseases import rank_diseases
from rft.evidence import explain
from rft.links import GENE_RESOURCES, disease_links, gene_links
from rft.phenopacket_export import RESEARCH_USE, diagnosis_phenopacket
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

MARFAN = Case("marfan-1", ("HP:0001166", "HP:0001083", "HP:0002616"), ("HP:0001250",), ("FBN1",))  # arachnodactyly, ectopia lentis, aortic root dilatation; no seizure


def test_ranked_diseases_merge_omim_and_orpha_names_and_list_their_genes(hpo):
    diseases = rank_diseases(hpo, MARFAN, top=15)
    assert len(diseases) == 15
    assert [d.score for d in diseases] == sorted((d.score for d in diseases), reverse=True)
    marfan = next(d for d in diseases if d.name.lower() == "marfan syndrome")
    assert {"OMIM:154700", "ORPHA:558"} <= set(marfan.ids) and "FBN1" in marfan.genes  # one row for both ids
    assert len({d.name.lower() for d in diseases}) == len(diseases)


def test_gene_scores_are_their_best_disease_scores(hpo):
    """The disease view and the gene ranking agree: a gene's similarity score is its best disease's."""
    ranker = SimilarityRanker(hpo)
    ev = explain(hpo, MARFAN, "FBN1", ranker)
    best = next(d for d in rank_diseases(hpo, MARFAN, top=None, ranker=ranker) if ev.best_disease[0] in d.ids)
    assert best.score == pytest.approx(ev.score, abs=1e-3)


def test_diseases_ranked_by_the_likelihood_ranker_score_as_its_genes_and_a_gene_level_ranker_is_refused(hpo):
    ranker = LikelihoodRatioRanker(hpo)
    ev = explain(hpo, MARFAN, "FBN1", ranker)
    diseases = rank_diseases(hpo, MARFAN, top=None, ranker=ranker)
    best = next(d for d in diseases if ev.best_disease[0] in d.ids)
    assert best.score == pytest.approx(ev.score, abs=1e-6)  # the likelihood evidence's sum, not a similarity score
    assert [d.score for d in diseases] == sorted((d.score for d in diseases), reverse=True)
    with pytest.raises(ValueError, match="disease-level ranker"):
        rank_diseases(hpo, MARFAN, ranker=SimilarityRanker(hpo, level="gene"))


def test_links_are_plain_urls_for_every_resource():
    links = gene_links("FBN1")
    assert tuple(links) == GENE_RESOURCES and all(u.startswith("https://") and "FBN1" in u for u in links.values())
    assert disease_links("OMIM:154700")["OMIM"] == "https://omim.org/entry/154700"
    assert disease_links("ORPHA:558")["Orphanet"].endswith("/558") and "OMIM" not in disease_links("ORPHA:558")


def test_phenopacket_export_carries_provenance_and_evidence_and_reimports_as_the_same_case(hpo):
    ranker = SimilarityRanker(hpo)
    [ranking] = ranker.rank([MARFAN], top=None)
    evidence = {g: explain(hpo, MARFAN, g, ranker) for g in ranking.symbols[:5]}
    packet = diagnosis_phenopacket(MARFAN, ranking, hpo, "similarity", "similarity", evidence, top=5, score_meaning=ranker.score_meaning)
    meta = packet["metaData"]
    assert meta["createdBy"].startswith("rft-genes") and meta["created"].endswith("Z")
    assert meta["resources"][0]["version"] == hpo.version and RESEARCH_USE in meta["externalReferences"][0]["description"]
    statuses = [i["diagnosis"]["genomicInterpretations"][0]["interpretationStatus"] for i in packet["interpretations"]]
    assert statuses == ["CAUSATIVE"] + ["CANDIDATE"] * 5
    assert "evidence:" in packet["interpretations"][1]["summary"] and "disease" in packet["interpretations"][1]["diagnosis"]

    batch = load_cases_from_bytes("saved.json", json.dumps(packet).encode(), hpo)
    [case] = batch.cases
    # The candidates are not read back as known genes: only the CAUSATIVE one is.
    assert (case.id, case.present, case.excluded, case.genes) == (MARFAN.id, MARFAN.present, MARFAN.excluded, MARFAN.genes)


def test_phenopacket_saves_sex_and_age_of_onset_and_refuses_what_is_neither(hpo):
    [ranking] = SimilarityRanker(hpo).rank([MARFAN], top=3)
    packet = diagnosis_phenopacket(MARFAN, ranking, hpo, "similarity", "similarity", {}, top=3, sex="female", onset="HP:0011463")  # Childhood onset
    assert packet["subject"]["sex"] == "FEMALE"
    present = [f for f in packet["phenotypicFeatures"] if not f.get("excluded")]
    assert present and all(f["onset"]["ontologyClass"] == {"id": "HP:0011463", "label": "Childhood onset"} for f in present)
    assert all("onset" not in f for f in packet["phenotypicFeatures"] if f.get("excluded"))
    [case] = load_cases_from_bytes("saved.json", json.dumps(packet).encode(), hpo).cases  # still reads back as the same case
    assert (case.present, case.excluded) == (MARFAN.present, MARFAN.excluded)
    with pytest.raises(ValueError, match="sex must be one of"):
        diagnosis_phenopacket(MARFAN, ranking, hpo, "s", "s", {}, sex="F")
    with pytest.raises(ValueError, match="not an onset term"):
        diagnosis_phenopacket(MARFAN, ranking, hpo, "s", "s", {}, onset="HP:0001250")  # Seizure
