"""HPO terms from a free-text clinical note, each with its text span and its context: is it the patient's,
present, certain and current?

    from ontology.notes import terms_from_note
    for m in terms_from_note(hpo, "Seizures since age 2. No hearing loss. Mother has epilepsy. Possible autism."):
        print(m.id, m.label, m.text, m.context, m.cue)
    # HP:0001250 Seizure             Seizures      affirmed
    # HP:0000365 Hearing impairment  hearing loss  negated     no
    # HP:0001250 Seizure             epilepsy      family      mother
    # HP:0000729 Autistic behavior   autism        uncertain   possible

**Finding terms.** A dictionary matcher over the release's labels, synonyms and lay words (`ontology.lay`),
restricted to phenotypic abnormalities: the note is split into words (accents folded, so "café-au-lait" is
"cafe au lait"), plurals folded ("seizures" = "seizure"), and the longest phrase that names a term wins at each
position (so "sensorineural hearing loss" is one term, not two). A match never starts or ends inside a
hyphenated word ("tonic-clonic" is not "clonic").

**Context, after ConText** (Harkema et al., J Biomed Inform 2009): cue phrases mark what follows them (or,
for some, what precedes them) up to the end of the clause or a termination word:

- `negated`: "no", "denies", "without", "negative for", "ruled out", "... was absent" -> offered as an
  absent term;
- `family`: "mother", "his brother", "family history of", "... in his sister" -> the finding is a relative's,
  not the patient's ("Mother reports fits" keeps the fits the patient's: a relative who reports is an informant);
- `uncertain`: "possible", "suspected", "rule out", "?", "cannot be excluded";
- `historical`: "history of", "previously", "in the past";
- `trigger`: "first with", "triggered by", "during": a circumstance ("seizures first with fever"), not a sign;
- `affirmed`: none of these: the patient's present finding.

A cue's reach ends at a full stop, a semicolon, "but", "however", ...; a negation's or uncertainty's also at a
new assertion once it has reached a term ("denies seizures, has hypotonia": hypotonia is affirmed); a
relative's at a word for the patient ("mother has epilepsy and the patient has hypotonia"). A finding with
several contexts takes the first of family, negated, uncertain, trigger, historical. Only `affirmed` findings
are meant to be pre-selected; the app shows every other one unticked with `reason`.

Why not medspaCy's ConText or negspaCy: both need spaCy, whose wheels pin numpy below 2 (it would downgrade
the numpy that torch and the app use), and negspaCy also needs an NER model downloaded at run time; the rules
here are ConText's idea in ~150 lines, offline and deterministic. Precision and recall per context on 30+
hand-written notes: `python bench/notes.py` (the same notes are the tests' in `tests/ontology/test_notes.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ontology.lay import LAY_SYNONYMS

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["CONTEXTS", "NoteMatch", "terms_from_note"]

CONTEXTS = ("affirmed", "negated", "family", "uncertain", "historical", "trigger")
_PRIORITY = ("family", "negated", "uncertain", "trigger", "historical")  # a finding with several contexts: the first

_TOKEN = re.compile(r"[^\W_]+|[.;:!?,\n]")
_MAX_PHRASE = 10  # words in the longest label or synonym matched
_TRIGGER_REACH = 3  # words after a trigger cue that its finding may start within


def _fold(word: str) -> str:
    """Lower case, accents stripped, plurals folded onto the singular, the same way for the note, the cues and
    the dictionary."""
    w = "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _phrases(*phrases: str) -> set[tuple[str, ...]]:
    return {tuple(_fold(w) for w in _TOKEN.findall(p)) for p in phrases}


_CLAUSE_END = {".", ";", "!", "\n"} | {w for (w,) in _phrases("but", "however", "although", "though", "except", "apart", "aside", "whereas", "yet")}
# A negation's or uncertainty's reach ends at a new assertion, once it has reached a finding.
_NEW_ASSERTION = {w for (w,) in _phrases("has", "have", "had", "shows", "showed", "presents", "presented", "exhibits", "exhibited", "displays",
                                         "displayed", "demonstrates", "demonstrated", "developed", "reports", "reported", "is", "was", "are", "were")}
# A relative's reach ends where the note turns to the patient.
_PATIENT = {w for (w,) in _phrases("patient", "proband", "he", "she", "child", "boy", "girl", "index", "our")}
_RELATIVES = ("mother", "father", "sister", "brother", "sibling", "siblings", "parent", "parents", "aunt", "uncle", "cousin", "grandmother",
              "grandfather", "grandparent", "twin", "mom", "mum", "dad", "niece", "nephew", "half-brother", "half-sister", "relative",
              "relatives", "family member", "maternal aunt", "maternal uncle", "paternal aunt", "paternal uncle", "maternal grandmother",
              "paternal grandmother", "maternal grandfather", "paternal grandfather", "son", "daughter")
_DETERMINERS = ("his", "her", "the", "a", "their", "one", "an", "its")
# A relative who reports, denies or notices is an informant: what follows is the patient's ("Mother reports fits").
_INFORMANT = {w for (w,) in _phrases("report", "reports", "reported", "say", "says", "said", "state", "states", "stated", "note", "notes", "noted",
                                     "notice", "noticed", "describe", "describes", "described", "deny", "denies", "denied", "observed",
                                     "observe", "concerned", "worried", "brought", "bring")}

# cue -> (context, direction): "forward" marks what follows, "backward" what precedes, in the clause; "both" what
# follows, else (nothing follows) what precedes.
_CUES: dict[tuple[str, ...], tuple[str, str]] = {}


def _add(context: str, direction: str, *phrases: str) -> None:
    for p in _phrases(*phrases):
        before = _CUES.get(p)
        _CUES[p] = (context, "both" if before is not None and before != (context, direction) else direction)


_add("negated", "forward", "no", "not", "without", "deny", "denies", "denied", "never", "nor", "neither", "negative for", "absence of",
     "free of", "ruled out", "no evidence of", "no sign of", "no signs of", "no history of", "no family history of", "did not have",
     "does not have", "has not had", "have not had", "no further", "no longer", "not have", "fails to reveal", "unremarkable for")
_add("negated", "backward", "absent", "excluded", "ruled out", "not seen", "not present", "not observed", "not noted", "not found", "negative",
     "none", "was not", "were not", "is not present")
_add("uncertain", "forward", "possible", "possibly", "probable", "probably", "suspected", "suspect", "suspicion of", "suspicious for",
     "questionable", "question of", "query", "rule out", "r o", "to rule out", "may have", "might have", "may be", "could be", "likely",
     "concern for", "concerning for", "worrisome for", "suggestive of", "cannot exclude", "can not exclude", "differential includes",
     "evaluate for", "evaluation for", "thought to have", "suspected to have", "versus", "vs", "unclear whether", "uncertain whether")
_add("uncertain", "backward", "suspected", "possible", "questionable", "cannot be excluded", "can not be excluded", "not excluded",
     "not ruled out", "to be excluded", "to be ruled out", "is suspected", "was suspected", "unclear", "uncertain", "?", "remains a concern",
     "is a concern", "a concern", "remains possible")
_add("historical", "forward", "history of", "past history of", "past medical history of", "previous", "previously", "prior", "formerly",
     "in the past", "had a history of", "resolution of", "resolved")
_add("historical", "backward", "in the past", "previously", "resolved", "has resolved", "now resolved")
_add("trigger", "forward", "first with", "triggered by", "provoked by", "induced by", "precipitated by", "brought on by", "in the setting of",
     "during", "with each")
_add("family", "forward", *(r for r in _RELATIVES), *(f"{d} {r}" for d in _DETERMINERS for r in _RELATIVES), "family history of",
     "family history", "fh of", "family member with", "runs in the family", "in the family")
_add("family", "backward", *(f"in {d} {r}" for d in _DETERMINERS for r in _RELATIVES), *(f"in {r}" for r in _RELATIVES), "in the family",
     "runs in the family", "in family", "in relatives", "in several relatives")
_MAX_CUE = max(len(c) for c in _CUES)
# Pseudo-cues (ConText's "pseudo-triggers"): phrases holding a cue word that hedge or negate nothing in the finding
# after them ("likely secondary to hypotonia": the cause is hedged, not the hypotonia).
_PSEUDO = _phrases("secondary to", "due to", "likely secondary to", "likely due to", "probably due to", "no change in", "not only",
                   "no increase in", "gram negative")
_AUXILIARY = {w for (w,) in _phrases("has", "have", "had", "was", "is", "also")}
# Words a backward cue may look across to reach its findings ("seizures and hypotonia were absent").
_FILLERS = {w for (w,) in _phrases(",", ":", "which", "that", "and", "or", "nor", "was", "were", "is", "are", "been", "be", "has", "have", "had", "also", "both",
                                   "either", "entirely", "completely", "all", "clearly", "definitely", "otherwise")}


@dataclass(frozen=True)
class NoteMatch:
    """One term found in a note: `note[start:end]` is the text that named it."""

    id: str
    label: str
    start: int
    end: int
    text: str
    excluded: bool  # the note negates it for the patient ("no hearing loss"): offered as an absent term
    context: str = "affirmed"  # one of CONTEXTS
    cue: str = ""  # the words that set the context ("" when affirmed)

    @property
    def reason(self) -> str:
        """Why the finding is not taken as the patient's present sign, in words ("" when it is)."""
        said = f" (“{self.cue}”)" if self.cue else ""
        return {
            "affirmed": "",
            "negated": f"negated{said}: tick to add it as absent",
            "family": f"a relative's finding{said}, not the patient's",
            "uncertain": f"uncertain{said}: tick only if confirmed",
            "historical": f"in the past{said}: tick if it describes the patient",
            "trigger": f"a trigger or setting{said}, not a sign",
        }[self.context]


