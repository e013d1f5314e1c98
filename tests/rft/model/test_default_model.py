"""The model shipped in data/models/default (what `--model default` and the app use): the one the prospective
benchmark chose, an RFT-tuned model or, where RFT lost on its tune window, the base."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case
from rft.model import ModelRanker, load_model
from rft.rankers import HybridRanker, Ranker
from rft.registry import MODELS_DIR, default_model_dir, load_ranker

DEFAULT = MODELS_DIR / "default"
pytestmark = pytest.mark.skipif(not (DEFAULT / "config.json").is_file(), reason="no RFT-tuned model shipped in data/models/default")


def test_default_is_the_prospectively_chosen_model_and_fits_the_budget():
    assert default_model_dir() == DEFAULT
    size = sum(f.stat().st_size for f in DEFAULT.iterdir() if f.is_file())
    assert size <= 25 * 1024 * 1024, f"{size / 2**20:.1f} MiB"
    meta = json.loads((DEFAULT / "meta.json").read_text())
    assert {"ranking", "metrics", "command", "hpo_version", "prospective"} <= set(meta)
    # The figures that chose it: the prospective benchmark's evaluation window, and the row that ships.
    prospective = meta["prospective"]
    assert prospective["shipped_row"] in prospective["rows"] and "chosen_on" in prospective
    if meta.get("kind") == "rft-merged":
        assert meta["grader"]["kind"] == "topk" and (DEFAULT / "metrics.jsonl").is_file()  # the Models page draws its curve


def test_default_ranks_a_fixture_case_with_its_shipped_ranking(hpo):
    ranker = load_ranker("default", hpo)
    meta = json.loads((DEFAULT / "meta.json").read_text())
    assert isinstance(ranker, Ranker)
    assert isinstance(ranker, HybridRanker) == bool(meta["ranking"].get("hybrid"))  # as meta.json ships it
    # HP:0001250 Seizure, HP:0001263 Global developmental delay
    [ranking] = ranker.rank([Case("fixture", ("HP:0001250", "HP:0001263"))], top=10)
    assert len(set(ranking.symbols)) == 10 and set(ranking.symbols) <= set(hpo.genes)
    if (meta["ranking"].get("hybrid") or {}).get("gate") is not None:  # a gated ranking says, per patient, whether the model spoke
        assert set(ranking.gate) == {"open", "confidence", "lift", "disagreement", "rule"} and ranking.gate["rule"].startswith("the model has a say")
        if not ranking.gate["open"]:  # shut: the partner's ranking exactly
            assert ranking.symbols == ranker.classical.rank([Case("fixture", ("HP:0001250", "HP:0001263"))], top=10)[0].symbols
    assert isinstance(load_ranker("default", hpo, model_only=True), ModelRanker)
    assert load_model(default_model_dir(), hpo).path == DEFAULT
