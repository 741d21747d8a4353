"""Gaussian fitting workflows: closed forms (theory.gaussian_workflow) against simulation, with perturbed twins.

Tolerance of every cross-check (tests/_check.py): |mc − theory| ≤ 4·SE with **no finite-size allowance**
(finite_rtol = 0): every formula is an exact finite-(n, d, t) expectation.

Contract of the random cross-checks (a named finite-trial effect, not a tolerance): under replace the fitted
covariance is Σ₀ times a product of t independent Wishart factors, so log det Σ̂_t has variance
V = t·Σ_{i≤d} ψ₁((n − i)/2) (accumulate: the factors shrink like 1/k², V ≤ (π²/6)·Σ_i ψ₁((n − i)/2)). When V ≫ 1
the expectation is carried by exponentially rare runs: the mean of K runs falls below it with
probability → 1 and its SE is underestimated, so no z-test on K runs is valid there
(tests/test_cot_published_runs.py measures this effect on the authors' runs). The cross-checks draw
settings with V ≤ 1; :func:`test_expected_log_det_is_exact_even_with_heavy_tails` checks the heavy-tailed
regime through log det Σ̂_t, whose mean is exactly t·ρ and which has no heavy tail.
"""

from __future__ import annotations

import numpy as np
import pytest
from _check import assert_agrees, assert_disagrees
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.theory import InvalidParameterError
from model_collapse.theory import gaussian_workflow as th
from scipy.special import polygamma
from scipy.stats import hypergeom

# accumulate-subsample has its own closed forms and tests (tests/test_accumulate_subsample.py)
CLASSIC_WORKFLOWS = ("replace", "accumulate")


def simulate_path(n, d, t, **kw):
    """The simulator at every iteration 1..t (its fields are then arrays of length t)."""
    return mc.simulate(n, d, np.arange(1, t + 1), **kw)

QUANTITIES = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio")


def log_variance(n: int, d: int, t: int, workflow: str) -> float:
    """Variance of log det Σ̂_t (replace, exact) or its bound (accumulate); see the module docstring."""
    i = np.arange(1, min(d, n - 1) + 1)
    per_step = float(np.sum(polygamma(1, (n - i) / 2.0)))
    return per_step * (t if workflow == "replace" else np.pi**2 / 6.0)


@st.composite
def light_tailed_settings(draw):
    """(n, d, t, workflow, estimator, σ²) with n > d and log-det variance ≤ 1 (module docstring)."""
    d = draw(st.integers(1, 5))
    n = draw(st.integers(d + 2, 120))
    t = draw(st.integers(1, 12))
    workflow = draw(st.sampled_from(CLASSIC_WORKFLOWS))
    estimator = draw(st.sampled_from(th.ESTIMATORS))
    variance = draw(st.floats(0.1, 10.0))
    return n, d, t, workflow, estimator, variance


def check_all(n, d, t, workflow, estimator, variance, trials, seed=0, method="auto", label=""):
    est = simulate_path(n, d, t, workflow=workflow, estimator=estimator, variance=variance, n_trials=trials, seed=seed,
                      method=method)
    ref = th.predict(n, d, np.arange(1, t + 1), workflow=workflow, estimator=estimator, variance=variance)
    for q in QUANTITIES:
        e = getattr(est, q)
        assert_agrees(getattr(ref, q), e.mean, e.sem, finite_rtol=0.0, label=f"{q} {label} n={n} d={d} {workflow}",
                      require_power=True)


# ---------------------------------------------------------------- closed forms, no simulation


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 10_000), t=st.integers(1, 400), estimator=st.sampled_from(th.ESTIMATORS))
@example(n=2, t=400, estimator="mle")
def test_accumulate_trace_gamma_form_equals_the_product(n, t, estimator):
    k = np.arange(1, t + 1)
    factors = 1 - 1 / (n * k**2.0) if estimator == "mle" else np.where(k >= 2, 1 - 1 / (k * (k * n - 1.0)), 1.0)
    direct = np.cumprod(factors)
    got = th.cov_trace_ratio(n, 3, k, workflow="accumulate", estimator=estimator)
    np.testing.assert_allclose(got, direct, rtol=1e-11)  # poch accuracy ~1e-13, cumprod rounding t·eps


