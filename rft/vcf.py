"""Candidate genes from an annotated VCF (VEP `CSQ` or SnpEff `ANN`), with the filters a geneticist expects.

    from rft.vcf import VcfFilters, read_vcf_genes
    found = read_vcf_genes("patient.vep.vcf.gz", VcfFilters(min_impact="MODERATE", max_af=0.01, pass_only=True))
    found.genes            # the candidate genes, in the order first seen
    found.steps            # (step, variants, genes) after each filter
    found.problems         # "line 1043: ..." for each line that could not be read (the rest is read)

The file is streamed record by record with cyvcf2 (htslib: plain, gzipped or bgzipped VCF), so memory stays flat
whatever its size; `bench/bench_vcf.py` measures 5 million variants. Filters, in order:

1. FILTER: PASS (or `.`, no filter applied) when `pass_only`.
2. Annotation: the variant carries CSQ/ANN (a variant without one is counted, not fatal).
3. Impact: the most severe consequence on a gene is at least `min_impact` (VEP IMPACT, SnpEff Annotation_Impact:
   HIGH > MODERATE > LOW > MODIFIER).
4. Population allele frequency, where annotated: at most `max_af` (VEP's gnomADe_AF / gnomADg_AF / gnomAD_AF /
   MAX_AF fields of CSQ, or an INFO field of that name, e.g. SnpSift's; a variant with no frequency passes, as
   an absent variant is rare).

A VCF without a CSQ or ANN header line is refused with one line saying how to annotate it; a malformed line, an
unknown contig or a missing annotation is named with its line number and the rest is read.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["IMPACTS", "VcfFilters", "VcfGenes", "read_vcf_genes", "read_vcf_genes_from_bytes"]

IMPACTS = ("HIGH", "MODERATE", "LOW", "MODIFIER")  # most severe first
AF_FIELDS = ("gnomADe_AF", "gnomADg_AF", "gnomAD_AF", "MAX_AF", "gnomAD_exomes_AF", "gnomAD_genomes_AF", "AF_popmax")
MAX_PROBLEMS = 200  # problems kept (every one is counted)


@dataclass(frozen=True)
class VcfFilters:
    """Which variants make a gene a candidate.

    Attributes:
        min_impact: the least severe impact kept (HIGH, MODERATE, LOW or MODIFIER: everything).
        max_af: the highest population allele frequency kept, where the VCF annotates one (None: no frequency filter).
        pass_only: keep only variants whose FILTER is PASS (or `.`).
    """

    min_impact: str = "MODERATE"
    max_af: float | None = 0.01
    pass_only: bool = True

    def __post_init__(self):
        if self.min_impact not in IMPACTS:
            raise ValueError(f"min_impact {self.min_impact!r} is unknown; choose one of {', '.join(IMPACTS)}")
        if self.max_af is not None and not 0.0 <= self.max_af <= 1.0:
            raise ValueError(f"max_af must be between 0 and 1 (a frequency), got {self.max_af}")


@dataclass
class VcfGenes:
    """What a VCF yielded: the candidate genes, the counts after each filter, and the lines that could not be read."""

    genes: list[str] = field(default_factory=list)
    steps: list[tuple[str, int, int]] = field(default_factory=list)  # (step, variants, genes)
    problems: list[str] = field(default_factory=list)
    n_problems: int = 0
    annotation: str = ""  # "CSQ (VEP)" or "ANN (SnpEff)"
    af_field: str | None = None  # the frequency the AF filter read, None when the VCF annotates none


def _format_of(vcf) -> tuple[str, list[str]]:
    """The annotation field's INFO id and its sub-field names, from the header."""
    for key, label in (("CSQ", "CSQ (VEP)"), ("ANN", "ANN (SnpEff)")):
        try:
            desc = vcf.get_header_type(key)["Description"].strip('"')
        except KeyError:
            continue
        if "Format:" in desc:
            names = [n.strip().strip("'\" ") for n in desc.split("Format:", 1)[1].split("|")]
        elif key == "ANN":  # SnpEff's fixed layout
            names = ["Allele", "Annotation", "Annotation_Impact", "Gene_Name"]
        else:
            raise ValueError(f"the CSQ header line has no 'Format: ...' list of fields: {desc[:80]!r}")
        return label, names
    raise ValueError("the VCF has no CSQ (VEP) or ANN (SnpEff) INFO field in its header: annotate it with VEP (--symbol) or SnpEff first, "
                     "or give the candidate genes as a list")


