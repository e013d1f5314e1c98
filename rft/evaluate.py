"""Evaluation: rank cases with any ranker, grade every ranking, save and read the results, compare rankers.

    rft eval --ranker similarity --cases cases.zip --out results/similarity.jsonl
    rft eval --model default --cases cases.zip --out results/default.jsonl
    rft compare results/similarity.jsonl results/default.jsonl results_likelihood_2026-11-30.csv   # a Batch page download

    from rft.evaluate import evaluate, grade_rankings, compare
    results, metrics = evaluate(ranker, cases)          # rank + grade + summarise
    results = grade_rankings(cases, rankings)           # grade rankings made elsewhere (the app's pages)

`grade_rankings` is the one place where a ranking meets the causal gene: ranks come from `rft.grader.rank_of`
and scores from `rft.grader.score_rank`, exactly what RFT is rewarded with. Results are saved as JSONL (`rft
eval --out`) or CSV (the Batch page's download), with the same columns; `read_results` reads either, so
`rft compare` and the Compare page take both.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rft.cases.case import clean_text
from rft.grader import DEFAULT_K, rank_of, score_rank
from rft.metrics import summarize
from rft.writes import csv_cell, uncsv_cell, write_atomic

if TYPE_CHECKING:
    from rft.cases import Case
    from rft.rankers.base import Ranker, Ranking

__all__ = [
    "CaseResult",
    "Comparison",
    "compare",
    "evaluate",
    "grade_rankings",
    "rank_in_chunks",
    "ranker_universe",
    "read_results",
    "result_name",
    "results_metrics",
    "results_rows",
    "results_text",
    "unique_names",
    "write_results",
]

KEEP_TOP = 10  # genes kept per case in a results file


@dataclass
class CaseResult:
    """One ranked case, graded: where its causal gene landed and what the grader gives for that."""

    case_id: str
    genes: tuple[str, ...] = ()  # the causal gene(s); empty when unknown
    rank: int | None = None  # of the best-ranked causal gene, 1-based; None when not in the ranking
    score: float | None = None  # the grader's score; None when the case has no causal gene
    top_genes: tuple[str, ...] = ()  # the head of the ranking
    ranker: str = ""
    n_present: int = 0
    n_excluded: int = 0
    ms: float = 0.0
    in_universe: bool = True  # is a causal gene among the genes the ranker can rank at all?
    kept: int | None = None  # genes kept per case (the Batch page keeps a head); None: the whole ranking
    extra: dict[str, Any] = field(default_factory=dict, repr=False)  # other columns of a results file, kept


def grade_rankings(
    cases: Sequence[Case],
    rankings: Sequence[Ranking],
    k: int = DEFAULT_K,
    grader: str = "topk",
    ranker: str = "",
    universe: set[str] | None = None,
    keep_top: int = KEEP_TOP,
    kept: int | None = None,
) -> list[CaseResult]:
    """Grade each case's ranking (matched by position) against its causal genes.

    Args:
        universe: the genes the ranker can rank (None: each ranking's own genes, right only for full rankings;
            for rankings cut to a head, pass `ranker_universe(ranker)`).
        kept: how many genes each ranking was cut to (None: whole rankings); saved with the results, so that
            `compare` compares such a file with others within the same depth.
    """
    assert len(cases) == len(rankings), "one ranking per case"
    out = []
    for case, ranking in zip(cases, rankings):
        symbols = ranking.symbols
        rank = rank_of(symbols, case.genes) if case.genes else None
        known = universe if universe is not None else set(symbols)
        out.append(
            CaseResult(
                case.id, tuple(case.genes), rank, score_rank(rank, k, grader) if case.genes else None, tuple(symbols[:keep_top]),
                ranker, len(case.present), len(case.excluded), round(ranking.ms, 3), any(g in known for g in case.genes), kept,
            )
        )
    return out


def ranker_universe(ranker: Ranker) -> set[str] | None:
    """The genes `ranker` can rank at all (its `genes`), or None when it does not say."""
    genes = getattr(ranker, "genes", None)
    return set(genes) if genes is not None else None


def rank_in_chunks(ranker: Ranker, cases: Sequence[Case], top: int | None, chunk_size: int = 256, start: int = 0) -> Iterator[tuple[int, list[Ranking]]]:
    """Rank `cases[start:]` a chunk at a time, yielding (cases done so far, rankings of this chunk).

    The caller keeps each chunk as it arrives, so an error or an interruption loses only the chunk in flight;
    call again with `start` = cases done to continue.
    """
    assert chunk_size >= 1
    for i in range(start, len(cases), chunk_size):
        chunk = list(cases[i : i + chunk_size])
        yield i + len(chunk), ranker.rank(chunk, top=top)


def evaluate(ranker: Ranker, cases: Sequence[Case], k: int = DEFAULT_K, grader: str = "topk", batch_size: int = 256) -> tuple[list[CaseResult], dict]:
    """Rank every case with a causal gene (full rankings), grade it, and summarise.

    Returns:
        (results, metrics): metrics hold top-1/3/5/10/50, MRR, mean grader score, top-max, ms per case, and how
        many cases' causal gene lies outside the ranker's gene universe.
    """
    cases = [c for c in cases if c.genes]
    results: list[CaseResult] = []
    universe: set[str] | None = None
    for done, rankings in rank_in_chunks(ranker, cases, None, batch_size):
        if universe is None and rankings and not getattr(ranker, "per_case_universe", False):
            universe = set(rankings[0].symbols)  # a full ranking lists every gene the ranker knows (a candidate list: its own)
        results += grade_rankings(cases[done - len(rankings) : done], rankings, k, grader, ranker.name, universe)
    return results, results_metrics(results, k, grader)


def results_metrics(results: Sequence[CaseResult], k: int = DEFAULT_K, grader: str = "topk") -> dict:
    """`rft.metrics.summarize` over the results that have a causal gene, plus ms per case and genes out of reach."""
    known = [r for r in results if r.genes]
    metrics = summarize([r.rank for r in known], k=k, kind=grader)
    metrics["ms_per_case"] = sum(r.ms for r in known) / max(len(known), 1)
    metrics["not_in_universe"] = sum(1 for r in known if not r.in_universe)
    return metrics


# -- results files -------------------------------------------------------------------------------------
_COLUMNS = ("case_id", "ranker", "causal_gene", "rank", "score", "top_genes", "n_present", "n_excluded", "ms", "in_universe", "genes_kept")
_LEGACY = {"genes": "causal_gene", "top10": "top_genes"}  # the JSONL keys of earlier `rft eval --out` files


def _row(r: CaseResult, joined: bool) -> dict[str, Any]:
    genes, top = list(r.genes), list(r.top_genes)
    return {
        "case_id": r.case_id, "ranker": r.ranker, "causal_gene": ", ".join(genes) if joined else genes, "rank": r.rank,
        "score": r.score, "top_genes": ", ".join(top) if joined else top, "n_present": r.n_present,
        "n_excluded": r.n_excluded, "ms": r.ms, "in_universe": r.in_universe, "genes_kept": r.kept,
    } | r.extra


def results_rows(results: Sequence[CaseResult], joined: bool = True) -> list[dict[str, Any]]:
    """One plain dict per result, gene lists joined with ", " (CSV, tables) or kept as lists (JSONL)."""
    return [_row(r, joined) for r in results]


def results_text(results: Sequence[CaseResult], csv_format: bool = False) -> str:
    """Results as JSONL (one object per case, gene lists as lists), or as CSV with the same columns (cells
    neutralised against spreadsheet formulas, `rft.writes.csv_cell`)."""
    if not csv_format:
        return "".join(json.dumps(row) + "\n" for row in results_rows(results, joined=False))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(_COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in results_rows(results))
    return buffer.getvalue()


def write_results(results: Sequence[CaseResult], path: str | Path, force: bool = False, inputs: Sequence[str | Path] = ()) -> None:
    """Write results as JSONL, or as CSV when `path` ends in .csv; atomically, never over an existing file
    without `force` nor over one of `inputs` (`rft.writes.write_atomic`)."""
    write_atomic(path, results_text(results, Path(path).suffix.lower() == ".csv"), force=force, inputs=inputs)


def _genes(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(clean_text(g) for g in value if isinstance(g, (str, int)) and str(g).strip())
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    return tuple(g.strip() for g in clean_text(value).replace(";", ",").split(",") if g.strip())


_MAX_RANK = 10**9  # more than any ranking holds: a larger "rank" (1e999, inf) is a damaged file


def _number(value: Any, where: str, name: str, lo: float, hi: float, whole: bool = False) -> float | int | None:
    """One numeric field of a results line, typed and bounded: None when empty, else a finite number in [lo, hi]
    (a whole one when `whole`); anything else (a list, text, inf, 1e999, 2.5 for a rank) is a ValueError naming
    the file, line, field and value."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    not_one = f"{where}: {name} {shown} is not a {'whole ' if whole else ''}number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(not_one)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(not_one) from None
    if not (math.isfinite(number) and lo <= number <= hi) or (whole and number != int(number)):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{where}: {name} {shown} must be {kind} from {lo:g} to {hi:g}")
    return int(number) if whole else number


