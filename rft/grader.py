"""The top-k rank grader: the reward of reinforcement fine-tuning *and* the evaluation metric.

A model answers a case with a ranked gene list as text. `parse_gene_list` reads it; `grade` scores it
against the causal gene(s); `TopKRankGrader` does the same for a batch in the shape of a TRL reward
function; `rft.metrics` aggregates the very same ranks into top-k and MRR, so what RFT optimises is what
the evaluation measures.

Scores (r = rank of the best-ranked causal gene, 1-based; every score is 0 when no causal gene is listed
or r > k):

| grader       | formula              | k=10: r=1, 2, 5, 10, 11    |
|--------------|----------------------|----------------------------|
| `topk` (default) | (k + 1 - r) / k  | 1.0, 0.9, 0.6, 0.1, 0      |
| `reciprocal` | 1 / r                | 1.0, 0.5, 0.2, 0.1, 0      |
| `hit`        | 1                    | 1, 1, 1, 1, 0              |

With `near_credit` (RFT only, `rft train --near-credit`), a list that misses the causal gene is not scored 0
but `near_credit` times its best listed gene's similarity to the causal gene (a number in [0, 1], e.g.
`OntologyMatrices.gene_similarity`: how alike the two genes' annotations are), discounted by rank as `topk`
is: a denser reward that still never ranks a miss above a hit within k when `near_credit <= 1/k`.

>>> grade("1. SCN1A\\n2. STXBP1", ["STXBP1"], k=10).score
0.9
>>> grade("", ["SCN1A"]).reason
'empty output'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_K",
    "GRADERS",
    "Grade",
    "ParsedGeneList",
    "TopKRankGrader",
    "grade",
    "parse_gene_list",
    "rank_of",
    "score_rank",
]

GRADERS = ("topk", "reciprocal", "hit")
DEFAULT_K = 10  # the grader's k everywhere: RFT reward, evaluation, the app
# Separators a model or a person may put between genes: newlines, commas, semicolons, pipes, tabs, '>'.
_SPLIT = re.compile(r"[\n\r,;|\t>]+|\s+")
_NUMBERING = re.compile(r"^(?:#?\d+[.):\]]?|[-*•])$")
_STRIP = "\"'`()[]{}.:*•-#"
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*(?:\.\d+)?$")
_SPECIAL = re.compile(r"<[^<>\s]*>")


@dataclass(frozen=True)
class ParsedGeneList:
    """Genes in the order given (duplicates removed at their first position) and the tokens dropped."""

    genes: tuple[str, ...]
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grade:
    """The grade of one answer: score in [0, 1], the rank found (None when absent), and why."""

    score: float
    rank: int | None
    reason: str


def parse_gene_list(text: Any, known_genes: Collection[str] | Mapping[str, str] | None = None) -> ParsedGeneList:
    """Read a ranked gene list from model output or user text; never raises.

    Tolerates numbering (`1.`, `2)`, `#3`), bullets, commas, newlines, special tokens (`<eos>`), quotes and
    any letter case. With `known_genes` (a collection, or a mapping from UPPER-CASE symbol to official
    symbol) tokens that are no known gene are dropped and the rest take the official spelling; without it,
    anything shaped like a gene symbol is kept, upper-cased.

    >>> parse_gene_list("1. scn1a, 2. STXBP1 <eos>", {"SCN1A", "STXBP1"}).genes
    ('SCN1A', 'STXBP1')
    """
    if not isinstance(text, str):
        return ParsedGeneList((), (repr(text)[:40],) if text is not None else ())
    if known_genes is not None and not isinstance(known_genes, Mapping):
        known_genes = {g.upper(): g for g in known_genes}
    genes: list[str] = []
    seen: set[str] = set()
    dropped: list[str] = []
    for raw in _SPLIT.split(_SPECIAL.sub(" ", text)):
        if not raw or _NUMBERING.match(raw):
            continue
        token = raw.strip(_STRIP)
        token = re.sub(r"^\d+[.)]", "", token)  # "1.SCN1A" written without a space
        if not token:
            continue
        if known_genes is not None:
            gene = known_genes.get(token.upper())
        else:
            gene = token.upper() if _SYMBOL.match(token) and not token.isdigit() else None
        if gene is None:
            dropped.append(raw)
        elif gene not in seen:
            seen.add(gene)
            genes.append(gene)
    return ParsedGeneList(tuple(genes), tuple(dropped))


def rank_of(genes: Sequence[str], truth: Collection[str]) -> int | None:
    """1-based rank of the best-ranked causal gene in `genes`, or None (case-insensitive)."""
    wanted = {t.upper() for t in truth}
    for i, g in enumerate(genes, start=1):
        if g.upper() in wanted:
            return i
    return None


def score_rank(rank: int | None, k: int = DEFAULT_K, kind: str = "topk") -> float:
    """The grader's score for a rank; see the table in the module docstring."""
    if kind not in GRADERS:
        raise ValueError(f"unknown grader {kind!r}; choose one of {', '.join(GRADERS)}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if rank is None or rank > k:
        return 0.0
    if kind == "topk":
        return (k + 1 - rank) / k
    if kind == "reciprocal":
        return 1.0 / rank
    return 1.0


def grade(
    output: Any,
    truth: Collection[str],
    k: int = DEFAULT_K,
    kind: str = "topk",
    known_genes: Collection[str] | Mapping[str, str] | None = None,
) -> Grade:
    """Grade one model output (text, or an already parsed list of genes) against the causal gene(s)."""
    if not truth:
        return Grade(0.0, None, "case has no causal gene")
    if isinstance(output, (list, tuple)) and all(isinstance(g, str) for g in output):
        genes = tuple(output)
    else:
        if not isinstance(output, str) or not output.strip():
            return Grade(0.0, None, "empty output" if isinstance(output, str) or output is None else f"output is {type(output).__name__}, not text")
        genes = parse_gene_list(output, known_genes).genes
        if not genes:
            return Grade(0.0, None, "no gene symbol found in output")
    rank = rank_of(genes, truth)
    if rank is None:
        return Grade(0.0, None, f"causal gene not among {len(genes)} listed")
    score = score_rank(rank, k, kind)
    return Grade(score, rank, f"rank {rank}" + ("" if score > 0 else f" is past k={k}"))


def _completion_text(completion: Any) -> Any:
    """TRL passes plain strings, or for conversational data a list of {"role", "content"} messages."""
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return completion[-1].get("content", "")
    return completion


class TopKRankGrader:
    """Batched grader in the shape of a TRL reward function (picklable, so it survives multiprocessing).

    >>> grader = TopKRankGrader(k=10)
    >>> grader(completions=["SCN1A STXBP1", "junk"], genes=[["STXBP1"], ["SCN1A"]])
    [0.9, 0.0]

    Args:
        k: ranks past k score 0.
        kind: one of `GRADERS`.
        known_genes: gene universe for parsing; unknown symbols are dropped (None keeps any symbol).
        near_credit: a miss scores this times max over listed genes of similarity(causal, gene) * (k + 1 - rank) / k
            (0: off, the plain grader).
        similarity: `similarity(causal_gene, listed_genes) -> sequence of floats in [0, 1]`; needed with near_credit.
    """

    def __init__(
        self,
        k: int = DEFAULT_K,
        kind: str = "topk",
        known_genes: Collection[str] | None = None,
        near_credit: float = 0.0,
        similarity: Callable[[str, Sequence[str]], Sequence[float]] | None = None,
    ):
        score_rank(1, k, kind)  # validates k and kind now rather than mid-training
        if not 0.0 <= near_credit <= 1.0:
            raise ValueError(f"near_credit must be between 0 and 1, got {near_credit}")
        if near_credit and similarity is None:
            raise ValueError("near_credit needs a similarity between genes")
        self.k = k
        self.kind = kind
        self.known_genes = None if known_genes is None else {g.upper(): g for g in known_genes}
        self.near_credit = near_credit
        self.similarity = similarity
        self.__name__ = f"{kind}_rank_k{k}" + (f"_near{near_credit:g}" if near_credit else "")  # TRL logs rewards under this name
        self.last_reasons: list[str] = []

    def __call__(self, completions: Sequence[Any], genes: Sequence[Sequence[str] | str], **kwargs: Any) -> list[float]:
        scores: list[float] = []
        reasons: list[str] = []
        for completion, truth in zip(completions, genes, strict=True):
            truth = [truth] if isinstance(truth, str) else list(truth or [])
            text = _completion_text(completion)
            g = grade(text, truth, self.k, self.kind, self.known_genes)
            score = g.score
            if self.near_credit and g.rank is None and truth:
                score = self._near(text, truth)
            scores.append(score)
            reasons.append(g.reason)
        self.last_reasons = reasons
        return scores

    def _near(self, text: Any, truth: Sequence[str]) -> float:
        """A miss's credit: its best listed gene's similarity to a causal gene, discounted by rank (see __init__)."""
        if isinstance(text, (list, tuple)) and all(isinstance(g, str) for g in text):
            genes = tuple(text)[: self.k]
        else:
            genes = parse_gene_list(text, self.known_genes).genes[: self.k] if isinstance(text, str) else ()
        if not genes:
            return 0.0
        discount = [(self.k + 1 - r) / self.k for r in range(1, len(genes) + 1)]
        best = 0.0
        for t in truth:
            sims = self.similarity(t, genes)
            best = max(best, max(min(max(float(x), 0.0), 1.0) * d for x, d in zip(sims, discount, strict=True)))
        return self.near_credit * best
