"""Diagnose: one patient's present and absent HPO terms in (searched, read from a note, or from a phenopacket),
candidate genes and diseases with their evidence and links out, and the case saved as a phenopacket."""

import json
import re
import time
from datetime import datetime, timezone

import streamlit as st

from ontology.notes import terms_from_note
from rft import report
from rft.candidates import CandidateRanker, describe_rule, unannotated_note
from rft.cases import Case, load_cases_from_bytes
from rft.diseases import rank_diseases
from rft.evidence import explain, explained_counts, explaining_ranker, ranker_method
from rft.grader import DEFAULT_K, rank_of, score_rank
from rft.limits import MAX_NOTE_CHARS
from rft.links import disease_links, gene_links
from rft.markdown import escape_markdown
from rft.phenopacket_export import ONSET_ROOT, RESEARCH_USE, SEXES, diagnosis_phenopacket
from rft.rankers.base import Ranking
from rft.registry import ranker_choices
from rft.ui import cached_ranker, current_hpo, example_cases, preload_ranker, term_label
from rft.ui_candidates import candidate_input

_SHOWN_PROBLEMS = 20  # lines in one warning box; the rest are counted

st.title("Diagnose")  # drawn at once: on a cold server the HPO release loads next, under its own spinner
hpo, release = current_hpo(case_knowledge=True)
examples = {c.id: c for c in example_cases(hpo)}
choices = ranker_choices()
model_ready = preload_ranker(choices[0].spec, release)  # the recommended ranker loads while terms are entered

# Chosen terms live in non-widget keys so that they survive a visit to another page.
st.session_state.setdefault("dx_terms", {"present": [], "excluded": []})
terms = st.session_state.dx_terms
for kind in ("present", "excluded"):
    st.session_state.setdefault(f"dx_{kind}", list(terms[kind]))
st.session_state.setdefault("dx_case_id", f"patient-{datetime.now(timezone.utc):%Y%m%d-%H%M}")


def _wait_for_model(spec: str, release: str, line) -> None:
    """Called last on the page: the "loading" line stays until the model is ready, then goes, with no user action.

    The run stays open meanwhile and touches the line every half second, so that a user's click interrupts it
    at once and reruns the page as any click does. (A `run_every` fragment polled instead, and its timed reruns
    swallowed clicks on the page's buttons: a term added while the model loaded was lost.)
    """
    while not preload_ranker(spec, release):
        line.caption(_LOADING)
        time.sleep(0.5)
    line.empty()


_LOADING = ":material/hourglass_top: Loading the model in the background (once per server); enter terms meanwhile."


def _add_terms(kind: str, term_ids: list[str]) -> None:
    other = "excluded" if kind == "present" else "present"
    st.session_state[f"dx_{kind}"] = list(dict.fromkeys([*st.session_state[f"dx_{kind}"], *term_ids]))
    st.session_state[f"dx_{other}"] = [t for t in st.session_state[f"dx_{other}"] if t not in term_ids]


def _add_term(kind: str) -> None:
    # A click right after typing (no Enter) arrives with the new query but the old list of hits: take the
    # chosen hit only if it answers the query now in the box, else the query's best hit.
    hits = [h.id for h in hpo.search(st.session_state.get("dx_query", ""), 25)]
    term_id = st.session_state.get("dx_hit") if st.session_state.get("dx_hit") in hits else (hits[0] if hits else None)
    if not term_id:
        st.session_state.dx_add_failed = st.session_state.get("dx_query", "")
        return
    _add_terms(kind, [term_id])
    st.session_state.dx_query = ""


def _set_case(case: Case) -> None:
    st.session_state.dx_present, st.session_state.dx_excluded = list(case.present), list(case.excluded)
    st.session_state.dx_gene = ", ".join(case.genes)
    st.session_state.dx_case_id = case.id
    st.session_state.pop("dx_result", None)


def _load_example() -> None:
    if (case := examples.get(st.session_state.dx_example)) is not None:
        _set_case(case)


