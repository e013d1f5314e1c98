"""Model cards: what a model folder says about itself, read from its `meta.json` and `metrics.jsonl`.

    from rft.model_card import find_model_folders, read_model_card
    for folder in find_model_folders("data/models"):
        card = read_model_card(folder)
        card.base, card.train_size, card.grader, card.hpo_version
        card.metrics      # every set of metrics meta.json holds: {"valid": {"top1": 0.39, ...}, "valid_hybrid": {...}}
        card.metrics_frame()  # the same as one table: a row per metric, a column per set
        card.curve        # long frame: step, series ("train reward", "valid mean_score", ...), value

Both kinds of folder are understood: a pretrained base model (`rft.model.pretrain`, metrics in `meta.json`)
and an RFT run (`rft.train`, training log and validation lines in `metrics.jsonl`). Read-only, no Streamlit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ModelCard", "display_path", "find_model_folders", "ranking_summary", "read_model_card"]

_VALID_SERIES = ("mean_score", "top1", "top10", "mrr")


@dataclass
class ModelCard:
    """The facts a model card shows; every field is optional because older folders lack some."""

    name: str
    folder: Path
    kind: str = "model"
    base: str | None = None
    train_size: str | None = None
    grader: str | None = None
    hpo_version: str | None = None
    ranking: str | None = None  # how the folder ranks (meta.json "ranking"), in words
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # set name -> metric -> value
    metric_notes: list[str] = field(default_factory=list)  # the text next to the numbers ("valid_split: ...", "note: ...")
    curve: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["step", "series", "value"]))
    meta: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def metrics_frame(self) -> pd.DataFrame:
        """Every metric set side by side: a `metric` column, then one column per set (empty cells where a set lacks one)."""
        names = list(dict.fromkeys(m for values in self.metrics.values() for m in values))
        return pd.DataFrame({"metric": names} | {s: [values.get(m) for m in names] for s, values in self.metrics.items()})


REPO = Path(__file__).resolve().parents[1]


def display_path(path: str | Path) -> str:
    """A folder as a web page may show it: relative to the repository when inside it, else only its last two
    parts (a server's absolute paths are not the user's business).

    >>> display_path(REPO / "data" / "models" / "default")
    'data/models/default'
    >>> display_path("/srv/secret/models/mine")
    '…/models/mine'
    """
    path = Path(path).resolve()
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return "…/" + "/".join(path.parts[-2:])


def find_model_folders(models_dir: str | Path) -> list[Path]:
    """Sub-folders of `models_dir` (and the folder itself) holding a `meta.json`, sorted by name."""
    root = Path(models_dir)
    if not root.is_dir():
        return []
    found = [root] if (root / "meta.json").is_file() else []
    return found + sorted(p for p in root.iterdir() if p.is_dir() and (p / "meta.json").is_file())


def _read_jsonl(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            problems.append(f"{path.name}:{n} is not valid JSON (skipped)")
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _grader_text(grader: Any) -> str | None:
    if isinstance(grader, dict):
        kind, k = grader.get("kind"), grader.get("k")
        return f"{kind} rank, k={k}" if kind and k else grader.get("name")
    return str(grader) if grader else None


def _train_size(meta: dict[str, Any]) -> str | None:
    data = meta.get("data")
    if isinstance(data, dict) and data.get("n_train") is not None:
        valid = f", {data['n_valid']:,} validation" if data.get("n_valid") is not None else ""
        return f"{data['n_train']:,} cases{valid}"
    if meta.get("examples_seen") is not None:
        return f"{meta['examples_seen']:,} synthetic patients"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metric_sets(value: dict[str, Any], name: str, sets: dict[str, dict[str, float]], notes: list[str]) -> None:
    """Collect the numbers of a (possibly nested) metrics object into named sets, and its text into notes.

    `{"n": 5, "top1": 0.4}` is one set; `{"valid": {...}, "valid_hybrid": {...}, "note": "..."}` (a pretrained
    base's meta.json) is two sets and a note. Numbers are kept exactly as written.
    """
    numbers = {k: v for k, v in value.items() if _is_number(v)}
    if numbers:
        sets[name] = numbers
    for key, inner in value.items():
        if isinstance(inner, dict):
            _metric_sets(inner, f"{name} {key}" if name != "metrics" else key, sets, notes)
        elif isinstance(inner, str) and inner.strip():
            notes.append(f"{name if name != 'metrics' else ''} {key}: {inner}".strip())


def _curve(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Points of the curves; a value that is not a number (`"reward": null`) is left out, never an exception."""
    points = []
    for r in rows:
        step = r.get("step")
        if not _is_number(step):
            continue
        if r.get("kind", "train") == "train" and _is_number(r.get("reward")):
            points.append((step, "train reward", float(r["reward"])))
        elif r.get("kind") == "valid":
            points.extend((step, f"valid {key}", float(r[key])) for key in _VALID_SERIES if _is_number(r.get(key)))
            # rft.train.log writes the held-out-gene and seen-gene figures apart: the curve that judges a run.
            # (a knowledge reranker's run writes its training cases' MRR: "seen gene, training cases")
            points.extend((step, f"valid MRR, {part}", float(r[part]["mrr"])) for part in ("unseen gene", "seen gene", "seen gene, training cases")
                          if isinstance(r.get(part), dict) and _is_number(r[part].get("mrr")))
    return pd.DataFrame(points, columns=["step", "series", "value"])


def read_model_card(folder: str | Path) -> ModelCard:
    """Read one model folder's card. Raises ValueError when it has no readable `meta.json`."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ValueError(f"{folder} has no meta.json: not a model folder") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{folder}/meta.json is not valid JSON ({e})") from None
    except RecursionError:
        raise ValueError(f"{folder}/meta.json is nested too deeply to be a model's meta.json") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{folder}/meta.json must hold a JSON object")
    card = ModelCard(name=folder.name, folder=folder, meta=meta)
    card.kind = str(meta.get("kind") or ("pretrained base" if "pretrain" in meta else "model"))
    base = str(meta.get("base") or meta.get("base_model") or "") or None  # meta["model"] is an architecture, not a base
    if base is None and card.kind == "pretrained base":
        base = f"none: pretrained from scratch ({meta['model']})" if meta.get("model") else "none: pretrained from scratch"
    elif base is not None and not Path(base).is_absolute() and not (REPO / base).exists():
        base = f"{Path(base).name} (trained elsewhere: {base} is not in this repository)"
    elif base is not None and Path(base).is_absolute():
        base = display_path(Path(base))
    card.base = base
    card.train_size = _train_size(meta)
    card.grader = _grader_text(meta.get("grader"))
    card.hpo_version = meta.get("hpo_version")
    card.ranking = ranking_summary(meta.get("ranking"))
    for key in [k for k in meta if k == "metrics" or k.startswith("metrics_")]:  # "metrics", "metrics_step0", ...
        if isinstance(meta[key], dict):
            _metric_sets(meta[key], key.removeprefix("metrics_"), card.metrics, card.metric_notes)
    path = folder / "metrics.jsonl"  # the folder's own log only: a card never reads files from elsewhere
    if path.is_file():
        rows = _read_jsonl(path, card.problems)
        card.curve = _curve(rows)
        valid = [r for r in rows if r.get("kind") == "valid"]
        if valid and not card.metrics:
            last = valid[-1]
            card.metrics[f"validation at step {last.get('step', '?')}"] = {
                k: v for k, v in last.items() if _is_number(v) and k not in ("step", "seconds")
            }
            for part in ("unseen gene", "seen gene"):
                if isinstance(last.get(part), dict):
                    card.metrics[f"validation at step {last.get('step', '?')}, {part}"] = {k: v for k, v in last[part].items() if _is_number(v)}
    return card


def ranking_summary(ranking: Any) -> str | None:
    """meta.json's "ranking" in words (None when absent or not an object).

    >>> ranking_summary({"hybrid": {"classical": "likelihood", "k": 60, "weight": 1.0, "gate": {"min_confidence": 0.1}}})
    "reciprocal-rank fusion with likelihood (k=60, model weight 1); the model has a say where its first gene's probability is at least 0.1, elsewhere likelihood alone"
    """
    if not isinstance(ranking, dict):
        return None
    hybrid = ranking.get("hybrid")
    if not isinstance(hybrid, dict):
        return "the model alone"
    partner = hybrid.get("classical", "?")
    text = f"reciprocal-rank fusion with {partner} (k={hybrid.get('k', 60):g}, model weight {hybrid.get('weight', 1.0):g})"
    gate = hybrid.get("gate")
    if isinstance(gate, dict):
        from rft.rankers.gate import Gate

        try:
            text += f"; {Gate.from_config(gate).describe()}, elsewhere {partner} alone"
        except ValueError as e:
            text += f"; an unreadable gate ({e})"
    return text
