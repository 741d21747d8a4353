"""Symbolic derivations of the workflow laws (sympy): the one-step recursions from the model, and proof that
the closed forms in theory.gaussian_workflow / theory.linreg_workflow solve them.

Gaussian: the expected-variance factor per iteration (replace (n − 1)/m, accumulate 1 − 1/(n(t+1)²) and
1 − 1/((t+1)((t+1)n − 1))), the mean-error increment tr Σ̂_t/(n(t+1)²), the Γ-function solutions with
their Euler-product limit, Σ1/k² → π²/6, the Wishart determinant expansion behind the accumulate det law.
Linear regression: stacked OLS is the running average ŵ_t = ŵ_{t−1} + Pε_t/t, its error Σ1/k², and the
inverse-χ² mean behind d/(n − d − 1). Accumulate W₂ (theory.gaussian_std): the variance factor Z_s, the
Laplace representation of √y and the χ² Laplace transform. Accumulate-subsample OLS (theory.linreg_subsample):
the count law and the copy/pair probabilities, by exact enumeration. Each symbolic identity is also compared
with the numerical code.
"""

from __future__ import annotations

import itertools
from math import comb, factorial

import numpy as np
import pytest
import sympy as sp
from model_collapse.theory import gaussian_workflow as gw
from model_collapse.theory import linreg_workflow as lw
from sympy.stats import Chi, ChiSquared, E, Normal

t, x, n, s = sp.symbols("t x n s", positive=True)
k = sp.symbols("k", integer=True, positive=True)


def expect_gaussian_polynomial(expr, variables):
    """E of a polynomial in independent standard normals: E z^p = (p − 1)!! for even p, 0 for odd p."""
    poly = sp.Poly(sp.expand(expr), *variables)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        moment = sp.Integer(1)
        for p in powers:
            moment *= 0 if p % 2 else sp.factorial2(p - 1)
        total += coeff * moment
    return sp.simplify(total)


# ---------------------------------------------------------------- Gaussian: one-step recursions


@pytest.mark.parametrize("m", [2, 3, 5])
def test_expected_scatter_of_m_samples_is_m_minus_1(m):
    z = sp.symbols(f"z0:{m}", real=True)
    mean = sum(z) / m
    scatter = sum((zi - mean) ** 2 for zi in z)
    assert expect_gaussian_polynomial(scatter, z) == m - 1  # so replace: E Σ̂_{t+1} = (n − 1)/m₁ · Σ̂_t


def test_pooled_mean_and_scatter_updates_are_exact_identities():
    a = sp.symbols("a0:3", real=True)
    b = sp.symbols("b0:2", real=True)
    ma, mb = len(a), len(b)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    scat = lambda v: sum((vi - mean(v)) ** 2 for vi in v)  # noqa: E731
    pooled = a + b
    assert sp.simplify(mean(pooled) - (mean(a) + (mean(b) - mean(a)) * mb / (ma + mb))) == 0
    update = scat(a) + scat(b) + sp.Rational(ma * mb, ma + mb) * (mean(b) - mean(a)) ** 2
    assert sp.expand(scat(pooled) - update) == 0


def test_accumulate_variance_factors_from_the_pooled_update():
    """E[scatter_{t+1} | past] = scatter_t + (n − 1)Σ̂_t + (tn·n/((t+1)n))·Σ̂_t/n, scatter_t = tnΣ̂_t (MLE)
    or (tn − 1)Σ̂_t (unbiased); divide by (t+1)n or (t+1)n − 1."""
    new = (n - 1) + (t * n * n / ((t + 1) * n)) / n
    mle = (t * n + new) / ((t + 1) * n)
    unbiased = ((t * n - 1) + new) / ((t + 1) * n - 1)
    assert sp.simplify(mle - (1 - 1 / (n * (t + 1) ** 2))) == 0
    assert sp.simplify(unbiased - (1 - 1 / ((t + 1) * ((t + 1) * n - 1)))) == 0
    f = sp.lambdify((n, t), mle)
    np.testing.assert_allclose(gw.cov_trace_ratio(7, 1, 5) / gw.cov_trace_ratio(7, 1, 4), f(7, 4), rtol=1e-13)


def test_mean_error_increment():
    """μ̂_{t+1} − μ₀ = (μ̂_t − μ₀) + ξ/(t+1), ξ ~ N(0, Σ̂_t/n) independent of the past (accumulate)."""
    a = sp.symbols("a", real=True)
    xi = Normal("xi", 0, sp.sqrt(s))
    assert sp.simplify(E((a + xi / (t + 1)) ** 2) - (a**2 + s / (t + 1) ** 2)) == 0


