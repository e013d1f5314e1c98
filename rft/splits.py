"""Splits grouped by publication, so that no paper's patients are in both training and validation.

    from rft.splits import split_by_publication, publication_of, select
    split = split_by_publication(cases, valid_fraction=0.2, seed=0)   # {"train": [ids], "valid": [ids], ...}
    split = carve_tuning(split, n_cases=800)                          # + "tune": publications held out of training
    split = split_by_gene(cases, folds=5, fold=0, seed=0)             # valid: the cases of one fold of the genes
    valid = select(cases, DEV_SPLIT, "valid")                         # the cases of one part of a split file

`select` is the one way the CLI, the trainer and the benchmarks read a split file; the shipped one is
data/splits/dev_split.json (`DEV_SPLIT`, an absolute path, so it works from any folder).

phenopacket-store names each case `PMID_<number>_<individual>`: the PMID is the group. Cases whose id
holds no PMID form a group of their own. The split is a seeded shuffle of the sorted publications, so the
same cases and seed always give the same split.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path

from rft.cases import Case
from rft.paths import DATA_DIR

__all__ = [
    "DEV_SPLIT",
    "carve_tuning",
    "load_split",
    "prospective_split",
    "publication_of",
    "publication_pmid",
    "save_split",
    "select",
    "split_by_gene",
    "split_by_publication",
]

DEV_SPLIT = DATA_DIR / "splits" / "dev_split.json"
_PMID = re.compile(r"^(PMID[_:]?\d+)", re.IGNORECASE)


def publication_of(case_id: str) -> str:
    """The publication a case comes from (`PMID_123_p1` -> `PMID_123`), else the id itself.

    >>> publication_of("PMID_30968594_individual_29"), publication_of("case-7")
    ('PMID_30968594', 'case-7')
    """
    m = _PMID.match(case_id)
    return m.group(1).upper().replace(":", "_") if m else case_id


def publication_pmid(case_id: str) -> int | None:
    """The PubMed id of a case's publication (`PMID_123_p1` -> 123), or None when its id names none.

    >>> publication_pmid("PMID_30968594_individual_29"), publication_pmid("case-7")
    (30968594, None)
    """
    m = _PMID.match(case_id)
    return int(re.sub(r"\D", "", m.group(1))) if m else None


def prospective_split(cases: Sequence[Case], horizon: int, tune_until: int) -> dict:
    """Split cases by publication date, as a knowledge base with `horizon` would meet them.

    PubMed ids grow with time, so a case whose PMID is above the horizon (the newest PMID the KB cites) was
    published after the KB was curated: it is *prospective*. `train` holds cases published up to the horizon,
    `tune` the prospective ones up to `tune_until` (choose settings there), `eval` the later ones (report
    there); `no_pmid` the cases whose id names no publication. Whole publications stay together by
    construction.
    """
    if tune_until < horizon:
        raise ValueError(f"tune_until ({tune_until}) must not be before the horizon ({horizon})")
    parts: dict[str, list[str]] = {"train": [], "tune": [], "eval": [], "no_pmid": []}
    for c in cases:
        pmid = publication_pmid(c.id)
        part = "no_pmid" if pmid is None else "train" if pmid <= horizon else "tune" if pmid <= tune_until else "eval"
        parts[part].append(c.id)
    return {"horizon": horizon, "tune_until": tune_until, "grouped_by": "publication date (PMID) against the KB horizon"} | {
        k: sorted(v) for k, v in parts.items()
    } | {f"n_{k}": len(v) for k, v in parts.items()}


def split_by_publication(cases: Sequence[Case], valid_fraction: float = 0.2, seed: int = 0) -> dict:
    """Assign whole publications to train or valid until valid holds about `valid_fraction` of the cases."""
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
    groups: dict[str, list[str]] = {}
    for c in cases:
        groups.setdefault(publication_of(c.id), []).append(c.id)
    pubs = sorted(groups)
    random.Random(seed).shuffle(pubs)
    target = valid_fraction * len(cases)
    valid: list[str] = []
    train: list[str] = []
    for p in pubs:
        (valid if len(valid) < target else train).extend(groups[p])
    return {
        "seed": seed,
        "valid_fraction": valid_fraction,
        "grouped_by": "publication (PMID prefix of the case id)",
        "n_train": len(train),
        "n_valid": len(valid),
        "train": sorted(train),
        "valid": sorted(valid),
    }


def split_by_gene(cases: Sequence[Case], folds: int = 5, fold: int = 0, seed: int = 0, seen_fraction: float = 0.0) -> dict:
    """Hold out one fold of the causal genes: `valid` holds every case that names a gene of the fold, `train` the rest.

    A model tuned on `train` has never been rewarded for a `valid` case's gene, so `valid` measures what a new
    patient with a gene no training case names meets (most patients of new publications). The genes are dealt
    into `folds` folds round-robin after a seeded shuffle of the sorted symbols; a case naming genes of two
    folds goes to `valid` when any of its genes is held out. With `seen_fraction`, whole publications holding
    about that share of the other cases go to `valid` too (`split_by_publication`), so that one run's validation
    reports seen-gene figures beside the held-out-gene ones (`rft.train.log` splits them by the training genes).

    >>> from rft.cases import Case
    >>> cases = [Case(f"c{i}", ("HP:0001250",), genes=(g,)) for i, g in enumerate("ABCDEF")]
    >>> s = split_by_gene(cases, folds=3, fold=0, seed=0)
    >>> len(s["held_out_genes"]), s["n_valid"], s["n_train"]
    (2, 2, 4)
    >>> set(s["valid"]) == {c.id for c in cases if c.genes[0] in s["held_out_genes"]}
    True
    """
    if folds < 2:
        raise ValueError(f"split_by_gene needs at least 2 folds, got {folds}")
    if not 0 <= fold < folds:
        raise ValueError(f"fold must be in 0..{folds - 1}, got {fold}")
    genes = sorted({g for c in cases for g in c.genes})
    random.Random(seed).shuffle(genes)
    held = {g for i, g in enumerate(genes) if i % folds == fold}
    valid = sorted(c.id for c in cases if held & set(c.genes))
    chosen = set(valid)
    train = sorted(c.id for c in cases if c.id not in chosen)
    if seen_fraction:
        by_paper = split_by_publication([c for c in cases if c.id not in chosen], seen_fraction, seed)
        train, valid = by_paper["train"], sorted(valid + by_paper["valid"])
    return {
        "seed": seed,
        "folds": folds,
        "fold": fold,
        "seen_fraction": seen_fraction,
        "grouped_by": "causal gene (valid: the cases naming a held-out gene)",
        "n_train": len(train),
        "n_valid": len(valid),
        "held_out_genes": sorted(held),
        "train": train,
        "valid": valid,
    }


def carve_tuning(split: dict, n_cases: int = 800, seed: int = 0) -> dict:
    """Move whole publications from `train` to a `tune` part of about `n_cases` cases.

    The tune part is held out from RFT training and chooses settings made after it (the hybrid's fusion
    weights of a tuned model): a model never ranks cases it was trained on when those settings are picked,
    and validation stays untouched for the final measurement.
    """
    if n_cases < 1:
        raise ValueError(f"the tune part needs at least 1 case, got {n_cases}")
    groups: dict[str, list[str]] = {}
    for case_id in split["train"]:
        groups.setdefault(publication_of(case_id), []).append(case_id)
    pubs = sorted(groups)
    random.Random(seed).shuffle(pubs)
    tune: list[str] = []
    for p in pubs:
        if len(tune) >= n_cases:
            break
        tune.extend(groups[p])
    chosen = set(tune)
    train = [i for i in split["train"] if i not in chosen]
    return split | {"n_train": len(train), "n_tune": len(tune), "train": sorted(train), "tune": sorted(tune)}


def save_split(split: dict, path: str | Path, source: str = "", force: bool = False) -> None:
    """Write a split file atomically; an existing one is replaced only with `force` (`rft.writes`)."""
    from rft.writes import write_atomic

    write_atomic(path, json.dumps({"source": source} | split, indent=0) + "\n", force=force)


def load_split(path: str | Path = DEV_SPLIT) -> dict:
    """Read a split file; ValueError when it is missing, is not JSON, or lacks the 'train'/'valid' lists."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"split file {path} does not exist (make one with scripts/make_split.py)")
    try:
        split = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"split file {path} is not valid JSON ({e})") from None
    if not isinstance(split, dict) or not all(isinstance(split.get(p), list) for p in ("train", "valid")):
        raise ValueError(f"split file {path} must hold 'train' and 'valid' lists of case ids")
    return split


def select(cases: Sequence[Case], path: str | Path = DEV_SPLIT, part: str = "valid") -> list[Case]:
    """The cases whose ids are in one part ("train", "valid", "tune") of a split file, in their given order.

    Raises:
        ValueError: the file is missing or malformed, or has no such part (naming the parts it has).
    """
    split = load_split(path)
    if not isinstance(split.get(part), list):
        parts = [k for k, v in split.items() if isinstance(v, list)]
        raise ValueError(f"split file {path} has no {part!r} part (it has: {', '.join(parts)})")
    ids = set(split[part])
    return [c for c in cases if c.id in ids]
