"""The knowledge-only reranker (issue 24, item 3): tuned by GRPO on the dev cases, judged on genes it never saw.

    python bench/reranker.py --train ../shared/data/phenopacket-store-dev.zip --window ../shared/data/phenopacket-store-2025h2.zip

About 10 min on 2 cores (features cached under --work/features_*.npz after the first run).

1. Features as a new patient would meet them: every --train case and every window case is described at the
   shipped release without the annotations citing its own paper (leave-publication-out, `--folds` folds by
   publication, the window's dealt as bench/window.py deals them), so an exact match to the case's own paper
   never teaches or flatters the policy.
2. Tuned on the --train cases outside one fold of the genes (`rft.splits.split_by_gene`, fold 0 of
   `--gene-folds`), the step kept by MRR on that fold's held-out genes: the choice is made on genes the policy
   never saw, never on the window.
3. The window's report part (bench/window.py's split: by publication, seed 0, half) reports: the reranker, its
   base (the untrained policy: the consensus's order) and each classical ranker, top-1 / MRR by subset (seen gene =
   named by a --train case) with publication-clustered SEs, and the reranker paired against each, case by case.

Writes <work>/reranker/ (the policy, meta.json with the curve and the figures) and <work>/reranker.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from window import fold_of_publications  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from rft.cases import load_cases
from rft.prospective import WINDOW_SUBSETS, case_facts, mean_with_se
from rft.rankers.consensus import ConsensusRanker
from rft.rankers.enrichment import EnrichmentRanker
from rft.rankers.reranker import DEFAULT_CANDIDATES, KnowledgeReranker, RerankPolicy, candidate_features
from rft.splits import publication_of, publication_pmid, split_by_gene, split_by_publication
from rft.train.rerank import RerankData, candidate_ranks, train_reranker

CLASSICAL = ("likelihood", "similarity", "enrichment", "consensus")


def log(msg: str) -> None:
    print(f"[reranker {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def lpo_features(cases, hpo, folds: int, seed: int, candidates: int, cache: Path):
    """Per case (in `cases` order): the reranker's features and every classical ranker's rank of the causal gene,
    each case at `hpo` without its own paper's annotations. Cached in `cache`."""
    ids = [c.id for c in cases]
    if cache.is_file():
        got = np.load(cache, allow_pickle=False)
        if list(got["ids"]) == ids:
            return {k: got[k] for k in got.files}
    fold = fold_of_publications(cases, folds, seed)
    parts = {k: [None] * len(cases) for k in ("features", "base", "target", *CLASSICAL)}
    for f in range(folds):
        rows = [i for i, c in enumerate(cases) if fold[publication_of(c.id)] == f]
        part = [cases[i] for i in rows]
        hpo_f = hpo.without_publications({publication_pmid(c.id) for c in part} - {None})
        consensus, enrichment = ConsensusRanker(hpo_f), EnrichmentRanker(hpo_f)
        for start in range(0, len(part), 256):
            chunk, chunk_rows = part[start : start + 256], rows[start : start + 256]
            batch = candidate_features(consensus, enrichment, chunk, candidates)
            data = RerankData.from_batch(batch, [c.genes for c in chunk])
            index = {g: i for i, g in enumerate(batch.genes)}
            ranks = batch.ranks
            for j, (r, case) in enumerate(zip(chunk_rows, chunk)):
                cols = [index[g] for g in case.genes if g in index]
                parts["features"][r], parts["base"][r], parts["target"][r] = batch.features[j], batch.base[j], int(data.target[j])
                for n in CLASSICAL:  # the gene's position in the ranker's list: equal scores in gene order (rank_by_scores)
                    row = ranks[n][j]
                    parts[n][r] = float(min((1 + (row < row[c]).sum() + (row[:c] == row[c]).sum() for c in cols), default=np.inf))
        log(f"  fold {f + 1}/{folds}: {len(part)} cases at KB without their {len({publication_pmid(c.id) for c in part} - {None})} papers")
    out = {"ids": np.array(ids), "features": np.stack(parts["features"]), "base": np.stack(parts["base"]),
           "target": np.array(parts["target"]), **{n: np.array(parts[n]) for n in CLASSICAL}}
    np.savez(cache, **out)
    return out


def data_of(feats: dict, rows) -> RerankData:
    rows = np.asarray(rows)
    return RerankData(torch.from_numpy(feats["features"][rows]), torch.from_numpy(feats["base"][rows]), torch.from_numpy(feats["target"][rows]))


def full_ranks(policy, feats: dict, rows) -> np.ndarray:
    """The causal gene's rank in the reranker's whole list: among the candidates by the policy, else the consensus's rank
    (genes past the candidates keep the consensus's order, after all of them)."""
    ranks = candidate_ranks(policy, data_of(feats, rows))
    return np.where(np.isfinite(ranks), ranks, feats["consensus"][np.asarray(rows)])


def report_part(window, wf: dict, hpo, train_cases, seed: int) -> tuple[list[int], list[str], dict]:
    """The window's report part as bench/window.py splits it: (rows into `window` and `wf`, case ids, `case_facts`),
    "gene in KB" as each case's leave-publication-out KB has it (the classical rankers rank the gene: a finite rank)."""
    report = set(split_by_publication(window, valid_fraction=0.5, seed=seed)["valid"])
    rows = [i for i, c in enumerate(window) if c.id in report]
    facts = case_facts([window[i] for i in rows], hpo, {g for c in train_cases for g in c.genes})
    return rows, [window[i].id for i in rows], {i: dataclasses.replace(f, gene_in_kb=bool(np.isfinite(wf["likelihood"][r])))
                                                for (i, f), r in zip(facts.items(), rows)}


