"""Phenomizer-style semantic similarity ranker: Resnik similarity, best-match average, over every gene.

    from rft.rankers import SimilarityRanker
    ranker = SimilarityRanker(hpo)
    [ranking] = ranker.rank([case], top=10)

Resnik similarity of two terms is the information content (IC) of their most informative common ancestor.
For a patient term q and an annotated entity g (a disease, or a gene with its diseases' annotations merged),
the best match is max over g's annotated terms a of sim(q, a): the largest IC among the ancestors of q
(q included) that lie in g's *annotation closure* (its terms and all their ancestors). The score of g is

    score(g) = mean_q best(q, g)                                (patient -> g, "one-sided")
             + tie_break * mean_a best(a, patient)              (g -> patient, only to order ties)
             [the two directions averaged instead, when symmetric=True]
             - excluded_weight * mean_e IC(e) * [e in g's annotation closure]

and at the default level="disease" a gene takes the best score of its diseases. Excluded terms, when
weighted, count against a gene annotated with them (or one of their descendants). Everything is vectorised
over a sparse entity x term closure matrix: all ~5,000 genes (~8,900 diseases) in ~25 ms per case here.
`rft.evidence.explain` shows, term by term, where a gene's score comes from.
`bench/bench_rankers.py` measures the variants; the defaults are what won there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from scipy import sparse

from rft.rankers.base import RankedGene, Ranking

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["LEVELS", "SimilarityRanker", "ontology_matrices"]


LEVELS = ("gene", "disease")


class _Matrices:
    """Sparse views of one `Hpo` at one level: what is scored (genes, or diseases) against which terms.

    `entities` are the scored rows: the genes themselves (level "gene", each gene's annotations merged over
    its diseases) or the diseases (level "disease"; a gene then takes the best score of its diseases, as
    LIRICAL and Phenomizer do). IC is computed over the entities: -log(fraction annotated at or under t).
    """

    def __init__(self, hpo: Hpo, level: str = "gene"):
        self.terms = sorted(hpo.terms)
        self.term_index = {t: i for i, t in enumerate(self.terms)}
        self.genes = hpo.genes
        self.gene_index = {g: i for i, g in enumerate(self.genes)}
        rows, cols = [], []
        for t, i in self.term_index.items():
            for a in hpo.ancestors(t, include_self=True):
                rows.append(i)
                cols.append(self.term_index[a])
        n = len(self.terms)
        self.anc = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, n))
        self.anc_lists = [self.anc.indices[self.anc.indptr[i] : self.anc.indptr[i + 1]] for i in range(n)]
        if level == "disease" and not hpo.disease_terms:
            raise ValueError("level='disease' needs per-disease annotations; this Hpo has none (load it with load_hpo)")
        self.entity_terms = hpo.gene_terms if level == "gene" else hpo.disease_terms
        self.entities = self.genes if level == "gene" else sorted(self.entity_terms)
        g_rows, g_cols, a_rows, a_cols, a_w = [], [], [], [], []
        for ei, e in enumerate(self.entities):
            terms = self.entity_terms[e]
            closure: set[int] = set()
            for t in terms:
                ti = self.term_index[t]
                closure.update(self.anc_lists[ti].tolist())
                a_rows.append(ei)
                a_cols.append(ti)
            g_rows.extend([ei] * len(closure))
            g_cols.extend(closure)
            a_w.extend([1.0 / len(terms)] * len(terms))
        shape = (len(self.entities), n)
        self.closure = sparse.csc_matrix((np.ones(len(g_rows), dtype=np.float32), (g_rows, g_cols)), shape=shape)
        self.closure.sort_indices()  # a fixed entry order that per-entry arrays (the likelihood ranker's) can share
        # Row-normalised annotation matrix: entity -> its directly annotated terms, for the entity -> patient mean.
        self.annot = sparse.csr_matrix((np.array(a_w, dtype=np.float32), (a_rows, a_cols)), shape=shape)
        counts = np.asarray(self.closure.sum(axis=0)).ravel()
        n_entities = max(len(self.entities), 1)
        with np.errstate(divide="ignore"):
            self.ic = np.where(counts > 0, -np.log(counts / n_entities), np.log(n_entities)).astype(np.float32)
        # Gene <- entity map: pairs sorted by gene, so np.maximum.reduceat takes each gene's best entity.
        self._pair_entity = np.arange(len(self.entities))
        self._gene_starts = None
        if level == "disease":
            entity_index = {e: i for i, e in enumerate(self.entities)}
            pairs = sorted(
                (self.gene_index[g], entity_index[d]) for g in self.genes for d in hpo.gene_diseases.get(g, ()) if d in entity_index
            )
            genes_of_pairs = np.array([g for g, _ in pairs])
            assert len(set(genes_of_pairs.tolist())) == len(self.genes), "every annotated gene has an annotated disease"
            self._pair_entity = np.array([d for _, d in pairs])
            self._gene_starts = np.flatnonzero(np.r_[True, genes_of_pairs[1:] != genes_of_pairs[:-1]])

    def mica(self, q: int) -> tuple[np.ndarray, np.ndarray]:
        """Per entity, the most informative ancestor of term index q (q included) in its annotation closure
        (the first in `anc_lists` order among equally informative ones; -1 when none), and the position of that
        (entity, ancestor) entry in `closure.indices` (-1 when none). A function of q alone.

        Walks q's ancestors from the most informative down, each entity keeping its first hit: the columns of
        the closure list the entities to visit, with no sparse slicing.
        """
        anc = self.anc_lists[q]
        mica = np.full(len(self.entities), -1, dtype=np.int64)
        pos = np.full(len(self.entities), -1, dtype=np.int64)
        left = len(self.entities)
        for a in anc[np.argsort(-self.ic[anc], kind="stable")]:
            lo, hi = self.closure.indptr[a], self.closure.indptr[a + 1]
            rows = self.closure.indices[lo:hi]
            new = np.flatnonzero(mica[rows] < 0)
            mica[rows[new]] = a
            pos[rows[new]] = lo + new
            left -= len(new)
            if left == 0:
                break
        return mica, pos

    def to_genes(self, entity_scores: np.ndarray) -> np.ndarray:
        """Per-gene scores from per-entity ones: the same array at gene level, the best disease otherwise."""
        if self._gene_starts is None:
            return entity_scores
        return np.maximum.reduceat(entity_scores[self._pair_entity], self._gene_starts)


def ontology_matrices(hpo: Hpo, level: str = "gene") -> _Matrices:
    """The matrices of `hpo` at `level`, built once and kept on the object (about 1 s).

    Raises:
        ValueError: naming the levels, when `level` is none of them.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    cache = hpo.__dict__.setdefault("_ranker_matrices", {})
    if level not in cache:
        cache[level] = _Matrices(hpo, level)
    return cache[level]


