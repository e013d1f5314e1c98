"""What a person reads or downloads, rendered from rankings and graded results: tables, curves, summaries.

    from rft.report import results_frame, ranking_frame, topk_curves_frame
    results_frame(results)                                  # one row per case (rft.evaluate.CaseResult)
    ranking_frame(ranking, hpo, truth=("SCN1A",))           # one case's genes, with their diseases
    topk_curves_frame({"similarity": ranks_a, "default": ranks_b})

Everything here renders: grading, metrics and comparisons are computed by `rft.evaluate` (with the grader's
own functions), and nothing here writes files except `plot_topk`, which draws a PNG where it is told. No
Streamlit: the app's pages and the CLI share these.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import pandas as pd

from rft.cases import Case, case_to_record
from rft.evaluate import Comparison, results_rows
from rft.evidence import Evidence
from rft.grader import DEFAULT_K, rank_of, score_rank
from rft.metrics import topk_curve
from rft.phenopacket_export import RESEARCH_USE, software_version
from rft.rankers.base import tied_ranks
from rft.writes import PROJECT_MARKER, csv_cell, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from ontology.hpo import Hpo
    from rft.evaluate import CaseResult
    from rft.rankers.base import Ranking

__all__ = [
    "RESULT_COLUMNS",
    "diagnosis_record",
    "diagnosis_summary_html",
    "download_name",
    "evidence_frame",
    "format_comparison",
    "frame_to_csv_bytes",
    "gate_sentence",
    "gene_disease_names",
    "plot_topk",
    "rank_pairs",
    "ranking_frame",
    "rankings_long_frame",
    "records_to_jsonl_bytes",
    "results_frame",
    "topk_curves_frame",
]

RESULT_COLUMNS = ("case_id", "causal_gene", "rank", "score", "top_genes", "n_present", "n_excluded")


def ranking_frame(ranking: Ranking, hpo: Hpo | None = None, truth: Sequence[str] = (), max_diseases: int = 3) -> pd.DataFrame:
    """One case's ranked genes: rank, tie, gene, score, (a fusion's) model rank and classical rank, whether it is
    a causal gene, and associated diseases.

    `rank` is the position in the list, the grader's convention (`rft.grader.rank_of`: equal scores keep the
    ranker's order); `tie` is "=k" when the gene's score equals a neighbour's, k being the rank they share.

    Args:
        ranking: the ranker's output for one case.
        hpo: when given, adds `inheritance` (the modes of the gene's diseases: AD, AR, XLR, ...) and `diseases` (the
            first `max_diseases` disease names of each gene).
        truth: the causal gene(s), if known; marks them in the `causal` column.
    """
    wanted = {t.upper() for t in truth}
    shared = tied_ranks(ranking)
    rows = []
    for i, g in enumerate(ranking.genes, start=1):
        tied = (i > 1 and shared[i - 1] == shared[i - 2]) or (i < len(shared) and shared[i] == shared[i - 1])
        row: dict[str, Any] = {"rank": i, "tie": f"={int(shared[i - 1])}" if tied else "", "gene": g.gene, "score": float(g.score)}
        if ranking.fusion is not None and i <= len(ranking.fusion.model_ranks):  # a fused score's two halves
            row["model rank"] = int(ranking.fusion.model_ranks[i - 1])
            row["classical rank"] = int(ranking.fusion.classical_ranks[i - 1])
        if truth:
            row["causal"] = g.gene.upper() in wanted
        if hpo is not None:
            names = gene_disease_names(hpo, g.gene)
            row["inheritance"] = ", ".join(hpo.inheritance(g.gene))
            row["diseases"] = "; ".join(names[:max_diseases]) + (f" (+{len(names) - max_diseases})" if len(names) > max_diseases else "")
        rows.append(row)
    columns = ["rank", "tie", "gene", "score"] + (["model rank", "classical rank"] if ranking.fusion is not None else []) + (["causal"] if truth else []) + (["inheritance", "diseases"] if hpo is not None else [])
    return pd.DataFrame(rows, columns=columns)


def gene_disease_names(hpo: Hpo, gene: str) -> list[str]:
    """The names of a gene's diseases, each once: OMIM and Orphanet often name one disease alike ("KBG syndrome")."""
    return list(dict.fromkeys(name for _, name in hpo.diseases(gene)))


