"""The knowledge-only reranker (issue 24, item 3): tuned by GRPO on the dev cases, judged on genes it never saw.

    python bench/reranker.py --train ../shared/data/phenopacket-store-dev.zip --window ../shared/data/phenopacket-store-2025h2.zip

About 27 min on 2 cores the first time, 10 s afterwards (features cached under --work/features_*.npz, named by the
number of features, so a change of `FEATURES` recomputes them).

1. Features as a new patient would meet them: every --train case and every window case is described at the
   shipped release without the annotations citing its own paper (leave-publication-out, `--folds` folds by
   publication, the window's dealt as bench/window.py deals them), so an exact match to the case's own paper
   never teaches or flatters the policy. `--describe gene` describes the --train cases without the annotations of
   every paper naming their gene (as the KB knows a gene case reports never covered).
2. Tuned on the --train cases outside one fold of the genes (`rft.splits.split_by_gene`, fold 0 of
   `--gene-folds`), the step kept by MRR on that fold's held-out genes (`--keep-on window-choose`: on the window's
   choose-part cases of unseen genes); the curve watches both. `--ensemble`: one policy per gene fold, averaged.
3. The window's choose part (prospective; what would choose a recipe) prints the reranker against its base by
   unseen and seen genes; `--choose-only` stops there, the report part unread.
4. The window's report part (bench/window.py's split: by publication, seed 0, half) reports: the reranker, its
   base (the untrained policy: the consensus's order) and each classical ranker, top-1 / MRR by subset (seen gene =
   named by a --train case) with publication-clustered SEs, and the reranker paired against each, case by case.

Writes <work>/reranker[_by_gene][_ensemble]/ (the policy, meta.json with the curve and the figures) and a .json of the
same name with every case's rank.
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
from rft.evaluate import CaseResult
from rft.grader import DEFAULT_K
from rft.prospective import WINDOW_SUBSETS, breakdown, case_facts, format_summary, mean_with_se
from rft.rankers.reranker import (
    DEFAULT_CANDIDATES,
    FEATURES,
    KnowledgeReranker,
    RerankEnsemble,
    RerankPolicy,
    candidate_features,
    knowledge_of,
)
from rft.splits import publication_of, publication_pmid, split_by_gene, split_by_publication
from rft.train.rerank import RerankData, candidate_ranks, train_reranker

CLASSICAL = ("likelihood", "similarity", "enrichment", "consensus")
# The likelihood and similarity rows are the consensus's parts (rft.rankers.consensus.PARTS), which the features read,
# not those rankers at their defaults (README's rows): said in every table.
ROW = {"likelihood": "likelihood (gene level: the consensus's part)", "similarity": "similarity (symmetric: the consensus's part)",
       "enrichment": "enrichment", "consensus": "consensus"}


def log(msg: str) -> None:
    print(f"[reranker {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def described_folds(cases, hpo, folds: int, seed: int, describe: str):
    """Yield (rows into `cases`, the KB they are described at), one fold at a time.

    describe "paper": folds by publication, each at `hpo` without the annotations citing its own papers (a new
    patient of a gene the KB already knows from other papers). "gene": folds by causal gene (`split_by_gene`), each
    at `hpo` without the annotations citing any paper of any case naming one of the fold's genes, so a gene is
    described by what the KB holds from outside these case reports, as the genes of new papers are (their HPO
    annotations come from OMIM and other papers, not from phenopacket-store's curation)."""
    if describe == "paper":
        fold = fold_of_publications(cases, folds, seed)
        for f in range(folds):
            rows = [i for i, c in enumerate(cases) if fold[publication_of(c.id)] == f]
            yield rows, hpo.without_publications({publication_pmid(cases[i].id) for i in rows} - {None})
        return
    if describe != "gene":
        raise ValueError(f"describe must be 'paper' or 'gene', got {describe!r}")
    done: set[int] = set()
    for f in range(folds):
        held = set(split_by_gene(cases, folds, f, seed)["valid"])
        naming = [i for i, c in enumerate(cases) if c.id in held]
        rows = [i for i in naming if i not in done]  # a case naming genes of two folds is described in the first
        done.update(rows)
        yield rows, hpo.without_publications({publication_pmid(cases[i].id) for i in naming} - {None})


def features_cache(work: Path, part: str, candidates: int, describe: str = "paper") -> Path:
    """Where `lpo_features` keeps one part's features: named by the feature count, so other features recompute."""
    return work / f"features_{part}_c{candidates}_f{len(FEATURES)}_{describe}.npz"


def lpo_features(cases, hpo, folds: int, seed: int, candidates: int, cache: Path, describe: str = "paper"):
    """Per case (in `cases` order): the reranker's features and every classical ranker's rank of the causal gene,
    each case described as `described_folds` says (by default at `hpo` without its own paper's annotations).
    Cached in `cache`."""
    ids = [c.id for c in cases]
    if cache.is_file():
        got = np.load(cache, allow_pickle=False)
        if list(got["ids"]) == ids and got["features"].shape[-1] == len(FEATURES):
            return {k: got[k] for k in got.files}
    parts = {k: [None] * len(cases) for k in ("features", "base", "target", *CLASSICAL)}
    for f, (rows, hpo_f) in enumerate(described_folds(cases, hpo, folds, seed, describe)):
        part = [cases[i] for i in rows]
        knowledge = knowledge_of(hpo_f)
        for start in range(0, len(part), 256):
            chunk, chunk_rows = part[start : start + 256], rows[start : start + 256]
            batch = candidate_features(knowledge, chunk, candidates)
            data = RerankData.from_batch(batch, [c.genes for c in chunk])
            index = {g: i for i, g in enumerate(batch.genes)}
            ranks = batch.ranks
            for j, (r, case) in enumerate(zip(chunk_rows, chunk)):
                cols = [index[g] for g in case.genes if g in index]
                parts["features"][r], parts["base"][r], parts["target"][r] = batch.features[j], batch.base[j], int(data.target[j])
                for n in CLASSICAL:  # the gene's position in the ranker's list: equal scores in gene order (rank_by_scores)
                    row = ranks[n][j]
                    parts[n][r] = float(min((1 + (row < row[c]).sum() + (row[:c] == row[c]).sum() for c in cols), default=np.inf))
        log(f"  fold {f + 1}/{folds}: {len(part)} cases described by {describe} ({len(hpo_f.excluded_pmids)} papers' annotations left out)")
    out = {"ids": np.array(ids), "features": np.stack(parts["features"]), "base": np.stack(parts["base"]),
           "target": np.array(parts["target"]), **{n: np.array(parts[n]) for n in CLASSICAL}}
    np.savez(cache, **out)
    return out


def cached_parts(train: str, window: str, work: Path, seed: int = 0):
    """What the research probes read after a default run of this script: (hpo, --train cases, window cases, their
    features), the features from its caches under `work` (computed there if missing, as a default run does)."""
    hpo = load_hpo()
    train_cases = load_cases(train, hpo, require_gene=True).cases
    window_cases = load_cases(window, hpo, require_gene=True).cases
    tf = lpo_features(train_cases, hpo, 5, seed, DEFAULT_CANDIDATES, features_cache(work, "train", DEFAULT_CANDIDATES))
    wf = lpo_features(window_cases, hpo, 5, seed, DEFAULT_CANDIDATES, features_cache(work, "window", DEFAULT_CANDIDATES))
    return hpo, train_cases, window_cases, tf, wf


KEEP_ON = ("held-out-genes", "window-choose")


def choose_part_rows(window, wf: dict, train_cases, seed: int, seen: bool = False) -> list[int]:
    """Rows of the window's choose part (bench/window.py's split; never the report part) whose gene the KB annotates
    and no --train case names (with `seen`: some --train case names): prospective cases of new genes, to keep a step on."""
    choose = set(split_by_publication(window, valid_fraction=0.5, seed=seed)["train"])
    named = {g for c in train_cases for g in c.genes}
    return [i for i, c in enumerate(window) if c.id in choose and bool(named & set(c.genes)) == seen and np.isfinite(wf["likelihood"][i])]


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


def reciprocal(ranks: np.ndarray) -> np.ndarray:
    """Each case's reciprocal rank (0 where the gene is not ranked: an infinite rank)."""
    return np.where(np.isfinite(ranks), 1 / ranks, 0.0)


def top1_mrr(ranks: np.ndarray, pubs: list[str]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Top-1 and MRR of `ranks`, each (mean, SE over cases, SE clustered by publication)."""
    return mean_with_se(list((ranks == 1).astype(float)), pubs), mean_with_se(list(reciprocal(ranks)), pubs)


def paired(mine: np.ndarray, other: np.ndarray, pubs: list[str]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """`mine` minus `other`, case by case: the top-1 and the reciprocal-rank differences, each (mean, SE, clustered SE)."""
    return (mean_with_se(list((mine == 1).astype(float) - (other == 1).astype(float)), pubs),
            mean_with_se(list(reciprocal(mine) - reciprocal(other)), pubs))


def table(rows_by: dict, facts: dict, ids: list[str]) -> list[str]:
    subsets = ("all", "gene in KB", "seen gene", "unseen gene")
    lines = ["| ranker | " + " | ".join(f"{s}: top-1 / MRR [clustered SE]" for s in subsets) + " |", "|---|" + "---|" * len(subsets)]
    for name, ranks in rows_by.items():
        cells = []
        for s in subsets:
            keep = np.array([WINDOW_SUBSETS[s](facts[i]) for i in ids])
            pubs = [publication_of(i) for i, k in zip(ids, keep) if k]
            t1, mrr = top1_mrr(ranks[keep], pubs)
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
    ap.add_argument("--describe", choices=("paper", "gene"), default="paper",
                    help="how the --train cases are described: at the KB without their own paper's annotations (paper), or "
                         "without those of every paper naming their gene (gene: as a gene the case reports never covered)")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--kl", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ensemble", action="store_true",
                    help="one policy per gene fold (each tuned outside its fold, its step kept on it), their learned parts averaged")
    ap.add_argument("--choose-only", action="store_true", help="stop after the choose-part table: the report part stays unread")
    ap.add_argument("--keep-on", choices=KEEP_ON, default="held-out-genes",
                    help="the cases whose MRR keeps the step: the dev cases of the held-out gene fold, or the window's choose-part "
                         "cases of genes no dev case names (prospective; never the report part); the curve shows both")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    hpo = load_hpo()
    train_cases = load_cases(args.train, hpo, require_gene=True).cases
    window = load_cases(args.window, hpo, require_gene=True).cases
    log(f"KB {hpo.version}; {len(train_cases)} --train cases, {len(window)} window cases; features leave-publication-out ({args.folds} folds)")
    tf = lpo_features(train_cases, hpo, args.folds, args.seed, args.candidates, features_cache(work, "train", args.candidates, args.describe),
                      args.describe)
    wf = lpo_features(window, hpo, args.folds, args.seed, args.candidates, features_cache(work, "window", args.candidates))

    choose_rows = choose_part_rows(window, wf, train_cases, args.seed)
    members, curves, kept = [], [], []
    for fold in range(args.gene_folds if args.ensemble else 1):
        gsplit = split_by_gene(train_cases, args.gene_folds, fold, args.seed)
        tuned, held = set(gsplit["train"]), set(gsplit["valid"])
        rows_t = [i for i, c in enumerate(train_cases) if c.id in tuned]
        rows_h = [i for i, c in enumerate(train_cases) if c.id in held]
        watched = {"held-out-genes": data_of(tf, rows_h), "window-choose": data_of(wf, choose_rows)}
        log(f"gene fold {fold}: tuning on {len(rows_t)} cases ({int((tf['target'][rows_t] >= 0).sum())} with the gene among the "
            f"{args.candidates} candidates); steps kept by MRR on {args.keep_on} ({len(rows_h)} dev cases of "
            f"{len(gsplit['held_out_genes'])} held-out genes; {len(choose_rows)} choose-part cases of unseen genes)")
        member, curve = train_reranker(data_of(tf, rows_t), watched[args.keep_on], steps=args.steps, lr=args.lr, kl=args.kl,
                                       eval_every=50, seed=args.seed + fold, log=lambda m: log("  " + m),
                                       also={k.replace("-", "_"): v for k, v in watched.items() if k != args.keep_on})
        best = max(curve, key=lambda r: r["valid_mrr"])
        log(f"gene fold {fold}: kept step {best['step']} ({args.keep_on} candidate MRR {best['valid_mrr']:.4f}, step 0: {curve[0]['valid_mrr']:.4f})")
        members, curves, kept = [*members, member], [*curves, curve], [*kept, best["step"]]
    policy = RerankEnsemble(members).eval() if args.ensemble else members[0]
    print("\n## Choose part (prospective; what chooses a recipe): top-1 / MRR [clustered SE]\n")
    print("| ranker | unseen gene | seen gene |\n|---|---|---|")
    subsets = {"unseen": choose_rows, "seen": choose_part_rows(window, wf, train_cases, args.seed, seen=True)}
    rankers = {"reranker": lambda rows: full_ranks(policy, wf, rows), "consensus (its base)": lambda rows: full_ranks(RerankPolicy().eval(), wf, rows)}
    rankers |= {ROW[n]: (lambda rows, n=n: wf[n][rows]) for n in CLASSICAL[:3]}  # the plain lookups a ranking must not lose to
    for name, ranks_of in rankers.items():
        cells = []
        for rows in subsets.values():
            r, pubs = ranks_of(rows), [publication_of(window[i].id) for i in rows]
            t1, mrr = top1_mrr(r, pubs)
            cells.append(f"{t1[0]:.3f} / {mrr[0]:.3f} [{mrr[2]:.3f}] (n={len(rows)}, {len(set(pubs))} papers)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.choose_only:
        log(f"--choose-only: the report part stays unread; done in {(time.time() - t0) / 60:.1f} min")
        return

    rows_r, ids, facts = report_part(window, wf, hpo, train_cases, args.seed)
    ranks = {"**knowledge reranker (RFT)**": full_ranks(policy, wf, rows_r),
             "its base (untrained: the consensus order)": full_ranks(RerankPolicy().eval(), wf, rows_r)}
    ranks |= {ROW[name]: wf[name][rows_r] for name in CLASSICAL}
    print(f"\n## Report part: {len(ids)} cases, {len({publication_of(i) for i in ids})} papers; KB {hpo.version} without each case's paper\n")
    print("\n".join(table(ranks, facts, ids)))
    print("\nThe reranker minus each ranker, paired by case, on unseen genes (gene in KB, named by no --train case): "
          "top-1 difference, MRR difference [clustered SE]\n")
    print("| ranker | top-1 diff | MRR diff [clustered SE] |\n|---|---|---|")
    keep = np.array([WINDOW_SUBSETS["unseen gene"](facts[i]) for i in ids])
    pubs = [publication_of(i) for i, k in zip(ids, keep) if k]
    mine = ranks["**knowledge reranker (RFT)**"][keep]
    diffs = {}
    for name, other in list(ranks.items())[1:]:
        t1, d = paired(mine, other[keep], pubs)
        diffs[name] = {"top1_diff": t1[0], "top1_cse": t1[2], "mrr_diff": d[0], "mrr_cse": d[2]}
        print(f"| {name} | {t1[0] * 100:+.1f} points [{t1[2] * 100:.1f}] | {d[0]:+.3f} [{d[2]:.3f}] |")
    results = {n: [CaseResult(i, window[r].genes, rank=int(k) if np.isfinite(k) else None) for i, r, k in zip(ids, rows_r, ranks[n])]
               for n in ("**knowledge reranker (RFT)**", *(ROW[c] for c in CLASSICAL))}
    figures = {n: breakdown(rs, facts, WINDOW_SUBSETS) for n, rs in results.items()}
    print("\nAll report cases, as the README's table prints them (± SE clustered by publication):\n")
    print(format_summary(results, figures, se="cse"))
    # The whole window's new genes: the policy never trained or chose its step on either part, so both together are
    # the largest test of that line (the choose part compared the variants, not this run's step).
    both = choose_rows + [r for r in rows_r if WINDOW_SUBSETS["unseen gene"](facts[window[r].id])]
    pubs_b = [publication_of(window[i].id) for i in both]
    t1, d = paired(full_ranks(policy, wf, both), wf["consensus"][both], pubs_b)
    print(f"\nBoth parts, genes no --train case names ({len(both)} cases, {len(set(pubs_b))} papers): the reranker minus the consensus, "
          f"top-1 {t1[0] * 100:+.1f} points [{t1[2] * 100:.1f}], MRR {d[0]:+.3f} [{d[2]:.3f}] (clustered SEs)")
    name = "reranker" + ("" if args.describe == "paper" else "_by_gene") + ("_ensemble" if args.ensemble else "")
    mean_curve = [{k: float(np.mean([c[j][k] for c in curves])) if k != "step" else row["step"] for k in row} for j, row in enumerate(curves[0])]
    folder = KnowledgeReranker(hpo, policy, candidates=args.candidates).save(work / name, force=True, curve=mean_curve, meta={
        "hpo_version": hpo.version, "grader": {"name": f"topk_rank_k{DEFAULT_K}", "kind": "topk", "k": DEFAULT_K},
        **({} if args.ensemble else {"data": {"n_train": len(rows_t), "n_valid": len(rows_h)}}),  # an ensemble's members train on different cases
        "metrics_prospective": {"report part": figures["**knowledge reranker (RFT)**"],
                                "report part, consensus (its base)": figures[ROW["consensus"]]},
        "trained_on": f"{Path(args.train).name}: " + (f"one policy per gene fold of {args.gene_folds}, each on the cases outside it"
                                                      if args.ensemble else f"{len(rows_t)} cases outside gene fold 0 of {args.gene_folds}") + ", "
                      f"described without the annotations of {'their own paper' if args.describe == 'paper' else 'every paper naming their gene'}",
        "kept_step": kept if args.ensemble else kept[0], "kept_on": args.keep_on, "curve": curves if args.ensemble else curves[0], "settings": {"steps": args.steps, "lr": args.lr, "kl": args.kl, "seed": args.seed},
        "window": f"report part of {Path(args.window).name}: {len(ids)} cases (bench/window.py's split, seed {args.seed}), "
                  f"KB {hpo.version} leave-publication-out",
        "command": "python bench/reranker.py " + " ".join(sys.argv[1:]), "report_paired_unseen": diffs})
    (work / f"{name}.json").write_text(json.dumps({"ranks": {n: dict(zip(ids, map(float, r))) for n, r in ranks.items()}, "paired": diffs,
                                                    "curve": curves}, indent=1) + "\n")
    log(f"wrote {folder}; done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
