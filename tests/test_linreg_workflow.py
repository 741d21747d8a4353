"""Linear-regression workflows: the t and π²/6 laws (theory.linreg_workflow) against simulation, with twins.

Tolerance of every cross-check (tests/_check.py): |mc − theory| ≤ 4·SE with **no finite-size allowance**:
the laws are exact at finite n, d, t. Contract of the random cross-checks: n ≥ d + 10, so that the test
error (a Gaussian quadratic form with covariance ∝ (XᵀX)⁻¹) has finite moments of order ≥ 4 (inverse-
Wishart moments of order k exist for n − d − 1 > 2k − 2) and the SE of the mean is itself reliable.
"""

from __future__ import annotations

import numpy as np
import pytest
from _check import assert_agrees, assert_disagrees
from hypothesis import example, given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import linreg_workflow as mc
from model_collapse.montecarlo.trials import estimate, trial_generators
from model_collapse.theory import InvalidParameterError
from model_collapse.theory import linreg_workflow as th


def simulate_path(n, d, t, **kw):
    """The simulator at every iteration 1..t (its fields are then arrays of length t)."""
    return mc.simulate(n, d, np.arange(1, t + 1), **kw)


@st.composite
def ols_settings(draw):
    d = draw(st.integers(1, 8))
    n = draw(st.integers(d + 10, 80))
    return dict(n=n, d=d, t=draw(st.integers(1, 15)), workflow=draw(st.sampled_from(th.WORKFLOWS)),
                sigma=draw(st.floats(0.1, 3.0)), test_labels=draw(st.sampled_from(th.TEST_LABELS)))


def simulate_and_predict(setting, trials, seed=0, **kw):
    est = simulate_path(**setting, n_trials=trials, seed=seed, **kw).test_error
    s = dict(setting)
    t = s.pop("t")
    return th.predict(**s, t=np.arange(1, t + 1)).test_error, est


# ---------------------------------------------------------------- closed forms


def test_iteration_factor_is_the_partial_sum_of_inverse_squares():
    t = np.arange(1, 20_001)
    direct = np.cumsum(1.0 / t.astype(float) ** 2)
    np.testing.assert_allclose(th.iteration_factor(t), direct, rtol=1e-13)
    np.testing.assert_array_equal(th.iteration_factor(t, workflow="replace"), t)
    assert th.iteration_factor(10**12) == pytest.approx(np.pi**2 / 6, rel=1e-12)
    assert isinstance(th.iteration_factor(3), float)


def test_laws_domain_and_limits():
    n, d, s = 1000, 100, 1.0
    base = s**2 * d / (n - d - 1)
    assert th.predict(n, d, 1, sigma=s).test_error == pytest.approx(base, rel=1e-15)
    assert th.predict(n, d, 7, workflow="replace", sigma=s).test_error == pytest.approx(7 * base, rel=1e-15)
    assert th.predict(n, d, 7, sigma=s, test_labels="noisy").test_error == pytest.approx(
        base * th.iteration_factor(7) + s**2, rel=1e-15)
    assert th.limit(n, d) == pytest.approx(np.pi**2 / 6 * base, rel=1e-15) == th.pi2_6_bound(n, d)
    assert th.limit(n, d, workflow="replace") == np.inf
    assert np.all(th.predict(n, d, np.arange(1, 10**4, 97)).test_error < th.pi2_6_bound(n, d))
    # E tr(XᵀX)⁻¹ = ∞
    assert th.predict(101, 100, 3).test_error == np.inf and th.predict(100, 100, 3).test_error == np.inf
    assert th.predict(100, 100, 3, sigma=0.0).test_error == 0.0
    with pytest.raises(InvalidParameterError, match="The 'n' parameter of predict must be at least d"):
        th.predict(99, 100, 3)
    with pytest.raises(InvalidParameterError, match="full column rank"):
        th.predict_given_design(np.ones((20, 3)), 2)


def test_inverse_wishart_mean_holds_for_any_row_covariance():
    """E σ²tr((XᵀX)⁻¹Σ) = σ²d/(n − d − 1) for rows N(0, Σ), here a correlated Σ, averaging the conditional
    law over 4000 designs; twin: the naive d/(n − d) (E tr(XᵀX)⁻¹ ≈ d/n-type) must fail."""
    n, d = 20, 4
    A = np.array([[1.0, 0.5, 0.0, 0.0], [0.0, 2.0, 0.3, 0.0], [0.0, 0.0, 0.5, 0.9], [0.0, 0.0, 0.0, 3.0]])
    cov = A @ A.T
    rngs = trial_generators(31, 4000)
    vals = [th.predict_given_design(g.standard_normal((n, d)) @ A.T, 1, cov=cov) for g in rngs]
    e = estimate(np.array(vals))
    assert_agrees(th.predict(n, d, 1).test_error, e.mean, e.sem, finite_rtol=0.0)
    assert_disagrees(d / (n - d), e.mean, e.sem, finite_rtol=0.0, label="d/(n − d)")