def test_replace_solutions():
    c = 1 - 1 / n  # MLE variance factor; the mean error sums (1/n)·c^k over k < t
    mean_error = sp.summation(c**k, (k, 0, t - 1)) / n
    assert sp.simplify(mean_error - (1 - (1 - 1 / n) ** t)) == 0
    f = sp.lambdify((n, t), mean_error)
    assert gw.mean_sq_error(10, 1, 7, workflow="replace") == pytest.approx(f(10, 7), rel=1e-14)


def test_accumulate_mle_solution_is_the_gamma_form_with_euler_limit():
    G = lambda u: sp.gamma(u + 1 - x) * sp.gamma(u + 1 + x) / (sp.gamma(1 - x) * sp.gamma(1 + x) * sp.gamma(u + 1) ** 2)  # noqa: E731
    assert sp.simplify(sp.gammasimp(G(t) / G(t - 1)) - (1 - x**2 / t**2)) == 0  # solves P_t = (1 − 1/(nt²))P_{t−1}
    assert sp.simplify(G(0)) == 1
    assert sp.limit(sp.gamma(t + 1 - x) * sp.gamma(t + 1 + x) / sp.gamma(t + 1) ** 2, t, sp.oo) == 1
    euler = sp.gammasimp(1 / (sp.gamma(1 - x) * sp.gamma(1 + x)))
    assert sp.simplify(euler - sp.sin(sp.pi * x) / (sp.pi * x)) == 0  # x = 1/√n: sin(π/√n)/(π/√n)
    num = sp.lambdify((x, t), G(t), "mpmath")
    assert gw.cov_trace_ratio(9, 1, 13) == pytest.approx(float(num(sp.Rational(1, 3), 13)), rel=1e-13)


def test_accumulate_unbiased_solution_roots():
    """1 − 1/(k(kn − 1)) = (k − a)(k − b)/(k(k − c)) with a + b = c = 1/n and ab = −1/n (Vieta), which makes
    ∏_{k=2}^t a convergent Γ ratio (the exponents balance)."""
    a, b = sp.symbols("a b")
    ratio = (k - a) * (k - b) / (k * (k - 1 / n))
    vieta = {a: (1 + sp.sqrt(1 + 4 * n)) / (2 * n), b: (1 - sp.sqrt(1 + 4 * n)) / (2 * n)}
    assert sp.simplify(ratio.subs(vieta) - (1 - 1 / (k * (k * n - 1)))) == 0
    assert sp.simplify(vieta[a] + vieta[b] - 1 / n) == 0


def test_inverse_square_series():
    assert sp.summation(1 / k**2, (k, 1, sp.oo)) == sp.pi**2 / 6
    partial = sp.summation(1 / k**2, (k, 1, t))
    assert partial == sp.harmonic(t, 2)
    for tt in (1, 5, 64, 65, 1000):  # the code's π²/6 − ψ₁(t + 1) branch and direct branch
        exact = sp.N(sp.harmonic(tt, 2), 30)
        assert float(lw.iteration_factor(tt)) == pytest.approx(float(exact), rel=1e-14)
        assert sp.N(sp.pi**2 / 6 - sp.polygamma(1, tt + 1) - exact, 30) == pytest.approx(0, abs=1e-25)


def test_w2_mean_root_chi_square():
    for dof in (3, 6, 9):  # E χ_{n−1} = √2 Γ(n/2)/Γ((n − 1)/2)
        expected = sp.sqrt(2) * sp.gamma(sp.Rational(dof + 1, 2)) / sp.gamma(sp.Rational(dof, 2))
        assert sp.simplify(E(Chi("c", dof)) - expected) == 0


# ---------------------------------------------------------------- Gaussian determinant


@pytest.mark.parametrize("d,weights", [(2, (1, 1, sp.Rational(2, 3))), (3, (1, 1, 1, sp.Rational(3, 4)))])
def test_expected_det_of_shifted_weighted_wishart(d, weights):
    """E det(aI + Σ_j w_j g_j g_jᵀ) = Σ_k a^{d−k}·k!·C(d, k)·e_k(w) (Cauchy–Binet; g_j standard normal)."""
    a = sp.symbols("a", positive=True)
    g = [sp.symbols(f"g{j}_0:{d}", real=True) for j in range(len(weights))]
    M = sp.zeros(d, d)
    for w, vec in zip(weights, g, strict=True):
        v = sp.Matrix(vec)
        M += w * v * v.T
    lhs = expect_gaussian_polynomial((a * sp.eye(d) + M).det(), [z for vec in g for z in vec])

    def e(kk):
        return sum(sp.prod(c) for c in itertools.combinations(weights, kk)) if kk else 1

    rhs = sum(a ** (d - kk) * factorial(kk) * comb(d, kk) * e(kk) for kk in range(d + 1))
    assert sp.expand(lhs - rhs) == 0


