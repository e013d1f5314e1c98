"""The RFT-tuned model shipped in data/models/default: what `--model default` and the app use."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case
from rft.model import MODELS_DIR, ModelRanker, default_model_dir, load_model
from rft.rankers.base import Ranker

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
    ranker = ModelRanker("default", hpo)
    assert isinstance(ranker, Ranker) and ranker.hybrid is not None  # meta.json ships a hybrid
    # HP:0001250 Seizure, HP:0001263 Global developmental delay
    [ranking] = ranker.rank([Case("fixture", ("HP:0001250", "HP:0001263"))], top=10)
    assert len(set(ranking.symbols)) == 10 and set(ranking.symbols) <= set(hpo.genes)
    assert load_model("default").path == DEFAULT
