"""HPO ontology layer: load a release once (`load_hpo`) and pass the `Hpo` object to whatever needs it."""

from ontology.annotations import parse_frequency
from ontology.hpo import HPO_DIR_ENV, Hpo, Term, default_data_dir, load_hpo
from ontology.normalize import TermResolution, normalize_terms, resolve_term
from ontology.search import SearchHit

__all__ = [
    "HPO_DIR_ENV",
    "Hpo",
    "SearchHit",
    "Term",
    "TermResolution",
    "default_data_dir",
    "load_hpo",
    "normalize_terms",
    "parse_frequency",
    "resolve_term",
]
