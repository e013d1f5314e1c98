"""New patients: every ranker on a fresh window of publications, and the per-case gate that ships, chosen there.

    python bench/window.py --train ../shared/data/phenopacket-store-dev.zip --window ../shared/data/phenopacket-store-2025h2.zip

~25 min on 2 cores the first time (RFT of the benchmark's model, ~10 min, cached under --work), ~15 min after.

The product's situation, replayed at the shipped HPO release (the KB):
1. The model: `--base` (data/models/base: synthetic patients only, no case report) tuned by RFT on every `--train`
   case (the recipe `RFT_SETTING`, leave-publication-out as shipped); cached in <work>/rft.
2. The window's papers are split by publication with a fixed seed (`rft.splits.split_by_publication`) into a
   *choose* part, where every setting below is chosen, and a *report* part that only reports.
3. Leave-publication-out annotations: the window's papers are dealt into `--folds` folds, and each fold's cases
   are ranked with the KB without the annotations citing that fold's papers (`Hpo.without_publications`), by
   every ranker, the model's knowledge head included, as if the paper had never been curated. The strict cut
   (papers newer than the KB's horizon) is a subset of the same tables.
4. On the choose part, by publication MRR (`rft.choose.CHOICE_METRIC`): the model's ranking, alone or fused
   with a classical partner (k, weight), with and without a per-case gate (`rft.rankers.hybrid.Gate`:
   min_confidence x max_disagreement).
5. The report part's tables: every ranker (enrichment, similarity, likelihood, base, RFT alone, the old
   shipped fusion, the best ungated fusion, the gated choice), by subset (seen gene = named by a training case),
   top-1 / MRR ± SE over cases [SE clustered by publication]; and the chosen ranking paired, case by case,
   against each classical ranker, with the acceptance verdicts.

Writes <work>/window.json (tables, every case's rank) and <work>/chosen.json (the ranking and RFT recipe
`scripts/ship.sh` ships).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from prospective import RFT_FIXED, RFT_SETTINGS, rft_model  # bench/ is on sys.path when a bench script runs

from ontology import load_hpo
from rft.cases import load_cases
from rft.choose import CHOICE_METRIC, FUSION_KS, FUSION_WEIGHTS
from rft.evaluate import evaluate
from rft.metrics import reciprocal_rank, summarize
from rft.model import ModelRanker, load_model
from rft.prospective import WINDOW_SUBSETS, breakdown, case_facts, format_breakdown, paired_difference, publication_mean
from rft.rankers.hybrid import Gate, HybridRanker, competition_ranks, fused_target_ranks, gate_signals, rank_arrays
from rft.registry import CLASSICAL_RANKERS
from rft.splits import publication_of, publication_pmid, split_by_publication

RFT_SETTING = "lr1e-3_300"  # the shipped recipe (bench/prospective.py chose it on the older windows)
LPO = 5  # RFT's leave-publication-out folds, as shipped
PARTNERS = ("likelihood", "similarity", "enrichment")
MIN_CONFIDENCE = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
MAX_DISAGREEMENT = (None, 1, 2, 3, 5, 10, 30, 100)


def log(msg: str) -> None:
    print(f"[window {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class _CachedModel:
    """A model ranker's first-gene log-probabilities for one fold's cases, computed once: every fusion and gate
    of the grid, and the reported rankers, read the same arrays."""

    def __init__(self, ranker: ModelRanker, cases):
        self.name, self.genes, self.score_meaning, self._ranker = ranker.name, ranker.genes, ranker.score_meaning, ranker
        self._lp = ranker.first_gene_logprobs(cases)
        self._row = {c.id: i for i, c in enumerate(cases)}

    def first_gene_logprobs(self, cases):
        return self._lp[[self._row[c.id] for c in cases]]

    def gene_ranks(self, cases):
        return competition_ranks(self.first_gene_logprobs(cases))

    def rank(self, cases, top=None):
        return self._ranker.rank(cases, top)


class _CachedClassical:
    """A classical ranker's rank arrays for one fold's cases, computed once (its `rank` still ranks afresh)."""

    def __init__(self, ranker, cases):
        self.name, self.genes, self._ranker = ranker.name, ranker.genes, ranker
        self._ranks = rank_arrays(ranker, cases)
        self._row = {c.id: i for i, c in enumerate(cases)}

    def gene_ranks(self, cases):
        return self._ranks[[self._row[c.id] for c in cases]]

    def rank(self, cases, top=None):
        return self._ranker.rank(cases, top)


def fold_of_publications(cases, folds: int, seed: int) -> dict[str, int]:
    """Each publication's leave-publication-out fold (0..folds-1), dealt round-robin after a seeded shuffle."""
    pubs = sorted({publication_of(c.id) for c in cases})
    random.Random(seed).shuffle(pubs)
    return {p: i % folds for i, p in enumerate(pubs)}


