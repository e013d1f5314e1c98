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


def ranker_choices(folder: Path | None = None) -> list[RankerChoice]:
    """The default model first (when shipped), then other model folders, then the classical rankers.

    The names come from `rft.rankers.available_rankers`, the registry `rft eval` uses too; this only labels
    them for the menu. Without a shipped model the first choice is a classical ranker, so the app always
    opens on something that works.
    """
    from rft.model import default_model_dir
    from rft.rankers import available_rankers

    default = default_model_dir().resolve()
    choices: list[RankerChoice] = []
    for name in available_rankers(folder or models_dir()):
        if name == "default":
            label = "RFT-tuned" if default.name == "default" else default.name
            choices.append(RankerChoice(f"{label} (default model)", f"model:{default}", True))
        elif name.startswith("model:"):
            path = Path(name.removeprefix("model:"))
            if path.resolve() != default:
                choices.append(RankerChoice(f"{path.name} (model)", name, True))
        else:
            choices.append(RankerChoice(name, name))
    return choices


def example_cases(hpo: Hpo) -> list[Case]:
    """The hand-written example cases shipped in data/examples/cases.jsonl."""
    path = EXAMPLES_DIR / "cases.jsonl"
    return load_cases(path, hpo).cases if path.is_file() else []


def term_label(hpo: Hpo, term_id: str) -> str:
    """`Label · HP:0000000`, how the pages show a term everywhere."""
    return f"{hpo.label(term_id)} · {term_id}"