@pytest.mark.parametrize("estimator", th.ESTIMATORS)
@pytest.mark.parametrize("n", [2, 10, 1000])
def test_accumulate_mean_sum_exact_and_tail_branches(n, estimator):
    t_big = 2**17 + 20_000  # beyond the exact-sum range: uses the asymptotic tail
    k = np.arange(1, t_big + 1)
    p_prev = np.concatenate([[1.0], th.cov_trace_ratio(n, 1, k[:-1], estimator=estimator)])
    direct = np.cumsum(p_prev / k**2.0) / n
    got = th.mean_sq_error(n, 1, np.array([1, 7, 1000, 2**17, t_big]), estimator=estimator)
    np.testing.assert_allclose(got, direct[[0, 6, 999, 2**17 - 1, t_big - 1]], rtol=1e-12)


@pytest.mark.parametrize("estimator", th.ESTIMATORS)
@pytest.mark.parametrize("n", [2, 10, 100, 1000])
def test_limits_euler_product_and_series(n, estimator):
    lim = th.limits(n, 1, estimator=estimator)
    if estimator == "mle":  # Euler: ∏(1 − x²/k²) = sin(πx)/(πx)
        x = 1 / np.sqrt(n)
        assert lim.cov_trace_ratio == pytest.approx(np.sin(np.pi * x) / (np.pi * x), rel=1e-14)
    far = th.cov_trace_ratio(n, 1, 10**9, estimator=estimator)
    assert far == pytest.approx(lim.cov_trace_ratio, rel=1e-8)  # P_t/P_∞ − 1 ≈ 1/(nt)
    # the mean-error series: an independent evaluation (plain cumulative product to K, tail P_∞·ψ₁(K+1))
    K = 400_000
    k = np.arange(1, K + 1)
    f = 1 - 1 / (n * k**2.0) if estimator == "mle" else np.where(k >= 2, 1 - 1 / (k * (k * n - 1.0)), 1.0)
    p = np.concatenate([[1.0], np.cumprod(f)])
    series = np.sum(p[:-1] / k**2.0) + p[-1] * polygamma(1, K + 1)
    assert n * lim.mean_sq_error == pytest.approx(series, rel=1e-10)
    assert lim.mean_sq_error < lim.mean_sq_error_bound == pytest.approx(np.pi**2 / 6 / n, rel=1e-15)
    # d = 1: det = variance, so the Richardson-extrapolated det limit equals the trace limit
    assert lim.cov_det_ratio == pytest.approx(lim.cov_trace_ratio, rel=1e-9)


def test_mle_mean_limit_constants():
    """n·E‖μ̂_∞ − μ₀‖²/tr Σ₀ (MLE). docs/theory.md §5 lists 1.565637, 1.636831, 1.644118: those are the series
    cut near 2·10⁵ terms (its tail is ≈ P_∞/K); the converged values are below, certified above."""
    got = [n * th.limits(n, 1).mean_sq_error for n in (10, 100, 1000)]
    np.testing.assert_allclose(got, [1.5656414278440605, 1.6368356916534033, 1.6441225151486217], rtol=1e-12)
    assert all(g - ref < 1e-5 for g, ref in zip(got, [1.565637, 1.636831, 1.644118], strict=True))


@given(n=st.integers(2, 500), d=st.integers(1, 8), t=st.integers(1, 60),
       workflow=st.sampled_from(CLASSIC_WORKFLOWS), estimator=st.sampled_from(th.ESTIMATORS))
@settings(max_examples=60, deadline=None)
def test_determinant_special_cases(n, d, t, workflow, estimator):
    kw = dict(workflow=workflow, estimator=estimator)
    det = th.cov_det_ratio(n, d, t, **kw)
    if n <= d:
        assert det == 0.0
        return
    if d == 1:  # det = variance
        assert det == pytest.approx(th.cov_trace_ratio(n, 1, t, **kw), rel=1e-11)
    m = n if estimator == "mle" else n - 1
    first = np.prod((n - np.arange(1, d + 1)) / m)
    assert th.cov_det_ratio(n, d, 1, **kw) == pytest.approx(first, rel=1e-12)
    if workflow == "replace":
        assert det == pytest.approx(first**t, rel=1e-11)
    else:  # each accumulate step shrinks E det by less than a replace step and by a factor in (0, 1]
        steps = th.cov_det_ratio(n, d, np.arange(1, t + 2), **kw)
        assert np.all(np.diff(steps) <= 1e-15) and np.all(steps > 0)


