"""Streamlit glue shared by the pages of `app.py`: the cached ontology and rankers, ranker choices, examples.

    streamlit run app.py

The ontology and every ranker are loaded once per server process (`st.cache_resource`) and shared by
all sessions; nothing here writes files. The pages call these helpers and `rft.report`, nothing more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from ontology import load_hpo
from rft.cases import Case, load_cases

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranker

__all__ = [
    "EXAMPLES_DIR",
    "MODELS_DIR_ENV",
    "RankerChoice",
    "cached_hpo",
    "cached_ranker",
    "example_cases",
    "models_dir",
    "ranker_choices",
    "term_label",
]

_REPO = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = _REPO / "data" / "examples"
MODELS_DIR_ENV = "RFT_MODELS_DIR"
_CLASSICAL_FALLBACK = "similarity"


@dataclass(frozen=True)
class RankerChoice:
    """One entry of a ranker menu: what the user reads and what `cached_ranker` loads."""

    label: str
    spec: str  # "model:<folder>" or a classical ranker name
    is_model: bool = False


@st.cache_resource(show_spinner="Loading the HPO ontology (once, a few seconds)…")
def cached_hpo() -> Hpo:
    """The bundled HPO release (or `$RFT_HPO_DIR`), with its search index built before the first keystroke."""
    hpo = load_hpo()
    hpo.search("seizure", 1)
    return hpo


@st.cache_resource(show_spinner="Loading the ranker…", max_entries=6)
def cached_ranker(spec: str, _hpo: Hpo) -> Ranker:
    """Load a ranker by spec once per process. `_hpo` is not hashed: the app has a single ontology."""
    if spec.startswith("model:"):
        from rft.model import ModelRanker

        return ModelRanker(spec.removeprefix("model:"), _hpo)
    from rft.rankers import get_ranker

    return get_ranker(spec, _hpo)


def models_dir() -> Path:
    """Where model folders are looked for: `$RFT_MODELS_DIR`, else the folder holding the default model."""
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env)
    try:
        from rft.model import DEFAULT_MODEL_DIR

        return Path(DEFAULT_MODEL_DIR).parent
    except ImportError:
        return _REPO / "data" / "models"


def _default_model_dir() -> Path | None:
    try:
        from rft.model import DEFAULT_MODEL_DIR
    except ImportError:
        return None
    path = Path(DEFAULT_MODEL_DIR)
    return path if (path / "meta.json").is_file() else None


def ranker_choices(folder: Path | None = None) -> list[RankerChoice]:
    """The default model first (when shipped), then other model folders, then the classical rankers.

    Without `rft.model` or a shipped model the first choice is the classical "similarity" ranker, so the
    app always opens on something that works.
    """
    choices: list[RankerChoice] = []
    default = _default_model_dir()
    if default is not None:
        choices.append(RankerChoice(f"{default.name} (default model)", f"model:{default}", True))
    folder = folder or models_dir()
    if folder.is_dir():
        for sub in sorted(p for p in folder.iterdir() if (p / "meta.json").is_file()):
            if default is None or sub.resolve() != default.resolve():
                choices.append(RankerChoice(f"{sub.name} (model)", f"model:{sub}", True))
    try:
        from rft.rankers import available_rankers

        names = [n for n in available_rankers() if not str(n).startswith("model:")]
    except ImportError:
        names = [_CLASSICAL_FALLBACK]
    for name in names:
        choices.append(RankerChoice(str(name), str(name)))
    return choices


def example_cases(hpo: Hpo) -> list[Case]:
    """The hand-written example cases shipped in data/examples/cases.jsonl."""
    path = EXAMPLES_DIR / "cases.jsonl"
    return load_cases(path, hpo).cases if path.is_file() else []


def term_label(hpo: Hpo, term_id: str) -> str:
    """`Label · HP:0000000`, how the pages show a term everywhere."""
    return f"{hpo.label(term_id)} · {term_id}"
