"""The knowledge-only reranker (rft.rankers.reranker) and its GRPO tuning (rft.train.rerank)."""

from __future__ import annotations

import numpy as np
import obonet
import pytest
import torch

from ontology import Hpo
from rft.cases import Case
from rft.rankers.base import tied_ranks
from rft.rankers.consensus import ConsensusRanker
from rft.rankers.reranker import FEATURES, KnowledgeReranker, RerankPolicy, load_reranker
from rft.train.rerank import RerankData, candidate_ranks, train_reranker

CASES = [Case("a", ("HP:0002069", "HP:0001263")), Case("b", ("HP:0000407",)), Case("c", ("HP:0001250", "HP:0000365", "HP:0001263"))]


def _trained_policy() -> RerankPolicy:
    torch.manual_seed(3)
    policy = RerankPolicy()
    for p in policy.parameters():  # a policy that is not the consensus: every layer random
        torch.nn.init.normal_(p, std=0.5)
    return policy.eval()


def _renamed(hpo: Hpo, rename: dict[str, str], obo) -> Hpo:
    return Hpo(obonet.read_obo(obo), {rename[g]: t for g, t in hpo.gene_terms.items()}, {rename[g]: d for g, d in hpo.gene_diseases.items()},
               hpo.disease_names, disease_terms=hpo.disease_terms)


def test_untrained_reranker_orders_as_the_consensus(mini_hpo):
    reranker, consensus = KnowledgeReranker(mini_hpo), ConsensusRanker(mini_hpo)
    for mine, theirs in zip(reranker.rank(CASES), consensus.rank(CASES)):
        assert mine.symbols == theirs.symbols


def test_scores_do_not_change_when_candidates_are_permuted_or_renamed(mini_hpo, fixtures_dir):
    policy = _trained_policy()
    reranker = KnowledgeReranker(mini_hpo, policy)
    batch, scores = reranker.candidate_scores(CASES)
    by_gene = [{batch.genes[i]: s for i, s in zip(batch.index[r], scores[r])} for r in range(len(CASES))]
    perm = np.random.default_rng(0).permutation(batch.index.shape[1])  # the candidates in another order
    with torch.no_grad():
        permuted = policy(torch.from_numpy(batch.features[:, perm]), torch.from_numpy(batch.base[:, perm])).numpy()
    assert np.allclose(permuted, scores[:, perm])
    rename = {g: f"GENE{i}" for i, g in enumerate(sorted(mini_hpo.genes, reverse=True))}  # new names, another alphabetical order
    renamed = KnowledgeReranker(_renamed(mini_hpo, rename, fixtures_dir / "hpo_mini" / "hp.obo"), policy)
    batch2, scores2 = renamed.candidate_scores(CASES)
    for r in range(len(CASES)):
        mine = {batch2.genes[i]: s for i, s in zip(batch2.index[r], scores2[r])}
        assert mine == pytest.approx({rename[g]: s for g, s in by_gene[r].items()})


def test_grpo_learns_a_feature_that_names_the_gene():
    """Synthetic candidates: the causal one is the only one whose first feature is high, but the base ranks it last;
    GRPO with the top-k grader must learn to put it first, on cases it never trained on."""
    rng = np.random.default_rng(0)

    def data(n):
        features = rng.normal(0, 0.1, (n, 20, len(FEATURES))).astype(np.float32)
        target = rng.integers(0, 20, n)
        features[np.arange(n), target, 0] = 1.0
        base = -np.log(np.arange(1, 21, dtype=np.float32))[None].repeat(n, 0)
        base[np.arange(n), target] = -np.log(20.0)
        return RerankData(torch.from_numpy(features), torch.from_numpy(base), torch.from_numpy(target))

    train, valid = data(256), data(64)
    before = candidate_ranks(RerankPolicy(), valid)
    watched = data(64)
    policy, curve = train_reranker(train, valid, steps=150, lr=1e-2, eval_every=50, kl=0.0, also={"other": watched})
    after = candidate_ranks(policy, valid)
    assert np.mean(after == 1) > 0.9 > np.mean(before == 1)
    assert [row["step"] for row in curve] == [0, 50, 100, 150] and curve[-1]["valid_mrr"] > curve[0]["valid_mrr"]
    assert curve[-1]["other_mrr"] > curve[0]["other_mrr"]  # watched along the way, choosing nothing