def test_determinant_limit_and_vectorisation():
    lim = th.limits(32, 10).cov_det_ratio
    far = th.cov_det_ratio(32, 10, 2**16)
    assert far == pytest.approx(lim, rel=1e-4) and far > lim
    t = np.array([[1, 2], [3, 100]])
    assert th.cov_det_ratio(32, 10, t).shape == (2, 2)
    assert isinstance(th.mean_sq_error(32, 10, 5), float)
    one_by_one = [th.cov_det_ratio(32, 10, int(x)) for x in t.ravel()]
    np.testing.assert_allclose(th.cov_det_ratio(32, 10, t).ravel(), one_by_one, rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 10_000), d=st.integers(1, 50), t=st.integers(1, 10_000),
       estimator=st.sampled_from(th.ESTIMATORS))
def test_accumulate_mean_error_below_pi2_over_6(n, d, t, estimator):
    """E‖μ̂_t − μ₀‖² < (π²/6)·dσ²/n at every t (each P_{k−1} ≤ 1), and it increases with t."""
    kw = dict(estimator=estimator, variance=2.5)
    bound = th.mean_sq_error_bound(n, d, variance=2.5)
    assert th.mean_sq_error(n, d, t, **kw) < bound
    assert th.mean_sq_error(n, d, t + 1, **kw) >= th.mean_sq_error(n, d, t, **kw)


def test_replace_laws_and_rates():
    n, t = 10, np.arange(1, 30)
    np.testing.assert_allclose(th.cov_trace_ratio(n, 4, t, workflow="replace"), 0.9**t, rtol=1e-14)
    np.testing.assert_allclose(th.mean_sq_error(n, 4, t, workflow="replace", variance=2.0), 8 * (1 - 0.9**t),
                               rtol=1e-14)
    np.testing.assert_allclose(th.mean_sq_error(n, 4, t, workflow="replace", estimator="unbiased"), 4 * t / n)
    assert th.limits(n, 4, workflow="replace").mean_sq_error == 4.0
    assert th.limits(n, 4, workflow="replace", estimator="unbiased").mean_sq_error == np.inf
    assert th.limits(n, 4, workflow="replace", variance=2.0).mean_sq_error_bound == 8.0  # not the π²/6 bound
    assert th.limits(n, 4, workflow="replace", estimator="unbiased").mean_sq_error_bound == np.inf
    # docs/theory.md §5: (1/t) log σ_t² → ψ((n−1)/2) − log((n−1)/2) for the unbiased variance
    from scipy.special import psi

    assert th.log_det_decay_rate(n, 1, estimator="unbiased") == pytest.approx(psi(4.5) - np.log(4.5), rel=1e-14)
    assert th.log_det_decay_rate(5, 5) == -np.inf
    # W₂² (unbiased): tσ²/n + 2σ²(1 − c_n^t), c_n = E√(χ²_{n−1}/(n−1)) (docs/theory.md §5)
    from scipy.special import gammaln

    c = np.sqrt(2 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2))
    np.testing.assert_allclose(th.w2_squared(n, t, estimator="unbiased", variance=3.0),
                               3 * t / n + 6 * (1 - c**t), rtol=1e-13)
    assert np.all(th.w2_squared_lower_bound(n, t, workflow="replace") <= th.w2_squared(n, t) + 1e-15)
    with pytest.raises(InvalidParameterError, match="no closed form under accumulate-subsample"):
        th.w2_squared(n, t, workflow="accumulate-subsample")
    # accumulate W₂² is exact too (tests/test_gaussian_std.py); Jensen stays below it
    assert np.all(th.w2_squared_lower_bound(n, t) <= th.w2_squared(n, t, workflow="accumulate") + 1e-15)


# ---------------------------------------------------------------- theory against simulation


@settings(max_examples=25, deadline=None)
@given(setting=light_tailed_settings())
@example(setting=(3, 1, 1, "replace", "mle", 1.0))  # smallest n > d at the real-data fit
@example(setting=(40, 1, 12, "accumulate", "unbiased", 1.0))
def test_closed_forms_match_sufficient_statistics_simulation(setting):
    n, d, t, workflow, estimator, variance = setting
    assume(log_variance(n, d, t, workflow) <= 1.0)
    check_all(n, d, t, workflow, estimator, variance, trials=3000, label="(sufficient)")


@pytest.mark.parametrize("workflow", CLASSIC_WORKFLOWS)
def test_closed_forms_match_explicit_samples_simulation(workflow):
    """The authors' literal experiment (explicit points; accumulate through the pooled recursion)."""
    check_all(60, 2, 8, workflow, "mle", 1.0, trials=2000, method="samples", label="(samples)")


