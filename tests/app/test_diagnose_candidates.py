"""The Diagnose page within the patient's candidate genes (AppTest): pasted symbols, an annotated VCF with its
filter counts, and the inputs people get wrong (one st.error line, never an exception)."""

from __future__ import annotations

import gzip
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")

VCF = (
    "##fileformat=VCFv4.2\n##contig=<ID=15>\n"
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|gnomADe_AF">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    "15\t100\t.\tC\tT\t50\tPASS\tCSQ=T|missense_variant|MODERATE|FBN1|0.0001\n"
    "15\t200\t.\tC\tT\t50\tPASS\tCSQ=T|stop_gained|HIGH|TTN|\n"
    "15\t300\t.\tC\tT\t50\tLowQual\tCSQ=T|stop_gained|HIGH|COL1A1|\n"  # fails FILTER
    "15\t400\t.\tC\tT\t50\tPASS\tCSQ=T|missense_variant|MODERATE|OR4F5|\n"  # an olfactory receptor HPO does not annotate
    "15\t500\t.\tC\tT\t50\tPASS\tCSQ=T|synonymous_variant|LOW|SCN1A|\n"  # too mild
)


def _marfan(source: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.selectbox(key="dx_example").select("example-marfan").run()
    at.selectbox(key="dx_ranker").select("likelihood").run()
    at.radio(key="dx_cand_source").set_value(source).run()
    assert not at.exception
    return at


def _genes(at: AppTest) -> list[str]:
    frame = next(f.value for f in at.dataframe if {"rank", "gene", "score"} <= set(f.value.columns))
    return list(frame["gene"])


def test_pasted_candidates_rank_only_those_and_name_the_unannotated():
    at = _marfan("Paste genes")
    at.text_area(key="dx_cand_text").input("TTN, fbn1; OR4F5 NOSUCH9").run()
    at.button(key="dx_rank").click().run()
    assert not at.exception
    assert sorted(_genes(at)) == ["FBN1", "NOSUCH9", "OR4F5", "TTN"]
    assert _genes(at)[0] == "FBN1"
    assert any("have no phenotype annotation in HPO" in c.value and "OR4F5" in c.value for c in at.caption)
    assert any("NOSUCH9: not a symbol" in c.value for c in at.caption)
    assert any("The **likelihood** ranker scored" in m.value for m in at.markdown)  # the evidence is still the ranker's own computation


def test_vcf_filters_show_counts_and_rank_within_the_genes():
    at = _marfan("Annotated VCF")
    at.file_uploader(key="dx_cand_vcf").upload("patient.vcf.gz", gzip.compress(VCF.encode()), "application/gzip").run()
    assert not at.exception
    steps = next(f.value for f in at.dataframe if "step" in f.value.columns)
    assert list(steps["variants"]) == [5, 4, 4, 3, 3]  # read, PASS, annotated, impact, AF
    at.button(key="dx_rank").click().run()
    assert not at.exception
    # FBN1 fits (#1 genome-wide); TTN is below DEFAULT_RULE.fit_rank for a Marfan patient, so the unannotated gene goes before it
    assert _genes(at) == ["FBN1", "OR4F5", "TTN"]
    assert any("OR4F5" in c.value and "no phenotype annotation" in c.value for c in at.caption)


def test_vcf_without_annotation_and_empty_list_are_one_line_errors():
    at = _marfan("Annotated VCF")
    plain = VCF.replace('##INFO=<ID=CSQ', '##INFO=<ID=XX')
    at.file_uploader(key="dx_cand_vcf").upload("raw.vcf", plain.encode(), "text/plain").run()
    assert not at.exception
    assert any("no CSQ (VEP) or ANN (SnpEff)" in e.value for e in at.error)
    at2 = _marfan("Paste genes")
    at2.button(key="dx_rank").click().run()
    assert not at2.exception
    assert any("No candidate gene yet" in e.value for e in at2.error)


def test_case_knowledge_ranks_a_gene_hpo_lacks_and_names_its_cases(monkeypatch, tmp_path):
    # Two solved patients of OR4F5 (a gene HPO does not annotate) shaped like the Marfan example: with them as
    # knowledge ($RFT_CASE_KNOWLEDGE), OR4F5 is scored like any annotated gene and its evidence names their papers.
    solved = tmp_path / "solved.jsonl"
    terms = ["HP:0001083", "HP:0001166", "HP:0002616", "HP:0000098", "HP:0000767"]
    solved.write_text("".join(f'{{"id": "PMID_{p}_case_1", "present": {terms!r}, "genes": ["OR4F5"]}}\n'.replace("'", '"') for p in (11, 12)))
    monkeypatch.setenv("RFT_CASE_KNOWLEDGE", str(solved))
    at = _marfan("Paste genes")
    assert any("Knowledge: HPO" in c.value and "case reports from solved.jsonl: 2 cases, 1 genes" in c.value for c in at.sidebar.caption)
    at.text_area(key="dx_cand_text").input("TTN, FBN1, OR4F5").run()
    at.button(key="dx_rank").click().run()
    assert not at.exception
    assert _genes(at) == ["FBN1", "OR4F5", "TTN"]  # 5 of FBN1's 6 matches: second, before the poorly fitting TTN
    frame = next(f.value for f in at.dataframe if {"gene", "diseases"} <= set(f.value.columns))
    assert frame.set_index("gene").loc["OR4F5", "diseases"] == "published cases of OR4F5: 2 patients in PMID:11, PMID:12"
    assert not any("no phenotype annotation" in c.value and "OR4F5" in c.value for c in at.caption)


def test_case_knowledge_that_cannot_be_read_is_one_line_and_hpo_alone_ranks(monkeypatch, tmp_path):
    monkeypatch.setenv("RFT_CASE_KNOWLEDGE", str(tmp_path / "missing.zip"))
    at = _marfan("Paste genes")
    assert any("missing.zip" in e.value and "ranking against HPO alone" in e.value for e in at.error)
    at.text_area(key="dx_cand_text").input("TTN, FBN1, OR4F5").run()
    at.button(key="dx_rank").click().run()
    assert not at.exception and _genes(at)[0] == "FBN1"
    assert any("OR4F5" in c.value and "no phenotype annotation" in c.value for c in at.caption)


def test_a_vcf_past_its_limit_is_one_line_naming_the_file_and_the_terms_stay(monkeypatch):
    # The VCF has its own upload limit (rft.limits.MAX_VCF_UPLOAD_MB, above the case files' 50 MB: exome VCFs are often
    # larger); past it the file is not read, the page says so in one line, and the patient's terms are kept.
    import rft.ui_candidates

    monkeypatch.setattr(rft.ui_candidates, "MAX_VCF_UPLOAD_MB", 1)
    at = _marfan("Annotated VCF")
    assert "at most 1 MB" in at.file_uploader(key="dx_cand_vcf").label
    terms = list(at.multiselect(key="dx_present").value)
    big = VCF + "".join(f"15\t{1000 + i}\t.\tC\tT\t50\tPASS\tCSQ=T|missense_variant|MODERATE|FBN1|0.0001\n" for i in range(20_000))
    at.file_uploader(key="dx_cand_vcf").upload("exome.vcf", big.encode(), "text/plain").run()
    assert not at.exception
    assert [e.value for e in at.error if "exome.vcf" in e.value and "the limit here is 1 MB" in e.value and "rft rank --candidates" in e.value]
    assert not [f for f in at.dataframe if "step" in f.value.columns]  # not read
    assert list(at.multiselect(key="dx_present").value) == terms  # the Marfan example's terms are still there


def test_the_vcf_limit_is_above_the_case_files_limit():
    from rft.limits import MAX_UPLOAD_MB, MAX_VCF_UPLOAD_MB

    at = _marfan("Annotated VCF")
    assert MAX_VCF_UPLOAD_MB > MAX_UPLOAD_MB and f"at most {MAX_VCF_UPLOAD_MB} MB" in at.file_uploader(key="dx_cand_vcf").label
