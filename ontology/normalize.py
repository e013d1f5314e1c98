"""Turn what a user typed or a file holds into current HPO ids, or say exactly what is wrong.

    normalize_terms(hpo, ["hp:0001250", "HP_0001263", "Seizure"])  # -> ['HP:0001250', 'HP:0001263']

Accepted: ids in any case with ':' or '_' (`HP:0001250`, `hp_0001250`), alternative and obsolete ids that
have a replacement (mapped to it), and exact labels or synonyms (case-insensitive). Refused, with the value
named: unknown ids, obsolete ids with no replacement, text that is no label or synonym.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["TermResolution", "normalize_terms", "resolve_term"]

_ID = re.compile(r"^\s*hp[:_](\d{7})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TermResolution:
    """The outcome of resolving one value: `id` is set on success; `note` says what was changed or wrong."""

    value: str
    id: str | None
    kind: str  # "ok", "replaced", "label", "unknown_term", "obsolete_term", "empty"
    note: str = ""


def _label_index(hpo: Hpo) -> dict[str, str]:
    index = getattr(hpo, "_label_lookup", None)
    if index is None:
        index = {}
        # Synonyms first so that a label always wins over another term's identical synonym.
        for term in hpo.terms.values():
            for s in term.synonyms:
                index.setdefault(s.strip().lower(), term.id)
        for term in hpo.terms.values():
            index[term.label.strip().lower()] = term.id
        hpo._label_lookup = index
    return index


def resolve_term(hpo: Hpo, value: str, suggest: bool | Callable[[], bool] = True) -> TermResolution:
    """Resolve one id or label; never raises for bad user input.

    Args:
        suggest: for text that is no label, search for the closest term and add "did you mean ...?" to the note;
            or a function asked, only then, whether to: loaders of whole files pass one that says no past their
            budget (`rft.limits.MAX_SUGGESTIONS`), as each search costs milliseconds and a file of random words
            would otherwise cost minutes.
    """
    text = str(value).strip()
    if not text:
        return TermResolution(value, None, "empty", "empty term")
    if m := _ID.match(text):
        tid = f"HP:{m.group(1)}"
        if tid in hpo.terms:
            return TermResolution(value, tid, "ok")
        if tid in hpo.redirects:
            new = hpo.redirects[tid]
            return TermResolution(value, new, "replaced", f"{tid} is obsolete or an alternative id; using {new} ({hpo.label(new)})")
        if tid in hpo.obsolete:
            consider = ", ".join(hpo.obsolete[tid]) or "none given"
            return TermResolution(value, None, "obsolete_term", f"{tid} is obsolete with no replacement (consider: {consider})")
        return TermResolution(value, None, "unknown_term", f"{text!r} is not a term of HPO {hpo.version}")
    tid = _label_index(hpo).get(text.lower())
    if tid is not None:
        return TermResolution(value, tid, "label", f"label {text!r} read as {tid}")
    hint = _did_you_mean(hpo, text, suggest)
    return TermResolution(value, None, "unknown_term", f"{text!r} is neither an HPO id nor a label/synonym{hint}")


_MAX_REMEMBERED = 20_000  # did-you-mean answers kept per release (about 2 MB): a re-upload costs no search


def _did_you_mean(hpo: Hpo, text: str, suggest: bool | Callable[[], bool]) -> str:
    """"; did you mean HP:... (label)?" for unknown text, or "": one search (7-30 ms), remembered per release (a
    remembered answer is free: `suggest` is asked only before a new search)."""
    memo = hpo.__dict__.setdefault("_did_you_mean", {})
    key = text.lower()
    if key not in memo:
        if not (suggest() if callable(suggest) else suggest):
            return ""
        hits = hpo.search(text, 1)
        if len(memo) >= _MAX_REMEMBERED:
            memo.clear()
        memo[key] = f"; did you mean {hits[0].id} ({hits[0].label})?" if hits else ""
    return memo[key]


def normalize_terms(hpo: Hpo, values: Iterable[str]) -> list[str]:
    """Current HPO ids for `values`, in order, without duplicates.

    Raises:
        ValueError: naming every value that could not be resolved, with the reason for each.
    """
    ids: list[str] = []
    errors: list[str] = []
    for v in values:
        r = resolve_term(hpo, v)
        if r.id is None:
            errors.append(r.note)
        elif r.id not in ids:
            ids.append(r.id)
    if errors:
        raise ValueError("; ".join(errors))
    return ids
