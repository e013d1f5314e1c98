"""Gene–phenotype annotations from an HPO release: `genes_to_phenotype.txt` and `phenotype.hpoa`.

Parses the two tab-separated files into plain dictionaries; `ontology.hpo.load_hpo` calls these and
attaches the result to the `Hpo` object. Frequencies are turned into a number in (0, 1]:
`15/15` → 1.0, `50%` → 0.5, HPO frequency terms (`HP:0040281` "Very frequent") → the midpoint of
their band, and `-` (not given) → `None`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GeneAnnotations", "parse_frequency", "read_genes_to_phenotype", "read_disease_names"]

# Midpoints of the bands that HPO's frequency sub-ontology defines (HP:0040279 "Frequency").
_FREQUENCY_TERMS = {
    "HP:0040280": 1.0,  # Obligate (100%)
    "HP:0040281": 0.9,  # Very frequent (80-99%)
    "HP:0040282": 0.55,  # Frequent (30-79%)
    "HP:0040283": 0.17,  # Occasional (5-29%)
    "HP:0040284": 0.025,  # Very rare (1-4%)
    "HP:0040285": 0.0,  # Excluded (0%)
}


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
            return int(num) / int(den) if int(den) > 0 else None
        if text.endswith("%"):
            return float(text[:-1]) / 100.0
    except ValueError:
        return None
    return None


@dataclass
class GeneAnnotations:
    """Gene → terms (with frequency where given) and gene → diseases, from `genes_to_phenotype.txt`."""

    gene_terms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    gene_diseases: dict[str, set[str]] = field(default_factory=dict)
    disease_terms: dict[str, dict[str, float | None]] = field(default_factory=dict)  # per disease, same rule
    gene_ids: dict[str, str] = field(default_factory=dict)  # symbol -> NCBI Gene id


def read_genes_to_phenotype(path: Path) -> GeneAnnotations:
    """Read `genes_to_phenotype.txt` (columns: ncbi_gene_id, gene_symbol, hpo_id, hpo_name, frequency, disease_id).

    A gene annotated to the same term by several diseases keeps the highest known frequency.
    """
    ann = GeneAnnotations()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader)
        if header[:3] != ["ncbi_gene_id", "gene_symbol", "hpo_id"]:
            raise ValueError(f"{path} does not look like genes_to_phenotype.txt: header is {header[:3]}")
        for row in reader:
            if len(row) < 6:
                continue
            gene_id, symbol, term, _, freq, disease = row[:6]
            terms = ann.gene_terms.setdefault(symbol, {})
            value = parse_frequency(freq)
            old = terms.get(term)
            if term not in terms or (value is not None and (old is None or value > old)):
                terms[term] = value
            ann.gene_diseases.setdefault(symbol, set()).add(disease)
            dterms = ann.disease_terms.setdefault(disease, {})
            old = dterms.get(term)
            if term not in dterms or (value is not None and (old is None or value > old)):
                dterms[term] = value
            ann.gene_ids[symbol] = gene_id
    return ann


def read_disease_names(path: Path) -> dict[str, str]:
    """Disease id → name from `phenotype.hpoa` (comment lines start with '#')."""
    names: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("database_id"):
                continue
            parts = line.split("\t", 2)
            if len(parts) >= 2 and parts[0] not in names:
                names[parts[0]] = parts[1]
    return names