def _rank(value: Any, where: str) -> int | None:
    return _number(value, where, "rank", 1, _MAX_RANK, whole=True)


def _result(record: dict[str, Any], where: str) -> CaseResult:
    record = {_LEGACY.get(key, key): value for key, value in record.items()}
    if not record.get("case_id") or "rank" not in record:
        raise ValueError(f"{where}: a results line needs 'case_id' and 'rank' (written by `rft eval --out` or the Batch page)")
    score = _number(record.get("score"), where, "score", -1e12, 1e12)
    in_universe = record.get("in_universe", True)
    kept = record.get("genes_kept")
    kept = None if kept in (None, "") or (isinstance(kept, float) and math.isnan(kept)) else _rank(kept, where)
    count = lambda name: int(_number(record.get(name), where, name, 0, _MAX_RANK, whole=True) or 0)
    return CaseResult(
        clean_text(record["case_id"]), _genes(record.get("causal_gene")), _rank(record["rank"], where), score, _genes(record.get("top_genes")),
        clean_text(record.get("ranker") or ""), count("n_present"), count("n_excluded"),
        float(_number(record.get("ms"), where, "ms", 0, 1e12) or 0.0), in_universe if isinstance(in_universe, bool) else str(in_universe).lower() != "false", kept,
        {key: value for key, value in record.items() if key not in _COLUMNS},
    )


