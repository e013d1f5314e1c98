"""HPO terms from a free-text clinical note, each with its text span and whether the note negates it.

    from ontology.notes import terms_from_note
    for m in terms_from_note(hpo, "Seizures since age 2. No hearing loss; hypotonia."):
        print(m.id, m.label, note[m.start:m.end], "excluded" if m.excluded else "present")
    # HP:0001250 Seizure       Seizures      present
    # HP:0000365 Hearing impairment  hearing loss  excluded
    # HP:0001252 Hypotonia     hypotonia     present

A dictionary matcher over the release's labels, synonyms and lay words (`ontology.lay`), restricted to
phenotypic abnormalities: the note is split into words, plurals folded ("seizures" = "seizure"), and the
longest phrase that names a term wins at each position (so "sensorineural hearing loss" is one term, not
two). Negation follows NegEx's idea: a cue ("no", "denies", "negative for", "without", ...) negates the
terms after it up to the end of its clause (a full stop, a semicolon, "but", "however", ...), and a cue after
a term in its clause ("... were absent", "... ruled out") negates that term. Offline and deterministic; the
PyPI concept recognisers either need a network download or a model this project does not ship.
Precision and recall on hand-written notes: `tests/ontology/test_notes.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ontology.lay import LAY_SYNONYMS

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["NoteMatch", "terms_from_note"]

_TOKEN = re.compile(r"[A-Za-z0-9]+|[.;!?\n]")
_MAX_PHRASE = 10  # words in the longest label or synonym matched
_POST_WINDOW = 4  # words after a term searched for a post-negation cue


def _fold(word: str) -> str:
    """Lower case, plurals folded onto the singular, the same way for the note, the cues and the dictionary."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _cues(*phrases: str) -> set[tuple[str, ...]]:
    return {tuple(_fold(w) for w in p.split()) for p in phrases}


_CLAUSE_END = {_fold(w) for w in (".", ";", "!", "?", "\n", "but", "however", "although", "though", "except", "apart", "whereas", "yet")}
# Cues before a term negate it up to the end of the clause; cues after a term negate it.
_PRE_NEGATION = _cues("no", "not", "without", "denies", "denied", "never", "nor", "neither", "negative for", "absence of",
                      "free of", "ruled out", "rule out", "no evidence of", "no sign of", "no signs of", "no history of",
                      "did not have", "does not have", "has not had")
_POST_NEGATION = _cues("absent", "excluded", "ruled out", "not seen", "not present", "not observed", "not noted", "not found", "negative", "none")


@dataclass(frozen=True)
class NoteMatch:
    """One term found in a note: `note[start:end]` is the text that named it."""

    id: str
    label: str
    start: int
    end: int
    text: str
    excluded: bool  # the note negates it ("no hearing loss")


def _phrase_index(hpo: Hpo) -> dict[tuple[str, ...], str]:
    """Folded word tuple -> term id, for every label, synonym and lay word of a phenotypic abnormality; built
    once per release and kept on the object. Labels win over synonyms that two terms share."""
    cached = hpo.__dict__.get("_note_phrases")
    if cached is not None:
        return cached
    index: dict[tuple[str, ...], str] = {}
    entries = [(term.id, term.label, False) for term in hpo.terms.values()]
    entries += [(term.id, s, False) for term in hpo.terms.values() for s in term.synonyms]
    entries += [(hpo.redirects.get(t, t), phrase, True) for phrase, t in LAY_SYNONYMS.items()]
    for term_id, text, lay in entries:
        if term_id not in hpo.terms or not hpo.is_phenotype(term_id):
            continue
        words = tuple(_fold(w) for w in re.findall(r"[A-Za-z0-9]+", text))
        # One short word ("ID", "MR", "tall") names too many things in running text to count on its own,
        # unless it is a lay word chosen for notes ("fits").
        if not words or len(words) > _MAX_PHRASE or (len(words) == 1 and len(words[0]) < 4 and not lay):
            continue
        index.setdefault(words, term_id)
    hpo.__dict__["_note_phrases"] = index
    return index


def terms_from_note(hpo: Hpo, note: str) -> list[NoteMatch]:
    """Every term the note names, in the order of the text (a term named twice appears twice).

    Args:
        hpo: the release whose labels, synonyms and lay words are matched.
        note: free text, e.g. a clinic letter's examination paragraph.
    """
    index = _phrase_index(hpo)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(note)]
    folded = [_fold(t) for t, _, _ in tokens]
    matches: list[NoteMatch] = []
    negated = False  # a negation cue came earlier in this clause
    i = 0
    while i < len(tokens):
        if folded[i] in _CLAUSE_END:
            negated, i = False, i + 1
            continue
        cue = next((n for n in (3, 2, 1) if tuple(folded[i : i + n]) in _PRE_NEGATION), 0)
        if cue:
            negated, i = True, i + cue
            continue
        found = _longest_phrase(index, folded, i)
        if not found:
            i += 1
            continue
        term_id = index[tuple(folded[i : i + found])]
        start, end = tokens[i][1], tokens[i + found - 1][2]
        excluded = negated or _negated_after(index, folded, i + found)
        matches.append(NoteMatch(term_id, hpo.label(term_id), start, end, note[start:end], excluded))
        i += found
    return matches


def _longest_phrase(index: dict[tuple[str, ...], str], folded: list[str], i: int) -> int:
    """The number of words of the longest indexed phrase starting at word i (0: none), within the clause."""
    for n in range(min(_MAX_PHRASE, len(folded) - i), 0, -1):
        words = folded[i : i + n]
        if any(w in _CLAUSE_END for w in words):
            continue
        if tuple(words) in index:
            return n
    return 0


def _negated_after(index: dict[tuple[str, ...], str], folded: list[str], j: int) -> bool:
    """A post-negation cue within a few words after position j, before the clause or the next term begins."""
    window: list[str] = []
    for k in range(j, min(j + _POST_WINDOW, len(folded))):
        if folded[k] in _CLAUSE_END or _longest_phrase(index, folded, k):
            break
        window.append(folded[k])
    return any(tuple(window[k : k + n]) in _POST_NEGATION for n in (1, 2) for k in range(len(window)))
