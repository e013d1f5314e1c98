"""Ranking genes with the model alone: constrained ranked-list generation plus a score for every gene.

    from rft.model import load_model, rank_genes, ModelRanker
    bundle = load_model("data/models/default", hpo)
    [r] = rank_genes(bundle, case, top=10, hpo=hpo)
    r.generated            # ['SCN1A', 'STXBP1', ...]: greedy decoding restricted to genes not yet listed
    r.full_ranking()[:3]   # [('SCN1A', -0.4), ...]: every gene, by log P(first gene | case)

    ranker = ModelRanker(bundle, hpo)           # the common `Ranker` interface, the model alone
    ranker.rank(cases, top=10)

Decoding is constrained as `rft.model.policy.GeneListPolicy` constrains sampling in RFT: only gene tokens,
each at most once, so the output is always a list of distinct, valid genes. How a model folder ranks in the
app (its fusion with a classical ranker) is read from its meta.json by `rft.registry.load_ranker`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from rft.model.checkpoint import RankingModel, load_model
from rft.model.tokenizer import case_to_prompt, format_prompt
from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["ModelRanker", "ModelRankingResult", "rank_genes"]


@dataclass
class ModelRankingResult:
    """One case ranked by the model."""

    case_id: str
    prompt: str
    generated: list[str]  # constrained greedy decoding: `top` distinct genes
    gene_logprobs: np.ndarray = field(repr=False)  # log P(first gene = g | case), aligned with `genes`
    genes: Sequence[str] = field(repr=False, default=())
    generated_index: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))  # `generated` as indices into `genes`

    def full_ranking(self, generated_first: bool = True, top: int | None = None) -> list[tuple[str, float]]:
        """Every gene (or the best `top`), best first: the generated list, then the others by log-probability.

        With `generated_first=False` every gene is ordered by its first-step log-probability alone.
        """
        lp = self.gene_logprobs
        order = _ranking_order(lp, self.generated_index if generated_first else self.generated_index[:0], top)
        return [(self.genes[i], float(lp[i])) for i in order]


def _ranking_order(logprobs: np.ndarray, generated: np.ndarray, top: int | None = None) -> np.ndarray:
    """Gene indices best first: `generated` in its order, then the rest by log-probability (stable)."""
    key = logprobs.astype(np.float64, copy=True)
    if len(generated):
        key[generated] = np.inf
    n = len(key) if top is None else min(top, len(key))
    if n < len(key):
        part = np.argpartition(-key, n - 1)[:n]
        rest = part[np.argsort(-key[part], kind="stable")]
    else:
        rest = np.argsort(-key, kind="stable")
    rest = rest[~np.isin(rest, generated)] if len(generated) else rest
    return np.concatenate([generated, rest])[:n]


def _prompts(bundle: RankingModel, cases: Sequence[Case], hpo: Hpo | None) -> list[str]:
    if hpo is not None:
        return [case_to_prompt(c, hpo, bundle.tokenizer, bundle.vocab) for c in cases]
    # Without an ontology only ids the vocabulary knows are kept (the tokenizer would map others to <unk>).
    from rft.notices import notice

    vocab = bundle.vocab
    out = []
    for c in cases:
        unknown = [t for t in (*c.present, *c.excluded) if t not in vocab]
        if unknown:
            notice("term_dropped", f"case {c.id}: dropped terms unknown to the model: {', '.join(unknown)}")
        present = [t for t in c.present if t in vocab]
        out.append(format_prompt(present, [t for t in c.excluded if t in vocab and t not in present]))
    return out


def rank_genes(
    bundle: RankingModel | str | Path,
    cases: Case | Sequence[Case],
    top: int = 10,
    hpo: Hpo | None = None,
    batch_size: int = 64,
) -> list[ModelRankingResult]:
    """Rank genes for one case or a batch of cases.

    Args:
        bundle: a loaded model (`load_model`), or a model folder.
        cases: a `Case` or a sequence of them.
        top: how many genes to generate (each result also scores every gene); 0 scores without decoding.
        hpo: maps obsolete/alternative/newer ids to terms the model knows; without it unknown ids are dropped.
        batch_size: cases per forward pass.

    Returns:
        One `ModelRankingResult` per case, in input order.
    """
    from rft.cases import Case as _Case

    if isinstance(bundle, (str, Path)):
        bundle = load_model(bundle, hpo)
    if isinstance(cases, _Case):
        cases = [cases]
    if top < 0:
        raise ValueError(f"top must be at least 0, got {top}")
    top = min(top, len(bundle.gene_ids))
    tok = bundle.tokenizer
    prompts = _prompts(bundle, cases, hpo)
    genes = bundle.gene_symbols
    # Similar lengths in one batch means little padding.
    order = sorted(range(len(cases)), key=lambda i: len(prompts[i].split()))
    results: list[ModelRankingResult | None] = [None] * len(cases)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
            generated, first_logits = _greedy_generate(bundle, enc["input_ids"], enc["attention_mask"], top)
            logprobs = torch.log_softmax(first_logits.float(), dim=-1).numpy()
            for row, i in enumerate(idx):
                index = generated[row].numpy()
                results[i] = ModelRankingResult(cases[i].id, prompts[i], [genes[j] for j in index.tolist()], logprobs[row], genes, index)
    return results  # type: ignore[return-value]


def _greedy_generate(bundle: RankingModel, input_ids, attention_mask, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Constrained greedy decoding; returns (generated gene indices [B, steps], first-step gene logits [B, G]).

    Token for token what `model.generate(..., do_sample=False)` produces under `GeneListPolicy` (a test checks
    it), written as a KV-cached loop that multiplies the hidden state
    by the gene rows of the output layer only: non-gene logits would be masked anyway, and skipping them and
    `generate`'s per-call set-up makes ranking several times faster on CPU.
    """
    decoder = bundle.model.get_decoder()
    gene_weight = bundle.gene_output_weight()
    positions = (attention_mask.cumsum(1) - 1).clamp(min=0)
    out = decoder(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=True)
    logits = out.last_hidden_state[:, -1] @ gene_weight.T
    if steps == 0:
        return torch.zeros((len(input_ids), 0), dtype=torch.long), logits
    # transformers 5 calls the KV cache `cache` (`past_key_values` goes in 5.40); 4.x only knows `past_key_values`.
    kw = "cache" if "cache" in inspect.signature(decoder.forward).parameters else "past_key_values"
    first, mask, past = logits, attention_mask, getattr(out, kw)
    next_pos = positions[:, -1:] + 1
    emitted = torch.zeros_like(logits, dtype=torch.bool)
    generated = []
    for step in range(steps):
        index = logits.masked_fill(emitted, float("-inf")).argmax(-1)
        generated.append(index)
        if step == steps - 1:
            break
        emitted[torch.arange(len(index)), index] = True
        token = bundle.gene_id_tensor[index].unsqueeze(1)
        mask = torch.cat([mask, torch.ones_like(token)], dim=1)
        out = decoder(input_ids=token, attention_mask=mask, position_ids=next_pos, use_cache=True, **{kw: past})
        logits, past, next_pos = out.last_hidden_state[:, -1] @ gene_weight.T, getattr(out, kw), next_pos + 1
    return torch.stack(generated, dim=1), first


