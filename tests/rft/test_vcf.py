"""rft.vcf: candidate genes from VEP (CSQ) and SnpEff (ANN) VCFs, the filters and their counts, and bad input
(hand-written VCFs; each bad line is named with its number and the rest is read)."""

from __future__ import annotations

import gzip

import pytest

from rft.vcf import VcfFilters, read_vcf_genes, read_vcf_genes_from_bytes

HEAD = "##fileformat=VCFv4.2\n##contig=<ID=1>\n##contig=<ID=2>\n"
VEP = '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|gnomADe_AF">\n'
SNPEFF = ("##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | "
          "Gene_ID'\">\n##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description=\"gnomAD AF\">\n")
COLS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def rec(pos, filt, info, chrom="1"):
    return f"{chrom}\t{pos}\t.\tC\tT\t50\t{filt}\t{info}\n"


VEP_BODY = [  # line 6 onwards (5 header lines)
    rec(100, "PASS", "CSQ=T|missense_variant|MODERATE|SCN1A|0.0001"),  # kept
    rec(200, "LowQual", "CSQ=T|stop_gained|HIGH|TTN|"),  # fails FILTER
    rec(300, ".", "CSQ=T|synonymous_variant|LOW|KCNQ2|,T|intron_variant|MODIFIER|KCNQ2|"),  # too mild
    rec(400, "PASS", "CSQ=T|stop_gained|HIGH|GJB2|0.2"),  # too common
    rec(500, "PASS", "DP=3"),  # no annotation
    rec(600, "PASS", "CSQ=T|frameshift_variant|HIGH|STXBP1|,T|intron_variant|MODIFIER|STXBP1-AS1|"),  # kept, no AF
]


def write(tmp_path, text, name="x.vcf", gz=False):
    p = tmp_path / name
    p.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return p


@pytest.mark.parametrize("gz", [False, True])
def test_vep_filters_and_counts(tmp_path, gz):
    found = read_vcf_genes(write(tmp_path, HEAD + VEP + COLS + "".join(VEP_BODY), "p.vcf.gz" if gz else "p.vcf", gz))
    assert found.genes == ["SCN1A", "STXBP1"]
    assert found.annotation == "CSQ (VEP)" and found.af_field == "gnomADe_AF (in CSQ)"
    assert [s[1] for s in found.steps] == [6, 5, 4, 3, 2]  # read, PASS, annotated, impact, frequency
    assert [s[2] for s in found.steps[2:]] == [5, 3, 2]  # genes: SCN1A KCNQ2 GJB2 STXBP1 STXBP1-AS1; then SCN1A GJB2 STXBP1
    assert found.problems == ["line 10: no CSQ annotation (1 variant(s) without one in all; skipped)"]


@pytest.mark.parametrize(
    "filters, genes",
    [
        (VcfFilters("LOW", None, False), ["SCN1A", "TTN", "KCNQ2", "GJB2", "STXBP1"]),  # every filter loosened
        (VcfFilters("HIGH", 0.01, True), ["STXBP1"]),  # only loss of function
        (VcfFilters("MODIFIER", None, True), ["SCN1A", "KCNQ2", "GJB2", "STXBP1", "STXBP1-AS1"]),
    ],
)
def test_filters_are_settable(tmp_path, filters, genes):
    assert read_vcf_genes(write(tmp_path, HEAD + VEP + COLS + "".join(VEP_BODY)), filters).genes == genes


def test_snpeff_ann_with_info_frequency(tmp_path):
    body = rec(100, "PASS", "ANN=T|missense_variant|MODERATE|SCN1A|ENSG1;gnomAD_AF=0.3") + rec(200, "PASS", "ANN=T|stop_gained|HIGH|GJB2|ENSG2;gnomAD_AF=0.001")
    found = read_vcf_genes(write(tmp_path, HEAD + SNPEFF + COLS + body))
    assert found.annotation == "ANN (SnpEff)" and found.af_field == "gnomAD_AF"
    assert found.genes == ["GJB2"]


def test_bad_lines_are_named_and_the_rest_read(tmp_path):
    body = [VEP_BODY[0], "1\tabc\t.\tC\tT\t50\tPASS\tCSQ=T|stop_gained|HIGH|TTN|\n", rec(700, "PASS", "CSQ=T|stop_gained|HIGH|MYH7|", chrom="9"),
            rec(800, "PASS", "CSQ=T|stop_gained"), VEP_BODY[5]]
    found = read_vcf_genes(write(tmp_path, HEAD + VEP + COLS + "".join(body)))
    assert found.genes == ["SCN1A", "MYH7", "STXBP1"]  # the unknown contig's variant is read; the malformed line is not
    assert found.problems[0].startswith("line 7: malformed")
    assert found.problems[1].startswith("line 8: contig '9' is not declared")
    assert found.problems[2].startswith("line 9: a CSQ entry has 2 fields, the header declares 5")


@pytest.mark.parametrize(
    "text, message",
    [
        (HEAD + COLS + rec(1, "PASS", "DP=1"), "no CSQ \\(VEP\\) or ANN \\(SnpEff\\)"),  # not annotated
        ("this is not a vcf\n", "not a readable VCF"),
        (HEAD + VEP + COLS, "holds no variant record"),
        (HEAD + '##INFO=<ID=CSQ,Number=.,Type=String,Description="Format: Allele|Consequence">\n' + COLS + rec(1, "PASS", "CSQ=T|x"), "lack a gene symbol"),
    ],
)
def test_unusable_vcfs_are_refused_in_one_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_vcf_genes(write(tmp_path, text))


def test_upload_bytes_name_the_upload():
    found = read_vcf_genes_from_bytes(gzip.compress((HEAD + VEP + COLS + VEP_BODY[0]).encode()), "patient.vcf.gz")
    assert found.genes == ["SCN1A"]
    with pytest.raises(ValueError, match="patient.vcf"):
        read_vcf_genes_from_bytes(b"garbage\n", "patient.vcf")


def test_filters_are_validated():
    with pytest.raises(ValueError, match="min_impact 'SEVERE' is unknown"):
        VcfFilters("SEVERE")
    with pytest.raises(ValueError, match="between 0 and 1"):
        VcfFilters(max_af=5)