@pytest.mark.parametrize("workflow", CLASSIC_WORKFLOWS)
@pytest.mark.parametrize("n,d", [(5, 8), (10, 10)])
def test_singular_covariance_cases(n, d, workflow):
    """n ≤ d: the fitted covariance has rank n − 1, det is exactly 0; mean and trace laws still hold."""
    t = 6 if workflow == "replace" else 10
    est = simulate_path(n, d, t, workflow=workflow, n_trials=3000, seed=5)
    ref = th.predict(n, d, np.arange(1, t + 1), workflow=workflow)
    assert np.all(est.cov_det_ratio.mean == 0) and np.all(ref.cov_det_ratio == 0) and est.log_det_ratio is None
    for q in ("mean_sq_error", "cov_trace_ratio"):
        assert_agrees(getattr(ref, q), getattr(est, q).mean, getattr(est, q).sem, finite_rtol=0.0, label=q)


# ---------------------------------------------------------------- perturbed twins (the check has power)


@pytest.fixture(scope="module")
def acc_n4():
    return simulate_path(4, 1, 12, workflow="accumulate", n_trials=20_000, seed=21)


@pytest.fixture(scope="module")
def rep_n10():
    return simulate_path(10, 1, 4, workflow="replace", n_trials=20_000, seed=22)


def test_twin_accumulate_trace_with_1_over_k_fails(acc_n4):
    k = np.arange(1, 13)
    right = th.cov_trace_ratio(4, 1, k)
    wrong = np.cumprod(1 - 1 / (4 * k))  # 1/k instead of 1/k² in the Euler factor
    e = acc_n4.cov_trace_ratio
    assert_agrees(right, e.mean, e.sem, finite_rtol=0.0)
    assert_disagrees(wrong, e.mean, e.sem, finite_rtol=0.0, label="1/k instead of 1/k²")


def test_twin_accumulate_mean_with_harmonic_weights_fails(acc_n4):
    k = np.arange(1, 13)
    p_prev = np.concatenate([[1.0], th.cov_trace_ratio(4, 1, k[:-1])])
    wrong = np.cumsum(p_prev / k) / 4  # Σ P_{k−1}/k: a "1/k" (not 1/k²) mean update
    e = acc_n4.mean_sq_error
    assert_agrees(th.mean_sq_error(4, 1, k), e.mean, e.sem, finite_rtol=0.0)
    assert_disagrees(wrong, e.mean, e.sem, finite_rtol=0.0, label="1/k weights")


def test_twin_replace_off_by_one_iteration_fails(rep_n10):
    t = np.arange(1, 5)
    e = rep_n10.cov_trace_ratio
    assert_agrees(0.9**t, e.mean, e.sem, finite_rtol=0.0)
    assert_disagrees(0.9 ** (t + 1), e.mean, e.sem, finite_rtol=0.0, label="(1 − 1/n)^(t+1)")
    m = rep_n10.mean_sq_error
    assert_disagrees(1 - 0.9 ** (t + 1), m.mean, m.sem, finite_rtol=0.0, label="mean error at t + 1")


def test_twin_mle_and_unbiased_swapped_fails(acc_n4, rep_n10):
    k = np.arange(1, 13)
    e = acc_n4.cov_trace_ratio
    assert_disagrees(th.cov_trace_ratio(4, 1, k, estimator="unbiased"), e.mean, e.sem, finite_rtol=0.0,
                     label="unbiased law against an MLE simulation")
    unb = simulate_path(10, 1, 4, workflow="replace", estimator="unbiased", n_trials=20_000, seed=23)
    assert_agrees(np.ones(4), unb.cov_trace_ratio.mean, unb.cov_trace_ratio.sem, finite_rtol=0.0)
    assert_disagrees(th.cov_trace_ratio(10, 1, np.arange(1, 5), workflow="replace"), unb.cov_trace_ratio.mean,
                     unb.cov_trace_ratio.sem, finite_rtol=0.0, label="MLE law against an unbiased simulation")


