"""The statistical language model (theory.language_model) against exact chains, mpmath, sympy and simulation.

Tolerance of every cross-check (tests/_check.py): |mc − theory| ≤ 4·SE with **no finite-size allowance**
(finite_rtol = 0): S_m (all three workflows), ρ_m and E[T] from :func:`exact_chain` are exact expectations.
The Theorem 1 bounds are checked as bounds (the simulated quantity lies inside them up to 4·SE), the
Wright–Fisher collapse time as an approximation with a measured error band.

SE floor (a named finite-run effect, not an allowance): σ_m and the collapsed indicator lie in [0, 1], so the SD
of their mean over K runs is at most √(S(1 − S)/K) at mean S (Bhatia–Davis). When every run has collapsed
the empirical SE is 0 although S < 1 (probability ρ^K, e.g. 0.47 for ρ = 0.995, K = 150), so the checks of
[0, 1] quantities use SE_eff = max(SE, √(S(1 − S)/K)), S the theory value (:func:`se_eff`).

Power contract of the random cross-checks: the strategies keep only settings where the twin (another
workflow's law at the same setting) is at least 7·√(S(1 − S)/K) away from the truth S, so the twin fails
the 4·SE_eff check there.
"""

from __future__ import annotations

import json
import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from _check import agrees, assert_agrees, assert_disagrees
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import language_model as mc
from model_collapse.theory import InvalidParameterError
from model_collapse.theory import language_model as th

TRIALS = 3000


def printed_theorem2(real: int, synthetic: int, s0: float, m) -> np.ndarray:
    """Theorem 2 (eq. 9) exactly as printed in arXiv:2404.05090 v1: "1 + α − (α/N)β^m" in the last bracket.
    S_{k+1} for k = m − 1 ≥ 1 (the theorem's range)."""
    N = float(real)
    a = synthetic / (real + synthetic)
    b = a * ((1 + 1 / N) * a - 1 / N)
    D = 1 + (1 + 1 / N) * a
    k = np.asarray(m, dtype=float) - 1
    return ((1 / N) * (1 + 2 * a - (1 - 1 / N) * a * b**k) + (1 - 1 / N) * s0 * (1 + a - (a / N) * b**k)) / D


# ---------------------------------------------------------------- closed forms, no simulation


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 10_000), s0=st.floats(0.01, 0.99), m=st.integers(1, 2000))
def test_fully_synthetic_at_N_equals_n_is_theorem_1_as_printed(n, s0, m):
    """N = n: eq. (6) S_m = 1 − (1 − 1/n)^m(1 − S₀), eq. (7) and eq. (8) exactly as printed (support 7)."""
    st_ = 7
    s0 = max(s0, 1 / st_)
    assert th.sq_norm("fully-synthetic", n, n, m, s0) == pytest.approx(1 - (1 - 1 / n) ** m * (1 - s0), rel=1e-13)
    lo, hi = th.collapse_prob_bounds(n, n, m, s0, support=st_)
    assert lo == pytest.approx(max(0.0, 1 - n * (1 - s0) * (1 - 1 / n) ** m), abs=1e-12)
    assert hi == pytest.approx(1 - (1 - s0) / (1 - 1 / st_) * (1 - 1 / n) ** m, rel=1e-12, abs=1e-15)
    tlo, thi = th.collapse_time_bounds(n, n, s0, support=st_)
    assert tlo == pytest.approx(1 + (1 - s0) / (1 - 1 / st_) * (n - 1), rel=1e-13)
    assert thi == pytest.approx(1 + (1 - s0) * n * (n - 1), rel=1e-13)
    assert 0.0 <= lo <= hi <= 1.0 and 1.0 <= tlo <= thi


@settings(max_examples=80, deadline=None)
@given(real=st.integers(1, 5000), synthetic=st.integers(1, 5000), s0=st.floats(1e-3, 1.0), m=st.integers(1, 300))
@example(real=1, synthetic=1, s0=0.5, m=2)
def test_theorem_2_corrected_equals_the_exact_recursion(real, synthetic, s0, m):
    rec = th.partial_recursion(real, synthetic, m, s0)
    closed = th.sq_norm("partially-synthetic", real, synthetic, np.arange(1, m + 1), s0)
    np.testing.assert_allclose(closed, rec, rtol=1e-12, atol=1e-15)
    assert np.all(closed <= th.sq_norm_limit("partially-synthetic", real, synthetic, s0) + 1e-12) or \
        np.all(np.diff(closed) <= 1e-15)  # monotone towards the fixed point from S₁


def test_theorem_2_sympy_derivation_and_the_printed_sign():
    """Symbolically: the recursion S_m = (1 − α²)S₁ + α²/n + β S_{m−1} solves to S* + β^{m−1}(S₁ − S*), which is
    eq. (9) with "+ (α/N)β^m"; the printed "−" differs by 2(1 − 1/N)S₀(α/N)β^m/D ≠ 0. The corrected form also
    gives S₁ at m = 0, the printed one does not."""
    N, n, s0, B = sp.symbols("N n S0 B", positive=True)  # B stands for β^m
    a = n / (N + n)
    beta = a * ((1 + 1 / N) * a - 1 / N)
    assert sp.simplify(beta - a**2 * (1 - 1 / n)) == 0
    s1 = 1 / N + (1 - 1 / N) * s0
    fixed = ((1 - a**2) * s1 + a**2 / n) / (1 - beta)
    recursion_solution = fixed + B * (s1 - fixed)  # S_{m+1} with B = β^m
    D = 1 + (1 + 1 / N) * a

    def eq9(sign):
        return ((1 / N) * (1 + 2 * a - (1 - 1 / N) * a * B) + (1 - 1 / N) * s0 * (1 + a + sign * (a / N) * B)) / D

    assert sp.simplify(eq9(+1) - recursion_solution) == 0
    gap = sp.simplify(eq9(+1) - eq9(-1))
    assert sp.simplify(gap - 2 * (1 - 1 / N) * s0 * (a / N) * B / D) == 0
    # the S₀ (p_i²) bracket of the paper's unsimplified appendix line for ν_i⁽ᵐ⁺¹⁾, before the sign is lost:
    # (1 − 1/N)[(1 − β^{m+1})/(1 − β) − α²(1 − β^m)/(1 − β)]
    appendix_s0 = (1 - 1 / N) * ((1 - beta * B) / (1 - beta) - a**2 * (1 - B) / (1 - beta))
    assert sp.simplify(appendix_s0 - sp.diff(eq9(+1), s0)) == 0
    assert sp.simplify(appendix_s0 - sp.diff(eq9(-1), s0)) != 0
    assert sp.simplify(eq9(+1).subs(B, 1) - s1) == 0
    assert sp.simplify(eq9(-1).subs(B, 1) - s1) != 0
    # the one-step recursion itself, from ‖p⁽ᵐ⁾‖² = (1 − α)²‖p⁽¹⁾‖² + α²‖q̂‖² + 2α(1 − α)⟨p⁽¹⁾, q̂⟩
    prev = sp.symbols("S_prev")
    one_step = (1 - a) ** 2 * s1 + a**2 * (1 / n + (1 - 1 / n) * prev) + 2 * a * (1 - a) * s1
    assert sp.simplify(one_step - ((1 - a**2) * s1 + a**2 / n + beta * prev)) == 0


def test_theorem_1_time_bounds_sympy_series():
    """E[T] bounds = 1 + Σ_{k≥1} (bounds on 1 − ρ_k), summed exactly by sympy for N ≠ n (rational inputs)."""
    k = sp.symbols("k", integer=True, positive=True)
    for N, n, s0, st_ in ((7, 13, sp.Rational(3, 10), 5), (40, 3, sp.Rational(1, 2), 2), (1, 9, sp.Rational(1, 4), 4)):
        def one_minus_S(kk, N=N, n=n, s0=s0):
            return (1 - sp.Rational(1, N)) * (1 - sp.Rational(1, n)) ** (kk - 1) * (1 - s0)

        upper = 1 + N * one_minus_S(1) + sp.summation(n * one_minus_S(k), (k, 2, sp.oo))
        lower = 1 + sp.summation(one_minus_S(k) / (1 - sp.Rational(1, st_)), (k, 1, sp.oo))
        tlo, thi = th.collapse_time_bounds(N, n, float(s0), support=st_)
        assert float(upper) == pytest.approx(thi, rel=1e-14)
        assert float(lower) == pytest.approx(tlo, rel=1e-14)