def _phrase_index(hpo: Hpo) -> dict[tuple[str, ...], str]:
    """Folded word tuple -> term id, for every label, synonym and lay word of a phenotypic abnormality; built
    once per release and kept on the object. Labels win over synonyms that two terms share."""
    cached = hpo.__dict__.get("_note_phrases_v2")
    if cached is not None:
        return cached
    index: dict[tuple[str, ...], str] = {}
    entries = [(term.id, term.label, False) for term in hpo.terms.values()]
    entries += [(term.id, s, False) for term in hpo.terms.values() for s in term.synonyms]
    entries += [(hpo.redirects.get(t, t), phrase, True) for phrase, t in LAY_SYNONYMS.items()]
    for term_id, text, lay in entries:
        if term_id not in hpo.terms or not hpo.is_phenotype(term_id):
            continue
        words = tuple(_fold(w) for w in re.findall(r"[^\W_]+", text))
        # One short word ("ID", "MR", "tall") names too many things in running text to count on its own,
        # unless it is a lay word chosen for notes ("fits").
        if not words or len(words) > _MAX_PHRASE or (len(words) == 1 and len(words[0]) < 4 and not lay):
            continue
        index.setdefault(words, term_id)
    hpo.__dict__["_note_phrases_v2"] = index
    return index


