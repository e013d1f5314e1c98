"""Prospective evaluation: how rankers do on cases the knowledge base (KB) has not seen, broken down the way it matters.

    from rft.prospective import case_facts, breakdown, format_breakdown
    facts = case_facts(eval_cases, hpo, train_genes)        # per case: gene in KB? named by a training case? match
    table = {name: breakdown(results, facts) for name, results in results_by_ranker.items()}
    print(format_breakdown(table))

A case's *match* is the fraction of its present terms that equal or descend from (are at or under) a term annotated to its
causal gene in the KB: about 1.0 on cases whose paper the KB was curated from, far less on new ones. Metrics
come with standard errors twice: over cases (as if independent) and clustered by publication (the honest one
when a few large cohorts dominate a window). `bench/prospective.py` runs the whole benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rft.metrics import reciprocal_rank
from rft.splits import publication_of, publication_pmid

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.evaluate import CaseResult

__all__ = ["SUBSETS", "WINDOW_SUBSETS", "CaseFacts", "breakdown", "case_facts", "format_breakdown", "format_summary", "match_fraction", "mean_with_se", "paired_difference", "publication_mean"]


@dataclass(frozen=True)
class CaseFacts:
    publication: str
    gene_in_kb: bool  # a causal gene has phenotype annotations in the KB (else no ranker can find it)
    seen: bool  # a causal gene is named by a training case
    match: float | None  # see the module docstring; None when the gene is not in the KB
    above_horizon: bool = False  # the case's paper (PMID) is newer than every paper the KB cites: the strict prospective cut


def match_fraction(hpo: Hpo, case: Case) -> float | None:
    """The fraction of the case's present terms at or under a term annotated to its causal gene (best gene)."""
    present = [t for t in case.present if t in hpo.terms]
    best: float | None = None
    for gene in case.genes:
        symbol = hpo.canonical_gene(gene)
        if symbol is None:
            continue
        annotated = hpo.gene_terms[symbol]
        hit = sum(1 for t in present if not hpo.ancestors(t, include_self=True).isdisjoint(annotated))
        value = hit / len(present) if present else 0.0
        best = value if best is None else max(best, value)
    return best


def case_facts(cases: Sequence[Case], hpo: Hpo, train_genes: set[str]) -> dict[str, CaseFacts]:
    """Per case id: its publication, whether the KB knows its gene, whether training named it, its match."""
    out = {}
    for c in cases:
        match = match_fraction(hpo, c)
        pmid = publication_pmid(c.id)
        above = hpo.horizon is not None and pmid is not None and pmid > hpo.horizon
        out[c.id] = CaseFacts(publication_of(c.id), match is not None, any(g in train_genes for g in c.genes), match, above)
    return out


SUBSETS = {
    "all": lambda f: True,
    "gene in KB": lambda f: f.gene_in_kb,
    "seen gene": lambda f: f.gene_in_kb and f.seen,
    "unseen gene": lambda f: f.gene_in_kb and not f.seen,
    "match < 0.5": lambda f: f.gene_in_kb and f.match < 0.5,
    "match >= 0.5": lambda f: f.gene_in_kb and f.match >= 0.5,
}
# The fresh window's view (bench/window.py): the whole window with leave-publication-out annotations, and the
# strict cut of papers newer than the KB's horizon.
WINDOW_SUBSETS = {
    "all": SUBSETS["all"],
    "gene in KB": SUBSETS["gene in KB"],
    "seen gene": SUBSETS["seen gene"],
    "unseen gene": SUBSETS["unseen gene"],
    "above horizon": lambda f: f.above_horizon,
    "unseen gene, above horizon": lambda f: f.above_horizon and f.gene_in_kb and not f.seen,
}


def mean_with_se(values: Sequence[float], groups: Sequence[str]) -> tuple[float, float, float]:
    """(mean, standard error over cases, standard error clustered by group); NaNs when empty."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    sums: dict[str, float] = {}
    for v, g in zip(values, groups):
        sums[g] = sums.get(g, 0.0) + (v - mean)
    k = len(sums)
    cluster = math.sqrt(sum(s * s for s in sums.values()) * (k / (k - 1) if k > 1 else 1.0)) / n
    return mean, math.sqrt(var / n), cluster


def _group_means(values: Sequence[float], groups: Sequence[str]) -> dict[str, float]:
    """Each group's (publication's) mean of `values`."""
    members: dict[str, list[float]] = {}
    for v, g in zip(values, groups):
        members.setdefault(g, []).append(v)
    return {g: sum(v) / len(v) for g, v in members.items()}


def publication_mean(values: Sequence[float], groups: Sequence[str]) -> float:
    """The mean over groups (publications) of each group's mean: every paper weighs the same, whatever its
    cohort's size (`rft.choose` chooses on it); NaN when empty."""
    means = _group_means(values, groups)
    return sum(means.values()) / len(means) if means else math.nan


