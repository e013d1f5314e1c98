"""Validation cases and metrics for the model: the publication-grouped split and top-k / MRR.

    from rft.model.validation import load_validation_cases, evaluate_ranker
    cases = load_validation_cases("phenopacket-store-dev.zip", hpo)      # valid ids of data/splits/dev_split.json
    evaluate_ranker(ModelRanker("default", hpo), cases)                 # {'n': ..., 'top1': ..., 'mrr': ...}

Ranks come from `rft.grader.rank_of` and metrics from `rft.metrics.summarize`, the functions the grader
uses, so the numbers here are the ones RFT optimises. Without the split file, cases are split by publication
(the PMID that starts each phenopacket id) with a fixed hash, one publication in five to validation.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rft.splits import DEV_SPLIT, publication_of

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = ["DEV_SPLIT", "publication_of", "load_validation_cases", "evaluate_ranker"]


def load_validation_cases(cases_path: str | Path, hpo: Hpo, split_path: str | Path | None = DEV_SPLIT, part: str = "valid") -> list[Case]:
    """The cases of one part ("valid" or "train") of the publication-grouped split, with a causal gene."""
    from rft.cases import load_cases

    cases = load_cases(cases_path, hpo, require_gene=True).cases
    if split_path is not None and Path(split_path).is_file():
        split = json.loads(Path(split_path).read_text())
        if part not in split:
            raise ValueError(f"split file {split_path} has no {part!r} list (keys: {', '.join(split)})")
        ids = set(split[part])
        return [c for c in cases if c.id in ids]
    in_valid = lambda c: zlib.crc32(publication_of(c.id).encode()) % 5 == 0  # noqa: E731
    return [c for c in cases if in_valid(c) == (part == "valid")]


def evaluate_ranker(ranker: Ranker, cases: Sequence[Case], k: int = 10) -> dict[str, float]:
    """Top-k accuracy, MRR etc. of a ranker over cases (full rankings), plus ms per case: `rft.evaluate.evaluate`'s metrics."""
    from rft.evaluate import evaluate

    return evaluate(ranker, cases, k=k)[1]
