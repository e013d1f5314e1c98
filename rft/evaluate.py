"""The evaluation harness: rank cases with any ranker, score them with the grader, compare result files.

    rft eval --ranker likelihood --cases cases.zip --out results/likelihood.jsonl
    rft eval --model default --cases cases.zip --out results/model.jsonl
    rft compare results/likelihood.jsonl results/model.jsonl

Per-case results are JSONL, one line per case:
`{"case_id", "ranker", "genes" (causal), "rank" (best causal gene, null if absent), "score" (grader),
"top10", "ms", "in_universe"}`. Metrics come from `rft.metrics.summarize`, i.e. the grader's own functions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from rft.cases import Case
from rft.grader import rank_of, score_rank
from rft.metrics import TOP_KS, summarize

__all__ = ["evaluate", "write_results", "read_results", "compare_results", "Comparison", "plot_topk"]


def evaluate(ranker, cases: Sequence[Case], k: int = 10, grader: str = "topk", batch_size: int = 256) -> tuple[list[dict], dict]:
    """Rank every case (full ranking), grade it, and summarise.

    Returns:
        (per-case records, metrics): metrics hold top-1/3/5/10/50, MRR, mean grader score, top-max,
        ms per case, and how many cases' causal gene lies outside the ranker's gene universe.
    """
    cases = [c for c in cases if c.genes]
    records: list[dict] = []
    universe: set[str] | None = None
    for start in range(0, len(cases), batch_size):
        chunk = cases[start : start + batch_size]
        for case, ranking in zip(chunk, ranker.rank(chunk), strict=True):
            symbols = ranking.symbols
            if universe is None:
                universe = set(symbols)  # a full ranking lists every gene the ranker knows
            rank = rank_of(symbols, case.genes)
            records.append(
                {
                    "case_id": case.id,
                    "ranker": ranker.name,
                    "genes": list(case.genes),
                    "rank": rank,
                    "score": score_rank(rank, k, grader),
                    "top10": symbols[:10],
                    "ms": round(ranking.ms, 3),
                    "in_universe": any(g in universe for g in case.genes),
                }
            )
    metrics = summarize([r["rank"] for r in records], k=k, kind=grader)
    metrics["ms_per_case"] = sum(r["ms"] for r in records) / max(len(records), 1)
    metrics["not_in_universe"] = sum(1 for r in records if not r["in_universe"])
    return records, metrics


def write_results(records: Sequence[dict], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def read_results(path: str | Path) -> list[dict]:
    """Per-case records written by `write_results`; ValueError naming the file and line when malformed."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"results file {path} does not exist")
    records = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{n}: not valid JSON ({e.msg})") from e
        if not isinstance(r, dict) or "case_id" not in r or "rank" not in r:
            raise ValueError(f"{path}:{n}: a results line needs 'case_id' and 'rank' (written by `rft eval --out`)")
        records.append(r)
    if not records:
        raise ValueError(f"results file {path} holds no case")
    return records


@dataclass
class Comparison:
    names: list[str]
    n_common: int
    dropped: dict[str, int]  # per file: cases not common to all files
    metrics: dict[str, dict]
    pairwise: list[dict]  # each file against the first: wins, losses, ties, Wilcoxon p


def _rank_or_worst(rank: int | None, worst: int) -> int:
    return rank if rank is not None else worst


def compare_results(paths: Sequence[str | Path], k: int = 10) -> Comparison:
    """Metrics side by side on the cases common to all files, and per-case wins/losses against the first file."""
    from scipy.stats import wilcoxon

    if len(paths) < 2:
        raise ValueError("compare needs at least two results files")
    runs = [read_results(p) for p in paths]
    names = []
    for p, recs in zip(paths, runs):
        name = recs[0].get("ranker") or Path(p).stem
        names.append(name if name not in names else f"{name} ({Path(p).stem})")
    by_id = [{r["case_id"]: r for r in recs} for recs in runs]
    common = sorted(set.intersection(*(set(d) for d in by_id)))
    if not common:
        raise ValueError("the results files share no case id: nothing to compare")
    dropped = {n: len(d) - len(common) for n, d in zip(names, by_id)}
    metrics = {n: summarize([d[c]["rank"] for c in common], k=k) for n, d in zip(names, by_id)}
    worst = 1 + max((r["rank"] or 0) for d in by_id for r in d.values())
    pairwise = []
    first = [_rank_or_worst(by_id[0][c]["rank"], worst) for c in common]
    for name, d in zip(names[1:], by_id[1:]):
        other = [_rank_or_worst(d[c]["rank"], worst) for c in common]
        wins = sum(1 for a, b in zip(first, other) if b < a)
        losses = sum(1 for a, b in zip(first, other) if b > a)
        p = float("nan")
        if wins + losses:
            p = float(wilcoxon(other, first, zero_method="wilcox").pvalue)
        pairwise.append({"name": name, "against": names[0], "wins": wins, "losses": losses, "ties": len(common) - wins - losses, "wilcoxon_p": p})
    return Comparison(names, len(common), dropped, metrics, pairwise)


def plot_topk(comparison: Comparison, runs_ranks: dict[str, list[int | None]], png: str | Path, max_k: int = 50) -> None:
    """Top-k accuracy for k = 1..max_k, one line per ranker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ks = list(range(1, max_k + 1))
    for name, ranks in runs_ranks.items():
        n = max(len(ranks), 1)
        ax.plot(ks, [sum(1 for r in ranks if r is not None and r <= k) / n for k in ks], label=name)
    ax.set_xlabel("k")
    ax.set_ylabel("fraction of cases with the causal gene in the top k")
    ax.set_xscale("log")
    ax.set_xticks([1, 3, 5, 10, 20, 50])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(f"top-k accuracy on {comparison.n_common} common cases")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def format_comparison(c: Comparison) -> str:
    keys = [f"top{k}" for k in TOP_KS] + ["mrr", "mean_score", "top_max"]
    lines = [f"{c.n_common} cases common to all files" + "".join(f"; {n}: {d} dropped" for n, d in c.dropped.items() if d)]
    lines.append("| ranker | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for n, m in c.metrics.items():
        lines.append(f"| {n} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |")
    for p in c.pairwise:
        pv = "n/a" if math.isnan(p["wilcoxon_p"]) else f"{p['wilcoxon_p']:.2g}"
        lines.append(f"{p['name']} vs {p['against']}: better on {p['wins']}, worse on {p['losses']}, tied on {p['ties']} cases (Wilcoxon signed-rank p = {pv})")
    return "\n".join(lines)
