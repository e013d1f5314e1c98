"""Peak memory and time of the CLI and the app on a maximal upload, zip bombs, and the inputs of issue 27
(docs/limits.md).

    python bench/bench_limits.py                 # both tables; every input is made in a temporary folder
    python bench/bench_limits.py --only round2   # issue 27's rows alone (~1 min): 44 KB of unknown words,
                                                 # an 8,000-term phenopacket, a release with an is_a cycle

Each run is a fresh subprocess (`--one SCENARIO SURFACE`, `--round2 ROW`); its peak RSS is its own `ru_maxrss`.
The pages are driven by Streamlit's AppTest, as tests/app/test_pages.py does; the CLI is `rft cases validate`
and `rft kb update --from`. The release row's child gets 4 GB of address space and 60 s at most, so a
regression (the cycle that loops, growing) cannot take the machine with it: it shows as a failed row.
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


# -- issue 27: bounded work per upload, and a checked knowledge base -------------------------------------------
ROUND2 = {  # row -> (what is measured, target)
    "words-cli": ("44 KB CSV, 150 rows x 30 unknown words: `rft cases validate` (validation; the HPO load apart)", "< 2 s"),
    "words-batch": ("the same CSV on the Batch page: upload, then a rerun (any later click)", "< 3 s, rerun < 0.5 s"),
    "terms-diagnose": ("phenopacket with 8,000 terms (0.26 MB) opened on Diagnose", "< 3 s, 1 warning box"),
    "cyclic-release": ("`rft kb update --from DIR`, hp.obo with one is_a loop (staging, load, check; the CLI's start-up apart)",
                       "refused < 5 s, not cached, peak < 1 GB"),
}


def unknown_words_csv(rows: int = 150, words: int = 30) -> bytes:
    """Rows of seeded random consonant strings (never an HPO label): the issue's 44 KB upload."""
    import random

    rng = random.Random(27)
    word = lambda: "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(6, 10)))
    return ("\n".join(["case_id,present,gene"] + [f"r{i},{';'.join(word() for _ in range(words))},SCN1A" for i in range(rows)]) + "\n").encode()


def big_phenopacket(hpo, n: int = 8000) -> bytes:
    ids = sorted(t for t in hpo.terms if hpo.is_phenotype(t))[:n]
    return json.dumps({"id": "big", "phenotypicFeatures": [{"type": {"id": t}} for t in ids]}).encode()


def cyclic_release(folder: Path) -> Path:
    """The bundled release with one extra is_a: HP:0000118 (Phenotypic abnormality) under one of its descendants."""
    from ontology.hpo import default_data_dir

    src = default_data_dir()
    folder.mkdir()
    for name in ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt", "phenotype_to_genes.txt"):
        if (src / name).is_file():
            (folder / name).write_bytes((src / name).read_bytes())
    obo = (folder / "hp.obo").read_text()
    obo = obo.replace("id: HP:0000118\nname: Phenotypic abnormality\n", "id: HP:0000118\nname: Phenotypic abnormality\nis_a: HP:0001250 ! loop\n", 1)
    (folder / "hp.obo").write_text(obo)
    return folder


def run_round2(row: str, tmp: Path) -> dict:
    import contextlib
    import io

    from ontology import load_hpo

    out: dict = {}
    if row == "words-cli":
        import rft.cases
        from rft.cli import main

        path = tmp / "words.csv"
        path.write_bytes(unknown_words_csv())
        real, spent = rft.cases.load_cases, []

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                spent.append(time.perf_counter() - t0)

        rft.cases.load_cases = timed
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["cases", "validate", str(path), "--json", "--show", "1"])
        out = {"seconds": round(spent[0], 2), "outcome": f"exit {rc}; {path.stat().st_size / 1000:.0f} KB; whole command {time.perf_counter() - t0:.1f} s"}
    elif row == "words-batch":
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page("pages/batch.py").run()
        t0 = time.perf_counter()
        at.file_uploader(key="batch_upload").upload("words.csv", unknown_words_csv()).run()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        at.run()
        rerun = time.perf_counter() - t0
        metrics = {m.label: m.value for m in at.metric}
        out = {"seconds": round(first, 2), "outcome": f"rerun {rerun:.2f} s; read {metrics.get('Records read')}, exception {bool(at.exception)}"}
    elif row == "terms-diagnose":
        from streamlit.testing.v1 import AppTest

        data = big_phenopacket(load_hpo())
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        t0 = time.perf_counter()
        at.file_uploader(key="dx_import").upload("big.json", data).run()
        seconds = time.perf_counter() - t0
        out = {"seconds": round(seconds, 2), "outcome": f"{len(data) / 2**20:.2f} MB; {len(at.warning)} warning box(es), "
                                                       f"{len(at.multiselect(key='dx_present').value)} terms kept, exception {bool(at.exception)}"}
    elif row == "cyclic-release":
        import os

        from rft.cli import main

        import ontology.releases

        source = cyclic_release(tmp / "release")
        os.environ["RFT_CACHE_DIR"] = str(tmp / "cache")
        real, spent = ontology.releases.install_release, []

        def timed(*a, **k):  # the refusal itself: staging, loading, checking (the CLI's own start-up apart)
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return real(*a, **k)
            finally:
                spent.extend([time.perf_counter() - t0, time.process_time() - c0])

        ontology.releases.install_release = timed
        err = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            rc = main(["kb", "update", "--from", str(source)])
        cached = sorted(p.name for p in (tmp / "cache" / "hpo").iterdir()) if (tmp / "cache" / "hpo").is_dir() else []
        out = {"seconds": round(spent[0], 2) if spent else "-",
               "outcome": f"exit {rc}; CPU {spent[1]:.1f} s; whole command {time.perf_counter() - t0:.1f} s; cached: {cached or 'nothing'}; {err.getvalue().strip()[:70]}"}
    return out | {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # address space: a runaway release load fails, not the machine


def round2_table(timeout: int = 300) -> None:
    import os

    print("| input | target | seconds | peak RSS MB | outcome |")
    print("|---|---|---|---|---|")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, whatever is installed
    for row, (what, target) in ROUND2.items():
        cyclic = row == "cyclic-release"
        try:
            proc = subprocess.run([sys.executable, __file__, "--round2", row], capture_output=True, text=True, cwd=ROOT, env=env,
                                  timeout=60 if cyclic else timeout, preexec_fn=_limit_memory if cyclic else None, check=False)
            r = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {
                "seconds": "-", "peak_mb": "-", "outcome": f"failed: {(proc.stderr.strip().splitlines() or ['?'])[-1][:120]}"}
        except subprocess.TimeoutExpired:
            r = {"seconds": f"> {60 if cyclic else timeout}", "peak_mb": "-", "outcome": "killed at the timeout"}
        print(f"| {what} | {target} | {r['seconds']} | {r['peak_mb']} | {r['outcome']} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", nargs=2, metavar=("PATH", "SURFACE"), help=argparse.SUPPRESS)
    ap.add_argument("--round2", choices=list(ROUND2), help=argparse.SUPPRESS)
    ap.add_argument("--only", choices=["uploads", "round2"], help="one table only: the upload limits, or issue 27's rows")
    args = ap.parse_args()
    if args.round2:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_round2(args.round2, Path(tmp))))
        return 0
    if args.one:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            result = run_one(Path(args.one[0]), args.one[1])
        print(json.dumps(result))
        return 0
    if args.only != "uploads":
        round2_table()
        if args.only == "round2":
            return 0
        print()
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
