from __future__ import annotations

import math

import numpy as np
import obonet
import pytest

from ontology import Hpo
from rft.cases import Case
from rft.evidence import explain
from rft.rankers import LikelihoodRatioRanker, Ranker, SimilarityRanker
from rft.rankers.matrices import ontology_matrices

RANKERS = [SimilarityRanker, lambda h: SimilarityRanker(h, symmetric=True), LikelihoodRatioRanker]


@pytest.mark.parametrize("make", RANKERS)
@pytest.mark.parametrize(
    "present, first",
    [
        (("HP:0002069", "HP:0001263"), "SCN1A"),  # tonic-clonic seizure + GDD: only SCN1A has the specific seizure
        (("HP:0000407",), "GJB2"),  # sensorineural hearing impairment: GJB2's exact annotation
        (("HP:0001263", "HP:0001250"), "STXBP1"),  # GDD (100%) + seizure: STXBP1 has both, GDD obligate
    ],
)
def test_expected_gene_first(mini_hpo, make, present, first):
    ranker = make(mini_hpo)
    [ranking] = ranker.rank([Case("c", present)], top=None)
    assert isinstance(ranker, Ranker)
    assert sorted(ranking.symbols) == mini_hpo.genes  # the full ranking covers every gene once
    if first == "STXBP1" and isinstance(ranker, SimilarityRanker):
        assert ranking.symbols[0] in ("SCN1A", "STXBP1")  # Resnik ignores frequency: a tie is fair
    else:
        assert ranking.symbols[0] == first
    scores = [g.score for g in ranking.genes]
    assert scores == sorted(scores, reverse=True)


def test_top_cuts_the_ranking(mini_hpo):
    [r] = SimilarityRanker(mini_hpo).rank([Case("c", ("HP:0001250",))], top=2)
    assert len(r.genes) == 2 and r.ms >= 0


def test_similarity_score_is_resnik_bma(mini_hpo):
    ranker = SimilarityRanker(mini_hpo, level="gene", tie_break=0.0)
    scores = dict(zip(ranker.genes, ranker.scores(Case("c", ("HP:0002069", "HP:0000407")))))
    ic = mini_hpo.ic
    # SCN1A: exact match on HP:0002069, and the ear term shares only the root (IC 0) with it.
    assert scores["SCN1A"] == pytest.approx((ic["HP:0002069"] + 0.0) / 2)
    # GJB2: no seizure annotation (MICA = root) and an exact hearing match.
    assert scores["GJB2"] == pytest.approx((0.0 + ic["HP:0000407"]) / 2)


def test_excluded_terms_count_against_when_asked(mini_hpo):
    case = Case("c", ("HP:0001263",), excluded=("HP:0001250",))  # GDD, seizures explicitly absent
    plain = dict(zip(mini_hpo.genes, SimilarityRanker(mini_hpo).scores(case)))
    penalised = dict(zip(mini_hpo.genes, SimilarityRanker(mini_hpo, excluded_weight=1.0).scores(case)))
    assert penalised["SCN1A"] < plain["SCN1A"] and penalised["GJB2"] == plain["GJB2"]
    lr = dict(zip(mini_hpo.genes, LikelihoodRatioRanker(mini_hpo, use_excluded=True).scores(case)))
    lr_plain = dict(zip(mini_hpo.genes, LikelihoodRatioRanker(mini_hpo).scores(case)))
    assert lr["SCN1A"] < lr_plain["SCN1A"] and math.isclose(lr["GJB2"] - lr_plain["GJB2"], lr["C9orf72"] - lr_plain["C9orf72"])


def test_case_without_known_terms_ranks_without_error(mini_hpo):
    [r] = SimilarityRanker(mini_hpo).rank([Case("c", ("HP:7777777",))])
    assert len(r.genes) == len(mini_hpo.genes)


def test_explain(mini_hpo):
    case = Case("c", ("HP:0002069", "HP:0000365"), excluded=("HP:0001263",))
    ev = explain(mini_hpo, case, "stxbp1")
    assert ev.gene == "STXBP1" and ev.diseases == [("OMIM:612164", "Developmental and epileptic encephalopathy 4")]
    assert ev.best_disease == ("OMIM:612164", "Developmental and epileptic encephalopathy 4")
    by_term = {m.patient_term: m for m in ev.present}
    seizure = by_term["HP:0002069"]  # tonic-clonic seizure meets STXBP1's Seizure through Seizure itself
    assert (seizure.gene_term, seizure.common_ancestor, seizure.exact) == ("HP:0001250", "HP:0001250", False)
    m = SimilarityRanker(mini_hpo).m  # the IC the ranker scores with (over diseases), not the gene-level one
    assert seizure.ic == pytest.approx(float(m.ic[m.term_index["HP:0001250"]])) and seizure.frequency == 0.5
    hearing = by_term["HP:0000365"]
    assert hearing.common_ancestor is None and hearing.ic == 0.0  # nothing shared below the root
    assert [(m.patient_term, m.gene_term) for m in ev.excluded] == [("HP:0001263", "HP:0001263")]
    with pytest.raises(ValueError, match="no phenotype annotation"):
        explain(mini_hpo, case, "BRCA1")