def _import_phenopacket() -> None:
    upload = st.session_state.get("dx_import")
    if upload is None:
        return
    batch = load_cases_from_bytes(upload.name, upload.getvalue(), hpo)
    st.session_state.dx_import_problems = [str(p) for p in batch.problems]
    if batch.cases:
        _set_case(batch.cases[0])
        st.session_state.dx_import_note = f"Opened {escape_markdown(batch.cases[0].id)} from {escape_markdown(upload.name)}" + (
            f" (the first of {len(batch.cases)} cases)" if len(batch.cases) > 1 else "")


def _add_note_terms() -> None:
    kept = [m for i, m in enumerate(st.session_state.get("dx_note_matches", [])) if st.session_state.get(f"dx_note_keep_{i}")]
    _add_terms("present", [m.id for m in kept if not m.excluded])
    _add_terms("excluded", [m.id for m in kept if m.excluded])
    st.session_state.dx_note_matches = []


def _drop_terms(kind: str, term_ids: list[str]) -> None:
    st.session_state[f"dx_{kind}"] = [t for t in st.session_state[f"dx_{kind}"] if t not in term_ids]


def _clear() -> None:
    st.session_state.dx_present, st.session_state.dx_excluded = [], []
    st.session_state.dx_gene = ""
    st.session_state.pop("dx_result", None)


def _hit_label(hit) -> str:
    via = f" — matched “{hit.matched}”" + (" (lay term)" if hit.lay else "") if hit.matched != hit.label.lower() else ""
    return f"{term_label(hpo, hit.id)}{via}"


@st.fragment
def _term_search() -> None:
    """The search box and its hits: a keystroke reruns this fragment only, not the page; adding a term reruns the page."""
    query = st.text_input("Search HPO terms", key="dx_query", placeholder="label, synonym, lay word or id, e.g. seizure, fits, HP:0001250")
    hits = hpo.search(query, 25) if query.strip() else []
    if query.strip() and not hits:
        st.warning(f"No HPO term matches {escape_markdown(repr(query))}. Try another word, a synonym or an HP id.")
    elif hits and hits[0].corrected:
        st.info(f"Nothing matches {escape_markdown(repr(query.strip()))}; showing matches for **{escape_markdown(hits[0].corrected)}**.")
    by_id = {h.id: h for h in hits}
    if st.session_state.get("dx_hit") not in by_id:
        st.session_state.dx_hit = hits[0].id if hits else None  # a new search selects its best hit
    hit = st.selectbox("Matching terms", list(by_id), format_func=lambda t: _hit_label(by_id[t]), key="dx_hit",
                       placeholder="type above to search" if not hits else "choose a term", disabled=not hits)
    if hit and hpo.term(hit).definition:
        st.caption(hpo.term(hit).definition)
    # Never disabled: a button enabled only after the search box commits would swallow the first click.
    b1, b2, _ = st.columns([1, 1, 2])
    added = b1.button("Add as present", key="dx_add_present", on_click=_add_term, args=("present",), type="primary")
    added |= b2.button("Add as absent", key="dx_add_excluded", on_click=_add_term, args=("excluded",))
    failed = st.session_state.pop("dx_add_failed", None)
    if added and failed is None:
        st.rerun()  # the chosen terms below live outside this fragment
    elif added and not failed.strip():
        st.warning("Type a term in the search box first.")


