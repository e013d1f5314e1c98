"""Which of the gate's signals tell a patient like the training cases from one of a gene no training case names?

    python bench/window.py --train ../shared/data/phenopacket-store-dev.zip --window ../shared/data/phenopacket-store-2025h2.zip --dump
    python bench/research/gate_signals_probe.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip                                    # 15 s, reads runs/window/fold*.npz

The shipped ranking lets the tuned model speak where its first gene's probability (confidence) is at least 0.1; the
lift over its base (how much the tuning raised that gene) was meant to say "the case reports put it there" and
does not win the choice (docs/benchmark.md). On the window's *choose* part only (nothing of the report part is
read), from the arrays `bench/window.py --dump` writes (each case at the KB without its fold's papers; the model
tuned on every dev case, as bench/window.py tunes it): per signal, the AUC for "a training case names the causal
gene" among the cases whose gene the KB annotates, and what opening the gate above each quantile of the signal
gains or costs (reciprocal rank summed over cases: the shipped fusion, consensus RRF k=60 w=0.5, minus the
consensus alone) on seen-gene and unseen-gene cases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/

from ontology import load_hpo
from rft.cases import load_cases
from rft.rankers.hybrid import competition_ranks, fused_target_ranks
from rft.splits import split_by_publication

SIGNALS = {
    "confidence": "the model's first-gene probability",
    "lift": "that over the base's probability of the same gene",
    "entropy": "the entropy of the model's first-gene distribution",
    "disagreement": "the consensus rank of the model's first gene",
    "base rank": "the base's rank of the model's first gene",
}
LOWER_OPENS = {"entropy", "disagreement", "base rank"}  # a gate on these opens below the threshold


def auc(x: np.ndarray, positive: np.ndarray) -> float:
    a, b = x[positive], x[~positive]
    return float(np.mean(a[:, None] > b[None, :]) + 0.5 * np.mean(a[:, None] == b[None, :]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the dev zip: which genes are 'seen'")
    ap.add_argument("--window", required=True, help="the 2025h2 zip")
    ap.add_argument("--work", default="runs/window", help="where bench/window.py --dump wrote fold<N>.npz")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    hpo = load_hpo()
    seen_genes = {g for c in load_cases(args.train, hpo, require_gene=True).cases for g in c.genes}
    window = load_cases(args.window, hpo, require_gene=True).cases
    choose = set(split_by_publication(window, valid_fraction=0.5, seed=0)["train"])  # bench/window.py's choose part
    genes_of = {c.id: c.genes for c in window}
    cols: dict[str, list] = {k: [] for k in (*SIGNALS, "seen", "in_kb", "gain")}
    for f in range(args.folds):
        path = Path(args.work) / f"fold{f}.npz"
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run bench/window.py with --dump first (see the docstring)")
        z = np.load(path, allow_pickle=False)
        keep = np.array([i in choose for i in z["ids"]])
        ids = [i for i, k in zip(z["ids"], keep) if k]
        lp, base_lp, genes, c_genes = z["rft_lp"][keep], z["base_lp"][keep], list(z["rft_genes"]), list(z["likelihood_genes"])
        consensus = competition_ranks(1.0 / (60 + z["likelihood_ranks"][keep]) + 1.0 / (60 + z["similarity_ranks"][keep]))  # ConsensusRanker.fuse
        m_ranks, targets = competition_ranks(lp), [genes_of[i] for i in ids]
        shut = fused_target_ranks(m_ranks, genes, consensus, c_genes, targets, 60, 0.0)
        opened = fused_target_ranks(m_ranks, genes, consensus, c_genes, targets, 60, 0.5)
        rows, top = np.arange(len(ids)), lp.argmax(axis=1)
        p = np.exp(lp.astype(np.float64))
        c_index = {g: j for j, g in enumerate(c_genes)}
        cols["confidence"] += list(p[rows, top])
        cols["lift"] += list(p[rows, top] / np.exp(base_lp[rows, top].astype(np.float64)))
        cols["entropy"] += list(-(p * np.log(np.maximum(p, 1e-300))).sum(axis=1))
        cols["disagreement"] += [consensus[k, c_index[genes[t]]] if genes[t] in c_index else len(c_genes) + 1 for k, t in enumerate(top)]
        cols["base rank"] += list(competition_ranks(base_lp)[rows, top])
        cols["seen"] += [any(g in seen_genes for g in t) for t in targets]
        cols["in_kb"] += [any(g in c_index for g in t) for t in targets]
        rr = lambda r: np.where(np.isfinite(r), 1.0 / r, 0.0)
        cols["gain"] += list(rr(opened) - rr(shut))
    v = {k: np.asarray(x, dtype=float) for k, x in cols.items()}
    seen, unseen = (v["seen"] > 0) & (v["in_kb"] > 0), (v["seen"] == 0) & (v["in_kb"] > 0)
    kb = seen | unseen
    print(f"\nChoose part: {len(v['gain'])} cases; gene in the KB: {int(seen.sum())} seen, {int(unseen.sum())} unseen. Gate always open: "
          f"gain {v['gain'][seen].sum():+.1f} on seen, {v['gain'][unseen].sum():+.1f} on unseen (reciprocal rank summed)\n")
    print("| signal | AUC, seen vs unseen gene | gate opening on the top 40 % of cases by it: share of unseen cases opened, gain seen / unseen "
          "| top 20 %: the same |\n|---|---|---|---|")
    for name, what in SIGNALS.items():
        x = -v[name] if name in LOWER_OPENS else v[name]
        cells = []
        for share in (0.4, 0.2):
            is_open = x >= np.quantile(x, 1.0 - share)
            cells.append(f"{is_open[unseen].mean():.2f}; {v['gain'][seen & is_open].sum():+.1f} / {v['gain'][unseen & is_open].sum():+.1f}")
        print(f"| {name} ({what}) | {auc(x[kb], seen[kb]):.3f} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
