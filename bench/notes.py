"""Precision and recall of the note reader (`ontology.notes`) per context, on the hand-written notes in tests/fixtures/notes/.

    python bench/notes.py              # a table: per context, right / wrong / missed, precision, recall
    python bench/notes.py --errors     # also every wrong and missed finding, note by note

Each note carries its gold terms by context: "present" (affirmed), "excluded" (negated), "family", "uncertain",
"historical", "trigger". A finding counts as right when both the term and its context agree with the gold;
a right term in the wrong context is one wrong (in the context read) and one missed (in the gold's). The last
line, "pre-ticked", says how many findings the app would pre-select that the gold does not call the patient's
present sign (the number that must stay 0 for family, uncertain and negated findings). Runs in seconds, offline.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from ontology import load_hpo
from ontology.notes import CONTEXTS, terms_from_note

NOTES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "notes"
GOLD_KEYS = {"present": "affirmed", "excluded": "negated", "family": "family", "uncertain": "uncertain", "historical": "historical", "trigger": "trigger"}


def gold_pairs(record: dict) -> set[tuple[str, str]]:
    """(term id, context) pairs a hand-written note record holds."""
    return {(t, context) for key, context in GOLD_KEYS.items() for t in record.get(key, [])}


def score_notes(hpo, records: list[dict]) -> tuple[Counter, Counter, Counter, list[str], int]:
    """(right, wrong, missed) per context, the error lines, and the findings pre-ticked against the gold."""
    right, wrong, missed, errors = Counter(), Counter(), Counter(), []
    pre_ticked_wrongly = 0
    for record in records:
        found = terms_from_note(hpo, record["note"])
        got = {(m.id, m.context) for m in found}
        want = gold_pairs(record)
        for _, c in got & want:
            right[c] += 1
        for t, c in got - want:
            wrong[c] += 1
            errors.append(f"{record['id']}: read {hpo.label(t)} ({t}) as {c}")
        for t, c in want - got:
            missed[c] += 1
            errors.append(f"{record['id']}: missed {hpo.label(t)} ({t}) as {c}")
        pre_ticked_wrongly += sum(1 for m in found if m.context == "affirmed" and (m.id, "affirmed") not in want)
    return right, wrong, missed, errors, pre_ticked_wrongly


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every wrong and missed finding")
    args = parser.parse_args(argv)
    hpo = load_hpo()
    files = sorted(NOTES_DIR.glob("*.jsonl"))
    records = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    right, wrong, missed, errors, pre_ticked = score_notes(hpo, records)
    print(f"{len(records)} hand-written notes ({', '.join(f.name for f in files)}), HPO {hpo.version}")
    print(f"{'context':<11} {'gold':>5} {'right':>6} {'wrong':>6} {'missed':>7} {'precision':>10} {'recall':>7}")
    for c in (*CONTEXTS, "all"):
        r = sum(right.values()) if c == "all" else right[c]
        w = sum(wrong.values()) if c == "all" else wrong[c]
        m = sum(missed.values()) if c == "all" else missed[c]
        p = f"{r / (r + w):.2f}" if r + w else "n/a"
        rec = f"{r / (r + m):.2f}" if r + m else "n/a"
        print(f"{c:<11} {r + m:>5} {r:>6} {w:>6} {m:>7} {p:>10} {rec:>7}")
    print(f"pre-ticked but not the patient's present sign in the gold: {pre_ticked}")
    if args.errors:
        print("\n".join(errors))


if __name__ == "__main__":
    main()