def _note_input() -> None:
    with st.form("dx_note_form", border=False):
        # max_chars: the browser stops typing and pasting there, and Streamlit cuts a longer value on the server too.
        note = st.text_area("Clinical note", key="dx_note", height=120, max_chars=MAX_NOTE_CHARS,
                            placeholder="e.g. Seizures since 8 months and global developmental delay. No hearing loss.")
        if st.form_submit_button("Find terms", key="dx_note_find"):
            seen: set[tuple[str, str]] = set()
            found = [m for m in terms_from_note(hpo, note) if not ((m.id, m.context) in seen or seen.add((m.id, m.context)))]
            st.session_state.dx_note_matches = found
            for i, m in enumerate(found):  # only the patient's present findings are pre-ticked; every other one says why not
                st.session_state[f"dx_note_keep_{i}"] = m.context == "affirmed"
            if not st.session_state.dx_note_matches:
                st.warning("No HPO term found in the note; search for the terms instead.")
    matches = st.session_state.get("dx_note_matches", [])
    if matches:
        st.caption("Found in the note: the patient's present findings are ticked; negated, uncertain, past, family and trigger "
                   "findings are not, and say why. Tick or untick, then add.")
        for i, m in enumerate(matches):
            state = ":red[absent]" if m.excluded else ":green[present]" if m.context == "affirmed" else ":orange[present?]"
            st.checkbox(f"{state} {m.label} · {m.id} — “{m.text}”" + (f" · *{m.reason}*" if m.reason else ""), key=f"dx_note_keep_{i}")
        st.button("Add ticked terms", key="dx_note_add", on_click=_add_note_terms, type="primary")


def _redundancy_text(redundant: list[tuple[str, str]]) -> str:
    pairs = "; ".join(f"{escape_markdown(term_label(hpo, a))} is an ancestor of {escape_markdown(term_label(hpo, t))}" for a, t in redundant[:_SHOWN_PROBLEMS])
    more = f"; and {len(redundant) - _SHOWN_PROBLEMS:,} more" if len(redundant) > _SHOWN_PROBLEMS else ""
    return f"{pairs}{more}. A general term adds nothing beside a specific one below it; keep the specific one."


def _drop_general_button(where, kind: str, redundant: list[tuple[str, str]]) -> None:
    general = sorted({a for a, _ in redundant})
    label = {"present": "Remove the general term", "excluded": "Remove the general absent term"}[kind]
    where.button(label + ("s" if len(general) > 1 else ""), key=f"dx_drop_general_{kind}", on_click=_drop_terms, args=(kind, general))


st.caption(f"Rank candidate genes for one patient from HPO terms · HPO release {hpo.version}"
           + escape_markdown("".join(f" + {x}" for x in hpo.extra_sources), limit=300) + f" · {len(hpo):,} terms, {len(hpo.gene_terms):,} genes")
st.caption(f":material/info: {RESEARCH_USE}")

left, right = st.columns([3, 2], gap="large")
with left:
    search_tab, note_tab, open_tab = st.tabs(["Search", "From a note", "Open a phenopacket"])
    with search_tab:
        _term_search()
    with note_tab:
        _note_input()
    with open_tab:
        st.file_uploader("A GA4GH phenopacket (JSON), e.g. one saved from this page", type=["json"], key="dx_import", on_change=_import_phenopacket)
        if note := st.session_state.pop("dx_import_note", None):
            st.success(note)
        # The file's problems are written further down, into this container, together with any general-beside-specific
        # terms the file brought: one box, however many problems (a file may hold thousands).
        import_problems = st.session_state.pop("dx_import_problems", [])
        import_box = st.container() if import_problems else None

with right:
    st.selectbox("Example case", ["", *examples], key="dx_example", on_change=_load_example, format_func=lambda c: c or "—")
    labels = {c.label: c for c in choices}
    recommended = choices[0].label
    ranker_label = st.selectbox("Ranker", list(labels), key="dx_ranker", format_func=lambda r: f"{r} · recommended" if r == recommended else r)
    loading_line = None if model_ready else st.container(key="dx_model_loading").empty()
    if loading_line is not None:
        loading_line.caption(_LOADING)
    c1, c2 = st.columns(2)
    top_n = c1.number_input("Genes to show", min_value=5, max_value=200, value=20, step=5, key="dx_top")
    gene_text = c2.text_input("Known causal gene(s) (optional)", key="dx_gene", placeholder="e.g. SCN1A, or SCN1A, SCN2A")
    st.text_input("Case id", key="dx_case_id", help="Carried into the exported phenopacket.")
    s1, s2 = st.columns(2)
    onsets = sorted(hpo.descendants(ONSET_ROOT), key=hpo.label) if ONSET_ROOT in hpo else []
    s1.selectbox("Sex", ["", *SEXES], key="dx_sex", format_func=lambda x: x or "—", help="Saved in the phenopacket; no ranker here uses it.")
    s2.selectbox("Age of onset", ["", *onsets], key="dx_onset", format_func=lambda t: hpo.label(t) if t else "—",
                 help="Saved in the phenopacket as the onset of the present signs; no ranker here uses it.")

