"""HPO ontology layer: load a release once (`load_hpo`) and pass the `Hpo` object to whatever needs it."""

from ontology.annotations import parse_frequency
from ontology.hpo import HPO_DIR_ENV, Hpo, default_data_dir, load_hpo
from ontology.normalize import TermResolution, normalize_terms, resolve_term
from ontology.search import SearchHit
from ontology.term import Term

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