@settings(max_examples=40, deadline=None)
@given(real=st.integers(1, 5000), synthetic=st.integers(1, 5000), m=st.integers(1, 3000), s0=st.floats(0.0, 0.99))
@example(real=1, synthetic=2, m=2160, s0=0.0)  # scipy's poch (an earlier evaluation) was off by 3e-12 here
@example(real=5000, synthetic=1, m=66, s0=0.5)  # first m of the zeta branch, a = N/n large
def test_accumulate_gamma_form_certified_by_mpmath(real, synthetic, m, s0):
    s0 = max(s0, 1e-3)
    with mpmath.workdps(40):
        N, n = mpmath.mpf(real), mpmath.mpf(synthetic)
        s1 = 1 / N + (1 - 1 / N) * s0
        prod = mpmath.fprod(1 - n / (N + (k - 1) * n) ** 2 for k in range(2, m + 1)) if m > 1 else mpmath.mpf(1)
        ref = float(1 - (1 - s1) * prod)
        lim = float(1 - (1 - s1) * mpmath.gamma(1 + N / n) ** 2 / (mpmath.gamma(1 + N / n - 1 / mpmath.sqrt(n))
                                                                    * mpmath.gamma(1 + N / n + 1 / mpmath.sqrt(n))))
    got = th.sq_norm("accumulate", real, synthetic, m, s0)
    assert got == pytest.approx(ref, rel=1e-13)
    assert th.sq_norm_limit("accumulate", real, synthetic, s0) == pytest.approx(lim, rel=1e-12)
    assert got <= lim * (1 + 1e-12)
    assert lim < 1.0 or real == 1  # a limit below 1 (never collapses) unless the single real token is a Dirac


@settings(max_examples=40, deadline=None)
@given(real=st.integers(1, 200), synthetic=st.integers(1, 200), m=st.integers(1, 150), s0=st.floats(1e-3, 1.0))
def test_pool_recursion_without_subsample_is_the_accumulate_closed_form(real, synthetic, m, s0):
    """The pairwise-collision recursion, run on the whole pool, reproduces the accumulate product; with the
    subsample it lies between accumulate and fully synthetic (measured, not a theorem) and is never 1 unless
    S₁ = 1."""
    gens = np.arange(1, m + 1)
    pooled = th.pool_recursion(real, synthetic, m, s0, subsample=False)
    np.testing.assert_allclose(pooled, th.sq_norm("accumulate", real, synthetic, gens, s0), rtol=1e-12)
    sub = th.sq_norm("accumulate-subsample", real, synthetic, gens, s0)
    assert np.all(sub >= pooled - 1e-12)
    assert np.all(sub <= th.sq_norm("fully-synthetic", real, synthetic, gens, s0) + 1e-12)


def test_accumulate_subsample_pool_recursion_small_cases_by_hand():
    """m = 2 by hand: pool = N real + n from model 1; a uniform distinct pair agrees with probability
    A = [N(N − 1)S₀ + n(n − 1)S₁ + 2Nn·S₁]/(P(P − 1)) (a real/synthetic pair agrees with prob. S₁), and
    S₂ = 1/n + (1 − 1/n)A."""
    N, n, s0 = 7, 4, 0.3
    s1 = 1 / N + (1 - 1 / N) * s0
    P = N + n
    A = (N * (N - 1) * s0 + n * (n - 1) * s1 + 2 * N * n * s1) / (P * (P - 1))
    assert th.sq_norm("accumulate-subsample", N, n, 2, s0) == pytest.approx(1 / n + (1 - 1 / n) * A, rel=1e-14)
    with pytest.raises(InvalidParameterError, match="'workflow' parameter of sq_norm_limit"):
        th.sq_norm_limit("accumulate-subsample", N, n, s0)
    with pytest.raises(InvalidParameterError, match="'t' parameter of sq_norm"):
        th.sq_norm("accumulate-subsample", N, n, th.MAX_POOL_GENERATIONS + 1, s0)


@settings(max_examples=30, deadline=None)
@given(real=st.integers(1, 100), synthetic=st.integers(1, 100), m=st.integers(1, 80), s0=st.floats(1e-3, 1.0),
       window=st.integers(1, 6))
def test_gram_recursion_special_cases(real, synthetic, m, s0, window):
    """recent-window with K = 1 is fully synthetic; with K ≥ m it never drops model 0 (the truth), so every
    generation fits fresh real tokens too and S_m stays below the fully synthetic value; random-past lies
    below fully synthetic as well (its mixture always contains p)."""
    gens = np.arange(1, m + 1)
    full = th.sq_norm("fully-synthetic", real, synthetic, gens, s0)
    np.testing.assert_allclose(th.sq_norm("recent-window", real, synthetic, gens, s0, window=1), full, rtol=1e-12)
    assert np.all(th.sq_norm("recent-window", real, synthetic, gens, s0, window=window) <= full + 1e-12)
    assert np.all(th.sq_norm("random-past", real, synthetic, gens, s0) <= full + 1e-12)


@pytest.mark.parametrize("n", [1, 3, 10, 57])
def test_random_past_equals_accumulate_at_N_equals_n(n):
    """Observed (not derived here): at N = n the random-past S_m equals the accumulate S_m at every m (to
    rounding, 1.6e-15 relative over n ∈ {1, 2, 3, 10, 57}, S₀ ∈ {0.05, 0.5, 0.9}, m < 300)."""
    m = np.arange(1, 300)
    np.testing.assert_allclose(th.sq_norm("random-past", n, n, m, 0.3), th.sq_norm("accumulate", n, n, m, 0.3),
                               rtol=1e-13)
    assert abs(th.sq_norm("random-past", 5, 20, 50, 0.3) - th.sq_norm("accumulate", 5, 20, 50, 0.3)) > 0.05


def test_gram_recursion_by_hand_at_generation_2():
    """m = 2 by hand. recent-window, K ≥ 2: n fresh tokens from p and n from p⁽¹⁾, so
    S₂ = (1/4)[2/n + (1 − 1/n)(S₀ + S₁) + 2S₀]; random-past: n tokens from (p + p⁽¹⁾)/2, so
    S₂ = 1/n + (1 − 1/n)(S₀ + 2S₀ + S₁)/4."""
    N, n, s0 = 6, 4, 0.3
    s1 = 1 / N + (1 - 1 / N) * s0
    rw = (2 / n + (1 - 1 / n) * (s0 + s1) + 2 * s0) / 4
    assert th.sq_norm("recent-window", N, n, 2, s0, window=2) == pytest.approx(rw, rel=1e-14)
    rp = 1 / n + (1 - 1 / n) * (3 * s0 + s1) / 4
    assert th.sq_norm("random-past", N, n, 2, s0) == pytest.approx(rp, rel=1e-14)
    with pytest.raises(InvalidParameterError, match="'window' parameter of predict"):
        th.predict("recent-window", N, n, 2, s0)


@pytest.mark.parametrize("workflow,window", [("recent-window", 2), ("recent-window", 5), ("random-past", None)])
def test_fig6_variants_match_simulation_and_twins_fail(workflow, window):
    """The paper's Fig. 6 variants at its law (s = 600, s̃ = 52, S₀ = 0.1) with n = 10 in total per generation
    (⌊10/K⌋ per model), 60 generations; the twin is the fully synthetic law (window 1)."""
    k = 10 // window if window else 10
    gens = np.arange(1, 61)
    est = mc.simulate(workflow, k, k, np.arange(1, 60 + 1), 0.1, 52, 600, window=window, n_trials=600, seed=17)
    truth = th.sq_norm(workflow, k, k, gens, 0.1, window=window)
    e = est.sq_norm
    assert_agrees(truth, e.mean, se_eff(e.sem, truth, 600), finite_rtol=0.0, label=f"{workflow} K={window}")
    twin = th.sq_norm("fully-synthetic", k, k, gens, 0.1)
    assert_disagrees(twin, e.mean, se_eff(e.sem, truth, 600), finite_rtol=0.0, label="fully synthetic law")


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_accumulate_limit_at_N_equals_n_is_the_sine_product(n):
    x = 1 / math.sqrt(n)
    factor = 1.0 if n == 1 else math.sin(math.pi * x) / (math.pi * x * (1 - x * x))
    s0 = 0.2
    s1 = 1 / n + (1 - 1 / n) * s0
    assert th.sq_norm_limit("accumulate", n, n, s0) == pytest.approx(1 - (1 - s1) * factor, rel=1e-13)


