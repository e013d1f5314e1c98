"""A reranker that can only see knowledge: it orders the classical rankers' candidates by what their annotations
say about the patient, never by who they are.

    from rft.rankers.reranker import KnowledgeReranker, load_reranker
    reranker = load_reranker("runs/reranker/run", hpo)       # a folder written by `save` (rft.train.rerank tunes it)
    [ranking] = reranker.rank([case], top=20)

For each case the consensus ranker (`rft.rankers.consensus`) proposes its best `candidates` genes. Each candidate
is described by `FEATURES` alone: how the likelihood (gene and best-disease level), similarity and enrichment
rankers score and rank it for this patient (relative to the case's best candidate), how the patient's terms and the
candidate's annotations meet term by term (the share of the candidate's annotated terms the patient shows, of the
patient's present terms its annotations imply, of the patient's excluded terms it is annotated with), how much
the release says about it (closure size, annotated terms, diseases) and the patient's number of present and
excluded terms. No gene symbol, index or embedding enters, and every candidate is scored by the same function
of its own row, so the score of a gene cannot depend on its name or on the order the candidates come in: what
this policy learns can only be how to weigh knowledge, and it applies to a gene no training case names exactly as
to one a hundred cases name (issue 24, item 3).

score(candidate) = base + MLP(features), base = -log(consensus rank): the untrained policy (last layer zero)
orders the candidates as the consensus does; reinforcement fine-tuning (GRPO with the top-k grader,
`rft.train.rerank`) moves the MLP. Genes past the candidates follow in the consensus order.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from scipy import sparse
from torch import nn

from rft.paths import RERANKER_WEIGHTS
from rft.rankers.base import Ranking, rank_by_scores
from rft.rankers.consensus import ConsensusRanker
from rft.rankers.enrichment import EnrichmentRanker
from rft.rankers.hybrid import competition_ranks
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.writes import PROJECT_MARKER, check_target, folder_writer

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case

__all__ = ["FEATURES", "Knowledge", "KnowledgeReranker", "RerankEnsemble", "RerankPolicy", "RerankReading", "candidate_features", "is_reranker_folder",
           "knowledge_of", "load_reranker"]

FEATURES = (
    "likelihood score minus the case's best",
    "similarity score minus the case's best",
    "enrichment -ln p minus the case's best",
    "ln likelihood rank",
    "ln similarity rank",
    "ln enrichment rank",
    "ln annotation closure size",
    "ln number of present terms",
    "best-disease likelihood score minus the case's best",
    "ln best-disease likelihood rank",
    "share of the candidate's annotated terms the patient shows (at or below)",
    "share of the patient's present terms the candidate's annotations imply",
    "share of the patient's excluded terms the candidate is annotated with",
    "ln number of annotated terms",
    "ln number of diseases",
    "ln number of excluded terms",
)
DEFAULT_CANDIDATES = 100
RERANKER_KIND = "knowledge reranker"  # meta.json "kind"
WEIGHTS = RERANKER_WEIGHTS  # the policy's file in a reranker folder: what marks one for rft.registry


class RerankPolicy(nn.Module):
    """score = -ln(consensus rank) + MLP(features); the MLP's last layer starts at zero (the policy starts as the consensus)."""

    def __init__(self, n_features: int = len(FEATURES), hidden: int = 32):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, features: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        """features [..., C, F], base [..., C] -> scores [..., C]."""
        return base + self.mlp(features).squeeze(-1)


