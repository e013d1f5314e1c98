"""The synthetic-patient recipe fitted to case reports (rft.model.synthetic.fit_recipe): how a case's terms are read
against its gene's annotations, and a simulator that reproduces the statistics it was fitted to."""

from __future__ import annotations

import pytest

from rft.model.synthetic import (
    STATISTICS,
    CaseStatistics,
    SyntheticRecipe,
    case_statistics,
    fit_recipe,
    recipe_statistics,
    simulated_statistics,
)


def test_case_statistics_by_hand(mini_hpo):
    # GJB2 is annotated with sensorineural hearing impairment (HP:0000407) only
    s = case_statistics("GJB2", ["HP:0000407", "HP:0000365", "HP:0001250"], ["HP:0000598", "HP:0002069"], mini_hpo)
    assert s == CaseStatistics(precise=1, imprecise=1, noise=1, excluded=2, excluded_own=1)
    # a term below an annotation is precise (SCN1A: seizure -> bilateral tonic-clonic seizure)
    assert case_statistics("SCN1A", ["HP:0002069"], [], mini_hpo).precise == 1
    assert case_statistics("NOSUCH", ["HP:0000407"], [], mini_hpo) is None
    with pytest.raises(ValueError, match="no patient"):
        recipe_statistics([])


def test_fitted_simulator_reproduces_the_statistics_it_was_fitted_to(hpo):
    """Stand-in case reports drawn from a recipe unlike the default; the recipe fitted to them draws patients
    whose statistics match theirs within tolerance (on genes with enough annotations that no cap binds)."""
    genes = sorted(g for g, t in hpo.gene_terms.items() if len(t) >= 60)[:150]
    truth = SyntheticRecipe(present_median=9, present_sigma=0.5, p_imprecise=0.35, noise_mean=2.0, p_no_excluded=0.4,
                            excluded_median=3, excluded_sigma=0.6, p_excluded_own=0.6, genes=genes)
    reports = simulated_statistics(hpo, truth, 800, seed=1)
    fitted = fit_recipe(reports, SyntheticRecipe(genes=genes), hpo, calibrate=800, seed=3)
    target, again = recipe_statistics(reports), recipe_statistics(simulated_statistics(hpo, fitted, 800, seed=2))
    tolerance = {"median signal terms": 1.0, "median excluded (when any)": 1.0, "mean noise terms": 0.3}
    for name in STATISTICS:
        assert again[name] == pytest.approx(target[name], abs=tolerance.get(name, 0.06)), name
    assert fitted.p_no_excluded == pytest.approx(0.4, abs=0.05) and fitted.present_median == pytest.approx(9, abs=1)
