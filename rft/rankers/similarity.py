"""Phenomizer-style semantic similarity ranker: Resnik similarity, best-match average, over every gene.

    from rft.rankers import SimilarityRanker
    ranker = SimilarityRanker(hpo)
    [ranking] = ranker.rank([case], top=10)

Resnik similarity of two terms is the information content (IC) of their most informative common ancestor.
For a patient term q and a gene g, the best match is max over g's annotated terms a of sim(q, a), which is
the largest IC among the ancestors of q (q included) that lie in g's *annotation closure* (its terms and all
their ancestors). The score of g is

    score(g) = mean_q best(q, g)                                (patient -> gene, "one-sided")
             [+ mean_a best(a, patient), averaged, when symmetric=True]
             - excluded_weight * mean_e IC(e) * [e in g's annotation closure]

Excluded terms count against a gene annotated with them (or with one of their descendants). Everything is
vectorised over a sparse gene x term closure matrix: ranking all ~5,000 genes takes a few ms per case.
`rft.evidence.explain` shows, term by term, where a gene's score comes from.
`bench/bench_rankers.py` measures the variants; the defaults are what won there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import numpy as np
from scipy import sparse

from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["SimilarityRanker", "ontology_matrices"]


class _Matrices:
    """Term and gene indices, IC vector, ancestor matrix and gene closure matrix of one `Hpo`."""

    def __init__(self, hpo: Hpo):
        self.terms = sorted(hpo.terms)
        self.term_index = {t: i for i, t in enumerate(self.terms)}
        self.genes = hpo.genes
        self.gene_index = {g: i for i, g in enumerate(self.genes)}
        self.ic = np.array([hpo.ic.get(t, 0.0) for t in self.terms], dtype=np.float32)
        rows, cols = [], []
        for t, i in self.term_index.items():
            for a in hpo.ancestors(t, include_self=True):
                rows.append(i)
                cols.append(self.term_index[a])
        n = len(self.terms)
        self.anc = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
        self.anc_lists = [self.anc.indices[self.anc.indptr[i] : self.anc.indptr[i + 1]] for i in range(n)]
        g_rows, g_cols, a_rows, a_cols, a_w = [], [], [], [], []
        for gi, g in enumerate(self.genes):
            closure: set[int] = set()
            for t in hpo.gene_terms[g]:
                ti = self.term_index[t]
                closure.update(self.anc_lists[ti].tolist())
                a_rows.append(gi)
                a_cols.append(ti)
            g_rows.extend([gi] * len(closure))
            g_cols.extend(closure)
            a_w.extend([1.0 / len(hpo.gene_terms[g])] * len(hpo.gene_terms[g]))
        shape = (len(self.genes), n)
        self.closure = sparse.csc_matrix((np.ones(len(g_rows), dtype=np.float32), (g_rows, g_cols)), shape=shape)
        # Row-normalised annotation matrix: gene -> its directly annotated terms, for the gene -> patient mean.
        self.annot = sparse.csr_matrix((np.array(a_w, dtype=np.float32), (a_rows, a_cols)), shape=shape)


def ontology_matrices(hpo: Hpo) -> _Matrices:
    """The matrices of `hpo`, built once and kept on the object (about 1 s)."""
    m = getattr(hpo, "_similarity_matrices", None)
    if m is None:
        m = _Matrices(hpo)
        hpo._similarity_matrices = m
    return m


class SimilarityRanker:
    """Resnik best-match-average ranker over every annotated gene (see the module docstring).

    Args:
        hpo: the ontology and annotations.
        symmetric: average the patient->gene and gene->patient directions (False: patient->gene only).
        excluded_weight: how much an excluded term annotated to a gene counts against it (0 ignores them).
    """

    def __init__(self, hpo: Hpo, symmetric: bool = False, excluded_weight: float = 0.0, name: str = "similarity"):
        self.hpo = hpo
        self.m = ontology_matrices(hpo)
        self.symmetric = symmetric
        self.excluded_weight = excluded_weight
        self.name = name

    @property
    def genes(self) -> list[str]:
        return self.m.genes

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        idx = self.m.term_index
        return [idx[t] for t in terms if t in idx]

    def scores(self, case: Case) -> np.ndarray:
        """Score of every gene (aligned with `self.genes`) for one case; higher is better."""
        m = self.m
        present = self._term_ids(case.present)
        if not present:
            return np.zeros(len(m.genes), dtype=np.float32)
        best = np.zeros((len(m.genes), len(present)), dtype=np.float32)
        for j, q in enumerate(present):
            anc = m.anc_lists[q]
            # closure[:, anc] is 0/1; times IC and max over columns = IC of the most informative shared ancestor.
            best[:, j] = m.closure[:, anc].multiply(m.ic[anc]).max(axis=1).toarray().ravel()
        score = best.mean(axis=1)
        if self.symmetric:
            patient_ic = np.zeros(len(m.terms), dtype=np.float32)
            closure_p = np.unique(np.concatenate([m.anc_lists[q] for q in present]))
            patient_ic[closure_p] = m.ic[closure_p]
            # For every term a: the IC of its best match among the patient's terms = max over a's ancestors.
            term_best = m.anc.multiply(patient_ic).max(axis=1).toarray().ravel()
            score = 0.5 * (score + m.annot @ term_best)
        excluded = self._term_ids(case.excluded)
        if excluded and self.excluded_weight:
            hit = m.closure[:, excluded].multiply(m.ic[excluded]).toarray()
            score = score - self.excluded_weight * hit.mean(axis=1)
        return score

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        out = []
        for case in cases:
            t0 = time.perf_counter()
            s = self.scores(case)
            n = len(s) if top is None else min(top, len(s))
            order = np.argsort(-s, kind="stable")[:n] if top is None else _top_indices(s, n)
            genes = [RankedGene(self.m.genes[i], float(s[i])) for i in order]
            out.append(Ranking(case.id, genes, (time.perf_counter() - t0) * 1000))
        return out


def _top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]