def grid(model: _CachedModel, partners: dict, cases) -> dict[str, tuple[dict, np.ndarray]]:
    """Every ranking the model can ship, for `cases`: label -> (meta.json "ranking" config, each case's rank)."""
    targets = [c.genes for c in cases]
    lp = model.first_gene_logprobs(cases)
    m_ranks = competition_ranks(lp)
    out = {}
    for name, classical in partners.items():
        c_ranks = classical.gene_ranks(cases)
        confidence, disagreement = gate_signals(m_ranks, model.genes, np.exp(lp.max(axis=1)), c_ranks, classical.genes)
        gates = {(mc, md): Gate(mc, md).open(confidence, disagreement) for mc, md in itertools.product(MIN_CONFIDENCE, MAX_DISAGREEMENT)}
        # A case's rank depends on its own weight only: rank each case shut (weight 0: the classical order, ties to
        # the model) and open once per (k, w), then every gate picks per case.
        shut = fused_target_ranks(m_ranks, model.genes, c_ranks, classical.genes, targets, FUSION_KS[0], 0.0)
        for k, w in itertools.product(FUSION_KS, FUSION_WEIGHTS):
            open_ranks = fused_target_ranks(m_ranks, model.genes, c_ranks, classical.genes, targets, k, w)
            for (mc, md), is_open in gates.items():
                gated = mc > 0 or md is not None
                hybrid = {"classical": name, "mode": "rrf", "k": k, "weight": w} | ({"gate": Gate(mc, md).to_config()} if gated else {})
                label = f"model + {name} k={k} w={w}" + (f" gate(conf>={mc}, disagree<={md})" if gated else "")
                out[label] = ({"hybrid": hybrid}, np.where(is_open, open_ranks, shut))
    out["model alone"] = ({}, fused_target_ranks(m_ranks, model.genes, m_ranks, model.genes, targets, 60.0, 0.0))
    return out