redundant_terms: dict[str, list[tuple[str, str]]] = {}
for kind, title in (("present", "Present terms"), ("excluded", "Explicitly absent terms")):
    chosen = st.multiselect(title, st.session_state[f"dx_{kind}"], key=f"dx_{kind}", format_func=lambda t: term_label(hpo, t))
    terms[kind] = list(chosen)
    # Each term's ancestors met against the set of chosen terms (not all pairs: a case may have a thousand terms),
    # and one box for all of them, with one click that removes every general term it names.
    chosen_set = set(chosen)
    redundant_terms[kind] = [(a, t) for t in chosen if t in hpo.terms for a in sorted(hpo.ancestors(t) & chosen_set)]
    if redundant_terms[kind] and import_box is None:
        warn, fix = st.columns([5, 1], vertical_alignment="center")
        warn.warning(_redundancy_text(redundant_terms[kind]))
        _drop_general_button(fix, kind, redundant_terms[kind])
if import_box is not None:
    with import_box:
        shown = "  \n".join(escape_markdown(p) for p in import_problems[:_SHOWN_PROBLEMS])
        more = f"  \n… and {len(import_problems) - _SHOWN_PROBLEMS:,} more" if len(import_problems) > _SHOWN_PROBLEMS else ""
        lines = [f"{len(import_problems):,} problem(s) in the file:  \n{shown}{more}"]
        lines += [f"{title}: {_redundancy_text(redundant_terms[kind])}" for kind, title in (("present", "Present terms"), ("excluded", "Absent terms"))
                  if redundant_terms[kind]]
        st.warning("\n\n".join(lines))
        for kind in ("present", "excluded"):
            if redundant_terms[kind]:
                _drop_general_button(st, kind, redundant_terms[kind])

with st.expander("Candidate genes (the patient's exome)", expanded=st.session_state.get("dx_cand_source", "All genes") != "All genes"):
    candidates = candidate_input(hpo)  # None: every gene

rank_col, clear_col, _ = st.columns([1, 1, 4])
do_rank = rank_col.button("Rank genes", key="dx_rank", type="primary", disabled=not terms["present"])
clear_col.button("Clear terms", key="dx_clear", on_click=_clear)
if not terms["present"]:
    st.info("Add at least one present term (search, a note, a phenopacket or an example case) to rank genes.")