def test_twin_accumulate_determinant_is_not_trace_to_the_d():
    """The accumulate det law (product of f_s) against two natural wrong guesses."""
    n, d, t = 8, 3, 10
    est = simulate_path(n, d, t, workflow="accumulate", n_trials=20_000, seed=24)
    it = np.arange(1, t + 1)
    e = est.cov_det_ratio
    assert_agrees(th.cov_det_ratio(n, d, it), e.mean, e.sem, finite_rtol=0.0)
    first = th.cov_det_ratio(n, d, 1)
    wrong_trace_power = first * (th.cov_trace_ratio(n, d, it) / th.cov_trace_ratio(n, d, 1)) ** d
    assert_disagrees(wrong_trace_power, e.mean, e.sem, finite_rtol=0.0, label="det ≈ first·(P_t/P_1)^d")
    wrong_frozen = np.full(t, first)
    assert_disagrees(wrong_frozen, e.mean, e.sem, finite_rtol=0.0, label="det frozen after iteration 1")


@pytest.mark.parametrize("n,d,t", [(10, 1, 100), (32, 10, 100), (12, 10, 30), (1000, 100, 20)])
def test_expected_log_det_is_exact_even_with_heavy_tails(n, d, t):
    """E log(det Σ̂_t/det Σ₀) = t·ρ exactly under replace (a sum of independent log χ² terms), including
    the heavy-tailed settings excluded from the z-tests on det itself; twin: log of the expected factor."""
    est = simulate_path(n, d, t, workflow="replace", n_trials=400 if d == 100 else 4000, seed=25)
    rho = th.log_det_decay_rate(n, d)
    it = np.arange(1, t + 1)
    e = est.log_det_ratio
    assert_agrees(it * rho, e.mean, e.sem, finite_rtol=0.0, label="t·rho")
    wrong = it * np.log(th.cov_det_ratio(n, d, 1, workflow="replace"))  # log E instead of E log
    assert_disagrees(wrong, e.mean, e.sem, finite_rtol=0.0, label="t·log r")


def test_w2_replace_exact_and_accumulate_above_bound():
    t = np.arange(1, 9)
    rep = simulate_path(12, 1, 8, workflow="replace", n_trials=20_000, seed=26).w2_squared
    assert_agrees(th.w2_squared(12, t), rep.mean, rep.sem, finite_rtol=0.0, label="W2 replace")
    jensen = th.w2_squared_lower_bound(12, t, workflow="replace")  # the twin: E σ̂ replaced by √(E σ̂²)
    assert_disagrees(jensen, rep.mean, rep.sem, finite_rtol=0.0, label="Jensen bound as if exact")
    acc = simulate_path(12, 1, 8, workflow="accumulate", n_trials=20_000, seed=27).w2_squared
    assert np.all(acc.mean >= th.w2_squared_lower_bound(12, t, workflow="accumulate") - 4 * acc.sem)


# ---------------------------------------------------------------- simulator mechanics


@pytest.mark.parametrize("estimator", th.ESTIMATORS)
@pytest.mark.parametrize("n,d", [(7, 3), (20, 1), (3, 5), (5, 5)])
def test_pooled_recursion_equals_refit_on_the_pool(n, d, estimator):
    """Accumulate: μ_t = μ_{t−1} + (x̄_new − μ_{t−1})·n/m and the pooled-scatter update give the same
    fits as refitting mean and covariance on the concatenated pool (same random draws)."""
    kw = dict(workflow="accumulate", estimator=estimator, n_trials=4, seed=3, method="samples")
    rec = mc.trajectories(n, d, 15, **kw)
    ref = mc.trajectories(n, d, 15, refit=True, **kw)
    for q in QUANTITIES:
        np.testing.assert_allclose(rec[q], ref[q], rtol=1e-10, atol=1e-300, err_msg=q)


def test_reproducible_and_independent_of_batching():
    a = mc.trajectories(30, 3, 6, n_trials=7, seed=9)
    b = mc.trajectories(30, 3, 6, n_trials=7, seed=9)
    c = mc.trajectories(30, 3, 6, n_trials=3, seed=9)
    for q in QUANTITIES:
        assert np.array_equal(a[q], b[q]) and np.array_equal(a[q][:3], c[q])
    s1 = mc.trajectories(10, 2, 6, workflow="accumulate-subsample", n_trials=5, seed=9)
    s2 = mc.trajectories(10, 2, 6, workflow="accumulate-subsample", n_trials=5, seed=9)
    assert all(np.array_equal(s1[q], s2[q]) for q in QUANTITIES)
    with pytest.raises(InvalidParameterError, match="'method'"):
        simulate_path(10, 2, 6, workflow="accumulate-subsample", method="sufficient")