class SimilarityRanker:
    """Resnik best-match-average ranker over every annotated gene (see the module docstring).

    Args:
        hpo: the ontology and annotations.
        level: "disease" scores each disease's annotations and gives a gene its best disease; "gene" scores
            each gene's annotations merged over its diseases.
        symmetric: average the patient->gene and gene->patient directions (False: patient->gene only).
        tie_break: weight of the gene->patient direction added to break ties of the one-sided score (many
            genes match every patient term equally well; the one whose own annotations the patient covers
            best goes first). Small enough never to reorder genes whose one-sided scores differ.
        excluded_weight: how much an excluded term annotated to a gene counts against it (0 ignores them).
    """

    def __init__(
        self,
        hpo: Hpo,
        level: str = "disease",
        symmetric: bool = False,
        tie_break: float = 1e-4,
        excluded_weight: float = 0.0,
        name: str = "similarity",
    ):
        self.hpo = hpo
        self.m = ontology_matrices(hpo, level)
        self.level = level
        self.symmetric = symmetric
        self.tie_break = tie_break
        self.excluded_weight = excluded_weight
        self.name = name

    @property
    def genes(self) -> list[str]:
        return self.m.genes

    def _term_ids(self, terms: Sequence[str]) -> list[int]:
        idx = self.m.term_index
        return [idx[t] for t in terms if t in idx]

    def _term_best(self, q: int) -> np.ndarray:
        """IC of the most informative common ancestor of term index q and each entity's annotations (0 if
        none): a function of q alone, so a batch computes it once per distinct term."""
        mica, _ = self.m.mica(q)
        return np.where(mica >= 0, self.m.ic[mica], 0.0).astype(np.float64)

    def scores(self, case: Case) -> np.ndarray:
        """Score of every gene (aligned with `self.genes`) for one case; higher is better."""
        return self.score_matrix([case])[0]

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores of every gene for a batch of cases, [n_cases, n_genes]; each distinct term is matched once."""
        m = self.m
        out = np.zeros((len(cases), len(m.genes)), dtype=np.float64)
        cache: dict[int, np.ndarray] = {}
        for row, case in enumerate(cases):
            present = self._term_ids(case.present)
            if not present:
                continue
            best = np.zeros((len(m.entities), len(present)), dtype=np.float64)
            for j, q in enumerate(present):
                if q not in cache:
                    cache[q] = self._term_best(q)
                best[:, j] = cache[q]
            score = best.mean(axis=1)
            if self.symmetric or self.tie_break:
                patient_ic = np.zeros(len(m.terms), dtype=np.float32)
                closure_p = np.unique(np.concatenate([m.anc_lists[q] for q in present]))
                patient_ic[closure_p] = m.ic[closure_p]
                # For every term a: the IC of its best match among the patient's terms = max over a's ancestors.
                # (Every row holds at least the term itself, so reduceat over the CSR row starts is well defined.)
                term_best = np.maximum.reduceat(patient_ic[m.anc.indices], m.anc.indptr[:-1])
                reverse = m.annot @ term_best
                score = 0.5 * (score + reverse) if self.symmetric else score + self.tie_break * reverse
            excluded = self._term_ids(case.excluded)
            if excluded and self.excluded_weight:
                hit = m.closure[:, excluded].multiply(m.ic[excluded]).toarray()
                score = score - self.excluded_weight * hit.mean(axis=1)
            out[row] = m.to_genes(score)
        return out

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.m.genes, cases, top)


def rank_by_scores(
    score_matrix: Callable[[Sequence[Case]], np.ndarray], genes: Sequence[str], cases: Sequence[Case], top: int | None, chunk: int = 256
) -> list[Ranking]:
    """Rankings from batched scores ([n_cases, n_genes] aligned with `genes`, higher is better), `chunk` cases
    at a time; each ranking's `ms` is its chunk's time per case."""
    out = []
    for start in range(0, len(cases), chunk):
        part = cases[start : start + chunk]
        t0 = time.perf_counter()
        scores = score_matrix(part)
        rows = [_top_indices(s, len(s) if top is None else min(top, len(s))) for s in scores]
        ms = (time.perf_counter() - t0) * 1000 / len(part)
        out.extend(Ranking(c.id, [RankedGene(genes[i], float(s[i])) for i in order], ms) for c, s, order in zip(part, scores, rows))
    return out


def _top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]
