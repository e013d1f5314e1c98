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

**Fitting the recipe to case reports** (`fit_recipe`): each real case's terms are read against its gene's
annotations as a model meets them (`case_statistics`: for a new patient, without the annotations of the patient's
own paper): a present term at or below an annotation of the gene is *precise*, one above an annotation only is
*imprecise*, anything else is *noise*; an excluded term at, above or below an annotation is the gene's *own*. The
recipe's counts and shares are then the cases' (`recipe_statistics` names them); bench/simulator.py measures real
cases against patients drawn from the fitted recipe and the base pretrained on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["CaseStatistics", "Patient", "SyntheticPatients", "SyntheticRecipe", "case_statistics", "fit_recipe", "recipe_statistics",
           "simulated_statistics"]


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


@dataclass(frozen=True)
class CaseStatistics:
    """How one patient's terms stand against the annotations of its gene (see the module docstring)."""

    precise: int
    imprecise: int
    noise: int
    excluded: int
    excluded_own: int


def case_statistics(gene: str, present: Iterable[str], excluded: Iterable[str], hpo: Hpo) -> CaseStatistics | None:
    """A patient's counts against `hpo`'s annotations of `gene`; None when `hpo` does not annotate the gene."""
    annotated = set(hpo.gene_terms.get(gene, ()))
    if not annotated:
        return None
    above = set().union(*(hpo.ancestors(t) for t in annotated)) - annotated  # strictly above some annotation

    def at_or_below(t: str) -> bool:
        return t in hpo.terms and bool(hpo.ancestors(t, include_self=True) & annotated)

    precise = imprecise = noise = 0
    for t in present:
        if at_or_below(t):
            precise += 1
        elif t in above:
            imprecise += 1
        else:
            noise += 1
    excluded = list(excluded)
    own = sum(1 for t in excluded if at_or_below(t) or t in above)
    return CaseStatistics(precise, imprecise, noise, len(excluded), own)


STATISTICS = ("median signal terms", "sd of ln signal terms", "share imprecise", "mean noise terms", "share without excluded",
              "median excluded (when any)", "sd of ln excluded", "share of excluded that are the gene's own")


def recipe_statistics(stats: Sequence[CaseStatistics]) -> dict[str, float]:
    """The statistics a recipe is fitted to, over patients' `case_statistics` (signal = precise + imprecise terms)."""
    if not stats:
        raise ValueError("no patient with an annotated gene to measure")
    signal = np.array([max(s.precise + s.imprecise, 1) for s in stats], dtype=float)
    n_excl = np.array([s.excluded for s in stats], dtype=float)
    some = n_excl[n_excl > 0]
    total_signal = sum(s.precise + s.imprecise for s in stats)
    return dict(zip(STATISTICS, (
        float(np.median(signal)), float(np.log(signal).std()),
        sum(s.imprecise for s in stats) / max(total_signal, 1), float(np.mean([s.noise for s in stats])),
        float(np.mean(n_excl == 0)), float(np.median(some)) if len(some) else 0.0, float(np.log(some).std()) if len(some) else 0.0,
        sum(s.excluded_own for s in stats) / max(int(n_excl.sum()), 1),
    )))


def simulated_statistics(hpo: Hpo, recipe: SyntheticRecipe, n: int, seed: int = 0) -> list[CaseStatistics]:
    """`case_statistics` of `n` patients drawn from `recipe`, read against the release they were drawn from."""
    sampler = SyntheticPatients(hpo, recipe, seed=seed)
    return [case_statistics(p.gene, p.present, p.excluded, hpo) for p in (sampler.sample() for _ in range(n))]  # every drawn gene is annotated


def fit_recipe(stats: Sequence[CaseStatistics], base: SyntheticRecipe | None = None, hpo: Hpo | None = None, calibrate: int = 0,
               seed: int = 0) -> SyntheticRecipe:
    """The recipe whose patients have the statistics of `stats` (real cases read by `case_statistics`); the rest of
    `base` (the term frequencies, caps, genes) unchanged. Moments first; then, given `hpo` and `calibrate` > 0, one
    round through the simulator (`calibrate` patients) corrects the two statistics its own draws blur: noise terms
    that happen to land on the gene's annotations, and excluded terms drawn from the pool."""
    m = recipe_statistics(stats)
    recipe = replace(
        base or SyntheticRecipe(),
        present_median=max(1.0, m["median signal terms"]), present_sigma=m["sd of ln signal terms"],
        p_imprecise=m["share imprecise"], noise_mean=m["mean noise terms"], p_no_excluded=m["share without excluded"],
        excluded_median=max(1.0, m["median excluded (when any)"]), excluded_sigma=m["sd of ln excluded"],
        p_excluded_own=m["share of excluded that are the gene's own"],
    )
    if hpo is None or calibrate < 1:
        return recipe
    drawn = recipe_statistics(simulated_statistics(hpo, recipe, calibrate, seed))
    own = "share of excluded that are the gene's own"
    return replace(recipe, noise_mean=recipe.noise_mean * m["mean noise terms"] / max(drawn["mean noise terms"], 1e-9),
                   p_excluded_own=float(np.clip(recipe.p_excluded_own + m[own] - drawn[own], 0.0, 1.0)))
