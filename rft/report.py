"""Rankings turned into what a person reads or downloads: tables, metrics, top-k curves, summaries.

    from rft.report import case_results_frame, metrics_of, topk_curve
    results = case_results_frame(cases, rankings)          # one row per case: causal gene, rank, score
    metrics_of(results)                                    # top-k, MRR, grader score (rft.metrics.summarize)
    topk_curve(results["rank"], max_k=50)                  # fraction of cases solved within k, k = 1..50

Everything here is pure (no Streamlit, no files written) so the app's pages stay thin and the same
tables can be rebuilt in a notebook. Ranks and scores come from `rft.grader`, exactly as in evaluation.
"""

from __future__ import annotations

import html
import io
import json
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import pandas as pd

from rft.cases import Case, case_to_record
from rft.evidence import TermMatch
from rft.grader import rank_of, score_rank
from rft.metrics import summarize

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranker, Ranking

__all__ = [
    "RESULT_COLUMNS",
    "ranking_frame",
    "rankings_long_frame",
    "case_results_frame",
    "metrics_of",
    "metrics_table",
    "topk_curve",
    "topk_curves_frame",
    "rank_pairs",
    "read_saved_results",
    "rank_in_chunks",
    "diagnosis_record",
    "diagnosis_summary_html",
    "frame_to_csv_bytes",
    "records_to_jsonl_bytes",
    "gene_evidence_frames",
]

RESULT_COLUMNS = ("case_id", "n_present", "n_excluded", "causal_gene", "rank", "score", "top_genes")


def ranking_frame(ranking: Ranking, hpo: Hpo | None = None, truth: Sequence[str] = (), max_diseases: int = 3) -> pd.DataFrame:
    """One case's ranked genes: rank, gene, score, whether it is a causal gene, and associated diseases.

    Args:
        ranking: the ranker's output for one case.
        hpo: when given, adds a `diseases` column (first `max_diseases` disease names of each gene).
        truth: the causal gene(s), if known; marks them in the `causal` column.
    """
    wanted = {t.upper() for t in truth}
    rows = []
    for i, g in enumerate(ranking.genes, start=1):
        row: dict[str, Any] = {"rank": i, "gene": g.gene, "score": float(g.score)}
        if truth:
            row["causal"] = g.gene.upper() in wanted
        if hpo is not None:
            names = [name for _, name in hpo.diseases(g.gene)]
            row["diseases"] = "; ".join(names[:max_diseases]) + (f" (+{len(names) - max_diseases})" if len(names) > max_diseases else "")
        rows.append(row)
    columns = ["rank", "gene", "score"] + (["causal"] if truth else []) + (["diseases"] if hpo is not None else [])
    return pd.DataFrame(rows, columns=columns)


def rankings_long_frame(rankings: Sequence[Ranking]) -> pd.DataFrame:
    """Every ranked gene of every case, one row each: case_id, rank, gene, score (the downloadable form)."""
    rows = [(r.case_id, i, g.gene, float(g.score)) for r in rankings for i, g in enumerate(r.genes, start=1)]
    return pd.DataFrame(rows, columns=["case_id", "rank", "gene", "score"])


def case_results_frame(cases: Sequence[Case], rankings: Sequence[Ranking], k: int = 10, kind: str = "topk", show_top: int = 5) -> pd.DataFrame:
    """One row per ranked case: terms counted, causal gene, its rank (NA if not ranked) and the grader's score.

    Cases and rankings are matched by position, as `Ranker.rank` returns them; `score` is NA for cases
    without a known causal gene so that they do not count as failures.
    """
    assert len(cases) == len(rankings), "one ranking per case"
    rows = []
    for case, ranking in zip(cases, rankings):
        symbols = ranking.symbols
        rank = rank_of(symbols, case.genes) if case.genes else None
        rows.append(
            {
                "case_id": case.id,
                "n_present": len(case.present),
                "n_excluded": len(case.excluded),
                "causal_gene": ", ".join(case.genes),
                "rank": rank,
                "score": score_rank(rank, k, kind) if case.genes else None,
                "top_genes": ", ".join(symbols[:show_top]),
            }
        )
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    frame["rank"] = frame["rank"].astype("Int64")
    frame["score"] = frame["score"].astype("Float64")
    return frame