if do_rank:
    truth: list[str] = []
    for symbol in [g for g in re.split(r"[,;\s]+", gene_text) if g]:
        canon = hpo.canonical_gene(symbol)
        if canon is None:
            st.warning(f"{escape_markdown(repr(symbol))} has no phenotype annotation in HPO {hpo.version}; no ranker here can place it.")
        truth.append(canon or symbol.upper())
    case = Case(st.session_state.dx_case_id.strip() or "patient", tuple(terms["present"]), tuple(terms["excluded"]), tuple(truth), "app")
    choice = labels[ranker_label]
    try:
        ranker = base = cached_ranker(choice.spec, release)
        if candidates is not None:  # within the patient's candidates: the one restriction every ranker goes through
            if not candidates:
                raise ValueError("No candidate gene yet: paste symbols, upload a gene list or a VCF, or choose *All genes*.")
            ranker = CandidateRanker(base, hpo, candidates)
        t0 = time.perf_counter()
        [ranking] = ranker.rank([case], top=None)
        seconds = time.perf_counter() - t0
    except (ValueError, ImportError) as e:  # bad input, or a ranker whose optional parts are not installed
        st.error(escape_markdown(e, limit=1000))
    else:
        st.session_state.pop("dx_evidence_kept", None)  # a new ranking opens its evidence on its own known gene
        st.session_state.dx_result = {"case": case, "ranking": ranking, "ranker": choice.label, "spec": choice.spec, "seconds": seconds,
                                      "score_meaning": getattr(ranker, "score_meaning", ""), "evidence": {},
                                      "partner": getattr(getattr(ranker, "classical", None), "name", ""),
                                      # the evidence is the computation of the classical ranker in the list (a fusion's partner)
                                      "explainer": explaining_ranker(getattr(base, "ranker", base), hpo),
                                      "consensus": hasattr(getattr(base, "ranker", base), "explained_by"),
                                      "reranker": getattr(getattr(base, "ranker", base), "reads_classical", False)}

def _fusion_parts(ranking: Ranking, i: int) -> None:
    """A fused gene's score as the sum the fusion computed: the model's part and the classical ranker's part."""
    fusion = ranking.fusion
    if fusion is None:
        return
    model_part, classical_part = fusion.parts(i)
    shut = " (the gate shut the model out on this patient: weight 0)" if not fusion.weight else ""
    st.container(key="dx_fusion_parts").markdown(f"**Fused score {ranking.genes[i].score:.4f}** = model part {fusion.weight:g}/({fusion.k:g} + model rank "
                f"{fusion.model_ranks[i]:.0f}) = {model_part:.4f}{shut} **+** {fusion.classical} part 1/({fusion.k:g} + {fusion.classical} "
                f"rank {fusion.classical_ranks[i]:.0f}) = {classical_part:.4f}. The model ranks genes from the whole pattern and has "
                f"no term-by-term reading; the {fusion.classical} ranker's own score is explained term by term below.")


def _reranker(result: dict):
    """The knowledge reranker behind a result (loaded once per session by cached_ranker)."""
    loaded = cached_ranker(result["spec"], release)
    return getattr(loaded, "ranker", loaded)


def _rerank_reading(result: dict, gene: str) -> None:
    """For the knowledge reranker: where the consensus put the gene, where the reranker put it, and the counts it read."""
    reranker = _reranker(result)
    try:
        r = reranker.reading(result["case"], gene)
    except ValueError as e:  # a gene the release does not annotate
        st.info(escape_markdown(e, limit=1000))
        return
    step = "keeps it there" if r.reranked_rank == r.consensus_rank else f"moves it {'up' if r.reranked_rank < r.consensus_rank else 'down'} to #{r.reranked_rank}"
    moved = (f"the knowledge reranker {step}" if r.candidate else
             f"outside the consensus's best {reranker.candidates}, which the reranker reorders: it keeps the consensus's order (#{r.reranked_rank})")
    excluded = (f"it is annotated with {r.excluded[0]} of the patient's {r.excluded[1]} absent terms (the reranker learned from case "
                "reports, which list as absent the signs of the disorder they discuss, to read such a match as pointing to the gene)" if r.excluded[1] else
                "the patient has no absent term")
    st.container(key="dx_rerank_reading").markdown(
        f"**Among all genes the consensus ranks {gene} #{r.consensus_rank}; {moved}.** What it read about {gene}: its annotations imply "
        f"{r.implied[0]} of the patient's {r.implied[1]} present terms; the patient shows {r.shows[0]} of its {r.shows[1]} annotated "
        f"terms; {excluded}; {r.diseases} associated disease{'s' if r.diseases != 1 else ''}. The reranker weighs these with the classical "
        "rankers' scores; the likelihood part's own computation follows.")


