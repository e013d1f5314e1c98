"""Fast, forgiving type-ahead search over HPO term ids, labels, synonyms and lay words.

Used through `Hpo.search(query, limit)`; the index is built on first use (~0.3 s) and answers a query in a
few milliseconds (see `bench/bench_search.py`). Ranking, best first:

    0 exact label   1 exact synonym (or lay word, `ontology.lay`)   2 label prefix   3 synonym prefix
    4 a word of the label/synonym starts with the query   5 substring   6 every query word somewhere

Within a tier the more general term goes first (the one more genes are annotated with, through its
descendants too: "febrile seizure" offers *Febrile seizure* before its rare children), then the shorter
matched text. A query that matches nothing is corrected word by word to the closest words of the index
(one edit for words up to 5 letters, two for longer; a swap of neighbours is one edit), and the hits carry
the corrected query ("siezure" finds *Seizure*, corrected to "seizure").
A query that looks like an id (`HP:0001250`, `hp_0001250`, `0001250`, `1250`) is matched on ids, with
obsolete and alternative ids redirected to the current term.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ontology.term import Term

__all__ = ["SearchHit", "TermSearchIndex", "normalize_query"]

_ID_QUERY = re.compile(r"^(?:hp[:_ ]?)?(\d{1,7})$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
_SHORT_PREFIX = 2  # queries up to this length are answered from a precomputed prefix table
_MIN_CORRECTED = 4  # shorter words are not corrected: too many words lie one edit away
_MAX_CORRECTED_WORDS = 6  # longer queries are not spelling-corrected (bounds the work for pasted text)


@dataclass(frozen=True)
class SearchHit:
    """One search result: the term, what text matched, and the tier (lower is better)."""

    id: str
    label: str
    matched: str
    tier: int
    lay: bool = False  # `matched` is a lay word (`ontology.lay`), not HPO's own label or synonym
    corrected: str = ""  # the query as corrected when the typed one matched nothing


def normalize_query(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower())


class TermSearchIndex:
    """Label/synonym index of one release's terms; build once, query many times.

    Args:
        terms: current terms by id.
        redirects: alternative and obsolete ids -> current id (an id query finds the current term).
        popularity: how common each term is, e.g. genes annotated with it or a descendant (higher goes first
            within a tier).
        lay_synonyms: lay phrase -> term id, searched as synonyms and marked as lay words.
    """

    def __init__(self, terms: Mapping[str, Term], redirects: Mapping[str, str], popularity: Mapping[str, float],
                 lay_synonyms: Mapping[str, str] | None = None):
        self._terms, self._redirects = terms, redirects
        texts, ids, is_label = [], [], []
        for term in terms.values():
            for j, text in enumerate((term.label, *term.synonyms)):
                texts.append(normalize_query(text))
                ids.append(term.id)
                is_label.append(j == 0)
        self._n_ontology_texts = len(texts)  # texts past this index are lay words
        for phrase, tid in (lay_synonyms or {}).items():
            tid = redirects.get(tid, tid)
            if tid in terms:
                texts.append(normalize_query(phrase))
                ids.append(tid)
                is_label.append(False)
        self._texts, self._ids, self._is_label = texts, ids, is_label
        self._longest = max((len(t) for t in texts), default=0)  # no query word longer than this can match
        self._popularity = popularity
        self._word_counts = Counter(w for text in texts for w in _WORD.findall(text))
        self._words = sorted(self._word_counts)
        self._id_digits = sorted((t.split(":", 1)[1], t) for t in terms)
        # Short queries match thousands of texts by substring; answer them from word-prefix lists instead.
        self._short_cache: dict[tuple[str, int], list[SearchHit]] = {}
        self._prefix: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            seen: set[str] = set()
            for word in text.split(" "):
                for n in range(1, _SHORT_PREFIX + 1):
                    if len(word) >= n and word[:n] not in seen:
                        seen.add(word[:n])
                        self._prefix.setdefault(word[:n], []).append(i)

    def _tier(self, i: int, q: str, words: list[str]) -> int | None:
        text, label = self._texts[i], self._is_label[i]
        if text == q:
            return 0 if label else 1
        if text.startswith(q):
            return 2 if label else 3
        if (" " + q) in text:
            return 4
        if q in text:
            return 5
        if len(words) > 1 and all(w in text for w in words):
            return 6
        return None

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Up to `limit` terms matching `query`, best first; an empty query gives no hits; a query that matches
        nothing as typed gives the hits of its spelling correction, if any (see the module docstring)."""
        q = normalize_query(query)
        if not q or limit <= 0:
            return []
        if m := _ID_QUERY.match(q):
            return self._search_id(m.group(1), limit)
        hits = self._search_text(q, limit)
        if not hits:
            corrected = self.correct(q)
            if corrected and corrected != q:
                hits = [SearchHit(h.id, h.label, h.matched, h.tier, h.lay, corrected) for h in self._search_text(corrected, limit)]
        return hits

    def correct(self, query: str) -> str | None:
        """`query` with each word the index lacks replaced by its closest indexed word (the most frequent of
        the closest); None when a word has nothing close. A last word that starts an indexed word is kept:
        it is still being typed."""
        words = _WORD.findall(normalize_query(query))
        if len(words) > _MAX_CORRECTED_WORDS:
            return None  # a pasted sentence, not a mistyped term: correcting it would cost a fuzzy scan per word
        out = []
        for n, word in enumerate(words):
            if word in self._word_counts or len(word) < _MIN_CORRECTED or (n == len(words) - 1 and self._starts_a_word(word)):
                out.append(word)
                continue
            max_edits = 1 if len(word) <= 5 else 2
            close = process.extract(word, self._words, scorer=OSA.distance, score_cutoff=max_edits, limit=20)
            if not close:
                return None
            out.append(min(close, key=lambda c: (c[1], -self._word_counts[c[0]]))[0])
        return " ".join(out) if out else None

    def _starts_a_word(self, prefix: str) -> bool:
        i = bisect.bisect_left(self._words, prefix)
        return i < len(self._words) and self._words[i].startswith(prefix)

    def _search_text(self, q: str, limit: int) -> list[SearchHit]:
        if len(q) <= _SHORT_PREFIX and (q, limit) in self._short_cache:
            return self._short_cache[(q, limit)]
        # Every word must lie inside one indexed text: a longer word, or more distinct words than a text has
        # characters, matches nothing. This bounds the work for pasted paragraphs (else texts x words).
        words = list(dict.fromkeys(q.split(" ")))
        if max(map(len, words)) > self._longest or len(words) > self._longest // 2:
            return []
        words.sort(key=len, reverse=True)  # the longest (rarest) word first: most texts fail at once
        if len(q) <= _SHORT_PREFIX:
            candidates = self._prefix.get(q, [])
        else:
            texts = self._texts
            if len(words) > 1:
                first = max(words, key=len)
                candidates = [i for i, t in enumerate(texts) if first in t and all(w in t for w in words)]
            else:
                candidates = [i for i, t in enumerate(texts) if q in t]
        best: dict[str, tuple[int, int, int, int]] = {}
        for i in candidates:
            tier = self._tier(i, q, words)
            if tier is None:
                continue
            tid = self._ids[i]
            key = (tier, -self._popularity.get(tid, 0), len(self._texts[i]), i)
            if tid not in best or key < best[tid]:
                best[tid] = key
        ranked = sorted(best.items(), key=lambda kv: kv[1])[:limit]
        hits = [SearchHit(tid, self._terms[tid].label, self._texts[key[3]], key[0], key[3] >= self._n_ontology_texts) for tid, key in ranked]
        if len(q) <= _SHORT_PREFIX:
            self._short_cache[(q, limit)] = hits  # a few hundred possible keys: keep them all
        return hits

    def _search_id(self, digits: str, limit: int) -> list[SearchHit]:
        hits: list[SearchHit] = []
        # "1250" means HP:0001250; "000125" (leading zero, short) is the start of an id being typed.
        full = f"HP:{int(digits):07d}" if len(digits) == 7 or not digits.startswith("0") else ""
        if full in self._terms or full in self._redirects:
            term = self._terms[self._redirects.get(full, full)]
            hits.append(SearchHit(term.id, term.label, full, 0))
        if len(digits) < 7:
            # A partial number is a prefix of the 7-digit id, as a person types it: "00012" → HP:00012xx.
            for d, tid in self._id_digits:
                if len(hits) >= limit:
                    break
                if d.startswith(digits) and tid != full:
                    hits.append(SearchHit(tid, self._terms[tid].label, tid, 2))
        return hits[:limit]
