"""Patient cases: one `Case` type, loaders for every supported source, and a JSONL writer.

    from rft.cases import load_cases, write_jsonl
    batch = load_cases("phenopacket-store.zip", hpo, require_gene=True)
    batch.cases      # the usable cases
    batch.problems   # what was wrong, each naming the file/line and the value

Sources, picked by what the path is:

| source                         | example                                  |
|--------------------------------|------------------------------------------|
| GA4GH phenopacket v2 JSON file | `PMID_123_1.json` (a list or a Cohort works too) |
| folder of phenopackets         | `cases/` (searched recursively for *.json) |
| zip of phenopackets            | the phenopacket-store release zip        |
| JSONL (the canonical format)   | one `{"id", "present", "excluded", "genes", "source"}` per line |
| CSV / TSV                      | columns `case_id, present, excluded, gene`; terms split on `;` or `|` |

No bad record stops a batch: a malformed file, an unknown or obsolete term, a case without present
terms or (when required) without a gene becomes a `Problem`, and every good case is still returned.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ontology.normalize import resolve_term

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = [
    "Case",
    "Problem",
    "CaseBatch",
    "SUPPORTED_SUFFIXES",
    "load_cases",
    "load_cases_from_bytes",
    "case_from_phenopacket",
    "case_from_record",
    "write_jsonl",
    "case_to_record",
]

SUPPORTED_SUFFIXES = (".json", ".zip", ".jsonl", ".csv", ".tsv")
_SPLIT_TERMS = re.compile(r"[;|]")
_GENE_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Case:
    """One patient: present and explicitly excluded HPO terms (current ids), and the causal gene(s) if known."""

    id: str
    present: tuple[str, ...]
    excluded: tuple[str, ...] = ()
    genes: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Problem:
    """Something wrong in the input. `dropped` tells whether the whole case was lost or only one value."""

    where: str  # file, file:line or zip member
    kind: str  # malformed, unknown_term, obsolete_term, replaced_term, no_present_terms, no_gene, bad_gene, gene_not_in_kb, conflicting_term
    value: str
    message: str
    dropped: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (" (case skipped)" if self.dropped else "")


@dataclass
class CaseBatch:
    """What a loader returns: the usable cases, the problems, and how many records were read."""

    cases: list[Case] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    n_read: int = 0

    def extend(self, other: CaseBatch) -> None:
        self.cases.extend(other.cases)
        self.problems.extend(other.problems)
        self.n_read += other.n_read

    def summary(self) -> dict[str, Any]:
        """Counts for `rft cases validate`: read, usable, with gene, with excluded terms, problems by kind."""
        by_kind: dict[str, int] = {}
        for p in self.problems:
            by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
        return {
            "read": self.n_read,
            "usable": len(self.cases),
            "with_gene": sum(1 for c in self.cases if c.genes),
            "with_excluded": sum(1 for c in self.cases if c.excluded),
            "skipped": self.n_read - len(self.cases),
            "problems_by_kind": dict(sorted(by_kind.items())),
        }


# -- building one case ---------------------------------------------------------------------------------
def _resolve_all(hpo: Hpo, values: Iterable[str], where: str, problems: list[Problem]) -> list[str]:
    ids: list[str] = []
    for v in values:
        r = resolve_term(hpo, v)
        if r.id is None:
            if r.kind != "empty":
                problems.append(Problem(where, r.kind, str(v), r.note))
            continue
        if r.kind == "replaced":
            problems.append(Problem(where, "replaced_term", str(v), r.note))
        if r.id not in ids:
            ids.append(r.id)
    return ids


def _build_case(
    hpo: Hpo,
    case_id: str,
    present: Iterable[str],
    excluded: Iterable[str],
    genes: Iterable[str],
    where: str,
    require_gene: bool,
) -> tuple[Case | None, list[Problem]]:
    problems: list[Problem] = []
    pres = _resolve_all(hpo, present, where, problems)
    excl = _resolve_all(hpo, excluded, where, problems)
    for t in [t for t in excl if t in pres]:
        problems.append(Problem(where, "conflicting_term", t, f"{t} is both present and excluded; kept as present"))
        excl.remove(t)
    symbols: list[str] = []
    for g in genes:
        g = str(g).strip()
        if not g:
            continue
        if not _GENE_SYMBOL.match(g):
            problems.append(Problem(where, "bad_gene", g, f"{g!r} is not a gene symbol"))
            continue
        canon = hpo.canonical_gene(g)
        if canon is None:
            # Kept: the truth is the truth, but no ranker over this knowledge base can find it.
            problems.append(Problem(where, "gene_not_in_kb", g, f"gene {g} has no phenotype annotation in HPO {hpo.version}"))
            canon = g.upper()
        if canon not in symbols:
            symbols.append(canon)
    if not pres:
        problems.append(Problem(where, "no_present_terms", case_id, f"case {case_id!r} has no usable present term", True))
        return None, problems
    if require_gene and not symbols:
        problems.append(Problem(where, "no_gene", case_id, f"case {case_id!r} names no causal gene", True))
        return None, problems
    return Case(case_id, tuple(pres), tuple(excl), tuple(symbols), where), problems


def _obj(value: Any) -> dict:
    """A JSON object, or {} for anything else: hand-edited files put lists, nulls and strings anywhere."""
    return value if isinstance(value, dict) else {}


def _arr(value: Any) -> list:
    return value if isinstance(value, list) else []


def _gene_symbols_of_phenopacket(packet: dict) -> list[str]:
    genes: list[str] = []
    for interp in _arr(packet.get("interpretations")):
        for gi in _arr(_obj(_obj(interp).get("diagnosis")).get("genomicInterpretations")):
            gi = _obj(gi)
            vd = _obj(_obj(gi.get("variantInterpretation")).get("variationDescriptor"))
            symbol = _obj(vd.get("geneContext")).get("symbol") or _obj(gi.get("gene")).get("symbol")
            if isinstance(symbol, str) and symbol and symbol not in genes:
                genes.append(symbol)
    return genes


def case_from_phenopacket(
    packet: dict, hpo: Hpo, where: str = "", require_gene: bool = False
) -> tuple[Case | None, list[Problem]]:
    """A `Case` from one parsed GA4GH phenopacket v2 (plain JSON dict)."""
    if not isinstance(packet, dict) or not ("phenotypicFeatures" in packet or "subject" in packet or "id" in packet):
        return None, [Problem(where, "malformed", type(packet).__name__, "not a phenopacket object", True)]
    case_id = packet.get("id") or _obj(packet.get("subject")).get("id") or where
    present, excluded = [], []
    for feat in _arr(packet.get("phenotypicFeatures")):
        term = _obj(_obj(feat).get("type")).get("id")
        if not isinstance(term, str) or not term:
            continue
        (excluded if feat.get("excluded") is True else present).append(term)
    return _build_case(hpo, str(case_id), present, excluded, _gene_symbols_of_phenopacket(packet), where, require_gene)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in _SPLIT_TERMS.split(value) if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if isinstance(v, (str, int)) and str(v).strip()]
    return [str(value)]


def case_from_record(record: dict, hpo: Hpo, where: str = "", require_gene: bool = False) -> tuple[Case | None, list[Problem]]:
    """A `Case` from the canonical JSONL record (`id`, `present`, `excluded`, `genes`); a phenopacket also works."""
    if not isinstance(record, dict):
        return None, [Problem(where, "malformed", repr(record)[:80], "a line must hold a JSON object", True)]
    if "phenotypicFeatures" in record:
        return case_from_phenopacket(record, hpo, where, require_gene)
    case_id = str(record.get("id") or record.get("case_id") or where)
    if not isinstance(record.get("present", []), (str, list)):
        return None, [Problem(where, "malformed", repr(record.get("present"))[:80], "'present' must be a list of HPO ids", True)]
    genes = _as_list(record.get("genes", record.get("gene")))
    return _build_case(hpo, case_id, _as_list(record.get("present")), _as_list(record.get("excluded")), genes, where, require_gene)


# -- readers -------------------------------------------------------------------------------------------
def _add(batch: CaseBatch, result: tuple[Case | None, list[Problem]]) -> None:
    case, problems = result
    batch.n_read += 1
    batch.problems.extend(problems)
    if case is not None:
        batch.cases.append(case)


def _read_json_text(text: str, where: str, hpo: Hpo, require_gene: bool) -> CaseBatch:
    batch = CaseBatch()
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        batch.n_read = 1
        batch.problems.append(Problem(where, "malformed", where, f"not valid JSON ({e})", True))
        return batch
    packets: list = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and isinstance(data.get("members"), list):  # a GA4GH Cohort
        packets = data["members"]
    elif isinstance(data, dict) and isinstance(data.get("proband"), dict):  # a GA4GH Family
        packets = [data["proband"]]
    for i, packet in enumerate(packets):
        _add(batch, case_from_phenopacket(packet, hpo, where if len(packets) == 1 else f"{where}[{i}]", require_gene))
    return batch


def _read_jsonl_text(text: str, where: str, hpo: Hpo, require_gene: bool) -> CaseBatch:
    batch = CaseBatch()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        loc = f"{where}:{n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            batch.n_read += 1
            batch.problems.append(Problem(loc, "malformed", line[:80], f"not valid JSON ({e.msg})", True))
            continue
        _add(batch, case_from_record(record, hpo, loc, require_gene))
    return batch


_CSV_COLUMNS = {
    "case_id": ("case_id", "id", "case"),
    "present": ("present", "hpo", "terms", "hpo_terms", "phenotypes"),
    "excluded": ("excluded", "absent", "negated"),
    "gene": ("gene", "genes", "causal_gene"),
}


def _read_csv_text(text: str, where: str, hpo: Hpo, require_gene: bool, delimiter: str) -> CaseBatch:
    batch = CaseBatch()
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # old Mac and Windows line ends alike
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _read_csv_rows(reader, batch, where, hpo, require_gene)
    except csv.Error as e:  # the csv module cannot go on past such a line
        batch.n_read += 1
        batch.problems.append(Problem(f"{where}:{reader.line_num}", "malformed", where, f"unreadable CSV ({e}); rows after it skipped", True))
    return batch


def _read_csv_rows(reader: csv.DictReader, batch: CaseBatch, where: str, hpo: Hpo, require_gene: bool) -> None:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    cols: dict[str, str | None] = {}
    for key, aliases in _CSV_COLUMNS.items():
        cols[key] = next((reader.fieldnames[header.index(a)] for a in aliases if a in header), None)
    if cols["present"] is None:
        batch.n_read = 1
        batch.problems.append(
            Problem(where, "malformed", ",".join(header), f"no 'present' column (header is {header}); expected case_id, present, excluded, gene", True)
        )
        return
    for row in reader:
        n = reader.line_num  # the physical line, also when a quoted cell spans lines
        loc = f"{where}:{n}"
        if None in row:  # more cells than header columns
            batch.n_read += 1
            batch.problems.append(Problem(loc, "malformed", str(row[None]), f"row has {len(header) + len(row[None])} cells, header has {len(header)}", True))
            continue
        get = lambda k: (row.get(cols[k]) or "") if cols[k] else ""  # noqa: E731
        case_id = get("case_id").strip() or f"row{n}"
        _add(batch, _build_case(hpo, case_id, _as_list(get("present")), _as_list(get("excluded")), _as_list(get("gene")), loc, require_gene))


def _read_text(name: str, text: str, hpo: Hpo, require_gene: bool) -> CaseBatch:
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        return _read_json_text(text, name, hpo, require_gene)
    if suffix == ".jsonl":
        return _read_jsonl_text(text, name, hpo, require_gene)
    if suffix in (".csv", ".tsv"):
        return _read_csv_text(text, name, hpo, require_gene, "\t" if suffix == ".tsv" else ",")
    raise ValueError(f"{name}: unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")


def _decode(data: bytes, where: str, batch: CaseBatch) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        batch.n_read += 1
        batch.problems.append(Problem(where, "malformed", where, f"not UTF-8 text ({e.reason})", True))
        return None


def _zip_members(zf: zipfile.ZipFile) -> Iterator[zipfile.ZipInfo]:
    for info in zf.infolist():
        name = info.filename
        if info.is_dir() or "__MACOSX" in name or Path(name).name.startswith("."):
            continue
        if Path(name).suffix.lower() in (".json", ".jsonl", ".csv", ".tsv"):
            yield info


def _read_zip(source: str | Path | io.BytesIO, where: str, hpo: Hpo, require_gene: bool) -> CaseBatch:
    batch = CaseBatch()
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile as e:
        batch.n_read = 1
        batch.problems.append(Problem(where, "malformed", where, f"not a readable zip file ({e})", True))
        return batch
    with zf:
        for info in _zip_members(zf):
            text = _decode(zf.read(info), f"{where}!{info.filename}", batch)
            if text is not None:
                batch.extend(_read_text(f"{where}!{info.filename}", text, hpo, require_gene))
    return batch


def load_cases(path: str | Path, hpo: Hpo, require_gene: bool = False) -> CaseBatch:
    """Load cases from a file, folder or zip (see the module docstring for formats).

    Raises:
        ValueError: the path does not exist or its format is not supported; everything else is a `Problem`.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if path.is_dir():
        batch = CaseBatch()
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".csv", ".tsv"))
        for p in files:
            batch.extend(load_cases(p, hpo, require_gene))
        return batch
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"{path}: unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUPPORTED_SUFFIXES)} or a folder")
    if suffix == ".zip":
        return _read_zip(path, str(path), hpo, require_gene)
    batch = CaseBatch()
    text = _decode(path.read_bytes(), str(path), batch)
    return batch if text is None else _read_text(str(path), text, hpo, require_gene)


def load_cases_from_bytes(name: str, data: bytes, hpo: Hpo, require_gene: bool = False) -> CaseBatch:
    """Like `load_cases` for an uploaded file: `name` picks the format, `data` is its content."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"{name}: unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if suffix == ".zip":
        return _read_zip(io.BytesIO(data), name, hpo, require_gene)
    batch = CaseBatch()
    text = _decode(data, name, batch)
    return batch if text is None else _read_text(name, text, hpo, require_gene)


# -- writing -------------------------------------------------------------------------------------------
def case_to_record(case: Case) -> dict:
    """The canonical JSONL record of a case."""
    record = asdict(case)
    for key in ("present", "excluded", "genes"):
        record[key] = list(record[key])
    return record


def write_jsonl(cases: Iterable[Case], path: str | Path) -> int:
    """Write cases as canonical JSONL; returns how many were written."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case_to_record(case)) + "\n")
            n += 1
    return n
