"""Benchmark the gene-ranking model: latency per case, batched throughput, and validation metrics.

    python bench/bench_model.py                                   # data/models/default (else base)
    python bench/bench_model.py --model data/models/base --cases ../shared/data/phenopacket-store-dev.zip

Prints, for the model alone (its decoded list; its first-step scores) and for the shipped ranking (meta.json's
"ranking": generate, hybrid), p50/p90 latency of one case at a time (`ranker.rank([case], top=10)`), cases per
second when batched, and, with --cases, top-k / MRR on the validation part of the publication-grouped split
(data/splits/dev_split.json). Model and ontology loading ("cold start") is timed
separately and excluded from the per-case numbers. Threads default to 2, the size of the target machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from ontology import load_hpo
from rft.cases import Case, load_cases
from rft.evaluate import evaluate
from rft.model import ModelRanker, load_model
from rft.registry import hybrid_ranker, model_folder
from rft.splits import DEV_SPLIT, select

FIXTURE_CASES = [
    Case("seizure+gdd", ("HP:0001250", "HP:0001263")),  # Seizure, Global developmental delay
    Case("hearing", ("HP:0000407",), ("HP:0001250",)),  # Sensorineural hearing impairment; no seizure
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--cases", default=None, help="phenopackets for timing and validation metrics")
    parser.add_argument("--split", default=str(DEV_SPLIT))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-latency", type=int, default=200, help="cases timed one at a time")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    hpo = load_hpo()
    t1 = time.perf_counter()
    bundle = load_model(model_folder(args.model) or args.model, hpo)
    t2 = time.perf_counter()
    cases = select(load_cases(args.cases, hpo, require_gene=True).cases, args.split, "valid") if args.cases else FIXTURE_CASES * 100
    out: dict = {"model": str(bundle.path), "cold_start_s": {"hpo": round(t1 - t0, 2), "model": round(t2 - t1, 2)}}

    rankers = {
        # The model alone, two ways: its decoded list (then the rest by score), and every gene by its
        # first-step log-probability (one forward pass, no decoding).
        "model (list)": ModelRanker(bundle, hpo, batch_size=args.batch_size, generate=10),
        "model (scores)": ModelRanker(bundle, hpo, batch_size=args.batch_size, generate=0),
    }
    # What `--model` and the app use: meta.json's "ranking" (generate, hybrid), as rft.registry.load_ranker builds it.
    shipped = bundle.meta.get("ranking") or {}
    model = ModelRanker(bundle, hpo, batch_size=args.batch_size, generate=int(shipped.get("generate", 10)))
    rankers["shipped"] = hybrid_ranker(model, shipped["hybrid"], hpo) if shipped.get("hybrid") else model
    for name, ranker in rankers.items():
        ranker.rank(cases[:2], top=10)  # warm-up (first call builds kernels and caches)
        latencies = []
        for case in cases[: args.n_latency]:
            s = time.perf_counter()
            ranker.rank([case], top=10)
            latencies.append((time.perf_counter() - s) * 1000)
        latencies.sort()
        s = time.perf_counter()
        ranker.rank(cases, top=10)
        cps = len(cases) / (time.perf_counter() - s)
        out[name] = {
            "ranker": ranker.name,
            "latency_ms": {"n": len(latencies), "p50": round(statistics.median(latencies), 1), "p90": round(latencies[int(0.9 * (len(latencies) - 1))], 1)},
            "batched": {"n": len(cases), "batch_size": args.batch_size, "cases_per_s": round(cps, 1)},
        }
        if args.cases:
            out[name]["valid"] = {k: round(v, 4) for k, v in evaluate(ranker, cases)[1].items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"model {out['model']}  (cold start: HPO {out['cold_start_s']['hpo']} s, model {out['cold_start_s']['model']} s)")
    for name in rankers:
        r = out[name]
        print(f"{name} [{r['ranker']}] one case at a time: p50 {r['latency_ms']['p50']} ms, p90 {r['latency_ms']['p90']} ms; "
              f"batched ({args.batch_size}): {r['batched']['cases_per_s']} cases/s over {r['batched']['n']} cases")
        if "valid" in r:
            v = r["valid"]
            print(f"{name} validation ({v['n']} cases): top1 {v['top1']:.3f}  top10 {v['top10']:.3f}  MRR {v['mrr']:.3f}")

if __name__ == "__main__":
    main()