@pytest.mark.parametrize("make", [SimilarityRanker, LikelihoodRatioRanker])
@pytest.mark.parametrize("present", [("HP:0002069", "HP:0000365"), ("HP:0001263", "HP:0001250", "HP:0000407"), ("HP:0000707",), ("HP:0000001",)])
def test_explained_counts_are_what_explain_counts(mini_hpo, make, present):
    from rft.evidence import explained_counts

    ranker, case = make(mini_hpo), Case("c", present)
    counts = explained_counts(mini_hpo, case, [*mini_hpo.genes, "NOT_A_GENE"], ranker)
    assert set(counts) == set(mini_hpo.genes)  # an unannotated gene is left out, not guessed
    for gene in mini_hpo.genes:
        ev = explain(mini_hpo, case, gene, ranker=ranker)
        assert counts[gene] == (sum(t.exact for t in ev.present), len(ev.present)), gene
    assert any(k for k, _ in counts.values()) or present == ("HP:0000001",)  # the cases above match some gene exactly


@pytest.mark.parametrize(
    "present",
    [
        ("HP:0002069", "HP:0000365"),  # one exact-ish match, one with nothing below the root
        ("HP:0001263", "HP:0001250", "HP:0000407"),  # GDD, seizure, hearing
        ("HP:0000707",),  # a broad nervous-system term
    ],
)
def test_evidence_score_is_what_the_ranker_scored(mini_hpo, present):
    # The evidence view explains the ranker's own computation: the mean IC of its matches is the gene's score
    # (without the tie-break, which only orders equal scores), for every gene.
    ranker = SimilarityRanker(mini_hpo, tie_break=0.0)
    case = Case("c", present)
    scores = dict(zip(ranker.genes, ranker.scores(case)))
    for gene in mini_hpo.genes:
        assert explain(mini_hpo, case, gene, ranker=ranker).score == pytest.approx(scores[gene])


@pytest.mark.parametrize("use_excluded", [False, True])
@pytest.mark.parametrize(
    "present, excluded",
    [
        (("HP:0002069", "HP:0000365"), ("HP:0001263",)),  # an imprecise match, a term with nothing below the root
        (("HP:0001263", "HP:0001250", "HP:0000407"), ()),
        (("HP:0000707",), ("HP:0001250", "HP:0000365")),
    ],
)
def test_likelihood_evidence_sums_to_what_the_ranker_scored(mini_hpo, present, excluded, use_excluded):
    # The likelihood view: each present term's log likelihood ratio, summed (with excluded terms when the ranker
    # counts them), is the gene's score, for every gene.
    ranker = LikelihoodRatioRanker(mini_hpo, use_excluded=use_excluded)
    case = Case("c", present, excluded)
    scores = dict(zip(ranker.genes, ranker.scores(case)))
    for gene in mini_hpo.genes:
        ev = explain(mini_hpo, case, gene, ranker=ranker)
        assert ev.method == "likelihood" and ev.excluded_counted == use_excluded and ev.score == pytest.approx(scores[gene])
        assert all(m.log_lr is not None for m in ev.present) and all((m.log_lr is not None) == use_excluded for m in ev.excluded)
        if not use_excluded:
            assert sum(m.log_lr for m in ev.present) == pytest.approx(scores[gene])


