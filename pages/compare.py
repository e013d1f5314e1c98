"""Compare: two or more rankers or models on the same cases (or saved results files), side by side."""

import math
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from rft import report
from rft.case_knowledge import CASE_KNOWLEDGE_ENV, case_knowledge_paths
from rft.cases import load_cases_from_bytes
from rft.evaluate import compare, grade_rankings, read_results, result_name, unique_names
from rft.grader import DEFAULT_K
from rft.markdown import escape_markdown
from rft.registry import ranker_choices
from rft.splits import publication_of
from rft.ui import (
    CASE_KNOWLEDGE_LABEL,
    EXAMPLES_DIR,
    cached_ranker,
    case_upload,
    current_hpo,
    rank_with_progress,
    ranker_with_case_knowledge,
)

hpo, release = current_hpo()
st.session_state.setdefault("cmp_results", {})  # ranker name -> list of CaseResult

st.title("Compare")
st.caption("Metrics side by side, top-k curves, a paired test, and the cases one ranker solves and another does not. Cases need a known causal gene.")

run_tab, saved_tab = st.tabs(["Run rankers on cases", "Saved results"])
with run_tab:
    files = case_upload("Cases (phenopacket JSON/zip, JSONL or CSV)", "cmp_upload")
    use_example = st.checkbox("Use the example cases (data/examples/cases.jsonl)", key="cmp_use_example", value=not files)
    choices = {c.label: c for c in ranker_choices()}
    # With $RFT_CASE_KNOWLEDGE set, each ranker is offered a second time with the solved cases added as knowledge (each
    # compared case's own paper left out, as on Batch and in `rft eval --case-knowledge`): the same ranker with and
    # without them, side by side.
    with_cases = {f"{label}{CASE_KNOWLEDGE_LABEL}": label for label in choices} if case_knowledge_paths() else {}
    picked = st.multiselect("Rankers (two or more)", [*choices, *with_cases], default=list(choices)[:2], key="cmp_rankers",
                            help=f"'…{CASE_KNOWLEDGE_LABEL}': the ranker with the solved cases of `{CASE_KNOWLEDGE_ENV}` added as knowledge, "
                                 "each compared case's own paper left out." if with_cases else None)
    source = files[0] if files else None
    if source is None and use_example:
        source = ("cases.jsonl", (EXAMPLES_DIR / "cases.jsonl").read_bytes())
    cases = []
    if source is not None:
        try:
            batch = load_cases_from_bytes(source[0], source[1], hpo, require_gene=True)
        except ValueError as e:
            st.error(escape_markdown(e, limit=1000))
        else:
            cases = batch.cases
            note = f"{len(cases)} cases with a causal gene"
            if batch.problems:
                note += f"; {len(batch.problems)} problem(s), {batch.n_read - len(cases)} record(s) skipped"
            st.caption(note)
    run = st.button("Compare", key="cmp_run", type="primary", disabled=len(picked) < 2 or not cases)
    if len(picked) < 2:
        st.info("Pick at least two rankers.")
    if run:
        results = {}
        for label in picked:
            try:
                if label in with_cases:
                    ranker = ranker_with_case_knowledge(choices[with_cases[label]].spec, release, {publication_of(c.id) for c in cases})
                else:
                    ranker = cached_ranker(choices[label].spec, release)
                rankings = rank_with_progress(ranker, cases, None, label=f"{label}: ")
            except (ValueError, ImportError) as e:
                st.error(f"{label}: {escape_markdown(e, limit=1000)}")
                continue
            results[label] = grade_rankings(cases, rankings, k=DEFAULT_K, ranker=label)
        st.session_state.cmp_results = results

with saved_tab:
    saved = case_upload("Two or more results files: CSV from the Batch page, or JSONL from `rft eval --out`", "cmp_saved",
                        types=["csv", "jsonl"], multiple=True)
    if st.button("Compare saved results", key="cmp_run_saved", disabled=len(saved) < 2):
        loaded, names = [], []
        for name, data in saved:
            try:
                loaded.append(read_results(name, data))
            except ValueError as e:
                st.error(escape_markdown(e, limit=1000))
                continue
            names.append(result_name(loaded[-1], Path(name).stem))  # the ranker the file names, as `rft compare` does
        st.session_state.cmp_results = dict(zip(unique_names(names), loaded))

results = st.session_state.cmp_results
if len(results) < 2:
    st.stop()
try:
    comparison = compare(results, k=DEFAULT_K)
except ValueError as e:
    st.error(escape_markdown(e, limit=1000))
    st.stop()

