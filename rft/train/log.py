"""What an RFT run writes while it trains: metrics.jsonl (TRL's training logs and the validation metrics) and curves.png.

    metrics.jsonl, one JSON object a line:
      {"kind": "train", "step": 5, "reward": 0.41, "reward_std": 0.2, "learning_rate": ..., "entropy": ...}
      {"kind": "valid", "step": 50, "n": 400, "top1": 0.45, ..., "mrr": 0.52, "mean_score": 0.58, "seconds": 9.1,
       "seen gene": {"n": 310, "top1": 0.55, ..., "mrr": 0.61}, "unseen gene": {"n": 90, "top1": 0.10, ..., "mrr": 0.19}}

A validation case's gene is *seen* when a training case names it. Every RFT choice (steps, learning rate, recipe)
is judged on the unseen-gene figures beside the seen ones: new patients mostly carry genes no training case names.
A split by gene (`rft.splits.split_by_gene`, `scripts/make_split.py --by gene`) makes every validation case unseen.

Validation ranks with `rft.model.ModelRanker` and grades with `rft.evaluate.evaluate`: the same code as `rft eval`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rft.evaluate import evaluate, results_metrics
from rft.model.checkpoint import RankingModel
from rft.model.ranking import ModelRanker
from rft.writes import write_atomic

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.train.config import RftConfig

__all__ = ["last_checkpoint_step", "make_callback", "plot_curves", "read_metrics", "seen_unseen_metrics", "truncate_metrics"]

_SUBSET_KEYS = ("n", "top1", "top10", "mrr", "mean_score")


def seen_unseen_metrics(results, train_genes: set[str], k: int, grader: str) -> dict[str, dict]:
    """Validation metrics on the cases whose causal gene a training case names ("seen gene") and on the others
    ("unseen gene"), each with its n; a subset with no case is left out.

    >>> from rft.evaluate import CaseResult
    >>> rs = [CaseResult("a", ("FBN1",), 1, 1.0), CaseResult("b", ("MECP2",), 4, 0.25)]
    >>> m = seen_unseen_metrics(rs, {"FBN1"}, k=10, grader="topk")
    >>> m["seen gene"]["top1"], m["unseen gene"]["n"], m["unseen gene"]["mrr"]
    (1.0, 1, 0.25)
    """
    out = {}
    for name, keep in (("seen gene", True), ("unseen gene", False)):
        part = [r for r in results if bool(set(r.genes) & train_genes) == keep]
        if part:
            m = results_metrics(part, k, grader)
            out[name] = {key: m[key] for key in _SUBSET_KEYS if key in m}
    return out


def make_callback(cfg: RftConfig, hpo: Hpo, tokenizer, valid_cases: Sequence[Case], metrics_path: Path, train_genes: set[str] = frozenset()):
    """A `TrainerCallback` that logs TRL's training records and validates at step 0, every `eval_every` steps and at the end,
    on all validation cases and apart on those whose gene is (not) among `train_genes`."""
    from transformers import TrainerCallback

    class RftLogCallback(TrainerCallback):
        """Appends TRL's training logs and the validation metrics to metrics.jsonl."""

        def _write(self, state, record: dict) -> None:
            if state.is_world_process_zero:
                with open(metrics_path, "a") as f:
                    f.write(json.dumps(record) + "\n")

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "reward" not in logs:
                return
            keep = ("reward", "reward_std", "kl", "learning_rate", "loss", "entropy", "frac_reward_zero_std", "step_time")
            self._write(state, {"kind": "train", "step": state.global_step, "epoch": state.epoch} | {k: logs[k] for k in keep if k in logs})

        def _validate(self, state, model) -> None:
            if not valid_cases or not state.is_world_process_zero:
                return
            t0 = time.perf_counter()
            was_training = model.training
            model.eval()
            # The very ranking and grading code the app and `rft eval` use, on the model being trained: its
            # decoded list (what RFT samples), then the other genes by score.
            results, m = evaluate(ModelRanker(RankingModel(model, tokenizer), hpo, generate=cfg.k), valid_cases, k=cfg.k, grader=cfg.grader)
            model.train(was_training)
            m = {key: v for key, v in m.items() if key not in ("ms_per_case", "not_in_universe")}
            subsets = seen_unseen_metrics(results, train_genes, cfg.k, cfg.grader)
            self._write(state, {"kind": "valid", "step": state.global_step, "seconds": round(time.perf_counter() - t0, 1)} | m | subsets)
            parts = "".join(f"; {name} (n={s['n']}) top1 {s['top1']:.4f} MRR {s['mrr']:.4f}" for name, s in subsets.items())
            print(f"[rft] step {state.global_step}: valid mean score {m['mean_score']:.4f} top1 {m['top1']:.4f} top10 {m['top10']:.4f} MRR {m['mrr']:.4f}{parts}", flush=True)

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self._validate(state, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % cfg.eval_every == 0 and state.global_step < state.max_steps:
                self._validate(state, model)

        def on_train_end(self, args, state, control, model=None, **kwargs):
            self._validate(state, model)

    return RftLogCallback()


def read_metrics(path: Path) -> list[dict]:
    """The records of a metrics.jsonl. A line a crash cut short (not JSON, or no "kind"/"step") is skipped with
    a warning naming the file and line: the records before and after it are kept."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("step"), int) or "kind" not in record:
            print(f"rft: warning: {path}:{n}: not a complete metrics record (cut short by a crash?); skipped", file=sys.stderr)
            continue
        records.append(record)
    return records


def truncate_metrics(path: Path, after_step: int) -> None:
    """On resume, drop log lines written after the checkpoint so the curve has no duplicate steps."""
    if not path.exists():
        return
    kept = [r for r in read_metrics(path) if r["step"] <= after_step]
    write_atomic(path, "".join(json.dumps(r) + "\n" for r in kept), force=True)


def last_checkpoint_step(out: Path) -> int | None:
    """The step of the last complete checkpoint in `out`: one a crash cut short lacks trainer_state.json."""
    steps = [int(p.name.split("-")[1]) for p in out.glob("checkpoint-*")
             if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").is_file()]
    return max(steps) if steps else None


def plot_curves(metrics_path: Path, png: Path) -> None:
    """Train reward and validation metrics over steps, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(metrics_path)
    train = [r for r in records if r["kind"] == "train"]
    valid = [r for r in records if r["kind"] == "valid"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    if train:
        steps = [r["step"] for r in train]
        mean = [r["reward"] for r in train]
        std = [r.get("reward_std", 0.0) for r in train]
        a.plot(steps, mean, label="reward (grader score) mean")
        a.fill_between(steps, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)], alpha=0.2)
        if any("kl" in r for r in train):
            a2 = a.twinx()
            a2.plot(steps, [r.get("kl", 0.0) for r in train], color="grey", ls=":", label="KL")
            a2.set_ylabel("KL to base")
    a.set_xlabel("step")
    a.set_title("training reward")
    a.legend(loc="lower right")
    for key, label in (("mean_score", "mean grader score"), ("top1", "top-1"), ("top10", "top-10"), ("mrr", "MRR")):
        if valid:
            b.plot([r["step"] for r in valid], [r[key] for r in valid], marker="o", label=label)
    for name, style in (("seen gene", "--"), ("unseen gene", ":")):
        points = [(r["step"], r[name]["mrr"]) for r in valid if isinstance(r.get(name), dict) and "mrr" in r[name]]
        if points:
            b.plot(*zip(*points), ls=style, marker=".", label=f"MRR, {name} (n={valid[-1][name]['n']})")
    b.set_xlabel("step")
    b.set_title(f"validation (n={valid[0]['n'] if valid else 0})")
    b.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
