"""`rft train`'s data: the training and validation cases (split by publication), sampled, hashed, as a TRL dataset.

    from rft.train import prepare_data
    data = prepare_data(cfg, hpo)        # data.train, data.valid, data.problems, data.hashes
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rft.cases import Case, load_cases
from rft.model.tokenizer import case_to_prompt, format_prompt, prompt_terms
from rft.splits import publication_of, publication_pmid, select

if TYPE_CHECKING:
    from datasets import Dataset

    from ontology.hpo import Hpo
    from rft.cases import Problem
    from rft.train.config import RftConfig

__all__ = ["SYNTHETIC_PREFIX", "RftData", "balance_by_gene", "balance_by_publication", "draw_prompts", "fold_knowledge", "prepare_data", "publication_folds", "synthetic_cases", "to_dataset"]

SYNTHETIC_PREFIX = "synthetic_"  # the case ids of synthetic patients (rft train --synthetic)


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


def draw_prompts(cases: Sequence[Case], balance: str, seed: int = 0) -> list[Case]:
    """RFT's prompts, as many as cases, drawn as `rft train --balance` says (rft.train.config.BALANCES): 'case'
    (each case once, in order), 'gene' (`balance_by_gene`) or 'publication' (`balance_by_publication`)."""
    if balance == "case":
        return list(cases)
    if balance == "gene":
        return balance_by_gene(cases, seed)
    if balance == "publication":
        return balance_by_publication(cases, seed)
    raise ValueError(f"unknown way to draw prompts {balance!r}: choose case, gene or publication")


def balance_by_gene(cases: Sequence[Case], seed: int = 0) -> list[Case]:
    """As many prompts as cases, drawn so that every causal gene comes up equally often (within one).

    Case reports are not spread evenly over genes: a few genes have dozens of published patients and most have
    one or two. Drawn case by case, RFT is rewarded most for the genes many training cases name and learns to
    favour them on any similar patient, which is what hurts on a new patient whose gene no training case named
    (the common case). Drawn gene by gene, every gene weighs the same: round after round, each gene (in a
    seeded random order) contributes its next case (its cases in a seeded random order, cycled).
    """
    return _balance(cases, lambda c: sorted(c.genes)[0], seed)


def balance_by_publication(cases: Sequence[Case], seed: int = 0) -> list[Case]:
    """As many prompts as cases, drawn so that every publication comes up equally often (within one), as
    `balance_by_gene` does for genes: one paper's cohort of hundreds of patients of one gene weighs as much as a
    single case report, as every paper does when `rft.choose` picks a setting by publication MRR."""
    return _balance(cases, lambda c: publication_of(c.id), seed)


def _balance(cases: Sequence[Case], key, seed: int) -> list[Case]:
    groups: dict[str, list[Case]] = {}
    for c in cases:
        groups.setdefault(key(c), []).append(c)
    rng = random.Random(seed)
    names = sorted(groups)
    for g in names:
        rng.shuffle(groups[g])
    out: list[Case] = []
    round_ = 0
    while len(out) < len(cases):
        rng.shuffle(names)
        out += [groups[g][round_ % len(groups[g])] for g in names]
        round_ += 1
    return out[: len(cases)]


def synthetic_cases(hpo: Hpo, n: int, seed: int = 0, genes: Sequence[str] | None = None) -> list[Case]:
    """`n` synthetic patients drawn from `hpo`'s annotations, every annotated gene (or every gene of `genes`)
    equally likely (the warm start's recipe, rft.model.synthetic), as cases `synthetic_<i>`.

    Mixed into RFT's prompts (`rft train --synthetic`), they reward the policy on every gene of the knowledge base,
    not only on the few hundred that training case reports name: a replay of the warm start's data, as PPO-ptx
    mixes pretraining data into RLHF, meant to keep what the base knows about the genes no case named. (On the
    prospective benchmark it did not: README, "Prospective benchmark".) With `genes` (`rft train --synthetic-genes
    unnamed`: the genes no training case names) the replay rewards only the genes case reports never reward, which
    RFT otherwise only ever pushes down (each appears in sampled lists, never as the answer).
    """
    from rft.model.synthetic import SyntheticPatients, SyntheticRecipe

    if genes is not None and not genes:
        raise ValueError("no gene to draw synthetic patients for")
    sampler = SyntheticPatients(hpo, SyntheticRecipe(genes=None if genes is None else list(genes)), seed=seed)
    out = []
    for i in range(n):
        p = sampler.sample()
        out.append(Case(id=f"{SYNTHETIC_PREFIX}{i}", present=p.present, excluded=p.excluded, genes=(p.gene,), source="synthetic"))
    return out


def publication_folds(cases: Sequence[Case], n_folds: int) -> dict[str, int]:
    """Case id -> fold 1..n_folds, whole publications together (a seeded hash of the publication id)."""
    return {c.id: 1 + zlib.crc32(publication_of(c.id).encode()) % n_folds for c in cases}


def to_dataset(cases: Sequence[Case], hpo: Hpo, tokenizer, folds: dict[str, int] | None = None) -> Dataset:
    """The TRL dataset: a prompt per case, and its causal genes in the column the grader reads. With `folds`,
    each prompt names its case's fold (`<kb f>`: rft.model.knowledge scores it against that fold's KB); a case
    without a fold (a synthetic patient) is scored against the full release (`<kb0>`)."""
    from datasets import Dataset

    vocab = tokenizer.get_vocab()
    rows = []
    for c in cases:
        if folds is None:
            prompt = case_to_prompt(c, hpo, tokenizer, vocab)
        else:
            prompt = format_prompt(*prompt_terms(c, hpo, tokenizer, vocab), kb=folds.get(c.id, 0))
        rows.append({"prompt": prompt, "genes": list(c.genes), "case_id": c.id})
    return Dataset.from_list(rows)


def fold_knowledge(cases: Sequence[Case], folds: dict[str, int], hpo: Hpo) -> list[Hpo]:
    """For each fold 1..N, the knowledge base without the annotations citing that fold's publications."""
    n = max(folds.values(), default=0)
    out = []
    for f in range(1, n + 1):
        pmids = {publication_pmid(c.id) for c in cases if folds[c.id] == f} - {None}
        out.append(hpo.without_publications(pmids))
    return out
