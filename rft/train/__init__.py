"""Reinforcement fine-tuning: GRPO (TRL) + LoRA (PEFT), rewarded by the top-k rank grader (`rft train`).

Modules: `config` (RftConfig, flags), `data` (cases, split, dataset), `log` (metrics.jsonl, validation, curves),
`run` (the run folder and the trainer). The policy it tunes is `rft.model.policy.GeneListPolicy`.
"""

from rft.train.config import DEFAULT_GRPO, DEFAULT_LORA, TRAIN_EXTRA, RftConfig, add_train_arguments, config_from_args, require_train_extra
from rft.train.data import RftData, prepare_data
from rft.train.run import train

__all__ = [
    "DEFAULT_GRPO", "DEFAULT_LORA", "TRAIN_EXTRA", "RftConfig", "RftData", "add_train_arguments", "config_from_args", "prepare_data",
    "require_train_extra", "train",
]
