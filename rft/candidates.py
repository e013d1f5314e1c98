"""Rank within the patient's candidate genes (an exome's list): the one restriction every ranker goes through.

    from rft.candidates import CandidateRanker, read_candidates
    ranker = CandidateRanker(load_ranker("default", hpo), hpo, {"case1": ["SCN1A", "TTN", "p53"]})
    [ranking] = ranker.rank([case])          # only the candidates, each one placed
    ranking.unannotated                      # the candidates HPO does not annotate, placed by the rule below

    rft rank HP:0001250 --candidates genes.txt
    rft eval --cases cases.jsonl --ranker likelihood --candidates candidates.tsv

The wrapped ranker ranks the genes its knowledge base annotates (the whole ranking), and the list keeps the
candidates in that order. A candidate the HPO release does not annotate cannot be scored from phenotypes, yet
38-44 % of newly published patients carry one, so every such gene gets a place by an explicit rule
(`CandidateRule`): the unannotated candidates go after the first `after` annotated ones, ordered among
themselves by how much NCBI Gene knows about them (`rft.genes`; most-studied first). The default rule was chosen
on the choose part of the 2025h2 window (`bench/candidates.py`), never on the part it is reported on.

Symbols are resolved here, once: the knowledge base's own spelling first, then NCBI Gene's current symbols,
previous symbols and unambiguous aliases; a symbol nobody knows is kept (it may be newer than both) and named.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rft.genes import GeneTable, load_gene_table
from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = [
    "DEFAULT_RULE", "UNANNOTATED_ORDERS", "CandidateList", "CandidateRanker", "CandidateRule", "parse_candidates",
    "read_candidates", "resolve_candidates", "restrict_ranking", "unannotated_label",
]

UNANNOTATED_ORDERS = ("pubmed", "go", "list")
MAX_CANDIDATES = 50_000  # per case: more than every gene there is means the file is not a candidate list


@dataclass(frozen=True)
class CandidateRule:
    """Where the candidates the knowledge base does not annotate go in a candidate ranking.

    Attributes:
        after: they follow the first `after` annotated candidates (0: before every annotated one; a large
            number: after all of them).
        order: how they are ordered among themselves: "pubmed" (most articles in NCBI Gene first), "go" (most GO
            annotations first) or "list" (as given).
    """

    after: int = 3
    order: str = "pubmed"

    def __post_init__(self):
        if not isinstance(self.after, int) or self.after < 0:
            raise ValueError(f"CandidateRule.after must be a whole number >= 0, got {self.after!r}")
        if self.order not in UNANNOTATED_ORDERS:
            raise ValueError(f"CandidateRule.order {self.order!r} is unknown; choose one of {', '.join(UNANNOTATED_ORDERS)}")


# Chosen on the choose part of the 2025h2 window, 50 uniform candidates, 5 seeds, likelihood ranker (bench/candidates.py;
# docs/candidates.md): after 1..all tie on top-1 (0.354); after=3 has the best MRR (0.423); pubmed order beats the list's.
DEFAULT_RULE = CandidateRule(after=3, order="pubmed")


def unannotated_label(hpo: Hpo) -> str:
    return f"no phenotype annotation in HPO {hpo.version}"


@dataclass
class CandidateList:
    """A case's candidates, resolved: those the knowledge base annotates (its spelling), the rest, and what was
    noticed on the way (an alias resolved, a symbol nobody knows, a duplicate)."""

    annotated: list[str] = field(default_factory=list)
    unannotated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def genes(self) -> list[str]:
        return self.annotated + self.unannotated


def resolve_candidates(symbols: Sequence[str], hpo: Hpo, table: GeneTable | None = None) -> CandidateList:
    """Resolve a candidate list against the knowledge base and NCBI Gene, keeping every gene once, in order."""
    table = table or load_gene_table()
    out = CandidateList()
    seen: set[str] = set()
    for raw in symbols:
        s = str(raw).strip()
        if not s:
            continue
        kb = hpo.canonical_gene(s)
        ncbi = table.resolve(s)
        if kb is None and ncbi is not None:
            kb = hpo.canonical_gene(ncbi)  # the KB spells it by its current symbol
        gene = kb or ncbi or s.upper()
        if gene.upper() != s.upper():
            out.notes.append(f"{s} read as {gene}")
        elif kb is None and ncbi is None:
            out.notes.append(f"{s}: not a symbol, previous symbol or alias of a protein-coding gene in NCBI Gene 2022-09 nor in HPO {hpo.version}; kept, unranked")
        if gene in seen:
            continue
        seen.add(gene)
        (out.annotated if kb is not None else out.unannotated).append(gene)
    return out


def _prior(gene: str, order: str, table: GeneTable) -> float:
    facts = table.facts(gene)
    if facts is None:
        return -1.0
    return float(facts.pubmed if order == "pubmed" else facts.go)


def restrict_ranking(ranking: Ranking, candidates: CandidateList, rule: CandidateRule = DEFAULT_RULE, table: GeneTable | None = None) -> Ranking:
    """A full ranking cut to the candidates: annotated candidates in the ranking's order, then the unannotated ones
    inserted after the first `rule.after` of them (score NaN: nothing scored them), ordered by `rule.order`.

    An annotated candidate missing from the ranking (a ranker over a smaller universe) joins the unannotated ones."""
    wanted = set(candidates.annotated)
    kept = [g for g in ranking.genes if g.gene in wanted]
    ranked = {k.gene for k in kept}
    missing = [g for g in candidates.annotated if g not in ranked]
    rest = missing + candidates.unannotated
    if rule.order != "list":
        table = table or load_gene_table()
        position = {g: i for i, g in enumerate(rest)}
        rest = sorted(rest, key=lambda g: (-_prior(g, rule.order, table), position[g]))
    head, tail = kept[: rule.after], kept[rule.after :]
    genes = head + [RankedGene(g, math.nan) for g in rest] + tail
    return replace(ranking, genes=genes, unannotated=tuple(rest))


def parse_candidates(text: str, where: str = "candidates") -> dict[str, list[str]] | list[str]:
    """A candidates file's text: TSV `case_id<TAB>gene` (one row per candidate) -> {case_id: genes}; else a gene
    list for every case (one per line, or separated by commas, spaces or semicolons) -> genes.

    Raises:
        ValueError: naming the line, when a TSV row lacks its gene, or the file holds no gene.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if any("\t" in ln for ln in lines):
        per_case: dict[str, list[str]] = {}
        for n, row in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t"), start=1):
            cells = [c.strip() for c in row]
            if len(cells) < 2 or not cells[0] or not cells[1]:
                raise ValueError(f"{where}: line {n} {row!r} is not 'case_id<TAB>gene'")
            if n == 1 and cells[0].lower() in ("case_id", "id", "case") and cells[1].lower() in ("gene", "genes", "symbol"):
                continue  # a header
            per_case.setdefault(cells[0], []).append(cells[1])
        if sum(len(v) for v in per_case.values()) > MAX_CANDIDATES * max(len(per_case), 1):
            raise ValueError(f"{where}: more than {MAX_CANDIDATES} candidates per case")
        if not per_case:
            raise ValueError(f"{where}: no 'case_id<TAB>gene' row")
        return per_case
    genes = [g for ln in lines for g in ln.replace(",", " ").replace(";", " ").split()]
    if not genes:
        raise ValueError(f"{where}: no gene symbol; give one per line, or TSV 'case_id<TAB>gene'")
    if len(genes) > MAX_CANDIDATES:
        raise ValueError(f"{where}: {len(genes)} genes, more than {MAX_CANDIDATES}; this is not a candidate list")
    return genes