@pytest.mark.parametrize(
    "make",
    [
        SimilarityRanker,  # one-sided, with its tie-break
        lambda h: SimilarityRanker(h, symmetric=True, excluded_weight=1.0),
        LikelihoodRatioRanker,
        lambda h: LikelihoodRatioRanker(h, use_excluded=True),
    ],
)
@pytest.mark.parametrize(
    "present, excluded",
    [
        (("HP:0002069", "HP:0000365"), ("HP:0001263",)),  # an imprecise match, a term with nothing below the root
        (("HP:0001263", "HP:0001250", "HP:0000407"), ("HP:0000365",)),
        (("HP:0000707", "HP:7777777"), ("HP:0001250", "HP:0000365")),  # a broad term and one the release lacks
    ],
)
def test_contributions_add_up_to_the_score_in_the_list_and_mismatches_never_count_for(mini_hpo, make, present, excluded):
    # What the evidence panel shows: each counted term's contribution, plus the named parts (a tie-break), is the
    # very score the ranking lists for the gene; a term the gene has nothing for never adds a positive number.
    ranker = make(mini_hpo)
    case = Case("c", present, excluded)
    [ranking] = ranker.rank([case])
    for listed in ranking.genes:
        ev = explain(mini_hpo, case, listed.gene, ranker=ranker)
        total = sum(t.contribution for t in ev.present + ev.excluded if t.contribution is not None) + sum(v for _, v in ev.parts)
        assert total == pytest.approx(listed.score, abs=1e-9) and ev.score == pytest.approx(listed.score, abs=1e-9)
        assert all(t.contribution <= 0 for t in ev.present if t.how.startswith("unexplained"))
        assert all(t.how for t in ev.present + ev.excluded)


def test_likelihood_evidence_reads_each_term(mini_hpo):
    ranker = LikelihoodRatioRanker(mini_hpo)
    ev = explain(mini_hpo, Case("c", ("HP:0002069", "HP:0001250")), "STXBP1", ranker=ranker)
    by_term = {m.patient_term: m for m in ev.present}
    exact, imprecise = by_term["HP:0001250"], by_term["HP:0002069"]  # STXBP1 is annotated with Seizure itself
    # Seizure ties in IC with its parent (both annotated to the same diseases): an exact match still, f(q|g) / b(q).
    assert exact.exact and exact.gene_term == exact.common_ancestor == "HP:0001250"
    assert exact.log_lr == pytest.approx(math.log(exact.frequency / ranker.background[ranker.m.term_index["HP:0001250"]]))
    assert not imprecise.exact and imprecise.log_lr < exact.log_lr  # a child of an annotated term: penalised
    assert [m.patient_term for m in ev.present] == ["HP:0001250", "HP:0002069"]  # strongest evidence first


@pytest.mark.parametrize("present", [("HP:0002069", "HP:0000365"), ("HP:0001263", "HP:0001250", "HP:0000407"), ("HP:0000707",)])
def test_consensus_is_the_rank_fusion_of_likelihood_and_similarity(mini_hpo, present):
    from rft.rankers import ConsensusRanker
    from rft.rankers.hybrid import competition_ranks

    case = Case("c", present)
    consensus = ConsensusRanker(mini_hpo)
    lik = competition_ranks(LikelihoodRatioRanker(mini_hpo).score_matrix([case]))[0]
    sim = competition_ranks(SimilarityRanker(mini_hpo).score_matrix([case]))[0]
    by_hand = 1 / (60 + lik) + 1 / (60 + sim)
    assert np.allclose(consensus.score_matrix([case])[0], by_hand)
    [ranking] = consensus.rank([case])
    assert ranking.symbols[0] == mini_hpo.genes[int(np.argmax(by_hand))] and sorted(ranking.symbols) == sorted(mini_hpo.genes)
    ranks = consensus.gene_ranks([case])[0]  # what a fusion with a model reads: the list's order, ties sharing a rank
    assert [ranks[consensus.genes.index(g)] for g in ranking.symbols] == sorted(ranks)


def test_a_ranking_is_explained_by_its_classical_partner(mini_hpo):
    from rft.evidence import explaining_ranker
    from rft.rankers.hybrid import HybridRanker

    likelihood, similarity = LikelihoodRatioRanker(mini_hpo), SimilarityRanker(mini_hpo)
    assert explaining_ranker(likelihood, mini_hpo) is likelihood and explaining_ranker(similarity, mini_hpo) is similarity
    assert explaining_ranker(HybridRanker(similarity, likelihood, "rrf", 10, 2.0), mini_hpo) is likelihood
    from rft.rankers import ConsensusRanker

    consensus = ConsensusRanker(mini_hpo)  # a fused score has no term-by-term reading: its likelihood part explains it
    assert explaining_ranker(consensus, mini_hpo) is consensus.likelihood
    assert explaining_ranker(HybridRanker(similarity, consensus, "rrf", 60, 0.25), mini_hpo) is consensus.likelihood
    model_alone = type("ModelAlone", (), {"name": "model", "genes": mini_hpo.genes})()
    assert isinstance(explaining_ranker(model_alone, mini_hpo), SimilarityRanker)


