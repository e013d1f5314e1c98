"""A tiny model over the mini ontology (14 terms, 4 genes), built once per test session."""

from __future__ import annotations

import pytest

from rft.model import ModelSpec, RankingModel, build_base_model, build_tokenizer

TINY = ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_positions=64, seed=0)


@pytest.fixture(scope="session")
def tiny_spec() -> ModelSpec:
    return TINY


@pytest.fixture(scope="session")
def tiny_bundle(mini_hpo) -> RankingModel:
    tokenizer = build_tokenizer(mini_hpo)
    model = build_base_model(mini_hpo, tokenizer, TINY).eval()
    return RankingModel(model, tokenizer)
