"""The knowledge head: genes scored through their annotations, so a newer release's genes are ranked at once."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ontology import load_hpo
from rft.cases import Case
from rft.model import RankingModel, load_model, rank_genes, save_model, switch_knowledge
from rft.model.knowledge import gene_features, term_basis

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "hpo_mini"


@pytest.fixture(scope="module")
def newer_release(tmp_path_factory) -> Path:
    """The mini release plus a gene it did not know: NEWG, with exactly GJB2's annotation (its own disease)."""
    folder = tmp_path_factory.mktemp("newer")
    for name in ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt"):
        shutil.copy(MINI / name, folder / name)
    with open(folder / "phenotype.hpoa", "a") as f:
        f.write("OMIM:999999\tNew deafness\t\tHP:0000407\tPMID:20\tPCS\t\t\t\t\tP\tHPO:test\n")
    with open(folder / "genes_to_phenotype.txt", "a") as f:
        f.write("99999\tNEWG\tHP:0000407\tSensorineural hearing impairment\t-\tOMIM:999999\n")
    return folder


def test_basis_vectors_belong_to_terms_not_to_releases():
    a = term_basis(["HP:0001250", "HP:0000407"], 8)
    b = term_basis(["HP:0000407"], 8)
    assert np.array_equal(a[1], b[0]) and not np.allclose(a[0], a[1])


def test_a_newer_releases_gene_is_ranked_at_once(tiny_bundle, newer_release):
    newer = load_hpo(newer_release)
    own = RankingModel(copy.deepcopy(tiny_bundle.model), copy.deepcopy(tiny_bundle.tokenizer))  # the session's stays as it is
    switched = switch_knowledge(own, newer)
    assert "NEWG" in switched.gene_symbols and "NEWG" in switched.tokenizer.get_vocab()
    [r] = rank_genes(switched, Case("c", ("HP:0000407",)), top=0, hpo=newer)
    scores = dict(r.full_ranking(generated_first=False))
    # The same annotations give the same vector, so the same score: no per-gene parameter is involved.
    assert scores["NEWG"] == pytest.approx(scores["GJB2"], abs=1e-6)


def test_gene_features_are_the_closure_sums(mini_hpo):
    phi = gene_features(mini_hpo, ["GJB2", "NOTAGENE"], 8)
    closure = sorted(mini_hpo.ancestors("HP:0000407", include_self=True))
    expected = (term_basis(closure, 8) * np.array([mini_hpo.ic[t] for t in closure])[:, None]).sum(0) / len(closure) ** 0.25
    assert np.allclose(phi[0], expected) and not phi[1].any()


def test_saved_knowledge_model_needs_its_knowledge_base(tiny_bundle, tmp_path, mini_hpo):
    save_model(tiny_bundle.model, tiny_bundle.tokenizer, tmp_path / "m", {"kind": "test"}, dtype=None)
    with pytest.raises(ValueError, match="load it with load_model\\(folder, hpo\\)"):
        load_model(tmp_path / "m")
    loaded = load_model(tmp_path / "m", mini_hpo)
    assert torch.equal(loaded.gene_output_weight(), tiny_bundle.gene_output_weight())


def test_an_old_free_head_folder_loads_with_a_newer_release(tiny_free_bundle, newer_release, tmp_path):
    # Folders saved before the knowledge head (a learned row per gene) keep working: a newer release's genes get
    # rows from their annotations (add_genes).
    save_model(tiny_free_bundle.model, tiny_free_bundle.tokenizer, tmp_path / "old", {"kind": "test"}, dtype=None)
    bundle = load_model(tmp_path / "old", load_hpo(newer_release))
    assert "NEWG" in bundle.gene_symbols
    [r] = rank_genes(bundle, Case("c", ("HP:0000407",)), top=2)
    assert len(r.full_ranking()) == 5