def test_determinant_step_weights_and_first_iteration():
    """Weights (1 × (n − 1), t/(t+1)) give e_k = C(n−1, k) + t/(t+1)·C(n−1, k−1); with a = 0 and weights
    1 × (n − 1) the expansion is E det Wishart_d(n − 1, I) = ∏_{i=1}^d (n − i); and d = 1 gives the trace law."""
    nn, tt = 6, sp.Rational(4)
    weights = [1] * (nn - 1) + [tt / (tt + 1)]
    for kk in range(0, 4):
        e = sum(sp.prod(c) for c in itertools.combinations(weights, kk)) if kk else 1
        closed = comb(nn - 1, kk) + (tt / (tt + 1)) * (comb(nn - 1, kk - 1) if kk else 0)
        assert sp.simplify(e - closed) == 0
    for d in (1, 2, 3):
        assert factorial(d) * comb(nn - 1, d) == np.prod([nn - i for i in range(1, d + 1)])
    # d = 1 accumulate determinant step f_t = (tn + n − 1 + t/(t+1))/((t+1)n) = the variance factor
    f1 = (t * n + (n - 1) + t / (t + 1)) / ((t + 1) * n)
    assert sp.simplify(f1 - (1 - 1 / (n * (t + 1) ** 2))) == 0
    ratio = gw.cov_det_ratio(6, 3, 5) / gw.cov_det_ratio(6, 3, 4)  # the code's f_4 for n = 6, d = 3
    wt = [1] * 5 + [sp.Rational(4, 5)]
    e = [sum(sp.prod(c) for c in itertools.combinations(wt, kk)) if kk else 1 for kk in range(4)]
    f4 = sum((4 * 6) ** (3 - kk) * factorial(kk) * comb(3, kk) * e[kk] for kk in range(4)) / sp.Integer(30) ** 3
    assert ratio == pytest.approx(float(f4), rel=1e-12)


# ---------------------------------------------------------------- linear regression


def test_stacked_ols_is_the_average_of_per_copy_fits():
    """OLS on t stacked copies of X: (t XᵀX)⁻¹Xᵀ Σ_k y_k = (1/t) Σ_k P y_k (symbolic 3 × 2 design, t = 3)."""
    X = sp.Matrix(3, 2, sp.symbols("x0:6", real=True))
    ys = [sp.Matrix(3, 1, sp.symbols(f"y{j}_0:3", real=True)) for j in range(3)]
    P = (X.T * X).inv() * X.T
    stacked = (3 * X.T * X).inv() * X.T * (ys[0] + ys[1] + ys[2])
    average = (P * ys[0] + P * ys[1] + P * ys[2]) / 3
    assert sp.simplify(stacked - average) == sp.zeros(2, 1)


def test_linreg_recursions_and_their_error():
    """With PX = I and u_k = Pε_k: replace ŵ_t = ŵ_{t−1} + u_t; accumulate (average of the t per-copy fits,
    P y_k = ŵ_{k−1} + u_k) ŵ_t = ŵ_{t−1} + u_t/t, i.e. ŵ_t − w* = Σ u_k/k; E of its square = σ²_u·Σ 1/k²."""
    T = 6
    w_star = sp.symbols("w_star")
    u = sp.symbols(f"u1:{T + 1}")
    acc = [w_star + u[0]]
    for tt in range(2, T + 1):  # t·ŵ_t = Σ_k P y_k = (w* + u_1) + Σ_{k=2}^t (ŵ_{k−1} + u_k)
        acc.append(((w_star + u[0]) + sum(acc[kk - 2] + u[kk - 1] for kk in range(2, tt + 1))) / tt)
    for tt in range(1, T + 1):
        assert sp.simplify(acc[tt - 1] - (w_star + sum(u[kk - 1] / kk for kk in range(1, tt + 1)))) == 0
        if tt > 1:
            assert sp.simplify(acc[tt - 1] - acc[tt - 2] - u[tt - 1] / tt) == 0
    v = [Normal(f"v{j}", 0, sp.sqrt(s)) for j in range(4)]
    err = E(sum(v[j] / (j + 1) for j in range(4)) ** 2)
    assert sp.simplify(err - s * sp.harmonic(4, 2)) == 0
    assert float(lw.iteration_factor(4)) == pytest.approx(float(sp.harmonic(4, 2)), rel=1e-15)


@pytest.mark.parametrize("m", [4, 7, 12])
def test_inverse_chi_square_mean(m):
    """d = 1: XᵀX ~ χ²_n, E 1/χ²_n = 1/(n − 2) = d/(n − d − 1)."""
    assert sp.simplify(E(1 / ChiSquared("c", m)) - sp.Rational(1, m - 2)) == 0
    assert lw.predict(m, 1, 1).test_error == pytest.approx(1 / (m - 2), rel=1e-15)