def test_limits_of_the_three_workflows():
    assert th.sq_norm_limit("fully-synthetic", 10, 10, 0.1) == 1.0
    far = th.sq_norm("partially-synthetic", 100, 1000, 10_000, 0.1)
    assert far == pytest.approx(th.sq_norm_limit("partially-synthetic", 100, 1000, 0.1), rel=1e-14)
    # The paper's remark for n ≫ N (α, β → 1 at fixed m): S ≈ 1/N + (2 + 1/N)⁻¹(1 − 1/N)(2 − 1/N)S₀. That is the
    # printed "−" sign's limit, and it lies BELOW S₁, which is impossible: with n → ∞ the synthetic sample is the
    # previous model itself, so p⁽ᵐ⁾ → p⁽¹⁾ and S_m → S₁, the corrected sign's limit.
    N, s0 = 100, 0.1
    s1 = 1 / N + (1 - 1 / N) * s0
    remark = 1 / N + (1 - 1 / N) * (2 - 1 / N) * s0 / (2 + 1 / N)
    assert float(printed_theorem2(N, 10**12, s0, 5)) == pytest.approx(remark, rel=1e-9)
    assert th.sq_norm("partially-synthetic", N, 10**12, 5, s0) == pytest.approx(s1, rel=1e-9)
    assert remark < s1
    # and m → ∞ after n → ∞: (2S₁ + 1/N)/(2 + 1/N)
    assert th.sq_norm_limit("partially-synthetic", N, 10**9, s0) == pytest.approx((2 * s1 + 1 / N) / (2 + 1 / N),
                                                                                  rel=1e-6)
    assert th.sq_norm("accumulate", 10, 10, 10**7, 0.1) == pytest.approx(th.sq_norm_limit("accumulate", 10, 10, 0.1),
                                                                        rel=1e-7)


# ---------------------------------------------------------------- the exact chain


def exact_chain_mpmath(p, n: int, dps: int = 30):
    """Independent reference: s̃ = 2 chain (states = count of token 1), N = n, solved in mpmath."""
    with mpmath.workdps(dps):
        p1 = mpmath.mpf(p[0]) / (mpmath.mpf(p[0]) + mpmath.mpf(p[1]))

        def row(x):
            f = mpmath.mpf(x) / n
            return [mpmath.binomial(n, y) * f**y * (1 - f) ** (n - y) for y in range(n + 1)]

        inner = list(range(1, n))
        A = mpmath.matrix(len(inner), len(inner))
        for i, x in enumerate(inner):
            r = row(x)
            for j, y in enumerate(inner):
                A[i, j] = (1 if i == j else 0) - r[y]
        h = mpmath.lu_solve(A, mpmath.matrix([1] * len(inner)))
        first = [mpmath.binomial(n, z) * p1**z * (1 - p1) ** (n - z) for z in range(n + 1)]
        time = 1 + mpmath.fsum(first[z] * h[z - 1] for z in inner)
        return float(time), float(first[0] + first[n])


@pytest.mark.parametrize("n,p", [(2, (0.5, 0.5)), (6, (0.7, 0.3)), (15, (0.5, 0.5)), (30, (0.9, 0.1))])
def test_exact_chain_certified_by_mpmath(n, p):
    ref_time, ref_rho1 = exact_chain_mpmath(p, n)
    ec = th.exact_chain(np.array(p), n, n, 1)
    assert ec.collapse_time == pytest.approx(ref_time, rel=1e-11)
    assert ec.collapse_prob[0] == pytest.approx(ref_rho1, rel=1e-12)


@pytest.mark.parametrize("p,real,synthetic", [((0.5, 0.3, 0.2), 10, 10), ((0.5, 0.3, 0.2, 0.0), 5, 12),
                                              ((1, 1, 1, 1), 12, 8), ((0.9, 0.1), 40, 3)])
def test_exact_chain_obeys_theorem_1_and_proposition_1(p, real, synthetic):
    p = np.array(p, dtype=float)
    q = p / p.sum()
    s0, support = float(q @ q), int(np.count_nonzero(q))
    m = np.arange(1, 60)
    ec = th.exact_chain(p, real, synthetic, m)
    np.testing.assert_allclose(ec.sq_norm, th.sq_norm("fully-synthetic", real, synthetic, m, s0), rtol=1e-12)
    np.testing.assert_allclose(ec.absorption, th.absorption_probabilities(p), atol=1e-12)
    lo, hi = th.collapse_prob_bounds(real, synthetic, m, s0, support=support)
    assert np.all(lo <= ec.collapse_prob + 1e-12) and np.all(ec.collapse_prob <= hi + 1e-12)
    tlo, thi = th.collapse_time_bounds(real, synthetic, s0, support=support)
    assert tlo <= ec.collapse_time <= thi


WF_CASES = [(p, n) for p in [(1, 1), (0.9, 0.1), (1, 1, 1), (0.6, 0.3, 0.1), (0.4, 0.3, 0.2, 0.1)]
            for n in (5, 20, 60) if math.comb(n + len(p) - 1, len(p) - 1) <= th.MAX_STATES]


@pytest.mark.parametrize("p,n", [
    pytest.param(p, n, marks=[pytest.mark.slow] if math.comb(n + len(p) - 1, len(p) - 1) > 300 else [])
    for p, n in WF_CASES])
def test_wright_fisher_is_an_approximation_with_a_measured_error(p, n):
    """WF overestimates the exact E[T] by 0.4 to 2.6 generations for n = 5..500 (docs/lm.md): here
    0 < WF − exact < 0.6 + 0.4·ln n. It is not exact (see the twin in the simulation section)."""
    p = np.array(p, dtype=float)
    exact = th.exact_chain(p, n, n).collapse_time
    wf = th.collapse_time_wright_fisher(p, n, n)
    assert 0 < wf - exact < 0.6 + 0.4 * math.log(n)


def test_exact_chain_refuses_a_lattice_that_is_too_large():
    with pytest.raises(InvalidParameterError, match="'synthetic' parameter of exact_chain"):
        th.exact_chain(np.ones(10), 5, 100)
    assert th.exact_chain(np.array([0, 1.0, 0]), 5, 5).collapse_time == 1.0


# ---------------------------------------------------------------- theory against simulation


@st.composite
def powered_settings(draw):
    """(workflow, N, n, m, S₀, support) where the twin law is ≥ 7 SE bounds from the truth (module docstring)."""
    workflow = draw(st.sampled_from(th.WORKFLOWS))
    real = draw(st.integers(1, 30))
    synthetic = draw(st.integers(1, 30))
    m = draw(st.integers(2, 12))
    support = draw(st.integers(2, 12))
    s0 = draw(st.floats(1.0 / support, 0.9))
    return workflow, real, synthetic, m, s0, support


def twin_workflow(workflow: str) -> str:
    return {"fully-synthetic": "partially-synthetic", "partially-synthetic": "accumulate",
            "accumulate": "partially-synthetic", "accumulate-subsample": "accumulate",
            "recent-window": "fully-synthetic", "random-past": "accumulate"}[workflow]


WINDOW = 3  # the window of the recent-window cases drawn by powered_settings


def sd_bound(s: float, trials: int) -> float:
    return math.sqrt(max(s * (1 - s), 1e-12) / trials)


def se_eff(se, s, trials: int):
    """SE floored at the Bhatia–Davis bound √(S(1 − S)/K) of a [0, 1] variable with mean S (module docstring)."""
    s = np.asarray(s, dtype=float)
    return np.maximum(se, np.sqrt(np.clip(s * (1 - s), 0.0, None) / trials))


