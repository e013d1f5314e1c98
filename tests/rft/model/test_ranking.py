from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft.cases import Case
from rft.model import GeneListPolicy, ModelRanker, RankingModel, rank_genes
from rft.rankers.base import Ranker

TERMS = ["HP:0001250", "HP:0002069", "HP:0001263", "HP:0000365", "HP:0000407", "HP:0012638", "HP:0000707"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    present=st.lists(st.sampled_from(TERMS), min_size=1, max_size=6),
    excluded=st.lists(st.sampled_from(TERMS), max_size=3),
    top=st.integers(min_value=1, max_value=4),
    n_cases=st.integers(min_value=1, max_value=3),
)
def test_decoding_emits_only_distinct_genes(tiny_bundle, present, excluded, top, n_cases):
    cases = [Case(f"c{i}", tuple(present[i:] or present), tuple(excluded)) for i in range(n_cases)]
    results = rank_genes(tiny_bundle, cases, top=top)
    genes = set(tiny_bundle.tokenizer.convert_ids_to_tokens(tiny_bundle.gene_ids))
    for r in results:
        assert len(r.generated) == top
        assert len(set(r.generated)) == top  # no repeats
        assert set(r.generated) <= genes  # nothing but genes
        assert [g for g, _ in r.full_ranking()][:top] == r.generated
        assert len(r.full_ranking()) == len(genes)


def test_decoding_overrides_a_model_that_prefers_non_gene_tokens(mini_hpo, tiny_free_bundle):
    # Blow up every non-gene output row: unconstrained greedy decoding then picks a term or special token.
    model = type(tiny_free_bundle.model)(tiny_free_bundle.model.config)
    model.load_state_dict(tiny_free_bundle.model.state_dict())
    model.eval()
    with torch.no_grad():
        w = model.get_output_embeddings().weight
        non_gene = torch.ones(w.shape[0], dtype=torch.bool)
        non_gene[tiny_free_bundle.gene_ids] = False
        w[non_gene] *= 1000
    tok = tiny_free_bundle.tokenizer
    enc = tok(["<case> HP:0001250 HP:0001263 <genes>"], return_tensors="pt", add_special_tokens=False)
    free = model.generate(**enc, max_new_tokens=3, do_sample=False, pad_token_id=tok.pad_token_id)
    assert any(int(t) not in tiny_free_bundle.gene_ids for t in free[0, enc["input_ids"].shape[1] :])
    bundle = RankingModel(model, tok)
    [r] = rank_genes(bundle, Case("c", ("HP:0001250", "HP:0001263")), top=4)
    assert sorted(r.generated) == mini_hpo.genes


def test_model_ranker_follows_the_ranker_protocol(mini_hpo, tiny_bundle):
    ranker = ModelRanker(tiny_bundle, mini_hpo, generate=2)
    assert isinstance(ranker, Ranker)
    cases = [Case("a", ("HP:0001250",)), Case("b", ("HP:0000407",), ("HP:0001263",))]
    rankings = ranker.rank(cases, top=3)
    assert [r.case_id for r in rankings] == ["a", "b"]
    assert all(len(r.genes) == 3 and len(set(r.symbols)) == 3 for r in rankings)
    assert len(ranker.rank(cases[:1])[0].genes) == 4  # top=None: every gene


def test_fast_decoding_loop_matches_generate_under_the_list_policy(any_bundle):
    # rank_genes' KV-cached loop must decode exactly what greedy `generate` decodes from the RFT policy's
    # distribution (genes only, none twice): the lists the app shows are the lists RFT samples from.
    tok, model = any_bundle.tokenizer, any_bundle.model
    prompts = ["<case> HP:0001250 HP:0001263 <genes>", "<case> HP:0000407 <not> HP:0001250 <genes>"]
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    policy = GeneListPolicy(model, any_bundle.gene_ids)
    try:
        with torch.inference_mode():  # no cache: the policy masks what the whole sequence already holds
            out = model.generate(**enc, max_new_tokens=3, do_sample=False, use_cache=False, pad_token_id=tok.pad_token_id, eos_token_id=None)
    finally:
        policy.remove()
    expected = [tok.convert_ids_to_tokens(row) for row in out[:, enc["input_ids"].shape[1] :].tolist()]
    cases = [Case("a", ("HP:0001250", "HP:0001263")), Case("b", ("HP:0000407",), ("HP:0001250",))]
    assert [r.generated for r in rank_genes(any_bundle, cases, top=3)] == expected


def test_ranking_reads_the_output_layer_after_every_change(any_bundle):
    # The gene rows of the output layer (a knowledge head's gene vectors) are cached between calls; an in-place
    # update (an optimiser step) must invalidate the copy, or validation during training would score a stale model.
    case = Case("c", ("HP:0002069",))
    before = rank_genes(any_bundle, case, top=1)[0].gene_logprobs.copy()
    knowledge = any_bundle.knowledge_model
    weight = knowledge.knowledge_proj.weight if knowledge is not None else any_bundle.model.get_output_embeddings().weight
    rows = slice(None) if knowledge is not None else any_bundle.gene_ids[0]
    with torch.no_grad():
        weight[rows] *= 3.0
    try:
        after = rank_genes(any_bundle, case, top=1)[0].gene_logprobs
        assert not np.allclose(after, before)
    finally:
        with torch.no_grad():
            weight[rows] /= 3.0


def test_gene_list_policy_puts_all_mass_on_unlisted_genes(any_bundle):
    # With the policy installed the model's own distribution is the constrained one at every completion
    # position: all probability on genes not yet in the sequence, as in sampling, so GRPO's log-probabilities
    # and gradients refer to the distribution the lists were drawn from.
    from peft import LoraConfig, get_peft_model

    model, tok = any_bundle.model, any_bundle.tokenizer
    genes = any_bundle.gene_ids[:3]
    ids = torch.tensor([tok("<case> HP:0002069 <genes>", add_special_tokens=False)["input_ids"] + genes])
    policy = GeneListPolicy(model, any_bundle.gene_ids)
    try:
        # Through PEFT too, whose wrapper calls the top model's forward directly.
        for m in (model, get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj"]))):
            with torch.no_grad():
                probs = m(input_ids=ids, logits_to_keep=len(genes) + 1).logits.softmax(-1)[0]
            for j in range(len(genes) + 1):
                allowed = [g for g in any_bundle.gene_ids if g not in genes[:j]]
                assert probs[j, allowed].sum() == pytest.approx(1.0, abs=1e-5)
                assert probs[j, genes[:j]].sum() == 0.0
            if hasattr(m, "unload"):
                m.unload()
    finally:
        policy.remove()
    with torch.no_grad():
        plain = model(input_ids=ids).logits.softmax(-1)[0, -1]
    assert plain[genes].sum() > 0  # removed: the plain model again
