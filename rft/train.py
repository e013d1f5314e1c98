"""Reinforcement fine-tuning: GRPO (TRL) + LoRA (PEFT), rewarded by the top-k rank grader.

    rft train --base data/models/base --train cases.zip --split data/splits/dev_split.json --out runs/rft100 \\
        --max-train-cases 100 --epochs 4
    python -m rft.train ...                                          # the same, without the console script
    accelerate launch --num_processes 2 --cpu -m rft.train ...       # the same, data-parallel

For every training case the model samples `num_generations` ranked gene lists (decoding is restricted to gene
tokens, each gene at most once); `rft.grader.TopKRankGrader` scores each list against the causal gene and
GRPO moves the LoRA weights towards the lists that scored above their group's mean. Every `eval_every` steps
the validation cases are ranked with the same code the app uses and the grader's metrics are logged.

The run folder holds `adapter/` (LoRA), `merged/` (with `--merge`: a plain model folder), `checkpoint-*/`,
`meta.json`, `metrics.jsonl` (one line per log step and per evaluation) and `curves.png`.

GRPO and LoRA settings are TRL's `GRPOConfig` and PEFT's `LoraConfig`, passed through: the common ones
have short flags (`--lr` is `learning_rate`, `--beta`, ...); any other goes in `--config run.yaml` under
`grpo:` or `lora:`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

__all__ = ["RftConfig", "DEFAULT_GRPO", "DEFAULT_LORA", "prepare_data", "train", "build_parser", "main"]

# Defaults chosen for a ~5 MB Llama on 2 CPU cores; every key is a GRPOConfig field.
DEFAULT_GRPO: dict[str, Any] = {
    "learning_rate": 1e-3,
    "num_train_epochs": 1.0,
    "num_generations": 8,
    "num_iterations": 2,  # two optimisation passes over each batch of sampled lists (PPO-style clipping)
    "beta": 0.0,
    "temperature": 0.7,
    "logging_steps": 5,
    "lr_scheduler_type": "cosine",  # decaying steps: a constant 1e-3 gained, then lost it again (README)
    "warmup_steps": 10,
    "max_grad_norm": 1.0,
    "save_total_limit": 2,
    "report_to": "none",
    "disable_tqdm": True,
}
# Every key is a LoraConfig field.
DEFAULT_LORA: dict[str, Any] = {
    "r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.0,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "task_type": "CAUSAL_LM",
}


@dataclass
class RftConfig:
    """One RFT run. Fields not about data, grading or the run folder belong to `grpo` / `lora`."""

    train: str = field(default="", metadata={"help": "training cases: phenopacket zip/folder, JSONL or CSV"})
    base: str = field(default="data/models/base", metadata={"help": "base model folder (transformers format)"})
    valid: str | None = field(default=None, metadata={"help": "validation cases (default: the split's valid ids from --train)"})
    split: str | None = field(default=None, metadata={"help": "split file with 'train'/'valid' case ids (grouped by publication; a 'tune' part is never trained on)"})
    max_train_cases: int | None = field(default=None, metadata={"help": "use a seeded sample of this many training cases"})
    max_valid_cases: int | None = field(default=None, metadata={"help": "evaluate on a seeded sample of this many cases"})
    grader: str = field(default="topk", metadata={"help": "topk, reciprocal or hit (see rft.grader)"})
    k: int = field(default=10, metadata={"help": "ranks past k score 0; also the length of sampled lists"})
    batch_size: int = field(default=8, metadata={"help": "cases per optimisation step (each sampled num_generations times)"})
    eval_every: int = field(default=50, metadata={"help": "validate (and checkpoint) every N steps"})
    seed: int = field(default=0, metadata={"help": "seed for sampling cases, LoRA init and generation"})
    out: str = field(default="runs/rft", metadata={"help": "run folder"})
    resume: bool = field(default=False, metadata={"help": "continue an interrupted run from its last checkpoint"})
    force: bool = field(default=False, metadata={"help": "overwrite a finished run"})
    merge: bool = field(default=False, metadata={"help": "also write merged/ (base + LoRA as one plain model)"})
    hpo_dir: str | None = field(default=None, metadata={"help": "HPO release folder"})
    grpo: dict[str, Any] = field(default_factory=dict, metadata={"help": "GRPOConfig fields (override DEFAULT_GRPO)"})
    lora: dict[str, Any] = field(default_factory=dict, metadata={"help": "LoraConfig fields (override DEFAULT_LORA)"})

    def __post_init__(self):
        from rft.grader import GRADERS

        if not self.train:
            raise ValueError("RftConfig.train is required: pass --train PATH (a phenopacket zip/folder, JSONL or CSV)")
        if not Path(self.train).exists():
            raise ValueError(f"--train {self.train} does not exist")
        if self.valid is not None and not Path(self.valid).exists():
            raise ValueError(f"--valid {self.valid} does not exist")
        if self.split is not None and not Path(self.split).is_file():
            raise ValueError(f"--split {self.split} does not exist")
        if not Path(self.base).is_dir():
            raise ValueError(f"--base {self.base} is not a model folder (train one with `rft pretrain`)")
        if self.grader not in GRADERS:
            raise ValueError(f"--grader {self.grader!r} is unknown; choose one of {', '.join(GRADERS)}")
        for name in ("k", "batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("max_train_cases", "max_valid_cases"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.resume and self.force:
            raise ValueError("--resume continues a run and --force starts it over: pass one of them")
        if self.grpo_args().get("num_generations", 2) < 2:
            raise ValueError("--num-generations must be at least 2: GRPO compares samples within a group")
        self.grpo_config()  # unknown or invalid GRPO/LoRA settings fail now, not after loading data
        self.lora_config()

    def grpo_args(self) -> dict[str, Any]:
        return DEFAULT_GRPO | self.grpo

    def grpo_config(self):
        from trl import GRPOConfig

        args = self.grpo_args()
        allowed = {f.name for f in fields(GRPOConfig)}
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise ValueError(f"unknown GRPOConfig field(s) {unknown} under 'grpo:'")
        n_gen = args["num_generations"]
        args = args | {
            "output_dir": self.out,
            "per_device_train_batch_size": self.batch_size * n_gen,
            "max_completion_length": self.k,
            "seed": self.seed,
            "save_strategy": "steps",
            "save_steps": self.eval_every,
            "use_cpu": args.get("use_cpu", not _cuda_available()),
        }
        try:
            return GRPOConfig(**args)
        except (ValueError, TypeError) as e:
            raise ValueError(f"invalid GRPO setting: {e}") from e

    def lora_config(self):
        from peft import LoraConfig

        args = DEFAULT_LORA | self.lora
        allowed = {f.name for f in fields(LoraConfig)}
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise ValueError(f"unknown LoraConfig field(s) {unknown} under 'lora:'")
        try:
            return LoraConfig(**args)
        except (ValueError, TypeError) as e:
            raise ValueError(f"invalid LoRA setting: {e}") from e


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


# -- data ----------------------------------------------------------------------------------------------
@dataclass
class RftData:
    train: list  # list[Case]
    valid: list
    problems: list
    hashes: dict[str, str]


def _hash_cases(cases: Sequence) -> str:
    h = hashlib.sha256()
    for c in cases:
        h.update(json.dumps([c.id, c.present, c.excluded, c.genes]).encode())
    return h.hexdigest()[:16]


def prepare_data(cfg: RftConfig, hpo) -> RftData:
    """Load, split and sample the training and validation cases; fail early when nothing is usable.

    Validation cases are never trained on: with a split file the id sets are disjoint by construction (only
    'train' ids are trained on; a 'tune' part, for choosing the hybrid of the tuned model, is left out too),
    and any case id present in both sources is removed from training.
    """
    from rft.cases import load_cases

    batch = load_cases(cfg.train, hpo, require_gene=True)
    problems = list(batch.problems)
    train_cases = [c for c in batch.cases if any(hpo.canonical_gene(g) for g in c.genes)]
    valid_cases: list = []
    if cfg.split:
        split = json.loads(Path(cfg.split).read_text())
        if not {"train", "valid"} <= set(split):
            raise ValueError(f"split file {cfg.split} must hold 'train' and 'valid' lists of case ids")
        train_ids, valid_ids = set(split["train"]), set(split["valid"])
        if cfg.valid is None:
            valid_cases = [c for c in batch.cases if c.id in valid_ids]
        train_cases = [c for c in train_cases if c.id in train_ids]
    if cfg.valid is not None:
        vb = load_cases(cfg.valid, hpo, require_gene=True)
        problems += vb.problems
        valid_cases = vb.cases
    held_out = {c.id for c in valid_cases}
    train_cases = [c for c in train_cases if c.id not in held_out]
    rng = random.Random(cfg.seed)
    if cfg.max_train_cases is not None and len(train_cases) > cfg.max_train_cases:
        train_cases = rng.sample(train_cases, cfg.max_train_cases)
    if cfg.max_valid_cases is not None and len(valid_cases) > cfg.max_valid_cases:
        valid_cases = random.Random(cfg.seed + 1).sample(valid_cases, cfg.max_valid_cases)
    if not train_cases:
        raise ValueError(
            f"no usable training case in {cfg.train}: each needs a present term and a causal gene annotated in HPO "
            f"{hpo.version} ({len(problems)} problems, first: {problems[0] if problems else 'none'})"
        )
    return RftData(train_cases, valid_cases, problems, {"train": _hash_cases(train_cases), "valid": _hash_cases(valid_cases)})


def _to_dataset(cases: Sequence, hpo, tokenizer):
    from datasets import Dataset

    from rft.model import case_to_prompt

    return Dataset.from_list(
        [{"prompt": case_to_prompt(c, hpo, tokenizer), "genes": list(c.genes), "case_id": c.id} for c in cases]
    )


# -- logging and validation during training ------------------------------------------------------------
def _make_callback(cfg: RftConfig, hpo, tokenizer, valid_cases: Sequence, metrics_path: Path):
    from transformers import TrainerCallback

    from rft.metrics import summarize

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
            from rft.grader import rank_of
            from rft.model import ModelRanker, RankingModel

            t0 = time.perf_counter()
            was_training = model.training
            model.eval()
            # The very ranking code the app and `rft eval` use, on the model being trained.
            rankings = ModelRanker(RankingModel(model, tokenizer), hpo, generate=cfg.k).rank(valid_cases)
            ranks = [rank_of(r.symbols, c.genes) for r, c in zip(rankings, valid_cases)]
            model.train(was_training)
            m = summarize(ranks, k=cfg.k, kind=cfg.grader)
            self._write(state, {"kind": "valid", "step": state.global_step, "seconds": round(time.perf_counter() - t0, 1)} | m)
            print(f"[rft] step {state.global_step}: valid mean score {m['mean_score']:.4f} top1 {m['top1']:.4f} top10 {m['top10']:.4f} MRR {m['mrr']:.4f}", flush=True)

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self._validate(state, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % cfg.eval_every == 0 and state.global_step < state.max_steps:
                self._validate(state, model)

        def on_train_end(self, args, state, control, model=None, **kwargs):
            self._validate(state, model)

    return RftLogCallback()


def _truncate_metrics(path: Path, after_step: int) -> None:
    """On resume, drop log lines written after the checkpoint so the curve has no duplicate steps."""
    if not path.exists():
        return
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln)["step"] <= after_step]
    path.write_text("".join(ln + "\n" for ln in lines))


def _last_checkpoint_step(out: Path) -> int | None:
    steps = [int(p.name.split("-")[1]) for p in out.glob("checkpoint-*") if p.name.split("-")[1].isdigit()]
    return max(steps) if steps else None


def plot_curves(metrics_path: Path, png: Path) -> None:
    """Train reward and validation metrics over steps, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(ln) for ln in metrics_path.read_text().splitlines() if ln.strip()]
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
    b.set_xlabel("step")
    b.set_title(f"validation (n={valid[0]['n'] if valid else 0})")
    b.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