def table(rows_by: dict, facts: dict, ids: list[str]) -> list[str]:
    subsets = ("all", "gene in KB", "seen gene", "unseen gene")
    lines = ["| ranker | " + " | ".join(f"{s}: top-1 / MRR [clustered SE]" for s in subsets) + " |", "|---|" + "---|" * len(subsets)]
    for name, ranks in rows_by.items():
        cells = []
        for s in subsets:
            keep = np.array([WINDOW_SUBSETS[s](facts[i]) for i in ids])
            pubs = [publication_of(i) for i, k in zip(ids, keep) if k]
            t1, mrr = mean_with_se(list((ranks[keep] == 1).astype(float)), pubs), mean_with_se(list(np.where(np.isfinite(ranks[keep]), 1 / ranks[keep], 0.0)), pubs)
            cells.append(f"{t1[0]:.3f} / {mrr[0]:.3f} [{mrr[2]:.3f}] (n={int(keep.sum())})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--window", required=True)
    ap.add_argument("--work", default="runs/reranker")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--gene-folds", type=int, default=5)
    ap.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--kl", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    hpo = load_hpo()
    train_cases = load_cases(args.train, hpo, require_gene=True).cases
    window = load_cases(args.window, hpo, require_gene=True).cases
    log(f"KB {hpo.version}; {len(train_cases)} --train cases, {len(window)} window cases; features leave-publication-out ({args.folds} folds)")
    tf = lpo_features(train_cases, hpo, args.folds, args.seed, args.candidates, work / f"features_train_c{args.candidates}_v3.npz")
    wf = lpo_features(window, hpo, args.folds, args.seed, args.candidates, work / f"features_window_c{args.candidates}_v3.npz")

    gsplit = split_by_gene(train_cases, args.gene_folds, 0, args.seed)
    tuned, held = set(gsplit["train"]), set(gsplit["valid"])
    rows_t = [i for i, c in enumerate(train_cases) if c.id in tuned]
    rows_h = [i for i, c in enumerate(train_cases) if c.id in held]
    log(f"tuning on {len(rows_t)} cases ({int((tf['target'][rows_t] >= 0).sum())} with the gene among the {args.candidates} candidates); "
        f"steps kept by MRR on {len(rows_h)} cases of {len(gsplit['held_out_genes'])} held-out genes")
    policy, curve = train_reranker(data_of(tf, rows_t), data_of(tf, rows_h), steps=args.steps, lr=args.lr, kl=args.kl, eval_every=50,
                                   seed=args.seed, log=lambda m: log("  " + m))
    best = max(curve, key=lambda r: r["valid_mrr"])
    log(f"kept step {best['step']} (held-out-gene candidate MRR {best['valid_mrr']:.4f}, step 0: {curve[0]['valid_mrr']:.4f})")

    rows_r, ids, facts = report_part(window, wf, hpo, train_cases, args.seed)
    ranks = {"**knowledge reranker (RFT)**": full_ranks(policy, wf, rows_r),
             "its base (untrained: the consensus order)": full_ranks(RerankPolicy().eval(), wf, rows_r)}
    ranks |= {name: wf[name][rows_r] for name in CLASSICAL}
    print(f"\n## Report part: {len(ids)} cases, {len({publication_of(i) for i in ids})} papers; KB {hpo.version} without each case's paper\n")
    print("\n".join(table(ranks, facts, ids)))
    print("\nThe reranker minus each ranker, paired by case, on unseen genes (gene in KB, named by no --train case): "
          "top-1 difference, MRR difference [clustered SE]\n")
    print("| ranker | top-1 diff | MRR diff [clustered SE] |\n|---|---|---|")
    keep = np.array([WINDOW_SUBSETS["unseen gene"](facts[i]) for i in ids])
    pubs = [publication_of(i) for i, k in zip(ids, keep) if k]
    mine = ranks["**knowledge reranker (RFT)**"][keep]
    rr = lambda r: np.where(np.isfinite(r), 1 / r, 0.0)
    paired = {}
    for name, other in list(ranks.items())[1:]:
        o = other[keep]
        t1 = mean_with_se(list((mine == 1).astype(float) - (o == 1).astype(float)), pubs)
        d = mean_with_se(list(rr(mine) - rr(o)), pubs)
        paired[name] = {"top1_diff": t1[0], "top1_cse": t1[2], "mrr_diff": d[0], "mrr_cse": d[2]}
        print(f"| {name} | {t1[0] * 100:+.1f} points [{t1[2] * 100:.1f}] | {d[0]:+.3f} [{d[2]:.3f}] |")
    folder = KnowledgeReranker(hpo, policy, candidates=args.candidates).save(work / "reranker", {
        "trained_on": f"{Path(args.train).name}: {len(rows_t)} cases outside gene fold 0 of {args.gene_folds}, leave-publication-out features",
        "kept_step": best["step"], "curve": curve, "settings": {"steps": args.steps, "lr": args.lr, "kl": args.kl, "seed": args.seed},
        "command": "python bench/reranker.py " + " ".join(sys.argv[1:]), "report_paired_unseen": paired})
    (work / "reranker.json").write_text(json.dumps({"ranks": {n: dict(zip(ids, map(float, r))) for n, r in ranks.items()}, "paired": paired,
                                                    "curve": curve}, indent=1) + "\n")
    log(f"wrote {folder}; done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
