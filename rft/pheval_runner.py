"""rft-genes as a PhEval runner: rank a PhEval corpus with any ranker and write PhEval's gene results.

PhEval (monarch-initiative/pheval) is the community benchmark that runs Exomiser, Phen2Gene, GADO and others on
the same phenopackets. Install PhEval next to rft-genes (README, "Run inside PhEval") and run:

    pheval run --runner rftgenesphevalrunner --input-dir pheval-config/ --testdata-dir corpus/ \
        --output-dir runs/pheval/default --version 0.1.0

`--input-dir` holds PhEval's `config.yaml`; its `tool_specific_configuration_options` may set

    ranker: default      # any spec `rft.registry.load_ranker` takes: default, similarity, likelihood, model:<folder>
    hpo_dir: null        # an HPO release folder or date (`rft.registry`'s rankers score against it); null: the default release
    top: null            # genes written per case; null: every gene the ranker knows
    batch_size: 256      # cases ranked at a time

`--testdata-dir` holds `phenopackets/`, one GA4GH phenopacket per file. The three phases:

- `prepare` checks the options and the corpus;
- `run` reads each phenopacket with the project's own loader (`rft.cases.load_cases`), ranks them a chunk at a
  time (`rft.evaluate.rank_in_chunks`) and writes `raw_results/<phenopacket stem>.tsv`: gene_symbol,
  gene_identifier (the NCBI Gene CURIE the HPO release gives), score, best first;
- `post_process` hands each raw file to PhEval's own `generate_gene_result`, which ranks by score (equal scores
  share the worst rank of their group: PhEval's convention for every tool), marks the causal gene, and writes
  `pheval_gene_results/<phenopacket stem>-gene_result.parquet`.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    import polars as pl
    from pheval.post_processing import post_processing
    from pheval.runners.runner import PhEvalRunner
except ImportError as e:  # an optional extra: say how to get it
    raise ImportError(f"rft.pheval_runner needs PhEval ({e.name} is missing): pip install -e \".[pheval]\" (docs/pheval.md)") from e

from rft.cases import Case, load_cases
from rft.evaluate import rank_in_chunks

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.rankers.base import Ranking

__all__ = ["RAW_COLUMNS", "RftGenesPhEvalRunner", "RftPhEvalConfig", "pheval_scores", "read_corpus"]

RAW_COLUMNS = ("gene_symbol", "gene_identifier", "score")
_RAW_SCHEMA = {"gene_symbol": pl.String, "gene_identifier": pl.String, "score": pl.Float64}
logger = logging.getLogger(__name__)


@dataclass
class RftPhEvalConfig:
    """The runner's options: config.yaml's `tool_specific_configuration_options` (all optional)."""

    ranker: str = "default"
    hpo_dir: str | None = None
    top: int | None = None
    batch_size: int = 256

    def __post_init__(self):
        if not isinstance(self.ranker, str) or not self.ranker.strip():
            raise ValueError(f"config.yaml: ranker must be a ranker name or model folder (e.g. default, similarity), got {self.ranker!r}")
        if self.top is not None and (not isinstance(self.top, int) or self.top < 1):
            raise ValueError(f"config.yaml: top must be a whole number of genes of at least 1, or null for every gene; got {self.top!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"config.yaml: batch_size must be a whole number of at least 1, got {self.batch_size!r}")

    @classmethod
    def from_options(cls, options: Any) -> RftPhEvalConfig:
        """Options as config.yaml gives them (None when the section is empty); unknown keys are refused by name."""
        options = options or {}
        if not isinstance(options, dict):
            raise ValueError(f"config.yaml: tool_specific_configuration_options must be a mapping, got {options!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"config.yaml: unknown option(s) {', '.join(unknown)}; rft-genes takes {', '.join(sorted(known))}")
        return cls(**options)


def pheval_scores(ranking: Ranking) -> list[float]:
    """Scores under which PhEval's ranking (by score, best first) is this ranking, ties included.

    The ranker's own scores when they never rise down the list (the classical rankers, RRF fusion): equal scores
    are then true ties, and PhEval gives them its convention. Otherwise (a model's generated genes come first
    whatever their log-probability; `rerank` fusion; a non-finite score), scores that count down the ranking,
    one step per change of the ranker's score, so PhEval keeps exactly this order and the same ties.

    >>> from rft.rankers.base import RankedGene, Ranking
    >>> pheval_scores(Ranking("c", [RankedGene("A", 2.0), RankedGene("B", 1.0), RankedGene("C", 1.0)]))
    [2.0, 1.0, 1.0]
    >>> pheval_scores(Ranking("c", [RankedGene("A", -3.0), RankedGene("B", -1.0), RankedGene("C", -1.0), RankedGene("D", -2.0)]))
    [3.0, 2.0, 2.0, 1.0]
    """
    scores = [g.score for g in ranking.genes]
    if all(math.isfinite(s) for s in scores) and all(a >= b for a, b in pairwise(scores)):
        return scores
    steps = [0] + [int(a != b) for a, b in pairwise(scores)]
    level, out = sum(steps) + 1, []
    for step in steps:
        level -= step
        out.append(float(level))
    return out


def read_corpus(phenopacket_dir: Path, hpo: Hpo) -> tuple[list[str], list[Case]]:
    """Each phenopacket's file stem (PhEval matches results to cases by it) and its case; unreadable ones are logged and left out."""
    stems, cases = [], []
    for path in sorted(p for p in Path(phenopacket_dir).iterdir() if p.is_file()):
        batch = load_cases(path, hpo) if path.suffix.lower() == ".json" else None
        if batch is None or not batch.cases:
            problems = "; ".join(str(p) for p in batch.problems) if batch else "not a .json file"
            logger.warning("%s: no case to rank (%s); PhEval counts its causal gene as not found", path.name, problems or "no phenotype")
            continue
        if len(batch.cases) > 1:
            logger.warning("%s holds %d cases; PhEval expects one phenopacket per file, the first is ranked", path.name, len(batch.cases))
        stems.append(path.stem)
        cases.append(batch.cases[0])
    return stems, cases


