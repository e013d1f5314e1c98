"""Diagnose: one patient's present and absent HPO terms in, candidate genes with their evidence out."""

import json
import time

import streamlit as st

from rft import report
from rft.cases import Case
from rft.evidence import explain
from rft.grader import DEFAULT_K, rank_of, score_rank
from rft.registry import ranker_choices
from rft.ui import cached_ranker, current_hpo, example_cases, preload_ranker, term_label

hpo, release = current_hpo()
examples = {c.id: c for c in example_cases(hpo)}
choices = ranker_choices()
model_ready = preload_ranker(choices[0].spec, release)  # the recommended ranker loads while terms are entered

# Chosen terms live in non-widget keys so that they survive a visit to another page.
st.session_state.setdefault("dx_terms", {"present": [], "excluded": []})
terms = st.session_state.dx_terms
for kind in ("present", "excluded"):
    st.session_state.setdefault(f"dx_{kind}", list(terms[kind]))


def _add_term(kind: str) -> None:
    # A click right after typing (no Enter) arrives with the new query but the old list of hits: take the
    # chosen hit only if it answers the query now in the box, else the query's best hit.
    hits = [h.id for h in hpo.search(st.session_state.get("dx_query", ""), 25)]
    term_id = st.session_state.get("dx_hit") if st.session_state.get("dx_hit") in hits else (hits[0] if hits else None)
    if not term_id:
        st.session_state.dx_add_failed = st.session_state.get("dx_query", "")
        return
    other = "excluded" if kind == "present" else "present"
    if term_id not in st.session_state[f"dx_{kind}"]:
        st.session_state[f"dx_{kind}"] = [*st.session_state[f"dx_{kind}"], term_id]
    st.session_state[f"dx_{other}"] = [t for t in st.session_state[f"dx_{other}"] if t != term_id]
    st.session_state.dx_query = ""


def _load_example() -> None:
    case = examples.get(st.session_state.dx_example)
    if case is not None:
        st.session_state.dx_present = list(case.present)
        st.session_state.dx_excluded = list(case.excluded)
        st.session_state.dx_gene = ", ".join(case.genes)
        st.session_state.pop("dx_result", None)


def _clear() -> None:
    st.session_state.dx_present, st.session_state.dx_excluded = [], []
    st.session_state.dx_gene = ""
    st.session_state.pop("dx_result", None)


st.title("Diagnose")
st.caption(f"Rank candidate genes for one patient from HPO terms · HPO release {hpo.version} · {len(hpo):,} terms, {len(hpo.gene_terms):,} genes")

@st.fragment
def _term_search() -> None:
    """The search box and its hits: a keystroke reruns this fragment only, not the page; adding a term reruns the page."""
    query = st.text_input("Search HPO terms", key="dx_query", placeholder="label, synonym or id, e.g. seizure, HP:0001250")
    hits = hpo.search(query, 25) if query.strip() else []
    if query.strip() and not hits:
        st.warning(f"No HPO term matches {query!r}. Try another word, a synonym or an HP id.")
    if st.session_state.get("dx_hit") not in [h.id for h in hits]:
        st.session_state.dx_hit = hits[0].id if hits else None  # a new search selects its best hit
    st.selectbox(
        "Matching terms",
        [h.id for h in hits],
        format_func=lambda t: term_label(hpo, t),
        key="dx_hit",
        placeholder="type above to search" if not hits else "choose a term",
        disabled=not hits,
    )
    # Never disabled: a button enabled only after the search box commits would swallow the first click.
    b1, b2, _ = st.columns([1, 1, 2])
    added = b1.button("Add as present", key="dx_add_present", on_click=_add_term, args=("present",), type="primary")
    added |= b2.button("Add as absent", key="dx_add_excluded", on_click=_add_term, args=("excluded",))
    failed = st.session_state.pop("dx_add_failed", None)
    if added and failed is None:
        st.rerun()  # the chosen terms below live outside this fragment
    elif added and not failed.strip():
        st.warning("Type a term in the search box first.")


left, right = st.columns([3, 2], gap="large")
with left:
    _term_search()

with right:
    st.selectbox("Example case", ["", *examples], key="dx_example", on_change=_load_example, format_func=lambda c: c or "—")
    labels = {c.label: c for c in choices}
    ranker_label = st.selectbox("Ranker", list(labels), key="dx_ranker")
    if not model_ready:
        st.caption(":material/hourglass_top: Loading the model in the background (once per server); enter terms meanwhile.")
    c1, c2 = st.columns(2)
    top_n = c1.number_input("Genes to show", min_value=5, max_value=200, value=20, step=5, key="dx_top")
    gene_text = c2.text_input("Known causal gene (optional)", key="dx_gene", placeholder="e.g. SCN1A")

