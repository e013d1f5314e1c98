"""One RFT run: GRPO (TRL) + LoRA (PEFT) on a model folder, rewarded by the top-k rank grader.

    rft train --base data/models/base --train cases.zip --split data/splits/dev_split.json --out runs/rft100 \\
        --max-train-cases 100 --epochs 4
    accelerate launch --num_processes 2 --cpu -m rft.cli train ...     # the same, data-parallel

    from rft.train import RftConfig, train
    train(RftConfig(train="cases.zip", split="data/splits/dev_split.json", out="runs/rft"))

For every training case the model samples `num_generations` ranked gene lists (only gene tokens, each at most
once: `rft.model.policy.GeneListPolicy`); `rft.grader.TopKRankGrader` scores each list against the causal gene
and GRPO moves the LoRA weights towards the lists that scored above their group's mean. Every `eval_every`
steps the validation cases are ranked and graded with the same code as `rft eval` (`rft.train.log`).

The run folder holds `adapter/` (LoRA), `merged/` (with `--merge`: a plain model folder), `checkpoint-*/`,
`meta.json`, `metrics.jsonl` and `curves.png`.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ontology import load_hpo
from rft.grader import TopKRankGrader
from rft.model.checkpoint import load_model, save_model
from rft.model.policy import GeneListPolicy, list_policy_trainer
from rft.rankers.matrices import ontology_matrices
from rft.train.config import DEFAULT_LORA, RftConfig
from rft.train.data import draw_prompts, fold_knowledge, prepare_data, publication_folds, synthetic_cases, to_dataset
from rft.train.log import last_checkpoint_step, make_callback, plot_curves, read_metrics, truncate_metrics
from rft.writes import PROJECT_MARKER, check_target, folder_writer, write_atomic

__all__ = ["check_resume_matches", "check_run_folder", "run_fingerprint", "run_lock", "train"]


_RUN_KIND = "rft-run"  # meta.json "kind" of a run folder: the only kind of folder `rft train --force` replaces


def check_run_folder(cfg: RftConfig) -> None:
    """Refuse to start over a run folder that holds a finished or interrupted run (unless --force / --resume),
    to continue a finished run, and to write over anything that is not a run folder or that holds an input."""
    out = Path(cfg.out)
    inputs = [cfg.train, cfg.valid, cfg.split, cfg.base]
    meta = _read_json(out / "meta.json") if (out / "meta.json").is_file() else None
    finished = isinstance(meta, dict) and meta.get("status") == "finished"
    if cfg.resume:
        check_target(out, force=True, inputs=inputs, folder=True, kinds=[_RUN_KIND])
        if finished:
            raise ValueError(f"--resume: {out} holds a finished run ({meta.get('steps')} steps); pass --force to start it over or choose another --out")
        if last_checkpoint_step(out) is None:
            raise ValueError(f"--resume: {out} holds no complete checkpoint to continue from")
        return
    if finished and not cfg.force:
        raise ValueError(f"{out} holds a finished run; pass --force to overwrite it or choose another --out")
    if last_checkpoint_step(out) is not None and not cfg.force:
        raise ValueError(f"{out} holds an interrupted run; pass --resume to continue it or --force to start over")
    check_target(out, force=cfg.force, inputs=inputs, folder=True, kinds=[_RUN_KIND])


# Settings that may differ when a run is resumed: how it is written and logged, and how long it goes on (a run
# stopped at max_steps may be continued further), not what it learns from nor how.
_RESUMABLE = {"resume", "force", "merge", "eval_every"}
_RESUMABLE_GRPO = {"max_steps", "num_train_epochs", "logging_steps", "save_total_limit", "report_to", "disable_tqdm"}


@contextmanager
def run_lock(out: str | Path) -> Iterator[None]:
    """Hold the run folder `out` for this process: a second `rft train` on the same folder is refused, in one line,
    instead of interleaving its metrics with this one's. An advisory lock (`flock`) on `.<name>.lock` beside the
    folder (it survives `--force` removing the folder): released when the process ends, even by kill -9, so a
    crashed run never leaves a stale lock. Only the main process of a data-parallel launch takes it.
    """
    if os.environ.get("RANK", "0") != "0":
        yield
        return
    out = Path(out)
    lock = out.parent / f".{out.name}.lock"
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        f = open(lock, "a+")  # noqa: SIM115 - held open for the whole run
    except OSError as e:
        raise ValueError(f"cannot lock the run folder {out} ({lock}: {e.strerror or e})") from None
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise ValueError(f"{out} is in use by another rft train ({f.read().strip() or 'pid unknown'}); wait for it or choose another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.flush()
        yield
    finally:
        f.close()  # closing releases the lock


def run_fingerprint(cfg: RftConfig, data_hashes: dict[str, str], hpo_version: str) -> dict[str, Any]:
    """What a run learns from: its settings (less `_RESUMABLE`), GRPO and LoRA fields, data hashes and HPO release,
    as meta.json records them. `--resume` must find the same, or meta.json would misdescribe the run."""
    config = {k: v for k, v in asdict(cfg).items() if k not in ("grpo", "lora") and k not in _RESUMABLE}
    grpo = {k: v for k, v in cfg.grpo_args().items() if k not in _RESUMABLE_GRPO}
    return {"config": _jsonable(config), "grpo": _jsonable(grpo), "lora": _jsonable(DEFAULT_LORA | cfg.lora),
            "data_hashes": _jsonable(data_hashes), "hpo_version": hpo_version}


def check_resume_matches(out: Path, fingerprint: dict[str, Any]) -> None:
    """Refuse `--resume` when the run in `out` was started with other settings or data, naming each difference."""
    old = _read_json(out / "meta.json")
    old = old if isinstance(old, dict) else {}
    before = {"config": {k: v for k, v in (old.get("config") or {}).items() if k not in _RESUMABLE}, "grpo": {k: v for k, v in (old.get("grpo") or {}).items() if k not in _RESUMABLE_GRPO},
              "lora": old.get("lora"), "data_hashes": (old.get("data") or {}).get("hashes"), "hpo_version": old.get("hpo_version")}
    diffs = []
    for part, now in fingerprint.items():
        was = before.get(part)
        if isinstance(now, dict) and isinstance(was, dict):
            diffs += [f"{part}.{k}: {was.get(k)!r} -> {now.get(k)!r}" for k in sorted(set(now) | set(was)) if was.get(k) != now.get(k)]
        elif was != now:
            diffs.append(f"{part}: {was!r} -> {now!r}")
    if diffs:
        shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        raise ValueError(f"--resume: {out} was started with other settings or data ({shown}); resume with the same ones, or pass --force to start over")


def train(cfg: RftConfig, hpo=None, command: str | None = None) -> Path:
    """Run RFT as configured, holding the run folder's lock; returns the run folder. Raises ValueError before
    training on bad input, on a run folder in use, or on a `--resume` with other settings or data."""
    with run_lock(cfg.out):
        return _train(cfg, hpo, command)


def _train(cfg: RftConfig, hpo=None, command: str | None = None) -> Path:
    import torch
    from transformers import set_seed
    from trl import GRPOTrainer

    check_run_folder(cfg)
    hpo = hpo or load_hpo(cfg.hpo_dir)
    data = prepare_data(cfg, hpo)
    out = Path(cfg.out)
    if cfg.resume:  # before any model is loaded: a mismatch costs nothing
        check_resume_matches(out, run_fingerprint(cfg, data.hashes, hpo.version))
    if cfg.force and out.exists():
        check_run_folder(cfg)  # checked again just before: only a run folder holding no input is removed
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    set_seed(cfg.seed)

    bundle = load_model(cfg.base, hpo)  # a knowledge head ranks the genes of this release
    model, tokenizer = bundle.model, bundle.tokenizer
    model.train()
    gene_ids = set(bundle.gene_ids)
    folds = None
    if cfg.leave_publication_out:
        if bundle.knowledge_model is None:
            raise ValueError(f"--leave-publication-out needs a knowledge-head base model; {cfg.base} learns a row per gene")
        folds = publication_folds(data.train, cfg.leave_publication_out)
        model.set_folds(fold_knowledge(data.train, folds, hpo))
    # The policy is the model restricted to ranked lists: its logits are masked to genes not yet listed, so
    # the log-probabilities GRPO scores and differentiates are those of the distribution lists are drawn from.
    GeneListPolicy(model, sorted(gene_ids))
    # Sampled lists hold exactly k distinct genes: every non-gene token (eos too) is suppressed, no token twice.
    suppress = [i for i in range(len(tokenizer)) if i not in gene_ids]
    grpo_config = cfg.grpo_config()
    grpo_config.generation_kwargs = (grpo_config.generation_kwargs or {}) | {"suppress_tokens": suppress, "no_repeat_ngram_size": 1}
    similarity = ontology_matrices(hpo, "gene").gene_similarity if cfg.near_credit else None
    grader = TopKRankGrader(k=cfg.k, kind=cfg.grader, known_genes=hpo.genes, near_credit=cfg.near_credit, similarity=similarity)
    prompts = draw_prompts(data.train, cfg.balance, cfg.seed)
    synthetic = synthetic_cases(hpo, round(cfg.synthetic * len(data.train)), cfg.seed, _synthetic_genes(cfg, hpo, data.train)) if cfg.synthetic else []
    if synthetic:  # interleaved at random, so every batch mixes case reports and synthetic patients alike
        prompts = prompts + synthetic
        random.Random(cfg.seed).shuffle(prompts)

    meta = {
        "written_by": PROJECT_MARKER,
        "kind": _RUN_KIND,
        "status": "running",
        "base": str(cfg.base),
        "base_meta": _read_json(Path(cfg.base) / "meta.json"),
        "hpo_version": hpo.version,
        "grader": {"name": grader.__name__, "kind": cfg.grader, "k": cfg.k, "near_credit": cfg.near_credit},
        "data": {
            "train_source": cfg.train,
            "valid_source": cfg.valid or (f"{cfg.train} (split valid ids)" if cfg.split else None),
            "split": cfg.split,
            "n_train": len(data.train),
            "n_valid": len(data.valid),
            "n_synthetic": len(synthetic),
            "hashes": data.hashes,
            "n_problems": len(data.problems),
        },
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("grpo", "lora")},
        "grpo": _jsonable(cfg.grpo_args()),
        "lora": _jsonable(DEFAULT_LORA | cfg.lora),
        "command": command or " ".join(shlex.quote(a) for a in sys.argv),
    }
    write_atomic(out / "meta.json", json.dumps(meta, indent=2), force=True)
    metrics_path = out / "metrics.jsonl"
    resume_step = last_checkpoint_step(out) if cfg.resume else None
    if resume_step is not None:
        truncate_metrics(metrics_path, resume_step)
    elif metrics_path.exists():
        metrics_path.unlink()

    trainer = list_policy_trainer(GRPOTrainer)(
        model=model,
        reward_funcs=grader,
        args=grpo_config,
        train_dataset=to_dataset(prompts, hpo, tokenizer, folds),
        processing_class=tokenizer,
        peft_config=cfg.lora_config(),
        callbacks=[make_callback(cfg, hpo, tokenizer, data.valid, metrics_path, {g for c in data.train for g in c.genes})],
    )
    t0 = time.perf_counter()
    # The last *complete* checkpoint (one a crash cut short lacks trainer_state.json), not merely the newest folder.
    trainer.train(resume_from_checkpoint=str(out / f"checkpoint-{resume_step}") if resume_step is not None else None)
    seconds = time.perf_counter() - t0
    if not trainer.is_world_process_zero():
        return out

    records = read_metrics(metrics_path)
    valid = [r for r in records if r["kind"] == "valid"]
    meta |= {
        "status": "finished",
        "steps": trainer.state.global_step,
        "train_seconds": round(seconds, 1),
        "device": "cuda" if torch.cuda.is_available() and not grpo_config.use_cpu else f"cpu ({torch.get_num_threads()} threads)",
        "metrics": {"valid_before": valid[0] if valid else None, "valid_after": valid[-1] if valid else None},
    }
    with folder_writer(out / "adapter") as staging:  # our own run folder: replaced whole, never half-written
        trainer.model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "meta.json").write_text(json.dumps(meta, indent=2))
    write_atomic(out / "meta.json", json.dumps(meta, indent=2), force=True)
    if cfg.merge:
        merged = trainer.model.merge_and_unload()
        # The merged model ranks as its base did (its fusion with a classical ranker, rft.registry.load_ranker)
        # until scripts/choose_ranking.py picks its own; bfloat16, like the shipped base (half the size).
        ranking = (meta.get("base_meta") or {}).get("ranking")
        save_model(merged, tokenizer, out / "merged", meta | {"kind": "rft-merged"} | ({"ranking": ranking} if ranking else {}), force=True)
        shutil.copy(metrics_path, out / "merged" / "metrics.jsonl")  # the Models page draws its curves
    plot_curves(metrics_path, out / "curves.png")
    return out


def _synthetic_genes(cfg: RftConfig, hpo, cases) -> list[str] | None:
    """The genes synthetic patients are drawn for: None (every annotated gene) or those no training case names."""
    if cfg.synthetic_genes == "all":
        return None
    named = {hpo.canonical_gene(g) for c in cases for g in c.genes}
    genes = [g for g in hpo.genes if g not in named]
    if not genes:
        raise ValueError("--synthetic-genes unnamed: every annotated gene is named by a training case; use --synthetic-genes all")
    return genes


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))