@settings(max_examples=12, deadline=None)
@given(setting=powered_settings())
@example(setting=("fully-synthetic", 1, 1, 2, 0.5, 2))
@example(setting=("accumulate", 30, 2, 12, 0.2, 10))
def test_sq_norm_matches_simulation_and_the_twin_fails(setting):
    workflow, real, synthetic, m, s0, support = setting
    gens = np.arange(1, m + 1)
    truth = th.sq_norm(workflow, real, synthetic, gens, s0, window=WINDOW)
    twin = th.sq_norm(twin_workflow(workflow), real, synthetic, m, s0)
    assume(abs(twin - truth[-1]) >= 7 * sd_bound(truth[-1], TRIALS))
    est = mc.simulate(
        workflow, real, synthetic, np.arange(1, m + 1), s0, support, window=WINDOW, n_trials=TRIALS, seed=1)
    e = est.sq_norm
    assert_agrees(truth, e.mean, se_eff(e.sem, truth, TRIALS), finite_rtol=0.0, label=f"S_m {setting}")
    assert_disagrees(twin, e.mean[-1], se_eff(e.sem[-1], truth[-1], TRIALS), finite_rtol=0.0,
                     label=f"{twin_workflow(workflow)} law")


@pytest.fixture(scope="module")
def partial_small():
    """N = 3, n = 6, S₀ = 0.6 on two tokens: the setting where the printed sign is most visible."""
    return mc.simulate("partially-synthetic", 3, 6, np.arange(1, 4 + 1), 0.6, 2, n_trials=8000, seed=11)


def test_theorem_2_printed_sign_fails_and_corrected_sign_passes(partial_small):
    e = partial_small.sq_norm
    m = np.arange(2, 5)  # Theorem 2's range: S_{m+1}, m ≥ 1
    corrected = th.sq_norm("partially-synthetic", 3, 6, m, 0.6)
    printed = printed_theorem2(3, 6, 0.6, m)
    assert_agrees(corrected, e.mean[1:], e.sem[1:], finite_rtol=0.0, label="Theorem 2, '+' sign")
    assert_disagrees(printed, e.mean[1:], e.sem[1:], finite_rtol=0.0, label="Theorem 2 as printed ('−' sign)")
    assert not agrees(printed[0], e.mean[1], e.sem[1], finite_rtol=0.0)  # already at S₂


def test_theorem_2_printed_sign_fails_at_the_papers_scale():
    """N = 100 real tokens (the paper's Fig. 3), n = 100, S₀ = 0.5: the gap at S₂ is 0.16 % of S₂, yet 20,000
    runs resolve it (measured: simulated 0.506265 ± 0.000062, "+" 0.506238 (z = 0.45), "−" 0.505423 (z = 13.6))."""
    est = mc.simulate("partially-synthetic", 100, 100, np.arange(1, 2 + 1), 0.5, 2, n_trials=20_000, seed=12).sq_norm
    corrected = th.sq_norm("partially-synthetic", 100, 100, 2, 0.5)
    printed = float(printed_theorem2(100, 100, 0.5, 2))
    assert_agrees(corrected, est.mean[1], est.sem[1], finite_rtol=0.0, label="'+' at N = n = 100")
    assert_disagrees(printed, est.mean[1], est.sem[1], finite_rtol=0.0, label="'−' at N = n = 100")


@pytest.fixture(scope="module")
def small_chain():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    return p, mc.trajectories(p, 6, 8, 40, n_trials=20_000, seed=13)


def test_exact_collapse_probability_time_and_absorption_match_simulation(small_chain):
    p, tr = small_chain
    gens = np.arange(1, 41)
    ec = th.exact_chain(p, 6, 8, gens)
    rho = tr["collapsed"].mean(axis=0)
    rho_se = tr["collapsed"].std(axis=0, ddof=1) / math.sqrt(len(tr["collapsed"]))
    assert_agrees(ec.collapse_prob, rho, rho_se, finite_rtol=0.0, atol=1e-12, label="rho_m exact chain")
    T = tr["collapse_time"].astype(float)
    assert not tr["censored"].any()
    assert_agrees(ec.collapse_time, T.mean(), T.std(ddof=1) / math.sqrt(T.size), finite_rtol=0.0, label="E[T]")
    hits = np.stack([tr["token"] == i for i in range(p.size)], axis=1).astype(float)
    assert_agrees(th.absorption_probabilities(p), hits.mean(axis=0),
                  hits.std(axis=0, ddof=1) / math.sqrt(T.size), finite_rtol=0.0, atol=1e-12, label="Proposition 1")
    # twins: the Wright–Fisher approximation is not exact; the paper's bounds are not the value
    wf = th.collapse_time_wright_fisher(p, 6, 8)
    assert_disagrees(wf, T.mean(), T.std(ddof=1) / math.sqrt(T.size), finite_rtol=0.0, label="WF as if exact")
    lo, hi = th.collapse_time_bounds(6, 8, float(p @ p), support=3)
    assert lo < T.mean() < hi
    uniform = np.ones(3) / 3  # absorption at 1/s̃ each instead of p_i
    assert_disagrees(uniform, hits.mean(axis=0)[:3], hits.std(axis=0, ddof=1)[:3] / math.sqrt(T.size),
                     finite_rtol=0.0, label="uniform absorption")


def test_bounds_hold_on_every_simulated_run_set():
    """Fully synthetic, the paper's law (s = 600, s̃ = 52, S₀ = 0.1), N ≠ n: simulated ρ_m and E[T] lie inside
    the Theorem 1 bounds (up to 4 SE) at every generation, for three seeds; S_m agrees exactly."""
    gens = np.arange(1, 121)
    for seed in range(3):
        est = mc.simulate("fully-synthetic", 30, 20, np.arange(1, 120 + 1), 0.1, 52, 600, n_trials=150, seed=seed)
        lo, hi = th.collapse_prob_bounds(30, 20, gens, 0.1, 52, 600)
        rho = est.collapse_prob
        assert np.all(rho.mean >= lo - 4 * se_eff(rho.sem, lo, 150))
        assert np.all(rho.mean <= hi + 4 * se_eff(rho.sem, hi, 150))
        T = est.collapse_time
        tlo, thi = th.collapse_time_bounds(30, 20, 0.1, 52, 600)
        assert tlo - 4 * T.sem <= T.mean <= thi + 4 * T.sem
        s_m = th.sq_norm("fully-synthetic", 30, 20, gens, 0.1)
        assert_agrees(s_m, est.sq_norm.mean, se_eff(est.sq_norm.sem, s_m, 150), finite_rtol=0.0,
                      label=f"S_m seed {seed}")


@pytest.fixture(scope="module")
def fully_N_ne_n():
    return mc.simulate("fully-synthetic", 4, 30, np.arange(1, 15 + 1), 0.3, 6, n_trials=6000, seed=14)


def test_twin_theorem_1_with_N_equal_n_fails_when_N_differs(fully_N_ne_n):
    """The paper's eq. (6) read with n for the real-data generation (N = n assumed) against N = 4, n = 30."""
    m = np.arange(1, 16)
    e = fully_N_ne_n.sq_norm
    assert_agrees(th.sq_norm("fully-synthetic", 4, 30, m, 0.3), e.mean, e.sem, finite_rtol=0.0)
    assert_disagrees(th.sq_norm("fully-synthetic", 30, 30, m, 0.3), e.mean, e.sem, finite_rtol=0.0,
                     label="N = n assumed")


def test_twin_alpha_swapped_fails(partial_small):
    """α = N/(N + n) instead of n/(N + n) (real and synthetic counts exchanged in Theorem 2)."""
    e = partial_small.sq_norm
    m = np.arange(2, 5)
    assert_disagrees(th.sq_norm("partially-synthetic", 6, 3, m, 0.6), e.mean[1:], e.sem[1:], finite_rtol=0.0,
                     label="alpha swapped")


def test_accumulate_terminates_and_never_collapses():
    """The accumulate chain runs exactly the requested generations (no collapse loop), keeps S_m below its
    limit < 1, and its runs are never Dirac (p⁽¹⁾ has two tokens with probability ≈ 1 here)."""
    est = mc.simulate("accumulate", 50, 5, np.arange(1, 400 + 1), 0.3, 4, n_trials=200, seed=15)
    assert est.collapse_time is None and est.censored == 0
    assert est.sq_norm.mean.shape == (400,)
    lim = th.sq_norm_limit("accumulate", 50, 5, 0.3)
    assert_agrees(th.sq_norm("accumulate", 50, 5, np.arange(1, 401), 0.3), est.sq_norm.mean, est.sq_norm.sem,
                  finite_rtol=0.0)
    assert est.sq_norm.mean[-1] < lim + 4 * est.sq_norm.sem[-1] < 1.0