class ModelRanker:
    """The model alone behind the common `Ranker` interface (a model folder's fusion with a classical ranker is
    built by `rft.registry.load_ranker`, from the folder's meta.json).

    Args:
        model: a loaded `RankingModel`, or a model folder.
        hpo: maps case term ids onto the model's vocabulary; without it, ids the vocabulary lacks are dropped.
        batch_size: cases per forward pass.
        generate: how many genes to generate before the rest follow by score (the full ranking always covers
            every gene); 0 ranks every gene by its first-step log-probability alone, with no decoding (one
            forward pass per case).
    """

    def __init__(self, model: RankingModel | str | Path, hpo: Hpo | None = None, batch_size: int = 64, generate: int = 10):
        self.bundle = model if isinstance(model, RankingModel) else load_model(model, hpo)
        self.hpo = hpo
        self.batch_size = batch_size
        if generate < 0:
            raise ValueError(f"generate must be at least 0, got {generate}")
        self.generate = generate
        self.name = self.bundle.name
        self.score_meaning = "the model's log-probability that the gene is named first (closer to 0 is more likely)"

    @property
    def genes(self) -> list[str]:
        return list(self.bundle.gene_symbols)

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        t0 = time.perf_counter()
        steps = min(self.generate, top) if top else self.generate
        results = rank_genes(self.bundle, cases, top=steps, hpo=self.hpo, batch_size=self.batch_size)
        out = [Ranking(r.case_id, [RankedGene(g, s) for g, s in r.full_ranking(self.generate > 0, top)]) for r in results]
        ms = (time.perf_counter() - t0) * 1000 / max(len(cases), 1)
        for r in out:
            r.ms = ms
        return out

    def first_gene_logprobs(self, cases: Sequence[Case]) -> np.ndarray:
        """log P(first gene = g | case) for every gene (aligned with `genes`), [n_cases, n_genes]: one forward pass
        per batch, no decoding (what a gated fusion, `rft.rankers.hybrid.Gate`, reads)."""
        results = rank_genes(self.bundle, cases, top=0, hpo=self.hpo, batch_size=self.batch_size)
        if not results:
            return np.zeros((0, len(self.bundle.gene_symbols)), dtype=np.float32)
        return np.stack([r.gene_logprobs for r in results])

    def gene_ranks(self, cases: Sequence[Case]) -> np.ndarray:
        """1-based rank of every gene (aligned with `genes`) per case, [n_cases, n_genes]: what a hybrid fuses.
        The same order as `rank`, without building a `Ranking` per case."""
        results = rank_genes(self.bundle, cases, top=self.generate, hpo=self.hpo, batch_size=self.batch_size)
        ranks = np.empty((len(results), len(self.bundle.gene_symbols)), dtype=np.float64)
        for row, r in enumerate(results):
            order = _ranking_order(r.gene_logprobs, r.generated_index)
            ranks[row, order] = np.arange(1, len(order) + 1)
        return ranks
