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
(`CandidateRule`): the unannotated candidates go after the first `after` annotated ones (sooner when those fit
poorly: below `fit_rank` genome-wide), ordered among themselves by how alike in function (GO) they are to the
genes that fit the patient best (the ranking's first `REFERENCE_GENES`; `rft.genes.GoProfiles`), or by how much
NCBI Gene knows about them. The default rule was chosen
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

import numpy as np

from rft.genes import GeneTable, GoProfiles, load_gene_table, load_go_profiles
from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.rankers.base import Ranker

__all__ = [
    "DEFAULT_RULE", "REFERENCE_GENES", "UNANNOTATED_ORDERS", "CandidateList", "CandidateRanker", "CandidateRule", "describe_rule",
    "go_affinity", "parse_candidates", "read_candidates", "resolve_candidates", "restrict_ranking", "unannotated_label", "unannotated_note",
]

UNANNOTATED_ORDERS = ("go-similarity", "pubmed", "go", "list")
REFERENCE_GENES = 10  # "go-similarity": the ranking's best genes an unannotated candidate is compared with, weighted 1/rank
MAX_CANDIDATES = 50_000  # per case: more than every gene there is means the file is not a candidate list


@dataclass(frozen=True)
class CandidateRule:
    """Where the candidates the knowledge base does not annotate go in a candidate ranking.

    Attributes:
        after: they follow the first `after` annotated candidates (0: before every annotated one; a large
            number: after all of them).
        order: how they are ordered among themselves: "go-similarity" (most alike in GO terms to the genes the
            ranker put first genome-wide, each of the first `REFERENCE_GENES` weighted 1/rank: guilt by
            association), "pubmed" (most articles in NCBI Gene first), "go" (most GO annotations first) or
            "list" (as given). Ties (e.g. genes without GO terms) keep the pubmed order.
        fit_rank: they also go before every annotated candidate the ranker puts below this rank genome-wide
            (a poor phenotype fit: when even the best annotated candidate fits that poorly, the patient's gene is
            more likely one the knowledge base cannot score); None: only `after` decides.
    """

    after: int = 3
    order: str = "pubmed"
    fit_rank: int | None = None

    def __post_init__(self):
        if not isinstance(self.after, int) or self.after < 0:
            raise ValueError(f"CandidateRule.after must be a whole number >= 0, got {self.after!r}")
        if self.order not in UNANNOTATED_ORDERS:
            raise ValueError(f"CandidateRule.order {self.order!r} is unknown; choose one of {', '.join(UNANNOTATED_ORDERS)}")
        if self.fit_rank is not None and (not isinstance(self.fit_rank, int) or self.fit_rank < 1):
            raise ValueError(f"CandidateRule.fit_rank must be a rank >= 1 or None, got {self.fit_rank!r}")


# Chosen on the choose part of the 2025h2 window, 50 uniform candidates, 5 seeds, likelihood ranker (bench/candidates.py;
# docs/candidates.md): fit_rank 300 has the best top-1 (0.364; 0.354 without it, 0.357 at 1000), after=3 then the best
# MRR (0.440); the go-similarity order beats pubmed's at every `after` (MRR 0.430 against 0.423 at after=3, no fit_rank).
DEFAULT_RULE = CandidateRule(after=3, order="go-similarity", fit_rank=300)


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
    return float(facts.go if order == "go" else facts.pubmed)


def go_affinity(genes: Sequence[str], reference: Sequence[str], go: GoProfiles | None = None, similarity: np.ndarray | None = None) -> np.ndarray:
    """Each gene's GO similarity to the reference genes (best first), weighted 1/rank and summed: how much a gene
    the knowledge base cannot score looks, in function, like the genes that fit the patient best. `similarity`:
    `go.similarity(genes, reference)` when the caller has it already."""
    if similarity is None:
        similarity = (go or load_go_profiles()).similarity(list(genes), list(reference))
    return similarity @ (1.0 / np.arange(1, len(reference) + 1))


def restrict_ranking(ranking: Ranking, candidates: CandidateList, rule: CandidateRule = DEFAULT_RULE, table: GeneTable | None = None,
                     reference: Sequence[str] | None = None, go: GoProfiles | None = None, ranks: Mapping[str, int] | None = None) -> Ranking:
    """A full ranking cut to the candidates: annotated candidates in the ranking's order, then the unannotated ones
    inserted after the first `rule.after` of them (score NaN: nothing scored them), ordered by `rule.order`.

    `reference`: for the "go-similarity" order, the genes the unannotated ones are compared with (default: the
    ranking's first `REFERENCE_GENES` scored genes, i.e. genome-wide when `ranking` is). `ranks`: for
    `rule.fit_rank`, each gene's genome-wide rank (default: its position in `ranking`). An annotated candidate
    missing from the ranking (a ranker over a smaller universe) joins the unannotated ones."""
    wanted = set(candidates.annotated)
    kept = [g for g in ranking.genes if g.gene in wanted]
    ranked = {k.gene for k in kept}
    missing = [g for g in candidates.annotated if g not in ranked]
    rest = missing + candidates.unannotated
    why: dict[str, str] = {}
    if rule.order != "list":
        table = table or load_gene_table()
        position = {g: i for i, g in enumerate(rest)}
        affinity = dict.fromkeys(rest, 0.0)
        if rule.order == "go-similarity" and rest:
            if reference is None:
                reference = [g.gene for g in ranking.genes if not math.isnan(g.score)][:REFERENCE_GENES]
            sim = (go or load_go_profiles()).similarity(rest, reference)
            affinity = dict(zip(rest, go_affinity(rest, reference, similarity=sim).tolist()))
            for g, row in zip(rest, sim):
                if len(row) and row.max() > 0:
                    j = int(row.argmax())
                    why[g] = f"most alike in function (GO) to {reference[j]}, #{j + 1} for this patient genome-wide (similarity {row[j]:.2f})"
        rest = sorted(rest, key=lambda g: (-affinity[g], -_prior(g, rule.order, table), position[g]))
    cut = rule.after
    if rule.fit_rank is not None:
        if ranks is None:
            ranks = {g.gene: i for i, g in enumerate(ranking.genes, start=1)}
        cut = min(cut, sum(1 for g in kept if ranks.get(g.gene, math.inf) <= rule.fit_rank))  # kept is in rank order
    head, tail = kept[:cut], kept[cut:]
    genes = head + [RankedGene(g, math.nan) for g in rest] + tail
    return replace(ranking, genes=genes, unannotated=tuple(rest), unannotated_why=why)


def describe_rule(rule: CandidateRule = DEFAULT_RULE) -> str:
    """The rule in words, for a person reading a candidate ranking."""
    where = ("before every annotated candidate" if rule.after == 0 else "after every annotated candidate" if rule.after >= 1_000_000
             else f"after the best {rule.after} annotated candidate" + ("s" if rule.after > 1 else ""))
    if rule.fit_rank is not None and rule.after > 0:
        where += f" (sooner if those rank below #{rule.fit_rank} genome-wide: a poor fit)"
    order = {"go-similarity": "most alike in function (GO) to the genes that fit the patient best first", "pubmed": "most-studied first",
             "go": "most GO annotations first", "list": "in the order given"}[rule.order]
    return f"they go {where}, {order}"


def unannotated_note(gene: str, ranking: Ranking, hpo: Hpo, table: GeneTable | None = None, label: bool = True) -> str:
    """What is known about a candidate the KB does not annotate: the label (unless `label` is False), NCBI Gene's
    facts, and what placed it."""
    facts = (table or load_gene_table()).facts(gene)
    parts = [facts.summary() if facts else "not in NCBI Gene 2022-09"] + ([ranking.unannotated_why[gene]] if gene in ranking.unannotated_why else [])
    return (f"[{unannotated_label(hpo)}] " if label else "") + "; ".join(parts)


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