def _ranks(results: pd.DataFrame) -> list[int | None]:
    """Ranks of the cases that have a causal gene (None where it was not ranked)."""
    known = results[results["causal_gene"].fillna("").astype(str) != ""] if "causal_gene" in results else results
    return [None if pd.isna(r) else int(r) for r in known["rank"]]


def metrics_of(results: pd.DataFrame, k: int = 10, kind: str = "topk") -> dict[str, float]:
    """`rft.metrics.summarize` over the cases of a results frame that have a causal gene."""
    return summarize(_ranks(results), k=k, kind=kind)


def metrics_table(results_by_ranker: dict[str, pd.DataFrame], k: int = 10, kind: str = "topk") -> pd.DataFrame:
    """Metrics side by side: one row per ranker, one column per metric."""
    rows = {name: metrics_of(frame, k, kind) for name, frame in results_by_ranker.items()}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "ranker"
    table["n"] = table["n"].astype(int)
    return table.reset_index()


def topk_curve(ranks: Sequence[int | None] | pd.Series, max_k: int = 50) -> list[float]:
    """Fraction of cases whose causal gene is within the top k, for k = 1..max_k.

    >>> topk_curve([1, 3, None], max_k=3)
    [0.3333333333333333, 0.3333333333333333, 0.6666666666666666]
    """
    values = [None if r is None or pd.isna(r) else int(r) for r in ranks]
    n = len(values)
    if n == 0:
        return [0.0] * max_k
    return [sum(1 for r in values if r is not None and r <= k) / n for k in range(1, max_k + 1)]


def topk_curves_frame(results_by_ranker: dict[str, pd.DataFrame], max_k: int = 50) -> pd.DataFrame:
    """Long frame (ranker, k, fraction) of the top-k curves, ready for a line chart."""
    rows = []
    for name, frame in results_by_ranker.items():
        for k, frac in enumerate(topk_curve(_ranks(frame), max_k), start=1):
            rows.append((name, k, frac))
    return pd.DataFrame(rows, columns=["ranker", "k", "fraction"])


def rank_pairs(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, k: int = 10) -> pd.DataFrame:
    """Per-case ranks of two rankers on the same cases, and which one finds the gene within top k.

    Returns columns case_id, causal_gene, `rank_<a>`, `rank_<b>`, `winner` ("both", "neither", name_a, name_b).
    Only cases with a causal gene that both rankers ranked are kept.
    """
    cols = ["case_id", "causal_gene", "rank"]
    merged = a[cols].merge(b[["case_id", "rank"]], on="case_id", suffixes=(f"_{name_a}", f"_{name_b}"))
    merged = merged[merged["causal_gene"].fillna("").astype(str) != ""].reset_index(drop=True)
    ra, rb = merged[f"rank_{name_a}"], merged[f"rank_{name_b}"]
    hit_a = ra.notna() & (ra.fillna(k + 1) <= k)
    hit_b = rb.notna() & (rb.fillna(k + 1) <= k)
    winner = pd.Series("neither", index=merged.index)
    winner[hit_a & hit_b] = "both"
    winner[hit_a & ~hit_b] = name_a
    winner[~hit_a & hit_b] = name_b
    merged["winner"] = winner
    return merged


