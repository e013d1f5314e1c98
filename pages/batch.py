"""Batch: upload many cases, check them, rank them all, read the metrics, download the results."""

import hashlib
import json

import streamlit as st

from rft import report
from rft.case_knowledge import case_knowledge_paths
from rft.cases import load_cases_from_bytes
from rft.evaluate import grade_rankings, ranker_universe, results_metrics, results_text
from rft.grader import DEFAULT_K
from rft.limits import DEFAULT_GENES_KEPT, MAX_GENES_KEPT, MAX_RANKED_GENES
from rft.markdown import escape_markdown
from rft.registry import ranker_choices
from rft.splits import publication_of
from rft.ui import (
    CASE_KNOWLEDGE_LABEL,
    EXAMPLES_DIR,
    MAX_UPLOAD_MB,
    cached_ranker,
    case_upload,
    current_hpo,
    rank_with_progress,
    ranker_with_case_knowledge,
)

hpo, release = current_hpo()

st.title("Batch")
st.caption(
    f"Upload GA4GH phenopackets (JSON, or a zip of them), canonical JSONL or CSV (columns case_id, present, excluded, gene; "
    f"terms separated by ';'). At most {MAX_UPLOAD_MB} MB per file. HPO release {hpo.version}."
)


def _use_example(flag: bool) -> None:
    st.session_state.batch_use_example = flag


files = case_upload("Case file", "batch_upload", on_change=_use_example, args=(False,))
st.button("Load the example batch", key="batch_example", on_click=_use_example, args=(True,),
          help="data/examples/batch_with_problems.csv: four good rows, one bad")

source = files[0] if files else None  # (name, bytes) of what is loaded
if source is None and st.session_state.get("batch_use_example"):
    path = EXAMPLES_DIR / "batch_with_problems.csv"
    source = (f"example:{path.name}", path.read_bytes())
if source is None:
    st.info("Upload a file, or load the example batch, to see its validation report.")
    st.stop()

name, data = source
digest = hashlib.sha1(data).hexdigest()
if st.session_state.get("batch_digest") != digest:  # a new file: forget the previous batch's results
    st.session_state.batch_digest = digest
    st.session_state.batch_done = {"rankings": [], "ranker": None, "error": None, "csv": None, "name": "", "universe": None, "kept": None}
done = st.session_state.batch_done

# Parsed once per file and release: every later click reruns this script, and re-validating costs seconds.
parsed = st.session_state.get("batch_parsed")
if parsed is None or parsed[0] != (digest, release):
    try:
        parsed = st.session_state.batch_parsed = ((digest, release), load_cases_from_bytes(name.removeprefix("example:"), data, hpo))
    except ValueError as e:
        st.error(escape_markdown(e, limit=1000))
        st.stop()
batch = parsed[1]

st.subheader("Validation")
s = batch.summary()
m = st.columns(4)
m[0].metric("Records read", s["read"])
m[1].metric("Usable cases", s["usable"])
m[2].metric("With causal gene", s["with_gene"])
m[3].metric("Skipped", s["skipped"])
if not batch.cases and not batch.problems:  # e.g. an empty zip: nothing read, so nothing to fix either
    st.error(f"No case found in {name.removeprefix('example:')}: it holds no phenopacket or case row. Upload a file with cases.")
    st.stop()
if batch.problems:
    with st.expander(f"{len(batch.problems)} problem(s): " + ", ".join(f"{k} ×{v}" for k, v in s["problems_by_kind"].items()), expanded=True):
        st.dataframe(
            [{"where": p.where, "kind": p.kind, "value": p.value, "message": p.message, "case skipped": p.dropped} for p in batch.problems],
            key="batch_problems",
            hide_index=True,
            width="stretch",
        )
else:
    st.success("No problems found.")
if not batch.cases:
    st.error("No usable case in this file: fix the problems above and upload it again.")
    st.stop()