# -- the run -------------------------------------------------------------------------------------------
def _check_run_folder(cfg: RftConfig) -> None:
    out = Path(cfg.out)
    meta = out / "meta.json"
    if cfg.resume:
        if _last_checkpoint_step(out) is None:
            raise ValueError(f"--resume: {out} holds no checkpoint to continue from")
        return
    if meta.exists() and json.loads(meta.read_text()).get("status") == "finished" and not cfg.force:
        raise ValueError(f"{out} holds a finished run; pass --force to overwrite it or choose another --out")
    if _last_checkpoint_step(out) is not None and not cfg.force:
        raise ValueError(f"{out} holds an interrupted run; pass --resume to continue it or --force to start over")


def train(cfg: RftConfig, hpo=None, command: str | None = None) -> Path:
    """Run RFT as configured; returns the run folder. Raises ValueError before training on bad input."""
    import shutil

    import torch
    from transformers import AutoModelForCausalLM, set_seed
    from trl import GRPOTrainer

    from ontology import load_hpo
    from rft.grader import TopKRankGrader
    from transformers import AutoTokenizer

    from rft.model import GeneListPolicy, gene_token_ids

    _check_run_folder(cfg)
    hpo = hpo or load_hpo(cfg.hpo_dir)
    data = prepare_data(cfg, hpo)
    out = Path(cfg.out)
    if cfg.force and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    set_seed(cfg.seed)

    tokenizer = AutoTokenizer.from_pretrained(cfg.base)
    model = AutoModelForCausalLM.from_pretrained(cfg.base, dtype=torch.float32)
    gene_ids = set(gene_token_ids(tokenizer))
    # The policy is the model restricted to ranked lists: its logits are masked to genes not yet listed, so
    # the log-probabilities GRPO scores and differentiates are those of the distribution lists are drawn from.
    GeneListPolicy(model, sorted(gene_ids))
    # Sampled lists hold exactly k distinct genes: every non-gene token (eos too) is suppressed, no token twice.
    suppress = [i for i in range(len(tokenizer)) if i not in gene_ids]
    grpo_config = cfg.grpo_config()
    grpo_config.generation_kwargs = (grpo_config.generation_kwargs or {}) | {"suppress_tokens": suppress, "no_repeat_ngram_size": 1}
    grader = TopKRankGrader(k=cfg.k, kind=cfg.grader, known_genes=hpo.genes)

    meta = {
        "kind": "rft-run",
        "status": "running",
        "base": str(cfg.base),
        "base_meta": _read_json(Path(cfg.base) / "meta.json"),
        "hpo_version": hpo.version,
        "grader": {"name": grader.__name__, "kind": cfg.grader, "k": cfg.k},
        "data": {
            "train_source": cfg.train,
            "valid_source": cfg.valid or (f"{cfg.train} (split valid ids)" if cfg.split else None),
            "split": cfg.split,
            "n_train": len(data.train),
            "n_valid": len(data.valid),
            "hashes": data.hashes,
            "n_problems": len(data.problems),
        },
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("grpo", "lora")},
        "grpo": _jsonable(cfg.grpo_args()),
        "lora": _jsonable(DEFAULT_LORA | cfg.lora),
        "command": command or " ".join(shlex.quote(a) for a in sys.argv),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    metrics_path = out / "metrics.jsonl"
    resume_step = _last_checkpoint_step(out) if cfg.resume else None
    if resume_step is not None:
        _truncate_metrics(metrics_path, resume_step)
    elif metrics_path.exists():
        metrics_path.unlink()

    trainer = _list_policy_trainer(GRPOTrainer)(
        model=model,
        reward_funcs=grader,
        args=grpo_config,
        train_dataset=_to_dataset(data.train, hpo, tokenizer),
        processing_class=tokenizer,
        peft_config=cfg.lora_config(),
        callbacks=[_make_callback(cfg, hpo, tokenizer, data.valid, metrics_path)],
    )
    t0 = time.perf_counter()
    trainer.train(resume_from_checkpoint=True if resume_step is not None else None)
    seconds = time.perf_counter() - t0
    if not trainer.is_world_process_zero():
        return out

    trainer.model.save_pretrained(out / "adapter")
    tokenizer.save_pretrained(out / "adapter")
    records = [json.loads(ln) for ln in metrics_path.read_text().splitlines() if ln.strip()]
    valid = [r for r in records if r["kind"] == "valid"]
    meta |= {
        "status": "finished",
        "steps": trainer.state.global_step,
        "train_seconds": round(seconds, 1),
        "device": "cuda" if _cuda_available() and not grpo_config.use_cpu else f"cpu ({torch.get_num_threads()} threads)",
        "metrics": {"valid_before": valid[0] if valid else None, "valid_after": valid[-1] if valid else None},
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    (out / "adapter" / "meta.json").write_text(json.dumps(meta, indent=2))
    if cfg.merge:
        from rft.model import save_model

        merged = trainer.model.merge_and_unload()
        # The merged model ranks as its base did (e.g. its hybrid with a classical ranker, see rft.model.hybrid)
        # until bench/tune_hybrid.py picks its own; bfloat16, like the shipped base (half the size).
        ranking = (meta.get("base_meta") or {}).get("ranking")
        save_model(merged, tokenizer, out / "merged", meta | {"kind": "rft-merged"} | ({"ranking": ranking} if ranking else {}))
        shutil.copy(metrics_path, out / "merged" / "metrics.jsonl")  # the Models page draws its curves
    plot_curves(metrics_path, out / "curves.png")
    return out


def _list_policy_trainer(base):
    """TRL's GRPOTrainer, scoring completions with the model's own (masked) logits.

    TRL computes per-token log-probabilities with a fused LM head that reads the output weights directly,
    which would bypass `GeneListPolicy`'s mask: a listed gene would keep the probability of repeating it (about
    two thirds of the base model's mass at positions 2-10), mass that sampling never visits and so never
    penalises. Here the log-probabilities and entropies come from the ordinary forward pass, whose logits the
    policy masks; GRPO itself (advantages, clipping, KL, optimisation) is TRL's, unchanged.
    """
    import torch
    from trl.trainer.utils import entropy_from_logits, selective_log_softmax

    class ListPolicyGRPOTrainer(base):
        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False, compute_aux_loss=False, **multimodal):
            if any(v is not None for v in multimodal.values()):
                raise ValueError("rft train scores text prompts only")
            batch_size = batch_size or input_ids.size(0)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                ids, mask = input_ids[start : start + batch_size], attention_mask[start : start + batch_size]
                with self.accelerator.autocast():
                    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=logits_to_keep + 1).logits
                logits = logits[:, :-1].float() / self.temperature  # position t scores token t + 1
                logps.append(selective_log_softmax(logits, ids[:, -logits_to_keep:]))
                if compute_entropy:
                    entropies.append(entropy_from_logits(logits))
            return torch.cat(logps), (torch.cat(entropies) if compute_entropy else None), None

    return ListPolicyGRPOTrainer


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


