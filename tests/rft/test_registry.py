"""rft.registry: one way to build a ranker from a spec, and the menu of what can be loaded."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case
from rft.model import ModelRanker, ModelSpec, build_base_model, build_tokenizer, save_model
from rft.rankers import ConsensusRanker, HybridRanker, LikelihoodRatioRanker, SimilarityRanker
from rft.registry import MODELS_DIR, default_model_dir, load_ranker, model_folder, ranker_choices


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, mini_hpo):
    """A model folder whose meta.json ships a fusion with the likelihood ranker."""
    folder = tmp_path_factory.mktemp("models") / "tiny"
    tokenizer = build_tokenizer(mini_hpo)
    meta = {"kind": "test", "ranking": {"generate": 2, "hybrid": {"classical": "likelihood", "mode": "rrf", "k": 10, "weight": 0.5}}}
    spec = ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_positions=64, seed=0)
    return save_model(build_base_model(mini_hpo, tokenizer, spec), tokenizer, folder, meta, dtype=None)


@pytest.mark.parametrize("spec, kind", [("similarity", SimilarityRanker), ("likelihood", LikelihoodRatioRanker), ("consensus", ConsensusRanker)])
def test_classical_by_name(mini_hpo, spec, kind):
    assert isinstance(load_ranker(spec, mini_hpo), kind)


def test_model_folder_ranks_as_its_meta_says(mini_hpo, tiny_folder):
    for spec in (f"model:{tiny_folder}", str(tiny_folder)):
        ranker = load_ranker(spec, mini_hpo)
        assert isinstance(ranker, HybridRanker) and isinstance(ranker.classical, LikelihoodRatioRanker)
        assert (ranker.k, ranker.weight, ranker.model.generate) == (10, 0.5, 2)
        [r] = ranker.rank([Case("c", ("HP:0001250",))])
        assert sorted(r.symbols) == mini_hpo.genes
    alone = load_ranker(tiny_folder, mini_hpo, model_only=True, generate=0)
    assert isinstance(alone, ModelRanker) and alone.generate == 0


def test_a_folder_fused_with_the_consensus_ranks_with_it(mini_hpo, tiny_folder, tmp_path):
    folder = tmp_path / "consensus"
    folder.mkdir()
    for f in tiny_folder.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    meta = json.loads((tiny_folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps(meta | {"ranking": {"generate": 0, "hybrid": {"classical": "consensus", "k": 60, "weight": 0.25}}}))
    ranker = load_ranker(folder, mini_hpo)
    assert isinstance(ranker.classical, ConsensusRanker)
    [r] = ranker.rank([Case("c", ("HP:0001250", "HP:0001263"))])
    assert sorted(r.symbols) == mini_hpo.genes and r.fusion is not None and r.fusion.classical == "consensus"


def test_a_gated_folder_loads_its_reference_model(mini_hpo, tiny_folder, tmp_path):
    # A gate that measures lift names the base it was tuned from; the registry loads it beside the model.
    import shutil

    folder = tmp_path / "gated"
    shutil.copytree(tiny_folder, folder)
    gate = {"min_confidence": 0.0, "min_lift": 2.0, "reference": str(tiny_folder)}
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps(meta | {"ranking": {"generate": 0, "hybrid": {"classical": "likelihood", "k": 10, "weight": 2.0, "gate": gate}}}))
    ranker = load_ranker(folder, mini_hpo)
    assert isinstance(ranker.reference, ModelRanker) and ranker.gate.min_lift == 2.0
    [r] = ranker.rank([Case("c", ("HP:0001250",))])
    # the reference is the model itself here: lift 1 everywhere, so the gate stays shut: the likelihood ranking
    assert r.gate["open"] is False and r.gate["lift"] == pytest.approx(1.0)
    assert r.symbols == LikelihoodRatioRanker(mini_hpo).rank([Case("c", ("HP:0001250",))])[0].symbols


@pytest.mark.parametrize(
    "ranking, message",
    [
        ({"hybrid": {"classical": "likelihood", "gate": {"min_lift": 2.0, "reference": "no-such-base"}}}, "reference model 'no-such-base' was not found"),
        ({"hybrid": {"classical": "likelihood", "gate": {"lift": 2.0}}}, "unknown gate setting"),
        ({"hybrid": {"classical": "phenomizer"}}, "hybrid classical ranker 'phenomizer' is unknown"),
        ({"hybrid": {"classical": "similarity", "mode": "vote"}}, "hybrid mode must be one of"),
        ("fused", "'ranking' must be an object"),
    ],
)
def test_bad_ranking_in_meta_is_a_value_error(mini_hpo, tiny_folder, tmp_path, ranking, message):
    import shutil

    folder = tmp_path / "bad"
    shutil.copytree(tiny_folder, folder)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps(meta | {"ranking": ranking}))
    with pytest.raises(ValueError, match=message):
        load_ranker(folder, mini_hpo)


def test_unknown_spec_names_the_choices(mini_hpo):
    with pytest.raises(ValueError, match="unknown ranker 'phenomizer'; choose one of consensus, enrichment, likelihood, similarity, default, or a model folder"):
        load_ranker("phenomizer", mini_hpo)
    with pytest.raises(ValueError, match="does not exist"):
        load_ranker("model:no/such/folder", mini_hpo)


def test_specs_resolve_to_folders(tmp_path):
    assert model_folder("default") == default_model_dir()
    assert model_folder(f"model:{tmp_path}") == tmp_path and model_folder(str(tmp_path)) == tmp_path
    assert model_folder("similarity") is None


def test_choices_list_models_of_every_configured_folder_then_classical(tiny_folder, monkeypatch):
    monkeypatch.setenv("RFT_MODELS_DIR", str(tiny_folder.parent))
    choices = ranker_choices()
    specs = [c.spec for c in choices]
    assert f"model:{tiny_folder}" in specs and specs[-4:] == ["consensus", "enrichment", "likelihood", "similarity"]  # the best classical first
    if (MODELS_DIR / "default" / "config.json").is_file() or (MODELS_DIR / "base" / "config.json").is_file():
        assert choices[0].spec == "default" and choices[0].is_model
