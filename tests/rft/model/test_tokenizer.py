from __future__ import annotations

import warnings

import pytest

from rft.cases import Case
from rft.model import build_tokenizer, case_to_prompt, format_completion, gene_token_ids, is_gene_token


def test_vocabulary_holds_specials_terms_and_genes(mini_hpo):
    tok = build_tokenizer(mini_hpo)
    vocab = tok.get_vocab()
    assert {"<case>", "<not>", "<genes>", "<eos>", "<pad>", "<unk>"} <= set(vocab)
    assert set(mini_hpo.terms) <= set(vocab)
    genes = tok.convert_ids_to_tokens(gene_token_ids(tok))
    assert sorted(genes) == mini_hpo.genes == ["C9orf72", "GJB2", "SCN1A", "STXBP1"]


def test_prompt_round_trips_through_the_tokenizer(mini_hpo):
    tok = build_tokenizer(mini_hpo)
    # HP:0001250 Seizure, HP:0001263 Global developmental delay; excluded HP:0000365 Hearing impairment
    prompt = case_to_prompt(Case("c", ("HP:0001250", "HP:0001263"), ("HP:0000365",)), mini_hpo, tok)
    assert prompt == "<case> HP:0001250 HP:0001263 <not> HP:0000365 <genes>"
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids and len(ids) == 6
    assert tok.decode(ids) == prompt


@pytest.mark.parametrize(
    "present, expected",
    [
        (("HP:0000999", "HP:0001263"), "<case> HP:0001250 HP:0001263 <genes>"),  # obsolete Fits -> Seizure
        (("HP:0001275",), "<case> HP:0001250 <genes>"),  # alt id of Seizure
        (("hp_0001263",), "<case> HP:0001263 <genes>"),  # sloppy spelling of Global developmental delay
    ],
)
def test_obsolete_and_alternative_ids_are_mapped(mini_hpo, present, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a mapped id is no reason to warn
        assert case_to_prompt(Case("c", present), mini_hpo) == expected


def test_unknown_ids_are_dropped_with_a_warning_not_an_exception(mini_hpo):
    case = Case("c", ("HP:0001250", "HP:9999999", "HP:0000888"))  # Seizure, unknown, obsolete without replacement
    with pytest.warns(UserWarning, match="HP:9999999"):
        prompt = case_to_prompt(case, mini_hpo)
    assert prompt == "<case> HP:0001250 <genes>"


def test_excluded_term_that_is_also_present_is_dropped(mini_hpo):
    case = Case("c", ("HP:0001250",), ("HP:0001250", "HP:0000365"))  # Seizure both present and excluded
    assert case_to_prompt(case, mini_hpo) == "<case> HP:0001250 <not> HP:0000365 <genes>"


def test_completion_format_and_token_kinds():
    assert format_completion(["SCN1A", "STXBP1"]) == "SCN1A STXBP1 <eos>"
    assert is_gene_token("SCN1A") and not is_gene_token("HP:0001250") and not is_gene_token("<genes>")
