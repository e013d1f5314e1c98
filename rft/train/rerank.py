"""Reinforcement fine-tuning of the knowledge-only reranker (`rft.rankers.reranker`): GRPO with the top-k grader.

    from rft.train.rerank import RerankData, train_reranker
    data = RerankData.from_batch(batch, targets)            # candidates' features + each case's causal gene
    policy, curve = train_reranker(train_data, valid_data, steps=400)

The policy is a Plackett-Luce distribution over orderings of a case's candidates (scores from `RerankPolicy`).
Each step draws `batch_cases` cases and, per case, a group of `group` top-k lists (Gumbel-top-k sampling);
each list is graded by `rft.grader.score_rank` on the rank of the causal gene in it, exactly as the LM's RFT
grades a generated list; the advantage is the grade minus the group's mean over the group's SD (GRPO), and the
loss is minus the advantage times the list's log-probability, plus `kl` times the squared distance of the
scores from the base's (the consensus order) to keep the policy near it. Cases whose causal gene is not among
the candidates carry no signal (every list grades 0) and are left out of training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rft.grader import DEFAULT_K
from rft.rankers.reranker import CandidateBatch, RerankEnsemble, RerankPolicy

__all__ = ["RerankData", "candidate_ranks", "train_reranker"]


@dataclass
class RerankData:
    """Tensors of cases: features [n, C, F], base scores [n, C], the causal gene's candidate position [n] (-1: not a candidate)."""

    features: torch.Tensor
    base: torch.Tensor
    target: torch.Tensor

    @classmethod
    def from_batch(cls, batch: CandidateBatch, targets: list[list[str]]) -> RerankData:
        index = {g: i for i, g in enumerate(batch.genes)}
        positions = []
        for row, genes in enumerate(targets):  # the first candidate that is a causal gene
            hits = np.flatnonzero(np.isin(batch.index[row], [index[g] for g in genes if g in index]))
            positions.append(int(hits[0]) if len(hits) else -1)
        return cls(torch.from_numpy(batch.features), torch.from_numpy(batch.base), torch.tensor(positions, dtype=torch.long))

    @classmethod
    def concat(cls, parts: list[RerankData]) -> RerankData:
        return cls(torch.cat([p.features for p in parts]), torch.cat([p.base for p in parts]), torch.cat([p.target for p in parts]))

    def __len__(self) -> int:
        return len(self.target)


def candidate_ranks(policy: RerankPolicy | RerankEnsemble, data: RerankData) -> np.ndarray:
    """The causal gene's 1-based position in the list the policy's scores make of the candidates, as the grader counts
    it: equal scores keep the candidates' order (the consensus's), as `KnowledgeReranker.rank` lists them; inf when
    the gene is not a candidate."""
    with torch.no_grad():
        scores = policy(data.features, data.base)
    hit = data.target >= 0
    target = data.target.clamp(min=0)[:, None]
    own = scores.gather(1, target)
    before = torch.arange(scores.shape[1])[None, :] < target
    ranks = 1 + (scores > own).sum(dim=1) + ((scores == own) & before).sum(dim=1)
    return np.where(hit.numpy(), ranks.numpy().astype(float), np.inf)


def _mrr(ranks: np.ndarray) -> float:
    return float(np.where(np.isfinite(ranks), 1.0 / ranks, 0.0).mean()) if len(ranks) else float("nan")


def train_reranker(
    train: RerankData, valid: RerankData | None = None, *, steps: int = 400, lr: float = 3e-3, group: int = 8, batch_cases: int = 32,
    k: int = DEFAULT_K, kl: float = 0.01, eval_every: int = 50, seed: int = 0, log: Callable[[str], None] | None = None,
    also: dict[str, RerankData] | None = None, weights: np.ndarray | None = None,
) -> tuple[RerankPolicy, list[dict]]:
    """GRPO on `train` (see the module docstring); returns the policy at the step with the best `valid` MRR (the
    last step without `valid`) and the learning curve: one row per evaluation, {"step", "train_mrr", "valid_mrr"},
    plus "<name>_mrr" for each of `also` (other cases watched along the way; they choose nothing). `weights` (one per
    training case, non-negative) makes the cases each step draws come in proportion to them (e.g. each gene equally:
    1 / its number of cases) instead of uniformly."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    policy = RerankPolicy(train.features.shape[-1])
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    usable = np.flatnonzero(train.target.numpy() >= 0)
    if not len(usable):
        raise ValueError("no training case has its causal gene among the candidates: nothing to learn from")
    draw = None  # uniform
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (len(train),) or not np.isfinite(weights).all() or (weights < 0).any() or weights[usable].sum() <= 0:
            raise ValueError(f"weights must be {len(train)} finite, non-negative numbers (one per training case), "
                             "some of them positive on cases whose gene is a candidate")
        draw = weights[usable] / weights[usable].sum()
        usable = usable[draw > 0]
        draw = draw[draw > 0]
    curve: list[dict] = []
    best = (-1.0, None)

    def evaluate(step: int) -> None:
        nonlocal best
        row = {"step": step, "train_mrr": _mrr(candidate_ranks(policy, train))}
        if valid is not None:
            row["valid_mrr"] = _mrr(candidate_ranks(policy, valid))
        row |= {f"{name}_mrr": _mrr(candidate_ranks(policy, data)) for name, data in (also or {}).items()}
        curve.append(row)
        score = row.get("valid_mrr", row["train_mrr"]) if valid is not None else step
        if score > best[0]:
            best = (score, {n: p.detach().clone() for n, p in policy.state_dict().items()})
        if log:
            log(f"step {step}: " + ", ".join(f"{key} {value:.4f}" for key, value in row.items() if key != "step"))

    evaluate(0)
    for step in range(1, steps + 1):
        policy.train()
        idx = torch.from_numpy(rng.choice(usable, size=min(batch_cases, len(usable)), replace=False, p=draw))
        scores = policy(train.features[idx], train.base[idx])  # [B, C]
        b, c = scores.shape
        top = min(k, c)
        gumbel = -torch.log(-torch.log(torch.rand(b, group, c).clamp(1e-9, 1 - 1e-9)))
        order = torch.topk(scores.detach()[:, None, :] + gumbel, top, dim=-1).indices  # [B, G, top]: sampled lists
        expanded = scores[:, None, :].expand(b, group, c)
        chosen = expanded.gather(-1, order)  # [B, G, top]
        taken = torch.zeros(b, group, c, dtype=torch.bool)
        logp = torch.zeros(b, group)
        for j in range(top):  # Plackett-Luce: each pick against what is left
            logp = logp + chosen[..., j] - torch.logsumexp(expanded.masked_fill(taken, float("-inf")), dim=-1)
            taken = taken.scatter(-1, order[..., j : j + 1], True)
        target = train.target[idx][:, None, None]
        found = order == target
        rank = torch.where(found.any(-1), found.float().argmax(-1) + 1, torch.full((b, group), float(k + 1)))
        reward = torch.clamp((k + 1 - rank) / k, min=0.0)  # rft.grader.score_rank(rank, k, "topk")
        advantage = (reward - reward.mean(1, keepdim=True)) / (reward.std(1, keepdim=True) + 1e-4)
        loss = -(advantage.detach() * logp).mean() + kl * ((scores - train.base[idx]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        policy.eval()
        if step % eval_every == 0 or step == steps:
            evaluate(step)
    policy.load_state_dict(best[1])
    return policy.eval(), curve