def test_weights_choose_which_cases_teach():
    """Two kinds of training cases: in one the first feature marks the causal candidate, in the other the second.
    Weight 0 on the second kind: it is never drawn and the policy learns the first rule alone. Bad weights are
    refused with a message."""
    rng = np.random.default_rng(1)

    def data(n, column):
        features = rng.normal(0, 0.1, (n, 20, len(FEATURES))).astype(np.float32)
        target = rng.integers(0, 20, n)
        features[np.arange(n), target, column] = 1.0
        base = -np.log(np.arange(1, 21, dtype=np.float32))[None].repeat(n, 0)
        base[np.arange(n), target] = -np.log(20.0)
        return RerankData(torch.from_numpy(features), torch.from_numpy(base), torch.from_numpy(target))

    train = RerankData.concat([data(128, 0), data(128, 1)])
    first, second = data(64, 0), data(64, 1)
    policy, _ = train_reranker(train, None, steps=150, lr=1e-2, kl=0.0, weights=np.r_[np.ones(128), np.zeros(128)])
    assert np.mean(candidate_ranks(policy, first) == 1) > 0.9
    assert np.mean(candidate_ranks(policy, second) == 1) < 0.2  # the rule only the unweighted cases teach is not learnt
    both, _ = train_reranker(train, None, steps=150, lr=1e-2, kl=0.0)
    assert np.mean(candidate_ranks(both, second) == 1) > 0.9
    for bad in (np.ones(3), -np.ones(256), np.full(256, np.nan), np.zeros(256)):
        with pytest.raises(ValueError, match="256 finite, non-negative"):
            train_reranker(train, None, steps=1, weights=bad)


def test_a_saved_reranker_loads_and_ranks_the_same(mini_hpo, tmp_path):
    reranker = KnowledgeReranker(mini_hpo, _trained_policy(), candidates=3)
    reranker.save(tmp_path / "rr", {"trained_on": "test"})
    again = load_reranker(tmp_path / "rr", mini_hpo)
    assert [r.symbols for r in again.rank(CASES)] == [r.symbols for r in reranker.rank(CASES)]
    assert all(sorted(r.symbols) == sorted(mini_hpo.genes) for r in again.rank(CASES))  # past the candidates: the rest follow
    with pytest.raises(ValueError, match="not a knowledge reranker folder"):
        load_reranker(tmp_path, mini_hpo)


def test_gene_ranks_follow_the_ranked_list(mini_hpo):
    reranker = KnowledgeReranker(mini_hpo, _trained_policy(), candidates=2)  # two candidates, the rest in consensus order
    ranks = reranker.gene_ranks(CASES)
    for row, ranking in enumerate(reranker.rank(CASES)):
        assert [ranks[row][reranker.genes.index(g)] for g in ranking.symbols] == sorted(ranks[row])
        consensus_order = ConsensusRanker(mini_hpo).rank([CASES[row]])[0].symbols
        assert [g for g in consensus_order if g not in ranking.symbols[:2]] == ranking.symbols[2:]


def test_rerank_data_points_at_the_first_causal_candidate(mini_hpo):
    from rft.rankers.reranker import candidate_features, knowledge_of

    batch = candidate_features(knowledge_of(mini_hpo), CASES, candidates=3)
    listed = [[batch.genes[i] for i in row] for row in batch.index]
    data = RerankData.from_batch(batch, [[listed[0][2], listed[0][1]], [listed[1][0]], ["NOT_A_GENE"]])
    assert data.target.tolist() == [1, 0, -1]


def test_term_by_term_features_count_what_the_patient_and_the_gene_share(mini_hpo):
    """The three term-match features, recomputed from the release's annotations and ancestors for every candidate."""
    from rft.rankers.reranker import candidate_features, knowledge_of

    case = Case("d", ("HP:0002069", "HP:0000365"), excluded=("HP:0001263",))
    batch = candidate_features(knowledge_of(mini_hpo), [case], candidates=4)
    col = {name: FEATURES.index(name) for name in FEATURES}
    shown = set(case.present) | {a for t in case.present for a in mini_hpo.ancestors(t)}
    for i, gene_index in enumerate(batch.index[0]):
        gene = batch.genes[gene_index]
        annotated = set(mini_hpo.gene_terms[gene])
        closure = annotated | {a for t in annotated for a in mini_hpo.ancestors(t)}
        row = batch.features[0, i]
        assert row[col["share of the candidate's annotated terms the patient shows (at or below)"]] == pytest.approx(
            len(annotated & shown) / len(annotated))
        assert row[col["share of the patient's present terms the candidate's annotations imply"]] == pytest.approx(
            len(set(case.present) & closure) / 2)
        assert row[col["share of the patient's excluded terms the candidate is annotated with"]] == pytest.approx(
            float("HP:0001263" in closure))