def read_vcf_genes(path: str | Path, filters: VcfFilters = VcfFilters()) -> VcfGenes:
    """Stream a VEP- or SnpEff-annotated VCF and collect the genes hit by variants that pass `filters`.

    Raises:
        ValueError: when the file is not a readable VCF, or its header declares no CSQ/ANN field.
    """
    try:
        from cyvcf2 import VCF
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise ImportError("reading VCFs needs cyvcf2: pip install cyvcf2") from e
    try:
        vcf = VCF(str(path), lazy=True, threads=1)
    except (OSError, Exception) as e:  # cyvcf2 raises a bare Exception for a file htslib cannot open
        raise ValueError(f"{Path(path).name} is not a readable VCF ({str(e).splitlines()[0][:120]})") from e
    out = VcfGenes()
    label, names = _format_of(vcf)
    out.annotation = label
    key = label[:3]
    col = {n: i for i, n in enumerate(names)}
    gene_col = col.get("SYMBOL", col.get("Gene_Name"))
    impact_col = col.get("IMPACT", col.get("Annotation_Impact"))
    if gene_col is None or impact_col is None:
        raise ValueError(f"the {label} fields lack a gene symbol or an impact ({'|'.join(names)[:120]}); run VEP with --symbol, or SnpEff")
    af_col = next((col[f] for f in AF_FIELDS if f in col), None)
    info_af = None
    if af_col is None:
        info_af = next((f for f in AF_FIELDS if _has_info(vcf, f)), None)
    out.af_field = (names[af_col] + f" (in {key})") if af_col is not None else info_af
    severity = {imp: i for i, imp in enumerate(IMPACTS)}
    worst_kept = severity[filters.min_impact]
    contigs = set(vcf.seqnames)
    unknown_contigs: set[str] = set()
    header_lines = _count_header_lines(path)
    counts = {"read": 0, "FILTER": 0, "annotated": 0, "impact": 0, "frequency": 0}
    annotated_genes: set[str] = set()  # genes hit by the variants still kept after each step
    impact_genes: set[str] = set()
    final_genes: set[str] = set()

    def problem(msg: str) -> None:
        out.n_problems += 1
        if len(out.problems) < MAX_PROBLEMS:
            out.problems.append(msg)

    line = header_lines
    missing, first_missing = 0, 0  # variants without CSQ/ANN: named once, counted
    it = iter(vcf)
    while True:
        line += 1
        try:
            v = next(it)
        except StopIteration:
            break
        except Exception as e:  # noqa: BLE001 - cyvcf2 raises a bare Exception for a line htslib cannot parse: name it, read on
            problem(f"line {line}: malformed, skipped ({str(e).splitlines()[0][:100]})")
            continue
        counts["read"] += 1
        if contigs and v.CHROM not in contigs and v.CHROM not in unknown_contigs:
            unknown_contigs.add(v.CHROM)
            problem(f"line {line}: contig {v.CHROM!r} is not declared in the header (read anyway)")
        if filters.pass_only and v.FILTER is not None:
            continue
        counts["FILTER"] += 1
        ann = v.INFO.get(key)
        if not ann:
            if missing == 0:
                first_missing = line
            missing += 1
            continue
        counts["annotated"] += 1
        kept: list[str] = []
        afs: list[str] = []
        for entry in ann.split(","):  # one entry per transcript; the loop is the reader's hot path: kept plain
            fields = entry.split("|")
            try:
                gene, impact = fields[gene_col], fields[impact_col]
            except IndexError:
                problem(f"line {line}: a {key} entry has {len(fields)} fields, the header declares {len(names)}; entry skipped")
                continue
            if not gene:
                continue
            annotated_genes.add(gene)
            if severity.get(impact, 99) <= worst_kept:
                kept.append(gene)
                if af_col is not None and af_col < len(fields) and fields[af_col]:
                    afs.append(fields[af_col])
        if not kept:
            continue
        counts["impact"] += 1
        impact_genes.update(kept)
        if filters.max_af is not None:
            if info_af is not None:
                value = v.INFO.get(info_af)
                afs = [] if value is None else [str(x) for x in (value if isinstance(value, tuple) else [value])]
            af = _max_af(",".join(afs), None) if afs else None
            if af is not None and af > filters.max_af:
                continue
        counts["frequency"] += 1
        for g in kept:
            if g not in final_genes:
                final_genes.add(g)
                out.genes.append(g)
    if missing:
        problem(f"line {first_missing}: no {key} annotation ({missing} variant(s) without one in all; skipped)")
    if counts["read"] == 0 and out.n_problems == 0:
        raise ValueError(f"{Path(path).name} holds no variant record")
    af_step = f"population AF <= {filters.max_af} ({out.af_field})" if filters.max_af is not None and out.af_field else "population AF (not annotated: no filter)"
    out.steps = [
        ("variants read", counts["read"], 0),
        ("FILTER = PASS" if filters.pass_only else "FILTER (any)", counts["FILTER"], 0),
        (f"with {label}", counts["annotated"], len(annotated_genes)),
        (f"impact >= {filters.min_impact}", counts["impact"], len(impact_genes)),
        (af_step if filters.max_af is not None else "population AF (no filter)", counts["frequency"], len(final_genes)),
    ]
    return out


def _count_header_lines(path: str | Path) -> int:
    """Header lines as written in the file (htslib's own header text adds and merges lines), for line numbers."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
        n = 0
        for ln in f:
            if not ln.startswith(b"#"):
                break
            n += 1
    return n


def _has_info(vcf, name: str) -> bool:
    try:
        vcf.get_header_type(name)
        return True
    except KeyError:
        return False


def _max_af(text: str, current: float | None) -> float | None:
    """The highest frequency in a field ("0.001", "0.001&0.002", "0.1,0.2"), kept with `current`; unparsable: ignored."""
    for part in text.replace("&", ",").split(","):
        try:
            x = float(part)
        except ValueError:
            continue
        current = x if current is None else max(current, x)
    return current


def read_vcf_genes_from_bytes(data: bytes, name: str, filters: VcfFilters = VcfFilters()) -> VcfGenes:
    """`read_vcf_genes` of an upload (the app's): written to a private temporary file for htslib, then removed."""
    suffix = ".vcf.gz" if data[:2] == b"\x1f\x8b" else ".vcf"
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="rft-upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        found = read_vcf_genes(tmp, filters)
    except ValueError as e:
        raise ValueError(str(e).replace(Path(tmp).name, name)) from None
    finally:
        os.unlink(tmp)
    return found