def _show_evidence(ev, ranking: Ranking) -> None:
    """The classical ranker's computation for one gene: contributions that add up to its score, absent terms marked."""
    disease = f" by its best-matching disease, {ev.best_disease[1]} ({ev.best_disease[0]})" if ev.best_disease else ""
    what = ("the sum of the natural-log likelihood ratios below: above 0 a term favours the gene, below 0 it counts against it"
            if ev.method == "likelihood" else "the mean information content of each term's best match, i.e. the contributions below")
    with st.container(key="dx_evidence"):
        st.markdown(f"The **{ev.method}** ranker scored {ev.gene}{disease}: **{ev.score:+.3f}**, {what}.")
        st.table(report.evidence_frame(ev).set_index("finding"))
    absent = ("Absent terms (✗) count: an absent sign the disease usually shows counts against it, one it lacks slightly for it."
              if ev.excluded_counted else f"Absent terms (✗) are shown for review; the {ev.method} ranker does not count them.")
    st.caption(f"{absent} Unexplained terms carry the ranker's penalty; a term is never shown counting for a gene it does not fit. "
               "How each ranker uses absent terms: likelihood, only with use_excluded (off by default); similarity, only with an "
               "excluded_weight (0 by default); the model reads them as part of the case.")
    if ev.diseases:
        with st.expander(f"Associated diseases ({len(ev.diseases)})"):
            st.dataframe([{"id": d, "disease": name, "link": next(iter(disease_links(d).values()))} for d, name in ev.diseases],
                         key="dx_diseases", hide_index=True, width="stretch", column_config={"link": st.column_config.LinkColumn("link")})


def _disease_tab(case: Case, ranking: Ranking, result: dict, ev, gene: str | None, top_n: int) -> None:
    """Diseases ranked by the classical ranker behind the gene list, with each disease's best gene's rank in that list."""
    explainer = result.get("explainer")
    scorer = explainer
    if explainer is not None and explainer.level != "disease":  # a gene-level part (the consensus's likelihood): its method, per disease
        scorer = getattr(wrapped := cached_ranker(ranker_method(explainer), release), "ranker", wrapped)
    diseases = rank_diseases(hpo, case, top=top_n, ranker=scorer)
    name = ranker_method(scorer) if scorer is not None else "similarity"
    position = {g: i for i, g in enumerate(ranking.symbols, start=1)}
    if ranking.fusion is not None or scorer is None:
        said = (f"Diseases ranked by the {name} ranker alone, not by the list on the Genes tab: that list fuses the {name} ranker with "
                "a model that ranks genes, not diseases, so the two orders can differ. *gene rank* is each disease's best gene in that list.")
    elif result.get("reranker"):  # the knowledge reranker: the consensus's likelihood part is one of the scores it reads
        said = (f"Diseases ranked by the {name} ranker alone, one of the classical rankers whose scores the knowledge reranker reads "
                "(with how the patient's present and absent terms meet each gene's annotations) to order the list on the Genes tab, "
                "so the two orders can differ. *gene rank* is each disease's best gene in that list.")
    elif result.get("consensus"):  # the classical consensus alone: its likelihood part explains it
        said = (f"Diseases ranked by the {name} ranker alone, one of the two classical rankers whose consensus ranks the list on the "
                "Genes tab, so the two orders can differ. *gene rank* is each disease's best gene in that list.")
    else:
        said = f"Diseases ranked by the {name} ranker, the one that ranks the gene list (a gene scores as its best disease)."
    best = ev.best_disease[0] if ev is not None and ev.best_disease else None
    st.caption(said + " OMIM and Orphanet entries of one name are merged."
               + (f" ★ marks the disease that scored {gene}, the gene open under *Evidence*." if best else ""))
    st.dataframe(
        [{"rank": i, "disease": ("★ " if best in d.ids else "") + d.name, "ids": ", ".join(d.ids), "genes": ", ".join(d.genes),
          "gene rank": min((position[g] for g in d.genes if g in position), default=None),
          "inheritance": ", ".join(hpo.modes_of_inheritance(d.ids)), "score": d.score,
          "link": next(iter(disease_links(d.ids[0]).values()))} for i, d in enumerate(diseases, start=1)],
        key="dx_disease_table", hide_index=True, width="stretch",
        column_config={"score": st.column_config.NumberColumn("score", format="%.3f"), "link": st.column_config.LinkColumn("link")},
    )


