"""Rankers by name: the classical ones, and model folders (`default`, a path, or `model:<path>`).

    from rft.rankers import available_rankers, get_ranker
    available_rankers()                  # ['default', 'likelihood', 'similarity']
    ranker = get_ranker("similarity", hpo)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranker

__all__ = ["CLASSICAL_RANKERS", "BEST_CLASSICAL", "available_rankers", "get_ranker"]

CLASSICAL_RANKERS: dict[str, Callable[[Hpo], Ranker]] = {
    "likelihood": LikelihoodRatioRanker,
    "similarity": SimilarityRanker,
}
BEST_CLASSICAL = "similarity"  # measured by bench/bench_rankers.py on the validation split (MRR 0.662 vs 0.660)


def _model_folders(models_dir: Path | None) -> list[str]:
    try:
        from rft.model import MODELS_DIR, default_model_dir
    except ImportError:
        return []
    folder = models_dir or MODELS_DIR
    names = ["default"] if (default_model_dir() / "config.json").is_file() else []
    if folder.is_dir():
        names += [f"model:{p}" for p in sorted(folder.iterdir()) if (p / "config.json").is_file()]
    return names


def available_rankers(models_dir: str | Path | None = None) -> list[str]:
    """The names `get_ranker` accepts: `default` (when a model is shipped), model folders, classical rankers."""
    return _model_folders(Path(models_dir) if models_dir else None) + sorted(CLASSICAL_RANKERS)


def get_ranker(name: str, hpo: Hpo) -> Ranker:
    """A ranker by name: a classical one, `default`, `model:<folder>` or a model folder path.

    Raises:
        ValueError: naming the valid choices, when `name` is none of these.
    """
    if name in CLASSICAL_RANKERS:
        return CLASSICAL_RANKERS[name](hpo)
    path = name.removeprefix("model:")
    if name == "default" or name.startswith("model:") or Path(path).is_dir():
        from rft.model import ModelRanker

        return ModelRanker(path, hpo)
    raise ValueError(f"unknown ranker {name!r}; choose one of {', '.join(sorted(CLASSICAL_RANKERS))}, default, or a model folder")