def rankings_long_frame(rankings: Sequence[Ranking]) -> pd.DataFrame:
    """Every ranked gene of every case, one row each: case_id, rank, gene, score (the downloadable form)."""
    rows = [(r.case_id, i, g.gene, float(g.score)) for r in rankings for i, g in enumerate(r.genes, start=1)]
    return pd.DataFrame(rows, columns=["case_id", "rank", "gene", "score"])


def results_frame(results: Sequence[CaseResult]) -> pd.DataFrame:
    """One row per graded case: causal gene, its rank (NA if not ranked), the grader's score (NA without a
    causal gene, so such cases never count as failures), the head of the ranking, term counts."""
    frame = pd.DataFrame(results_rows(results), columns=list(RESULT_COLUMNS))
    frame["rank"] = frame["rank"].astype("Int64")
    frame["score"] = frame["score"].astype("Float64")
    return frame


def topk_curves_frame(ranks_by_ranker: dict[str, Sequence[int | None]], max_k: int = 50) -> pd.DataFrame:
    """Long frame (ranker, k, fraction) of the top-k curves (`rft.metrics.topk_curve`), ready for a line chart."""
    rows = [(name, k, frac) for name, ranks in ranks_by_ranker.items() for k, frac in enumerate(topk_curve(list(ranks), max_k), start=1)]
    return pd.DataFrame(rows, columns=["ranker", "k", "fraction"])


def rank_pairs(comparison: Comparison, name_a: str, name_b: str, k: int = DEFAULT_K) -> pd.DataFrame:
    """Per common case, the ranks two rankers gave and which one finds the gene within the top k.

    Returns columns case_id, causal_gene, rank_a, rank_b, winner ("both", "neither", "a", "b").
    """
    frame = pd.DataFrame({
        "case_id": comparison.case_ids, "causal_gene": comparison.causal,
        "rank_a": pd.array(comparison.ranks[name_a], dtype="Int64"), "rank_b": pd.array(comparison.ranks[name_b], dtype="Int64"),
    })
    hit_a = frame["rank_a"].fillna(k + 1) <= k
    hit_b = frame["rank_b"].fillna(k + 1) <= k
    winner = pd.Series("neither", index=frame.index)
    winner[hit_a & hit_b] = "both"
    winner[hit_a & ~hit_b] = "a"
    winner[~hit_a & hit_b] = "b"
    return frame.assign(winner=winner)