# -- command line --------------------------------------------------------------------------------------
_SHORT_GRPO_FLAGS = {  # flag -> (GRPOConfig field, type)
    "epochs": ("num_train_epochs", float),
    "lr": ("learning_rate", float),
    "num_generations": ("num_generations", int),
    "beta": ("beta", float),
    "max_steps": ("max_steps", int),
    "temperature": ("temperature", float),
}


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of `rft train` / `python -m rft.train`: RftConfig's fields plus short GRPO flags."""
    p.add_argument("--config", help="a YAML or JSON file with any RftConfig field, plus 'grpo:' and 'lora:' sections")
    for f in fields(RftConfig):
        if f.name in ("grpo", "lora"):
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type == "bool" or isinstance(f.default, bool):
            p.add_argument(flag, action="store_true", default=None, help=f.metadata.get("help"))
        else:
            kind = int if f.name in ("k", "batch_size", "eval_every", "seed", "max_train_cases", "max_valid_cases") else str
            p.add_argument(flag, type=kind, default=None, help=f.metadata.get("help"))
    for flag, (name, kind) in _SHORT_GRPO_FLAGS.items():
        p.add_argument("--" + flag.replace("_", "-"), dest=f"grpo_{flag}", type=kind, default=None, help=f"GRPOConfig.{name}")


