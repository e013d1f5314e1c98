"""The knowledge-only reranker tuned on simulated patients of every gene instead of case reports (issue 24, items 2 + 3).

    python bench/research/simulated_reranker.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip          # ~15 min; reuses bench/reranker.py's cached features

The reranker of bench/reranker.py (`rft.rankers.reranker`: the consensus's best 100 candidates, each scored from
knowledge features alone, no gene identity), tuned by the same GRPO with the top-k grader, on three training sets:
the dev cases outside gene fold 0 (bench/reranker.py's run), simulated patients drawn from the recipe fitted to
those dev cases (`rft.model.synthetic.fit_recipe`, as bench/simulator.py fits it) over every annotated gene alike,
as SHEPHERD trains, and both. A simulated patient has no publication and names no "training gene": whatever it
teaches applies to every gene. Each run keeps the step with the best MRR on the dev cases of the held-out gene fold
(real case reports, leave-publication-out features); the window's report part (bench/window.py's split) reports,
on the genes no dev case names, against the consensus (the untrained policy) and the likelihood ranker.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/
from reranker import (
    KEEP_ON,
    ROW,
    choose_part_rows,
    data_of,
    features_cache,
    full_ranks,
    lpo_features,
    paired,
    report_part,
    table,
)
from simulator import lpo_statistics

from ontology import load_hpo
from rft.cases import Case, load_cases
from rft.model.synthetic import SyntheticPatients, SyntheticRecipe, fit_recipe
from rft.prospective import WINDOW_SUBSETS
from rft.rankers.reranker import DEFAULT_CANDIDATES, FEATURES, RerankPolicy, candidate_features, knowledge_of
from rft.splits import publication_of, split_by_gene
from rft.train.rerank import RerankData, train_reranker


def log(msg: str) -> None:
    print(f"[sim-reranker {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def simulated_data(hpo, recipe: SyntheticRecipe, n: int, seed: int, candidates: int, cache: Path) -> RerankData:
    """`n` simulated patients over every annotated gene alike, described at `hpo` (their genes' own annotations:
    the recipe's noise is fitted to how real reports stand against a KB without their paper). Cached."""
    if cache.is_file():
        got = np.load(cache)
        return RerankData(torch.from_numpy(got["features"]), torch.from_numpy(got["base"]), torch.from_numpy(got["target"]))
    sampler = SyntheticPatients(hpo, recipe, seed=seed)
    cases = [Case(f"sim_{i}", p.present, p.excluded, (p.gene,)) for i, p in enumerate(sampler.sample() for _ in range(n))]
    knowledge = knowledge_of(hpo)
    parts = []
    for start in range(0, len(cases), 256):
        chunk = cases[start : start + 256]
        parts.append(RerankData.from_batch(candidate_features(knowledge, chunk, candidates), [c.genes for c in chunk]))
        log(f"  described {start + len(chunk)} of {n} simulated patients")
    data = RerankData.concat(parts)
    np.savez(cache, features=data.features.numpy(), base=data.base.numpy(), target=data.target.numpy())
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the dev zip")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--work", default="runs/reranker", help="bench/reranker.py's folder (its cached features are reused)")
    ap.add_argument("--n-simulated", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--kl", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-on", choices=KEEP_ON, default="held-out-genes",
                    help="the cases whose MRR keeps the step: the dev cases of the held-out gene fold (as bench/reranker.py), or the window's "
                         "choose-part cases of genes no dev case names (prospective; never the report part)")
    args = ap.parse_args()
    work, t0 = Path(args.work), time.time()
    work.mkdir(parents=True, exist_ok=True)
    hpo = load_hpo()
    train_cases = load_cases(args.train, hpo, require_gene=True).cases
    window = load_cases(args.window, hpo, require_gene=True).cases
    tf = lpo_features(train_cases, hpo, 5, args.seed, DEFAULT_CANDIDATES, features_cache(work, "train", DEFAULT_CANDIDATES))
    wf = lpo_features(window, hpo, 5, args.seed, DEFAULT_CANDIDATES, features_cache(work, "window", DEFAULT_CANDIDATES))
    gsplit = split_by_gene(train_cases, 5, 0, args.seed)
    tuned, held = set(gsplit["train"]), set(gsplit["valid"])
    rows_t = [i for i, c in enumerate(train_cases) if c.id in tuned]
    rows_h = [i for i, c in enumerate(train_cases) if c.id in held]

    real = [s for s in lpo_statistics([c for c in train_cases if c.id in tuned], hpo, 5, args.seed) if s is not None]
    recipe = fit_recipe(real, SyntheticRecipe(), hpo, calibrate=3000, seed=args.seed + 1)
    log(f"recipe fitted on {len(real)} dev cases of the tuned genes; drawing {args.n_simulated} simulated patients")
    sim = simulated_data(hpo, recipe, args.n_simulated, args.seed, DEFAULT_CANDIDATES, work / f"features_simulated_{args.n_simulated}_s{args.seed}_f{len(FEATURES)}.npz")
    log(f"simulated: {int((sim.target >= 0).sum())} of {len(sim)} have their gene among the {DEFAULT_CANDIDATES} candidates")

    valid = data_of(tf, rows_h)
    if args.keep_on == "window-choose":  # prospective: the choose part's cases of genes no dev case names (bench/window.py's split)
        rows_c = choose_part_rows(window, wf, train_cases, args.seed)
        valid = data_of(wf, rows_c)
        log(f"steps kept by MRR on {len(rows_c)} choose-part cases of unseen genes")
    runs = {"dev cases (bench/reranker.py)": data_of(tf, rows_t), "simulated patients": sim,
            "dev cases + simulated patients": RerankData.concat([data_of(tf, rows_t), sim])}
    policies, kept = {}, {}
    for name, data in runs.items():
        policy, curve = train_reranker(data, valid, steps=args.steps, lr=args.lr, kl=args.kl, eval_every=50, seed=args.seed)
        best = max(curve, key=lambda r: r["valid_mrr"])
        policies[name], kept[name] = policy, (best["step"], best["valid_mrr"], curve[0]["valid_mrr"])
        log(f"{name}: kept step {best['step']} (held-out-gene candidate MRR {best['valid_mrr']:.4f}; step 0 {curve[0]['valid_mrr']:.4f})")

    rows_r, ids, facts = report_part(window, wf, hpo, train_cases, args.seed)
    ranks = {f"reranker tuned on {name}": full_ranks(p, wf, rows_r) for name, p in policies.items()}
    ranks |= {"consensus (the untrained policy)": full_ranks(RerankPolicy().eval(), wf, rows_r), ROW["likelihood"]: wf["likelihood"][rows_r]}
    print(f"\n## The step choice ({args.keep_on}): candidate MRR at the kept step, and at step 0\n")
    print("| tuned on | kept step | MRR | step 0 |\n|---|---|---|---|")
    for name, (step, mrr, mrr0) in kept.items():
        print(f"| {name} | {step} | {mrr:.4f} | {mrr0:.4f} |")
    print(f"\n## Report part: {len(ids)} cases, {len({publication_of(i) for i in ids})} papers; KB {hpo.version} without each case's paper\n")
    print("\n".join(table(ranks, facts, ids)))
    keep = np.array([WINDOW_SUBSETS["unseen gene"](facts[i]) for i in ids])
    pubs = [publication_of(i) for i, k in zip(ids, keep) if k]
    print("\nUnseen genes (in the KB, named by no dev case), paired by case: top-1 difference in points, MRR difference [clustered SE]\n")
    print("| reranker | vs consensus: top-1 / MRR | vs likelihood: top-1 / MRR |\n|---|---|---|")
    for name in policies:
        mine = ranks[f"reranker tuned on {name}"][keep]
        cells = []
        for other in ("consensus (the untrained policy)", ROW["likelihood"]):
            t1, d = paired(mine, ranks[other][keep], pubs)
            cells.append(f"{t1[0] * 100:+.1f} [{t1[2] * 100:.1f}] / {d[0]:+.3f} [{d[2]:.3f}]")
        print(f"| {name} | " + " | ".join(cells) + " |")
    log(f"done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
