"""What NCBI Gene knows about every protein-coding gene: the candidate universe, symbol and alias look-up, facts.

    from rft.genes import load_gene_table
    table = load_gene_table()                  # data/genes/ncbi_genes.tsv.gz (NCBI Gene 2022-09-12)
    table.resolve("p53")                       # 'TP53': a symbol, a previous symbol or an alias, any case
    table.facts("TP53").pubmed                 # articles NCBI Gene links to the gene
    len(table.symbols)                         # 20,598 protein-coding genes
    go = load_go_profiles()                    # data/genes/go_terms.tsv.gz: each gene's GO terms with ancestors
    go.similarity(["KCNQ3", "TTN"], ["SCN1A", "SCN2A"])   # [2, 2] IC-weighted Jaccard of their GO terms

The table is derived from Bioconductor's org.Hs.eg.db by `scripts/build_gene_table.py` (provenance and licence in
data/genes/PROVENANCE.md). Candidate lists (`rft.candidates`) resolve symbols here and show these facts for genes
the HPO does not annotate; `bench/candidates.py` draws simulated exomes' decoys from `symbols`.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from rft.paths import DATA_DIR

__all__ = ["GENE_TABLE", "GO_TABLE", "GeneFacts", "GeneTable", "GoProfiles", "go_profiles_text", "load_gene_table", "load_go_profiles", "read_go_profiles"]

GENE_TABLE = DATA_DIR / "genes" / "ncbi_genes.tsv.gz"
GO_TABLE = DATA_DIR / "genes" / "go_terms.tsv.gz"


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


def _read_lines(path: Path, what: str) -> list[str]:
    """A file `scripts/build_gene_table.py` writes (gzipped when it ends in .gz), as lines; a clear error if unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValueError(f"{what} {path} cannot be read ({e.strerror}); rebuild it with scripts/build_gene_table.py") from e
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8").splitlines()


def read_gene_table(path: str | Path) -> GeneTable:
    """A gene table from its TSV(.gz) (the columns `scripts/build_gene_table.py` writes)."""
    path = Path(path)
    lines = _read_lines(path, "gene table")
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


class GoProfiles:
    """Each gene's GO terms (with their ancestors), for *who does what alike*: the similarity of two genes is the
    information content of the terms they share over that of the terms either has (IC-weighted Jaccard; a term's
    IC is ln(genes with any GO term / genes with it), so "protein binding" counts for little and a shared
    "voltage-gated sodium channel complex" for much). A gene without GO terms is similar to nothing (0)."""

    def __init__(self, terms: Sequence[str], genes: dict[str, Sequence[int]]):
        self.terms = list(terms)
        self._row = {g: i for i, g in enumerate(genes)}
        indptr = np.cumsum([0, *(len(v) for v in genes.values())])
        indices = np.fromiter((t for v in genes.values() for t in v), dtype=np.int64, count=int(indptr[-1]))
        m = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(genes), len(self.terms)))
        carried = np.asarray(m.sum(axis=0)).ravel()
        self.ic = np.log(max(len(genes), 1) / np.maximum(carried, 1))
        self._weighted = m.multiply(self.ic[None, :]).tocsr()
        self._binary = m
        self._mass = np.asarray(self._weighted.sum(axis=1)).ravel()

    def __contains__(self, gene: str) -> bool:
        return gene in self._row

    def similarity(self, genes: Sequence[str], reference: Sequence[str]) -> np.ndarray:
        """[len(genes), len(reference)] IC-weighted Jaccard; 0 where either gene has no GO terms here."""
        out = np.zeros((len(genes), len(reference)))
        gi = [(i, self._row[g]) for i, g in enumerate(genes) if g in self._row]
        ri = [(j, self._row[g]) for j, g in enumerate(reference) if g in self._row]
        if not gi or not ri:
            return out
        rows_g, rows_r = [r for _, r in gi], [r for _, r in ri]
        shared = (self._weighted[rows_g] @ self._binary[rows_r].T).toarray()
        union = self._mass[rows_g][:, None] + self._mass[rows_r][None, :] - shared
        sim = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        out[np.ix_([i for i, _ in gi], [j for j, _ in ri])] = sim
        return out


def go_profiles_text(terms: Sequence[str], genes: dict[str, Sequence[int]]) -> str:
    """The GO file's text (`read_go_profiles` reads it): a `#terms` line, then per gene with terms its symbol and
    its sorted term indices, delta-encoded (each the difference to the previous one), which gzip packs well."""
    lines = ["#terms\t" + " ".join(terms)]
    for g, ids in genes.items():
        if ids:
            ids = sorted(ids)
            lines.append(g + "\t" + " ".join(str(b - a) for a, b in zip([0, *ids], ids)))
    return "\n".join(lines) + "\n"


def read_go_profiles(path: str | Path) -> GoProfiles:
    """GO profiles from the file `scripts/build_gene_table.py` writes (a `#terms` line, then symbol<TAB>delta-encoded term indices)."""
    path = Path(path)
    lines = _read_lines(path, "GO table")
    if not lines or not lines[0].startswith("#terms\t"):
        raise ValueError(f"GO table {path}: the first line must be '#terms<TAB>GO ids'; rebuild it with scripts/build_gene_table.py")
    terms = lines[0].split("\t", 1)[1].split()
    genes: dict[str, list[int]] = {}
    for n, line in enumerate(lines[1:], start=2):
        symbol, _, text = line.partition("\t")
        deltas = [int(d) for d in text.split()]
        ids = np.cumsum(deltas).tolist()
        if ids and (ids[-1] >= len(terms) or min(deltas) < 0):
            raise ValueError(f"GO table {path}, line {n} ({symbol}): term index out of range; rebuild it with scripts/build_gene_table.py")
        genes[symbol] = ids
    return GoProfiles(terms, genes)


@lru_cache(maxsize=2)
def load_go_profiles(path: str | Path = GO_TABLE) -> GoProfiles:
    """The shipped GO profiles (read once per process)."""
    return read_go_profiles(path)