# ---------------------------------------------------------------- theory against simulation


@settings(max_examples=25, deadline=None)
@given(setting=ols_settings())
@example(setting=dict(n=11, d=1, t=15, workflow="replace", sigma=1.0, test_labels="noiseless"))
@example(setting=dict(n=18, d=8, t=15, workflow="accumulate", sigma=3.0, test_labels="noisy"))
def test_laws_match_simulation(setting):
    ref, est = simulate_and_predict(setting, trials=3000)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0, label=str(setting), require_power=True)


@pytest.mark.parametrize("test_labels", th.TEST_LABELS)
def test_authors_finite_test_set_is_unbiased(test_labels):
    """The authors score on 1000 fixed test points (noiseless labels): an unbiased estimate of the law."""
    setting = dict(n=40, d=5, t=10, workflow="accumulate", sigma=1.0, test_labels=test_labels)
    ref, est = simulate_and_predict(setting, trials=3000, n_test=1000)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0)


@pytest.fixture(scope="module")
def accumulate_run():
    return simulate_and_predict(dict(n=30, d=5, t=12, workflow="accumulate", sigma=1.0), trials=20_000, seed=32)


@pytest.fixture(scope="module")
def replace_run():
    return simulate_and_predict(dict(n=30, d=5, t=6, workflow="replace", sigma=1.0), trials=20_000, seed=33)


def test_twin_harmonic_instead_of_inverse_squares_fails(accumulate_run):
    ref, est = accumulate_run
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0)
    t = np.arange(1, 13)
    wrong = ref[0] * np.cumsum(1.0 / t)  # Σ 1/i (a "1/i" learning-rate average) instead of Σ 1/i²
    assert_disagrees(wrong, est.mean, est.sem, finite_rtol=0.0, label="Σ1/i")


def test_twin_off_by_one_and_naive_variance_fail(replace_run):
    ref, est = replace_run
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0)
    t = np.arange(1, 7)
    assert_disagrees(ref[0] * (t + 1), est.mean, est.sem, finite_rtol=0.0, label="(t + 1)·σ²d/(n−d−1)")
    assert_disagrees(t * 5 / (30 - 5), est.mean, est.sem, finite_rtol=0.0, label="t·σ²d/(n − d)")


def test_twin_noisy_labels_are_not_the_excess_risk(accumulate_run):
    ref, est = accumulate_run
    noisy = th.predict(30, 5, np.arange(1, 13), test_labels="noisy").test_error
    assert_disagrees(noisy, est.mean, est.sem, finite_rtol=0.0, label="MSE with noisy labels vs excess risk")


@pytest.mark.parametrize("workflow", th.WORKFLOWS)
def test_conditional_law_given_a_design(workflow):
    rng = np.random.default_rng(34)
    X = rng.standard_normal((25, 6))
    est = simulate_path(25, 6, 8, workflow=workflow, design=X, n_trials=10_000, seed=35).test_error
    ref = th.predict_given_design(X, np.arange(1, 9), workflow=workflow)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0, label="given X")
    # twin: this X has tr((XᵀX)⁻¹) = 0.418 against the unconditional d/(n − d − 1) = 0.333
    uncond = th.predict(25, 6, np.arange(1, 9), workflow=workflow).test_error
    assert_disagrees(uncond, est.mean, est.sem, finite_rtol=0.0, label="unconditional law for one X")


# ---------------------------------------------------------------- simulator mechanics


@pytest.mark.parametrize("workflow", th.WORKFLOWS)
@pytest.mark.parametrize("n,d", [(15, 4), (9, 9), (4, 6)])
def test_recursion_equals_refit_on_the_stack(workflow, n, d):
    """ŵ_t = ŵ_{t−1} + Pε_t (replace) and ŵ_{t−1} + Pε_t/t (accumulate), P = X⁺, equal least squares on
    the current / stacked data (minimum norm when n < d), with the same random draws."""
    kw = dict(workflow=workflow, sigma=0.8, n_trials=3, seed=36)
    rec = mc.trajectories(n, d, 12, **kw)
    ref = mc.trajectories(n, d, 12, refit=True, **kw)
    np.testing.assert_allclose(rec, ref, rtol=1e-9)