def read_results(name: str | Path, data: bytes | None = None) -> list[CaseResult]:
    """Results written by `rft eval --out` (JSONL) or downloaded from the Batch page (CSV), from a path or bytes.

    Raises:
        ValueError: naming the file (and line) when it is missing, empty, or lacks `case_id` / `rank`.
    """
    name = str(name)
    if data is None:
        if not Path(name).is_file():
            raise ValueError(f"results file {name} does not exist")
        data = Path(name).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{name}: not UTF-8 text ({e.reason})") from None
    results: list[CaseResult] = []
    if name.lower().endswith((".csv", ".tsv")):
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t" if name.lower().endswith(".tsv") else ",")
        missing = [c for c in ("case_id", "rank") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{name}: lacks column(s) {', '.join(missing)}; use a results file from `rft eval --out` or the Batch page")
        results = [_result({k: uncsv_cell(v) for k, v in row.items()}, f"{name}:{reader.line_num}") for row in reader]
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{name}:{n}: not valid JSON ({e.msg})") from None
            except RecursionError:  # 100,000 nested "[": never a results line
                raise ValueError(f"{name}:{n}: JSON nested too deeply to be a results line") from None
            if not isinstance(record, dict):
                raise ValueError(f"{name}:{n}: a results line must be a JSON object")
            results.append(_result(record, f"{name}:{n}"))
    if not results:
        raise ValueError(f"results file {name} holds no case")
    seen: dict[str, int] = {}
    for i, r in enumerate(results):  # keyed by case id downstream (compare, the Compare page): a repeat would collapse
        if r.case_id in seen:
            raise ValueError(f"results file {name}: case id {r.case_id!r} appears twice (results {seen[r.case_id] + 1} and {i + 1}); "
                             "a results file holds each case once")
        seen[r.case_id] = i
    return results


# -- comparing rankers ---------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Rankers on the cases they all ranked: metrics, per-case ranks, and each against the first."""

    names: list[str]
    case_ids: list[str]  # common to every ranker and with a causal gene, sorted
    causal: list[str]  # the causal gene(s) of each common case, joined
    ranks: dict[str, list[int | None]]  # per ranker, aligned with case_ids
    dropped: dict[str, int]  # per ranker: its cases left out (not common, or no causal gene)
    metrics: dict[str, dict]
    pairwise: list[dict]  # each ranker against the first: wins, losses, ties, Wilcoxon signed-rank p
    cut: int | None = None  # a results file kept only this many genes per case: every ranker compared within this depth
    mismatched: list[str] = field(default_factory=list)  # case ids the results give different causal genes: left out

    @property
    def n_common(self) -> int:
        return len(self.case_ids)


def compare(results: dict[str, Sequence[CaseResult]], k: int = DEFAULT_K) -> Comparison:
    """Compare rankers' results on the cases common to all of them that have a causal gene.

    A case counts as a win for a ranker when it ranks the causal gene better (an unranked gene is worse than
    any rank); the Wilcoxon signed-rank test is on the paired ranks. When a results file kept only the head of
    each ranking (`CaseResult.kept`, the Batch page's "genes kept"), every ranker is compared within the
    shallowest head (`Comparison.cut`): a rank below it counts as unranked everywhere, so a gene one file cut off
    is not a loss against a file that kept it.

    Raises:
        ValueError: fewer than two rankers, or no case in common.
    """
    from scipy.stats import wilcoxon

    if len(results) < 2:
        raise ValueError("compare needs at least two results")
    by_id = {name: {r.case_id: r for r in rs} for name, rs in results.items()}
    shared = sorted(set.intersection(*({i for i, r in d.items() if r.genes} for d in by_id.values())))
    # A case is the same case only if every file gives it the same causal gene(s): paired by id alone, FBN1 in one
    # file and MECP2 in another would be compared as one patient.
    genes_of = lambda c: {frozenset(g.upper() for g in d[c].genes) for d in by_id.values()}
    mismatched = [c for c in shared if len(genes_of(c)) > 1]
    common = [c for c in shared if len(genes_of(c)) == 1]
    if not common:
        if mismatched:
            c = mismatched[0]
            seen = " vs ".join(", ".join(by_id[n][c].genes) for n in results)
            raise ValueError(f"the results share case ids but not their causal genes ({len(mismatched)} cases, e.g. {c}: {seen}): "
                             "they are not results on the same cases")
        raise ValueError("the results share no case with a causal gene: nothing to compare")
    names = list(results)
    cut = min((by_id[n][c].kept for n in names for c in common if by_id[n][c].kept is not None), default=None)
    ranks = {n: [by_id[n][c].rank if cut is None or (by_id[n][c].rank or cut + 1) <= cut else None for c in common] for n in names}
    worst = 1 + max((r or 0) for rs in ranks.values() for r in rs)
    first = [r or worst for r in ranks[names[0]]]
    pairwise = []
    for name in names[1:]:
        other = [r or worst for r in ranks[name]]
        wins = sum(1 for a, b in zip(first, other) if b < a)
        losses = sum(1 for a, b in zip(first, other) if b > a)
        p = float(wilcoxon(other, first, zero_method="wilcox").pvalue) if wins + losses else float("nan")
        pairwise.append({"name": name, "against": names[0], "wins": wins, "losses": losses, "ties": len(common) - wins - losses, "wilcoxon_p": p})
    return Comparison(
        names, common, [", ".join(by_id[names[0]][c].genes) for c in common], ranks,
        {n: len(d) - len(common) for n, d in by_id.items()}, {n: summarize(ranks[n], k=k) for n in names}, pairwise, cut, mismatched,
    )


def result_name(results: Sequence[CaseResult], fallback: str) -> str:
    """The ranker a results file names, else `fallback` (e.g. the file's stem)."""
    return next((r.ranker for r in results if r.ranker), "") or fallback


def unique_names(names: Sequence[str]) -> list[str]:
    """Names made distinct by a counter, so two files of the same ranker are both kept."""
    out: list[str] = []
    for n in names:
        name, i = n, 2
        while name in out:
            name, i = f"{n} ({i})", i + 1
        out.append(name)
    return out
