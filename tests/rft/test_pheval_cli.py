"""`pheval run --runner rftgenesphevalrunner` for real, in the PhEval environment the README's test command builds.

PhEval pins pyarrow<20 and the `[train]` extra's datasets needs pyarrow>=21, so PhEval lives in an environment
of its own: the README's test command makes it at `.venv/pheval` (core + `[pheval,test]`). These tests run its
`pheval` command on ten hand-written phenopackets ranked against the mini ontology, and run
tests/rft/test_pheval_runner.py (the runner's phases in process) under its Python when this one has no PhEval.

    pytest tests/rft/test_pheval_cli.py      # RFT_PHEVAL_PYTHON=/path/to/bin/python points at another PhEval environment
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "hpo_mini"
HGNC = {"SCN1A": "HGNC:10585", "STXBP1": "HGNC:11444", "GJB2": "HGNC:4284", "C9orf72": "HGNC:28337"}


def _pheval_python() -> Path | None:
    """The Python of an environment with PhEval: $RFT_PHEVAL_PYTHON, the test command's .venv/pheval, or this one."""
    if os.environ.get("RFT_PHEVAL_PYTHON"):
        return Path(os.environ["RFT_PHEVAL_PYTHON"])
    beside = Path(sys.prefix) / "pheval" / "bin" / "python"
    if beside.exists():
        return beside
    return Path(sys.executable) if importlib.util.find_spec("pheval") else None


PHEVAL_PYTHON = _pheval_python()
needs_pheval = pytest.mark.skipif(
    PHEVAL_PYTHON is None,
    reason="no PhEval environment: the README's test command builds .venv/pheval "
    "(python3 -m venv .venv/pheval && .venv/pheval/bin/pip install torch==2.13.0 && .venv/pheval/bin/pip install -e \".[pheval,test]\")",
)

# Ten cases written for this test against tests/fixtures/hpo_mini (four genes); the causal gene and why it ranks where it does
CASES = {
    "dravet": (["HP:0001250", "HP:0002069"], [], "SCN1A"),  # Seizure + Bilateral tonic-clonic: only SCN1A has both
    "tonic_clonic": (["HP:0002069"], [], "SCN1A"),  # the specific seizure type alone
    "delay": (["HP:0001263"], [], "STXBP1"),  # Global developmental delay: STXBP1 has it at 100 %, SCN1A with no frequency
    "delay_seizure": (["HP:0001263", "HP:0001250"], [], "STXBP1"),  # both genes carry both terms, at different frequencies
    "deaf": (["HP:0000407"], [], "GJB2"),  # Sensorineural hearing impairment: GJB2's own term
    "hearing": (["HP:0000365"], [], "C9orf72"),  # Hearing impairment: C9orf72's own term, at 1/5 (rank 2)
    "deaf_no_seizure": (["HP:0000407"], ["HP:0001250"], "GJB2"),  # an excluded term beside a present one
    "obsolete_fits": (["HP:0000999"], [], "SCN1A"),  # obsolete "Fits": mapped to Seizure through replaced_by
    "seizure_deaf": (["HP:0001250", "HP:0000407"], [], "GJB2"),  # a mixed picture: GJB2 explains one term of two (rank 3)
    "unknown": (["HP:9999999"], [], "GJB2"),  # no HPO term: nothing to rank, PhEval counts the gene as not found (rank 0)
}


def _phenopacket(case_id: str, present: list[str], excluded: list[str], symbol: str) -> dict:
    features = [{"type": {"id": t}} for t in present] + [{"type": {"id": t}, "excluded": True} for t in excluded]
    variant = {"variationDescriptor": {"id": "v1", "geneContext": {"valueId": HGNC[symbol], "symbol": symbol}}}
    return {
        "id": case_id,
        "subject": {"id": f"{case_id}-subject"},
        "phenotypicFeatures": features,
        "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {"disease": {"id": "OMIM:0", "label": "x"},
            "genomicInterpretations": [{"subjectOrBiosampleId": f"{case_id}-subject", "interpretationStatus": "CAUSATIVE",
                                        "variantInterpretation": variant}]}}],
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }


def _expected_ranks(ranker_name: str, phenopackets: Path) -> dict[str, int]:
    """The causal gene's rank in the project's own ranking of each file, under PhEval's tie rule (worst rank of its
    group); 0 when the file holds no rankable case."""
    from ontology import load_hpo
    from rft.cases import load_cases
    from rft.registry import load_ranker

    hpo = load_hpo(MINI)
    ranker = load_ranker(ranker_name, hpo)
    out = {}
    for path in sorted(phenopackets.glob("*.json")):
        cases = load_cases(path, hpo).cases
        if not cases:
            out[path.stem] = 0
            continue
        [ranking] = ranker.rank(cases[:1])
        score = {g.gene: g.score for g in ranking.genes}[cases[0].genes[0]]
        out[path.stem] = sum(1 for g in ranking.genes if g.score >= score)
    return out