def test_variant_runs_are_reproducible():
    p = mc.law(0.2, 8, 20)
    for wf in ("recent-window", "random-past"):
        a = mc.trajectories(p, 5, 4, 15, workflow=wf, window=3, n_trials=6, seed=8)
        b = mc.trajectories(p, 5, 4, 25, workflow=wf, window=3, n_trials=4, seed=8)
        assert np.array_equal(a["sq_norm"][:4], b["sq_norm"][:, :15]) and a["collapse_time"] is None
    with pytest.raises(InvalidParameterError, match="'window' parameter of trajectories"):
        mc.trajectories(p, 5, 4, 15, workflow="recent-window")


def test_accumulate_subsample_matches_its_pool_recursion_and_not_accumulate():
    est = mc.simulate("accumulate-subsample", 7, 3, np.arange(1, 20 + 1), 0.2, 8, n_trials=1500, seed=16)
    gens = np.arange(1, 21)
    truth = th.sq_norm("accumulate-subsample", 7, 3, gens, 0.2)
    e = est.sq_norm
    assert_agrees(truth, e.mean, se_eff(e.sem, truth, 1500), finite_rtol=0.0, label="accumulate-subsample")
    assert_disagrees(th.sq_norm("accumulate", 7, 3, gens[1:], 0.2), e.mean[1:], e.sem[1:], finite_rtol=0.0,
                     label="accumulate law for the subsample")
    assert est.collapse_time is None and est.absorption is None


def test_collapse_time_run_stops_at_max_generations():
    with pytest.warns(UserWarning, match="had not collapsed by max_generations = 30"):
        est = mc.simulate(
            "fully-synthetic", 200, 200, np.arange(1, 10 + 1), 0.1, 20, n_trials=5, seed=2, max_generations=30)
    assert est.censored == 5 and est.collapse_time.mean == 30.0


def test_theorem_3_bound_holds_on_simulations_and_eq_11_is_logarithmic():
    """Theorem 3 (unconfirmed constants, see deviation_bound) is a bound: simulated E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ lies below it
    at every m ≥ 2, including N = 10⁶, n = 5, s = 600 where it is informative (0.093); eq. 11 grows by
    2π/e² per factor e in N (logarithmic)."""
    for real, synthetic, s0, support, vocab in ((10**6, 5, 0.1, 52, 600), (100, 3, 0.3, 5, 5)):
        est = mc.simulate(
            "partially-synthetic", real, synthetic, np.arange(1, 15 + 1), s0, support, vocab, n_trials=200, seed=18)
        bound = th.deviation_bound(real, synthetic, vocab)
        dev = est.deviation
        assert np.all(dev.mean[1:] + 4 * dev.sem[1:] < bound)
    assert th.deviation_bound(100, 10**4, 600) == math.inf or th.deviation_bound(100, 10**4, 600) > 1e100
    big = int(round(10**8 * math.e))
    n1, n2 = (th.max_synthetic(x, 600, 0.1, form="printed") for x in (10**8, big))
    assert n2 - n1 == pytest.approx(2 * math.pi / math.e**2 * math.log(big / 10**8), rel=1e-9)
    assert th.max_synthetic(100, 600, 0.1, form="printed") == 0.0
    for form in ("theorem3", "printed"):  # the s − 2 branch: the first case's own condition C₀n/e + 2 ≤ s
        assert th.max_synthetic(10**15, 5, 0.1, form=form) == pytest.approx(2 * math.pi / math.e**2 * 3, rel=1e-12)


# Eq. 11 against Theorem 3: the first case of the bound, (1/N)√(πn/2)·C₁s·e^{C₀n/(2e)} ≤ ε, C₀/(2e) = e²/(4π),
# solves to n ≤ (4π/e²)·log(√2·π·Nε/(6es√n)); eq. 11 prints (2π/e²)·log(√(2π)Nε/(6es)).
EQ11_CASES = [(10**6, 600, 0.1), (10**8, 600, 0.1), (10**12, 600, 0.01), (10**15, 2000, 0.5), (10**5, 600, 1.0)]


def _first_case_bound_mp(real, n, vocab):
    c0, c1 = mpmath.e**3 / (2 * mpmath.pi), 6 * mpmath.e / mpmath.pi**1.5
    return mpmath.sqrt(mpmath.pi * n / 2) * c1 * vocab * mpmath.exp(c0 * n / (2 * mpmath.e)) / real


@pytest.mark.parametrize("real,vocab,eps", EQ11_CASES)
def test_max_synthetic_is_where_theorem_3_reaches_eps(real, vocab, eps):
    """Default form: at n* Theorem 3's bound equals ε (mpmath, 40 digits, to 1e-12); at the integers around n* it is
    below and above ε (deviation_bound); eq. 11 as printed keeps the bound below ε (valid) with about half the
    synthetic data (ratio 1.85 at N = 10⁶, → 2 as N → ∞, the coefficients 4π/e² : 2π/e²)."""
    n_star = th.max_synthetic(real, vocab, eps)
    printed = th.max_synthetic(real, vocab, eps, form="printed")
    assert 0 < n_star < 2 * math.pi / math.e**2 * (vocab - 2)
    with mpmath.workdps(40):
        assert abs(_first_case_bound_mp(real, mpmath.mpf(n_star), vocab) / eps - 1) < 1e-12
        assert _first_case_bound_mp(real, mpmath.mpf(printed), vocab) < eps
    if n_star >= 1:
        assert th.deviation_bound(real, math.floor(n_star), vocab) <= eps < th.deviation_bound(real, math.ceil(n_star),
                                                                                               vocab)
    assert 1.3 < n_star / printed < 2.0 if printed > 1 else printed < n_star
    if (real, vocab, eps) == (10**6, 600, 0.1):
        assert (round(n_star, 2), round(printed, 2)) == (5.10, 2.76)


@pytest.mark.parametrize("real,vocab,eps", [c for c in EQ11_CASES if c[0] >= 10**6])
def test_twin_eq_11_coefficient_fixed_but_argument_as_printed_violates_theorem_3(real, vocab, eps):
    """The half-corrected reading n = (4π/e²)·log(√(2π)Nε/(6es)) (coefficient of Theorem 3, the printed argument
    without √n and with √(2π) for √2·π) overshoots n* whenever n* > π: the bound there exceeds ε, so the same check
    that the two forms pass fails."""
    twin = 4 * math.pi / math.e**2 * math.log(math.sqrt(2 * math.pi) * real * eps / (6 * math.e * vocab))
    with mpmath.workdps(40):
        assert _first_case_bound_mp(real, mpmath.mpf(twin), vocab) > eps


def test_eq_11_amount_against_the_exact_chain():
    """At n = ⌊n*⌋ = 5 (N = 10⁶, s = 600, s̃ = 52, S₀ = 0.1, ε = 0.1) the drift of the real chain is far below ε:
    exactly, E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂² = S_m − S₁ (E[p⁽ᵐ⁾ | p⁽¹⁾] = p⁽¹⁾), so E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ ≤ √(s̃(S_m − S₁)) (Cauchy–Schwarz
    and Jensen on the s̃-token support); simulation lies below that exact-chain bound. Both readings of eq. 11 are
    therefore valid here; the chain cannot tell them apart (Theorem 3 is loose by ~10³), which is why the constant
    is settled against Theorem 3 itself (above)."""
    real, vocab, support, s0, eps = 10**6, 600, 52, 0.1, 0.1
    n = math.floor(th.max_synthetic(real, vocab, eps))
    m = np.arange(1, 12 + 1)
    s_m = np.asarray(th.sq_norm("partially-synthetic", real, n, m, s0))
    chain_bound = np.sqrt(support * (s_m - s_m[0]))
    assert np.all(chain_bound[1:] < eps / 100)
    est = mc.simulate("partially-synthetic", real, n, m, s0, support, vocab, n_trials=200, seed=21)
    assert np.all(est.deviation.mean[1:] - 4 * est.deviation.sem[1:] <= chain_bound[1:])
    assert np.all(est.deviation.mean[1:] < th.deviation_bound(real, n, vocab))


