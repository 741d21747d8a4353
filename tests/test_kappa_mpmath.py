"""Certification of the float κ solver (and u, the mixture formula) against independent mpmath references."""

import numpy as np
import pytest
from hypothesis import example, given, settings, target
from model_collapse.theory import ridge, ridge_mixture
from reference import kappa_mp, mixture_mp
from strategies import kappa_cases

RTOL = 1e-12  # issue 2 asks for 1e-10; the solver reaches ~1e-15, 1e-12 leaves room for conditioning


@settings(max_examples=400)
@given(case=kappa_cases())
@example(case=(1e-6, np.array([1e3, 1e-8]), 1.0))  # STYLE.md §1: the cancellation case (n <= d, lam -> 0)
@example(case=(1e-12, np.ones(64), 64.0))  # n = d, lam -> 0: kappa ~ sqrt(lam)
@example(case=(0.0, np.ones(64), 32.0))  # ridgeless, d > n: kappa = phi - 1 = 1
@example(case=(0.0, np.ones(64), 128.0))  # ridgeless, d < n: kappa = 0
def test_kappa_matches_mpmath(case):
    lam, w, n = case
    got = float(ridge.kappa(lam, w, n))
    ref = kappa_mp(lam, w, n)
    if ref == 0.0:
        assert got == 0.0
        return
    err = abs(got - ref) / ref
    target(err)
    assert err <= RTOL, f"lam={lam} n={n} d={w.size}: kappa={got!r} ref={ref!r} rel={err:.3g}"


@pytest.mark.parametrize("lam", [1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3])
@pytest.mark.parametrize("ratio", [1e-3, 0.1, 0.99, 1.0, 1.01, 10.0, 1e3])
def test_kappa_grid_powerlaw(lam, ratio):
    """A deterministic grid over λ ∈ [1e-12, 1e3] and d/n ∈ [1e-3, 1e3] on a power-law spectrum."""
    w = np.arange(1, 201, dtype=float) ** -1.5
    n = w.size / ratio
    got, ref = float(ridge.kappa(lam, w, n)), kappa_mp(lam, w, n)
    assert abs(got - ref) <= RTOL * ref


def test_kappa_multiplicities_match_expanded_spectrum():
    w, m = np.array([3.0, 1.0, 0.1]), np.array([2.0, 5.0, 13.0])
    expanded = np.repeat(w, m.astype(int))
    for lam in (0.0, 1e-4, 0.3):
        for n in (5.0, 20.0, 100.0):
            a = float(ridge.kappa(lam, w, n, m))
            b = kappa_mp(lam, expanded, n)
            assert a == pytest.approx(b, rel=RTOL, abs=0)


@settings(max_examples=100)
@given(case=kappa_cases())
def test_u_matches_mpmath(case):
    """u = df2/(n - df2), with n - df2 evaluated cancellation-free in float; compared at 60 digits."""
    lam, w, n = case
    k = kappa_mp(lam, w, n)
    got = float(ridge.u(k, w, n))
    import mpmath

    with mpmath.workdps(60):
        kk = mpmath.mpf(k)
        d2 = mpmath.fsum((mpmath.mpf(x) / (mpmath.mpf(x) + kk)) ** 2 for x in w)
        nn = mpmath.mpf(n)
        ref = float(d2 / (nn - d2)) if nn > d2 else np.inf
    if not np.isfinite(ref) or ref > 1e12:
        return  # at (numerically) the interpolation threshold u is inf or unrepresentably conditioned
    # u inherits the conditioning of n − df2 near the threshold: allow it in proportion to 1 + u.
    assert abs(got - ref) <= 1e-11 * (1 + ref) * max(1.0, ref), (got, ref)


@settings(max_examples=60)
@given(case=kappa_cases())
@example(case=(0.0, np.array([1.0]), 1.0))  # the threshold itself: both sides give u = inf
def test_mixture_formula_matches_mpmath(case):
    """B, V, ζ in float (second form of ζ) against mpmath (first form): rtol 1e-9 away from u = inf."""
    lam, w, n = case
    rng = np.random.default_rng(w.size)
    gam, dlt = rng.uniform(0.1, 2, w.size), rng.uniform(0.1, 2, w.size)
    ref = mixture_mp(n, 0.3, lam, w, gam, dlt, 0.7, 1.1)
    got = ridge_mixture.predict(n, 0.3, lam, w, gamma=gam, delta=dlt, sigma=0.7, sigma2=1.1).as_dict()
    if not np.isfinite(ref["u"]):
        assert got["total"] == np.inf and got["u"] == np.inf
        return
    if ref["u"] > 1e6:
        return  # within 1e-6 of the threshold the risk itself is ill-conditioned (u ~ 1/(n - df2))
    for key in ("bias", "variance", "zeta", "total", "u"):
        scale = max(abs(ref[key]), 1e-300)
        assert abs(got[key] - ref[key]) <= 1e-9 * scale * (1 + ref["u"]), (key, got[key], ref[key])
