"""`rft train`'s settings: `RftConfig` (data, grader, run folder) with TRL's `GRPOConfig` and PEFT's
`LoraConfig` passed through, and the mapping from command-line flags and `--config run.yaml` onto them.

    from rft.train import RftConfig
    cfg = RftConfig(train="cases.zip", split="data/splits/dev_split.json", out="runs/rft", grpo={"max_steps": 300})

Every field is checked when the config is made, so a bad value fails before any data or model is loaded.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rft.grader import DEFAULT_K
from rft.registry import MODELS_DIR, model_folder

__all__ = [
    "BALANCES", "DEFAULT_GRPO", "DEFAULT_LORA", "SYNTHETIC_GENES", "TRAIN_EXTRA", "RftConfig", "add_train_arguments", "config_from_args",
    "require_train_extra",
]

# What only training needs (pyproject's [train] extra): ranking, the app and the PhEval runner never import these.
TRAIN_EXTRA = ("trl", "peft", "accelerate", "datasets")


def require_train_extra() -> None:
    """Raise an ImportError naming the `[train]` extra when a package only training needs is missing.

    Called before anything is read or loaded, so `rft train` without the extra says so in one line.
    """
    import importlib

    missing = []
    for name in TRAIN_EXTRA:
        try:
            importlib.import_module(name)  # training imports each of them anyway
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f"rft train needs the [train] extra ({', '.join(missing)} not installed): pip install -e \".[train]\"")

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
BALANCES = ("case", "gene", "publication")  # RftConfig.balance: what rft.train.data.draw_prompts draws
SYNTHETIC_GENES = ("all", "unnamed")  # RftConfig.synthetic_genes: see rft.train.data.synthetic_cases
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
    base: str = field(default=str(MODELS_DIR / "base"), metadata={"help": "base model folder (transformers format), or 'default'"})
    valid: str | None = field(default=None, metadata={"help": "validation cases (default: the split's valid ids from --train)"})
    split: str | None = field(default=None, metadata={"help": "split file with 'train'/'valid' case ids (grouped by publication; a 'tune' part is never trained on)"})
    max_train_cases: int | None = field(default=None, metadata={"help": "use a seeded sample of this many training cases"})
    max_valid_cases: int | None = field(default=None, metadata={"help": "evaluate on a seeded sample of this many cases"})
    grader: str = field(default="topk", metadata={"help": "topk, reciprocal or hit (see rft.grader)"})
    near_credit: float = field(
        default=0.0,
        metadata={"help": "reward a list that misses the causal gene with this times its best listed gene's annotation similarity to the causal gene, discounted by rank (a denser reward; at most 1/k keeps every hit above every miss; 0: off)"},
    )
    k: int = field(default=DEFAULT_K, metadata={"help": "ranks past k score 0; also the length of sampled lists"})
    batch_size: int = field(default=8, metadata={"help": "cases per optimisation step (each sampled num_generations times)"})
    eval_every: int = field(default=50, metadata={"help": "validate (and checkpoint) every N steps"})
    seed: int = field(default=0, metadata={"help": "seed for sampling cases, LoRA init and generation"})
    out: str = field(default="runs/rft", metadata={"help": "run folder"})
    resume: bool = field(default=False, metadata={"help": "continue an interrupted run from its last checkpoint"})
    force: bool = field(default=False, metadata={"help": "overwrite a finished run"})
    merge: bool = field(default=False, metadata={"help": "also write merged/ (base + LoRA as one plain model)"})
    hpo_dir: str | None = field(default=None, metadata={"help": "HPO release folder (or a cached release's date)"})
    leave_publication_out: int = field(
        default=0,
        metadata={"help": "score each training case against the knowledge base without its own paper's annotations, in N folds of publications (a knowledge-head model; 0: off)"},
    )
    balance: str = field(
        default="case",
        metadata={"help": "how training prompts are drawn: 'case' (each case equally often), 'gene' (each causal gene equally often, so RFT learns no prior for the genes that many case reports name) or 'publication' (each paper equally often, so one large cohort does not outweigh hundreds of case reports)"},
    )
    synthetic: float = field(
        default=0.0,
        metadata={"help": "also train on this many synthetic patients per training case, drawn from the knowledge base's annotations with every gene equally likely (rft.model.synthetic, the warm start's data): a replay meant to keep what the base knows about genes no case report names; measured in the README, not shipped (0: off)"},
    )
    synthetic_genes: str = field(
        default="all",
        metadata={"help": "the genes synthetic patients are drawn for: 'all' (every annotated gene) or 'unnamed' (only genes no training case names, so the replay rewards exactly the genes case reports never reward)"},
    )
    grpo: dict[str, Any] = field(default_factory=dict, metadata={"help": "GRPOConfig fields (override DEFAULT_GRPO)"})
    lora: dict[str, Any] = field(default_factory=dict, metadata={"help": "LoraConfig fields (override DEFAULT_LORA)"})

    def __post_init__(self):
        from rft.grader import GRADERS

        _check_types(self)
        if not self.train:
            raise ValueError("RftConfig.train is required: pass --train PATH (a phenopacket zip/folder, JSONL or CSV)")
        if not Path(self.train).exists():
            raise ValueError(f"--train {self.train} does not exist")
        if self.valid is not None and not Path(self.valid).exists():
            raise ValueError(f"--valid {self.valid} does not exist")
        if self.split is not None and not Path(self.split).is_file():
            raise ValueError(f"--split {self.split} does not exist")
        folder = model_folder(self.base)
        if folder is None or not folder.is_dir():
            raise ValueError(f"--base {self.base} is not a model folder (train one with `rft pretrain`)")
        self.base = str(folder)
        if self.grader not in GRADERS:
            raise ValueError(f"--grader {self.grader!r} is unknown; choose one of {', '.join(GRADERS)}")
        for name in ("k", "batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.leave_publication_out <= 8:
            raise ValueError(f"--leave-publication-out must be between 0 (off) and 8 folds, got {self.leave_publication_out}")
        for name in ("max_train_cases", "max_valid_cases"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.balance not in BALANCES:
            raise ValueError(f"--balance {self.balance!r} is unknown; choose one of {', '.join(BALANCES)}")
        if not 0 <= self.synthetic <= 10:
            raise ValueError(f"--synthetic must be between 0 (off) and 10 synthetic patients per training case, got {self.synthetic}")
        if not 0 <= self.near_credit <= 1 / self.k:
            raise ValueError(f"--near-credit must be between 0 (off) and 1/k = {1 / self.k:g} (so no miss outscores a hit), got {self.near_credit}")
        if self.synthetic_genes not in SYNTHETIC_GENES:
            raise ValueError(f"--synthetic-genes {self.synthetic_genes!r} is unknown; choose one of {', '.join(SYNTHETIC_GENES)}")
        if self.synthetic_genes != "all" and not self.synthetic:
            raise ValueError(f"--synthetic-genes {self.synthetic_genes} chooses the genes of synthetic patients: pass --synthetic N too")
        if self.resume and self.force:
            raise ValueError("--resume continues a run and --force starts it over: pass one of them")
        max_steps = self.grpo_args().get("max_steps", -1)
        if max_steps == 0 or max_steps < -1:
            raise ValueError(f"--max-steps must be at least 1 (or -1: as many as --epochs take), got {max_steps}")
        if self.grpo_args().get("num_generations", 2) < 2:
            raise ValueError("--num-generations must be at least 2: GRPO compares samples within a group")
        self.grpo_config()  # unknown or invalid GRPO/LoRA settings fail now, not after loading data
        self.lora_config()

    def grpo_args(self) -> dict[str, Any]:
        return DEFAULT_GRPO | self.grpo

    def grpo_config(self):
        from trl import GRPOConfig

        args = self.grpo_args()
        allowed = {f.name: f for f in fields(GRPOConfig)}
        unknown = sorted(set(args) - set(allowed))
        if unknown:
            raise ValueError(f"unknown GRPOConfig field(s) {unknown} under 'grpo:'")
        for key, value in args.items():  # TrainingArguments takes learning_rate="fast" and fails mid-run
            default = allowed[key].default
            if _is_number(default) and not _is_number(value):
                raise ValueError(f"grpo.{key} must be a number, got {value!r}")
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_INT_FIELDS = ("k", "batch_size", "eval_every", "seed", "max_train_cases", "max_valid_cases", "leave_publication_out")
_FLOAT_FIELDS = ("synthetic", "near_credit")


def _check_types(cfg: RftConfig) -> None:
    """A setting of the wrong type (from a config file: `k: "ten"`, `grpo: [1, 2]`) fails with its name."""
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in ("grpo", "lora"):
            ok, want = isinstance(value, dict), "a mapping of settings"
        elif f.name in _INT_FIELDS:
            ok, want = (value is None and f.default is None) or (isinstance(value, int) and not isinstance(value, bool)), "a whole number"
        elif f.name in _FLOAT_FIELDS:
            ok, want = _is_number(value), "a number"
        elif isinstance(f.default, bool):
            ok, want = isinstance(value, bool), "true or false"
        else:
            ok, want = value is None or isinstance(value, str), "a path or name (text)"
        if not ok:
            raise ValueError(f"setting {f.name} must be {want}, got {value!r}")


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


# -- command line ----------------------------------------------------------------------------------------
_SHORT_GRPO_FLAGS = {  # flag -> (GRPOConfig field, type)
    "epochs": ("num_train_epochs", float),
    "lr": ("learning_rate", float),
    "num_generations": ("num_generations", int),
    "beta": ("beta", float),
    "max_steps": ("max_steps", int),
    "temperature": ("temperature", float),
}


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of `rft train`: RftConfig's fields plus short GRPO flags."""
    p.add_argument("--config", help="a YAML or JSON file with any RftConfig field, plus 'grpo:' and 'lora:' sections")
    for f in fields(RftConfig):
        if f.name in ("grpo", "lora"):
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type == "bool" or isinstance(f.default, bool):
            p.add_argument(flag, action="store_true", default=None, help=f.metadata.get("help"))
        else:
            kind = int if f.name in _INT_FIELDS else float if f.name in _FLOAT_FIELDS else str
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
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix in (".yaml", ".yml"):
            import yaml

            try:
                values = yaml.safe_load(text) or {}
            except yaml.YAMLError as e:
                raise ValueError(f"--config {path}: not valid YAML ({' '.join(str(e).split())})") from None
        else:
            try:
                values = json.loads(text)
            except ValueError as e:
                raise ValueError(f"--config {path}: not valid JSON ({e})") from None
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