class RerankEnsemble(nn.Module):
    """Several policies tuned apart (e.g. one per fold of the training genes), heard together: score = -ln(consensus
    rank) + the mean of their MLPs. Averaging what each learned keeps what they agree on and damps what one fold's
    genes taught alone; it starts as the consensus when every member does."""

    def __init__(self, members: Sequence[RerankPolicy]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one policy")
        self.members = nn.ModuleList(members)

    def forward(self, features: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        return base + torch.stack([m.mlp(features).squeeze(-1) for m in self.members]).mean(dim=0)


class CandidateBatch:
    """Per case: the candidates' indices into the rankers' genes [n, C], their features [n, C, F] and base scores [n, C]."""

    def __init__(self, genes: list[str], index: np.ndarray, features: np.ndarray, base: np.ndarray, ranks: dict[str, np.ndarray]):
        self.genes, self.index, self.features, self.base = genes, index, features, base
        self.ranks = ranks  # every gene's rank [n, genes] by "likelihood", "similarity", "enrichment" and "consensus"
        self.consensus_ranks = ranks["consensus"]


class Knowledge(NamedTuple):
    """What the features are read from, all built once from one HPO release (`knowledge_of`)."""

    consensus: ConsensusRanker
    enrichment: EnrichmentRanker
    disease_likelihood: LikelihoodRatioRanker  # level "disease": a gene takes its best disease
    annotated: sparse.csr_matrix  # [genes, terms]: 1 where the gene is annotated with the term itself
    closure_t: sparse.csc_matrix  # [terms, genes]: 1 where the gene is annotated at or below the term
    n_diseases: np.ndarray  # [genes]: how many diseases the release links to the gene


def knowledge_of(hpo: Hpo) -> Knowledge:
    consensus = ConsensusRanker(hpo)
    m = consensus.likelihood.m  # gene level: each gene's annotations merged over its diseases
    annotated = m.annot.copy()
    annotated.data[:] = 1.0
    n_diseases = np.array([len(hpo.gene_diseases.get(g, ())) for g in m.genes], dtype=np.float64)
    return Knowledge(consensus, EnrichmentRanker(hpo), LikelihoodRatioRanker(hpo, level="disease"), annotated, m.closure.T.tocsc(), n_diseases)


def _term_rows(m, terms_of_cases: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Indicator [n_cases, n_terms] of each case's terms (those the release knows) and their count per case."""
    rows, cols = [], []
    for i, terms in enumerate(terms_of_cases):
        for t in set(terms):
            if t in m.term_index:
                rows.append(i)
                cols.append(m.term_index[t])
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(terms_of_cases), len(m.terms)))
    return x, np.asarray(x.sum(axis=1)).ravel()


def _term_counts(knowledge: Knowledge, cases: Sequence[Case], index: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each case's candidates ([n, C] gene indices), three (count, out of) pairs: the candidate's annotated terms
    at or above one of the patient's present terms, of its annotated terms; the patient's present terms in the
    candidate's annotation closure, of those the release knows; the patient's excluded terms in it, likewise."""
    m = knowledge.consensus.likelihood.m
    present, n_present = _term_rows(m, [c.present for c in cases])
    excluded, n_excluded = _term_rows(m, [c.excluded for c in cases])
    shown = present @ m.anc  # the patient's terms and their ancestors
    shown.data[:] = 1.0
    take = lambda x: np.take_along_axis(np.asarray(x.todense()), index, axis=1)
    n_annotated = np.asarray(knowledge.annotated.sum(axis=1)).ravel()[index]
    return ((take(shown @ knowledge.annotated.T), n_annotated), (take(present @ knowledge.closure_t), n_present[:, None]),
            (take(excluded @ knowledge.closure_t), n_excluded[:, None]))


def candidate_features(knowledge: Knowledge, cases: Sequence[Case], candidates: int = DEFAULT_CANDIDATES) -> CandidateBatch:
    """The consensus's best `candidates` genes per case and their `FEATURES` (knowledge only: no gene identity)."""
    consensus, enrichment, by_disease = knowledge.consensus, knowledge.enrichment, knowledge.disease_likelihood
    genes = consensus.genes
    if list(enrichment.genes) != list(genes) or list(by_disease.genes) != list(genes):
        raise ValueError("the reranker's rankers rank different genes; build them from one HPO release (knowledge_of)")
    lik, sim, enr = consensus.likelihood.score_matrix(cases), consensus.similarity.score_matrix(cases), enrichment.score_matrix(cases)
    ranks = [competition_ranks(s) for s in (lik, sim, enr)]
    cons_ranks = competition_ranks(consensus.fuse(ranks[0], ranks[1]))
    c = min(candidates, len(genes))
    index = np.argsort(cons_ranks, axis=1, kind="stable")[:, :c]
    take = lambda a: np.take_along_axis(a, index, axis=1)
    n_terms = np.array([max(len(case.present), 1) for case in cases], dtype=np.float64)[:, None]
    n_excluded = np.array([len(case.excluded) for case in cases], dtype=np.float64)[:, None]
    closure = np.log(np.maximum(enrichment.closure_size, 1).astype(np.float64))
    n_annotated = np.log(np.maximum(np.asarray(knowledge.annotated.sum(axis=1), dtype=np.float64).ravel(), 1))
    n_diseases = np.log(np.maximum(knowledge.n_diseases, 1))
    dis = by_disease.score_matrix(cases)
    # the three term-by-term shares (0 out of 0: 0)
    shows, implied, against = (count / np.maximum(out_of, 1) for count, out_of in _term_counts(knowledge, cases, index))
    features = np.stack([
        np.maximum(take(lik) - lik.max(axis=1, keepdims=True), -50.0) / 10.0,
        take(sim) - sim.max(axis=1, keepdims=True),
        np.maximum(take(enr) - enr.max(axis=1, keepdims=True), -50.0) / 10.0,
        np.log(take(ranks[0])) / 5.0,
        np.log(take(ranks[1])) / 5.0,
        np.log(take(ranks[2])) / 5.0,
        closure[index] / 5.0,
        np.broadcast_to(np.log(n_terms) / 3.0, index.shape),
        np.maximum(take(dis) - dis.max(axis=1, keepdims=True), -50.0) / 10.0,
        np.log(take(competition_ranks(dis))) / 5.0,
        shows,
        implied,
        against,
        n_annotated[index] / 3.0,
        n_diseases[index],
        np.broadcast_to(np.log1p(n_excluded) / 3.0, index.shape),
    ], axis=-1).astype(np.float32)
    base = -np.log(take(cons_ranks)).astype(np.float32)
    return CandidateBatch(list(genes), index, features, base, dict(zip(("likelihood", "similarity", "enrichment"), ranks)) | {"consensus": cons_ranks})


class RerankReading(NamedTuple):
    """What the reranker read about one gene for one patient, in counts a reader can check (`KnowledgeReranker.reading`)."""

    gene: str
    consensus_rank: int  # its rank in the consensus's order, among all genes (ties share the best rank)
    reranked_rank: int  # its place in the reranker's order, among all genes
    candidate: bool  # among the consensus's best `candidates`, the genes the policy reorders (the rest keep the consensus's order)
    shows: tuple[int, int]  # its annotated terms at or above one of the patient's present terms, of its annotated terms
    implied: tuple[int, int]  # the patient's present terms its annotations imply, of those the release knows
    excluded: tuple[int, int]  # the patient's excluded terms it is annotated with (at or below), of those the release knows
    diseases: int  # the diseases the release links to it


class KnowledgeReranker:
    """A `Ranker`: the consensus's candidates ordered by a `RerankPolicy` (see the module docstring)."""

    def __init__(self, hpo: Hpo, policy: RerankPolicy | RerankEnsemble | None = None, candidates: int = DEFAULT_CANDIDATES,
                 name: str = "knowledge-reranker"):
        self.knowledge = knowledge_of(hpo)
        self.consensus = self.knowledge.consensus
        self.policy = (policy or RerankPolicy()).eval()
        self.candidates, self.name = candidates, name
        self.score_meaning = (f"the reranker's score of the consensus's best {candidates} candidates (knowledge only: how the "
                              "classical rankers see each gene's annotations); the rest follow in consensus order")
        self.explained_by = self.consensus.likelihood
        self.reads_classical = True  # its list is ordered from the classical rankers' scores and more (the Diagnose page says so)

    @property
    def genes(self) -> list[str]:
        return self.consensus.genes

    def candidate_scores(self, cases: Sequence[Case]) -> tuple[CandidateBatch, np.ndarray]:
        batch = candidate_features(self.knowledge, cases, self.candidates)
        with torch.no_grad():
            scores = self.policy(torch.from_numpy(batch.features), torch.from_numpy(batch.base)).numpy()
        return batch, scores

    def score_matrix(self, cases: Sequence[Case]) -> np.ndarray:
        """Scores [n_cases, n_genes] aligned with `genes`: the candidates' policy scores; every other gene below the
        case's lowest candidate, in the consensus's order (lowest - 1 - ln consensus rank)."""
        return self._all_scores(*self.candidate_scores(cases))

    def consensus_ranks(self, case: Case) -> dict[str, int]:
        """Every gene's rank in the consensus's order for `case` (ties share the best rank): the order the policy reorders."""
        return dict(zip(self.genes, self.consensus.gene_ranks([case])[0].astype(int).tolist()))

    def reading(self, case: Case, gene: str) -> RerankReading:
        """Where the consensus and the reranker put `gene` for `case`, and the term-by-term counts behind the shares the
        policy reads (the Diagnose page shows them beside the gene's evidence)."""
        column = {g: i for i, g in enumerate(self.genes)}.get(gene)
        if column is None:
            raise ValueError(f"{gene!r} has no phenotype annotation in this release: the reranker never ranks it")
        batch, scores = self.candidate_scores([case])
        row = self._all_scores(batch, scores)[0]
        counts = _term_counts(self.knowledge, [case], np.array([[column]]))
        shows, implied, excluded = ((int(count[0, 0]), int(out_of[0, 0])) for count, out_of in counts)
        return RerankReading(gene, int(batch.consensus_ranks[0, column]), int(1 + (row > row[column]).sum()), column in batch.index[0],
                             shows, implied, excluded, int(self.knowledge.n_diseases[column]))

    def _all_scores(self, batch: CandidateBatch, scores: np.ndarray) -> np.ndarray:
        floor = scores.min(axis=1, keepdims=True) - 1.0
        out = floor - np.log(batch.consensus_ranks)
        np.put_along_axis(out, batch.index, scores.astype(np.float64), axis=1)
        return out

    def gene_ranks(self, cases: Sequence[Case]) -> np.ndarray:
        """1-based ranks [n_cases, n_genes], ties sharing the best rank (what a fusion with a model reads)."""
        return competition_ranks(self.score_matrix(cases))

    def rank(self, cases: Sequence[Case], top: int | None = None) -> list[Ranking]:
        return rank_by_scores(self.score_matrix, self.genes, cases, top)

    def save(self, folder: str | Path, meta: dict, force: bool = False, curve: Sequence[dict] = ()) -> Path:
        """Write the policy and meta.json to `folder`, atomically, and the learning curve (`rft.train.rerank`'s rows:
        "step", "train_mrr", "valid_mrr" on held-out genes) as metrics.jsonl, in the rows the Models page draws
        (held-out-gene MRR, and the training cases' MRR: the genes it is rewarded on, against steps). An existing folder is replaced only with `force`, and only
        when this project wrote it (`rft.writes.check_target`)."""
        folder = check_target(folder, force=force, folder=True, kinds=[RERANKER_KIND], what="the reranker folder")
        members = len(self.policy.members) if isinstance(self.policy, RerankEnsemble) else 0
        meta = {"written_by": PROJECT_MARKER, "kind": RERANKER_KIND, "candidates": self.candidates, "members": members,
                "features": list(FEATURES)} | meta
        with folder_writer(folder) as staging:
            torch.save(self.policy.state_dict(), staging / WEIGHTS)
            (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
            rows = [{"kind": "valid", "step": r["step"], "seen gene, training cases": {"mrr": r["train_mrr"]}}
                    | ({"unseen gene": {"mrr": r["valid_mrr"]}} if "valid_mrr" in r else {}) for r in curve]
            (staging / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return folder


def is_reranker_folder(folder: str | Path) -> bool:
    """Does `folder` hold a knowledge reranker (`KnowledgeReranker.save`), rather than a language model?"""
    return (Path(folder) / WEIGHTS).is_file()


def load_reranker(folder: str | Path, hpo: Hpo) -> KnowledgeReranker:
    """A reranker folder written by `KnowledgeReranker.save`.

    Raises:
        ValueError: not a reranker folder, or its features are not this code's.
    """
    folder = Path(folder)
    meta_path, weights = folder / "meta.json", folder / WEIGHTS
    if not meta_path.is_file() or not weights.is_file():
        raise ValueError(f"{folder} is not a knowledge reranker folder (it needs meta.json and reranker.pt)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{meta_path} cannot be read as JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("features") != list(FEATURES):
        raise ValueError(f"{folder}: the reranker was trained on other features than this code computes; retrain it")
    try:
        members, candidates = int(meta.get("members", 0)), int(meta.get("candidates", DEFAULT_CANDIDATES))  # members 0: one policy
        policy = RerankEnsemble([RerankPolicy() for _ in range(members)]) if members else RerankPolicy()
        policy.load_state_dict(torch.load(weights, weights_only=True))
    except (OSError, RuntimeError, ValueError, TypeError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f"{weights} cannot be read as this reranker's weights ({type(e).__name__}: {e})") from None
    return KnowledgeReranker(hpo, policy, candidates=candidates, name=folder.name)