def terms_from_note(hpo: Hpo, note: str) -> list[NoteMatch]:
    """Every term the note names, in the order of the text, with its context (a term named twice appears twice).

    Args:
        hpo: the release whose labels, synonyms and lay words are matched.
        note: free text, e.g. a clinic letter's examination paragraph.
    """
    index = _phrase_index(hpo)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(note)]
    folded = [_fold(t) for t, _, _ in tokens]
    # "?" right before a word ("?autism") questions what follows; anywhere else, what precedes.
    qmark_ahead = {i for i, (t, _, end) in enumerate(tokens) if t == "?" and end < len(note) and note[end].isalnum()}

    def glued(i: int, after: bool) -> bool:  # is token i joined by a hyphen to the word before (or after) it?
        if after:
            return i + 1 < len(tokens) and tokens[i][2] < len(note) and note[tokens[i][2]] == "-" and tokens[i + 1][1] == tokens[i][2] + 1
        return i > 0 and tokens[i][1] > 0 and note[tokens[i][1] - 1] == "-" and tokens[i - 1][2] == tokens[i][1] - 1

    # 1. Read the note once: clause ends, cues and findings, each a span of tokens.
    events: list[tuple[str, int, int, object]] = []  # (kind, first token, last token + 1, payload)
    i = 0
    while i < len(tokens):
        word = folded[i]
        if word == "?":
            events.append(("cue", i, i + 1, ("uncertain", "forward" if i in qmark_ahead else "backward", "?")))
            if i not in qmark_ahead:
                events.append(("end", i, i + 1, None))
            i += 1
            continue
        if word in _CLAUSE_END:
            events.append(("end", i, i + 1, None))
            i += 1
            continue
        cue = next((n for n in range(min(_MAX_CUE, len(tokens) - i), 0, -1) if tuple(folded[i : i + n]) in _CUES), 0)
        found = _longest_phrase(index, folded, i, glued)
        pseudo = next((n for n in (3, 2) if tuple(folded[i : i + n]) in _PSEUDO), 0)
        if pseudo and pseudo >= found:  # "likely secondary to": a cue's words that set no context
            i += pseudo
            continue
        if cue and cue >= found:
            context, direction = _CUES[tuple(folded[i : i + cue])]
            after = i + cue + (1 if i + cue < len(folded) and folded[i + cue] in _AUXILIARY else 0)  # "mother has noticed"
            informant = context == "family" and direction == "forward" and after < len(folded) and folded[after] in _INFORMANT
            if not informant:
                events.append(("cue", i, i + cue, (context, direction, note[tokens[i][1] : tokens[i + cue - 1][2]])))
            i += cue
            continue
        if found:
            events.append(("term", i, i + found, index[tuple(folded[i : i + found])]))
            i += found
            continue
        events.append(("word", i, i + 1, word))
        i += 1

    # 2. Each cue marks the findings within its reach.
    contexts: dict[int, dict[str, str]] = {}  # event index of a finding -> context -> cue text
    for e, (kind, _, _, payload) in enumerate(events):
        if kind != "cue":
            continue
        context, direction, text = payload
        reached = False
        if direction in ("forward", "both"):
            for f in range(e + 1, len(events)):
                k, start, _, word = events[f]
                if k == "end" or (k == "word" and context == "family" and word in _PATIENT):
                    break
                if k == "word" and reached and context in ("negated", "uncertain", "historical") and word in _NEW_ASSERTION:
                    break
                if k == "term":
                    if context == "trigger" and start - events[e][2] >= _TRIGGER_REACH:
                        break
                    contexts.setdefault(f, {}).setdefault(context, text)
                    reached = True
                    if context == "trigger":
                        break
        if direction == "backward" or (direction == "both" and not reached):  # "autism possible", "hearing loss ruled out"
            for f in range(e - 1, -1, -1):
                k, _, _, word = events[f]
                if k == "term":
                    contexts.setdefault(f, {}).setdefault(context, text)
                elif k != "word" or word not in _FILLERS:
                    break

    # 3. One match per finding, its context the first of the priority order.
    matches = []
    for e, (kind, first, last, term_id) in enumerate(events):
        if kind != "term":
            continue
        found = contexts.get(e, {})
        context = next((c for c in _PRIORITY if c in found), "affirmed")
        start, end = tokens[first][1], tokens[last - 1][2]
        matches.append(NoteMatch(term_id, hpo.label(term_id), start, end, note[start:end], context == "negated", context, found.get(context, "")))
    return matches


def _longest_phrase(index: dict[tuple[str, ...], str], folded: list[str], i: int, glued) -> int:
    """The number of words of the longest indexed phrase starting at word i (0: none), within the clause, neither
    starting nor ending inside a hyphenated word."""
    if glued(i, after=False):
        return 0
    for n in range(min(_MAX_PHRASE, len(folded) - i), 0, -1):
        words = folded[i : i + n]
        if any(w in _CLAUSE_END or w in ",?" for w in words) or glued(i + n - 1, after=True):
            continue
        if tuple(words) in index:
            return n
    return 0
