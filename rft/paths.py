"""Where the project's shipped files live: `data/` beside the code in a clone, or the wheel's copy.

    from rft.paths import DATA_DIR      # data/models/, data/examples/, data/splits/

A clone (and an editable install) reads `data/` next to `rft/`. A wheel installs the same files under
`<prefix>/share/rft-genes/data/` (pyproject's `[tool.setuptools.data-files]`), which is used when there is no
`data/` beside the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["DATA_DIR", "RERANKER_WEIGHTS", "data_dir"]

RERANKER_WEIGHTS = "reranker.pt"  # a knowledge reranker folder's policy (rft.rankers.reranker); rft.registry lists folders holding one


def data_dir() -> Path:
    """`data/` beside the package in a clone, else the copy a wheel installed under `<prefix>/share/rft-genes/`."""
    beside = Path(__file__).resolve().parents[1] / "data"
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "rft-genes" / "data"


DATA_DIR = data_dir()