# ---------------------------------------------------------------- accumulate W₂ and accumulate-subsample OLS


def test_accumulate_std_factor_representation():
    """theory.gaussian_std: σ̂²_{s+1} = σ̂_s²·Z_s with Z_s = (m_s + χ²_{n−1} + (s/(s+1))χ²_1)/m_{s+1}: its mean is the
    accumulate trace factor; √y = (1/(2√π))∫₀^∞(1 − e^{−λy})λ^{−3/2}dλ; E e^{−λχ²_ν} = (1 + 2λ)^{−ν/2}."""
    from model_collapse.theory import gaussian_std as gs

    mean_mle = (s * n + (n - 1) + s / (s + 1)) / ((s + 1) * n)
    assert sp.simplify(mean_mle - (1 - 1 / (n * (s + 1) ** 2))) == 0
    mean_unb = ((s * n - 1) + (n - 1) + s / (s + 1)) / ((s + 1) * n - 1)
    assert sp.simplify(mean_unb - (1 - 1 / ((s + 1) * ((s + 1) * n - 1)))) == 0
    lam, u = sp.symbols("lambda u", positive=True)
    # ∫₀^∞(1 − e^{−λy})λ^{−3/2}dλ = √y·∫₀^∞(1 − e^{−u})u^{−3/2}du (λ = u/y), and by parts with the primitive
    # F = −2u^{−1/2}(1 − e^{−u}) (F → 0 at both ends) the last integral is 2∫u^{−1/2}e^{−u}du = 2Γ(1/2) = 2√π
    F = -2 * u ** sp.Rational(-1, 2) * (1 - sp.exp(-u))
    assert sp.simplify(sp.diff(F, u) - ((1 - sp.exp(-u)) * u ** sp.Rational(-3, 2) - 2 * u ** sp.Rational(-1, 2)
                                        * sp.exp(-u))) == 0
    assert sp.limit(F, u, 0) == 0 and sp.limit(F, u, sp.oo) == 0
    assert 2 * sp.integrate(u ** sp.Rational(-1, 2) * sp.exp(-u), (u, 0, sp.oo)) == 2 * sp.sqrt(sp.pi)
    for dof in (1, 4):
        mgf = E(sp.exp(-lam * ChiSquared("q", dof)))
        assert sp.simplify(mgf - (1 + 2 * lam) ** sp.Rational(-dof, 2)) == 0
    # the numerical step factor sits just below √(E Z) (Jensen), by ≈ Var Z/8
    g = gs.step_factor(6, 3)
    mean = float(mean_mle.subs({n: 6, s: 3}))
    var = (2 * 5 + 2 * (3 / 4) ** 2) / 24**2
    assert 0 < np.sqrt(mean) - g < var / 8 * 1.1 and np.sqrt(mean) - g > var / 8 * 0.9


@pytest.mark.parametrize(("nn", "tt"), [(3, 2), (3, 4), (4, 3)])
def test_subsample_count_law_and_pair_probabilities(nn, tt):
    """theory.linreg_subsample: drawing n of the t·n pool copies uniformly, P(c) = ∏_r C(t, c_r)/C(tn, n); given
    c the generations of row r are a uniform c_r-subset, so a copy is drawn w.p. c_r/t and two copies of one row
    w.p. c_r(c_r − 1)/(t(t − 1)); checked by enumerating every subsample in exact fractions."""
    from fractions import Fraction

    from model_collapse.theory import linreg_subsample as ls

    subsets = list(itertools.combinations(range(tt * nn), nn))
    law, single, pair = {}, {}, {}
    for Q in subsets:
        c = tuple(sum(1 for q in Q if q % nn == r) for r in range(nn))
        law[c] = law.get(c, 0) + 1
        single[c] = single.get(c, 0) + (0 in Q)  # copy (generation 0, row 0)
        pair[c] = pair.get(c, 0) + (0 in Q and nn in Q)  # generations 0 and 1 of row 0
    vectors = {tuple(v) for v in ls.count_vectors(nn)}
    assert set(law) <= vectors and len(ls.count_vectors(nn)) == comb(2 * nn - 1, nn)
    for c, count in law.items():
        assert Fraction(count, len(subsets)) == Fraction(np.prod([comb(tt, ci) for ci in c]), comb(tt * nn, nn))
        assert Fraction(single[c], count) == Fraction(c[0], tt)
        assert Fraction(pair[c], count) == Fraction(c[0] * (c[0] - 1), tt * (tt - 1))
        log_w = ls._log_weights(np.array([c]), nn, tt)[0]
        assert np.exp(log_w) == pytest.approx(count / len(subsets), rel=1e-13)
