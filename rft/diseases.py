"""The diseases behind a gene ranking: every annotated disease (OMIM, ORPHA) ranked for one case.

    from rft.diseases import rank_diseases
    for d in rank_diseases(hpo, case, top=20):
        print(d.ids, d.name, round(d.score, 2), d.genes)
    # ('OMIM:154700', 'ORPHA:558') Marfan syndrome 2.91 ('FBN1',)

Diseases are scored by a classical ranker at disease level (the similarity ranker by default, or the
likelihood ranker: `ranker=`), the very scores a gene's rank is taken from (a gene scores as its best disease;
`rft.evidence.explain` names that disease). The Diagnose page passes the ranker that explains the gene list
(`rft.evidence.explaining_ranker`), so both tabs read one computation. The same disease listed by OMIM and by
Orphanet under one name is one row, with both ids and the better score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rft.rankers.similarity import SimilarityRanker

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.evidence import ExplainableRanker

__all__ = ["RankedDisease", "rank_diseases"]

_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class RankedDisease:
    ids: tuple[str, ...]  # the OMIM / ORPHA ids that share this name, best-scoring first
    name: str
    score: float  # the ranker's score of the disease (similarity: mean IC of the terms' best matches; likelihood: sum of log LRs)
    genes: tuple[str, ...]  # genes associated with any of the ids, sorted


def rank_diseases(hpo: Hpo, case: Case, top: int | None = 50, ranker: ExplainableRanker | None = None) -> list[RankedDisease]:
    """The best `top` diseases (None: all) for `case`, best first, duplicates by name merged.

    Args:
        ranker: a disease-level `SimilarityRanker` or `LikelihoodRatioRanker` to score with (default:
            `SimilarityRanker(hpo)`).

    Raises:
        ValueError: `ranker` scores genes, not diseases (level="gene").
    """
    ranker = ranker or SimilarityRanker(hpo, level="disease")
    if ranker.level != "disease":
        raise ValueError(f"rank_diseases needs a disease-level ranker; {ranker.name!r} scores at level {ranker.level!r}")
    entities = ranker.m.entities
    scores = ranker.entity_score_matrix([case])[0]
    disease_genes: dict[str, set[str]] = {}
    for gene, diseases in hpo.gene_diseases.items():
        for d in diseases:
            disease_genes.setdefault(d, set()).add(gene)
    merged: dict[str, list] = {}  # normalised name -> [ids, name, score, genes]
    for i in np.argsort(-scores, kind="stable"):
        disease = entities[int(i)]
        name = hpo.disease_names.get(disease, disease)
        key = _NOT_WORD.sub(" ", name.lower()).strip()
        if key in merged:
            merged[key][0].append(disease)
            merged[key][3] |= disease_genes.get(disease, set())
            continue
        if top is not None and len(merged) >= top:
            continue  # still collect the other ids of the diseases already kept
        merged[key] = [[disease], name, float(scores[int(i)]), set(disease_genes.get(disease, set()))]
    return [RankedDisease(tuple(ids), name, score, tuple(sorted(genes))) for ids, name, score, genes in merged.values()]
