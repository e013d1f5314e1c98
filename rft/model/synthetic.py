"""Synthetic patients sampled from the HPO gene annotations: the warm-start data of the base model.

    from rft.model import SyntheticRecipe, SyntheticPatients
    sampler = SyntheticPatients(hpo, SyntheticRecipe(), seed=0)
    patient = sampler.sample()           # Patient(gene='SCN1A', present=[...], excluded=[...])

One patient of gene g (g drawn uniformly from every annotated gene):

- a realistic number of present terms: log-normal with median 7 (phenopacket-store: median 7, 95th pct 20),
  capped by how many terms g has;
- g's terms drawn without replacement with probability proportional to their annotated frequency
  (unknown frequency counts as `unknown_frequency`);
- each drawn term made imprecise with probability `p_imprecise`: replaced by an ancestor 1-3 levels up;
- noise terms (Poisson, mean `noise_mean`) drawn from the annotations of random other genes, i.e. common
  findings unrelated to g;
- excluded terms (none with probability `p_no_excluded`, else log-normal with median 5): mostly
  (`p_excluded_own`) g's own annotated findings that this patient does not show, else findings from the
  annotation pool that g does not have at all. In phenopacket-store's training split 82% of excluded terms
  are annotated to the causal gene (84% of present ones): authors report which of the disease's known
  features a patient lacks, so "excluded" says "this disease was considered", not "not this gene".

Everything is drawn from one `numpy.random.Generator`, so a seed reproduces the data exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["Patient", "SyntheticPatients", "SyntheticRecipe"]


@dataclass
class SyntheticRecipe:
    """How synthetic patients are drawn (see the module docstring)."""

    present_median: float = 7.0
    present_sigma: float = 0.6
    max_present: int = 30
    unknown_frequency: float = 0.4
    p_imprecise: float = 0.25
    noise_mean: float = 0.7
    p_no_excluded: float = 0.2
    excluded_median: float = 5.0
    excluded_sigma: float = 0.9
    max_excluded: int = 24
    p_excluded_own: float = 0.8
    genes: list[str] | None = field(default=None, metadata={"help": "restrict to these genes (None = all annotated genes)"})

    def __post_init__(self):
        for name in ("p_imprecise", "p_no_excluded", "p_excluded_own"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"SyntheticRecipe.{name} must be a probability in [0, 1], got {getattr(self, name)}")
        if self.present_median < 1 or self.max_present < 1:
            raise ValueError("SyntheticRecipe.present_median and max_present must be at least 1")

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["genes"] is not None:
            d["genes"] = f"{len(d['genes'])} genes"
        return d


@dataclass(frozen=True)
class Patient:
    gene: str
    present: tuple[str, ...]
    excluded: tuple[str, ...]


class SyntheticPatients:
    """A seeded sampler of synthetic patients over the genes of `hpo`."""

    def __init__(self, hpo: Hpo, recipe: SyntheticRecipe | None = None, seed: int = 0):
        self.hpo = hpo
        self.recipe = recipe or SyntheticRecipe()
        self.rng = np.random.default_rng(seed)
        genes = self.recipe.genes if self.recipe.genes is not None else hpo.genes
        unknown = [g for g in genes if g not in hpo.gene_terms]
        if unknown:
            raise ValueError(f"SyntheticRecipe.genes names genes without annotations: {unknown[:5]}")
        self.genes = sorted(genes)
        uf = self.recipe.unknown_frequency
        self._terms: dict[str, np.ndarray] = {}
        self._probs: dict[str, np.ndarray] = {}
        self._closure: dict[str, set[str]] = {}
        for g in self.genes:
            items = sorted(hpo.gene_terms[g].items())
            terms = np.array([t for t, _ in items])
            w = np.array([f if f is not None else uf for _, f in items], dtype=float) + 1e-3
            self._terms[g] = terms
            self._probs[g] = w / w.sum()
        # Noise and excluded terms come from the pool of all annotations (a term's chance ~ how many genes show it).
        self._pool = np.array([t for g in hpo.genes for t in sorted(hpo.gene_terms[g])])
        self._pheno_roots = {"HP:0000118", "HP:0000001"}

    def _gene_closure(self, gene: str) -> set[str]:
        c = self._closure.get(gene)
        if c is None:
            c = set()
            for t in self.hpo.gene_terms[gene]:
                c |= self.hpo.ancestors(t, include_self=True)
            self._closure[gene] = c
        return c

    def _imprecise(self, term: str) -> str:
        for _ in range(int(self.rng.integers(1, 4))):
            parents = [p for p in self.hpo.parents(term) if p not in self._pheno_roots and p in self.hpo.terms]
            if not parents:
                break
            term = parents[int(self.rng.integers(len(parents)))]
        return term

    def sample(self, gene: str | None = None) -> Patient:
        r, rng = self.recipe, self.rng
        if gene is None:
            gene = self.genes[int(rng.integers(len(self.genes)))]
        terms, probs = self._terms[gene], self._probs[gene]
        n = int(np.clip(round(rng.lognormal(np.log(r.present_median), r.present_sigma)), 1, r.max_present))
        n = min(n, len(terms))
        chosen = rng.choice(len(terms), size=n, replace=False, p=probs)
        present: list[str] = []
        for t in terms[chosen]:
            t = self._imprecise(str(t)) if rng.random() < r.p_imprecise else str(t)
            if t not in present:
                present.append(t)
        closure = self._gene_closure(gene)
        for _ in range(int(rng.poisson(r.noise_mean))):
            t = str(self._pool[int(rng.integers(len(self._pool)))])
            if t not in present:
                present.append(t)
        excluded: list[str] = []
        if rng.random() >= r.p_no_excluded:
            m = int(np.clip(round(rng.lognormal(np.log(r.excluded_median), r.excluded_sigma)), 1, r.max_excluded))
            shown = set(terms[chosen])
            own_unshown = [str(t) for t in terms if t not in shown]
            for _ in range(m * 3):  # bounded retries: the pool is large, a miss is rare
                if len(excluded) >= m:
                    break
                if own_unshown and rng.random() < r.p_excluded_own:
                    t = own_unshown[int(rng.integers(len(own_unshown)))]
                else:
                    t = str(self._pool[int(rng.integers(len(self._pool)))])
                    if t in closure:
                        continue
                if t not in present and t not in excluded:
                    excluded.append(t)
        order = rng.permutation(len(present))
        return Patient(gene, tuple(present[i] for i in order), tuple(excluded))