@pytest.fixture(scope="module")
def two_disease_hpo(fixtures_dir) -> Hpo:
    """MULTI has two diseases, one per organ; SYND one syndrome with both; LEAN and BROAD share GDD."""
    graph = obonet.read_obo(fixtures_dir / "hpo_mini" / "hp.obo")
    diseases = {
        "D:1": {"HP:0002069": None},  # bilateral tonic-clonic seizure
        "D:2": {"HP:0000407": None},  # sensorineural hearing impairment
        "D:3": {"HP:0002069": None, "HP:0000365": None},  # tonic-clonic seizure + hearing impairment (vaguer)
        "D:4": {"HP:0001263": None},  # global developmental delay
        "D:5": {"HP:0001263": None, "HP:0000407": None},  # GDD + sensorineural hearing impairment
    }
    gene_diseases = {"MULTI": {"D:1", "D:2"}, "SYND": {"D:3"}, "LEAN": {"D:4"}, "BROAD": {"D:5"}}
    gene_terms = {g: {t: None for d in ds for t in diseases[d]} for g, ds in gene_diseases.items()}
    return Hpo(graph, gene_terms, gene_diseases, disease_terms=diseases)


def test_disease_level_prefers_one_disease_explaining_all_terms(two_disease_hpo):
    case = Case("c", ("HP:0002069", "HP:0000407"))  # seizure + hearing: one syndrome beats two diseases
    disease_level = dict(zip(two_disease_hpo.genes, SimilarityRanker(two_disease_hpo, level="disease").scores(case)))
    gene_level = dict(zip(two_disease_hpo.genes, SimilarityRanker(two_disease_hpo, level="gene").scores(case)))
    assert disease_level["SYND"] > disease_level["MULTI"]
    assert gene_level["MULTI"] > gene_level["SYND"]  # merged, MULTI's two diseases match both terms exactly


def test_lr_disease_level_gene_takes_its_best_disease(two_disease_hpo):
    ranker = LikelihoodRatioRanker(two_disease_hpo, level="disease")
    one = dict(zip(ranker.genes, ranker.scores(Case("c", ("HP:0002069",)))))  # D:1 alone explains it
    both = dict(zip(ranker.genes, ranker.scores(Case("c", ("HP:0002069", "HP:0000407")))))
    # MULTI's best disease for both terms is no better than D:1 was for the first term alone, plus a miss.
    assert both["MULTI"] < one["MULTI"]
    assert LikelihoodRatioRanker(two_disease_hpo, level="gene").scores(Case("c", ("HP:0002069", "HP:0000407")))[
        two_disease_hpo.genes.index("MULTI")
    ] > both["MULTI"]  # merged, both terms match exactly


def test_tie_break_prefers_the_gene_the_patient_covers(two_disease_hpo):
    case = Case("c", ("HP:0001263",))  # GDD: LEAN and BROAD both match it exactly
    tied = dict(zip(two_disease_hpo.genes, SimilarityRanker(two_disease_hpo, tie_break=0.0).scores(case)))
    assert tied["LEAN"] == tied["BROAD"]
    [ranking] = SimilarityRanker(two_disease_hpo).rank([case], top=2)
    assert ranking.symbols == ["LEAN", "BROAD"]  # BROAD's hearing annotation is unexplained
    assert ranking.genes[0].score - tied["LEAN"] < 1e-3  # the tie-break never outweighs a real difference


def test_unknown_level_is_a_value_error(mini_hpo):
    with pytest.raises(ValueError, match="level must be one of gene, disease"):
        SimilarityRanker(mini_hpo, level="variant")


def test_explain_matches_against_the_best_disease(two_disease_hpo):
    case = Case("c", ("HP:0000407",))  # sensorineural hearing impairment: MULTI's D:2, not its D:1
    ev = explain(two_disease_hpo, case, "MULTI")
    assert ev.best_disease == ("D:2", "D:2")
    score = SimilarityRanker(two_disease_hpo).scores(case)[two_disease_hpo.genes.index("MULTI")]
    assert ev.score == pytest.approx(score)  # the ranker's own score, tie-break included
    assert [(m.gene_term, m.exact) for m in ev.present] == [("HP:0000407", True)]
    merged = explain(two_disease_hpo, Case("c", ("HP:0002069", "HP:0000407")), "MULTI", level="gene")
    assert merged.best_disease is None and all(m.exact for m in merged.present)  # both diseases' terms count
    with pytest.raises(ValueError, match="level must be one of"):
        explain(two_disease_hpo, case, "MULTI", level="variant")


