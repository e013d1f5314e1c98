"""Case files: loaders for every supported source, each returning the usable cases and the problems.

    from rft.cases import load_cases
    batch = load_cases("phenopacket-store.zip", hpo, require_gene=True)
    batch.cases      # the usable cases
    batch.problems   # what was wrong, each naming the file/line and the value

Sources, picked by what the path is:

| source                         | example                                  |
|--------------------------------|------------------------------------------|
| GA4GH phenopacket v2 JSON file | `PMID_123_1.json` (a list or a Cohort works too) |
| folder of phenopackets         | `cases/` (searched recursively for case files and zips of them) |
| zip of phenopackets            | the phenopacket-store release zip        |
| JSONL (the canonical format)   | one `{"id", "present", "excluded", "genes", "source"}` per line |
| CSV / TSV                      | columns `case_id, present, excluded, gene`; terms split on `;` or `|` |

No bad record stops a batch: a malformed file, an unknown or obsolete term, a case without present
terms or (when required) without a gene, a case id used twice, a record past a limit (`rft.limits`)
becomes a `Problem`, and every good case is still returned. Zips are read by `rft.cases.archive`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rft.cases.archive import CASE_SUFFIXES, read_zip_members
from rft.cases.case import (
    Case,
    CaseBatch,
    Problem,
    build_case,
    case_from_phenopacket,
    case_from_record,
    split_values,
    suggestion_budget,
)
from rft.limits import MAX_CASES, MAX_CELL_CHARS, MAX_JSON_MB, MAX_MEMBER_MB, MAX_UPLOAD_MB

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["SUPPORTED_SUFFIXES", "load_cases", "load_cases_from_bytes"]

SUPPORTED_SUFFIXES = (".json", ".zip", ".jsonl", ".csv", ".tsv")
_NON_BLANK = re.compile(r"\S[^\n]*")  # a line from its first non-blank character: blank runs are skipped in C
# Cells up to MAX_CELL_CHARS are ours to judge (a longer one loses its row, not the file): the csv module's own
# limit (128 K) would stop the whole file at the first longer field.
csv.field_size_limit(max(csv.field_size_limit(), max(MAX_MEMBER_MB, MAX_UPLOAD_MB) << 20))


def _add(batch: CaseBatch, result: tuple[Case | None, list[Problem]]) -> None:
    case, problems = result
    batch.n_read += 1
    batch.problems.extend(problems)
    if case is not None:
        batch.cases.append(case)


def _full(batch: CaseBatch, room: int, where: str) -> bool:
    """True (with a Problem, once) when `batch` has read `room` records: the rest of the source is not read."""
    if batch.n_read < room:
        return False
    if not any(p.kind == "limit" and p.value == "records" for p in batch.problems[-1:]):
        batch.problems.append(Problem(where, "limit", "records", f"more than {MAX_CASES:,} records; the rest is not read (limit)", True))
    return True


def _non_blank_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every non-blank line; a million blank lines cost one regex scan, not a loop."""
    n, pos = 1, 0
    for m in _NON_BLANK.finditer(text):
        n += text.count("\n", pos, m.start())
        pos = m.start()
        yield n, m.group()


def _read_json_text(text: str, where: str, hpo: Hpo, require_gene: bool, room: int = MAX_CASES) -> CaseBatch:
    batch = CaseBatch()
    if len(text) > MAX_JSON_MB << 20:
        batch.n_read = 1
        batch.problems.append(Problem(where, "limit", f"{len(text):,} characters",
                                      f"a JSON document over {MAX_JSON_MB} MB is not read (limit); use JSONL, one case per line", True))
        return batch
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, bad UTF-8, or nesting deeper than Python's stack
        reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        batch.n_read = 1
        batch.problems.append(Problem(where, "malformed", where, f"not valid JSON ({reason})", True))
        return batch
    packets: list = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and isinstance(data.get("members"), list):  # a GA4GH Cohort
        packets = data["members"]
    elif isinstance(data, dict) and isinstance(data.get("proband"), dict):  # a GA4GH Family
        packets = [data["proband"]]
    for i, packet in enumerate(packets):
        if _full(batch, room, where):
            break
        _add(batch, case_from_phenopacket(packet, hpo, where if len(packets) == 1 else f"{where}[{i}]", require_gene))
    return batch


