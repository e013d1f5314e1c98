"""Install a model folder as a shipped model: copy it into data/models/NAME, atomically.

    python scripts/install_model.py runs/ship/rft/merged default [--force]
    python scripts/install_model.py runs/reranker/reranker reranker [--force]     # a knowledge reranker folder too

The copy goes to a temporary folder beside the target and is renamed into place, so a reader never sees half a
model. An existing target is replaced only with --force, and only when its meta.json says this project wrote it
(`rft.model.checkpoint.written_by_project`); anything else there is left alone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from ontology import load_hpo
from rft.model import load_model
from rft.model.checkpoint import written_by_project
from rft.rankers.reranker import is_reranker_folder, load_reranker
from rft.registry import MODELS_DIR


def install(source: Path, name: str, force: bool = False) -> Path:
    hpo = load_hpo()  # refuse a broken folder before touching anything
    load_reranker(source, hpo) if is_reranker_folder(source) else load_model(source, hpo)
    target = MODELS_DIR / name
    if target.exists():
        if not force:
            raise ValueError(f"{target} exists; pass --force to replace it")
        if not written_by_project(target):
            raise ValueError(f"{target} was not written by this project (no marker in its meta.json); not replacing it")
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=MODELS_DIR))
    shutil.copytree(source, staging / name)
    if target.exists():
        old = staging / "old"
        target.rename(old)
    (staging / name).rename(target)
    shutil.rmtree(staging)
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("name", help="folder name under data/models (default, base, ...)")
    ap.add_argument("--force", action="store_true", help="replace a model folder this project wrote")
    args = ap.parse_args()
    try:
        print(f"installed {args.source} as {install(args.source, args.name, args.force)}")
    except ValueError as e:
        print(f"install_model: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
