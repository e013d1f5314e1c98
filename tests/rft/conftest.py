"""Tiny models over the mini ontology (14 terms, 4 genes), built once per test session, for every rft test:
`tiny_bundle` has the knowledge head (genes scored through their annotations), `tiny_free_bundle` a row per gene."""

from __future__ import annotations

import dataclasses

import pytest

from rft.model import KB_TOKENS, ModelSpec, RankingModel, build_base_model, build_tokenizer

TINY = ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_positions=64, seed=0)


@pytest.fixture(scope="session")
def tiny_spec() -> ModelSpec:
    return TINY


@pytest.fixture(scope="session")
def tiny_bundle(mini_hpo) -> RankingModel:
    tokenizer = build_tokenizer(mini_hpo, KB_TOKENS)
    model = build_base_model(mini_hpo, tokenizer, TINY).eval()
    return RankingModel(model, tokenizer)


@pytest.fixture(scope="session")
def tiny_free_bundle(mini_hpo) -> RankingModel:
    tokenizer = build_tokenizer(mini_hpo)
    model = build_base_model(mini_hpo, tokenizer, dataclasses.replace(TINY, head="free")).eval()
    return RankingModel(model, tokenizer)


@pytest.fixture(params=["knowledge", "free"])
def any_bundle(request, tiny_bundle, tiny_free_bundle) -> RankingModel:
    """Each tiny model in turn: what holds for both heads."""
    return tiny_bundle if request.param == "knowledge" else tiny_free_bundle