def _read_jsonl_text(text: str, where: str, hpo: Hpo, require_gene: bool, room: int = MAX_CASES) -> CaseBatch:
    batch = CaseBatch()
    for n, line in _non_blank_lines(text):
        loc = f"{where}:{n}"
        if _full(batch, room, loc):
            break
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as e:
            batch.n_read += 1
            reason = "nested too deeply" if isinstance(e, RecursionError) else getattr(e, "msg", str(e))
            batch.problems.append(Problem(loc, "malformed", line[:80], f"not valid JSON ({reason})", True))
            continue
        _add(batch, case_from_record(record, hpo, loc, require_gene))
    return batch


_CSV_COLUMNS = {
    "case_id": ("case_id", "id", "case"),
    "present": ("present", "hpo", "terms", "hpo_terms", "phenotypes"),
    "excluded": ("excluded", "absent", "negated"),
    "gene": ("gene", "genes", "causal_gene"),
}


def _read_csv_text(text: str, where: str, hpo: Hpo, require_gene: bool, delimiter: str, room: int = MAX_CASES) -> CaseBatch:
    batch = CaseBatch()
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # old Mac and Windows line ends alike
    numbers: list[int] = []  # the physical line number of each line the csv module is fed (blank lines are not)

    def lines() -> Iterator[str]:
        for n, line in _non_blank_lines(text):
            numbers.append(n)
            yield line + "\n"

    reader = csv.DictReader(lines(), delimiter=delimiter)
    try:
        _read_csv_rows(reader, numbers, batch, where, hpo, require_gene, room)
    except csv.Error as e:  # the csv module cannot go on past such a line (a NUL byte, an unclosed quote)
        batch.n_read += 1
        line = numbers[-1] if numbers else 1
        batch.problems.append(Problem(f"{where}:{line}", "malformed", where, f"unreadable CSV ({e}); rows after it skipped", True))
    return batch


def _read_csv_rows(reader: csv.DictReader, numbers: list[int], batch: CaseBatch, where: str, hpo: Hpo, require_gene: bool, room: int) -> None:
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
    while True:
        start = reader.line_num  # lines fed so far: this row begins at the next one, also when a quoted cell spans lines
        try:
            row = next(reader)
        except StopIteration:
            break
        n = numbers[min(start, len(numbers) - 1)]
        loc = f"{where}:{n}"
        if _full(batch, room, loc):
            break
        long = next((c for c in row.values() if isinstance(c, str) and len(c) > MAX_CELL_CHARS), None)
        if long is not None:
            batch.n_read += 1
            batch.problems.append(Problem(loc, "limit", f"{long[:40]}…", f"a cell of {len(long):,} characters (over {MAX_CELL_CHARS:,}); row skipped", True))
            continue
        if None in row:  # more cells than header columns
            batch.n_read += 1
            batch.problems.append(Problem(loc, "malformed", str(row[None]), f"row has {len(header) + len(row[None])} cells, header has {len(header)}", True))
            continue
        get = lambda k: (row.get(cols[k]) or "") if cols[k] else ""
        # No case_id column: the file's name and the line, so two such files in one folder or zip stay distinct.
        case_id = get("case_id").strip() or f"{Path(where.split('!')[-1]).stem}:row{n}"
        _add(batch, build_case(hpo, case_id, split_values(get("present")), split_values(get("excluded")), split_values(get("gene")), loc, require_gene))