def read_saved_results(name: str, data: bytes) -> pd.DataFrame:
    """A per-case results CSV saved from the Batch page (needs `case_id` and `rank`; `causal_gene` optional).

    Raises:
        ValueError: the file is not CSV or lacks the needed columns.
    """
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype={"case_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ValueError(f"{name}: not a readable CSV file ({e})") from e
    missing = [c for c in ("case_id", "rank") if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: lacks column(s) {', '.join(missing)}; upload a results CSV downloaded from the Batch page")
    if "causal_gene" not in frame.columns:
        frame["causal_gene"] = "?"
    frame["rank"] = pd.to_numeric(frame["rank"], errors="coerce").astype("Int64")
    return frame


def rank_in_chunks(
    ranker: Ranker, cases: Sequence[Case], top: int | None, chunk_size: int = 16, start: int = 0
) -> Iterator[tuple[int, list[Ranking]]]:
    """Rank `cases[start:]` a chunk at a time, yielding (cases done so far, rankings of this chunk).

    The caller keeps each chunk as it arrives, so an error or an interruption loses only the chunk in
    flight; call again with `start` = cases done to continue.
    """
    assert chunk_size >= 1
    for i in range(start, len(cases), chunk_size):
        chunk = list(cases[i : i + chunk_size])
        yield i + len(chunk), ranker.rank(chunk, top=top)


def diagnosis_record(case: Case, ranking: Ranking, hpo: Hpo, ranker_name: str, evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON export of one diagnosis: the case with term labels, the ranker, HPO release and ranked genes."""
    truth = case.genes
    rank = rank_of(ranking.symbols, truth) if truth else None
    return {
        "case": case_to_record(case),
        "terms": {t: hpo.label(t) for t in (*case.present, *case.excluded)},
        "ranker": ranker_name,
        "hpo_version": hpo.version,
        "causal_gene_rank": rank,
        "genes": [
            {"rank": i, "gene": g.gene, "score": float(g.score), "diseases": [name for _, name in hpo.diseases(g.gene)]}
            | ({"evidence": evidence[g.gene]} if evidence and g.gene in evidence else {})
            for i, g in enumerate(ranking.genes, start=1)
        ],
    }


def diagnosis_summary_html(case: Case, ranking: Ranking, hpo: Hpo, ranker_name: str, k: int = 10, kind: str = "topk", top: int = 20) -> str:
    """A self-contained, printable HTML page: patient terms, the ranker, the top genes and their diseases."""
    e = html.escape
    present = "".join(f"<li>{e(hpo.label(t))} <small>{e(t)}</small></li>" for t in case.present) or "<li>none</li>"
    excluded = "".join(f"<li>{e(hpo.label(t))} <small>{e(t)}</small></li>" for t in case.excluded) or "<li>none</li>"
    wanted = {g.upper() for g in case.genes}
    rows = "".join(
        f"<tr{' class=causal' if g.gene.upper() in wanted else ''}><td>{i}</td><td><b>{e(g.gene)}</b></td><td>{g.score:.3f}</td>"
        f"<td>{e('; '.join(name for _, name in hpo.diseases(g.gene)[:3]))}</td></tr>"
        for i, g in enumerate(ranking.genes[:top], start=1)
    )
    truth = ""
    if case.genes:
        rank = rank_of(ranking.symbols, case.genes)
        where = f"rank {rank}" if rank else "not in the ranked list"
        truth = f"<p>Known causal gene {e(', '.join(case.genes))}: {where}; grader score {score_rank(rank, k, kind):.2f} ({kind}, k={k}).</p>"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Gene ranking: {e(case.id)}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ccc;padding:.3em;text-align:left}}tr.causal{{background:#fff3b0}}small{{color:#666}}</style>
</head><body>
<h1>Candidate genes for {e(case.id)}</h1>
<p>Ranker: {e(ranker_name)} &middot; HPO release {e(hpo.version)}</p>
<h2>Present phenotypes</h2><ul>{present}</ul>
<h2>Explicitly absent</h2><ul>{excluded}</ul>
{truth}
<h2>Top {min(top, len(ranking.genes))} genes</h2>
<table><tr><th>#</th><th>Gene</th><th>Score</th><th>Associated diseases</th></tr>{rows}</table>
<p><small>Research use only: a ranking of candidate genes, not a diagnosis.</small></p>
</body></html>
"""


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV without the index, for download buttons."""
    return frame.to_csv(index=False).encode("utf-8")


def records_to_jsonl_bytes(records: Sequence[dict[str, Any]], default: Callable[[Any], Any] | None = str) -> bytes:
    """One JSON object per line, for download buttons."""
    return "".join(json.dumps(r, default=default) + "\n" for r in records).encode("utf-8")



def gene_evidence_frames(hpo: Hpo, case: Case, gene: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per patient term, how it meets `gene`'s annotations; and the absent terms that count against it."""
    from rft.evidence import explain

    ev = explain(hpo, case, gene)
    columns = {
        "patient_label": "patient term",
        "patient_term": "id",
        "gene_label": "gene's annotated term",
        "common_label": "shared ancestor",
        "ic": "information content",
        "exact": "exact or more specific",
        "frequency": "annotated frequency",
    }
    frames = []
    for matches in (ev.present, ev.excluded):
        frame = pd.DataFrame([vars(m) for m in matches], columns=list(vars(TermMatch("", "", None, None, None, None, 0.0, False))))
        frames.append(frame[list(columns)].rename(columns=columns).round({"information content": 2}))
    return frames[0], frames[1]
