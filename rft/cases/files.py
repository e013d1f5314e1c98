"""Case files: loaders for every supported source, each returning the usable cases and the problems.

    from rft.cases import load_cases
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
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from rft.cases.case import Case, CaseBatch, Problem, split_values, build_case, case_from_phenopacket, case_from_record

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["SUPPORTED_SUFFIXES", "load_cases", "load_cases_from_bytes"]

SUPPORTED_SUFFIXES = (".json", ".zip", ".jsonl", ".csv", ".tsv")


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
        _add(batch, build_case(hpo, case_id, split_values(get("present")), split_values(get("excluded")), split_values(get("gene")), loc, require_gene))


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