# ---------------------------------------------------------------- simulator mechanics


def test_reproducible_independent_of_batching_and_of_the_horizon(monkeypatch):
    p = mc.law(0.2, 8, 20)
    s1 = mc.trajectories(p, 10, 7, 12, workflow="accumulate-subsample", n_trials=5, seed=5)
    s2 = mc.trajectories(p, 10, 7, 20, workflow="accumulate-subsample", n_trials=3, seed=5)
    assert np.array_equal(s1["sq_norm"][:3], s2["sq_norm"][:, :12])
    a = mc.trajectories(p, 10, 7, 12, n_trials=9, seed=5)
    b = mc.trajectories(p, 10, 7, 12, n_trials=9, seed=5)
    monkeypatch.setattr(mc, "_BATCH_TOKENS", 1)  # one run per batch
    c = mc.trajectories(p, 10, 7, 12, n_trials=4, seed=5)
    d = mc.trajectories(p, 10, 7, 30, n_trials=9, seed=5)  # a longer horizon extends the shorter one
    for key in ("sq_norm", "deviation", "collapsed"):
        assert np.array_equal(a[key], b[key]) and np.array_equal(a[key][:4], c[key])
        assert np.array_equal(a[key], d[key][:, :12])
    assert np.array_equal(a["collapse_time"], d["collapse_time"])
    ss = np.random.SeedSequence(5)
    assert np.array_equal(mc.trajectories(p, 10, 7, 12, n_trials=9, seed=ss)["sq_norm"], a["sq_norm"])


def test_canonical_law_has_the_requested_sq_norm():
    for s0, support, vocab in ((0.1, 52, 600), (1 / 7, 7, None), (0.99, 3, 5), (1.0, 1, 4), (0.5, None, 10)):
        p = mc.law(s0, support, vocab)
        assert p @ p == pytest.approx(s0, rel=1e-12)
        assert p.size == (vocab or support) and np.count_nonzero(p) == (support or vocab)
        assert np.all(np.diff(p) <= 0)


def test_kept_models_are_the_laws_behind_the_metrics():
    p = np.array([0.5, 0.0, 0.3, 0.2])
    tr = mc.trajectories(p, 6, 5, 12, n_trials=20, seed=4, keep_models=True)
    models = tr["models"]
    assert models.shape == (20, 12, 4) and np.all(models[:, :, 1] == 0)
    np.testing.assert_allclose(models.sum(axis=2), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.sum(models**2, axis=2), tr["sq_norm"], rtol=1e-13)
    assert np.array_equal(mc.trajectories(p, 6, 5, 12, n_trials=20, seed=4)["sq_norm"], tr["sq_norm"])
    with pytest.raises(InvalidParameterError, match="'keep_models'"):
        mc.trajectories(p, 6, 5, 12, workflow="random-past", keep_models=True)


def test_collapsed_runs_stay_frozen():
    tr = mc.trajectories(np.array([0.5, 0.5]), 3, 2, 30, n_trials=50, seed=3)
    col = tr["collapsed"]
    assert np.all(col[:, 1:] >= col[:, :-1])  # once collapsed, always collapsed
    assert np.all(tr["sq_norm"][col] == 1.0)


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize("kwargs,name", [
    (dict(workflow="replace"), "workflow"),
    (dict(real=0), "real"),
    (dict(synthetic=-1), "synthetic"),
    (dict(t=0), "t"),
    (dict(s0=1.5), "s0"),
    (dict(s0=0.05), "s0"),  # below 1/support = 0.1
    (dict(s0=1.0), "s0"),  # a Dirac mass cannot have 10 tokens
    (dict(support=20, vocab=10), "support"),
])
def test_invalid_input_names_the_parameter(kwargs, name):
    base = dict(workflow="fully-synthetic", real=10, synthetic=10, t=3, s0=0.3, support=10)
    for fn in (th.predict, mc.simulate):
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            fn(**{**base, **kwargs})


def test_dirac_law_warns_and_is_collapsed_from_generation_one():
    with pytest.warns(UserWarning, match="Dirac"):
        pred = th.predict("fully-synthetic", 5, 5, 1, 1.0, support=1)
    assert pred.sq_norm == 1.0 and pred.collapse_prob_lower == 1.0 and pred.collapse_time_upper == 1.0


def test_prediction_fields_and_estimate_fields_mirror():
    pred = th.predict("fully-synthetic", 10, 10, np.arange(1, 4), 0.3, support=5)
    est = mc.simulate("fully-synthetic", 10, 10, np.arange(1, 3 + 1), 0.3, support=5, n_trials=20)
    # the simulated twin of S_m has the same name; the collapse probability and time are simulated diagnostics
    # (the theory gives their Theorem 1 bounds)
    assert list(pred.as_dict()) == ["sq_norm", "collapse_prob_lower", "collapse_prob_upper", "collapse_time_lower",
                                    "collapse_time_upper"]
    assert list(est.as_dict()) == ["sq_norm", "collapse_prob", "collapse_time", "deviation"]
    assert list(th.predict("accumulate", 10, 10, 3, 0.3).as_dict()) == ["sq_norm"]
    json.dumps(pred.as_dict())
    json.dumps(est.as_dict())


def test_registry_reference_setting_agrees_and_perturbed_fails():
    """The registry line (docs/lm.md): reference, K = 2000 runs, allowance 0; perturbed = α swapped."""
    ref = dict(workflow="partially-synthetic", real=10, synthetic=40, t=6, s0=0.1, support=20, vocab=50)
    est = mc.simulate(**ref, n_trials=2000, seed=0).as_dict()
    good = th.predict(**ref).as_dict()
    bad = th.predict(**{**ref, "real": ref["synthetic"], "synthetic": ref["real"]}).as_dict()
    for key in good:
        assert agrees(good[key], est[key]["mean"], est[key]["se"], finite_rtol=0.0)
        assert not agrees(bad[key], est[key]["mean"], est[key]["se"], finite_rtol=0.0)


# ---------------------------------------------------------------- real text: character n-gram model


@pytest.fixture(scope="module")
def trigram_table():
    return mc.ngram_table(order=2)


def test_ngram_table_counts_the_training_text(trigram_table):
    text = mc.default_text()
    tab = trigram_table
    cut = int(round(0.9 * len(text)))
    assert tab.counts.sum() == cut - 2 and len(tab.alphabet) == len(set(text))
    assert tab.counts.shape[0] == len({text[i : i + 2] for i in range(cut - 2)})
    assert np.all(tab.counts.sum(axis=1) > 0) and tab.held_token.size == tab.held_context.size > 0
    small = mc.ngram_table("abracadabra " * 20, order=1)
    assert small.counts.shape == (len(set("abracadabra ")), len(set("abracadabra ")))
    with pytest.raises(InvalidParameterError, match="'text' parameter of ngram_table"):
        mc.ngram_table("short", order=2)


@pytest.mark.parametrize("workflow", ["fully-synthetic", "partially-synthetic", "accumulate"])
def test_ngram_weighted_sq_norm_is_exact(trigram_table, workflow):
    """Σ_j w_j E[‖p_j⁽ᵐ⁾‖² | real text] = Σ_j w_j·sq_norm_given_first (no allowance), 30 runs × 8 generations."""
    e = mc.ngram_experiment(trigram_table, t=8, workflow=workflow, n_trials=30, seed=19)
    gens = np.arange(1, 9)
    w = e.real_counts / e.real_counts.sum()
    theory = sum(w[k] * th.sq_norm_given_first(workflow, int(e.real_counts[k]), int(e.synthetic_counts[k]), gens,
                                               float(e.first_sq_norms[k])) for k in range(w.size))
    assert theory[0] == pytest.approx(e.sq_norm.mean[0], rel=1e-12)  # generation 1 is the real-text model
    assert_agrees(theory[1:], e.sq_norm.mean[1:], e.sq_norm.sem[1:], finite_rtol=0.0, label=f"n-gram {workflow}")
    if workflow == "fully-synthetic":  # twin: the partially synthetic law
        twin = sum(w[k] * th.sq_norm_given_first("partially-synthetic", int(e.real_counts[k]),
                                                 int(e.synthetic_counts[k]), gens, float(e.first_sq_norms[k]))
                   for k in range(w.size))
        assert_disagrees(twin[1:], e.sq_norm.mean[1:], e.sq_norm.sem[1:], finite_rtol=0.0, label="partial law")


