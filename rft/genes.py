"""What NCBI Gene knows about every protein-coding gene: the candidate universe, symbol and alias look-up, facts.

    from rft.genes import load_gene_table
    table = load_gene_table()                  # data/genes/ncbi_genes.tsv.gz (NCBI Gene 2022-09-12)
    table.resolve("p53")                       # 'TP53': a symbol, a previous symbol or an alias, any case
    table.facts("TP53").pubmed                 # articles NCBI Gene links to the gene
    len(table.symbols)                         # 20,598 protein-coding genes

The table is derived from Bioconductor's org.Hs.eg.db by `scripts/build_gene_table.py` (provenance and licence in
data/genes/PROVENANCE.md). Candidate lists (`rft.candidates`) resolve symbols here and show these facts for genes
the HPO does not annotate; `bench/candidates.py` draws simulated exomes' decoys from `symbols`.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rft.paths import DATA_DIR

__all__ = ["GENE_TABLE", "GeneFacts", "GeneTable", "load_gene_table"]

GENE_TABLE = DATA_DIR / "genes" / "ncbi_genes.tsv.gz"


@dataclass(frozen=True)
class GeneFacts:
    """One gene's row: NCBI Gene's symbol, id, name and chromosome, and how much is known about it."""

    symbol: str
    entrez: int
    name: str
    chromosome: str
    pubmed: int  # articles NCBI Gene links to the gene
    go: int  # direct GO annotations
    pfam: int  # Pfam domains
    mim: tuple[str, ...]  # OMIM entries NCBI Gene links (gene or phenotype)
    length: int = 0  # genomic span in bp (0: not placed): simulated exomes draw decoys in proportion to it

    def summary(self) -> str:
        """One line for a person: what the gene is and how much literature it has."""
        where = f"chr{self.chromosome}" if self.chromosome else "chromosome unknown"
        return f"{self.name} ({where}); {self.pubmed} PubMed articles, {self.go} GO annotations in NCBI Gene 2022-09"


class GeneTable:
    """Protein-coding genes by symbol, with aliases and previous symbols resolved (an alias that names several
    genes resolves to none: guessing would put the wrong gene in a patient's list)."""

    def __init__(self, rows: list[GeneFacts], aliases: dict[str, list[str]]):
        self._facts = {r.symbol: r for r in rows}
        self._upper = {r.symbol.upper(): r.symbol for r in rows}
        self._by_entrez = {r.entrez: r.symbol for r in rows}
        owners: dict[str, set[str]] = {}
        for symbol, names in aliases.items():
            for a in names:
                owners.setdefault(a.upper(), set()).add(symbol)
        self._alias = {a: next(iter(s)) for a, s in owners.items() if len(s) == 1 and a not in self._upper}
        self.symbols: list[str] = sorted(self._facts)

    def resolve(self, symbol: str) -> str | None:
        """The current symbol for a symbol, previous symbol or unambiguous alias (any case), else None."""
        key = symbol.strip().upper()
        return self._upper.get(key) or self._alias.get(key)

    def by_entrez(self, entrez: int) -> str | None:
        return self._by_entrez.get(entrez)

    def facts(self, symbol: str) -> GeneFacts | None:
        return self._facts.get(symbol)


def read_gene_table(path: str | Path) -> GeneTable:
    """A gene table from its TSV(.gz) (the columns `scripts/build_gene_table.py` writes)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValueError(f"gene table {path} cannot be read ({e.strerror}); rebuild it with scripts/build_gene_table.py") from e
    text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
    lines = text.splitlines()
    head = lines[0].split("\t")
    rows, aliases = [], {}
    for line in lines[1:]:
        v = dict(zip(head, line.split("\t")))
        rows.append(GeneFacts(v["symbol"], int(v["entrez"]), v["name"], v["chromosome"], int(v["pubmed"]), int(v["go"]), int(v["pfam"]),
                              tuple(m for m in v["mim"].split("|") if m), int(v.get("length") or 0)))
        aliases[v["symbol"]] = [a for a in v["aliases"].split("|") if a]
    return GeneTable(rows, aliases)


@lru_cache(maxsize=2)
def load_gene_table(path: str | Path = GENE_TABLE) -> GeneTable:
    """The shipped gene table (read once per process)."""
    return read_gene_table(path)
