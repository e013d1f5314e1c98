"""Warm-start the base model on synthetic patients drawn from the HPO gene annotations.

    rft pretrain --out data/models/base --steps 400 --seed 0 \
        --valid-cases ../shared/data/phenopacket-store-dev.zip        # validation metrics go to meta.json

    from rft.model import PretrainConfig, pretrain
    bundle, meta = pretrain(PretrainConfig(out="data/models/base"), hpo)

Each training example is one synthetic patient (`rft.model.synthetic`) as a prompt, followed by 0-9 "decoy"
genes and then the causal gene: the loss is the next-token cross-entropy of the causal gene only. With no
decoy this teaches P(gene | case), the score of every gene; with decoys (genes whose annotations resemble the
causal gene's) it teaches what a ranked list means, "the next most likely gene, given that the listed ones
are not it", so greedy constrained decoding writes out the same ranking. Everything is seeded; the recipe,
model spec, step count, HPO release and metrics are written to `meta.json`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from rft.model.architecture import ModelSpec, build_base_model, ontology_embeddings
from rft.model.checkpoint import RankingModel, save_model
from rft.model.knowledge import KB_TOKENS
from rft.model.synthetic import SyntheticPatients, SyntheticRecipe
from rft.model.tokenizer import build_tokenizer, format_prompt, gene_token_ids
from rft.writes import check_target

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["PretrainConfig", "pretrain", "similar_genes"]

_BUCKETS = 8


@dataclass
class PretrainConfig:
    """One pretraining run. `spec` sizes the model, `recipe` draws the data."""

    out: str | None = field(default=None, metadata={"help": "model folder to write (None: do not save)"})
    force: bool = False  # replace `out` if it is a model folder this project wrote
    steps: int = 400
    batch_size: int = 256
    lr: float = 5e-4
    warmup: int = 100
    weight_decay: float = 0.0
    p_decoys: float = 0.5  # share of examples with decoy genes before the causal one
    max_decoys: int = 9
    seed: int = 0
    threads: int = 2
    eval_every: int = 100
    save_dtype: str = "bfloat16"
    # How `ModelRanker` ranks with this model by default (written to meta.json "ranking"); see rft.model.hybrid.
    hybrid: dict | None = field(default_factory=lambda: {"classical": "likelihood", "mode": "rrf", "k": 10, "weight": 0.25})
    spec: ModelSpec = field(default_factory=ModelSpec)
    recipe: SyntheticRecipe = field(default_factory=SyntheticRecipe)

    def __post_init__(self):
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"PretrainConfig.steps and batch_size must be at least 1 (got {self.steps}, {self.batch_size})")
        if not 0.0 <= self.p_decoys <= 1.0:
            raise ValueError(f"PretrainConfig.p_decoys must be in [0, 1], got {self.p_decoys}")
        if self.save_dtype not in ("bfloat16", "float16", "float32"):
            raise ValueError(f"PretrainConfig.save_dtype must be bfloat16, float16 or float32, got {self.save_dtype!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spec"], d["recipe"] = self.spec.to_dict(), self.recipe.to_dict()
        return d


def similar_genes(hpo: Hpo, tokenizer, k: int = 32, dim: int = 256, seed: int = 0) -> dict[int, np.ndarray]:
    """For each gene token id, the ids of the `k` genes whose annotation embeddings are closest (decoy pool)."""
    emb = ontology_embeddings(hpo, tokenizer, dim, seed).numpy()
    ids = np.array(gene_token_ids(tokenizer))
    k = min(k, len(ids) - 1)
    if k < 1:
        return {int(i): ids[:0] for i in ids}
    g = emb[ids]
    out: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), 1024):
        sims = g[start : start + 1024] @ g.T
        for row, i in enumerate(range(start, min(start + 1024, len(ids)))):
            sims[row, i] = -np.inf
        best = np.argpartition(-sims, k, axis=1)[:, :k]
        for row, i in enumerate(range(start, min(start + 1024, len(ids)))):
            out[int(ids[i])] = ids[best[row]]
    return out


class _Batches:
    """Seeded stream of left-padded training batches: (input_ids, attention_mask, position_ids, targets)."""

    def __init__(self, sampler: SyntheticPatients, tokenizer, decoys: dict[int, np.ndarray], cfg: PretrainConfig, seed: int):
        self.sampler, self.decoys, self.cfg = sampler, decoys, cfg
        self.rng = np.random.default_rng(seed)
        self.vocab = tokenizer.get_vocab()
        self.pad = tokenizer.pad_token_id
        self.queue: list[list[tuple[list[int], int]]] = []

    def example(self) -> tuple[list[int], int]:
        p = self.sampler.sample()
        kb = 0 if "<kb0>" in self.vocab else None  # a knowledge head's prompts name the full knowledge base
        ids = [self.vocab[t] for t in format_prompt(p.present, p.excluded, kb).split()]
        target = self.vocab[p.gene]
        pool = self.decoys[target]
        if len(pool) and self.rng.random() < self.cfg.p_decoys:
            m = min(int(self.rng.integers(1, self.cfg.max_decoys + 1)), len(pool))
            ids += [int(d) for d in self.rng.choice(pool, size=m, replace=False)]
        return ids, target

    def __next__(self) -> tuple[torch.Tensor, ...]:
        # Draw _BUCKETS batches at once and group similar lengths: padding, not data, was most of each step.
        if not self.queue:
            rows = sorted((self.example() for _ in range(self.cfg.batch_size * _BUCKETS)), key=lambda r: len(r[0]))
            size = self.cfg.batch_size
            self.queue = [rows[i : i + size] for i in range(0, len(rows), size)]
            self.queue = [self.queue[i] for i in self.rng.permutation(len(self.queue))]
        return collate(self.queue.pop(), self.pad)


def collate(rows: list[tuple[list[int], int]], pad: int) -> tuple[torch.Tensor, ...]:
    """Left-pad (ids, target) rows; position ids count real tokens only, as in generation."""
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (ids, _) in enumerate(rows):
        input_ids[r, width - len(ids) :] = torch.tensor(ids)
        mask[r, width - len(ids) :] = 1
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    return input_ids, mask, positions, torch.tensor([t for _, t in rows])


def _loss_and_hits(model, batch) -> tuple[torch.Tensor, torch.Tensor]:
    input_ids, mask, positions, targets = batch
    logits = model(input_ids=input_ids, attention_mask=mask, position_ids=positions, logits_to_keep=1).logits[:, -1]
    return torch.nn.functional.cross_entropy(logits.float(), targets), (logits.argmax(-1) == targets).float().mean()


def pretrain(
    cfg: PretrainConfig,
    hpo: Hpo,
    evaluate: Callable[[RankingModel], dict[str, float]] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[RankingModel, dict[str, Any]]:
    """Build the tokenizer and base model, train on synthetic patients, evaluate, and save if `cfg.out`.

    Args:
        cfg: the run.
        hpo: the release whose terms and genes make the vocabulary and whose annotations make the data.
        evaluate: called on the trained model; its metrics (e.g. the validation split's) go to meta.json.
        log: progress lines.

    Returns:
        The trained model bundle and its meta dict.
    """
    if cfg.out:  # refused now, not after the training it would throw away
        check_target(cfg.out, force=cfg.force, folder=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    tokenizer = build_tokenizer(hpo, KB_TOKENS if cfg.spec.head == "knowledge" else ())
    model = build_base_model(hpo, tokenizer, cfg.spec)
    decoys = similar_genes(hpo, tokenizer, seed=cfg.seed)
    train = _Batches(SyntheticPatients(hpo, cfg.recipe, seed=cfg.seed), tokenizer, decoys, cfg, seed=cfg.seed)
    held = _Batches(SyntheticPatients(hpo, cfg.recipe, seed=cfg.seed + 10_000), tokenizer, decoys, cfg, seed=cfg.seed + 10_000)
    held_out = [next(held) for _ in range(2)]  # fixed synthetic check set
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    schedule = lambda s: min(1.0, (s + 1) / cfg.warmup) * 0.5 * (1 + math.cos(math.pi * min(s / cfg.steps, 1.0)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    log(f"pretrain: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, vocab {len(tokenizer)}, setup {time.perf_counter() - t0:.1f}s")
    initial = {}
    if evaluate:  # the untrained, ontology-initialised model: what the warm start adds is measured against it
        model.eval()
        initial = evaluate(RankingModel(model, tokenizer))
        log(f"pretrain: step 0 metrics {initial}")
    history: list[dict[str, float]] = []
    model.train()
    running = 0.0
    for step in range(1, cfg.steps + 1):
        loss, _ = _loss_and_hits(model, next(train))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
        if step % cfg.eval_every == 0 or step == cfg.steps:
            model.eval()
            with torch.inference_mode():
                pairs = [_loss_and_hits(model, b) for b in held_out]
            model.train()
            point = {
                "step": step,
                "train_loss": round(running, 4),
                "synthetic_loss": round(float(np.mean([p[0].item() for p in pairs])), 4),
                "synthetic_top1": round(float(np.mean([p[1].item() for p in pairs])), 4),
                "minutes": round((time.perf_counter() - t0) / 60, 2),
            }
            history.append(point)
            log("pretrain: " + ", ".join(f"{k} {v}" for k, v in point.items()))
    model.eval()
    bundle = RankingModel(model, tokenizer, Path(cfg.out) if cfg.out else None)
    metrics = evaluate(bundle) if evaluate else {}
    meta = {
        "model": type(model).__name__,
        "spec": cfg.spec.to_dict(),
        "pretrain": cfg.to_dict(),
        "hpo_version": hpo.version,
        "vocab": {"size": len(tokenizer), "terms": len(hpo.terms), "genes": len(hpo.genes)},
        "data": "synthetic patients from HPO gene annotations (rft.model.synthetic)",
        "steps": cfg.steps,
        "examples_seen": cfg.steps * cfg.batch_size,
        "minutes": round((time.perf_counter() - t0) / 60, 2),
        "history": history,
        "metrics": metrics,
        "metrics_step0": initial,
        "ranking": {"generate": 10, "hybrid": cfg.hybrid},
    }
    if cfg.out:
        save_model(model, tokenizer, cfg.out, meta, dtype=getattr(torch, cfg.save_dtype), force=cfg.force)
        log(f"pretrain: saved {cfg.out}")
    return bundle, meta
