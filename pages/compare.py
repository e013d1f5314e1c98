"""Compare: two or more rankers or models on the same cases (or saved results), side by side."""

import altair as alt
import streamlit as st

from rft import report
from rft.cases import load_cases_from_bytes
from rft.ui import EXAMPLES_DIR, cached_hpo, cached_ranker, ranker_choices

MAX_UPLOAD_MB = 50
K = 10
CHUNK = 16
hpo = cached_hpo()
st.session_state.setdefault("cmp_results", {})  # ranker label -> per-case results frame

st.title("Compare")
st.caption("Metrics side by side, top-k curves, and the cases one ranker solves and another does not. Cases need a known causal gene.")

run_tab, saved_tab = st.tabs(["Run rankers on cases", "Saved results"])
with run_tab:
    uploaded = st.file_uploader(f"Cases (phenopacket JSON/zip, JSONL or CSV; at most {MAX_UPLOAD_MB} MB)",
                                type=["json", "zip", "jsonl", "csv", "tsv"], key="cmp_upload", max_upload_size=MAX_UPLOAD_MB)
    use_example = st.checkbox("Use the example cases (data/examples/cases.jsonl)", key="cmp_use_example", value=uploaded is None)
    choices = {c.label: c for c in ranker_choices()}
    picked = st.multiselect("Rankers (two or more)", list(choices), default=list(choices)[:2], key="cmp_rankers")
    source = (uploaded.name, uploaded.getvalue()) if uploaded is not None else None
    if source is None and use_example:
        source = ("cases.jsonl", (EXAMPLES_DIR / "cases.jsonl").read_bytes())
    cases = []
    if source is not None:
        try:
            batch = load_cases_from_bytes(source[0], source[1], hpo, require_gene=True)
        except ValueError as e:
            st.error(str(e))
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
        progress = st.progress(0.0, text="ranking…")
        total = len(picked) * len(cases)
        for i, label in enumerate(picked):
            rankings = []
            try:
                ranker = cached_ranker(choices[label].spec, hpo)
                for n, chunk in report.rank_in_chunks(ranker, cases, None, CHUNK):
                    rankings.extend(chunk)
                    progress.progress((i * len(cases) + n) / total, text=f"{label}: {n} of {len(cases)} cases")
            except (ValueError, ImportError) as e:
                st.error(f"{label}: {e}")
                continue
            results[label] = report.case_results_frame(cases, rankings, k=K)
        progress.empty()
        st.session_state.cmp_results = results

with saved_tab:
    saved = st.file_uploader("Two or more results CSVs downloaded from the Batch page", type=["csv"], accept_multiple_files=True, key="cmp_saved")
    if st.button("Compare saved results", key="cmp_run_saved", disabled=len(saved or []) < 2):
        results = {}
        for f in saved:
            try:
                results[f.name.removesuffix(".csv")] = report.read_saved_results(f.name, f.getvalue())
            except ValueError as e:
                st.error(str(e))
        st.session_state.cmp_results = results

results = st.session_state.cmp_results
if len(results) < 2:
    st.stop()

st.divider()
st.subheader("Metrics")
table = report.metrics_table(results, k=K)
st.dataframe(table, key="cmp_metrics", hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(c, format="%.3f") for c in table.columns if c not in ("ranker", "n")})

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Top-k curve")
    curves = report.topk_curves_frame(results, max_k=50)
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
    names = list(results)
    a_col, b_col = st.columns(2)
    name_a = a_col.selectbox("x axis", names, index=0, key="cmp_a")
    name_b = b_col.selectbox("y axis", names, index=1, key="cmp_b")
    pairs = report.rank_pairs(results[name_a], results[name_b], "a", "b", k=K)
    worst = int(max(pairs["rank_a"].max(skipna=True) or 1, pairs["rank_b"].max(skipna=True) or 1, K)) * 2
    plot = pairs.assign(x=pairs["rank_a"].fillna(worst).astype(float), y=pairs["rank_b"].fillna(worst).astype(float),
                        winner=pairs["winner"].replace({"a": f"only {name_a}", "b": f"only {name_b}"}))
    scatter = (
        alt.Chart(plot)
        .mark_circle(size=60, opacity=0.7)
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(type="log"), title=f"rank by {name_a} (unranked at right)"),
            y=alt.Y("y:Q", scale=alt.Scale(type="log"), title=f"rank by {name_b}"),
            color=alt.Color("winner:N", title=f"in top {K}", legend=alt.Legend(orient="bottom")),
            tooltip=["case_id", "causal_gene", alt.Tooltip("rank_a:Q", title=name_a), alt.Tooltip("rank_b:Q", title=name_b)],
        )
    )
    diagonal = alt.Chart(plot.assign(d=plot["x"])).mark_line(color="gray", strokeDash=[4, 4]).encode(x="d:Q", y="d:Q")
    st.altair_chart(scatter + diagonal, key="cmp_scatter")

only = pairs[pairs["winner"].isin(["a", "b"])].replace({"winner": {"a": name_a, "b": name_b}})
st.markdown(f"**Cases only one of them gets into the top {K}** ({len(only)})")
st.dataframe(only.rename(columns={"rank_a": f"rank ({name_a})", "rank_b": f"rank ({name_b})", "winner": f"top {K} only by"}),
             key="cmp_only", hide_index=True, width="stretch")

wide = None
for name, frame in results.items():
    part = frame[["case_id", "causal_gene", "rank"]].rename(columns={"rank": f"rank ({name})"})
    wide = part if wide is None else wide.merge(part.drop(columns="causal_gene"), on="case_id", how="outer")
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button("Metrics (CSV)", report.frame_to_csv_bytes(table), "compare_metrics.csv", "text/csv", key="cmp_dl_metrics", on_click="ignore")
d2.download_button("Per-case ranks (CSV)", report.frame_to_csv_bytes(wide), "compare_ranks.csv", "text/csv", key="cmp_dl_ranks", on_click="ignore")
