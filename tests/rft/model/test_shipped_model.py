"""The model shipped in data/models/base: loads as a standard folder, fits the size budget, ranks a case."""

from __future__ import annotations

import json

import pytest

from rft.cases import Case
from rft.cli import main
from rft.model import is_gene_token, load_model, rank_genes
from rft.registry import MODELS_DIR

BASE_MODEL_DIR = MODELS_DIR / "base"

pytestmark = pytest.mark.skipif(not (BASE_MODEL_DIR / "config.json").is_file(), reason="run `rft pretrain --out data/models/base` first")


def test_shipped_model_is_small_and_documented():
    size = sum(f.stat().st_size for f in BASE_MODEL_DIR.iterdir() if f.is_file())
    assert size <= 25 * 1024 * 1024, f"{size / 2**20:.1f} MiB"
    meta = json.loads((BASE_MODEL_DIR / "meta.json").read_text())
    assert {"spec", "pretrain", "hpo_version", "steps", "metrics", "command"} <= set(meta)


def test_shipped_model_ranks_a_fixture_case(hpo):
    bundle = load_model(BASE_MODEL_DIR, hpo)
    # HP:0001250 Seizure, HP:0001263 Global developmental delay
    [r] = rank_genes(bundle, Case("fixture", ("HP:0001250", "HP:0001263")), top=10)
    assert len(set(r.generated)) == 10 and all(is_gene_token(g) for g in r.generated)
    assert len(r.full_ranking()) == len(bundle.gene_ids)


def test_rank_command_prints_ten_distinct_genes(capsys):
    assert main(["rank", "--model", str(BASE_MODEL_DIR), "HP:0001250", "HP:0001263", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    genes = [g["gene"] for g in out["genes"]]
    assert len(genes) == len(set(genes)) == 10
    assert all(isinstance(g["score"], float) for g in out["genes"])


@pytest.mark.parametrize("generate", [0, 10])
def test_shipped_hybrid_array_path_equals_the_list_fusion(hpo, generate):
    # The hybrid fuses whole-batch arrays; it must give what fusing the two full per-case lists gives.
    from rft.rankers import fuse_rankings
    from rft.registry import load_ranker

    h = load_ranker(BASE_MODEL_DIR, hpo, generate=generate)
    cases = [
        Case("a", ("HP:0001250", "HP:0001263")),  # Seizure, Global developmental delay
        Case("b", ("HP:0000407",), ("HP:0001250",)),  # Sensorineural hearing impairment; no seizure
        Case("c", ("HP:0001631", "HP:0001263", "HP:0000252")),  # ASD, GDD, microcephaly
    ]
    fast = h.rank(cases, top=50)
    slow = [
        fuse_rankings(m, c, h.mode, h.k, h.weight, top=50)
        for m, c in zip(h.model.rank(cases), h.classical.rank(cases))
    ]
    assert [r.symbols for r in fast] == [r.symbols for r in slow]