def breakdown(results: Sequence[CaseResult], facts: dict[str, CaseFacts], subsets: dict | None = None) -> dict[str, dict[str, float]]:
    """Per subset (`SUBSETS`, or `subsets`): n, publications, top-1 / top-10 / MRR with their standard errors."""
    out = {}
    for name, keep in (subsets or SUBSETS).items():
        rows = [r for r in results if r.genes and keep(facts[r.case_id])]
        groups = [facts[r.case_id].publication for r in rows]
        entry: dict[str, float] = {"n": len(rows), "publications": len(set(groups))}
        for metric, value in (("top1", lambda r: float(r.rank == 1)), ("top10", lambda r: float(r.rank is not None and r.rank <= 10)),
                              ("mrr", lambda r: reciprocal_rank(r.rank))):
            entry[metric], entry[f"{metric}_se"], entry[f"{metric}_cse"] = mean_with_se([value(r) for r in rows], groups)
        entry["publication_mrr"] = publication_mean([reciprocal_rank(r.rank) for r in rows], groups)
        out[name] = entry
    return out


def paired_difference(a: Sequence[CaseResult], b: Sequence[CaseResult], facts: dict[str, CaseFacts]) -> dict[str, float]:
    """MRR of `a` minus MRR of `b` on the cases both graded, with the standard errors of that difference (over
    cases, and clustered by publication); and publication MRR of `a` minus `b` (`pub_mrr_diff`) with its SE over
    publications (`pub_se`). Paired: each case's difference is taken first, so what the two
    rankers share (an easy cohort, a hard one) cancels, and the SE is that of the comparison, not of either MRR."""
    rr = {r.case_id: reciprocal_rank(r.rank) for r in b if r.genes}
    pairs = [(reciprocal_rank(r.rank) - rr[r.case_id], facts[r.case_id].publication) for r in a if r.genes and r.case_id in rr]
    diff, se, cse = mean_with_se([d for d, _ in pairs], [g for _, g in pairs])
    # The same by publication (the statistic rft.choose chooses by): each paper's mean difference, then the mean
    # over papers, with its SE over papers.
    per_pub = _group_means([d for d, _ in pairs], [g for _, g in pairs])
    pub_diff, pub_se, _ = mean_with_se(list(per_pub.values()), list(per_pub))
    return {"n": len(pairs), "publications": len(per_pub), "mrr_diff": diff, "se": se, "cse": cse, "pub_mrr_diff": pub_diff, "pub_se": pub_se}


def format_breakdown(table: dict[str, dict[str, dict[str, float]]], metrics: Sequence[str] = ("top1", "mrr")) -> str:
    """Markdown: one row per ranker; per subset each metric as `value ± SE [publication-clustered SE]`."""
    first = next(iter(table.values()))
    head = "| ranker | " + " | ".join(f"{s} (n={first[s]['n']}, {first[s]['publications']} pubs): " + " / ".join(metrics) for s in first) + " |"
    lines = [head, "|---|" + "---|" * len(first)]
    for name, subsets in table.items():
        cells = []
        for s in first:
            e = subsets[s]
            cells.append(" / ".join(f"{e[m]:.3f} ± {e[m + '_se']:.3f} [{e[m + '_cse']:.3f}]" if e["n"] else "-" for m in metrics))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_summary(results: dict[str, Sequence[CaseResult]], table: dict[str, dict[str, dict[str, float]]], se: str = "se") -> str:
    """Markdown: one row per ranker over all cases (n, top-1/3/10, MRR, publication MRR), top-1 and MRR with
    `table`'s (`breakdown`'s) standard error `se` ("se" over cases, "cse" clustered by publication)."""
    from rft.metrics import summarize

    lines = ["| ranker | n | top-1 | top-3 | top-10 | MRR | publication MRR |", "|---|---|---|---|---|---|---|"]
    for name, rs in results.items():
        m, e = summarize([r.rank for r in rs]), table[name]["all"]
        lines.append(f"| {name} | {m['n']} | {m['top1']:.3f} ± {e['top1_' + se]:.3f} | {m['top3']:.3f} | {m['top10']:.3f} | "
                     f"{m['mrr']:.3f} ± {e['mrr_' + se]:.3f} | {e['publication_mrr']:.3f} |")
    return "\n".join(lines)
