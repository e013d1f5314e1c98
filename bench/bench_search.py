"""Benchmark: HPO load time and type-ahead search latency (p50/p95 over 1,000 queries).

    python bench/bench_search.py [--hpo-dir DIR] [--queries 1000] [--seed 0]

Queries are drawn, seeded, from real labels and synonyms: 1-3 letter prefixes, single words and
1-3 word phrases, as a person types them. Prints one table; the target is p50 < 20 ms and load < 10 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from ontology import load_hpo


def make_queries(hpo, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = sorted({t.label.lower() for t in hpo.terms.values()} | {s.lower() for t in hpo.terms.values() for s in t.synonyms})
    queries = []
    for i in range(n):
        words = rng.choice(texts).split()
        kind = i % 4
        if kind == 0:  # 1-3 letters
            queries.append(words[0][: rng.randint(1, 3)])
        elif kind == 1:  # a single word
            queries.append(rng.choice(words))
        else:  # 2-3 consecutive words (or fewer when the label is short)
            start = rng.randrange(len(words))
            queries.append(" ".join(words[start : start + rng.randint(2, 3)]))
    return queries


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hpo-dir", default=None)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    hpo = load_hpo(args.hpo_dir)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    hpo.search("warm up the index")
    index_s = time.perf_counter() - t0

    queries = make_queries(hpo, args.queries, args.seed)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        hpo.search(q, 10)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"HPO {hpo.version}: {len(hpo)} terms, {len(hpo.genes)} annotated genes")
    print("| what | value | target |")
    print("|---|---|---|")
    print(f"| load ontology + annotations | {load_s:.2f} s | < 10 s |")
    print(f"| build search index (first query) | {index_s:.2f} s | |")
    print(f"| search p50 ({len(times)} queries, 1 letter to 3 words) | {statistics.median(times):.2f} ms | < 20 ms |")
    print(f"| search p95 | {p95:.2f} ms | |")
    print(f"| search max | {times[-1]:.2f} ms | |")


if __name__ == "__main__":
    main()
