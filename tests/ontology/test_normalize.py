from __future__ import annotations

import pytest

from ontology import normalize_terms, resolve_term


@pytest.mark.parametrize(
    "value, expected_id, kind",
    [
        ("HP:0001250", "HP:0001250", "ok"),  # Seizure
        ("hp:0001250", "HP:0001250", "ok"),  # lower case
        ("HP_0001250", "HP:0001250", "ok"),  # underscore, as in OBO PURLs
        (" HP:0001263 ", "HP:0001263", "ok"),  # Global developmental delay, padded
        ("HP:0000999", "HP:0001250", "replaced"),  # obsolete Fits -> Seizure
        ("HP:0001275", "HP:0001250", "replaced"),  # alt id of Seizure
        ("seizure", "HP:0001250", "label"),  # label, any case
        ("Deafness", "HP:0000365", "label"),  # exact synonym of Hearing impairment
        ("HP:0000888", None, "obsolete_term"),  # obsolete, no replacement
        ("HP:1234567", None, "unknown_term"),  # well-formed but unknown
        ("Seizur", None, "unknown_term"),  # typo
        ("", None, "empty"),
    ],
)
def test_resolve_term(mini_hpo, value, expected_id, kind):
    r = resolve_term(mini_hpo, value)
    assert (r.id, r.kind) == (expected_id, kind)


def test_normalize_terms_dedupes_and_keeps_order(mini_hpo):
    assert normalize_terms(mini_hpo, ["HP:0001263", "Seizure", "HP:0001275", "hp_0001263"]) == ["HP:0001263", "HP:0001250"]


def test_normalize_terms_names_every_bad_value(mini_hpo):
    with pytest.raises(ValueError) as err:
        normalize_terms(mini_hpo, ["HP:0001250", "HP:1234567", "Seizur", "HP:0000888"])
    message = str(err.value)
    assert "HP:1234567" in message and "Seizur" in message and "HP:0000888" in message
    assert "did you mean HP:0001250" in message  # the typo gets a suggestion
