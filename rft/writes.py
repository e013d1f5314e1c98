"""Safe writes: every result file, model folder and run folder the project saves goes through here.

    from rft.writes import write_atomic, check_target, folder_writer
    write_atomic("results/sim.jsonl", text, force=args.force, inputs=[args.cases])

Three rules, each enforced once, here:

1. Never overwrite an existing file or folder without `force`, and never write over an input (an output
   equal to an input, a folder holding one, or a path inside an input folder, is refused even with `force`).
   A path that is not a regular file or folder (a device such as /dev/null, a FIFO, a symbolic link) is never
   replaced. The inputs are every path the command reads: cases, split, model folder, release folder.
2. `force` replaces a folder only when the project wrote it: its `meta.json` carries `"written_by":
   "rft-genes"` (`written_by_project`), and, where a kind is asked for, the right `"kind"`.
3. Write to a temporary name next to the target and rename it into place, so a crash or a full disk leaves the
   old file whole; an `OSError` becomes a one-line `ValueError` naming the path.

`csv_cell` neutralises spreadsheet formulas in every CSV cell the project writes.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["PROJECT_MARKER", "check_target", "csv_cell", "folder_writer", "png_written_by_project", "uncsv_cell", "write_atomic",
           "written_by_project"]

PROJECT_MARKER = "rft-genes"  # meta.json "written_by": what this project wrote, and so may replace with --force

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def written_by_project(folder: str | Path, kinds: Iterable[str] | None = None) -> bool:
    """True when `folder`'s meta.json says this project wrote it (its marker, or the keys the first releases
    wrote before the marker existed), and its "kind" is one of `kinds` when given: only such a folder may be
    replaced by `--force`."""
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict):
        return False
    ours = meta.get("written_by") == PROJECT_MARKER or meta.get("kind") in ("rft-run", "rft-merged") or "pretrain" in meta
    return ours and (kinds is None or meta.get("kind") in set(kinds))


def png_written_by_project(path: str | Path) -> bool:
    """True when `path` is a PNG this project drew: its "Software" text chunk is `PROJECT_MARKER` (`rft.report`
    writes it), so a redraw may replace it; any other file, or none, is False."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.startswith(b"\x89PNG") and b"Software\x00" + PROJECT_MARKER.encode() in head


def _holds(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(
    path: str | Path, *, force: bool = False, inputs: Iterable[str | Path | None] = (), folder: bool = False,
    kinds: Iterable[str] | None = None, what: str = "--out",
) -> Path:
    """Refuse, with one line naming `path`, an output that would overwrite without `force`, replace a folder the
    project did not write, or write over one of `inputs`; returns `path` as a Path.

    Args:
        folder: the output is a folder (a model or run folder) rather than a file.
        kinds: with `folder`, the meta.json "kind"s that `force` may replace (None: any the project wrote).
        what: how the user named the output in the error ("--out", "OUT").
    """
    path = Path(path)
    target = path.resolve()
    for given in inputs:
        if given is None or str(given) == "":
            continue
        source = Path(given).resolve()
        if _holds(target, source):
            raise ValueError(f"{what} {path} is or holds the input {given}: choose another {what}")
        if source.is_dir() and _holds(source, target):  # a model's weights, or a file read back as a case next time
            raise ValueError(f"{what} {path} is inside the input folder {given}: choose a {what} outside it")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{what} {path}: {parent} is a file, not a folder")
    if not path.exists() and not path.is_symlink():
        return path
    if not folder:
        if path.is_dir():
            raise ValueError(f"{what} {path} is a folder: give a file name")
        if path.is_symlink() or not path.is_file():  # a device, a FIFO, a socket, a link: never ours to replace
            raise ValueError(f"{what} {path} is not a regular file (a device, pipe or link): not replacing it, even with --force")
        if not force:
            raise ValueError(f"{what} {path} exists; pass --force to overwrite it or choose another {what}")
        return path
    if not path.is_dir():
        raise ValueError(f"{what} {path} is a file, not a folder")
    if not any(path.iterdir()):
        return path
    if not force:
        raise ValueError(f"{what} {path} exists and is not empty; pass --force to replace it or choose another {what}")
    if not written_by_project(path, kinds):
        kind = f" of kind {', '.join(sorted(kinds))}" if kinds is not None else ""
        raise ValueError(
            f"{what} {path} is not a folder rft-genes wrote{kind} (its meta.json lacks \"written_by\": \"{PROJECT_MARKER}\"): "
            f"not replacing it, even with --force"
        )
    return path


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _remove_stale_tmp(path: Path) -> None:
    """Remove `.<name>.<pid>.tmp` files that a killed writer (kill -9, power loss) left beside `path`: only ours (the
    name pattern) and only of processes no longer running."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 : -4]
        if not pid.isdigit() or tmp.is_symlink() or not tmp.is_file():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: is the process alive?
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (PermissionError, OverflowError, OSError):
            continue  # alive (another user's), or not a pid: left alone


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False, inputs: Iterable[str | Path | None] = (), what: str = "--out") -> Path:
    """Write `data` to `path` through a temporary file and a rename, after `check_target`'s checks.

    Raises:
        ValueError: the target is refused, or the write failed (permissions, full disk), naming the path.
    """
    path = check_target(path, force=force, inputs=inputs, what=what)
    _remove_stale_tmp(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_file(tmp, data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"cannot write {path}: {e.strerror or e}") from None
    return path


@contextmanager
def folder_writer(target: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder next to `target`; on success it replaces `target` in two renames (the old
    folder is deleted only once the new one is in place), on failure it is removed and `target` is untouched.
    The caller has checked the target (`check_target(..., folder=True)`)."""
    target = Path(target)
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    except OSError as e:
        raise ValueError(f"cannot write {target}: {e.strerror or e}") from None
    try:
        yield staging
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except OSError as e:
        if old.exists() and not target.exists():
            old.rename(target)  # put the old folder back: nothing is lost
        raise ValueError(f"cannot write {target}: {e.strerror or e}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @, a tab or a CR gets a leading
    apostrophe (OWASP's advice); numbers and everything else pass unchanged.

    >>> csv_cell("=cmd|' /C calc'!A0"), csv_cell("SCN1A"), csv_cell(-1.5)
    ("'=cmd|' /C calc'!A0", 'SCN1A', -1.5)
    """
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def uncsv_cell(value: Any) -> Any:
    """The inverse of `csv_cell`, for reading back a CSV the project wrote.

    >>> uncsv_cell("'=1+1"), uncsv_cell("'quoted")
    ('=1+1', "'quoted")
    """
    return value[1:] if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START) else value
