"""Sparse matrices of one HPO release that the classical rankers (and the evidence view) score with.

    from rft.rankers.matrices import ontology_matrices
    m = ontology_matrices(hpo, "disease")      # built once per `Hpo` and level, kept on the object (~1 s)
    mica, pos = m.mica(m.term_index["HP:0001250"])   # per disease: the most informative shared ancestor
    m.to_genes(per_disease_scores)             # a gene takes its best disease

`SimilarityRanker`, `LikelihoodRatioRanker` and `rft.evidence.explain` all read the same object, so what the
evidence view shows is what the ranker computed: the same closure, the same information content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["LEVELS", "OntologyMatrices", "ontology_matrices"]

LEVELS = ("gene", "disease")


class OntologyMatrices:
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
        self._closure_rows = self._closure_ic = None  # closure as CSR and each row's total IC, built on the first gene_similarity
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
        (q itself, else the first in `anc_lists` order, among equally informative ones; -1 when none), and the position of that
        (entity, ancestor) entry in `closure.indices` (-1 when none). A function of q alone.

        Walks q's ancestors from the most informative down, each entity keeping its first hit: the columns of
        the closure list the entities to visit, with no sparse slicing.
        """
        anc = self.anc_lists[q]
        mica = np.full(len(self.entities), -1, dtype=np.int64)
        pos = np.full(len(self.entities), -1, dtype=np.int64)
        left = len(self.entities)
        # Most informative first; among equally informative ancestors q itself first (an entity annotated at or
        # under q has q as its MICA: the likelihood ranker reads `mica == q` as an exact match), then term order.
        for a in anc[np.lexsort((anc != q, -self.ic[anc]))]:
            lo, hi = self.closure.indptr[a], self.closure.indptr[a + 1]
            rows = self.closure.indices[lo:hi]
            new = np.flatnonzero(mica[rows] < 0)
            mica[rows[new]] = a
            pos[rows[new]] = lo + new
            left -= len(new)
            if left == 0:
                break
        return mica, pos

    def gene_similarity(self, gene: str, others: Sequence[str]) -> np.ndarray:
        """How alike `gene`'s annotations are to each of `others`' (gene level only): the information content of
        the terms their annotation closures share over that of the terms either has (a weighted Jaccard index in
        [0, 1]; 1 for the gene itself, 0 for a gene this release does not annotate). Terms every gene shares
        weigh nothing (IC 0), so two genes alike only in being abnormal score 0."""
        if self._gene_starts is not None:
            raise ValueError("gene_similarity needs gene-level matrices: ontology_matrices(hpo, 'gene')")
        if self._closure_rows is None:
            self._closure_rows = self.closure.tocsr()
            self._closure_ic = np.asarray(self._closure_rows @ self.ic).ravel()
        out = np.zeros(len(others))
        g = self.gene_index.get(gene)
        rows = [(i, self.gene_index[o]) for i, o in enumerate(others) if o in self.gene_index]
        if g is None or not rows:
            return out
        at, idx = zip(*rows)
        weighted = self._closure_rows[g].multiply(self.ic[None, :])
        shared = np.asarray((self._closure_rows[list(idx)] @ weighted.T).todense()).ravel()
        either = self._closure_ic[g] + self._closure_ic[list(idx)] - shared
        out[list(at)] = np.divide(shared, either, out=np.zeros_like(shared), where=either > 0)
        return out

    def to_genes(self, entity_scores: np.ndarray) -> np.ndarray:
        """Per-gene scores from per-entity ones (the last axis: one case, or a batch of them): the same array at
        gene level, each gene's best disease otherwise."""
        if self._gene_starts is None:
            return entity_scores
        return np.maximum.reduceat(entity_scores[..., self._pair_entity], self._gene_starts, axis=-1)

    def entities_of(self, gene: str) -> np.ndarray:
        """Indices (into `entities`) of what a gene is scored through: itself at gene level, its diseases otherwise."""
        g = self.gene_index[gene]
        if self._gene_starts is None:
            return np.array([g])
        end = self._gene_starts[g + 1] if g + 1 < len(self._gene_starts) else len(self._pair_entity)
        return self._pair_entity[self._gene_starts[g] : end]


def ontology_matrices(hpo: Hpo, level: str = "gene") -> OntologyMatrices:
    """The matrices of `hpo` at `level`, built once and kept on the object (about 1 s).

    Raises:
        ValueError: naming the levels, when `level` is none of them.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    cache = hpo.__dict__.setdefault("_ranker_matrices", {})
    if level not in cache:
        cache[level] = OntologyMatrices(hpo, level)
    return cache[level]