def plot_topk(comparison: Comparison, png: str | Path, max_k: int = 50, force: bool = False, inputs: Sequence[str | Path] = ()) -> None:
    """Top-k accuracy for k = 1..max_k on the compared cases, one line per ranker, as a PNG (written atomically;
    an existing file only with `force`, never over one of `inputs`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ks = list(range(1, max_k + 1))
    for name, ranks in comparison.ranks.items():
        ax.plot(ks, topk_curve(ranks, max_k), label=name)
    ax.set_xlabel("k")
    ax.set_ylabel("fraction of cases with the causal gene in the top k")
    ax.set_xscale("log")
    ax.set_xticks([1, 3, 5, 10, 20, 50])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(f"top-k accuracy on {comparison.n_common} common cases")
    ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": PROJECT_MARKER})  # ours: `rft compare` may redraw it
    plt.close(fig)
    write_atomic(png, buffer.getvalue(), force=force, inputs=inputs, what="--plot")


def format_comparison(c: Comparison) -> str:
    """The comparison as a markdown table plus one line per pairwise test (what `rft compare` prints)."""
    import math

    from rft.metrics import TOP_KS

    keys = [f"top{k}" for k in TOP_KS] + ["mrr", "mean_score", "top_max"]
    lines = [f"{c.n_common} cases common to all files" + "".join(f"; {n}: {d} dropped" for n, d in c.dropped.items() if d)
             + (f"; {len(c.mismatched)} left out whose causal genes differ between files (e.g. {c.mismatched[0]})" if c.mismatched else "")]
    if c.cut is not None:
        lines.append(f"warning: a file kept only the top {c.cut} genes per case; every ranker is compared within its top {c.cut}")
    lines.append("| ranker | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for n, m in c.metrics.items():
        lines.append(f"| {n} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |")
    for p in c.pairwise:
        pv = "n/a" if math.isnan(p["wilcoxon_p"]) else f"{p['wilcoxon_p']:.2g}"
        lines.append(f"{p['name']} vs {p['against']}: better on {p['wins']}, worse on {p['losses']}, tied on {p['ties']} cases (Wilcoxon signed-rank p = {pv})")
    return "\n".join(lines)


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
            {"rank": i, "gene": g.gene, "score": None if math.isnan(g.score) else float(g.score), "diseases": gene_disease_names(hpo, g.gene)}
            | (_fused_parts(ranking, i - 1))
            | ({"evidence": evidence[g.gene]} if evidence and g.gene in evidence else {})
            for i, g in enumerate(ranking.genes, start=1)
        ],
    }


def _fused_parts(ranking: Ranking, i: int) -> dict[str, Any]:
    """A fused gene's model rank, classical rank and the model's weight (empty for other rankers)."""
    f = ranking.fusion
    if f is None or i >= len(f.model_ranks):
        return {}
    return {"model_rank": int(f.model_ranks[i]), "classical_rank": int(f.classical_ranks[i]), "model_weight": f.weight, "rrf_k": f.k}


def diagnosis_summary_html(
    case: Case, ranking: Ranking, hpo: Hpo, ranker_name: str, k: int = DEFAULT_K, kind: str = "topk", top: int = 20, created: datetime | None = None,
) -> str:
    """A self-contained, printable HTML page: the research-use disclaimer on top, the date, software, ranker and HPO
    release (the knowledge base), patient terms, the top genes and their diseases."""
    e = html.escape
    present = "".join(f"<li>{e(hpo.label(t))} <small>{e(t)}</small></li>" for t in case.present) or "<li>none</li>"
    excluded = "".join(f"<li>{e(hpo.label(t))} <small>{e(t)}</small></li>" for t in case.excluded) or "<li>none</li>"
    wanted = {g.upper() for g in case.genes}
    rows = "".join(
        f"<tr{' class=causal' if g.gene.upper() in wanted else ''}><td>{i}</td><td><b>{e(g.gene)}</b></td><td>{'no HPO annotation' if math.isnan(g.score) else f'{g.score:.3f}'}</td>"
        f"<td>{e('; '.join(gene_disease_names(hpo, g.gene)[:3]))}</td></tr>"
        for i, g in enumerate(ranking.genes[:top], start=1)
    )
    truth = ""
    if case.genes:
        rank = rank_of(ranking.symbols, case.genes)
        where = f"rank {rank}" if rank else "not in the ranked list"
        truth = f"<p>Known causal gene {e(', '.join(case.genes))}: {where}; grader score {score_rank(rank, k, kind):.2f} ({kind}, k={k}).</p>"
    made = f"{(created or datetime.now(timezone.utc)):%Y-%m-%d %H:%M} UTC"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Gene ranking: {e(case.id)}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ccc;padding:.3em;text-align:left}}tr.causal{{background:#fff3b0}}small{{color:#666}}
.disclaimer{{border:1px solid #c00;padding:.5em;color:#900}}</style>
</head><body>
<p class=disclaimer><b>{e(RESEARCH_USE)}</b></p>
<h1>Candidate genes for {e(case.id)}</h1>
<p>{e(made)} &middot; {e(software_version())} &middot; ranker {e(ranker_name)} &middot; HPO release (knowledge base) {e(hpo.version)}</p>
<h2>Present phenotypes</h2><ul>{present}</ul>
<h2>Explicitly absent</h2><ul>{excluded}</ul>
{truth}
<h2>Top {min(top, len(ranking.genes))} genes</h2>
<table><tr><th>#</th><th>Gene</th><th>Score</th><th>Associated diseases</th></tr>{rows}</table>
</body></html>
"""


