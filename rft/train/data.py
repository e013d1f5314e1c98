"""`rft train`'s data: the training and validation cases (split by publication), sampled, hashed, as a TRL dataset.

    from rft.train import prepare_data
    data = prepare_data(cfg, hpo)        # data.train, data.valid, data.problems, data.hashes
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from rft.cases import load_cases
from rft.model.tokenizer import case_to_prompt
from rft.splits import select

if TYPE_CHECKING:
    from datasets import Dataset

    from ontology.hpo import Hpo
    from rft.cases import Case, Problem
    from rft.train.config import RftConfig

__all__ = ["RftData", "prepare_data", "to_dataset"]


@dataclass
class RftData:
    train: list[Case]
    valid: list[Case]
    problems: list[Problem]
    hashes: dict[str, str]


def _hash_cases(cases: Sequence[Case]) -> str:
    h = hashlib.sha256()
    for c in cases:
        h.update(json.dumps([c.id, c.present, c.excluded, c.genes]).encode())
    return h.hexdigest()[:16]


def prepare_data(cfg: RftConfig, hpo: Hpo) -> RftData:
    """Load, split and sample the training and validation cases; fail early when nothing is usable.

    Validation cases are never trained on: with a split file the id sets are disjoint by construction (only
    'train' ids are trained on; a 'tune' part, for choosing the hybrid of the tuned model, is left out too),
    and any case id present in both sources is removed from training.
    """
    batch = load_cases(cfg.train, hpo, require_gene=True)
    problems = list(batch.problems)
    train_cases = [c for c in batch.cases if any(hpo.canonical_gene(g) for g in c.genes)]
    valid_cases: list = []
    if cfg.split:
        if cfg.valid is None:
            valid_cases = select(batch.cases, cfg.split, "valid")
        train_cases = select(train_cases, cfg.split, "train")
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


def to_dataset(cases: Sequence[Case], hpo: Hpo, tokenizer) -> Dataset:
    """The TRL dataset: a prompt per case, and its causal genes in the column the grader reads."""
    from datasets import Dataset

    return Dataset.from_list(
        [{"prompt": case_to_prompt(c, hpo, tokenizer), "genes": list(c.genes), "case_id": c.id} for c in cases]
    )
