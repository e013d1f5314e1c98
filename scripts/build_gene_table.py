"""Rebuild data/genes/ncbi_genes.tsv.gz (protein-coding human genes with what NCBI Gene knows about them) and
data/genes/go_terms.tsv.gz (each gene's GO terms with their ancestors).

    apt-get download r-bioc-org.hs.eg.db && dpkg-deb -x r-bioc-org.hs.eg.db_*.deb orgdb
    python scripts/build_gene_table.py orgdb/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite [--force]

Source: Bioconductor's org.Hs.eg.db as packaged by Debian (`r-bioc-org.hs.eg.db` 3.16.0, NCBI Gene 2022-09-12,
GO 2022-07-01; the package is Artistic-2.0, NCBI Gene's data are public domain). The SQLite file is read with
Python's sqlite3: no R needed. One row per protein-coding gene:

    symbol  entrez  name  chromosome  aliases (|-joined)  pubmed (linked articles)  go (GO terms, direct)  pfam  mim (OMIM ids, |-joined)
    length (genomic span in bp, UCSC GRCh38 via the package's chromosome_locations; the longest placement; 0: none)

The GO file: a first line `#terms<TAB>GO:... GO:...` (every GO term, BP+MF+CC, annotated to at least 2 of these
genes, directly or through a descendant: the package's `go_*_all` tables), then one line per gene with GO terms,
`symbol<TAB>` its term indices, sorted and delta-encoded (each the difference to the previous one). 1.9 MB.

`rft.genes` reads them: the candidate universe (`bench/candidates.py` draws decoys from it), symbol and alias
resolution for candidate lists, and the facts shown for candidates the HPO does not annotate. The table's
provenance goes into data/genes/PROVENANCE.md, written next to it.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sqlite3
from pathlib import Path

from rft.genes import go_profiles_text
from rft.writes import write_atomic

OUT = Path(__file__).resolve().parents[1] / "data" / "genes" / "ncbi_genes.tsv.gz"
GO_OUT = OUT.parent / "go_terms.tsv.gz"
MIN_GENES_PER_TERM = 2  # a term only one gene carries can never be shared: it adds nothing to a similarity
COLUMNS = ("symbol", "entrez", "name", "chromosome", "aliases", "pubmed", "go", "pfam", "mim", "length")


def build(sqlite_path: Path) -> tuple[list[tuple], dict[str, str]]:
    """The table's rows (sorted by symbol) and the source's metadata."""
    db = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    meta = dict(db.execute("select name, value from metadata"))
    q = """
    select g._id, g.gene_id, i.symbol, i.gene_name, coalesce(c.chromosome, '') from genes g
      join gene_info i on i._id = g._id join genetype t on t._id = g._id left join chromosomes c on c._id = g._id
     where t.gene_type = 'protein-coding'"""
    rows = {}
    for _id, entrez, symbol, name, chrom in db.execute(q):
        rows[_id] = [symbol, entrez, name, chrom, [], 0, 0, 0, []]
    for table, col, kind in (("alias", "alias_symbol", "list"), ("pubmed", "pubmed_id", "count"), ("go_bp", "go_id", "count"),
                             ("go_mf", "go_id", "count"), ("go_cc", "go_id", "count"), ("pfam", "pfam_id", "count"), ("omim", "omim_id", "list")):
        slot = {"alias": 4, "pubmed": 5, "pfam": 7, "omim": 8}.get(table, 6)
        for _id, value in db.execute(f"select _id, {col} from {table}"):
            if _id in rows:
                if kind == "list":
                    rows[_id][slot].append(value)
                else:
                    rows[_id][slot] += 1
    length: dict[int, int] = {}
    for _id, start, end in db.execute("select _id, start_location, end_location from chromosome_locations"):
        length[_id] = max(length.get(_id, 0), abs(abs(end) - abs(start)) + 1)
    out = []
    for _id, r in rows.items():
        aliases = sorted({a for a in r[4] if a != r[0]})
        out.append((r[0], r[1], r[2], r[3], "|".join(aliases), r[5], r[6], r[7], "|".join(sorted(set(r[8]))), length.get(_id, 0)))
    return sorted(out), meta


def build_go(sqlite_path: Path) -> tuple[list[str], dict[str, list[int]]]:
    """(GO terms, each protein-coding gene's term indices) with ancestors, terms carried by >= MIN_GENES_PER_TERM genes."""
    db = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    symbol = dict(db.execute("select i._id, i.symbol from gene_info i join genetype t on t._id = i._id where t.gene_type = 'protein-coding'"))
    terms_of: dict[str, set[str]] = {}
    for table in ("go_bp_all", "go_mf_all", "go_cc_all"):
        for _id, go_id in db.execute(f"select _id, go_id from {table}"):
            if _id in symbol:
                terms_of.setdefault(symbol[_id], set()).add(go_id)
    count: dict[str, int] = {}
    for terms in terms_of.values():
        for t in terms:
            count[t] = count.get(t, 0) + 1
    kept = sorted(t for t, n in count.items() if n >= MIN_GENES_PER_TERM)
    index = {t: i for i, t in enumerate(kept)}
    return kept, {g: sorted(index[t] for t in terms if t in index) for g, terms in sorted(terms_of.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sqlite", type=Path, help="org.Hs.eg.sqlite from the r-bioc-org.hs.eg.db package")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--go-out", type=Path, default=GO_OUT)
    ap.add_argument("--force", action="store_true", help="replace the table if the project wrote it")
    args = ap.parse_args()
    if not args.sqlite.is_file():
        raise SystemExit(f"build_gene_table: {args.sqlite} is not a file; see the module docstring for where it comes from")
    rows, meta = build(args.sqlite)
    text = io.StringIO()
    text.write("\t".join(COLUMNS) + "\n")
    for r in rows:
        text.write("\t".join(str(v).replace("\t", " ") for v in r) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, gzip.compress(text.getvalue().encode(), mtime=0), force=args.force)
    terms, go = build_go(args.sqlite)
    args.go_out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.go_out, gzip.compress(go_profiles_text(terms, go).encode(), compresslevel=9, mtime=0), force=args.force)
    provenance = args.out.parent / "PROVENANCE.md"
    write_atomic(provenance, (
        f"# {args.out.name}\n\n{len(rows)} protein-coding human genes from Bioconductor's org.Hs.eg.db (Debian package "
        f"r-bioc-org.hs.eg.db 3.16.0; Artistic-2.0). NCBI Gene {meta.get('EGSOURCEDATE')} ({meta.get('EGSOURCEURL')}, public domain), "
        f"GO {meta.get('GOSOURCEDATE')}.\n\nColumns: {', '.join(COLUMNS)}. `pubmed`: articles NCBI Gene links to the gene; `go`: "
        "direct GO annotations (BP+MF+CC); `pfam`: Pfam domains; `mim`: OMIM ids NCBI links (gene or phenotype entries); "
        f"`length`: genomic span in bp (UCSC {meta.get('GPSOURCEDATE')}, the longest placement; 0 when unplaced).\n\n"
        f"\n# {args.go_out.name}\n\nEach protein-coding gene's GO terms (BP, MF, CC) with their ancestors, from the same package's "
        f"go_*_all tables (NCBI gene2go, GO {meta.get('GOSOURCEDATE')}; GO annotations are the Gene Ontology Consortium's, CC BY 4.0: "
        f"http://geneontology.org/docs/go-citation-policy/): {len(terms)} terms carried by at least {MIN_GENES_PER_TERM} genes, "
        f"{sum(1 for v in go.values() if v)} genes. Format: see scripts/build_gene_table.py. Read by `rft.genes.load_go_profiles` "
        "(unannotated candidates ordered by GO similarity to the best-fitting annotated genes, rft.candidates).\n\n"
        "Rebuild both: `python scripts/build_gene_table.py org.Hs.eg.sqlite --force` (see that script).\n").encode(), force=args.force)
    print(f"wrote {len(rows)} genes to {args.out}, {len(go)} genes' GO terms to {args.go_out}, and {provenance}")


if __name__ == "__main__":
    main()