@pytest.mark.parametrize("make", [SimilarityRanker, lambda h: LikelihoodRatioRanker(h, use_excluded=True)])
def test_batch_scores_equal_one_case_at_a_time(mini_hpo, make):
    # The likelihood ranker scores each distinct term once per batch: sharing must not change any case's scores.
    ranker = make(mini_hpo)
    cases = [
        Case("a", ("HP:0002069", "HP:0000407")),
        Case("b", ("HP:0000407",), ("HP:0002069",)),
        Case("c", ("HP:0002069", "HP:0000407", "HP:0002069")),  # a term listed twice counts twice, as before
    ]
    batch = ranker.score_matrix(cases)
    for row, case in zip(batch, cases):
        assert np.array_equal(row, ranker.score_matrix([case])[0])
    assert [r.symbols for r in ranker.rank(cases, top=3)] == [ranker.rank([c], top=3)[0].symbols for c in cases]


def test_gene_similarity_is_a_weighted_jaccard_of_annotation_closures(mini_hpo, two_disease_hpo):
    m = ontology_matrices(mini_hpo, "gene")
    sims = m.gene_similarity("SCN1A", ["SCN1A", "STXBP1", "GJB2", "NOPE"])
    assert sims[0] == pytest.approx(1.0) and sims[3] == 0.0  # itself; a gene the release does not annotate
    assert 0.0 < sims[1] < 1.0 and sims[2] < sims[1]  # both have seizures and delay; GJB2 has hearing loss
    assert m.gene_similarity("STXBP1", ["SCN1A"])[0] == pytest.approx(sims[1])  # symmetric
    assert m.gene_similarity("NOPE", ["SCN1A"]).tolist() == [0.0]
    with pytest.raises(ValueError, match="gene-level"):
        ontology_matrices(two_disease_hpo, "disease").gene_similarity("SCN1A", ["STXBP1"])


def test_enrichment_p_values_are_hypergeometric(mini_hpo):
    # Hand-computed: M = 12 terms in the mini release; the case has n = 2 known terms, Bilateral tonic-clonic
    # seizure (HP:0002069) and Sensorineural hearing impairment (HP:0000407). p = P(X >= k) = 1 - C(M-K, n) / C(M, n)
    # for k = 1.
    from math import comb

    from rft.rankers import EnrichmentRanker

    ranker = EnrichmentRanker(mini_hpo)
    assert ranker.population == 12
    sizes = dict(zip(ranker.genes, ranker.closure_size.tolist()))
    # SCN1A: Seizure, BTC seizure, GDD + 4 ancestors = 7; GJB2: SNHI + hearing impairment, ear, phenotypic abnormality, All = 5
    assert sizes["SCN1A"] == 7 and sizes["GJB2"] == 5
    p = dict(zip(ranker.genes, ranker.p_values(Case("c", ("HP:0002069", "HP:0000407")))))
    assert p["SCN1A"] == pytest.approx(1 - comb(12 - 7, 2) / comb(12, 2))  # 0.848: one hit of 7
    assert p["GJB2"] == pytest.approx(1 - comb(12 - 5, 2) / comb(12, 2))  # 0.682: one hit of 5, a smaller gene
    assert p["STXBP1"] == 1.0  # annotated with Seizure only: the more specific BTC seizure is no hit
    # Two hits of 7: P(X >= 2) = C(7, 2) / C(12, 2)
    p2 = dict(zip(ranker.genes, ranker.p_values(Case("c", ("HP:0002069", "HP:0001263")))))
    assert p2["SCN1A"] == pytest.approx(comb(7, 2) / comb(12, 2))
    [r] = ranker.rank([Case("c", ("HP:0002069", "HP:0000407"))])
    assert r.symbols[:2] == ["GJB2", "SCN1A"]


def test_enrichment_without_known_terms_scores_zero(mini_hpo):
    from rft.rankers import EnrichmentRanker

    [r] = EnrichmentRanker(mini_hpo).rank([Case("c", ("HP:7777777",))])
    assert {g.score for g in r.genes} == {0.0}


def test_a_cut_ranking_is_the_head_of_the_full_one(mini_hpo):
    # Tied genes keep the full ranking's order when the list is cut at `top` (a gated fusion's shut cases and the
    # app's top-N table rely on it).
    import numpy as np

    from rft.rankers.base import rank_by_scores

    scores = np.array([[1.0, 3.0, 3.0, 0.5, 3.0, 2.0]])
    genes = ["A", "B", "C", "D", "E", "F"]
    full = rank_by_scores(lambda cases: scores, genes, [Case("c", ("HP:0001250",))], None)[0].symbols
    assert full == ["B", "C", "E", "F", "A", "D"]
    for top in range(1, 6):
        assert rank_by_scores(lambda cases: scores, genes, [Case("c", ("HP:0001250",))], top)[0].symbols == full[:top]