def test_ngram_tails_disappear_first_and_real_data_keeps_the_loss(trigram_table):
    full = mc.ngram_experiment(trigram_table, t=12, n_trials=3, seed=20)
    part = mc.ngram_experiment(trigram_table, t=12, workflow="partially-synthetic", n_trials=3, seed=20)
    lost = full.lost_by_count.mean[:, -1]
    assert np.all(np.diff(lost) < 0) and lost[0] > 0.5 and lost[-1] == 0.0  # rare pairs first, frequent never
    assert full.heldout_loss.mean[-1] > full.heldout_loss.mean[0] + 0.1
    assert abs(part.heldout_loss.mean[-1] - part.heldout_loss.mean[0]) < 0.05 and part.types_lost.mean[-1] == 0.0
    assert full.deviation.mean[-1] > 4 * part.deviation.mean[-1]
    again = mc.ngram_experiment(trigram_table, t=12, n_trials=3, seed=20)
    assert np.array_equal(again.sq_norm.mean, full.sq_norm.mean)


def test_sq_norm_given_first():
    m = np.arange(1, 9)
    np.testing.assert_allclose(th.sq_norm_given_first("fully-synthetic", 7, 5, m, 0.4), 1 - 0.8 ** (m - 1) * 0.6,
                               rtol=1e-13)
    np.testing.assert_allclose(th.sq_norm_given_first("partially-synthetic", 7, 5, m, 0.4)[0], 0.4, rtol=1e-13)
    a = 5 / 12
    s2 = (1 - a * a) * 0.4 + a * a / 5 + a * a * 0.8 * 0.4
    assert th.sq_norm_given_first("partially-synthetic", 7, 5, 2, 0.4) == pytest.approx(s2, rel=1e-13)
    with pytest.raises(InvalidParameterError, match="'first' parameter"):
        th.sq_norm_given_first("accumulate", 7, 5, 2, 0.1)  # below 1/N


# ---------------------------------------------------------------- π²/6 beyond Gaussians


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_family_ratios_closed_forms_and_limits(n):
    t = np.arange(1, 30)
    h2 = np.cumsum(1 / t**2.0)
    np.testing.assert_allclose(th.family_risk_ratio("poisson", n, t), h2, rtol=1e-14)
    np.testing.assert_allclose(th.family_risk_ratio("poisson", n, t, workflow="replace"), t, rtol=1e-15)
    # bernoulli = the s = 2 language model under accumulate: E‖p̂_t − p‖² = S_t − S₀, real-data risk (1 − S₀)/n
    s0 = 0.58  # p = 0.3: S₀ = 0.09 + 0.49
    lm = n * (th.sq_norm("accumulate", n, n, t, s0) - s0) / (1 - s0)
    np.testing.assert_allclose(th.family_risk_ratio("bernoulli", n, t), lm, rtol=1e-12)
    far = 10**5
    for fam in th.FAMILIES:
        lim = th.family_risk_ratio_limit(fam, n)
        assert th.family_risk_ratio(fam, n, far) == pytest.approx(lim, rel=1e-4)
    b, e = th.family_risk_ratio_limit("bernoulli", n), th.family_risk_ratio_limit("exponential", n)
    assert b < math.pi**2 / 6 < e or n == 1  # n = 1: bernoulli limit 1 − sin π/π = 1
    with mpmath.workdps(30):  # Euler: ∏(1 ∓ x²/(π²k²)) = sin x/x, sinh x/x
        x = mpmath.pi / mpmath.sqrt(n)
        assert b == pytest.approx(float(n * (1 - mpmath.sin(x) / x)), rel=1e-13)
        assert e == pytest.approx(float(n * (mpmath.sinh(x) / x - 1)), rel=1e-13)
    assert th.family_risk_ratio_limit("poisson", n, workflow="replace") == math.inf


def test_family_ratios_tend_to_pi2_over_6():
    for fam in th.FAMILIES:
        assert th.family_risk_ratio_limit(fam, 10**8) == pytest.approx(math.pi**2 / 6, rel=1e-7)
    assert th.family_risk_ratio_limit("bernoulli", 10) == pytest.approx(1.5656414278440605, rel=1e-12)  # = Gaussian


@pytest.mark.parametrize("family,workflow,n", [("bernoulli", "accumulate", 3), ("bernoulli", "replace", 10),
                                               ("poisson", "accumulate", 3), ("poisson", "replace", 3),
                                               ("exponential", "accumulate", 3), ("exponential", "accumulate", 10)])
def test_family_ratios_match_simulation(family, workflow, n):
    est = mc.simulate_family(family, n, 10, workflow=workflow, n_trials=8000, seed=21)
    ref = th.family_risk_ratio(family, n, np.arange(1, 11), workflow=workflow)
    assert_agrees(ref, est.mean, est.sem, finite_rtol=0.0, label=f"{family} {workflow} n={n}")
    if workflow == "accumulate" and family != "poisson" and n == 3:  # twin: the Gaussian / Poisson law Σ 1/k²
        h2 = np.cumsum(1 / np.arange(1, 11) ** 2.0)
        assert_disagrees(h2, est.mean, est.sem, finite_rtol=0.0, label="Σ 1/k² for a non-Poisson family")


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli():
    from model_collapse import cli as cli_mod
    from model_collapse import families

    assert families.by_cli("lm").name == "language_model"
    return cli_mod


FLAGS = ["--real", "10", "--synthetic", "10", "--t", "5", "--s0", "0.3", "--support", "5"]


