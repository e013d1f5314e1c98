"""rft.model_card: reading a model folder's meta.json and metrics.jsonl."""

from __future__ import annotations

import json

import pytest

from rft.model_card import find_model_folders, read_model_card


def test_rft_run_card(tmp_path):
    meta = {"kind": "rft-run", "base": "data/models/base", "hpo_version": "2025-01-16",
            "grader": {"name": "topk_rank_k10", "kind": "topk", "k": 10}, "data": {"n_train": 900, "n_valid": 50}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    lines = [{"kind": "train", "step": 1, "reward": 0.2}, "not json", {"kind": "valid", "step": 1, "mean_score": 0.3, "seconds": 2}]
    (tmp_path / "metrics.jsonl").write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    card = read_model_card(tmp_path)
    assert (card.base, card.train_size, card.grader) == ("data/models/base", "900 cases, 50 validation", "topk rank, k=10")
    assert card.metrics == {"mean_score": 0.3}  # step and seconds are not metrics
    assert set(card.curve["series"]) == {"train reward", "valid mean_score"}
    assert len(card.problems) == 1  # the bad line is reported, not raised


def test_pretrained_base_card(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"model": "LlamaForCausalLM", "pretrain": {}, "examples_seen": 64000, "metrics": {"top1": 0.1}}))
    card = read_model_card(tmp_path)
    assert card.kind == "pretrained base" and card.train_size == "64,000 synthetic patients" and card.metrics == {"top1": 0.1}


@pytest.mark.parametrize("content, message", [(None, "no meta.json"), ("{oops", "not valid JSON"), ("[1]", "JSON object")])
def test_bad_folders_raise_value_error(tmp_path, content, message):
    if content is not None:
        (tmp_path / "meta.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        read_model_card(tmp_path)


def test_find_model_folders(tmp_path):
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text("{}")
    (tmp_path / "not-a-model").mkdir()
    assert [p.name for p in find_model_folders(tmp_path)] == ["a", "b"]
    assert find_model_folders(tmp_path / "missing") == []
