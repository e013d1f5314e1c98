from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from rft.cases import Case
from rft.model import ModelSpec, PretrainConfig, SyntheticPatients, SyntheticRecipe, load_model, pretrain, rank_genes


def test_synthetic_patients_are_reproducible_and_plausible(mini_hpo):
    a = [SyntheticPatients(mini_hpo, seed=3).sample() for _ in range(1)]
    s1, s2 = SyntheticPatients(mini_hpo, seed=3), SyntheticPatients(mini_hpo, seed=3)
    draws1, draws2 = [s1.sample() for _ in range(20)], [s2.sample() for _ in range(20)]
    assert draws1 == draws2 and draws1[0] == a[0]
    for p in draws1:
        assert p.gene in mini_hpo.gene_terms and p.present
        assert not set(p.present) & set(p.excluded)
        assert set(p.present) | set(p.excluded) <= set(mini_hpo.terms)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"p_imprecise": 1.5}, "p_imprecise"),  # not a probability
        ({"present_median": 0}, "present_median"),
    ],
)
def test_recipe_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        SyntheticRecipe(**kwargs)


def test_spec_errors_name_the_fix():
    with pytest.raises(ValueError, match="multiple of num_heads"):
        ModelSpec(hidden_size=10, num_heads=4)


def test_tiny_free_head_pretraining_lowers_the_loss_and_saves_a_standard_folder(mini_hpo, tiny_spec, tmp_path):
    spec = dataclasses.replace(tiny_spec, head="free")
    cfg = PretrainConfig(out=str(tmp_path / "m"), steps=40, batch_size=16, lr=1e-2, warmup=5, eval_every=10, threads=1, spec=spec)
    _, meta = pretrain(cfg, mini_hpo, log=lambda s: None)
    losses = [h["synthetic_loss"] for h in meta["history"]]
    assert losses[-1] < losses[0] - 0.1, losses
    folder = tmp_path / "m"
    saved = json.loads((folder / "meta.json").read_text())
    assert saved["hpo_version"] == mini_hpo.version and saved["steps"] == 40 and saved["spec"]["hidden_size"] == 16
    # A standard transformers folder: the Auto classes load it as they are.
    assert AutoModelForCausalLM.from_pretrained(folder).config.vocab_size == len(AutoTokenizer.from_pretrained(folder))
    [r] = rank_genes(load_model(folder), Case("c", ("HP:0001250",)), top=2)
    assert len(set(r.generated)) == 2


def test_tiny_knowledge_head_pretraining_moves_only_shared_parameters(mini_hpo, tiny_spec, tmp_path):
    # The knowledge head owns no parameter per gene: what pretraining moves is the decoder, the term embeddings
    # and P. Saved and loaded again with its knowledge base, it ranks exactly as it did in memory.
    cfg = PretrainConfig(out=str(tmp_path / "m"), steps=10, batch_size=16, lr=1e-2, warmup=2, eval_every=10, threads=1, save_dtype="float32", spec=tiny_spec)
    bundle, meta = pretrain(cfg, mini_hpo, log=lambda s: None)
    model = bundle.model
    assert meta["model"] == "KnowledgeLlamaForCausalLM" and not torch.equal(model.knowledge_proj.weight, torch.eye(16))
    assert not any("lm_head" in name for name, _ in model.named_parameters())  # no output rows, per gene or otherwise
    case = Case("c", ("HP:0001250", "HP:0000407"))
    [before] = rank_genes(bundle, case, top=2)
    [after] = rank_genes(load_model(tmp_path / "m", mini_hpo), case, top=2)
    assert before.generated == after.generated and before.gene_logprobs == pytest.approx(after.gene_logprobs, abs=1e-5)


def test_missing_tokenizer_file_fails_with_a_clear_message(mini_hpo, tiny_bundle, tmp_path):
    tiny_bundle.model.save_pretrained(tmp_path)
    tiny_bundle.tokenizer.save_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match=r"lacks its tokenizer \(tokenizer.json missing\)"):
        load_model(tmp_path)


def test_missing_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(ValueError, match="rft pretrain"):
        load_model(tmp_path / "nope")


def test_pretraining_is_reproducible_with_a_seed(mini_hpo, tiny_spec):
    cfg = PretrainConfig(steps=3, batch_size=8, warmup=1, eval_every=3, threads=1, spec=tiny_spec)
    a, _ = pretrain(cfg, mini_hpo, log=lambda s: None)
    b, _ = pretrain(cfg, mini_hpo, log=lambda s: None)
    c, _ = pretrain(PretrainConfig(steps=3, batch_size=8, warmup=1, eval_every=3, threads=1, seed=1, spec=tiny_spec), mini_hpo, log=lambda s: None)
    wa, wb, wc = (m.model.get_input_embeddings().weight for m in (a, b, c))
    assert torch.equal(wa, wb)
    assert not torch.equal(wa, wc)  # the seed matters, so the equality above is not vacuous
