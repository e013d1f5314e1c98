"""rft.pheval_runner: the PhEval runner on a tiny corpus (three phenopackets, the mini ontology, the similarity ranker).

    pytest tests/rft/test_pheval_runner.py    # needs PhEval installed (docs/pheval.md); tests/rft/test_pheval_cli.py runs it in .venv/pheval
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip(
    "pheval",
    reason="PhEval is not installed here: it pins pyarrow<20 while the [train] extra needs pyarrow>=21, so it lives in its own "
    "environment (docs/pheval.md); tests/rft/test_pheval_cli.py runs these tests there",
)
import polars as pl  # installed with PhEval
from pheval.implementations.pheval_class_resolver import PhevalClassResolver
from pheval.runners.runner import PhEvalRunner

from rft.pheval_runner import RftGenesPhEvalRunner, RftPhEvalConfig, pheval_scores
from rft.rankers.base import RankedGene, Ranking

ROOT = Path(__file__).resolve().parents[2]
GENE_COLUMNS = ["rank", "score", "gene_symbol", "gene_identifier", "true_positive"]


def _phenopacket(case_id: str, terms: list[str], symbol: str, hgnc: str) -> dict:
    return {
        "id": case_id,
        "subject": {"id": f"{case_id}-subject"},
        "phenotypicFeatures": [{"type": {"id": t}} for t in terms],
        "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {"disease": {"id": "OMIM:0", "label": "x"},
            "genomicInterpretations": [{"subjectOrBiosampleId": f"{case_id}-subject", "interpretationStatus": "CAUSATIVE",
                "variantInterpretation": {"variationDescriptor": {"id": "v1", "geneContext": {"valueId": hgnc, "symbol": symbol}}}}]}}],
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }


CORPUS = {
    # Seizure + Bilateral tonic-clonic seizure: only SCN1A has both, so it is first
    "dravet": _phenopacket("dravet", ["HP:0001250", "HP:0002069"], "SCN1A", "HGNC:10585"),
    # Global developmental delay alone: SCN1A and STXBP1 both carry it, an exact tie
    "delay": _phenopacket("delay", ["HP:0001263"], "STXBP1", "HGNC:11444"),
    # an id that is no HPO term: no case to rank, so PhEval must count its causal gene as not found
    "unknown": _phenopacket("unknown", ["HP:9999999"], "GJB2", "HGNC:4284"),
}


def _runner(tmp_path: Path, options: dict | None, gene_analysis: bool = True) -> RftGenesPhEvalRunner:
    input_dir, testdata, output = tmp_path / "config", tmp_path / "corpus", tmp_path / "out"
    for folder in (input_dir, testdata / "phenopackets", output):
        folder.mkdir(parents=True)
    config = {"tool": "rftgenes", "tool_version": "0.1.0", "variant_analysis": False, "gene_analysis": gene_analysis,
              "disease_analysis": False, "tool_specific_configuration_options": options}
    (input_dir / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    for stem, packet in CORPUS.items():
        (testdata / "phenopackets" / f"{stem}.json").write_text(json.dumps(packet))
    return RftGenesPhEvalRunner(input_dir, testdata, tmp_path / "tmp", output, None, "0.1.0")


@pytest.fixture(scope="module")
def gene_results(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """The three phases, as `pheval run` calls them, and the gene results they leave."""
    tmp_path = tmp_path_factory.mktemp("pheval")
    runner = _runner(tmp_path, {"ranker": "similarity", "hpo_dir": str(ROOT / "tests" / "fixtures" / "hpo_mini")})
    runner.build_output_directory_structure()
    runner.prepare()
    runner.run()
    assert sorted(p.name for p in runner.raw_results_dir.iterdir()) == ["delay.tsv", "dravet.tsv"]  # one per rankable phenopacket
    runner.post_process()
    return {p.name.removesuffix("-gene_result.parquet"): pl.read_parquet(p) for p in runner.pheval_gene_results_dir.glob("*.parquet")}


def test_one_gene_result_per_phenopacket_in_phevals_schema(gene_results):
    assert sorted(gene_results) == ["delay", "dravet", "unknown"]
    for frame in gene_results.values():
        assert frame.columns == GENE_COLUMNS
        assert frame.schema["score"] == pl.Float64 and frame.schema["rank"] == pl.Int64


def test_the_known_gene_is_found_and_named_by_its_ncbi_gene_id(gene_results):
    dravet = gene_results["dravet"]
    first = dravet.row(0, named=True)
    assert (first["rank"], first["gene_symbol"], first["gene_identifier"], first["true_positive"]) == (1, "SCN1A", "NCBIGene:6323", True)
    assert dravet.height == 4 and dravet["true_positive"].sum() == 1  # every gene of the mini release, one causal


def test_ties_share_the_worst_rank_of_their_group(gene_results):
    """PhEval's convention: equal scores get the largest rank among them (4 genes: 0.69, 0.69, 0.0, 0.0 -> 2, 2, 4, 4)."""
    delay = gene_results["delay"].sort("rank")
    assert delay["rank"].to_list() == [2, 2, 4, 4]
    assert dict(zip(delay["gene_symbol"], delay["true_positive"]))["STXBP1"] is True
    for frame in gene_results.values():
        scores, ranks = frame["score"].to_list(), frame["rank"].to_list()
        assert ranks == [sum(1 for other in scores if other >= s) if r else 0 for s, r in zip(scores, ranks)]


