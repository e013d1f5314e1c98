"""One HPO term as the project holds it: id, label, synonyms, definition, parents (`is_a`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Term"]


@dataclass(frozen=True)
class Term:
    """One current (non-obsolete) HPO term."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    definition: str = ""
    parents: tuple[str, ...] = ()