def test_cli_predict_lm(cli, capsys):
    assert cli.main(["predict", "lm", "--workflow", "fully-synthetic", *FLAGS, "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert list(out) == ["sq_norm", "collapse_prob_lower", "collapse_prob_upper", "collapse_time_lower",
                         "collapse_time_upper", "deviation", "deviation_upper", "setting"]
    assert out["setting"] == {"workflow": "fully-synthetic", "real": 10, "synthetic": 10, "t": 5, "s0": 0.3,
                              "support": 5, "per_iteration": False}
    assert out["collapse_prob_lower"] == 0.0 and "clipped at 0" in captured.err
    ref = th.predict("fully-synthetic", 10, 10, 5, 0.3, support=5)
    assert out["sq_norm"] == ref.sq_norm and out["collapse_time_upper"] == ref.collapse_time_upper
    for wf in ("partially-synthetic", "accumulate", "accumulate-subsample", "recent-window", "random-past"):
        assert cli.main(["predict", "lm", "--workflow", wf, *FLAGS, "--window", "3", "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        drift = {"partially-synthetic": ["deviation", "deviation_upper"], "accumulate": ["deviation_upper"],
                 "accumulate-subsample": ["deviation_upper"]}.get(wf, [])  # exact ℓ₁ drift / its bound
        assert list(got) == ["sq_norm", *drift, "setting"] and got["sq_norm"] == th.sq_norm(wf, 10, 10, 5, 0.3,
                                                                                           window=3)
        assert got["setting"]["workflow"] == wf and got["setting"]["window"] == 3


def test_cli_simulate_lm(cli, capsys):
    argv = ["simulate", "lm", "--workflow", "fully-synthetic", *FLAGS, "--vocab", "8", "--trials", "300", "--seed",
            "3", "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    # censored runs: a warning
    assert list(out) == ["sq_norm", "collapse_prob", "collapse_time", "deviation", "setting"]
    assert out["setting"]["max_generations"] == 100_000 and out["setting"]["trials"] == 300  # default, echoed
    ref = th.sq_norm("fully-synthetic", 10, 10, 5, 0.3)
    assert agrees(ref, out["sq_norm"]["mean"], out["sq_norm"]["se"], finite_rtol=0.0)
    assert cli.main(argv) == 0 and json.loads(capsys.readouterr().out) == out


@pytest.mark.parametrize("argv,needle", [
    (["--workflow", "fully-synthetic", "--real", "10", "--synthetic", "10", "--t", "5", "--s0", "0.1",
      "--support", "5"], "The '--s0' parameter must be in [1/support, 1] = [0.2, 1]"),
    (["--workflow", "fully-synthetic", "--real", "10", "--synthetic", "10", "--t", "5", "--s0", "1.2"],
     "The '--s0' parameter must be a float in the range (0, 1]"),
    (["--workflow", "fully-synthetic", "--real", "0", "--synthetic", "10", "--t", "5", "--s0", "0.3"],
     "The '--real' parameter must be an int in the range [1, inf)"),
    (["--workflow", "mixed", "--real", "1", "--synthetic", "10", "--t", "5", "--s0", "0.3"],
     "The '--workflow' parameter must be one of 'fully-synthetic', 'partially-synthetic', 'accumulate'"),
    (["--workflow", "accumulate", "--real", "1", "--synthetic", "10", "--t", "0", "--s0", "0.3"],
     "The '--t' parameter must be an int in the range [1, inf)"),
    # the deprecated spelling is still named as typed
    (["--workflow", "accumulate", "--real", "1", "--synthetic", "10", "--generations", "0", "--s0", "0.3"],
     "The '--generations' parameter must be an int in the range [1, inf)"),
    (["--workflow", "recent-window", "--real", "1", "--synthetic", "10", "--t", "3", "--s0", "0.3"],
     "The '--window' parameter is required for --workflow recent-window"),
    (["--workflow", "accumulate", "--real", "1", "--synthetic", "10", "--s0", "0.3"],
     "The '--t' parameter is required"),
])
def test_cli_bad_input_is_one_line_naming_the_flag(cli, capsys, argv, needle):
    code = cli.main(["predict", "lm", *argv])  # a bad value: exit code 2 from main itself, no SystemExit
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and needle in err, err


def test_cli_simulate_needs_a_number_of_tokens(cli, capsys):
    code = cli.main(["simulate", "lm", "--workflow", "accumulate", "--real", "3", "--synthetic", "3",
                     "--t", "2", "--s0", "0.3"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "The '--vocab' parameter (or --support) is required to simulate" in err
    assert len(err.splitlines()) == 1


# ---------------------------------------------------------------- figure data


def test_figure_table_theory_and_simulation_agree():
    from model_collapse.figures import sed_collapse
    from model_collapse.figures._base import rows

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no censored collapse-time run in the figure
        tab = sed_collapse.compute(True, 0)  # the tables of sed_collapse, sed_partial and sed_variants
    assert set(tab) == {"panel", "kind", "quantity", "workflow", "n", "x", "value", "se", "item"}
    assert set(rows(tab, panel="d", kind="theory")["workflow"].tolist()) == set(sed_collapse.PANEL_D_WORKFLOWS)
    for wf, K in sed_collapse.PANEL_F_CASES:  # the Fig. 6 variants
        k = sed_collapse.PANEL_F_TOTAL // K if K else sed_collapse.PANEL_F_TOTAL
        sim = rows(tab, panel="f", kind="simulation", workflow=f"{wf} K={K}" if K else wf)
        ref = th.sq_norm(wf, k, k, sim["x"].astype(int), sed_collapse.S0, window=K)
        assert_agrees(ref, sim["value"], se_eff(sim["se"], ref, 30), finite_rtol=0.0, atol=1e-12, label=f"(f) {wf}")
    for panel in ("c", "d"):
        sim = rows(tab, panel=panel, kind="simulation", quantity="sq_norm")
        for wf, n, x, v, se in zip(sim["workflow"], sim["n"], sim["x"], sim["value"], sim["se"], strict=True):
            real = sed_collapse.PANEL_C_REAL if panel == "c" else n
            ref = th.sq_norm(str(wf), int(real), int(n), int(x), sed_collapse.S0)
            runs = 30  # the quick configuration
            assert_agrees(ref, v, se_eff(se, ref, runs), finite_rtol=0.0, atol=1e-12,
                          label=f"panel {panel} {wf} n={n} m={x}")
    g_sim = rows(tab, panel="g", kind="simulation", quantity="collapsed_fraction")
    g_ex = rows(tab, panel="g", kind="exact", quantity="collapsed_fraction")
    contexts = len(rows(tab, panel="g", quantity="simplex_p1", x=0)["x"])
    # one run per context: SE of the collapsed fraction ≤ √(ρ̄(1 − ρ̄)/c) (concavity), ρ̄ the exact mean
    assert_agrees(g_ex["value"], g_sim["value"], np.sqrt(g_ex["value"] * (1 - g_ex["value"]) / contexts),
                  finite_rtol=0.0, atol=1e-12, label="(g) collapsed fraction")
    for c in (1, 2, 3):  # simplex coordinates are laws
        assert np.all(rows(tab, panel="g", quantity=f"simplex_p{c}")["value"] >= 0)
    h_th, h_sim = rows(tab, panel="h", kind="theory", quantity="sq_norm"), rows(tab, panel="h", kind="simulation",
                                                                                 quantity="sq_norm")
    assert_agrees(h_th["value"], h_sim["value"], se_eff(h_sim["se"], h_th["value"], 30), finite_rtol=0.0,
                  label="(h) Theorem 2 at several S0")
    b = rows(tab, panel="b")
    for n in sorted(set(b["n"].tolist())):
        s = rows(b, kind="simulation", n=n)
        lo, hi = rows(b, kind="bound_lower", n=n)["value"][0], rows(b, kind="bound_upper", n=n)["value"][0]
        assert lo - 4 * s["se"][0] <= s["value"][0] <= hi


def test_ngram_figure_table():
    from model_collapse.figures import sed_ngram
    from model_collapse.figures._base import rows

    tab = sed_ngram.FIGURE.compute(True, 0)
    assert set(tab) == {"kind", "quantity", "workflow", "label", "x", "value", "se"}
    for wf in sed_ngram.WORKFLOWS:
        t = rows(tab, kind="theory", quantity="sq_norm", workflow=wf)
        sim = rows(tab, kind="simulation", quantity="sq_norm", workflow=wf)
        assert len(t["x"]) == len(sim["x"]) == sed_ngram.M_QUICK
        assert t["value"][0] == pytest.approx(sim["value"][0], rel=1e-12)  # generation 1: the real-text model
    assert len(set(rows(tab, quantity="lost_by_count")["label"].tolist())) == len(mc.COUNT_BINS)


@pytest.mark.parametrize("module", ["sed_collapse", "sed_ngram"])
def test_render_writes_png_csv_json(module, tmp_path):
    import importlib

    from model_collapse.figures._base import render

    fig = importlib.import_module(f"model_collapse.figures.{module}").FIGURE
    png, csv_path, meta = render(fig, tmp_path, quick=True, seed=0)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert json.loads(meta.read_text())["id"] == module and csv_path.stat().st_size > 1000


# ---------------------------------------------------------------- heavier checks (pytest -m slow)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(setting=powered_settings())
def test_slow_sq_norm_matches_simulation(setting):
    workflow, real, synthetic, m, s0, support = setting
    gens = np.arange(1, m + 1)
    truth = th.sq_norm(workflow, real, synthetic, gens, s0, window=WINDOW)
    est = mc.simulate(
        workflow, real, synthetic, np.arange(1, m + 1), s0, support, window=WINDOW, n_trials=20_000, seed=2)
    assert_agrees(truth, est.sq_norm.mean, est.sq_norm.sem, finite_rtol=0.0, label=f"S_m {setting}")


@pytest.mark.slow
def test_slow_papers_fig2_collapse_time_wright_fisher_accuracy():
    """The paper's law at n = N = 100: simulated E[T] against Wright–Fisher (relative error below 3 %)."""
    p = mc.law(0.1, 52, 600)
    est = mc.simulate(
        "fully-synthetic", 100, 100, np.arange(1, 1 + 1), 0.1, 52, 600, n_trials=2000, seed=7).collapse_time
    wf = th.collapse_time_wright_fisher(p, 100, 100)
    assert abs(est.mean - wf) <= 4 * est.sem + 0.03 * wf