def read_candidates(path: str | Path) -> dict[str, list[str]] | list[str]:
    """`parse_candidates` of a file (a gene list or TSV `case_id<TAB>gene`), or the genes of an annotated VCF
    (`.vcf`, `.vcf.gz`, `.vcf.bgz`: `rft.vcf.read_vcf_genes` with its default filters; its problems on stderr)."""
    if str(path).lower().endswith((".vcf", ".vcf.gz", ".vcf.bgz")):
        import sys

        from rft.vcf import read_vcf_genes

        found = read_vcf_genes(path)
        for step, variants, genes in found.steps:
            print(f"{path}: {step}: {variants} variants" + (f", {genes} genes" if genes else ""), file=sys.stderr)
        for p in found.problems[:20]:
            print(f"{path}: {p}", file=sys.stderr)
        if not found.genes:
            raise ValueError(f"{path}: no variant passes the filters (FILTER=PASS, impact >= MODERATE, population AF <= 0.01); no candidate gene")
        return found.genes
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"candidates file {path} cannot be read: {e}") from e
    return parse_candidates(text, str(path))


class CandidateRanker:
    """Any ranker restricted to each case's candidates: the one way the CLI, the app and the benchmarks rank
    within an exome's genes.

    Args:
        ranker: ranks the genes its knowledge base annotates (any `rft.registry.load_ranker` result).
        hpo: the release the ranker scores with (its genes are the annotated ones).
        candidates: {case_id: genes}, one list for every case, or None: each case's own `Case.candidates`.
            A case with candidates from neither is refused (ValueError): a genome-wide ranking must never pass
            for a candidate ranking.
        rule: where unannotated candidates go.
    """

    per_case_universe = True  # rft.evaluate: a causal gene is in reach when it is among the case's candidates

    def __init__(self, ranker: Ranker, hpo: Hpo, candidates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
                 rule: CandidateRule = DEFAULT_RULE, table: GeneTable | None = None):
        self.ranker, self.hpo, self.rule, self.table = ranker, hpo, rule, table or load_gene_table()
        self.candidates = candidates
        self.name = f"{ranker.name} within candidates"
        self.score_meaning = ranker.score_meaning + "; candidates without HPO annotation have no score (placed by rule)"
        self.classical = getattr(ranker, "classical", None)
        self._resolved: dict[tuple[str, ...], CandidateList] = {}

    def candidates_of(self, case: Case) -> CandidateList:
        given = self.candidates
        if isinstance(given, Mapping):
            genes = given.get(case.id) or case.candidates
        else:
            genes = given if given else case.candidates
        if not genes:
            raise ValueError(f"case {case.id!r} has no candidate genes: give them in the candidates file (case_id<TAB>gene) or in the case")
        key = tuple(genes)
        if key not in self._resolved:
            self._resolved[key] = resolve_candidates(key, self.hpo, self.table)
        return self._resolved[key]

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        lists = [self.candidates_of(c) for c in cases]  # refused before any ranking, not after
        out = []
        for case, cl, ranking in zip(cases, lists, self.ranker.rank(cases, top=None)):
            r = restrict_ranking(ranking, cl, self.rule, self.table)
            out.append(r if top is None else replace(r, genes=r.genes[:top]))
        return out