@needs_pheval
def test_pheval_run_ranks_ten_cases_as_the_project_does(tmp_path):
    """The real CLI: config + corpus in, one gene result per phenopacket out, the causal gene where our ranking puts it.

    The output folder is nested and does not exist yet, as in a fresh clone (`-o runs/pheval/default`): PhEval's
    runner must create it (before the fix: FileNotFoundError ... tool_input_commands).
    """
    config, corpus, out = tmp_path / "config", tmp_path / "corpus", tmp_path / "runs" / "pheval" / "likelihood"
    (corpus / "phenopackets").mkdir(parents=True)
    config.mkdir()
    options = {"ranker": "likelihood", "hpo_dir": str(MINI)}
    (config / "config.yaml").write_text(json.dumps({"tool": "rftgenes", "tool_version": "0.1.0", "variant_analysis": False,
        "gene_analysis": True, "disease_analysis": False, "tool_specific_configuration_options": options}))  # JSON is YAML
    for stem, (present, excluded, gene) in CASES.items():
        (corpus / "phenopackets" / f"{stem}.json").write_text(json.dumps(_phenopacket(stem, present, excluded, gene)))
    pheval = PHEVAL_PYTHON.parent / "pheval"
    done = subprocess.run([str(pheval), "run", "--runner", "rftgenesphevalrunner", "-i", str(config), "-t", str(corpus),
                           "-o", str(out), "--version", "0.1.0"], capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    # read the parquet files in the PhEval environment (polars is PhEval's, not the core's)
    script = ("import json, sys, pathlib, polars as pl; d = pathlib.Path(sys.argv[1]);"
              "print(json.dumps({p.name.removesuffix('-gene_result.parquet'): pl.read_parquet(p).rows(named=True) for p in d.glob('*.parquet')}))")
    read = subprocess.run([str(PHEVAL_PYTHON), "-c", script, str(out / "pheval_gene_results")], capture_output=True, text=True, timeout=300, check=False)
    assert read.returncode == 0, read.stderr[-3000:]
    results = json.loads(read.stdout)
    assert sorted(results) == sorted(CASES)
    expected = _expected_ranks("likelihood", corpus / "phenopackets")
    for stem, (_present, _excluded, gene) in CASES.items():
        causal = [r for r in results[stem] if r["true_positive"]]
        assert [r["gene_symbol"] for r in causal] == [gene], stem
        assert causal[0]["rank"] == expected[stem], (stem, causal[0], expected[stem])
    assert (expected["dravet"], expected["deaf"], expected["hearing"], expected["unknown"]) == (1, 1, 2, 0)  # the fixture means what it says


@needs_pheval
@pytest.mark.skipif(importlib.util.find_spec("pheval") is not None, reason="PhEval is in this environment: the runner's tests ran here")
def test_the_runner_tests_pass_in_the_pheval_environment():
    """tests/rft/test_pheval_runner.py (prepare, run, post_process in process; options; ties) under PhEval's Python."""
    done = subprocess.run([str(PHEVAL_PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/rft/test_pheval_runner.py"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " skipped" not in done.stdout, done.stdout[-500:]


def _recipe() -> tuple[Path, str]:
    """The documented PhEval recipe: the bash block that runs `pheval run`, in the README or a page under docs/."""
    import re

    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8") if page.is_file() else "", re.DOTALL):
            if "pheval run" in block:
                return page, block
    pytest.fail("no bash block with `pheval run` in README.md or docs/*.md")


def test_the_documented_pheval_recipe_writes_only_ignored_paths():
    """Everything the recipe creates (its venv, config, corpus, output) is git-ignored, so a fresh clone stays clean.

    Before the fix the README's recipe left .venv-pheval/, corpus/ and pheval-config/ untracked (bug 4 of issue 26).
    """
    import re
    import shutil

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to ask git what it ignores")
    page, block = _recipe()
    paths = re.findall(r"python3 -m venv (\S+)", block) + re.findall(r"\s-[iot] (\S+)", block)
    paths += [p for line in re.findall(r"mkdir -p ([^#\n]+)", block) for p in line.split()]
    paths += re.findall(r"> (\S+)", block)
    assert len(paths) >= 5, (page, paths)  # the venv, the config, the corpus, the output, the config file
    for path in paths:
        probe = f"{path.rstrip('/')}/probe"
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", probe], cwd=ROOT, check=False).returncode == 0
        assert ignored, f"{page.name}: the PhEval recipe writes {path}, which git does not ignore"