result = st.session_state.get("dx_result")
if result:
    case, ranking, evidence = result["case"], result["ranking"], result["evidence"]

    def _evidence(gene: str):
        if gene not in evidence:  # computed once per result and gene; the export reuses them
            evidence[gene] = explain(hpo, case, gene, ranker=result.get("explainer"))
        return evidence[gene]

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
    st.caption(f"**Score:** {result['score_meaning']}. **Rank** is the position in the list, as the grader counts it; "
               "**tie** “=k” marks genes whose scores are equal, sharing rank k.")
    if ranking.unannotated:  # candidates no phenotype can score: each named, with what NCBI Gene knows
        st.caption(f"**{len(ranking.unannotated)} candidates have no phenotype annotation in HPO {hpo.version}**; {describe_rule()} "
                   "(docs/candidates.md): " + "; ".join(f"{g} ({unannotated_note(g, ranking, hpo, label=False)})" for g in ranking.unannotated[:10])
                   + (f"; and {len(ranking.unannotated) - 10} more" if len(ranking.unannotated) > 10 else ""))
    if ranking.gate is not None:  # a gated fusion: say whether the tuned model had a say on this patient, and why
        st.caption(report.gate_sentence(ranking.gate, result.get("partner", "classical")))

    # Lazy tabs: only the open tab runs and is drawn (the click on Rank genes draws the gene table, not the diseases too).
    gene_tab, disease_tab = st.tabs(["Genes", "Diseases"], key="dx_view", on_change="rerun")
    fusion = ranking.fusion
    gene = st.session_state.get("dx_evidence_kept")  # the gene open under Evidence, also while the Diseases tab is shown
    with gene_tab:
        if gene_tab.open:
            # One gene past the table, so that its last row still sees a tie with the next gene.
            shown = int(top_n) + 1
            head = Ranking(ranking.case_id, ranking.genes[:shown], fusion=fusion.head(shown) if fusion is not None else None)
            table = report.ranking_frame(head, hpo, case.genes).head(int(top_n))
            # How many of the patient's terms each gene's best disease is annotated with, "k/n" ("—": not annotated)
            counts = explained_counts(hpo, case, list(table["gene"]), ranker=result.get("explainer"))
            table.insert(table.columns.get_loc("score") + 1, "explains", [f"{counts[g][0]}/{counts[g][1]}" if g in counts else "—" for g in table["gene"]])
            if result.get("reranker"):  # where the consensus, whose best candidates the reranker reorders, put each gene
                if "consensus_ranks" not in result:
                    result["consensus_ranks"] = _reranker(result).consensus_ranks(case)
                table.insert(table.columns.get_loc("score") + 1, "consensus rank", [result["consensus_ranks"].get(g) for g in table["gene"]])
                st.caption(f"**consensus rank**: each gene's place in the consensus's order; the knowledge reranker reorders its best "
                           f"{_reranker(result).candidates} genes from what HPO says about each (the Evidence below says what it read).")
            if fusion is not None:
                st.caption(f"A fused score adds the model's part, {fusion.weight:g}/({fusion.k:g} + **model rank**), to the {fusion.classical} "
                           f"ranker's, 1/({fusion.k:g} + **classical rank**)" + (" (the gate shut the model out here: its weight is 0)" if not fusion.weight else "") + ".")
            st.dataframe(table, key="dx_table", hide_index=True, width="stretch",
                         column_config={"rank": st.column_config.NumberColumn("#", width="small"), "tie": st.column_config.TextColumn("tie", width="small"),
                                        "score": st.column_config.NumberColumn("score", format="%.4f" if fusion is not None else "%.3f"),
                                        "model rank": st.column_config.NumberColumn("model rank", width="small"),
                                        "classical rank": st.column_config.NumberColumn(f"{fusion.classical if fusion else 'classical'} rank", width="small"),
                                        "consensus rank": st.column_config.NumberColumn("consensus rank", width="small"),
                                        "explains": st.column_config.TextColumn("explains", width="small",
                                                                                help="patient terms the gene's best disease is annotated with (or a more specific one)"),
                                        "inheritance": st.column_config.TextColumn("inheritance", width="small"),
                                        "causal": st.column_config.CheckboxColumn("causal", width="small"), "diseases": st.column_config.TextColumn("diseases", width="large")})

            st.subheader("Evidence")
            position = {g: i for i, g in enumerate(ranking.symbols, start=1)}
            # The gene open before (kept while the Diseases tab was shown: an undrawn widget forgets its value), else the known gene.
            known = [g for g in (st.session_state.get("dx_evidence_kept"), *case.genes) if g in position]
            gene = st.selectbox(f"Gene (any of the {len(position):,}; type to find one)", ranking.symbols, key="dx_evidence_gene",
                                index=position[known[0]] - 1 if known else 0, format_func=lambda g: f"{position[g]}. {g}")
            st.session_state.dx_evidence_kept = gene
            if gene:
                st.markdown(f"**{gene}** (rank {position[gene]}) · " + " · ".join(f"[{name}]({url})" for name, url in gene_links(gene).items()))
                _fusion_parts(ranking, position[gene] - 1)
                if result.get("reranker"):
                    _rerank_reading(result, gene)
                try:
                    ev = _evidence(gene)
                except ValueError as e:  # a gene a model knows that this release does not annotate
                    st.info(escape_markdown(e, limit=1000))
                else:
                    _show_evidence(ev, ranking)
    with disease_tab:
        if disease_tab.open:
            _disease_tab(case, ranking, result, evidence.get(gene) if gene else None, gene, int(top_n))

    sex, onset = st.session_state.get("dx_sex") or None, st.session_state.get("dx_onset") or None  # read now: the file is built later

    def _phenopacket() -> str:
        shown = {g: _evidence(g) for g in ranking.symbols[: int(top_n)] if hpo.canonical_gene(g)}
        return json.dumps(diagnosis_phenopacket(case, ranking, hpo, result["ranker"], result["spec"], shown, top=int(top_n),
                                                score_meaning=result["score_meaning"], sex=sex, onset=onset), indent=2)

    # Files are built when their button is clicked (a callable), not on every rerun: the full ranking has thousands of genes.
    d1, d2, d3, d4, _ = st.columns([1, 1, 1.3, 1.3, 0.4])  # wide enough at 1366 px for whole labels
    d1.download_button("Download CSV", lambda: report.frame_to_csv_bytes(report.ranking_frame(ranking, hpo, case.genes)),
                       "gene_ranking.csv", "text/csv", key="dx_dl_csv", on_click="ignore")
    d2.download_button("Download JSON", lambda: json.dumps(report.diagnosis_record(case, ranking, hpo, result["ranker"]), indent=2),
                       "gene_ranking.json", "application/json", key="dx_dl_json", on_click="ignore")
    d3.download_button("Printable summary", lambda: report.diagnosis_summary_html(case, ranking, hpo, result["ranker"], DEFAULT_K, top=int(top_n)),
                       "gene_ranking_summary.html", "text/html", key="dx_dl_html", on_click="ignore")
    d4.download_button("Save as phenopacket", _phenopacket, f"{case.id}.phenopacket.json", "application/json",
                       key="dx_dl_phenopacket", on_click="ignore", help="GA4GH phenopacket v2: the terms, known gene, ranked candidates with "
                       "evidence, date, software, ranker and HPO release. Open it again under *Open a phenopacket*.")

if loading_line is not None:  # last, after everything is drawn (see _wait_for_model)
    _wait_for_model(choices[0].spec, release, loading_line)