st.divider()
st.subheader("Metrics")
dropped = [f"{n}: {d}" for n, d in comparison.dropped.items() if d]
st.caption(f"{comparison.n_common} cases with a causal gene ranked by every ranker" + (f" (left out, not common to all: {escape_markdown(', '.join(dropped))})" if dropped else "")
           + (f"; {len(comparison.mismatched)} case id(s) left out whose causal genes differ between files (e.g. {escape_markdown(comparison.mismatched[0])})"
              if comparison.mismatched else ""))
if comparison.cut is not None:
    st.warning(f"A results file kept only the top {comparison.cut} genes per case (the Batch page's *genes kept*): every ranker is "
               f"compared within its top {comparison.cut}, and a causal gene below that counts as unranked for all.")
table = pd.DataFrame.from_dict(comparison.metrics, orient="index").rename_axis("ranker").reset_index()
st.dataframe(table, key="cmp_metrics", hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(c, format="%.3f") for c in table.columns if c not in ("ranker", "n")})
tests = pd.DataFrame([
    {"ranker": p["name"], "against": p["against"], "better on": p["wins"], "worse on": p["losses"], "tied on": p["ties"],
     "Wilcoxon signed-rank p": None if math.isnan(p["wilcoxon_p"]) else p["wilcoxon_p"]}
    for p in comparison.pairwise
])
st.markdown("**Paired test on the per-case ranks** (an unranked gene counts as worse than any rank)")
st.dataframe(tests, key="cmp_tests", hide_index=True, width="stretch",
             column_config={"Wilcoxon signed-rank p": st.column_config.NumberColumn(format="%.2g")})

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Top-k curve")
    curves = report.topk_curves_frame(comparison.ranks, max_k=50)
    chart = (
        alt.Chart(curves)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("k:Q", scale=alt.Scale(type="log"), title="k (rank cut-off, log scale)"),
            y=alt.Y("fraction:Q", scale=alt.Scale(domain=[0, 1]), title="cases with the causal gene in the top k"),
            color=alt.Color("ranker:N", legend=alt.Legend(orient="bottom")),
            tooltip=["ranker", "k", alt.Tooltip("fraction:Q", format=".3f")],
        )
    )
    st.altair_chart(chart, key="cmp_curve")

with right:
    st.subheader("Per-case ranks")
    names = comparison.names
    a_col, b_col = st.columns(2)
    name_a = a_col.selectbox("x axis", names, index=0, key="cmp_a")
    name_b = b_col.selectbox("y axis", names, index=1, key="cmp_b")
    pairs = report.rank_pairs(comparison, name_a, name_b, k=DEFAULT_K)
    worst = int(max(pairs["rank_a"].max(skipna=True) or 1, pairs["rank_b"].max(skipna=True) or 1, DEFAULT_K)) * 2
    plot = pairs.assign(x=pairs["rank_a"].fillna(worst).astype(float), y=pairs["rank_b"].fillna(worst).astype(float),
                        winner=pairs["winner"].replace({"a": f"only {name_a}", "b": f"only {name_b}"}))
    scatter = (
        alt.Chart(plot)
        .mark_circle(size=60, opacity=0.7)
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(type="log"), title=f"rank by {name_a} (unranked at right)"),
            y=alt.Y("y:Q", scale=alt.Scale(type="log"), title=f"rank by {name_b}"),
            color=alt.Color("winner:N", title=f"in top {DEFAULT_K}", legend=alt.Legend(orient="bottom")),
            tooltip=["case_id", "causal_gene", alt.Tooltip("rank_a:Q", title=name_a), alt.Tooltip("rank_b:Q", title=name_b)],
        )
    )
    diagonal = alt.Chart(plot.assign(d=plot["x"])).mark_line(color="gray", strokeDash=[4, 4]).encode(x="d:Q", y="d:Q")
    st.altair_chart(scatter + diagonal, key="cmp_scatter")

only = pairs[pairs["winner"].isin(["a", "b"])].replace({"winner": {"a": name_a, "b": name_b}})
st.markdown(f"**Cases only one of them gets into the top {DEFAULT_K}** ({len(only)})")
st.dataframe(only.rename(columns={"rank_a": f"rank ({name_a})", "rank_b": f"rank ({name_b})", "winner": f"top {DEFAULT_K} only by"}),
             key="cmp_only", hide_index=True, width="stretch")

wide = pd.DataFrame({"case_id": comparison.case_ids, "causal_gene": comparison.causal}
                    | {f"rank ({n})": pd.array(comparison.ranks[n], dtype="Int64") for n in names})
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button("Metrics (CSV)", report.frame_to_csv_bytes(table), "compare_metrics.csv", "text/csv", key="cmp_dl_metrics", on_click="ignore")
d2.download_button("Per-case ranks (CSV)", report.frame_to_csv_bytes(wide), "compare_ranks.csv", "text/csv", key="cmp_dl_ranks", on_click="ignore")