def download_name(kind: str, ranker: str, suffix: str, day: date | None = None) -> str:
    """A download's file name: what it holds, the ranker that made it (its spec, a model folder by its name), the date.

    >>> download_name("rankings", "default", "csv", date(2026, 11, 30))
    'rankings_default_2026-11-30.csv'
    >>> download_name("results", "model:runs/rft 3/merged", "csv", date(2026, 11, 30))
    'results_merged_2026-11-30.csv'
    """
    name = PurePath(ranker.removeprefix("model:")).name
    slug = re.sub(r"[^A-Za-z0-9.+-]+", "-", name).strip("-.") or "ranker"
    return f"{kind}_{slug}_{(day or date.today()).isoformat()}.{suffix}"


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV without the index, for download buttons; text cells (and headers) neutralised against
    spreadsheet formulas (`rft.writes.csv_cell`)."""
    safe = frame.rename(columns=csv_cell)
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(csv_cell)
    return safe.to_csv(index=False).encode("utf-8")


def records_to_jsonl_bytes(records: Sequence[dict[str, Any]], default: Callable[[Any], Any] | None = str) -> bytes:
    """One JSON object per line, for download buttons."""
    return "".join(json.dumps(r, default=default) + "\n" for r in records).encode("utf-8")


def evidence_frame(ev: Evidence) -> pd.DataFrame:
    """`rft.evidence.explain`'s result as one table that adds up: per patient term (present first, by effect,
    then absent ones), the disease's annotation it met, how it met it, that annotation's frequency, and the
    term's contribution to the score (signed; "not counted" where the ranker ignores it); then the parts that
    are not terms (a tie-break), and a last row, "total", that is the ranker's score of the gene."""
    rows = []
    for finding, matches in (("present", ev.present), ("absent", ev.excluded)):
        for t in matches:
            rows.append({
                "finding": finding,
                "patient term": ("✗ " if finding == "absent" else "") + f"{t.patient_label} · {t.patient_term}",
                "disease's annotation": t.gene_label or "—",
                "match": t.how,
                "frequency": "—" if t.frequency is None else f"{t.frequency:.0%}",
                "contribution": "not counted" if t.contribution is None else f"{t.contribution:+.3f}",
            })
    for what, value in ev.parts:
        rows.append({"finding": "", "patient term": "", "disease's annotation": "", "match": what, "frequency": "", "contribution": f"{value:+.4f}"})
    rows.append({"finding": "", "patient term": "total", "disease's annotation": "", "match": f"the {ev.method} ranker's score of {ev.gene}",
                 "frequency": "", "contribution": f"{ev.score:+.3f}"})
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


EVIDENCE_COLUMNS = ("finding", "patient term", "disease's annotation", "match", "frequency", "contribution")


def gate_sentence(verdict: dict, partner: str) -> str:
    """One line on a gated fusion's verdict for a patient (`Ranking.gate`): did the tuned model have a say, and why.

    >>> gate_sentence({"open": False, "confidence": 0.12, "lift": 1.4, "disagreement": 240.0}, "likelihood")[:60]
    'This patient does not look like the case reports the model w'
    >>> gate_sentence({"open": False, "confidence": 0.12, "lift": 1.4, "disagreement": 240.0,
    ...                "rule": "the model has a say where its first gene's probability is at least 0.5"}, "likelihood")[-81:]
    "The rule: the model has a say where its first gene's probability is at least 0.5."
    """
    lift = "" if verdict["lift"] == float("inf") else f" ({verdict['lift']:.1f}× what its base gives it)"
    read = f"its first gene has probability {verdict['confidence']:.2f}{lift} and is #{verdict['disagreement']:.0f} for the {partner} ranker"
    rule = f" The rule: {verdict['rule']}." if verdict.get("rule") else ""
    if verdict["open"]:
        return f"**Gate open:** the tuned model had a say on this patient: {read}, so it resembles the case reports the model was tuned on.{rule}"
    return (f"This patient does not look like the case reports the model was tuned on ({read}), so the list is the {partner} "
            f"ranker's alone (**gate shut**): on such patients the tuned model is no better than a lookup (docs/benchmark.md).{rule}")