def config_from_args(args: argparse.Namespace) -> RftConfig:
    """Merge --config file and flags (flags win) into a validated RftConfig."""
    values: dict[str, Any] = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ValueError(f"--config {path} does not exist")
        text = path.read_text()
        if path.suffix in (".yaml", ".yml"):
            import yaml

            values = yaml.safe_load(text) or {}
        else:
            values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"--config {path} must hold a mapping of settings")
        known = {f.name for f in fields(RftConfig)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"--config {path}: unknown setting(s) {unknown}; known: {sorted(known)}")
    values.setdefault("grpo", {})
    values.setdefault("lora", {})
    for f in fields(RftConfig):
        v = getattr(args, f.name, None)
        if v is not None and f.name not in ("grpo", "lora"):
            values[f.name] = v
    for flag, (name, _) in _SHORT_GRPO_FLAGS.items():
        v = getattr(args, f"grpo_{flag}", None)
        if v is not None:
            values["grpo"][name] = v
    return RftConfig(**values)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rft train", description=__doc__.split("\n\n")[0])
    add_train_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
        out = train(cfg, command=" ".join(shlex.quote(a) for a in ["rft", "train", *(argv if argv is not None else sys.argv[1:])]))
    except ValueError as e:
        print(f"rft train: error: {e}", file=sys.stderr)
        return 2
    print(f"run written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