@dataclass
class RftGenesPhEvalRunner(PhEvalRunner):
    """PhEval's runner for rft-genes (`pheval run --runner rftgenesphevalrunner`); see the module docstring."""

    input_dir: Path
    testdata_dir: Path
    tmp_dir: Path
    output_dir: Path
    config_file: Path
    version: str

    @property
    def options(self) -> RftPhEvalConfig:
        return RftPhEvalConfig.from_options(self.input_dir_config.tool_specific_configuration_options)

    @property
    def phenopacket_dir(self) -> Path:
        return Path(self.testdata_dir) / "phenopackets"

    def build_output_directory_structure(self) -> None:
        """PhEval's folders under --output-dir, creating --output-dir (and its parents) first.

        PhEval makes only the subfolders, so `-o runs/pheval/default` in a fresh clone failed with
        FileNotFoundError (.../tool_input_commands).
        """
        Path(self.output_dir).mkdir(parents=True, exist_ok=True)
        super().build_output_directory_structure()

    def prepare(self) -> None:
        """Check the options and the corpus before any ranking starts."""
        RftPhEvalConfig.from_options(self.input_dir_config.tool_specific_configuration_options)  # a bad option: ValueError now
        if not self.input_dir_config.gene_analysis:
            raise ValueError(f"{Path(self.input_dir) / 'config.yaml'}: set gene_analysis: true; rft-genes ranks genes")
        if self.input_dir_config.variant_analysis or self.input_dir_config.disease_analysis:
            logger.warning("rft-genes ranks genes only: no variant or disease results are written")
        if not self.phenopacket_dir.is_dir() or not any(self.phenopacket_dir.iterdir()):
            raise ValueError(f"{self.phenopacket_dir}: no phenopackets; --testdata-dir must hold a phenopackets/ folder")

    def run(self) -> None:
        """Rank every phenopacket and write one raw result per phenopacket, a chunk of cases at a time."""
        from ontology import load_hpo
        from rft.registry import load_ranker

        options = self.options
        hpo = load_hpo(options.hpo_dir)
        ranker = load_ranker(options.ranker, hpo)
        stems, cases = read_corpus(self.phenopacket_dir, hpo)
        raw_dir = Path(self.raw_results_dir)
        raw_dir.mkdir(parents=True, exist_ok=True)
        logger.info("ranking %d phenopackets with %s (HPO %s)", len(cases), ranker.name, hpo.version)
        for done, rankings in rank_in_chunks(ranker, cases, options.top, options.batch_size):
            for stem, ranking in zip(stems[done - len(rankings) : done], rankings):
                _write_raw(raw_dir / f"{stem}.tsv", ranking, hpo)

    def post_process(self) -> None:
        """Turn each raw result into PhEval's gene result with PhEval's own helper (it ranks, ties and classifies)."""
        # PhEval writes the "causal gene not found" placeholders once per process (a module-level set); forget that
        # so a second runner in the same process (a notebook, the tests) gets its own.
        post_processing.executed_results.discard(post_processing.ResultType.GENE)
        corpus = {p.stem for p in self.phenopacket_dir.iterdir()}
        for raw in sorted(Path(self.raw_results_dir).glob("*.tsv")):
            if raw.stem not in corpus:  # left in the output folder by a run on another corpus
                logger.warning("%s: no phenopacket %s in %s; skipped", raw, raw.stem, self.phenopacket_dir)
                continue
            results = pl.read_csv(raw, separator="\t", schema=_RAW_SCHEMA, missing_utf8_is_empty_string=True)
            post_processing.generate_gene_result(
                results, post_processing.SortOrder.DESCENDING, Path(self.output_dir), raw, self.phenopacket_dir
            )


def _write_raw(path: Path, ranking: Ranking, hpo: Hpo) -> None:
    """One case's raw result, best first; written to a temporary name and renamed, so no half file is left."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(RAW_COLUMNS)
        writer.writerows((g.gene, hpo.gene_id(g.gene) or "", repr(s)) for g, s in zip(ranking.genes, pheval_scores(ranking)))
    tmp.replace(path)
