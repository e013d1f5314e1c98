"""The domain tokenizer: one token per HPO term and per gene symbol, and the prompt/completion format.

A case becomes a prompt of term tokens and the answer is a ranked list of gene tokens:

    <case> HP:0001250 HP:0001263 <not> HP:0000365 <genes>      # prompt: present terms, then excluded ones
    SCN1A STXBP1 KCNQ2 <eos>                                   # completion: genes, best first

    from rft.model import build_tokenizer, case_to_prompt
    tokenizer = build_tokenizer(hpo)          # a PreTrainedTokenizerFast over a word-level vocabulary
    tokenizer.save_pretrained("folder")       # AutoTokenizer.from_pretrained("folder") loads it back

The vocabulary is fixed by the HPO release: special tokens first, then every current term (sorted), then every
gene symbol with a phenotype annotation (sorted). Gene symbols never look like `HP:` ids, so a token's kind is
read from its spelling (`is_gene_token`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ontology.normalize import resolve_term
from rft.notices import notice

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = [
    "CASE",
    "EOS",
    "GENES",
    "MAX_EXCLUDED",
    "MAX_PRESENT",
    "NOT",
    "PAD",
    "SPECIAL_TOKENS",
    "UNK",
    "build_tokenizer",
    "case_to_prompt",
    "format_completion",
    "format_prompt",
    "gene_token_ids",
    "is_gene_token",
    "prompt_terms",
]

PAD, UNK, EOS, CASE, NOT, GENES = "<pad>", "<unk>", "<eos>", "<case>", "<not>", "<genes>"
SPECIAL_TOKENS = (PAD, UNK, EOS, CASE, NOT, GENES)
# Real phenopackets list up to ~70 present and ~170 excluded terms; past these caps the most specific
# (highest-IC) terms are kept, which keeps prompts short and latency flat.
MAX_PRESENT = 48
MAX_EXCLUDED = 24


def is_gene_token(token: str) -> bool:
    """True for a gene symbol token (not an HPO term, not a special token such as `<genes>` or `<kb0>`)."""
    return not token.startswith("HP:") and token not in SPECIAL_TOKENS and not (token.startswith("<") and token.endswith(">"))


def build_tokenizer(hpo: Hpo, kb_tokens: Sequence[str] = ()):
    """A word-level `PreTrainedTokenizerFast` whose vocabulary is the specials, `kb_tokens` (the knowledge head's
    fold tokens, `rft.model.knowledge.KB_TOKENS`), every term and every gene of `hpo`."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = list(SPECIAL_TOKENS) + list(kb_tokens) + sorted(hpo.terms) + hpo.genes
    clash = [g for g in hpo.genes if not is_gene_token(g)]
    assert not clash, f"gene symbols that look like terms or specials: {clash[:5]}"
    vocab = {w: i for i, w in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token=UNK,
        pad_token=PAD,
        eos_token=EOS,
        bos_token=CASE,
        additional_special_tokens=[NOT, GENES, *kb_tokens],
        padding_side="left",  # prompts are left-padded so that every row generates from its last column
        model_max_length=2 + MAX_PRESENT + MAX_EXCLUDED + 1 + 64,
    )