def test_a_phenopacket_without_a_rankable_case_counts_as_not_found(gene_results):
    unknown = gene_results["unknown"]
    assert unknown.rows(named=True) == [{"rank": 0, "score": 0.0, "gene_symbol": "GJB2", "gene_identifier": "HGNC:4284", "true_positive": True}]


@pytest.mark.parametrize(
    "scores, expected",
    [
        ([3.0, 2.0, 2.0, 1.0], [3.0, 2.0, 2.0, 1.0]),  # never rising: the ranker's own scores, the tie kept
        ([-5.0, -1.0, -1.0, -2.0], [3.0, 2.0, 2.0, 1.0]),  # a generated head ahead of better scores: the order counts down
        ([1.0, float("-inf"), float("-inf")], [2.0, 1.0, 1.0]),  # rerank fusion's -inf: finite, the tie kept
        ([], []),  # nothing ranked
    ],
)
def test_pheval_scores_keep_our_order_and_ties(scores, expected):
    ranking = Ranking("c", [RankedGene(f"G{i}", s) for i, s in enumerate(scores)])
    assert pheval_scores(ranking) == expected


@pytest.mark.parametrize(
    "options, message",
    [
        ({"rankr": "similarity"}, "unknown option.*rankr"),  # a typo is named, with the options there are
        ({"top": 0}, "top must be a whole number"),
        ({"ranker": ""}, "ranker must be"),
        ("similarity", "must be a mapping"),
    ],
)
def test_bad_options_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        RftPhEvalConfig.from_options(options)


def test_prepare_refuses_a_config_without_gene_analysis(tmp_path):
    runner = _runner(tmp_path, None, gene_analysis=False)
    with pytest.raises(ValueError, match="set gene_analysis: true"):
        runner.prepare()


def test_entry_point_names_the_runner_pheval_run_finds():
    """pyproject's `pheval.plugins` entry point loads this class, and `pheval run --runner rftgenesphevalrunner` picks it."""
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads pyproject.toml")
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["pheval.plugins"]["rftgenes"]
    assert target == "rft.pheval_runner:RftGenesPhEvalRunner" and issubclass(RftGenesPhEvalRunner, PhEvalRunner)
    resolver = PhevalClassResolver([RftGenesPhEvalRunner], base=PhEvalRunner, suffix="Implementation")  # as pheval builds it
    assert resolver.lookup("rftgenesphevalrunner") is RftGenesPhEvalRunner


def test_post_process_skips_raw_results_of_another_corpus(tmp_path):
    """A raw file left in the output folder by an earlier run on other phenopackets is skipped, not a crash."""
    runner = _runner(tmp_path, {"ranker": "similarity", "hpo_dir": str(ROOT / "tests" / "fixtures" / "hpo_mini")})
    runner.build_output_directory_structure()
    runner.run()
    (runner.raw_results_dir / "stray.tsv").write_text("gene_symbol\tgene_identifier\tscore\nSCN1A\tNCBIGene:6323\t1.0\n")
    runner.post_process()
    assert sorted(p.name for p in runner.pheval_gene_results_dir.iterdir()) == [
        "delay-gene_result.parquet", "dravet-gene_result.parquet", "unknown-gene_result.parquet"]