def literal_subsample(n, d, t, sigma, rng):
    """The authors' loop: stack copies of X with their labels, subsample n rows, pinv fit (same draws)."""
    X, w_star, eps, sel, _ = mc._draw(rng, n, d, t, None, "accumulate-subsample", None)
    X_all, y_all = X.copy(), X @ w_star + sigma * eps[0]
    errs = []
    for s in range(1, t + 1):
        idx = np.arange(n) if s == 1 else sel[s - 1]
        w = np.linalg.pinv(X_all[idx]) @ y_all[idx]
        errs.append(float(np.sum((w - w_star) ** 2)))
        if s < t:
            X_all = np.concatenate([X_all, X])
            y_all = np.concatenate([y_all, X @ w + sigma * eps[s]])
    return np.array(errs)


@pytest.mark.parametrize("n,d", [(30, 4), (12, 10)])
def test_subsample_counts_and_label_sums_equal_the_literal_experiment(n, d):
    """(12, 10): often fewer than d distinct rows are drawn, exercising the minimum-norm path."""
    got = mc.trajectories(n, d, 15, workflow="accumulate-subsample", sigma=0.7, n_trials=3, seed=37)
    for i, rng in enumerate(trial_generators(37, 3)):
        np.testing.assert_allclose(got[i], literal_subsample(n, d, 15, 0.7, rng), rtol=1e-8)


def test_subsample_starts_at_the_real_fit_and_lies_between_the_laws():
    n, d, t = 40, 5, 30
    est = simulate_path(n, d, t, workflow="accumulate-subsample", n_trials=1500, seed=38).test_error
    assert_agrees(th.predict(n, d, 1).test_error, est.mean[0], est.sem[0], finite_rtol=0.0)
    assert est.mean[-1] - 4 * est.sem[-1] > th.predict(n, d, t).test_error
    assert est.mean[-1] + 4 * est.sem[-1] < th.predict(n, d, t, workflow="replace").test_error


def test_reproducible_and_independent_of_batching():
    for wf in mc.WORKFLOWS:
        a = mc.trajectories(20, 3, 5, workflow=wf, n_trials=6, seed=39)
        b = mc.trajectories(20, 3, 5, workflow=wf, n_trials=6, seed=39)
        c = mc.trajectories(20, 3, 5, workflow=wf, n_trials=2, seed=39)
        assert np.array_equal(a, b) and np.array_equal(a[:2], c)
    with pytest.raises(InvalidParameterError, match="'design'"):
        simulate_path(20, 3, 5, design=np.ones((3, 20)))


# ---------------------------------------------------------------- heavier checks (pytest -m slow)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(setting=ols_settings())
def test_slow_laws_match_simulation_tight(setting):
    ref, est = simulate_and_predict(setting, trials=20_000, seed=1)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0, label=str(setting))


@pytest.mark.slow
@pytest.mark.parametrize("workflow", th.WORKFLOWS)
def test_slow_authors_workload_size(workflow):
    """d = 100, n = 1000, 100 iterations, 1000 fixed test points: the benchmark setting."""
    setting = dict(n=1000, d=100, t=100, workflow=workflow, sigma=1.0)
    ref, est = simulate_and_predict(setting, trials=500, seed=42, n_test=1000)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0)


def test_linreg_figure_table():
    from model_collapse.figures import cot_linreg
    from model_collapse.figures._base import rows

    tab = cot_linreg.compute(True, 0)
    assert set(tab) == {"kind", "quantity", "workflow", "n", "iteration", "value", "se", "runs"}
    it = np.arange(1, cot_linreg.T_QUICK + 1)
    for wf in th.WORKFLOWS:
        ratio = rows(tab, kind="theory", quantity="ratio", workflow=wf, n=316)
        np.testing.assert_allclose(ratio["value"], th.iteration_factor(it, workflow=wf), rtol=1e-13)
        sim = rows(tab, kind="simulation", quantity="test_error", workflow=wf, n=316)
        theory = rows(tab, kind="theory", quantity="test_error", workflow=wf, n=316)["value"]
        assert np.all(np.abs(sim["value"] - theory) <= 4 * sim["se"])
    assert rows(tab, kind="bound")["value"][0] == pytest.approx(np.pi**2 / 6, rel=1e-15)
