"""The Marchenko–Pastur quadrature (theory.marchenko_pastur) certified against mpmath, and the law against S.

The reference integrates the density √((b − x)(x − a))/(2πγx) directly in x with mpmath's tanh-sinh rule at
30 digits (no substitution: tanh-sinh handles the square-root edges and the x^{−1/2} of γ = 1 itself), on
breakpoints a, a + h, a + 2h, a + 4h, …, b with h = max(a, 1e-40), so that the near-singularity of 1/x at
distance a below the support is resolved when γ is close to 1. A second, algebraic reference checks the
Stieltjes transform: ∫dμ_γ/(x + κ) (atom included) is the positive root g of γκg² + (κ + 1 − γ)g − 1 = 0.
Target: 1e-8 relative (the issue's requirement). Measured over the grid below: worst 1.1e-11 (κ²/(x + κ)² at
κ = 1e-10, γ = 1e3, an integral of ~1e-20), typically 1e-15 to 1e-13; Stieltjes check worst 2e-12.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings, target
from hypothesis import strategies as st
from model_collapse.theory import marchenko_pastur as mp_

RTOL = 1e-8

# γ on both sides of 1, close to it, and exactly 1; small and large ratios
GAMMAS = [1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-6, 1 - 1e-12, 1.0, 1 + 1e-12, 1 + 1e-6, 1.001, 2.0, 10.0, 1e3]
KAPPAS = [1e-10, 1e-4, 1.0, 100.0]


def integrands(kappa):
    """(name, float version, mpmath version): the integrands of the ridge sums, all bounded on [a, b]."""
    k = kappa
    return [
        ("x/(x+k)", lambda x: x / (x + k), lambda x: x / (x + k)),
        ("x2/(x+k)2", lambda x: x**2 / (x + k) ** 2, lambda x: x**2 / (x + k) ** 2),
        ("k2/(x+k)2", lambda x: k**2 / (x + k) ** 2, lambda x: k**2 / (x + k) ** 2),
    ]


def mp_integral(f, gamma, dps=30):
    with mpmath.workdps(dps):
        g = mpmath.mpf(gamma)
        a = (1 - g) ** 2 / (1 + mpmath.sqrt(g)) ** 2
        b = (1 + mpmath.sqrt(g)) ** 2

        def p(x):
            return mpmath.sqrt((b - x) * (x - a)) / (2 * mpmath.pi * g * x)

        h = max(a, mpmath.mpf("1e-40"))
        pts = [a]
        while a + h < b:
            pts.append(a + h)
            h *= 2
        pts.append(b)
        return mpmath.quad(lambda x: f(x) * p(x), pts)


def stieltjes(kappa, gamma, dps=30):
    """∫dμ_γ(x)/(x + κ), atom included, in closed form."""
    with mpmath.workdps(dps):
        g, k = mpmath.mpf(gamma), mpmath.mpf(kappa)
        b = k + 1 - g
        return (-b + mpmath.sqrt(b * b + 4 * g * k)) / (2 * g * k)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_mass_and_moments(gamma):
    """∫dμ (continuous part) = min(1, 1/γ), ∫x dμ = 1, ∫x² dμ = 1 + γ; atom = (1 − 1/γ)₊."""
    q = mp_.quadrature(gamma)
    assert np.all(q.weights > 0) and np.all(q.nodes > 0)
    a, b = mp_.edges(gamma)
    assert np.all((q.nodes >= a) & (q.nodes <= b))
    assert q.weights.sum() == pytest.approx(min(1.0, 1.0 / gamma), rel=1e-13)
    assert q.weights @ q.nodes == pytest.approx(1.0, rel=1e-13)
    assert q.weights @ q.nodes**2 == pytest.approx(1.0 + gamma, rel=1e-13)
    assert float(mp_.atom(gamma)) == pytest.approx(max(0.0, 1 - 1 / gamma), abs=1e-16)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("kappa", KAPPAS)
def test_ridge_integrands_match_mpmath(gamma, kappa):
    q = mp_.quadrature(gamma)
    for name, f, fm in integrands(kappa):
        got = float(q.weights @ f(q.nodes))
        ref = float(mp_integral(fm, gamma))
        assert abs(got - ref) <= RTOL * abs(ref), (name, gamma, kappa, got, ref, abs(got - ref) / abs(ref))


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("kappa", KAPPAS)
def test_stieltjes_transform_closed_form(gamma, kappa):
    """Σ w/(x + κ) + atom/κ against the algebraic Stieltjes transform (independent of any integration)."""
    q = mp_.quadrature(gamma)
    got = float(q.weights @ (1.0 / (q.nodes + kappa))) + float(mp_.atom(gamma)) / kappa
    ref = float(stieltjes(kappa, gamma))
    assert abs(got - ref) <= RTOL * ref, (gamma, kappa, got, ref)


@settings(max_examples=25)
@given(log_gamma=st.one_of(st.floats(-3, 3), st.sampled_from([0.0]), st.floats(-1e-6, 1e-6)),
       log_kappa=st.floats(-10, 2))
@example(log_gamma=0.0, log_kappa=-10.0)
@example(log_gamma=1e-13, log_kappa=-10.0)
def test_quadrature_matches_mpmath_hypothesis(log_gamma, log_kappa):
    """Random (γ, κ), γ = 10^u with u ∈ [−3, 3] or within 1e-6 of 0; targets the worst relative error."""
    gamma, kappa = 10.0**log_gamma, 10.0**log_kappa
    q = mp_.quadrature(gamma)
    worst = 0.0
    for _name, f, fm in integrands(kappa):
        ref = float(mp_integral(fm, gamma, dps=25))
        err = abs(float(q.weights @ f(q.nodes)) - ref) / abs(ref)
        worst = max(worst, err)
    target(worst)
    assert worst <= RTOL, (gamma, kappa, worst)


def test_density_integrates_and_vanishes_outside():
    gamma = 0.3
    a, b = mp_.edges(gamma)
    x = np.array([a - 1e-3, a, (a + b) / 2, b, b + 1e-3, 0.0])
    p = mp_.density(x, gamma)
    assert p[0] == 0 and p[1] == 0 and p[3] == 0 and p[4] == 0 and p[5] == 0 and p[2] > 0
    xs = np.linspace(a, b, 200001)
    trap = np.trapezoid(mp_.density(xs, gamma), xs)
    assert trap == pytest.approx(1.0, rel=1e-5)  # crude, independent of the quadrature


def test_edges_without_cancellation_near_one():
    a, b = mp_.edges(1 + 1e-10)
    assert float(a) == pytest.approx(0.25e-20, rel=1e-6)  # (1 − √γ)² with √γ − 1 ≈ 5e-11
    assert float(b) == pytest.approx(4.0, rel=1e-9)


def test_spectrum_for_the_ridge_toolkit():
    """spectrum(m, scale): m·weights as multiplicities (total m with the atom), scale·nodes as eigenvalues."""
    q = mp_.quadrature(2.5)
    mu, mult = q.spectrum(500.0, scale=3.0)
    assert mult.sum() == pytest.approx(500.0, rel=1e-13)
    assert mult[mu > 0].sum() == pytest.approx(200.0, rel=1e-13)  # rank d = m/γ
    assert np.allclose(np.sort(mu[mu > 0]), np.sort(3.0 * q.nodes))


@pytest.mark.parametrize("m,d", [(300, 1000), (1500, 1000)])
def test_law_matches_a_sampled_projection(m, d):
    """One S ∈ R^{m×d} with N(0, 1/d) entries: the nonzero eigenvalues of SSᵀ against the law's linear statistics.

    Fluctuations of a linear spectral statistic are O(1) in the sum, i.e. O(1/d) relative; the finite-d bias is
    also O(1/d): the allowance is 20/min(m, d) relative (measured deviations ~1-3/min(m, d))."""
    rng = np.random.default_rng(5)
    S = rng.standard_normal((m, d)) / np.sqrt(d)
    ev = np.linalg.svd(S, compute_uv=False) ** 2
    q = mp_.quadrature(m / d)
    for f in (lambda x: x / (x + 0.1), lambda x: 1.0 / (x + 1.0), lambda x: x**2):
        emp = f(ev).sum() / m
        law = float(q.weights @ f(q.nodes))
        assert abs(emp - law) <= 20 / min(m, d) * abs(law), (emp, law)