def subsample_t2_mean_error(n: int, d: int, estimator: str) -> float:
    """Independent derivation for accumulate-subsample at t = 2 (pool D₀ ∪ S₁, n drawn without replacement).

    With m ~ Hypergeom(2n, n, n) points from D₀ (sum S_A) and n − m from S₁ = x̄ + σ̂₁z:
    n·μ̂₂ = S_A(2 − m/n) + S_C(n − m)/n + σ̂₁Σz, so E‖μ̂₂‖² = d·E[m(2 − m/n)² + (n − m)³/n² + (n − m)E σ̂₁²]/n².
    """
    m = np.arange(0, n + 1)
    pm = hypergeom(2 * n, n, n).pmf(m)
    var1 = (n - 1) / (n if estimator == "mle" else n - 1)
    inner = m * (2 - m / n) ** 2 + (n - m) ** 3 / n**2 + (n - m) * var1
    return float(d * np.sum(pm * inner) / n**2)


@pytest.mark.parametrize("estimator", th.ESTIMATORS)
def test_accumulate_subsample_first_two_iterations(estimator):
    n, d = 6, 2
    est = simulate_path(n, d, 2, workflow="accumulate-subsample", estimator=estimator, n_trials=40_000, seed=28)
    e = est.mean_sq_error
    # t = 1: the subsample is the real data itself
    assert_agrees(th.mean_sq_error(n, d, 1, estimator=estimator), e.mean[0], e.sem[0], finite_rtol=0.0)
    assert_agrees(th.cov_trace_ratio(n, d, 1, estimator=estimator), est.cov_trace_ratio.mean[0],
                  est.cov_trace_ratio.sem[0], finite_rtol=0.0)
    ref = subsample_t2_mean_error(n, d, estimator)
    assert_agrees(ref, e.mean[1], e.sem[1], finite_rtol=0.0, label="subsample t = 2")
    # twin: the accumulate law (fit all 2n points) is not the subsample law
    assert_disagrees(th.mean_sq_error(n, d, 2, estimator=estimator), e.mean[1], e.sem[1], finite_rtol=0.0,
                     label="accumulate law for the subsample")


def test_accumulate_subsample_lies_between_accumulate_and_replace():
    n, d, t = 20, 2, 30
    sub = simulate_path(n, d, t, workflow="accumulate-subsample", n_trials=600, seed=29).mean_sq_error
    acc = th.mean_sq_error(n, d, t)
    rep = th.mean_sq_error(n, d, t, workflow="replace", estimator="unbiased")
    assert sub.mean[-1] - 4 * sub.sem[-1] > acc
    assert sub.mean[-1] + 4 * sub.sem[-1] < rep


# ---------------------------------------------------------------- heavier checks (pytest -m slow)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(setting=light_tailed_settings())
def test_slow_closed_forms_match_explicit_samples_simulation(setting):
    n, d, t, workflow, estimator, variance = setting
    assume(log_variance(n, d, t, workflow) <= 1.0)
    check_all(n, d, t, workflow, estimator, variance, trials=2000, method="samples", label="(samples)")


@pytest.mark.slow
@pytest.mark.parametrize("workflow", CLASSIC_WORKFLOWS)
def test_slow_authors_workload_size(workflow):
    """d = 100, n = 1000, 100 iterations (the benchmark setting). log det Σ̂ has variance
    Σ_i ψ₁((n − i)/2) ≈ 0.22 per replace step, so the determinant is z-tested only while t·0.22 ≤ 1 (the
    contract); the trace and mean error (log-variance ≈ 2/(nd) per step) are tested at every iteration."""
    t = 100
    est = simulate_path(1000, 100, t, workflow=workflow, n_trials=300, seed=41)
    ref = th.predict(1000, 100, np.arange(1, t + 1), workflow=workflow)
    for q in ("mean_sq_error", "cov_trace_ratio"):
        e = getattr(est, q)
        assert_agrees(getattr(ref, q), e.mean, e.sem, finite_rtol=0.0, label=q)
    t_det = max(s for s in range(1, t + 1) if log_variance(1000, 100, s, workflow) <= 1.0)
    e = est.cov_det_ratio
    assert_agrees(ref.cov_det_ratio[:t_det], e.mean[:t_det], e.sem[:t_det], finite_rtol=0.0, label="det")


def test_standard_error_survives_a_collapsed_determinant():
    """det Σ̂_t reaches ~1e-230 under replace at d = 100; its SE must not underflow to 0."""
    e = simulate_path(1000, 100, 100, workflow="replace", n_trials=20, seed=43).cov_det_ratio
    assert 0 < e.mean[-1] < 1e-150 and 0 < e.sem[-1] < np.inf
