"""Every page of app.py under Streamlit's AppTest: happy paths and the inputs people get wrong.

    pytest tests/app/test_pages.py

The ontology is loaded once per process by `st.cache_resource`, so only the first run pays for it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60  # the first run loads the HPO release (~4 s on a busy machine); the default 3 s is too short


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    if page:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
    return at


def _table(at: AppTest, *columns: str):
    """The first table showing all `columns` (AppTest does not expose a read-only st.dataframe's key)."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with columns {columns}; tables: {[list(f.value.columns) for f in at.dataframe]}")


def _button(at: AppTest, key: str):
    return at.button(key=key)


# -- Diagnose ------------------------------------------------------------------------------------------
def test_app_opens_on_diagnose_with_a_ranker_chosen():
    at = _app()
    assert at.title[0].value == "Diagnose"
    ranker = at.selectbox(key="dx_ranker")
    assert ranker.value  # the default model if shipped, else the "similarity" classical ranker
    assert _button(at, "dx_rank").disabled  # nothing to rank yet
    assert any("Add at least one present term" in i.value for i in at.info)


def test_search_add_present_and_absent_then_rank():
    at = _app()
    at.text_input(key="dx_query").input("seizure").run()
    hit = at.selectbox(key="dx_hit")
    assert hit.value == "HP:0001250"  # Seizure: exact label first
    _button(at, "dx_add_present").click().run()
    at.text_input(key="dx_query").input("microcephaly").run()
    _button(at, "dx_add_excluded").click().run()
    at.text_input(key="dx_query").input("HP:0001263").run()  # Global developmental delay, by id
    _button(at, "dx_add_present").click().run()
    assert at.multiselect(key="dx_present").value == ["HP:0001250", "HP:0001263"]
    assert at.multiselect(key="dx_excluded").value == ["HP:0000252"]  # Microcephaly
    _button(at, "dx_rank").click().run()
    assert not at.exception
    table = _table(at, "rank", "gene", "score")
    assert len(table) == 20 and list(table["rank"]) == list(range(1, 21))
    assert table["score"].is_monotonic_decreasing
    assert "Evidence" in [h.value for h in at.subheader]  # term-by-term evidence for the chosen gene
    # "explains" k/n is the evidence table's count of annotated terms (✓) for the same gene: the first one, shown below
    evidence = at.table[0].value
    present = evidence[evidence.index == "present"]
    assert table["explains"].iloc[0] == f"{int((present['match'] == 'annotated').sum())}/{len(present)}"
    assert {b.key for b in at.get("download_button")} >= {"dx_dl_csv", "dx_dl_json", "dx_dl_html"}


def test_example_case_with_known_gene_shows_its_rank_and_score():
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    assert "HP:0001083" in at.multiselect(key="dx_present").value  # Ectopia lentis
    assert at.text_input(key="dx_gene").value == "FBN1"
    _button(at, "dx_rank").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Rank of FBN1" in labels and "Grader score (top-10)" in labels
    rank = next(m.value for m in at.metric if m.label == "Rank of FBN1")
    assert rank != "not ranked"
    assert bool(_table(at, "rank", "gene", "score")["causal"].any()) == (int(rank) <= 20)


def _record_downloads(monkeypatch) -> dict[str, dict]:
    """Each download button's key -> {"file_name", "data"} as the page passed them (the buttons sit in st.columns,
    so they are recorded on the way to being drawn)."""
    from streamlit.delta_generator import DeltaGenerator

    seen: dict[str, dict] = {}
    real = DeltaGenerator.download_button

    def recording(self, label, data, file_name=None, *args, **kwargs):
        seen[kwargs.get("key")] = {"file_name": file_name, "data": data}
        return real(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    return seen


def _default_partner() -> str:
    """The classical ranker whose computation explains the shipped model's list: its meta.json's partner, or for
    the consensus its likelihood part."""
    from rft.registry import default_model_dir

    partner = json.loads((default_model_dir() / "meta.json").read_text())["ranking"]["hybrid"]["classical"]
    return {"consensus": "likelihood"}.get(partner, partner)


@pytest.mark.parametrize("ranker, explained_by", [("similarity", "similarity"), ("likelihood", "likelihood"), ("consensus", "likelihood"),
                                                    ("reranker (knowledge reranker)", "likelihood"), ("RFT-tuned (default model)", None)])
def test_evidence_is_the_computation_of_the_ranker_in_the_list(ranker, explained_by):
    # A classical ranker explains itself; the consensus by its likelihood part; the shipped model is fused with a
    # classical ranker (its meta.json), so its list is explained by that ranker, term by term.
    explained_by = explained_by or _default_partner()
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    at.selectbox(key="dx_ranker").select(ranker).run()
    _button(at, "dx_rank").click().run()
    assert not at.exception
    assert any(f"The **{explained_by}** ranker scored" in m.value for m in at.markdown)
    # the knowledge reranker also says where the consensus put the gene, where it moved it, and the counts it read
    reading = [m.value for m in at.markdown if "Among all genes the consensus ranks" in m.value]
    assert len(reading) == ("reranker" in ranker) and all("of the patient's" in r and "present terms" in r for r in reading)
    [evidence] = [t.value for t in at.table if "contribution" in t.value.columns]
    assert evidence.iloc[-1]["patient term"] == "total" and f"the {explained_by} ranker's score" in evidence.iloc[-1]["match"]
    counted = [float(v) for v in evidence["contribution"].iloc[:-1] if v != "not counted"]
    assert sum(counted) == pytest.approx(float(evidence["contribution"].iloc[-1]), abs=1e-3 * len(counted))
    fused = ranker.startswith("RFT")  # a fusion's Diseases tab says plainly that it does not rank like the gene list
    said = ("alone, not by the list on the Genes tab" if fused else "one of the two classical rankers whose consensus" if ranker == "consensus"
            else "whose scores the knowledge reranker reads" if "reranker" in ranker else "the one that ranks the gene list")
    assert ("model rank" in _table(at, "gene", "score").columns) == fused
    table = _table(at, "gene", "score")
    assert ("consensus rank" in table.columns) == ("reranker" in ranker)  # the order the reranker reorders, beside its own
    if "reranker" in ranker:
        assert table["consensus rank"].min() >= 1  # and the Evidence's reading agrees with the table about the gene it opens
        assert any(f"consensus ranks {g} #{c};" in r for g, c in zip(table["gene"], table["consensus rank"]) for r in reading)
    assert not any("Diseases ranked" in c.value for c in at.caption)  # lazy tabs: the Diseases tab runs when opened
    at.session_state["dx_view"] = "Diseases"
    at.run()
    assert any(f"Diseases ranked by the {explained_by} ranker" in c.value and said in c.value for c in at.caption)


def test_the_shipped_gated_ranking_says_whether_the_model_spoke():
    # The shipped model ranks through a per-case gate (meta.json): the page says, for this patient, whether the
    # tuned model had a say or the list is its classical partner's alone.
    import json

    from rft.registry import MODELS_DIR

    meta = MODELS_DIR / "default" / "meta.json"
    if not meta.is_file() or "gate" not in (json.loads(meta.read_text())["ranking"].get("hybrid") or {}):
        pytest.skip("the shipped model has no gated ranking")
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    at.selectbox(key="dx_ranker").select("RFT-tuned (default model)").run()
    _button(at, "dx_rank").click().run()
    assert not at.exception
    said = [c.value for c in at.caption if "**Gate open:**" in c.value or "(**gate shut**)" in c.value]  # the verdict, not the score's legend
    partner = json.loads(meta.read_text())["ranking"]["hybrid"]["classical"]
    assert len(said) == 1 and f"for the {partner} ranker" in said[0]


def test_unknown_term_typed_warns_and_adds_nothing():
    at = _app()
    at.text_input(key="dx_query").input("xyzzy-not-a-phenotype").run()
    assert not at.exception
    assert any("No HPO term matches" in w.value for w in at.warning)
    _button(at, "dx_add_present").click().run()  # never disabled (a disabled button swallowed the first click)
    assert not at.exception
    assert at.multiselect(key="dx_present").value == []


def test_add_right_after_typing_takes_the_new_query_best_hit():
    """The click that commits the typed text arrives before the hits list is redrawn: it must not be lost."""
    at = _app()
    at.text_input(key="dx_query").input("seizure").run()
    _button(at, "dx_add_present").click().run()
    at.text_input(key="dx_query").set_value("microcephaly")  # typed, no Enter: no rerun before the click
    _button(at, "dx_add_present").click().run()
    assert at.multiselect(key="dx_present").value == ["HP:0001250", "HP:0000252"]  # Seizure, Microcephaly


def test_no_terms_cannot_rank_and_unknown_gene_is_a_warning():
    at = _app()
    assert _button(at, "dx_rank").disabled
    at.text_input(key="dx_query").input("seizure").run()
    _button(at, "dx_add_present").click().run()
    at.text_input(key="dx_gene").input("NOTAGENE1").run()
    _button(at, "dx_rank").click().run()
    assert not at.exception
    assert any("no phenotype annotation" in w.value for w in at.warning)


def test_note_terms_with_negation_are_offered_then_added():
    at = _app()
    at.text_area(key="dx_note").input("Seizures since 8 months and hypotonia. No hearing loss.")
    at.button(key="dx_note_find").click().run()
    assert not at.exception
    boxes = [c for c in at.checkbox if c.key.startswith("dx_note_keep_")]
    assert len(boxes) == 3 and [c.value for c in boxes] == [True, True, False]  # a negated finding is offered unticked
    assert "absent" in boxes[2].label and "Hearing impairment" in boxes[2].label and "“hearing loss”" in boxes[2].label
    assert "negated" in boxes[2].label
    boxes[1].uncheck().run()  # drop hypotonia
    boxes[2].check().run()  # keep the absent hearing loss
    at.button(key="dx_note_add").click().run()
    assert at.multiselect(key="dx_present").value == ["HP:0001250"]  # Seizure
    assert at.multiselect(key="dx_excluded").value == ["HP:0000365"]  # Hearing impairment


def test_family_uncertain_and_trigger_findings_are_never_pre_ticked_and_say_why():
    # The wrong picks a new user met (issue 26): each is offered unticked with its reason; only the patient's own sign is ticked.
    at = _app()
    at.text_area(key="dx_note").input("Mother has epilepsy. Possible autism. Hypotonia, first with fever.")
    at.button(key="dx_note_find").click().run()
    assert not at.exception
    boxes = {c.label.split(" · ")[0].split("] ")[1]: c for c in at.checkbox if c.key.startswith("dx_note_keep_")}
    assert {label: c.value for label, c in boxes.items()} == {"Seizure": False, "Autism": False, "Hypotonia": True, "Fever": False}
    assert "relative" in boxes["Seizure"].label and "uncertain" in boxes["Autism"].label and "trigger" in boxes["Fever"].label
    at.button(key="dx_note_add").click().run()
    assert at.multiselect(key="dx_present").value == ["HP:0001252"] and at.multiselect(key="dx_excluded").value == []


def test_evidence_opens_for_a_gene_far_below_the_table_and_diseases_are_ranked():
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    _button(at, "dx_rank").click().run()
    genes = at.selectbox(key="dx_evidence_gene")
    assert len(genes.options) > 1000  # every ranked gene, not only the table's 20
    far = genes.options[150]
    genes.select(far.split(". ", 1)[1]).run()
    assert not at.exception
    assert any(f"rank {far.split('.')[0]}" in m.value and "ClinVar" in m.value for m in at.markdown)
    assert "tie" in _table(at, "rank", "gene", "score").columns
    assert any("position in the list" in c.value for c in at.caption)  # the rank convention is stated
    at.session_state["dx_view"] = "Diseases"  # the Diseases tab, opened (lazy: it runs only when open)
    at.run()
    diseases = _table(at, "disease", "ids", "genes")
    assert diseases["disease"].str.lower().str.contains("marfan syndrome").any()
    assert all(", " not in ids or len(set(ids.split(", "))) > 1 for ids in diseases["ids"])
    at.session_state["dx_view"] = "Genes"
    at.run()
    assert at.selectbox(key="dx_evidence_gene").value == far.split(". ", 1)[1]  # back on Genes, the same gene's evidence


def test_several_known_genes_and_phenopacket_round_trip():
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    at.text_input(key="dx_gene").input("fbn1, TGFBR2").run()
    _button(at, "dx_rank").click().run()
    assert any(m.label == "Rank of FBN1, TGFBR2" for m in at.metric)
    assert any("dx_dl_phenopacket" in b.proto.id for b in at.get("download_button"))
    at2 = _app()
    from rft.cases import Case
    from rft.phenopacket_export import diagnosis_phenopacket  # the page's own export, re-imported below
    from rft.rankers.similarity import SimilarityRanker
    from rft.ui import cached_hpo

    hpo = cached_hpo("")
    case = Case("saved-1", ("HP:0001083", "HP:0001166"), ("HP:0001249",), ("FBN1",))
    [ranking] = SimilarityRanker(hpo).rank([case], top=30)
    data = json.dumps(diagnosis_phenopacket(case, ranking, hpo, "similarity", "similarity", {}, top=10)).encode()
    at2.file_uploader(key="dx_import").upload("saved-1.json", data).run()
    assert not at2.exception
    assert at2.multiselect(key="dx_present").value == ["HP:0001083", "HP:0001166"]
    assert at2.multiselect(key="dx_excluded").value == ["HP:0001249"]
    assert at2.text_input(key="dx_gene").value == "FBN1" and at2.text_input(key="dx_case_id").value == "saved-1"


def test_ancestor_and_descendant_both_present_warn():
    at = _app()
    for query in ("seizure", "focal-onset seizure"):
        at.text_input(key="dx_query").input(query).run()
        _button(at, "dx_add_present").click().run()
    assert any("is an ancestor of" in w.value for w in at.warning)


# -- Batch ---------------------------------------------------------------------------------------------
GOOD_JSONL = b"".join(
    json.dumps(r).encode() + b"\n"
    for r in [
        {"id": "c1", "present": ["HP:0001166", "HP:0001083", "HP:0002616"], "genes": ["FBN1"]},  # Marfan hallmarks
        {"id": "c2", "present": ["HP:0000957", "HP:0000997"], "genes": ["NF1"]},  # cafe-au-lait, axillary freckling
        {"id": "c3", "present": ["HP:0001250"]},  # Seizure, no gene known
    ]
)


def test_batch_page_without_upload_explains_what_to_do():
    at = _app("batch")
    assert at.title[0].value == "Batch"
    assert any("50 MB" in c.value for c in at.caption)  # the size limit is stated
    assert at.info


def test_batch_upload_with_some_bad_rows_reports_them_and_ranks_the_rest():
    at = _app("batch")
    bad_rows = GOOD_JSONL + b"{not json\n" + json.dumps({"id": "c5", "present": ["HP:9999999"]}).encode() + b"\n"
    at.file_uploader(key="batch_upload").upload("cases.jsonl", bad_rows).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Records read"] == "5" and metrics["Usable cases"] == "3" and metrics["Skipped"] == "2"
    problems = _table(at, "where", "kind")
    assert set(problems["kind"]) >= {"malformed", "unknown_term"}
    _button(at, "batch_run").click().run()
    assert not at.exception
    results = _table(at, "case_id", "top_genes")
    assert list(results["case_id"]) == ["c1", "c2", "c3"]
    assert results["rank"].notna().sum() >= 1
    assert "TOP-1" in {m.label for m in at.metric}  # metrics shown: genes are known
    assert {b.key for b in at.get("download_button")} >= {"batch_dl_results", "batch_dl_metrics"}
    _button(at, "batch_prepare_rankings").click().run()  # the long table is built once, when asked for
    assert "batch_dl_rankings" in {b.key for b in at.get("download_button")}


def test_batch_downloads_are_named_by_ranker_and_date(monkeypatch):
    import datetime

    downloads = _record_downloads(monkeypatch)
    at = _app("batch")
    at.file_uploader(key="batch_upload").upload("cases.jsonl", GOOD_JSONL).run()
    at.selectbox(key="batch_ranker").select("similarity").run()
    _button(at, "batch_run").click().run()
    _button(at, "batch_prepare_rankings").click().run()  # the all-rankings file is built when asked for
    assert not at.exception
    today = datetime.date.today().isoformat()
    names = {key: d["file_name"] for key, d in downloads.items()}
    assert names == {"batch_dl_results": f"results_similarity_{today}.csv", "batch_dl_rankings": f"rankings_similarity_{today}.csv",
                     "batch_dl_metrics": f"metrics_similarity_{today}.json"}


def test_batch_grades_like_rft_eval_a_gene_below_the_kept_head_is_in_the_universe(monkeypatch):
    # Issue 26, bugs 2 and 3: with 10 genes kept, FBN1 (annotated, but far below a seizure-only case's head) was
    # counted "not in universe"; the results file now names the ranker as `rft eval` does and says how deep it is.
    from rft.evaluate import read_results

    downloads = _record_downloads(monkeypatch)
    at = _app("batch")
    cases = json.dumps({"id": "far", "present": ["HP:0001250"], "genes": ["FBN1"]}).encode() + b"\n"
    at.file_uploader(key="batch_upload").upload("cases.jsonl", cases).run()
    at.selectbox(key="batch_ranker").select("likelihood").run()
    at.number_input(key="batch_top").set_value(10).run()
    _button(at, "batch_run").click().run()
    assert not at.exception
    assert json.loads(downloads["batch_dl_metrics"]["data"])["not_in_universe"] == 0
    [result] = read_results("results.csv", downloads["batch_dl_results"]["data"].encode())
    assert result.rank is None and result.in_universe and result.kept == 10 and result.ranker == "likelihood"


def test_batch_empty_zip_says_it_holds_no_case_and_nothing_else():
    # Issue 26, bug 7: an empty zip said "No problems found." and then "fix the problems above".
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    at = _app("batch")
    at.file_uploader(key="batch_upload").upload("empty.zip", buffer.getvalue()).run()
    assert not at.exception
    assert not at.success and len(at.error) == 1 and "No case found in empty.zip" in at.error[0].value


def test_batch_malformed_file_is_reported_not_raised():
    at = _app("batch")
    at.file_uploader(key="batch_upload").upload("broken.json", b"\x00\xff this is not json").run()
    assert not at.exception
    assert any("No usable case" in e.value for e in at.error)
    at.file_uploader(key="batch_upload").clear().upload("broken.zip", b"PK not really a zip").run()
    assert not at.exception
    assert _table(at, "where", "kind")["kind"].tolist() == ["malformed"]


def test_batch_example_button_loads_the_example_batch():
    at = _app("batch")
    _button(at, "batch_example").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Usable cases"] == "4"


def test_batch_keeps_what_was_ranked_when_the_ranker_fails(monkeypatch):
    """A ranker that dies on the second chunk: the first chunk's results stay and the batch can continue."""
    import rft.ui

    at = _app("batch")
    many = b"".join(json.dumps({"id": f"c{i}", "present": ["HP:0001250"], "genes": ["SCN1A"]}).encode() + b"\n" for i in range(40))
    at.file_uploader(key="batch_upload").upload("many.jsonl", many).run()
    real = rft.ui.rank_in_chunks

    def failing(ranker, cases, top, chunk_size=16, start=0):
        for n, chunk in real(ranker, cases, top, chunk_size, start):
            if n > chunk_size:
                raise RuntimeError("GPU fell off the bus")
            yield n, chunk

    monkeypatch.setattr(rft.ui, "rank_in_chunks", failing)
    _button(at, "batch_run").click().run()
    assert not at.exception
    assert any("Ranking stopped after 16 of 40" in e.value for e in at.error)
    assert len(_table(at, "case_id", "top_genes")) == 16
    monkeypatch.setattr(rft.ui, "rank_in_chunks", real)
    assert _button(at, "batch_run").label == "Continue ranking"
    _button(at, "batch_run").click().run()
    assert not at.exception and not at.error
    assert len(_table(at, "case_id", "top_genes")) == 40


# -- Compare -------------------------------------------------------------------------------------------
def test_compare_two_rankers_on_the_example_cases():
    at = _app("compare")
    rankers = at.multiselect(key="cmp_rankers")
    assert len(rankers.options) >= 2, "need two rankers to compare"
    rankers.set_value(rankers.options[:2]).run()
    _button(at, "cmp_run").click().run()
    assert not at.exception
    table = _table(at, "ranker", "mrr")
    assert len(table) == 2 and (table["n"] == 5).all()  # the five example cases
    assert len(at.get("vega_lite_chart")) == 2  # the top-k curve and the per-case rank scatter
    assert {b.key for b in at.get("download_button")} >= {"cmp_dl_metrics", "cmp_dl_ranks"}


def test_compare_needs_two_rankers():
    at = _app("compare")
    at.multiselect(key="cmp_rankers").set_value(at.multiselect(key="cmp_rankers").options[:1]).run()
    assert not at.exception
    assert _button(at, "cmp_run").disabled
    assert any("at least two" in i.value for i in at.info)


def test_compare_saved_results_including_a_bad_file():
    at = _app("compare")
    a = b"case_id,causal_gene,rank\nc1,FBN1,1\nc2,NF1,4\nc3,SCN1A,\n"
    b = b"case_id,causal_gene,rank\nc1,FBN1,3\nc2,NF1,1\nc3,SCN1A,30\n"
    at.file_uploader(key="cmp_saved").set_value([("a.csv", a, "text/csv"), ("b.csv", b, "text/csv"), ("junk.csv", b"x,y\n1,2\n", "text/csv")]).run()
    _button(at, "cmp_run_saved").click().run()
    assert not at.exception
    assert any("junk.csv: lacks column" in e.value for e in at.error)
    assert _table(at, "ranker", "mrr")["ranker"].tolist() == ["a", "b"]


def test_compare_saved_jsonl_from_rft_eval_and_batch_csv_shows_the_paired_test():
    """An `rft eval --out` JSONL file beside a Batch page CSV: named by their ranker, with the p-value `rft compare` prints."""
    from rft.evaluate import CaseResult, compare, results_text

    genes = ["FBN1", "NF1", "SCN1A", "STXBP1", "GJB2", "MECP2", "PTPN11", "COL1A1", "TSC2", "CFTR"]
    first = [1, 2, 1, 5, 3, 1, None, 2, 8, 1]  # None: the causal gene was not ranked
    second = [4, 9, 2, 7, 3, 6, 40, 12, 30, 2]
    runs = {name: [CaseResult(f"c{i}", (g,), r, ranker=name) for i, (g, r) in enumerate(zip(genes, ranks))]
            for name, ranks in (("similarity", first), ("likelihood", second))}
    at = _app("compare")
    at.file_uploader(key="cmp_saved").set_value([
        ("similarity.jsonl", results_text(runs["similarity"]).encode(), "application/jsonl"),  # what `rft eval --out` writes
        ("batch_results.csv", results_text(runs["likelihood"], csv_format=True).encode(), "text/csv"),  # the Batch download
    ]).run()
    _button(at, "cmp_run_saved").click().run()
    assert not at.exception and not at.error
    assert _table(at, "ranker", "mrr")["ranker"].tolist() == ["similarity", "likelihood"]  # the rankers the files name
    tests = _table(at, "against", "Wilcoxon signed-rank p")
    expected = compare(runs).pairwise[0]  # the very test `rft compare` prints
    row = tests.iloc[0]
    assert (row["ranker"], row["against"], row["better on"], row["worse on"], row["tied on"]) == ("likelihood", "similarity", 1, 8, 1)  # c6: 40 beats unranked
    assert row["Wilcoxon signed-rank p"] == pytest.approx(expected["wilcoxon_p"]) and row["Wilcoxon signed-rank p"] < 0.05


# -- Models --------------------------------------------------------------------------------------------
def test_models_page_shows_a_card_from_meta_and_metrics(tmp_path, monkeypatch):
    run = tmp_path / "my-run"
    run.mkdir()
    meta = {"kind": "rft-run", "base": "data/models/base", "hpo_version": "2025-01-16",
            "grader": {"name": "topk_rank_k10", "kind": "topk", "k": 10}, "data": {"n_train": 1200, "n_valid": 100}}
    (run / "meta.json").write_text(json.dumps(meta))
    lines = [{"kind": "train", "step": s, "reward": 0.1 * s} for s in (1, 2, 3)] + [{"kind": "valid", "step": 3, "mean_score": 0.4, "top1": 0.3}]
    (run / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    monkeypatch.setenv("RFT_MODELS_DIR", str(tmp_path))  # the page lists the configured models folders only
    at = _app("models")
    assert not at.exception
    facts = [f.value for f in at.dataframe if list(f.value.columns) == ["field", "value"]]
    mine = next(dict(zip(f["field"], f["value"])) for f in facts if "1,200 cases, 100 validation" in f["value"].tolist())
    assert mine["Grader"] == "topk rank, k=10" and mine["Base"] == "data/models/base"  # whole values, in a full-width table
    assert any(f.value.columns.tolist() == ["metric", "validation at step 3"] and f.value["metric"].tolist() == ["mean_score", "top1"]
               for f in at.dataframe)


def test_models_page_shows_every_metric_a_base_meta_holds(tmp_path, monkeypatch):
    """A pretrained base keeps its metrics nested per validation run: every set and value shows, none is cut."""
    base = tmp_path / "my-base"
    base.mkdir()
    meta = {"model": "LlamaForCausalLM", "pretrain": {}, "examples_seen": 102400,
            "metrics": {"valid": {"n": 1492, "top1": 0.3947721179624665, "mrr": 0.48229838387793605}, "valid_split": "data/splits/dev_split.json",
                        "valid_hybrid": {"n": 1492, "top1": 0.6105898123324397}}}
    (base / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("RFT_MODELS_DIR", str(tmp_path))
    at = _app("models")
    assert not at.exception
    table = next(f.value for f in at.dataframe if "valid_hybrid" in f.value.columns and f.value["metric"].tolist() == ["n", "top1", "mrr"])
    assert table["valid"].tolist() == [1492, 0.3947721179624665, 0.48229838387793605]  # full values: the page formats, never rounds
    assert table["valid_hybrid"].tolist()[:2] == [1492, 0.6105898123324397]
    assert any(c.value == "valid_split: data/splits/dev_split.json" for c in at.caption)
    facts = [dict(zip(f.value["field"], f.value["value"])) for f in at.dataframe if list(f.value.columns) == ["field", "value"]]
    # the card of this folder (the shipped models are listed too): its base class and its synthetic data
    base_says = "none: pretrained from scratch (LlamaForCausalLM)"  # the architecture is no base (issue 26, bug 8)
    assert {"Base": base_says, "Training data": "102,400 synthetic patients"}.items() <= next(f for f in facts if f.get("Base") == base_says).items()


def test_models_page_shows_no_server_path_and_says_when_a_base_is_not_shipped(tmp_path, monkeypatch):
    # Issue 26, bug 8: the page showed absolute server paths, and a Base in a runs/ folder that no clone has.
    run = tmp_path / "elsewhere" / "my-run"
    run.mkdir(parents=True)
    (run / "meta.json").write_text(json.dumps({"kind": "rft-run", "base": "runs/prospective/base"}))
    monkeypatch.setenv("RFT_MODELS_DIR", str(tmp_path / "elsewhere"))
    at = _app("models")
    assert not at.exception
    shown = [c.value for c in at.caption] + [str(v) for f in at.dataframe if list(f.value.columns) == ["field", "value"] for v in f.value["value"]]
    repo = str(Path(APP).parent)
    assert not [t for t in shown if repo in t or str(tmp_path) in t]
    assert "…/elsewhere/my-run" in " ".join(shown) and "data/models/default" in " ".join(shown)
    assert any("not in this repository" in t for t in shown)


@pytest.mark.parametrize("page", ["diagnose", "batch", "compare", "models"])
def test_every_page_runs(page):
    at = _app(page)
    assert at.title[0].value == page.capitalize()


def test_release_picker_switches_every_page_to_a_cached_release(tmp_path, monkeypatch):
    from ontology.releases import install_release

    monkeypatch.setenv("RFT_CACHE_DIR", str(tmp_path))
    install_release(Path(__file__).resolve().parents[1] / "fixtures" / "hpo_mini", "test")
    at = _app()
    picker = at.selectbox(key="hpo_release")
    assert picker.options[1] == "2099-01-01" and "(default)" in picker.options[0]
    picker.select("2099-01-01").run()
    assert not at.exception
    assert "HPO release 2099-01-01" in at.caption[0].value and "4 genes" in at.caption[0].value
    at.switch_page("pages/batch.py").run()
    assert not at.exception and any("HPO release 2099-01-01" in c.value for c in at.caption)  # the choice holds on every page


def test_users_see_no_deploy_button():
    # Issue 26, item 4: Streamlit's developer toolbar ("Deploy") is hidden from the app's users.
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"


def test_one_click_removes_the_general_term_the_warning_names():
    at = _app()
    for query in ("seizure", "focal-onset seizure"):
        at.text_input(key="dx_query").input(query).run()
        _button(at, "dx_add_present").click().run()
    assert any("is an ancestor of" in w.value for w in at.warning)
    _button(at, "dx_drop_general_present").click().run()
    assert not at.exception and "HP:0001250" not in at.multiselect(key="dx_present").value  # Seizure, the general one, went
    assert len(at.multiselect(key="dx_present").value) == 1 and not any("is an ancestor of" in w.value for w in at.warning)


def test_sex_and_age_of_onset_are_saved_in_the_phenopacket(monkeypatch):
    downloads = _record_downloads(monkeypatch)
    at = _app()
    at.selectbox(key="dx_example").select("example-marfan").run()
    at.selectbox(key="dx_ranker").select("similarity").run()
    at.selectbox(key="dx_sex").select("male").run()
    at.selectbox(key="dx_onset").select("HP:0011463").run()  # Childhood onset
    _button(at, "dx_rank").click().run()
    assert not at.exception
    packet = json.loads(downloads["dx_dl_phenopacket"]["data"]())  # built when its button is clicked
    assert packet["subject"]["sex"] == "MALE"
    assert {f["onset"]["ontologyClass"]["id"] for f in packet["phenotypicFeatures"] if not f.get("excluded")} == {"HP:0011463"}


def test_batch_case_knowledge_is_opt_in_and_leaves_out_each_case_own_paper(monkeypatch, tmp_path):
    # Solved cases as knowledge ($RFT_CASE_KNOWLEDGE) on Batch: ticked, a gene HPO lacks is ranked through the cases of
    # other papers, never through the uploaded case's own paper (as `rft eval --case-knowledge` does).
    marfan, hearing = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098"], ["HP:0000407", "HP:0000365", "HP:0001263"]
    rows = [("PMID_11_a", marfan, "OR4F5"), ("PMID_12_a", marfan, "OR4F5"), ("PMID_13_a", hearing, "OR4F6")]
    solved = tmp_path / "solved.jsonl"
    solved.write_text("".join(json.dumps({"id": i, "present": t, "genes": [g]}) + "\n" for i, t, g in rows))
    monkeypatch.setenv("RFT_CASE_KNOWLEDGE", str(solved))
    downloads = _record_downloads(monkeypatch)
    at = _app("batch")
    batch = [{"id": "PMID_12_new", "present": marfan[:3], "genes": ["OR4F5"]}, {"id": "PMID_13_new", "present": hearing, "genes": ["OR4F6"]}]
    at.file_uploader(key="batch_upload").upload("cases.jsonl", "".join(json.dumps(r) + "\n" for r in batch).encode()).run()
    at.selectbox(key="batch_ranker").select("likelihood").run()
    _button(at, "batch_run").click().run()
    assert not at.exception
    assert list(_table(at, "case_id", "rank")["rank"].isna()) == [True, True]  # HPO alone: neither gene is annotated
    at.checkbox(key="batch_case_knowledge").check().run()
    _button(at, "batch_run").click().run()
    assert not at.exception
    ranks = _table(at, "case_id", "rank").set_index("case_id")["rank"]
    assert ranks["PMID_12_new"] == 2  # through PMID_11's case (its own paper PMID_12 left out), after FBN1 (Marfan)
    assert ranks.isna()["PMID_13_new"]  # OR4F6's only cases are its own paper's
    assert json.loads(downloads["batch_dl_metrics"]["data"])["ranker"] == "likelihood + case knowledge"


def test_compare_offers_each_ranker_with_case_knowledge(monkeypatch, tmp_path):
    # With $RFT_CASE_KNOWLEDGE set, Compare offers "<ranker> + case knowledge" beside each ranker, and ranks it with the
    # solved cases added, each compared case's own paper left out (as Batch and `rft eval --case-knowledge` do).
    marfan = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098"]
    solved = tmp_path / "solved.jsonl"
    hearing = ["HP:0000407", "HP:0000365", "HP:0001263"]
    rows = [("PMID_11_a", marfan, "OR4F5"), ("PMID_12_a", marfan, "OR4F5"), ("PMID_13_a", hearing, "OR4F6")]
    solved.write_text("".join(json.dumps({"id": i, "present": t, "genes": [g]}) + "\n" for i, t, g in rows))
    monkeypatch.setenv("RFT_CASE_KNOWLEDGE", str(solved))
    downloads = _record_downloads(monkeypatch)
    at = _app("compare")
    cases = [{"id": "PMID_12_new", "present": marfan[:3], "genes": ["OR4F5"]}, {"id": "PMID_14_new", "present": marfan, "genes": ["FBN1"]},
             {"id": "PMID_13_new", "present": hearing, "genes": ["OR4F6"]}]
    at.file_uploader(key="cmp_upload").upload("cases.jsonl", "".join(json.dumps(r) + "\n" for r in cases).encode()).run()
    rankers = at.multiselect(key="cmp_rankers")
    assert "likelihood + case knowledge" in rankers.options and "likelihood" in rankers.options
    rankers.set_value(["likelihood", "likelihood + case knowledge"]).run()
    _button(at, "cmp_run").click().run()
    assert not at.exception
    ranks = pd.read_csv(io.BytesIO(downloads["cmp_dl_ranks"]["data"])).set_index("case_id")
    assert pd.isna(ranks.loc["PMID_12_new", "rank (likelihood)"])  # HPO alone does not annotate OR4F5
    assert ranks.loc["PMID_12_new", "rank (likelihood + case knowledge)"] == 2  # through PMID_11's case, after FBN1
    assert ranks.loc["PMID_14_new", "rank (likelihood + case knowledge)"] == 1  # FBN1 still first for a Marfan patient
    assert pd.isna(ranks.loc["PMID_13_new", "rank (likelihood + case knowledge)"])  # OR4F6's only case is its own paper's


def test_compare_without_case_knowledge_offers_no_case_knowledge_rankers(monkeypatch):
    monkeypatch.delenv("RFT_CASE_KNOWLEDGE", raising=False)
    at = _app("compare")
    assert not any(o.endswith("+ case knowledge") for o in at.multiselect(key="cmp_rankers").options)
