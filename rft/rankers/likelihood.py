"""Likelihood-ratio ranker in the spirit of LIRICAL's phenotype part.

    from rft.rankers import LikelihoodRatioRanker
    [ranking] = LikelihoodRatioRanker(hpo).rank([case], top=10)

For gene g and patient term q, with b(t) the background frequency of term t (the fraction of genes annotated
with t or a descendant, smoothed) and f(t | g) the highest annotated frequency among g's terms at or under t:

    q in g's annotation closure:   LR = f(q | g) / b(q)
    otherwise, via m = the most informative common ancestor of q and g's terms:
                                   LR = partial_penalty * f(m | g) / b(m)       (imprecise or related finding)
    no common ancestor below the root: LR = floor
    excluded term e in g's closure: LR = max(1 - f(e | g), floor) / (1 - b(e))   (g usually shows e: evidence against)

score(g) = sum of log LR over the patient's terms. At the default level="disease", g runs over diseases (with
their own annotations and frequencies, as in LIRICAL) and a gene takes the best score of its diseases; at
level="gene" each gene's annotations are merged over its diseases. Annotations without a frequency count as
`unknown_frequency`. Vectorised like the similarity ranker: ~20 ms per case for all genes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from rft.rankers.base import Ranking, rank_by_scores
from rft.rankers.matrices import ontology_matrices

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["LikelihoodRatioRanker"]


class LikelihoodRatioRanker:
    """Sum of log likelihood ratios per gene (see the module docstring)."""

    def __init__(
        self,
        hpo: Hpo,
        partial_penalty: float = 0.05,
        floor: float = 0.01,
        unknown_frequency: float = 0.5,
        use_excluded: bool = False,
        level: str = "disease",
        name: str = "likelihood",
    ):
        self.hpo = hpo
        self.m = ontology_matrices(hpo, level)
        self.level = level
        self.partial_penalty = partial_penalty
        self.floor = floor
        self.use_excluded = use_excluded
        self.name = name
        self.score_meaning = "sum over the patient's terms of the natural-log likelihood ratio (above 0: the phenotypes favour the gene)"
        m = self.m
        n_entities = len(m.entities)
        # Background: fraction of entities whose closure holds t, smoothed so that no term has b = 0 or 1.
        counts = np.asarray(m.closure.sum(axis=0)).ravel()
        self.background = (counts + 0.5) / (n_entities + 1.0)
        rows, cols, vals = [], [], []
        for gi, g in enumerate(m.entities):
            best: dict[int, float] = {}
            for t, f in m.entity_terms[g].items():
                f = unknown_frequency if f is None else max(f, floor)
                for a in m.anc_lists[m.term_index[t]]:
                    if f > best.get(a, 0.0):
                        best[a] = f
            rows.extend([gi] * len(best))
            cols.extend(best)
            vals.extend(best.values())
        self.freq = sparse.csc_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n_entities, len(m.terms)))
        self.freq.sort_indices()
        # An entry exactly where the closure has one (every closure term of an entity has a frequency), in the
        # same order: `freq.data[pos]` reads the frequency at a closure position that `m.mica` returns.
        assert np.array_equal(self.freq.indptr, m.closure.indptr) and np.array_equal(self.freq.indices, m.closure.indices)

    @property
    def genes(self) -> list[str]:
        return self.m.genes

    def term_match(self, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parts of present term index q's likelihood ratio for every entity, before the penalty and the floor:
        (found: a common ancestor below the root, exact: q itself in the closure, f(m|e) (0 when not found),
        b(m)), with m the MICA (q itself when not found)."""
        mica, pos = self.m.mica(q)
        found = mica >= 0
        f = np.where(found, self.freq.data[pos], 0.0).astype(np.float64)  # float64 before dividing by a float32 background
        return found, mica == q, f, self.background[np.where(found, mica, q)]

    def term_log_lr(self, q: int) -> np.ndarray:
        """log LR of present term index q for every entity (a function of q alone, so a batch computes it once)."""
        found, exact, f, b = self.term_match(q)
        lr = f / b
        lr = np.where(exact, lr, self.partial_penalty * lr)
        return np.log(np.where(found, np.maximum(lr, self.floor), self.floor))

    def excluded_log_lr(self, e: int) -> np.ndarray:
        """log LR of excluded term index e for every entity."""
        f = self.freq[:, e].toarray().ravel()
        return np.log(np.where(f > 0, np.maximum(1.0 - f, self.floor), 1.0) / (1.0 - self.background[e]))

    def scores(self, case: Case) -> np.ndarray:
        """Score of every gene (aligned with `self.genes`) for one case; higher is better."""
        return self.score_matrix([case])[0]

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every gene for a batch of cases, [n_cases, n_genes]; each distinct term is scored once."""
        return self.m.to_genes(self.entity_score_matrix(cases))

    def entity_score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every scored entity (disease, or gene at level="gene") for a batch, [n_cases, n_entities]:
        what `score_matrix` reduces to genes, and what `rft.evidence.explain` picks a gene's best disease from."""
        m = self.m
        idx = m.term_index
        present = [[idx[t] for t in c.present if t in idx] for c in cases]
        excluded = [[idx[t] for t in c.excluded if t in idx] if self.use_excluded else [] for c in cases]
        cache: dict[tuple[str, int], np.ndarray] = {}
        out = np.zeros((len(cases), len(m.entities)), dtype=np.float64)
        for row, (p, x) in enumerate(zip(present, excluded)):
            for kind, terms, fn in (("p", p, self.term_log_lr), ("x", x, self.excluded_log_lr)):
                for t in terms:
                    if (kind, t) not in cache:
                        cache[kind, t] = fn(t)
                    out[row] += cache[kind, t]
        return out

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.m.genes, cases, top)
