"""Note -> HPO terms (`ontology.notes`): negation, spans, and precision/recall on hand-written notes.

    pytest tests/ontology/test_notes.py -s      # -s prints precision and recall per note set

tests/fixtures/notes/notes.jsonl was written while building the matcher; held_out.jsonl was written after it,
and not tuned on (its one miss, "stereotypies", is left as it is); context.jsonl was written with the ConText
rules, one note or more per context; context_hard.jsonl after them, with constructions meant to break them (its
first run: precision 0.79, recall 0.79; then informants with an auxiliary, pseudo-cues and "which resolved" were
handled). A match counts when both the term and its context (affirmed, negated,
family, uncertain, historical, trigger) agree with the hand annotation. `python bench/notes.py` prints the
same counts per context.
"""

from __future__ import annotations

import json

import pytest

from bench.notes import gold_pairs, score_notes
from ontology.notes import CONTEXTS, terms_from_note

NOTE_SETS = [
    # file, minimum precision, minimum recall (a finding counts when its term and its context agree with the gold)
    ("notes.jsonl", 0.95, 0.95),
    ("held_out.jsonl", 0.9, 0.85),
    ("context.jsonl", 0.95, 0.95),
    ("context_hard.jsonl", 0.9, 0.9),  # written after the rules: 0.79 / 0.79 on its first run, before three fixes
]


def _records(fixtures_dir, name: str) -> list[dict]:
    return [json.loads(line) for line in (fixtures_dir / "notes" / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name, min_precision, min_recall", NOTE_SETS)
def test_precision_and_recall_on_hand_written_notes(hpo, fixtures_dir, name, min_precision, min_recall):
    right, wrong, missed, errors, _ = score_notes(hpo, _records(fixtures_dir, name))
    tp, fp, fn = sum(right.values()), sum(wrong.values()), sum(missed.values())
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\n{name}: precision {precision:.2f}, recall {recall:.2f} ({tp} right, {fp} wrong, {fn} missed)")
    assert precision >= min_precision and recall >= min_recall, errors


def test_at_least_30_notes_cover_every_context_and_nothing_but_the_patients_present_signs_is_pre_ticked(hpo, fixtures_dir):
    records = [r for name, _, _ in NOTE_SETS for r in _records(fixtures_dir, name)]
    assert len(records) >= 30
    assert {c for r in records for _, c in gold_pairs(r)} == set(CONTEXTS)
    for record in records:
        gold = gold_pairs(record)
        for m in terms_from_note(hpo, record["note"]):
            if m.context == "affirmed":  # what the app pre-ticks: never a finding the gold puts in another context
                assert not any(t == m.id and c != "affirmed" for t, c in gold) or (m.id, "affirmed") in gold, (record["id"], m)


CONTEXT_CASES = [
    # note, term, context, why (the first six are the wrong picks a new user met, issue 26)
    ("Mother has epilepsy.", "HP:0001250", "family", "a relative's finding is not the patient's"),
    ("Brother had short stature.", "HP:0004322", "family", "past tense does not make it the patient's"),
    ("Possible autism.", "HP:0000717", "uncertain", "'possible' hedges"),
    ("Seizures, first with fever.", "HP:0001945", "trigger", "fever as the seizures' trigger is not a sign"),
    ("Generalized tonic-clonic seizures.", "HP:0002069", "affirmed", "not 'Clonic seizure' from inside the hyphenated word"),
    ("Parents deny any regression.", "HP:0002376", "negated", "'deny'; the parents are informants, not the experiencers"),
    ("EEG abnormal.", "HP:0002353", "affirmed", "a finding written after its test"),
    ("Mother reports fits.", "HP:0001250", "affirmed", "a relative who reports is an informant"),
    ("Deafness in his sister.", "HP:0000365", "family", "a relative after the finding"),
    ("Epilepsy in the mother; the patient has hypotonia.", "HP:0001252", "affirmed", "a clause turning to the patient"),
    ("Denies seizures, has hypotonia and ataxia.", "HP:0001251", "affirmed", "a negation stops at a new assertion (issue 27)"),
    ("Denies seizures, has hypotonia and ataxia.", "HP:0001250", "negated", "... and still reaches its own finding"),
    ("Multiple café-au-lait macules.", "HP:0000957", "affirmed", "accents folded: 'café' is 'cafe'"),
    ("?Craniosynostosis.", "HP:0001363", "uncertain", "a question mark before the word"),
    ("Scoliosis cannot be excluded.", "HP:0002650", "uncertain", "not excluded is not absent"),
    ("Rule out hearing loss.", "HP:0000365", "uncertain", "'rule out' plans a test"),
    ("Hearing loss was ruled out.", "HP:0000365", "negated", "'ruled out' after the finding"),
    ("History of febrile seizures.", "HP:0002373", "historical", "the past"),
    ("Family history is negative for deafness.", "HP:0000365", "family", "a relative's (absent) finding says nothing of the patient"),
    ("Hypertension suspected; no hepatomegaly.", "HP:0000822", "uncertain", "'suspected' after the finding"),
]


@pytest.mark.parametrize("note, term, context, why", CONTEXT_CASES)
def test_context(hpo, note, term, context, why):
    found = {m.id: m for m in terms_from_note(hpo, note)}
    assert term in found and found[term].context == context, f"{why}: {[(m.label, m.context, m.cue) for m in found.values()]}"
    assert found[term].excluded == (context == "negated") and bool(found[term].reason) == (context != "affirmed")


NEGATION_CASES = [
    # note, term, excluded?, why
    ("No hearing loss.", "HP:0000365", True, "cue before the term"),
    ("Hearing loss.", "HP:0000365", False, "no cue"),
    ("She denies seizures, hypotonia or ataxia.", "HP:0001251", True, "a cue reaches every term of a list in its clause"),
    ("No seizures. Hypotonia.", "HP:0001252", False, "a full stop ends the cue's reach"),
    ("No seizures but marked hypotonia.", "HP:0001252", False, "'but' ends the cue's reach"),
    ("Scoliosis was absent.", "HP:0002650", True, "cue after the term"),
    ("Scoliosis and absent speech.", "HP:0002650", False, "'absent' that starts another term is not a cue for the first"),
    ("Seizures: none reported.", "HP:0001250", True, "'none' after the term"),
]


@pytest.mark.parametrize("note, term, excluded, why", NEGATION_CASES)
def test_negation(hpo, note, term, excluded, why):
    found = {m.id: m.excluded for m in terms_from_note(hpo, note)}
    assert found.get(term) is excluded, f"{why}: {found}"


def test_longest_phrase_wins_and_spans_point_into_the_note(hpo):
    note = "Bilateral sensorineural hearing impairment; fits."
    matches = terms_from_note(hpo, note)
    # Bilateral sensorineural hearing impairment, not its parents; Seizure by the lay word 'fits'
    assert [m.id for m in matches] == ["HP:0008619", "HP:0001250"]
    assert [note[m.start : m.end] for m in matches] == ["Bilateral sensorineural hearing impairment", "fits"]
    assert matches[1].text == "fits" and matches[1].label == "Seizure"


def test_terms_outside_phenotypic_abnormality_and_short_words_are_not_matched(hpo):
    found = {m.id for m in terms_from_note(hpo, "Autosomal dominant inheritance, onset in childhood; ID number 12.")}
    assert found == set()  # modes of inheritance and onset are not signs; 'ID' is too short to trust