def gene_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Ids of every gene token, in vocabulary order."""
    vocab = tokenizer.get_vocab()
    return sorted(i for tok, i in vocab.items() if is_gene_token(tok))


def _map_to_vocab(term: str, hpo: Hpo, vocab: dict[str, int] | None) -> str | None:
    """A term the vocabulary knows: the term itself, else its closest ancestor(s) in the vocabulary."""
    if vocab is None or term in vocab:
        return term
    # A term newer than the tokenizer: fall back to the nearest ancestor the model knows (less specific, still true).
    frontier = list(hpo.parents(term)) if term in hpo.terms else []
    seen: set[str] = set()
    while frontier:
        known = sorted(t for t in frontier if t in vocab)
        if known:
            return max(known, key=lambda t: hpo.ic.get(t, 0.0))
        seen.update(frontier)
        frontier = [p for t in frontier if t in hpo.terms for p in hpo.parents(t) if p not in seen]
    return None


def _resolve(values: Iterable[str], hpo: Hpo, vocab: dict[str, int] | None, what: str, case_id: str) -> list[str]:
    ids: list[str] = []
    for v in values:
        r = resolve_term(hpo, v)
        term = _map_to_vocab(r.id, hpo, vocab) if r.id is not None else None
        if term is None:
            notice("term_dropped", f"case {case_id}: dropped {what} term {v!r} ({r.note or 'not in the model vocabulary'})")
            continue
        if term not in ids:
            ids.append(term)
    return ids


def _most_specific(terms: list[str], hpo: Hpo, cap: int, what: str = "present", case_id: str = "") -> list[str]:
    """At most `cap` terms, the most informative; a warning names the terms cut (the model's positions are few)."""
    if len(terms) <= cap:
        return terms
    keep = set(sorted(terms, key=lambda t: -hpo.ic.get(t, 0.0))[:cap])
    cut = [t for t in terms if t not in keep]
    named = ", ".join(cut[:8]) + (f" and {len(cut) - 8} more" if len(cut) > 8 else "")  # a readable line, not hundreds of ids
    notice("prompt_cut", f"case {case_id}: the prompt holds at most {cap} {what} terms; cut the {len(cut)} least specific: {named}")
    return [t for t in terms if t in keep]  # keep the given order


def prompt_terms(
    case: Case, hpo: Hpo, tokenizer: PreTrainedTokenizerBase | None = None, vocab: dict[str, int] | None = None
) -> tuple[list[str], list[str]]:
    """The present and excluded term ids that go into the prompt of `case`.

    Obsolete and alternative ids are mapped to their replacement; with a `tokenizer`, terms it does not know
    (a newer HPO release) are mapped to their nearest known ancestor. What cannot be mapped is dropped with a
    warning, never an exception. Excluded terms that are also present are dropped; past `MAX_PRESENT` /
    `MAX_EXCLUDED` the most specific terms are kept. `vocab` (the tokenizer's `get_vocab()`) saves rebuilding
    it for every case.
    """
    if vocab is None and tokenizer is not None:
        vocab = tokenizer.get_vocab()
    present = _resolve(case.present, hpo, vocab, "present", case.id)
    excluded = [t for t in _resolve(case.excluded, hpo, vocab, "excluded", case.id) if t not in present]
    return _most_specific(present, hpo, MAX_PRESENT, "present", case.id), _most_specific(excluded, hpo, MAX_EXCLUDED, "excluded", case.id)


def case_to_prompt(case: Case, hpo: Hpo, tokenizer: PreTrainedTokenizerBase | None = None, vocab: dict[str, int] | None = None) -> str:
    """The model's prompt for a case: `<case> [<kb0>] present... [<not> excluded...] <genes>`.

    Args:
        case: the patient; its term ids may be obsolete or alternative ids (they are mapped).
        hpo: the ontology used to map ids.
        tokenizer: if given, terms outside its vocabulary are mapped to a known ancestor or dropped.
        vocab: the tokenizer's vocabulary, if already at hand.

    Returns:
        The prompt text, e.g. `<case> HP:0001250 HP:0001263 <not> HP:0000365 <genes>`.
    """
    if vocab is None and tokenizer is not None:
        vocab = tokenizer.get_vocab()
    present, excluded = prompt_terms(case, hpo, tokenizer, vocab)
    return format_prompt(present, excluded, kb=0 if vocab is not None and "<kb0>" in vocab else None)


def format_prompt(present: Sequence[str], excluded: Sequence[str] = (), kb: int | None = None) -> str:
    """The prompt for already-mapped term ids (no checks); see `case_to_prompt`. `kb` adds the knowledge
    head's fold token `<kb N>` after `<case>` (0: the full knowledge base; see `rft.model.knowledge`)."""
    parts = [CASE, *([f"<kb{kb}>"] if kb is not None else []), *present]
    if excluded:
        parts += [NOT, *excluded]
    parts.append(GENES)
    return " ".join(parts)


def format_completion(genes: Sequence[str]) -> str:
    """The completion for a ranked gene list: `SCN1A STXBP1 <eos>`.

    >>> format_completion(["SCN1A", "STXBP1"])
    'SCN1A STXBP1 <eos>'
    """
    return " ".join([*genes, EOS])