for kind, title in (("present", "Present terms"), ("excluded", "Explicitly absent terms")):
    chosen = st.multiselect(title, st.session_state[f"dx_{kind}"], key=f"dx_{kind}", format_func=lambda t: term_label(hpo, t))
    terms[kind] = list(chosen)

rank_col, clear_col, _ = st.columns([1, 1, 4])
do_rank = rank_col.button("Rank genes", key="dx_rank", type="primary", disabled=not terms["present"])
clear_col.button("Clear terms", key="dx_clear", on_click=_clear)
if not terms["present"]:
    st.info("Add at least one present term (or load an example case) to rank genes.")

if do_rank:
    truth: tuple[str, ...] = ()
    if gene_text.strip():
        canon = hpo.canonical_gene(gene_text)
        if canon is None:
            st.warning(f"{gene_text.strip()!r} has no phenotype annotation in HPO {hpo.version}; no ranker here can place it.")
        truth = (canon or gene_text.strip().upper(),)
    case = Case("patient", tuple(terms["present"]), tuple(terms["excluded"]), truth, "app")
    choice = labels[ranker_label]
    try:
        ranker = cached_ranker(choice.spec, release)
        t0 = time.perf_counter()
        [ranking] = ranker.rank([case], top=None)
        seconds = time.perf_counter() - t0
    except (ValueError, ImportError) as e:  # bad input, or a ranker whose optional parts are not installed
        st.error(str(e))
    else:
        st.session_state.dx_result = {"case": case, "ranking": ranking, "ranker": choice.label, "spec": choice.spec, "seconds": seconds}

result = st.session_state.get("dx_result")
if result:
    case, ranking = result["case"], result["ranking"]
    st.divider()
    st.subheader(f"Top {min(top_n, len(ranking.genes))} of {len(ranking.genes):,} genes")
    if (list(case.present), list(case.excluded)) != (terms["present"], terms["excluded"]):
        st.caption("The terms changed since this ranking: press *Rank genes* again to update it.")
    m = st.columns(4)
    m[0].metric("Ranker", result["ranker"])
    m[1].metric("Time", f"{result['seconds'] * 1000:.0f} ms")
    if case.genes:
        rank = rank_of(ranking.symbols, case.genes)
        m[2].metric(f"Rank of {', '.join(case.genes)}", rank if rank else "not ranked")
        m[3].metric(f"Grader score (top-{DEFAULT_K})", f"{score_rank(rank, DEFAULT_K):.2f}")

    table = report.ranking_frame(ranking, hpo, case.genes).head(int(top_n))
    st.dataframe(
        table,
        key="dx_table",
        hide_index=True,
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "score": st.column_config.NumberColumn("score", format="%.3f"),
            "causal": st.column_config.CheckboxColumn("causal"),
        },
    )

    st.subheader("Evidence")
    gene = st.selectbox("Gene", table["gene"].tolist(), key="dx_evidence_gene")
    if gene:
        ev = explain(hpo, case, gene)
        present_ev, excluded_ev = report.evidence_frames(ev)
        disease = f" by its best-matching disease, {ev.best_disease[1]} ({ev.best_disease[0]})" if ev.best_disease else ""
        st.markdown(f"**{gene}** is scored{disease}: similarity score {ev.score:.2f}, the mean information content of the matches below")
        st.dataframe(present_ev, key="dx_evidence", hide_index=True, width="stretch")
        if len(excluded_ev):
            st.markdown("Absent terms that disease is annotated with" + ("" if ev.excluded_counted else " (shown for review; the similarity ranker does not count them)"))
            st.dataframe(excluded_ev, key="dx_evidence_excluded", hide_index=True, width="stretch")
        diseases = hpo.diseases(gene)
        if diseases:
            with st.expander(f"Associated diseases ({len(diseases)})"):
                st.dataframe([{"id": d, "disease": name} for d, name in diseases], key="dx_diseases", hide_index=True, width="stretch")

    record = report.diagnosis_record(case, ranking, hpo, result["ranker"])
    d1, d2, d3, _ = st.columns([1, 1, 1, 3])
    d1.download_button("Download CSV", report.frame_to_csv_bytes(report.ranking_frame(ranking, hpo, case.genes)),
                       "gene_ranking.csv", "text/csv", key="dx_dl_csv", on_click="ignore")
    d2.download_button("Download JSON", json.dumps(record, indent=2), "gene_ranking.json", "application/json",
                       key="dx_dl_json", on_click="ignore")
    d3.download_button("Printable summary", report.diagnosis_summary_html(case, ranking, hpo, result["ranker"], DEFAULT_K, top=int(top_n)),
                       "gene_ranking_summary.html", "text/html", key="dx_dl_html", on_click="ignore")
