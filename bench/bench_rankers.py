"""Benchmark every ranker on the publication-grouped validation split and print one table.

    pip install --target .bench-hpo3 hpo3          # once: the peer, kept out of the project's environment
    python bench/bench_rankers.py --cases ../shared/data/phenopacket-store-dev.zip [--models default base]

Rows: the classical rankers (with their measured variants), the hpo3 hypergeometric gene-enrichment peer
(run in its own process on the same HPO data folder; skipped with a note when .bench-hpo3 is absent) and,
with --models, model folders. Columns: n | top-1 | top-3 | top-5 | top-10 | MRR | top-max | ms/case, where
ms/case is the p50 of single-case ranking over every annotated gene (first 200 cases, top 10 kept; hpo3: batched
over all cores, mean); batch ms/case: the whole validation set ranked in one call keeping every gene, per case.
The split is data/splits/dev_split.json (case ids only). Dev figures flatter every method (HPO annotations
are partly curated from the same papers), so compare rows with each other, never with numbers elsewhere.
"""

from __future__ import annotations

import argparse
import statistics
import time

from peer_hpo3 import peer_rankings  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from rft.cases import load_cases
from rft.evaluate import grade_rankings, results_metrics
from rft.rankers import LikelihoodRatioRanker, SimilarityRanker
from rft.registry import load_ranker
from rft.splits import DEV_SPLIT, select


def measure(ranker, cases, n_latency: int = 200) -> dict:
    t0 = time.perf_counter()
    rankings = ranker.rank(cases)
    batched = (time.perf_counter() - t0) * 1000 / len(cases)
    metrics = results_metrics(grade_rankings(cases, rankings))
    single = []
    for case in cases[:n_latency]:
        t0 = time.perf_counter()
        ranker.rank([case], top=10)
        single.append((time.perf_counter() - t0) * 1000)
    return metrics | {"ms": statistics.median(single), "ms_batched": batched}


def run_peer(cases, hpo) -> dict | None:
    peer = peer_rankings(cases, hpo.data_dir)
    if peer is None:
        return None
    rankings, ms = peer
    return results_metrics(grade_rankings(cases, rankings)) | {"ms": ms}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--split", default=str(DEV_SPLIT))
    ap.add_argument("--models", nargs="*", default=[], help="model folders or 'default' to add as rows")
    ap.add_argument("--no-variants", action="store_true", help="only the shipped settings of each ranker")
    args = ap.parse_args()

    hpo = load_hpo()
    cases = select(load_cases(args.cases, hpo, require_gene=True).cases, args.split, "valid")
    rows: dict[str, dict] = {}
    rows["similarity (Resnik BMA patient->disease, gene = best disease) [shipped]"] = measure(SimilarityRanker(hpo), cases)
    rows["likelihood (LR per disease, gene = best disease) [shipped]"] = measure(LikelihoodRatioRanker(hpo), cases)
    if not args.no_variants:
        rows["similarity, gene level (diseases merged)"] = measure(SimilarityRanker(hpo, level="gene"), cases)
        rows["similarity, gene level, no tie-break"] = measure(SimilarityRanker(hpo, level="gene", tie_break=0.0), cases)
        rows["similarity, symmetric BMA"] = measure(SimilarityRanker(hpo, symmetric=True), cases)
        rows["similarity, excluded terms weight 0.03"] = measure(SimilarityRanker(hpo, excluded_weight=0.03), cases)
        rows["likelihood, gene level (diseases merged)"] = measure(LikelihoodRatioRanker(hpo, level="gene"), cases)
        rows["likelihood, excluded terms count against"] = measure(LikelihoodRatioRanker(hpo, use_excluded=True), cases)
    peer = run_peer(cases, hpo)
    if peer:
        rows["hpo3 gene enrichment (peer, hypergeometric)"] = peer
    for m in args.models:
        ranker = load_ranker(m if m == "default" else f"model:{m}", hpo)
        rows[f"model: {m} ({ranker.name})"] = measure(ranker, cases)

    print(f"validation split: {len(cases)} cases ({args.split}); HPO {hpo.version}\n")
    print("| method | n | top-1 | top-3 | top-5 | top-10 | MRR | top-max | ms/case | batch ms/case, full ranking |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, m in rows.items():
        print(f"| {name} | {m['n']} | {m['top1']:.3f} | {m['top3']:.3f} | {m['top5']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} | {m['top_max']:.3f} | {m['ms']:.1f} | {m.get('ms_batched', m['ms']):.1f} |")
    classical = {k: v for k, v in rows.items() if k.startswith(("similarity", "likelihood")) and "[shipped]" in k}
    best_name, best = max(classical.items(), key=lambda kv: kv[1]["mrr"])
    print(f"\nbest classical ranker: {best_name}")
    if peer:
        print(f"margin over hpo3 enrichment: top-10 {best['top10'] - peer['top10']:+.3f}, MRR {best['mrr'] - peer['mrr']:+.3f}")


if __name__ == "__main__":
    main()
