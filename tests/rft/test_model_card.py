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
    assert card.metrics == {"validation at step 1": {"mean_score": 0.3}}  # step and seconds are not metrics
    assert set(card.curve["series"]) == {"train reward", "valid mean_score"}
    assert len(card.problems) == 1  # the bad line is reported, not raised


def test_rft_run_card_draws_held_out_gene_and_seen_gene_curves(tmp_path):
    """rft.train.log writes each validation's unseen-gene and seen-gene figures apart; the card draws both MRRs."""
    (tmp_path / "meta.json").write_text(json.dumps({"kind": "rft-run"}))
    lines = [{"kind": "valid", "step": s, "mrr": 0.3, "unseen gene": {"n": 4, "mrr": u}, "seen gene": {"n": 6, "mrr": 0.5}}
             for s, u in ((0, 0.1), (50, 0.2))]
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    card = read_model_card(tmp_path)
    unseen = card.curve[card.curve["series"] == "valid MRR, unseen gene"]
    assert list(unseen["step"]) == [0, 50] and list(unseen["value"]) == [0.1, 0.2]
    assert "valid MRR, seen gene" in set(card.curve["series"])
    assert card.metrics["validation at step 50, unseen gene"] == {"n": 4, "mrr": 0.2}


def test_pretrained_base_card(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"model": "LlamaForCausalLM", "pretrain": {}, "examples_seen": 64000, "metrics": {"top1": 0.1}}))
    card = read_model_card(tmp_path)
    assert card.kind == "pretrained base" and card.train_size == "64,000 synthetic patients" and card.metrics == {"metrics": {"top1": 0.1}}


def test_nested_metrics_of_a_base_are_every_set_with_full_values(tmp_path):
    """A pretrained base's meta.json nests its metrics per validation run; none may be dropped or rounded."""
    meta = {"pretrain": {}, "metrics": {"valid": {"n": 1492, "top1": 0.3947721179624665}, "valid_split": "dev_split.json",
                                        "valid_hybrid": {"n": 1492, "top1": 0.61, "mrr": 0.68}, "note": "valid = model alone"},
            "metrics_step0": {"valid": {"top1": 0.42}, "flag": True}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    card = read_model_card(tmp_path)
    assert card.metrics == {"valid": {"n": 1492, "top1": 0.3947721179624665}, "valid_hybrid": {"n": 1492, "top1": 0.61, "mrr": 0.68},
                            "step0 valid": {"top1": 0.42}}  # a boolean is not a metric
    assert card.metric_notes == ["valid_split: dev_split.json", "note: valid = model alone"]
    frame = card.metrics_frame()
    assert frame["metric"].tolist() == ["n", "top1", "mrr"]  # a row per metric, in the order first seen
    assert frame.columns.tolist() == ["metric", "valid", "valid_hybrid", "step0 valid"]
    assert frame.loc[1, "valid"] == 0.3947721179624665 and frame["valid"].isna().tolist() == [False, False, True]


def test_shipped_base_model_card_has_metrics():
    """data/models/base/meta.json records its prospective figures: the Models page must not say "none recorded"."""
    from rft.registry import MODELS_DIR

    if not (MODELS_DIR / "base" / "meta.json").is_file():
        pytest.skip("no shipped base model in this checkout")
    card = read_model_card(MODELS_DIR / "base")
    assert {"prospective alone", "prospective as shipped"} <= set(card.metrics) and 0 < card.metrics["prospective alone"]["top1"] < 1


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