def publication_mrr(ranks: np.ndarray, ids: list[str]) -> float:
    return publication_mean([reciprocal_rank(None if not np.isfinite(r) else int(r)) for r in ranks], [publication_of(i) for i in ids])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the cases the benchmark's model is tuned on (phenopackets; the dev zip)")
    ap.add_argument("--window", required=True, help="the fresh window: phenopackets of newer publications (the 2025h2 zip)")
    ap.add_argument("--base", default="data/models/base", help="the base model RFT starts from (default: the shipped base)")
    ap.add_argument("--work", default="runs/window")
    ap.add_argument("--folds", type=int, default=5, help="leave-publication-out folds of the window's papers")
    ap.add_argument("--choose-fraction", type=float, default=0.5, help="the window's share (by cases, whole papers) where settings are chosen")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dump", action="store_true", help="also write each fold's arrays to <work>/fold<N>.npz (for analysis)")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.time()

    hpo = load_hpo()
    train_cases = load_cases(args.train, hpo, require_gene=True).cases
    window = load_cases(args.window, hpo, require_gene=True).cases
    train_genes = {g for c in train_cases for g in c.genes}
    split = split_by_publication(window, valid_fraction=1.0 - args.choose_fraction, seed=args.seed)
    choose_ids, report_ids = set(split["train"]), set(split["valid"])
    log(f"KB {hpo.version} (horizon PMID {hpo.horizon}); {len(train_cases)} training cases; window {len(window)} cases, "
        f"choose part {len(choose_ids)}, report part {len(report_ids)} (seed {args.seed})")

    # 1. The benchmark's model: RFT on every training case (cached).
    split_file = work / "train_split.json"
    split_file.write_text(json.dumps({"train": [c.id for c in train_cases], "valid": [], "source": "bench/window.py"}) + "\n")
    rft_folder = rft_model(work / "knowledge_lpo5" / f"rft_{RFT_SETTING}", Path(args.base), args.train, split_file, hpo,
                           RFT_SETTINGS[RFT_SETTING], validate=False, lpo=LPO)

    # 2. Leave-publication-out folds: each fold's cases ranked by every ranker at the KB without its papers.
    fold = fold_of_publications(window, args.folds, args.seed)
    results: dict[str, list] = {}
    facts: dict = {}
    grid_ranks: dict[str, dict] = {}  # label -> (config, {case id: rank})
    order: list[str] = []
    fold_parts = []
    for f in range(args.folds):
        cases = [c for c in window if fold[publication_of(c.id)] == f]
        pmids = {publication_pmid(c.id) for c in cases} - {None}
        hpo_f = hpo.without_publications(pmids)
        facts |= case_facts(cases, hpo_f, train_genes)
        classical = {name: _CachedClassical(CLASSICAL_RANKERS[name](hpo_f), cases) for name in PARTNERS}
        rft = _CachedModel(ModelRanker(load_model(rft_folder, hpo_f), hpo_f, generate=0), cases)
        base = _CachedModel(ModelRanker(load_model(args.base, hpo_f), hpo_f, generate=0), cases)
        if args.dump:  # every array the grid reads, for analysis beside the benchmark (large: ~60 MB a fold)
            np.savez_compressed(work / f"fold{f}.npz", ids=[c.id for c in cases], rft_lp=rft._lp, base_lp=base._lp, rft_genes=rft.genes,
                                **{f"{n}_ranks": cl._ranks for n, cl in classical.items()}, **{f"{n}_genes": cl.genes for n, cl in classical.items()})
        for label, (config, ranks) in grid(rft, classical, cases).items():
            grid_ranks.setdefault(label, (config, {}))[1].update({c.id: r for c, r in zip(cases, ranks)})
        order += [c.id for c in cases]
        fold_parts.append((cases, hpo_f, classical, rft, base))
        log(f"fold {f + 1}/{args.folds}: {len(cases)} cases, {len(pmids)} papers left out of the KB ({len(hpo_f.genes)} genes annotated)")

    # 3. Choose on the choose part: the best ranking overall, and the best without a gate (for comparison).
    choose_order = [i for i in order if i in choose_ids]
    scored = {label: publication_mrr(np.array([ranks[i] for i in choose_order]), choose_order) for label, (_, ranks) in grid_ranks.items()}
    chosen = max(scored, key=lambda lbl: (scored[lbl], lbl == "model alone"))
    ungated = max((lbl for lbl in scored if "gate" not in lbl), key=lambda lbl: scored[lbl])
    log(f"chosen on the choose part ({CHOICE_METRIC}): {chosen} {scored[chosen]:.3f}; best without a gate: {ungated} {scored[ungated]:.3f}")
    top = sorted(scored, key=scored.get, reverse=True)[:10]
    print("\n## Choose part: the ten best rankings of the model by publication MRR\n")
    print("| ranking | publication MRR |\n|---|---|")
    for lbl in top:
        print(f"| {lbl} | {scored[lbl]:.3f} |")

    # 4. The reported rankers, ranked for real (the product's code path) fold by fold.
    def config_ranker(config, rft, classical):
        hybrid = dict(config.get("hybrid") or {})
        if not hybrid:
            return rft
        partner = classical[hybrid.pop("classical")]
        return HybridRanker(rft, partner, **hybrid)

    old_shipped = {"hybrid": {"classical": "likelihood", "mode": "rrf", "k": 10, "weight": 2.0}}
    rows = {
        "enrichment": lambda cl, rft, base: cl["enrichment"]._ranker,
        "similarity": lambda cl, rft, base: cl["similarity"]._ranker,
        "likelihood": lambda cl, rft, base: cl["likelihood"]._ranker,
        "base alone": lambda cl, rft, base: base,
        "RFT alone": lambda cl, rft, base: rft,
        "RFT + likelihood k=10 w=2.0 (shipped before)": lambda cl, rft, base: config_ranker(old_shipped, rft, cl),
        f"RFT, best without a gate ({ungated})": lambda cl, rft, base: config_ranker(grid_ranks[ungated][0], rft, cl),
        f"**RFT as chosen ({chosen})**": lambda cl, rft, base: config_ranker(grid_ranks[chosen][0], rft, cl),
    }
    for cases, hpo_f, classical, rft, base in fold_parts:
        report_cases = [c for c in cases if c.id in report_ids]
        for name, build in rows.items():
            results.setdefault(name, []).extend(evaluate(build(classical, rft, base), report_cases)[0])
    chosen_row = f"**RFT as chosen ({chosen})**"
    # The grid's counted rank and the product's ranking must agree on the chosen setting (one fusion, two paths).
    counted = {i: grid_ranks[chosen][1][i] for i in report_ids}
    mismatch = sum(1 for r in results[chosen_row] if (r.rank or np.inf) != counted[r.case_id])
    assert mismatch == 0, f"{mismatch} report cases ranked differently by the grid and by HybridRanker"

    report_facts = {i: facts[i] for i in report_ids}
    table = {name: breakdown(rs, report_facts, WINDOW_SUBSETS) for name, rs in results.items()}
    n_pubs = len({publication_of(i) for i in report_ids})
    print(f"\n## Report part: {len(report_ids)} cases, {n_pubs} papers; KB {hpo.version} without each case's own paper "
          f"({args.folds} folds); seen gene = named by one of the {len(train_cases)} training cases\n")
    print("| ranker | n | top-1 | top-3 | top-10 | MRR | publication MRR |\n|---|---|---|---|---|---|---|")
    for name, rs in results.items():
        m = summarize([r.rank for r in rs])
        e = table[name]["all"]
        print(f"| {name} | {m['n']} | {m['top1']:.3f} ± {e['top1_cse']:.3f} | {m['top3']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} ± {e['mrr_cse']:.3f} | {e['publication_mrr']:.3f} |")
    print("\n(± SE clustered by publication)\n\nBy subset: top-1 / MRR, each ± SE over cases [SE clustered by publication]\n")
    print(format_breakdown(table))

    # 5. The acceptance lines: the chosen ranking against each classical ranker, paired by case, per subset.
    verdicts = {}
    print(f"\nChosen ranking minus each classical ranker, paired by case: MRR difference ± SE over cases [clustered by publication]\n")
    subsets = ("all", "unseen gene", "seen gene", "unseen gene, above horizon")
    print("| classical | " + " | ".join(f"{s}" for s in subsets) + " |\n|---|" + "---|" * len(subsets))
    for name in PARTNERS:
        cells = []
        for s in subsets:
            keep = {i for i in report_ids if WINDOW_SUBSETS[s](facts[i])}
            d = paired_difference([r for r in results[chosen_row] if r.case_id in keep], [r for r in results[name] if r.case_id in keep], report_facts)
            verdicts[f"{name} / {s}"] = d
            ok = d["mrr_diff"] >= -d["cse"]
            cells.append(f"{d['mrr_diff']:+.3f} ± {d['se']:.3f} [{d['cse']:.3f}] n={d['n']}, {d['publications']} pubs {'ok' if ok else 'BELOW'}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    best_classical = max(PARTNERS, key=lambda n: table[n]["all"]["mrr"])
    seen_gain = table[chosen_row]["seen gene"]["top1"] - max(table[n]["seen gene"]["top1"] for n in PARTNERS)
    print(f"\nBest classical ranker by MRR (all): {best_classical} {table[best_classical]['all']['mrr']:.3f}, enrichment {table['enrichment']['all']['mrr']:.3f}")
    print(f"Seen genes: chosen top-1 minus the best classical's: {seen_gain * 100:+.1f} points (acceptance: >= +5)")
    log(f"done in {(time.time() - t_start) / 60:.1f} min")

    report = {"kb": hpo.version, "horizon": hpo.horizon, "folds": args.folds, "seed": args.seed, "choose": sorted(choose_ids), "report": sorted(report_ids),
              "chosen": chosen, "ungated": ungated, "choose_scores": {lbl: scored[lbl] for lbl in top}, "table": table,
              "paired": verdicts, "ranks": {name: {r.case_id: r.rank for r in rs} for name, rs in results.items()}}
    (work / "window.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    window_note = (f"report part of {Path(args.window).name}: {len(report_ids)} cases, {n_pubs} papers (seed {args.seed}), "
                   f"KB {hpo.version} leave-publication-out ({args.folds} folds)")
    choice = {
        "model": "rft",
        "base": args.base,
        "rft_config": {"batch_size": 4, "leave_publication_out": LPO, "balance": RFT_SETTINGS[RFT_SETTING]["balance"],
                       "grpo": RFT_FIXED | RFT_SETTINGS[RFT_SETTING]["grpo"]},
        "ranking": {"generate": 0} | grid_ranks[chosen][0],
        "rankings": {"rft": {"generate": 0} | grid_ranks[chosen][0]},
        "chosen_tune_score": {"metric": CHOICE_METRIC, "rft": scored[chosen]},
        "chosen_on": f"choose part of {Path(args.window).name}: {len(choose_ids)} cases, {len({publication_of(i) for i in choose_ids})} papers "
                     f"(seed {args.seed}), KB {hpo.version} leave-publication-out",
        "prospective_eval": {"window": window_note, "rows": {name: table[name]["all"] | {s: table[name][s] for s in WINDOW_SUBSETS if s != "all"} for name in table},
                             "shipped_row": chosen_row, "command": "python bench/window.py " + " ".join(sys.argv[1:])},
    }
    (work / "chosen.json").write_text(json.dumps(choice, indent=2, default=str) + "\n")
    log(f"wrote {work / 'window.json'} and {work / 'chosen.json'}")


if __name__ == "__main__":
    main()