st.subheader("Rank")
choices = {c.label: c for c in ranker_choices()}
c1, c2 = st.columns([3, 1])
ranker_label = c1.selectbox("Ranker", list(choices), key="batch_ranker")
# Memory is bounded: at most MAX_RANKED_GENES genes kept over the whole batch (README "Limits").
most = max(10, min(MAX_GENES_KEPT, MAX_RANKED_GENES // len(batch.cases)))
top = c2.number_input("Genes kept per case", min_value=10, max_value=most, value=min(DEFAULT_GENES_KEPT, most), step=10, key="batch_top",
                      help=f"At most {most:,} for {len(batch.cases):,} cases ({MAX_RANKED_GENES:,} genes per batch, {MAX_GENES_KEPT:,} per case)")
use_cases = bool(case_knowledge_paths()) and st.checkbox(
    "Add the solved cases of `RFT_CASE_KNOWLEDGE` as knowledge (each uploaded case's own paper left out)", key="batch_case_knowledge",
    help="Each gene's solved cases become one more annotated entry of that gene (docs/candidates.md). A case of this batch is never "
         "matched against the cases of its own publication.")
run_label = ranker_label + (CASE_KNOWLEDGE_LABEL if use_cases else "")
if done["ranker"] not in (None, run_label):
    done.update(rankings=[], ranker=None, error=None, csv=None, name="", universe=None, kept=None)  # another ranker: start over

n_done = len(done["rankings"])
label = "Continue ranking" if 0 < n_done < len(batch.cases) else f"Rank {len(batch.cases)} cases"
if st.button(label, key="batch_run", type="primary", disabled=n_done >= len(batch.cases)):
    done.update(ranker=run_label, error=None, csv=None)
    try:
        if use_cases:
            ranker = ranker_with_case_knowledge(choices[ranker_label].spec, release, {publication_of(c.id) for c in batch.cases})
        else:
            ranker = cached_ranker(choices[ranker_label].spec, release)
        # Graded as `rft eval` grades: named by the ranker's own name, a causal gene below the kept head still in the
        # ranker's universe, and the head's depth saved so that Compare can compare the file fairly.
        done.update(name=ranker.name + (CASE_KNOWLEDGE_LABEL if use_cases else ""), universe=ranker_universe(ranker), kept=int(top))
        # Each chunk lands in done["rankings"] as it arrives: an error or a stop later loses nothing ranked.
        rank_with_progress(ranker, batch.cases, int(top), start=n_done, done=done["rankings"])
    except Exception as e:  # noqa: BLE001 - any ranker failure; what was ranked stays and can be continued
        done["error"] = f"{type(e).__name__}: {e}" if not isinstance(e, ValueError) else str(e)
    st.rerun()  # redraw with the new state: results, and the button turned into "Continue ranking" after a failure

rankings = done["rankings"]
if done["error"]:
    st.error(f"Ranking stopped after {len(rankings)} of {len(batch.cases)} cases: {escape_markdown(done['error'], limit=1000)}. The results below are kept; press *Continue ranking* to retry the rest.")
if not rankings:
    st.stop()

st.subheader("Results" + (f" ({len(rankings)} of {len(batch.cases)} cases)" if len(rankings) < len(batch.cases) else ""))
results = grade_rankings(batch.cases[: len(rankings)], rankings, k=DEFAULT_K, ranker=done.get("name") or done["ranker"] or "",
                         universe=done.get("universe"), kept=done.get("kept"))
metrics = results_metrics(results)
if metrics["n"]:
    m = st.columns(6)
    for col, key in zip(m, ("top1", "top3", "top10", "top50", "mrr", "mean_score")):
        col.metric(key.replace("top", "top-").upper() if key.startswith("top") else key.replace("_", " "), f"{metrics[key]:.3f}")
    curve = report.topk_curves_frame({done["ranker"]: [r.rank for r in results if r.genes]}, max_k=50)
    st.line_chart(curve, x="k", y="fraction", color="ranker", x_label="k (rank cut-off)", y_label="cases solved within top k", height=260)
st.dataframe(
    report.results_frame(results),
    key="batch_results",
    hide_index=True,
    width="stretch",
    column_config={"score": st.column_config.ProgressColumn("score", format="%.2f", min_value=0.0, max_value=1.0)},
)
spec = choices[done["ranker"]].spec if done["ranker"] in choices else done["ranker"] or ""
d1, d2, d3, _ = st.columns([1, 1, 1, 3])
d1.download_button("Results (CSV)", results_text(results, csv_format=True), report.download_name("results", spec, "csv"), "text/csv",
                   key="batch_dl_results", on_click="ignore")
# The long table of every kept gene is built once, when asked for, and kept until the rankings change.
if done["csv"] is None or done["csv"][0] != len(rankings):
    if d2.button("Prepare all rankings (CSV)", key="batch_prepare_rankings"):
        done["csv"] = (len(rankings), report.frame_to_csv_bytes(report.rankings_long_frame(rankings)))
        st.rerun()
else:
    d2.download_button("All rankings (CSV)", done["csv"][1], report.download_name("rankings", spec, "csv"), "text/csv",
                       key="batch_dl_rankings", on_click="ignore")
d3.download_button("Metrics (JSON)", json.dumps(metrics | {"ranker": done["ranker"], "hpo_version": hpo.version}, indent=2),
                   report.download_name("metrics", spec, "json"), "application/json", key="batch_dl_metrics", on_click="ignore")
