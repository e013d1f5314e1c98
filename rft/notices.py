"""Per-case conditions, said once per run: a batch of 900 cases gets one line per kind, not 900 warnings.

Library code reports a condition of one case (a prompt cut to the model's positions, a term the model does not
know) with `notice(kind, message)`: a `CaseNotice` warning, so a caller that does nothing still sees it. The
command line collects them for the whole run (`collected`) and prints `summary_lines` at the end:

    >>> with collected() as notices:
    ...     notice("prompt_cut", "case a: the prompt holds at most 24 excluded terms; cut the 3 least specific")
    ...     notice("prompt_cut", "case b: the prompt holds at most 24 excluded terms; cut the 9 least specific")
    >>> summary_lines(notices)
    ['2 cases had their prompt cut to the terms the model has positions for (the least specific left out); --verbose lists them']
    >>> summary_lines(notices, verbose=True)[0]
    'case a: the prompt holds at most 24 excluded terms; cut the 3 least specific'
    >>> with collected() as twice:  # a gated ranking's reference model reads the same prompt: still one case
    ...     for _ in range(2):
    ...         notice("prompt_cut", "case a: the prompt holds at most 24 excluded terms; cut the 3 least specific")
    >>> summary_lines(twice)
    ['1 case had its prompt cut to the terms the model has positions for (the least specific left out); --verbose lists them']

Other libraries' warnings caught in the same run are counted in one line too (`--verbose` shows them).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["CaseNotice", "collected", "notice", "summary_lines"]

# kind -> what a run's summary says about the cases it happened to ({n}: how many; {cases}, {their}: in number)
SUMMARIES = {
    "prompt_cut": "{n} {cases} had {their} prompt cut to the terms the model has positions for (the least specific left out)",
    "term_dropped": "{n} {cases} had terms the model cannot read dropped from {their} prompt (unknown, or with no known ancestor)",
}


class CaseNotice(UserWarning):
    """A condition of one case, of a `kind` a run summarises (see SUMMARIES)."""

    def __init__(self, message: str, kind: str):
        assert kind in SUMMARIES, f"unknown notice kind {kind!r}"
        super().__init__(message)
        self.kind = kind


def notice(kind: str, message: str, stacklevel: int = 3) -> None:
    """Report one case's condition (a `CaseNotice` warning; `collected` gathers them)."""
    warnings.warn(CaseNotice(message, kind), stacklevel=stacklevel)


@contextmanager
def collected() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning raised inside, kept (none printed), in order; each distinct one once per case, not once per place."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # a library's business, not the user's
        yield caught


def summary_lines(caught: list[warnings.WarningMessage], verbose: bool = False) -> list[str]:
    """One line per kind of case notice and one for any other warnings; with `verbose`, every message instead."""
    # The same case's notice from two models of one ranking (a gate's reference reads the same prompt) counts once.
    if verbose:
        return list(dict.fromkeys(str(w.message) for w in caught))
    kinds = Counter(kind for kind, _ in dict.fromkeys((w.message.kind, str(w.message)) for w in caught if isinstance(w.message, CaseNotice)))
    lines = [SUMMARIES[kind].format(n=n, cases="case" if n == 1 else "cases", their="its" if n == 1 else "their") + "; --verbose lists them"
             for kind, n in kinds.items()]
    others = [w for w in caught if not isinstance(w.message, CaseNotice)]
    if others:
        lines.append(f"{len(others)} other warning(s), e.g. {str(others[0].message).splitlines()[0][:120]!r}; --verbose shows them")
    return lines