def test_a_reading_gives_the_counts_and_places_behind_a_gene(mini_hpo):
    """What the Diagnose page shows beside a reranked gene: its place in the consensus's and the reranker's order and
    the term-by-term counts, recomputed from the release's annotations; a gene the release lacks is named."""
    case = Case("d", ("HP:0002069", "HP:0000365"), excluded=("HP:0001263",))
    reranker = KnowledgeReranker(mini_hpo, _trained_policy(), candidates=3)
    [ranking] = reranker.rank([case])
    [consensus] = ConsensusRanker(mini_hpo).rank([case])
    shown = set(case.present) | {a for t in case.present for a in mini_hpo.ancestors(t)}
    for gene in mini_hpo.genes:
        reading = reranker.reading(case, gene)
        annotated = set(mini_hpo.gene_terms[gene])
        closure = annotated | {a for t in annotated for a in mini_hpo.ancestors(t)}
        assert reading.shows == (len(annotated & shown), len(annotated))
        assert reading.implied == (len(set(case.present) & closure), 2)
        assert reading.excluded == (int("HP:0001263" in closure), 1)
        assert reading.diseases == len(mini_hpo.gene_diseases[gene])
        assert reading.reranked_rank == ranking.symbols.index(gene) + 1  # no ties here: the place in the list
        assert reading.candidate == (consensus.symbols.index(gene) < 3)
        assert reading.consensus_rank == tied_ranks(consensus)[consensus.symbols.index(gene)]
        assert reranker.consensus_ranks(case)[gene] == reading.consensus_rank  # the Diagnose table's column
    with pytest.raises(ValueError, match="'NOPE1'"):
        reranker.reading(case, "NOPE1")


def test_a_reranker_folder_loads_through_the_registry_and_lists_in_the_menus(mini_hpo, tmp_path, monkeypatch):
    from rft.registry import MODELS_DIR_ENV, load_ranker, ranker_choices

    reranker = KnowledgeReranker(mini_hpo, _trained_policy(), candidates=3)
    folder = reranker.save(tmp_path / "rr", {"trained_on": "test"})
    loaded = load_ranker(f"model:{folder}", mini_hpo)
    assert isinstance(loaded, KnowledgeReranker) and [r.symbols for r in loaded.rank(CASES)] == [r.symbols for r in reranker.rank(CASES)]
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert any(c.spec == f"model:{folder}" and c.label == "rr (knowledge reranker)" for c in ranker_choices())


def test_saving_never_replaces_a_folder_it_did_not_write(mini_hpo, tmp_path):
    reranker = KnowledgeReranker(mini_hpo, _trained_policy(), candidates=3)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file")
    with pytest.raises(ValueError, match="exists and is not empty"):
        reranker.save(mine, {})
    with pytest.raises(ValueError, match="not a folder rft-genes wrote"):
        reranker.save(mine, {}, force=True)
    assert (mine / "notes.txt").read_text() == "a user's file"
    ours = reranker.save(tmp_path / "ours", {})
    with pytest.raises(ValueError, match="pass --force"):
        reranker.save(ours, {})
    assert reranker.save(ours, {"again": True}, force=True) == ours


def test_the_learning_curve_is_written_where_the_models_page_draws_it(mini_hpo, tmp_path):
    from rft.model_card import read_model_card

    curve = [{"step": 0, "train_mrr": 0.2, "valid_mrr": 0.1}, {"step": 50, "train_mrr": 0.3, "valid_mrr": 0.15}]
    folder = KnowledgeReranker(mini_hpo, _trained_policy()).save(tmp_path / "rr", {"metrics_prospective": {"report part": {"top1": 0.5}}},
                                                                 curve=curve)
    card = read_model_card(folder)
    points = {(row.step, row.series): row.value for row in card.curve.itertuples()}
    assert points == {(0, "valid MRR, seen gene, training cases"): 0.2, (0, "valid MRR, unseen gene"): 0.1,
                      (50, "valid MRR, seen gene, training cases"): 0.3, (50, "valid MRR, unseen gene"): 0.15}
    assert card.kind == "knowledge reranker" and card.metrics["prospective report part"] == {"top1": 0.5}


def test_a_damaged_reranker_folder_says_what_is_wrong(mini_hpo, tmp_path):
    folder = KnowledgeReranker(mini_hpo, _trained_policy()).save(tmp_path / "rr", {})
    (folder / "reranker.pt").write_bytes(b"not torch")
    with pytest.raises(ValueError, match="cannot be read as this reranker's weights"):
        load_reranker(folder, mini_hpo)
    (folder / "meta.json").write_text("{")
    with pytest.raises(ValueError, match="cannot be read as JSON"):
        load_reranker(folder, mini_hpo)


def test_the_shipped_reranker_ranks_with_the_bundled_release(hpo):
    """data/models/reranker: a menu choice beside the default model, with its figures in meta.json (README's table)."""
    import json

    from rft.registry import MODELS_DIR, load_ranker

    folder = MODELS_DIR / "reranker"
    meta = json.loads((folder / "meta.json").read_text())
    assert {"command", "hpo_version", "metrics_prospective", "curve"} <= set(meta) and (folder / "metrics.jsonl").is_file()
    ranker = load_ranker(f"model:{folder}", hpo)
    [ranking] = ranker.rank([Case("fixture", ("HP:0001250", "HP:0001263"), excluded=("HP:0000252",))], top=10)
    assert len(set(ranking.symbols)) == 10 and set(ranking.symbols) <= set(hpo.genes)
