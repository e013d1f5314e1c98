"""Lay words for phenotypes that HPO's own synonyms lack, as clinicians' notes and families use them.

    from ontology.lay import LAY_SYNONYMS
    LAY_SYNONYMS["fits"]            # 'HP:0001250' (Seizure)

The term search (`ontology.search`) and the note reader (`ontology.notes`) treat each entry as one more
synonym of its term, shown as "lay term" beside the label. Only phrases that the bundled release does not
already map to the right term belong here (`tests/ontology/test_search.py` checks every id is current); an
id that a newer release makes obsolete is redirected through its `replaced_by`, or dropped.
"""

from __future__ import annotations

__all__ = ["LAY_SYNONYMS"]

LAY_SYNONYMS: dict[str, str] = {
    "fits": "HP:0001250",  # Seizure
    "fit": "HP:0001250",
    "convulsions": "HP:0001250",
    "convulsion": "HP:0001250",
    "floppy baby": "HP:0001252",  # Hypotonia
    "floppiness": "HP:0001252",
    "learning difficulties": "HP:0001249",  # Intellectual disability
    "learning difficulty": "HP:0001249",
    "unsteady walking": "HP:0002317",  # Unsteady gait
    "tummy pain": "HP:0002027",  # Abdominal pain
    "stomach ache": "HP:0002027",
    "breathlessness": "HP:0002094",  # Dyspnea
    "bedwetting": "HP:0000805",  # Enuresis
    "short-sighted": "HP:0000545",  # Myopia
    "short sighted": "HP:0000545",
    "long-sighted": "HP:0000540",  # Hypermetropia
    "long sighted": "HP:0000540",
    "double jointed": "HP:0001382",  # Joint hypermobility
    "double-jointed": "HP:0001382",
    "hypermobile joints": "HP:0001382",
    "wheeze": "HP:0030828",  # Wheezing
    "regression": "HP:0002376",  # Developmental regression
    "eeg abnormal": "HP:0002353",  # EEG abnormality
    "generalized tonic-clonic": "HP:0002069",  # Bilateral tonic-clonic seizure
    "generalised tonic-clonic": "HP:0002069",
    "generalized tonic-clonic seizure": "HP:0002069",
    "generalised tonic-clonic seizure": "HP:0002069",
    "tonic-clonic seizure": "HP:0002069",
}
