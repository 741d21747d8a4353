"""E σ̂_t and E W₂² under accumulate, and the a.s. trace rate under replace (theory.gaussian_std,
theory.gaussian_workflow.w2_squared / trace_log_rate; docs/theory.md §5.1), against mpmath and simulation.

Tolerances: |mc − theory| ≤ 4·SE with no finite-size allowance for the exact expectations (W₂²). The trace
rate is an almost-sure limit; it is checked through the slope (E log tr Σ̂_{2T} − E log tr Σ̂_T)/T on the same
runs, whose bias is the change of E log(tr Σ̂_t/(L_t)₁₁²) between T and 2T: it converges geometrically at the
rate of the exponent gap (ψ((n−1)/2) − ψ((n−2)/2) ≥ 0.11 per iteration in the settings below), so the named
allowance e^{−0.11·T}/T < 1e-6 at T = 100 is far below the SE (≈ 1e-3) and is not added.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from _check import assert_agrees, assert_disagrees
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.theory import InvalidParameterError
from model_collapse.theory import gaussian_std as gs
from model_collapse.theory import gaussian_workflow as th


def _g_mpmath(n: int, s: int, estimator: str) -> mp.mpf:
    """E√Z_s from E√(b + χ²_ν) = b^{k+1/2}·U(k, k + 3/2, b/2)/2^k (k = ν/2, Tricomi's U), averaged over the
    χ²_1 variable by quadrature: no Laplace transform, no moment series."""
    m = (lambda k: k * n) if estimator == "mle" else (lambda k: k * n - 1)
    a, big, w = mp.mpf(m(s)), mp.mpf(m(s + 1)), mp.mpf(s) / (s + 1)
    k = mp.mpf(n - 1) / 2

    def inner(v):
        b = a + w * v
        return b ** (k + mp.mpf(1) / 2) / 2**k * mp.hyperu(k, k + mp.mpf(3) / 2, b / 2)

    def density(v):
        return mp.exp(-v / 2) / mp.sqrt(2 * mp.pi * v)

    return mp.quad(lambda v: inner(v) * density(v), [0, 1, 10, mp.inf]) / mp.sqrt(big)


@pytest.mark.parametrize(("n", "s", "estimator"), [
    pytest.param(2, 1, "mle", marks=pytest.mark.slow), (3, 2, "unbiased"),
    pytest.param(5, 255, "mle", marks=pytest.mark.slow), (5, 256, "unbiased"), (2, 300, "unbiased")])
def test_step_factor_certified_by_mpmath(n, s, estimator):
    """Quadrature (s < 256) and moment expansion (s ≥ 256) against 25 digits: measured ≤ 2.3e-15 relative."""
    mp.mp.dps = 25
    ref = _g_mpmath(n, s, estimator)
    got = gs.step_factor(n, s, estimator=estimator)
    assert abs(got - float(ref)) <= 5e-15 * float(ref)
    # the twin: √(E Z_s) (Jensen inside every step) is off by ≈ Var Z/8, far above the tolerance
    mean = (s * n + n - 1 + s / (s + 1)) / (s + 1) / n if estimator == "mle" else \
        (s * n - 1 + n - 1 + s / (s + 1)) / ((s + 1) * n - 1)
    assert abs(np.sqrt(mean) - float(ref)) > 1e3 * 5e-15 * float(ref)


def test_std_ratio_identities():
    c1 = gs.first_factor(10)
    assert gs.std_ratio(10, 1, workflow="accumulate") == pytest.approx(c1, rel=1e-15)
    assert gs.std_ratio(10, 1, workflow="replace") == pytest.approx(c1, rel=1e-15)
    np.testing.assert_allclose(gs.std_ratio(10, np.arange(1, 6), workflow="replace"), c1 ** np.arange(1, 6),
                               rtol=1e-14)
    acc = gs.std_ratio(7, np.arange(1, 2001), estimator="unbiased")
    assert np.all(np.diff(acc) < 0) and acc[-1] > 0.5  # decreasing to a positive limit (1 − g_s = O(1/s²))
    # E σ̂ ≤ √(E σ̂²) (Jensen) at every t, strictly
    assert np.all(acc < np.sqrt(th.cov_trace_ratio(7, 1, np.arange(1, 2001), estimator="unbiased")))
    # the chunked product equals one long cumulative product and a vectorised call equals scalar calls
    big = gs.std_ratio(3, [1, 70_000, 140_000])
    assert big[1] == pytest.approx(gs.std_ratio(3, 70_000), rel=1e-14) and big[2] < big[1]
    with pytest.raises(InvalidParameterError, match="workflow"):
        gs.std_ratio(10, 3, workflow="accumulate-subsample")


@pytest.mark.parametrize(("n", "estimator", "seed"), [(5, "mle", 31),
                                                    pytest.param(3, "unbiased", 32, marks=pytest.mark.slow)])
def test_w2_accumulate_exact_against_simulation(n, estimator, seed):
    t = np.arange(1, 9)
    sim = mc.simulate(n, 1, t, workflow="accumulate", estimator=estimator, variance=2.0, n_trials=20_000,
                      seed=seed).w2_squared
    exact = th.w2_squared(n, t, workflow="accumulate", estimator=estimator, variance=2.0)
    assert_agrees(exact, sim.mean, sim.sem, finite_rtol=0.0, label="W2 accumulate", require_power=True)
    assert th.predict(n, 1, t, workflow="accumulate", estimator=estimator, variance=2.0).w2_squared == \
        pytest.approx(exact, rel=1e-15)
    # twins: the Jensen bound; Jensen inside the steps only (c₁·√(P_t/P₁)); the replace law
    P = th.cov_trace_ratio(n, 1, t, workflow="accumulate", estimator=estimator)
    mse = th.mean_sq_error(n, 1, t, workflow="accumulate", estimator=estimator, variance=2.0)
    stepwise = mse + 2.0 * (P - 2.0 * gs.first_factor(n, estimator=estimator) * np.sqrt(P / P[0]) + 1.0)
    for twin, label in ((th.w2_squared_lower_bound(n, t, estimator=estimator, variance=2.0), "Jensen"),
                        (stepwise, "Jensen per step"),
                        (th.w2_squared(n, t, workflow="replace", estimator=estimator, variance=2.0), "replace")):
        assert_disagrees(twin, sim.mean, sim.sem, finite_rtol=0.0, label=label)


@pytest.mark.parametrize(("n", "d", "estimator", "seed"), [(10, 3, "mle", 5), (6, 4, "unbiased", 6),
                                                         (4, 6, "mle", 7)])
def test_trace_rate_against_simulation(n, d, estimator, seed):
    T, K = 100, 2000
    log_tr = np.log(mc.trajectories(n, d, 2 * T, workflow="replace", estimator=estimator, n_trials=K,
                                    seed=seed)["cov_trace_ratio"])
    slope = (log_tr[:, 2 * T - 1] - log_tr[:, T - 1]) / T
    mean, sem = slope.mean(), slope.std(ddof=1) / np.sqrt(K)
    rate = th.trace_log_rate(n, d, estimator=estimator)
    assert_agrees(rate, mean, sem, finite_rtol=0.0, label="trace rate", require_power=True)
    d1 = th.log_det_decay_rate(n, 1, estimator=estimator)
    assert th.trace_log_rate(n, 1, estimator=estimator) == pytest.approx(d1, rel=1e-15)
    # the exact finite-t lower bound E log(tr Σ̂_t/tr Σ₀) ≥ t·λ − log d, one-sided at 4·SE
    t = np.arange(1, 2 * T + 1)
    assert np.all(log_tr.mean(0) + 4 * log_tr.std(0, ddof=1) / np.sqrt(K) >= t * rate - np.log(d))
    # twins: the annealed rate log(E tr ratio)/t; the other estimator's divisor; the mean exponent ρ/d
    other = "unbiased" if estimator == "mle" else "mle"
    twins = [(np.log(th.cov_trace_ratio(n, d, 1, workflow="replace", estimator=estimator)), "annealed rate"),
             (th.trace_log_rate(n, d, estimator=other), "other estimator")]
    if n > d:
        twins.append((th.log_det_decay_rate(n, d, estimator=estimator) / d, "mean exponent"))
    for twin, label in twins:
        assert_disagrees(twin, mean, sem, finite_rtol=0.0, label=label)