def _read_text(name: str, text: str, hpo: Hpo, require_gene: bool, room: int = MAX_CASES) -> CaseBatch:
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        return _read_json_text(text, name, hpo, require_gene, room)
    if suffix == ".jsonl":
        return _read_jsonl_text(text, name, hpo, require_gene, room)
    if suffix in (".csv", ".tsv"):
        return _read_csv_text(text, name, hpo, require_gene, "\t" if suffix == ".tsv" else ",", room)
    raise ValueError(f"{name}: unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")


def _read_bytes(name: str, data: bytes, hpo: Hpo, require_gene: bool, room: int) -> CaseBatch:
    batch = CaseBatch()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        batch.n_read += 1
        batch.problems.append(Problem(name, "malformed", name, f"not UTF-8 text ({e.reason})", True))
        return batch
    return _read_text(name, text, hpo, require_gene, room)


def _read_zip(source: str | Path | io.BytesIO, where: str, hpo: Hpo, require_gene: bool, room: int) -> CaseBatch:
    batch = CaseBatch()
    for loc, data, problem in read_zip_members(source, where):
        if problem is not None:
            batch.n_read += 1
            batch.problems.append(problem)
        elif _full(batch, room, loc):
            break
        else:
            batch.extend(_read_bytes(loc, data, hpo, require_gene, room - batch.n_read))
    return batch


def _load_path(path: Path, hpo: Hpo, require_gene: bool, room: int) -> CaseBatch:
    if path.is_dir():
        batch = CaseBatch()
        # Case files and zips of them (a folder holding two release zips trains on both: scripts/ship.sh).
        for p in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (*CASE_SUFFIXES, ".zip")):
            if _full(batch, room, str(p)):
                break
            batch.extend(_load_path(p, hpo, require_gene, room - batch.n_read))
        return batch
    if path.suffix.lower() == ".zip":
        return _read_zip(path, str(path), hpo, require_gene, room)
    size = path.stat().st_size
    if size > MAX_MEMBER_MB << 20:  # never read whole into memory
        return CaseBatch([], [Problem(str(path), "limit", f"{size:,} bytes", f"over {MAX_MEMBER_MB} MB (limit); split it into smaller files", True)], 1)
    return _read_bytes(str(path), path.read_bytes(), hpo, require_gene, room)


def _drop_duplicate_ids(batch: CaseBatch) -> CaseBatch:
    """Keep the first case of each id; a later one is a Problem: results, splits and comparisons are keyed by id."""
    first: dict[str, Case] = {}
    kept = []
    for case in batch.cases:
        if case.id in first:
            batch.problems.append(Problem(case.source, "duplicate_id", case.id,
                                          f"case id {case.id!r} is already used by {first[case.id].source}", True))
        else:
            first[case.id] = case
            kept.append(case)
    batch.cases = kept
    return batch


def _check_suffix(name: str | Path, folder_ok: bool = False) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ValueError(f"{name}: unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}" + (" or a folder" if folder_ok else ""))


def load_cases(path: str | Path, hpo: Hpo, require_gene: bool = False) -> CaseBatch:
    """Load cases from a file, folder or zip (see the module docstring for formats), within `rft.limits`.

    Raises:
        ValueError: the path does not exist or its format is not supported; everything else is a `Problem`.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if not path.is_dir():
        _check_suffix(path, folder_ok=True)
    with suggestion_budget():
        return _drop_duplicate_ids(_load_path(path, hpo, require_gene, MAX_CASES))


def load_cases_from_bytes(name: str, data: bytes, hpo: Hpo, require_gene: bool = False) -> CaseBatch:
    """Like `load_cases` for an uploaded file: `name` picks the format, `data` is its content."""
    _check_suffix(name)
    with suggestion_budget():
        if Path(name).suffix.lower() == ".zip":
            return _drop_duplicate_ids(_read_zip(io.BytesIO(data), name, hpo, require_gene, MAX_CASES))
        return _drop_duplicate_ids(_read_bytes(name, data, hpo, require_gene, MAX_CASES))
