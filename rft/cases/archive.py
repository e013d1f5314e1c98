"""The one bounded zip reader: every zip of cases (the CLI's and the app's uploads alike) is read through it.

    for where, data, problem in read_zip_members("cases.zip", "cases.zip"):
        ...   # data: the member's bytes, or None with the Problem that says why it was not read

A zip bomb cannot exhaust memory or time: members are read in chunks and refused as soon as one passes
`MAX_MEMBER_MB` decompressed, the archive stops at `MAX_ARCHIVE_MB` decompressed in all and at
`MAX_ARCHIVE_MEMBERS` case files (`rft.limits`). A member with a bad CRC, a password, an unsupported
compression method or corrupt data becomes a `Problem` for that member; the other members still load.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from rft.cases.case import Problem
from rft.limits import MAX_ARCHIVE_MB, MAX_ARCHIVE_MEMBERS, MAX_MEMBER_MB

__all__ = ["CASE_SUFFIXES", "read_zip_members"]

CASE_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv")
_CHUNK = 1 << 20
# What zipfile and its decompressors raise for a member they cannot read: bad CRC or data (BadZipFile, zlib,
# lzma, bz2 errors), a password (RuntimeError), an unknown compression method (NotImplementedError).
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError, ValueError)


def _case_members(zf: zipfile.ZipFile) -> tuple[list[zipfile.ZipInfo], list[str]]:
    """The case files of the zip, and the names of the other files in it (not read: said, never silently)."""
    out, other = [], []
    for info in zf.infolist():
        name = info.filename
        if info.is_dir() or "__MACOSX" in name or Path(name).name.startswith("."):
            continue
        if Path(name).suffix.lower() in CASE_SUFFIXES:
            out.append(info)
        else:
            other.append(name)
    return out, other


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, read a chunk at a time and never more than `budget` + 1 (the caller checks)."""
    parts, size = [], 0
    with zf.open(info) as f:
        while size <= budget:
            chunk = f.read(min(_CHUNK, budget + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    return b"".join(parts)


def read_zip_members(source: str | Path | io.BytesIO, where: str) -> Iterator[tuple[str, bytes | None, Problem | None]]:
    """(member's where, its bytes or None, the Problem or None) for each case file in the zip, within the limits.

    A zip that cannot be opened at all yields one Problem naming `where`.
    """
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        yield where, None, Problem(where, "malformed", where, f"not a readable zip file ({e})", True)
        return
    with zf:
        members, other = _case_members(zf)
        if other:  # a nested zip, a .txt, a README: named, so nothing is skipped unsaid
            shown = ", ".join(other[:5]) + (f" and {len(other) - 5:,} more" if len(other) > 5 else "")
            nested = " (a zip inside a zip is not opened: unzip it and upload its files)" if any(n.lower().endswith(".zip") for n in other) else ""
            yield where, None, Problem(where, "skipped", f"{len(other)} files", f"{len(other):,} file(s) in the zip are not case files "
                                       f"({', '.join(CASE_SUFFIXES)}) and were not read: {shown}{nested}")
        if len(members) > MAX_ARCHIVE_MEMBERS:
            yield where, None, Problem(where, "limit", str(len(members)),
                                       f"the zip holds {len(members):,} case files; only the first {MAX_ARCHIVE_MEMBERS:,} are read (limit)")
            members = members[:MAX_ARCHIVE_MEMBERS]
        member_cap, left = MAX_MEMBER_MB << 20, MAX_ARCHIVE_MB << 20
        for i, info in enumerate(members):
            loc = f"{where}!{info.filename}"
            if left <= 0:
                yield loc, None, Problem(loc, "limit", where, f"the zip decompresses to over {MAX_ARCHIVE_MB} MB; "
                                         f"this member and the {len(members) - i - 1:,} after it are not read (limit)", True)
                return
            cap = min(member_cap, left)
            if info.file_size > cap:  # the header says so: refused without decompressing anything
                yield loc, None, _too_big(loc, info.file_size, member_cap, left)
                continue
            try:
                data = _read_member(zf, info, cap)
            except _MEMBER_ERRORS as e:
                yield loc, None, Problem(loc, "malformed", info.filename, f"unreadable zip member ({type(e).__name__}: {e})", True)
                continue
            if len(data) > cap:  # the header lied: stopped after cap + 1 bytes
                yield loc, None, _too_big(loc, len(data), member_cap, left)
                left -= len(data)
                continue
            left -= len(data)
            yield loc, data, None


def _too_big(loc: str, size: int, member_cap: int, left: int) -> Problem:
    limit = f"{MAX_MEMBER_MB} MB per member" if left >= member_cap else f"{MAX_ARCHIVE_MB} MB for the whole zip"
    return Problem(loc, "limit", f"{size:,} bytes", f"decompresses to over {min(member_cap, left) >> 20} MB ({limit}); not read", True)
