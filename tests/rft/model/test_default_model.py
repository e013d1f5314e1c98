"""The RFT-tuned model shipped in data/models/default: what `--model default` and the app use."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case
from rft.model import ModelRanker, load_model
from rft.rankers import HybridRanker, Ranker
from rft.registry import MODELS_DIR, default_model_dir, load_ranker

DEFAULT = MODELS_DIR / "default"
pytestmark = pytest.mark.skipif(not (DEFAULT / "config.json").is_file(), reason="no RFT-tuned model shipped in data/models/default")


def test_default_is_the_tuned_model_and_fits_the_budget():
    assert default_model_dir() == DEFAULT
    size = sum(f.stat().st_size for f in DEFAULT.iterdir() if f.is_file())
    assert size <= 25 * 1024 * 1024, f"{size / 2**20:.1f} MiB"
    meta = json.loads((DEFAULT / "meta.json").read_text())
    assert meta["kind"] == "rft-merged" and meta["grader"]["kind"] == "topk"
    assert {"ranking", "metrics", "validation", "command", "base", "hpo_version"} <= set(meta)
    assert (DEFAULT / "metrics.jsonl").is_file()  # the Models page draws its training curve


def test_default_ranks_a_fixture_case_with_its_shipped_ranking(hpo):
    ranker = load_ranker("default", hpo)
    meta = json.loads((DEFAULT / "meta.json").read_text())
    assert isinstance(ranker, Ranker)
    assert isinstance(ranker, HybridRanker) == bool(meta["ranking"].get("hybrid"))  # as meta.json ships it
    # HP:0001250 Seizure, HP:0001263 Global developmental delay
    [ranking] = ranker.rank([Case("fixture", ("HP:0001250", "HP:0001263"))], top=10)
    assert len(set(ranking.symbols)) == 10 and set(ranking.symbols) <= set(hpo.genes)
    assert isinstance(load_ranker("default", hpo, model_only=True), ModelRanker)
    assert load_model(default_model_dir()).path == DEFAULT
