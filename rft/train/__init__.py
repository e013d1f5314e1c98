"""Reinforcement fine-tuning: GRPO (TRL) + LoRA (PEFT), rewarded by the top-k rank grader (`rft train`).

Modules: `config` (RftConfig, flags), `data` (cases, split, dataset), `log` (metrics.jsonl, validation, curves),
`run` (the run folder and the trainer). The policy it tunes is `rft.model.policy.GeneListPolicy`.

`config` is imported at once (the CLI builds its flags from it); `data` and `run` pull in torch and the model,
so their names load on first use: `rft --help` and the commands that never train start without torch.
"""

from rft.train.config import DEFAULT_GRPO, DEFAULT_LORA, TRAIN_EXTRA, RftConfig, add_train_arguments, config_from_args, require_train_extra

__all__ = [
    "DEFAULT_GRPO", "DEFAULT_LORA", "TRAIN_EXTRA", "RftConfig", "RftData", "add_train_arguments", "config_from_args", "prepare_data",
    "require_train_extra", "train",
]

_LAZY = {"RftData": "rft.train.data", "prepare_data": "rft.train.data", "train": "rft.train.run"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rft.train' has no attribute {name!r}")
