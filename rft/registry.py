"""Rankers by name: the one way the CLI, the app, the trainer and the benchmarks build a ranker.

    from rft.registry import load_ranker, ranker_choices
    ranker = load_ranker("default", hpo)                  # the shipped model, ranked as its meta.json says
    ranker = load_ranker("similarity", hpo)               # a classical ranker
    ranker = load_ranker("model:runs/rft/merged", hpo)    # any model folder (a bare folder path works too)
    ranker = load_ranker("default", hpo, model_only=True) # the model without its fusion
    [c.label for c in ranker_choices()]                   # what the app's menus offer

A spec is a classical ranker's name (`similarity`, `likelihood`, `enrichment`), `default` (data/models/default, else
data/models/base), `model:<folder>` or a folder path; a folder holding a knowledge reranker (`reranker.pt`,
`rft.rankers.reranker`) loads as one. A model folder says in its meta.json how it ranks,
`"ranking": {"generate": N, "hybrid": {"classical": "similarity", "mode": "rrf", "k": 10, "weight": 0.25}}` (and a
per-case `"gate": {"min_confidence": ..., "min_lift": ..., "reference": "base"}` in "hybrid", `rft.rankers.gate.Gate`,
whose reference model is loaded from data/models/<reference>);
this module reads that and builds the `HybridRanker`, so no other module needs to know it. Model folders
are listed from data/models/ and from `$RFT_MODELS_DIR` (folders separated by the OS path separator).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rft.paths import DATA_DIR, RERANKER_WEIGHTS
from rft.rankers.consensus import ConsensusRanker
from rft.rankers.enrichment import EnrichmentRanker
from rft.rankers.gate import Gate
from rft.rankers.hybrid import HybridRanker
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranker

__all__ = [
    "BEST_CLASSICAL",
    "CLASSICAL_RANKERS",
    "MAX_GENERATE",
    "MODELS_DIR",
    "MODELS_DIR_ENV",
    "RankerChoice",
    "check_ranking_settings",
    "default_model_dir",
    "hybrid_ranker",
    "load_ranker",
    "model_folder",
    "models_dirs",
    "ranker_choices",
    "reference_folder",
]

MODELS_DIR = DATA_DIR / "models"
MODELS_DIR_ENV = "RFT_MODELS_DIR"
CLASSICAL_RANKERS: dict[str, Callable[[Hpo], Ranker]] = {
    "consensus": ConsensusRanker,
    "enrichment": EnrichmentRanker,
    "likelihood": LikelihoodRatioRanker,
    "similarity": SimilarityRanker,
}
BEST_CLASSICAL = "consensus"  # bench/window.py, the 2025h2 window's report part (leave-publication-out KB): the best classical MRR; first in menus
DEFAULT_PARTNER = "likelihood"  # the partner of a meta.json "hybrid" that names none (folders written before "classical" was required)


def models_dirs() -> list[Path]:
    """Where model folders are looked for: data/models/, then each folder named in `$RFT_MODELS_DIR`."""
    extra = [Path(p) for p in os.environ.get(MODELS_DIR_ENV, "").split(os.pathsep) if p.strip()]
    return [MODELS_DIR] + [p for p in extra if p.resolve() != MODELS_DIR.resolve()]


def default_model_dir() -> Path:
    """The RFT-tuned model (data/models/default) if it has been saved, else the base model (data/models/base)."""
    tuned = MODELS_DIR / "default"
    return tuned if (tuned / "config.json").is_file() else MODELS_DIR / "base"


def model_folder(spec: str | Path) -> Path | None:
    """The model folder a spec names (`default`, `model:<folder>`, an existing folder), or None for any other spec."""
    spec = str(spec)
    if spec == "default":
        return default_model_dir()
    if spec.startswith("model:"):
        return Path(spec.removeprefix("model:"))
    return Path(spec) if Path(spec).is_dir() else None


def hybrid_ranker(model: Ranker, config: dict[str, Any], hpo: Hpo) -> HybridRanker:
    """The fusion of `model` with the classical ranker that `config` (meta.json's "hybrid") names."""
    config = dict(config)
    name = config.pop("classical", DEFAULT_PARTNER)
    if name not in CLASSICAL_RANKERS:
        raise ValueError(f"hybrid classical ranker {name!r} is unknown; choose one of {', '.join(sorted(CLASSICAL_RANKERS))}")
    mode = config.get("mode", "rrf")
    gate = Gate.from_config(config.pop("gate", None))
    reference = None
    if gate is not None and gate.min_lift > 0:
        from rft.model import ModelRanker

        folder = reference_folder(gate.reference)
        reference = ModelRanker(folder, hpo, batch_size=getattr(model, "batch_size", 64), generate=0)
    return HybridRanker(model, CLASSICAL_RANKERS[name](hpo), **config, gate=gate, reference=reference, name=f"{model.name}+{name}-{mode}")


def reference_folder(reference: str | None) -> Path:
    """The model folder a gate's `reference` names: a folder under data/models/ (`base`), else a path.

    Raises:
        ValueError: naming the reference, when no such model folder exists.
    """
    for folder in ((MODELS_DIR / reference) if reference else None, Path(reference) if reference else None):
        if folder is not None and (folder / "config.json").is_file():
            return folder
    raise ValueError(f"the gate's reference model {reference!r} was not found under {MODELS_DIR} or as a folder; "
                     "it is the base the model was tuned from (data/models/base for the shipped model)")


def load_ranker(spec: str | Path, hpo: Hpo, *, model_only: bool = False, generate: int | None = None, batch_size: int = 64) -> Ranker:
    """A ranker by spec (see the module docstring).

    Args:
        spec: a classical ranker's name, `default`, `model:<folder>` or a model folder.
        hpo: the ontology every ranker scores against.
        model_only: for a model folder, rank with the model alone even if its meta.json ships a fusion.
        generate: for a model folder, genes to decode before the rest follow by score (None: its meta.json's, else 10).
        batch_size: for a model folder, cases per forward pass.

    Raises:
        ValueError: naming the valid choices, when `spec` is none of these; or what is wrong with the folder.
    """
    if str(spec) in CLASSICAL_RANKERS:
        return CLASSICAL_RANKERS[str(spec)](hpo)
    folder = model_folder(spec)
    if folder is None:
        raise ValueError(f"unknown ranker {str(spec)!r}; choose one of {', '.join(sorted(CLASSICAL_RANKERS))}, default, or a model folder")
    from rft.rankers.reranker import is_reranker_folder, load_reranker  # torch: imported when a folder is loaded, not before

    if is_reranker_folder(folder):
        return load_reranker(folder, hpo)
    from rft.model import ModelRanker, load_model

    bundle = load_model(folder, hpo)
    ranking = check_ranking_settings(bundle.meta.get("ranking"), folder / "meta.json")
    model = ModelRanker(bundle, hpo, batch_size=batch_size, generate=int(ranking.get("generate", 10)) if generate is None else generate)
    hybrid = ranking.get("hybrid")
    if model_only or not hybrid:
        return model
    return hybrid_ranker(model, hybrid, hpo)


MAX_GENERATE = 1_000  # genes decoded one forward pass at a time (the shipped models: 0); 1e8 would never end
# meta.json "ranking.hybrid" keys, with (smallest, largest) for the numeric ones: a typo or "heavy" fails here, in one
# line naming the file, not as a TypeError or a numpy error while ranking.
_HYBRID_NUMBERS = {"k": (1e-6, 1e6), "weight": (0.0, 1e3), "candidates": (1, 100_000)}
_HYBRID_KEYS = {"classical", "mode", "gate", *_HYBRID_NUMBERS}


def check_ranking_settings(ranking: Any, where: Path) -> dict[str, Any]:
    """meta.json's "ranking" object, checked: `generate` a whole number up to `MAX_GENERATE`, `hybrid` an object of
    known keys with numbers in range. Returns it ({} when absent).

    Raises:
        ValueError: naming `where`, the setting and the allowed values.
    """
    ranking = ranking or {}
    if not isinstance(ranking, dict):
        raise ValueError(f"{where}: 'ranking' must be an object, got {ranking!r}")
    generate = ranking.get("generate", 10)
    if isinstance(generate, bool) or not isinstance(generate, int) or not 0 <= generate <= MAX_GENERATE:
        raise ValueError(f"{where}: ranking.generate must be a whole number from 0 to {MAX_GENERATE:,}, got {generate!r}")
    hybrid = ranking.get("hybrid")
    if hybrid in (None, {}):
        return ranking
    if not isinstance(hybrid, dict):
        raise ValueError(f"{where}: 'ranking.hybrid' must be an object, got {hybrid!r}")
    unknown = sorted(set(hybrid) - _HYBRID_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown ranking.hybrid setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(_HYBRID_KEYS))}")
    for key, (lo, hi) in _HYBRID_NUMBERS.items():
        value = hybrid.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi):
            raise ValueError(f"{where}: ranking.hybrid.{key} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return ranking


@dataclass(frozen=True)
class RankerChoice:
    """One entry of a ranker menu: what the user reads and the spec `load_ranker` takes."""

    label: str
    spec: str
    is_model: bool = False


def ranker_choices() -> list[RankerChoice]:
    """What can be loaded: the default model first (when shipped), other model folders, then the classical rankers.

    Without a shipped model the first choice is a classical ranker, so a menu always opens on something that works.
    """
    choices: list[RankerChoice] = []
    default = default_model_dir()
    if (default / "config.json").is_file():
        label = "RFT-tuned" if default.name == "default" else default.name
        choices.append(RankerChoice(f"{label} (default model)", "default", True))
    seen = {default.resolve()}
    for root in models_dirs():
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if (p / "config.json").is_file() or (p / RERANKER_WEIGHTS).is_file()):
            if folder.resolve() not in seen:
                seen.add(folder.resolve())
                kind = "knowledge reranker" if (folder / RERANKER_WEIGHTS).is_file() else "model"
                choices.append(RankerChoice(f"{folder.name} ({kind})", f"model:{folder}", True))
    return choices + [RankerChoice(name, name) for name in sorted(CLASSICAL_RANKERS, key=lambda n: n != BEST_CLASSICAL)]
