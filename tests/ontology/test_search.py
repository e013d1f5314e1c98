from __future__ import annotations

import pytest

MINI_CASES = [
    # query, expected first id, why
    ("seizure", "HP:0001250", "exact label beats the longer label that starts with it"),
    ("SEIZURE  ", "HP:0001250", "case and surrounding space do not matter"),
    ("seizures", "HP:0001250", "exact synonym"),
    ("grand mal", "HP:0002069", "synonym prefix"),
    ("hearing", "HP:0000365", "label prefix, shortest first"),
    ("deaf", "HP:0000365", "synonym prefix"),
    ("tonic", "HP:0002069", "word inside a label"),
    ("delay global", "HP:0001263", "every word somewhere, any order"),
    ("HP:0001250", "HP:0001250", "id"),
    ("hp_0002069", "HP:0002069", "id with underscore, lower case"),
    ("HP:0001275", "HP:0001250", "alt id redirected"),
    ("HP:0000999", "HP:0001250", "obsolete id redirected to its replacement"),
    ("se", "HP:0001250", "two letters: word-prefix table"),
]


@pytest.mark.parametrize("query, first, why", MINI_CASES)
def test_search_ranking_on_mini(mini_hpo, query, first, why):
    hits = mini_hpo.search(query, 5)
    assert hits and hits[0].id == first, why


@pytest.mark.parametrize("query", ["", "   ", "zzzzzz", "HP:7777777"])
def test_search_without_match_is_empty(mini_hpo, query):
    assert mini_hpo.search(query) == []


def test_search_respects_limit_and_has_no_duplicate_terms(hpo):
    hits = hpo.search("abnormal", 25)
    assert len(hits) == 25
    assert len({h.id for h in hits}) == 25


def test_seizure_first_in_bundled_release(hpo):
    hits = hpo.search("seizure", 10)
    assert hits[0].id == "HP:0001250"  # Seizure
    assert all("seizure" in h.matched for h in hits)


def test_partial_id_lists_terms_with_that_prefix(hpo):
    hits = hpo.search("HP:000125", 5)
    assert hits and all(h.id.startswith("HP:000125") for h in hits)


FORGIVING_CASES = [
    # query, expected first id, why
    ("convulsions", "HP:0001250", "lay word (ontology.lay) for Seizure, ahead of Epileptic spasm's 'Salaam convulsions'"),
    ("fits", "HP:0001250", "lay word for Seizure"),
    ("siezure", "HP:0001250", "two letters swapped: one edit, corrected"),
    ("hypotonai", "HP:0001252", "typo in a longer word: Hypotonia"),
    ("febrle seizure", "HP:0002373", "typo in one word of two: Febrile seizure"),
    ("febrile seizure", "HP:0002373", "the general febrile seizure before its rarer children (more genes through descendants)"),
    ("tall", "HP:0000098", "Tall stature, the common term, before Tall chin"),
]


@pytest.mark.parametrize("query, first, why", FORGIVING_CASES)
def test_forgiving_search_in_bundled_release(hpo, query, first, why):
    hits = hpo.search(query, 5)
    assert hits and hits[0].id == first, why


def test_corrected_and_lay_hits_say_so(hpo):
    [hit] = hpo.search("siezure", 1)
    assert hit.corrected == "seizure" and not hit.lay
    [hit] = hpo.search("fits", 1)
    assert hit.lay and hit.matched == "fits" and hit.corrected == ""
    assert hpo.search("seizure", 1)[0].corrected == ""  # nothing to correct


@pytest.mark.parametrize("query", ["xyzzy-not-a-phenotype", "qqqq", "sei"])
def test_correction_leaves_nonsense_and_words_being_typed(hpo, query):
    hits = hpo.search(query, 3)
    assert all(h.corrected == "" for h in hits)  # "sei" starts "seizure": still being typed, not a typo


def test_every_lay_word_names_a_current_term_it_finds_first(hpo):
    from ontology.lay import LAY_SYNONYMS

    for phrase, term in LAY_SYNONYMS.items():
        assert term in hpo.terms, f"{phrase}: {term} is not a current term"
        assert hpo.search(phrase, 1)[0].id == term, phrase
