"""Peak memory and time of the CLI and the Batch page on a maximal upload and on zip bombs (README "Limits").

    python bench/bench_limits.py            # prints a table; every input is made in a temporary folder

Each run is a fresh subprocess (`--one SCENARIO SURFACE`); its peak RSS is its own `ru_maxrss`. The Batch page
is driven by Streamlit's AppTest, as tests/app/test_pages.py does; the CLI is `rft cases validate`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from rft.limits import MAX_ARCHIVE_MEMBERS, MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parents[1]
BOUND_MB = 1536
CASE = json.dumps({"id": "c", "present": ["HP:0001250", "HP:0001263"], "genes": ["SCN1A"]})


def _stream_member(zf: zipfile.ZipFile, name: str, total: int, fill: bytes = b"\n") -> None:
    block = fill * (1 << 20)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as f:
        for _ in range(total >> 20):
            f.write(block)


def make_inputs(folder: Path) -> dict[str, Path]:
    """The inputs: a maximal 50 MB JSONL upload, the issue's zip bombs (900 MB of newlines in one member;
    many members), and many members each decompressing to the per-member limit."""
    out = {}
    p = folder / "max_upload.jsonl"
    line = CASE.encode() + b"\n"
    with open(p, "wb") as f:  # just under the upload limit
        i, size = 0, 0
        while size + 100 < MAX_UPLOAD_MB << 20:
            size += f.write(line.replace(b'"c"', f'"c{i}"'.encode()))
            i += 1
    out["50 MB JSONL upload"] = p
    p = folder / "newline_bomb.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        _stream_member(zf, "bomb.jsonl", 900 << 20)
    out["zip: 900 MB of newlines in one member"] = p
    p = folder / "many_members.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(MAX_ARCHIVE_MEMBERS + 10_000):
            zf.writestr(f"m{i}.jsonl", CASE.replace('"c"', f'"c{i}"'))
    out[f"zip: {MAX_ARCHIVE_MEMBERS + 10_000:,} members"] = p
    p = folder / "many_bombs.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(12):
            _stream_member(zf, f"b{i}.csv", 49 << 20)
    out["zip: 12 members x 49 MB of newlines"] = p
    return out


def run_one(path: Path, surface: str) -> dict:
    t0 = time.perf_counter()
    if surface == "cli":
        from rft.cli import main

        rc = main(["cases", "validate", str(path), "--json", "--show", "1"])
        outcome = f"exit {rc}"
    else:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page("pages/batch.py").run()
        t0 = time.perf_counter()  # the upload alone, not the HPO load every page pays once
        at.file_uploader(key="batch_upload").upload(path.name, path.read_bytes()).run()
        metrics = {m.label: m.value for m in at.metric}
        outcome = f"usable {metrics.get('Usable cases')}, exception {bool(at.exception)}"
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "outcome": outcome}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", nargs=2, metavar=("PATH", "SURFACE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            result = run_one(Path(args.one[0]), args.one[1])
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp))
        print(f"| input | size | surface | seconds | peak RSS MB (bound {BOUND_MB}) | outcome |")
        print("|---|---|---|---|---|---|")
        worst = 0
        for name, path in inputs.items():
            for surface in ("cli", "batch page"):
                proc = subprocess.run([sys.executable, __file__, "--one", str(path), "cli" if surface == "cli" else "app"],
                                      capture_output=True, text=True, cwd=ROOT, timeout=600)
                r = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {"seconds": "-", "peak_mb": -1, "outcome": proc.stderr[-200:]}
                worst = max(worst, r["peak_mb"])
                print(f"| {name} | {path.stat().st_size / 2**20:.1f} MB | {surface} | {r['seconds']} | {r['peak_mb']} | {r['outcome']} |", flush=True)
        print(f"worst peak RSS {worst} MB: {'under' if worst < BOUND_MB else 'OVER'} the {BOUND_MB} MB bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
