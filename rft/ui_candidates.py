"""The Diagnose page's candidate genes: pasted, a gene-list file, or an annotated VCF with its filters and counts.

    streamlit run app.py      # Diagnose -> "Candidate genes (the patient's exome)"

`candidate_input(hpo)` draws the widgets and returns the candidate symbols (None: rank every gene). Reading and
filtering are `rft.candidates` and `rft.vcf`'s; this file only lays them out. A bad file is one `st.error` line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from rft.candidates import parse_candidates, resolve_candidates
from rft.limits import MAX_VCF_UPLOAD_MB
from rft.vcf import IMPACTS, VcfFilters, read_vcf_genes_from_bytes

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["CANDIDATE_SOURCES", "candidate_input"]

CANDIDATE_SOURCES = ("All genes", "Paste genes", "Gene-list file", "Annotated VCF")


@st.cache_data(max_entries=4, show_spinner="Reading the VCF…")
def _vcf_genes(data: bytes, name: str, min_impact: str, max_af: float | None, pass_only: bool):
    """The VCF read once per file and filter setting (pure: bytes and settings in, genes and counts out)."""
    return read_vcf_genes_from_bytes(data, name, VcfFilters(min_impact, max_af, pass_only))


def candidate_input(hpo: Hpo) -> list[str] | None:
    """Widgets for the patient's candidate genes; returns the symbols, or None to rank every gene."""
    source = st.radio("Rank", CANDIDATE_SOURCES, key="dx_cand_source", horizontal=True,
                      help="Exome or genome sequencing leaves a list of genes with rare, damaging variants: rank only those.")
    genes: list[str] = []
    try:
        if source == "All genes":
            return None
        if source == "Paste genes":
            text = st.text_area("Candidate genes", key="dx_cand_text", height=100, placeholder="e.g. SCN1A, TTN, KCNQ2 (symbols, previous symbols or aliases)")
            genes = list(parse_candidates(text, "the pasted list")) if text.strip() else []
        elif source == "Gene-list file":
            upload = st.file_uploader("A gene list (one symbol per line, or separated by commas)", type=["txt", "tsv", "csv", "list"], key="dx_cand_file")
            if upload is not None:
                given = parse_candidates(upload.getvalue().decode("utf-8", errors="replace"), upload.name)
                genes = given if isinstance(given, list) else [g for v in given.values() for g in v]
        else:
            genes = _vcf_input()
    except ValueError as e:
        st.error(str(e))
        return []
    if genes:
        resolved = resolve_candidates(genes, hpo)
        st.caption(f"{len(resolved.genes)} candidate genes: {len(resolved.annotated)} with phenotype annotations in HPO {hpo.version}, "
                   f"{len(resolved.unannotated)} without (placed by the rule in docs/candidates.md)")
        for note in resolved.notes[:20]:
            st.caption(f":material/info: {note}")
    return genes


def _vcf_input() -> list[str]:
    # Its own limit, above the case files' (rft.limits): an annotated exome VCF is often past 50 MB, and the reader streams it.
    upload = st.file_uploader(f"A VCF annotated by VEP (CSQ) or SnpEff (ANN), plain or gzipped (at most {MAX_VCF_UPLOAD_MB} MB here; larger: "
                              "`rft rank --candidates FILE.vcf.gz`)", type=["vcf", "gz"], key="dx_cand_vcf", max_upload_size=MAX_VCF_UPLOAD_MB)
    f1, f2, f3 = st.columns(3)
    min_impact = f1.selectbox("Least severe impact kept", IMPACTS, index=1, key="dx_cand_impact",
                              help="VEP IMPACT / SnpEff Annotation_Impact: HIGH (stop, frameshift, splice site) > MODERATE (missense) > LOW > MODIFIER")
    use_af = f2.checkbox("Filter by population AF", value=True, key="dx_cand_use_af", help="where the VCF annotates one (gnomAD fields)")
    max_af = f2.number_input("Highest population AF", min_value=0.0, max_value=1.0, value=0.01, step=0.005, format="%.4f", key="dx_cand_af", disabled=not use_af)
    pass_only = f3.checkbox("FILTER = PASS only", value=True, key="dx_cand_pass")
    if upload is None:
        return []
    if upload.size > MAX_VCF_UPLOAD_MB * 2**20:  # the browser refuses it first; this holds for any other client
        raise ValueError(f"{upload.name} is {upload.size / 2**20:.1f} MB; the limit here is {MAX_VCF_UPLOAD_MB} MB. "
                         f"Rank it with `rft rank --candidates {upload.name}`, which streams any size.")
    found = _vcf_genes(upload.getvalue(), upload.name, min_impact, float(max_af) if use_af else None, pass_only)
    st.dataframe([{"step": s, "variants": v, "genes": g if i >= 2 else None} for i, (s, v, g) in enumerate(found.steps)],
                 key="dx_cand_steps", hide_index=True)
    if found.n_problems:
        with st.expander(f"{found.n_problems} lines could not be read as they are (the rest was read)"):
            st.text("\n".join(found.problems))
    if not found.genes:
        st.warning("No variant passes these filters: loosen them to get candidate genes.")
    return found.genes
