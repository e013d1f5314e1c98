"""Evaluation metrics computed from the grader's own ranks and scores.

    from rft.metrics import summarize
    summarize([1, 3, None, 12], k=10)
    # {'n': 4, 'top1': 0.25, 'top3': 0.5, ..., 'mrr': 0.354, 'mean_score': 0.325, 'top_max': 0.75}
    topk_curve([1, 3, None], max_k=3)      # fraction of cases solved within k, k = 1..3

`top_max` is the fraction of cases whose causal gene appears anywhere in the returned list.
"""

from __future__ import annotations

from collections.abc import Sequence

from rft.grader import DEFAULT_K, score_rank

__all__ = ["TOP_KS", "reciprocal_rank", "summarize", "topk_curve"]

TOP_KS = (1, 3, 5, 10, 50)


def summarize(ranks: Sequence[int | None], k: int = DEFAULT_K, kind: str = "topk", top_ks: Sequence[int] = TOP_KS) -> dict[str, float]:
    """Top-k accuracy, MRR, mean grader score and top-max over per-case ranks (None = not found).

    >>> summarize([1, 2, None], k=10)["mrr"]
    0.5
    """
    n = len(ranks)
    out: dict[str, float] = {"n": n}
    if n == 0:
        return out | {f"top{t}": 0.0 for t in top_ks} | {"mrr": 0.0, "mean_score": 0.0, "top_max": 0.0}
    for t in top_ks:
        out[f"top{t}"] = sum(1 for r in ranks if r is not None and r <= t) / n
    out["mrr"] = sum(reciprocal_rank(r) for r in ranks) / n
    out["mean_score"] = sum(score_rank(r, k, kind) for r in ranks) / n
    out["top_max"] = sum(1 for r in ranks if r is not None) / n
    return out


def reciprocal_rank(rank: int | None) -> float:
    """One case's term of the MRR: 1 / rank, 0 when the causal gene was not found (None).

    >>> reciprocal_rank(4), reciprocal_rank(None)
    (0.25, 0.0)
    """
    return 1.0 / rank if rank else 0.0


def topk_curve(ranks: Sequence[int | None], max_k: int = 50) -> list[float]:
    """Fraction of cases whose causal gene is within the top k, for k = 1..max_k (None = not found).

    >>> topk_curve([1, 3, None], max_k=3)
    [0.3333333333333333, 0.3333333333333333, 0.6666666666666666]
    """
    n = len(ranks)
    if n == 0:
        return [0.0] * max_k
    return [sum(1 for r in ranks if r is not None and r <= k) / n for k in range(1, max_k + 1)]
