"""Invariants and closed forms of the ridge toolkit and the ridge-mixture theory (no simulation)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.theory import ridge, ridge_mixture
from model_collapse.theory.spectrum import eigenvalues, isotropic_prior, parse_spectrum
from model_collapse.validation import InvalidParameterError

ISO = np.ones(200)
POW = eigenvalues("powerlaw:1.2", 200)


def risk(**kw):
    base = dict(n=400, p2=0.3, lam=1e-2, eigenvalues=POW, c2=1.5, r2=1.0, sigma=0.5, sigma2=0.8)
    base.update(kw)
    return ridge_mixture.predict(**base)


@pytest.mark.parametrize("n", [50, 150, 199, 201, 400, 4000])
@pytest.mark.parametrize("lam", [0.0, 1e-3, 1.0])
@pytest.mark.parametrize("p2", [0.0, 0.3, 1.0])
def test_isotropic_closed_forms_equal_general_code(n, lam, p2):
    g = ridge_mixture.predict(n, p2, lam, ISO, c2=0.7, r2=1.3, sigma=0.5, sigma2=0.9)
    i = ridge_mixture.isotropic_test_error(ISO.size / n, p2, lam, c2=0.7, r2=1.3, sigma=0.5, sigma2=0.9)
    for key in ("bias", "variance", "zeta", "total", "kappa", "u"):
        np.testing.assert_allclose(getattr(g, key), getattr(i, key), rtol=1e-12, atol=0, err_msg=key)
    if lam == 0:
        r = ridge_mixture.ridgeless_isotropic_test_error(ISO.size / n, p2, c2=0.7, r2=1.3, sigma=0.5, sigma2=0.9)
        np.testing.assert_allclose(r, g.total, rtol=1e-12)


def test_zeta_vanishes_without_synthetic_data_or_shift():
    assert float(risk(p2=0.0).zeta) == 0.0
    assert float(risk(c2=0.0).zeta) == 0.0
    assert float(risk(p2=0.0, lam=0.0, n=200).zeta) == 0.0  # even at the threshold (u = inf)


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5])
@pytest.mark.parametrize("n", [80, 600])
def test_p2_zero_is_classical_ridge(lam, n):
    gam = isotropic_prior(POW, 1.0)
    clean = ridge.ridge_risk(lam, POW, n, gam, 0.5)
    mix = risk(p2=0.0, lam=lam, n=n)
    np.testing.assert_allclose([mix.bias, mix.variance, mix.total], [clean.bias, clean.variance, clean.total],
                               rtol=1e-13)


@settings(max_examples=50)
@given(c2a=st.floats(0, 10), c2b=st.floats(0, 10), p2=st.floats(0, 1), lam=st.floats(0, 1),
       n=st.sampled_from([60, 150, 500]))
def test_monotone_in_c2(c2a, c2b, p2, lam, n):
    lo, hi = sorted([c2a, c2b])
    assert float(risk(c2=lo, p2=p2, lam=lam, n=n).total) <= float(risk(c2=hi, p2=p2, lam=lam, n=n).total)


def test_zeta_two_forms_agree():
    """ζ = p₂²(1+p₁u)D₃ + p₂u·tr ΔΣ(p₁Σ+κ)²(Σ+κ)⁻² (first form) equals the implemented second form."""
    for p2 in (0.0, 0.1, 0.5, 0.9, 1.0):
        r = risk(p2=p2)
        k, uu, w = float(r.kappa), float(r.u), POW
        dl = isotropic_prior(w, 1.5)
        first = p2**2 * (1 + (1 - p2) * uu) * np.sum(dl * w**3 / (w + k) ** 2) + p2 * uu * np.sum(
            dl * w * ((1 - p2) * w + k) ** 2 / (w + k) ** 2
        )
        assert float(r.zeta) == pytest.approx(first, rel=1e-13)


def test_broadcasting_grid_shape_and_values():
    n = np.array([100.0, 300.0, 3000.0])[:, None]
    p2 = np.array([0.0, 0.1, 0.5, 1.0])[None, :]
    grid = ridge_mixture.predict(n, p2, 1e-2, POW, c2=1.5, sigma=0.5, sigma2=0.8)
    assert grid.total.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = risk(n=float(n[i, 0]), p2=float(p2[0, j]))
            assert grid.total[i, j] == pytest.approx(float(one.total), rel=1e-14)


def test_kappa_isotropic_closed_form_and_ridgeless_regimes():
    lam = np.array([0.0, 1e-12, 1e-6, 1e-2, 1.0, 1e3])[:, None]
    n = np.array([3.0, 30.0, 199.0, 200.0, 201.0, 2000.0])[None, :]
    np.testing.assert_allclose(ridge.kappa(lam, ISO, n), ridge.isotropic_kappa(lam, 200 / n), rtol=1e-13, atol=0)
    assert float(ridge.kappa(0.0, ISO, 400)) == 0.0  # d < n
    assert float(ridge.kappa(0.0, ISO, 100)) == pytest.approx(1.0, rel=1e-14)  # κ₀ = φ − 1
    assert float(ridge.df1(ridge.kappa(0.0, POW, 50), POW)) == pytest.approx(50, rel=1e-13)  # df₁(κ₀) = n
    assert float(ridge.u(0.0, ISO, 200)) == np.inf  # the interpolation threshold


def test_kappa_fixed_point_holds_on_random_spectra():
    rng = np.random.default_rng(0)
    for _ in range(20):
        w = rng.lognormal(0, 2, rng.integers(5, 300))
        lam, n = 10 ** rng.uniform(-8, 2), 10 ** rng.uniform(0, 4)
        k = float(ridge.kappa(lam, w, n))
        assert k - lam == pytest.approx(k * float(ridge.df1(k, w)) / n, rel=1e-10, abs=1e-15 * k)


def test_ridgeless_floor_and_strong_collapse():
    """n → ∞ at fixed d: the error tends to p₂²c² (ridgeless) and never below it for p₂ > 0."""
    for p2 in (0.001, 0.01, 0.1, 0.5):
        floor = float(ridge_mixture.collapse_floor(0.0, p2, ISO, c2=2.0))
        assert floor == pytest.approx(p2**2 * 2.0, rel=1e-14)
        big = float(ridge_mixture.predict(1e15, p2, 0.0, ISO, c2=2.0, sigma=1.0).total)  # clean part ~2e-13
        assert big == pytest.approx(floor, rel=1e-6)
        assert big >= floor
    # λ > 0: the floor is λ²tr ΓΣ(Σ+λ)⁻² + p₂²tr ΔΣ³(Σ+λ)⁻², reached as n → ∞
    f = float(ridge_mixture.collapse_floor(0.05, 0.2, POW, c2=2.0))
    big = float(ridge_mixture.predict(1e12, 0.2, 0.05, POW, c2=2.0).total)
    assert big == pytest.approx(f, rel=1e-6)


def test_optimal_floor_isotropic_and_numeric():
    opt = ridge_mixture.optimal_floor(0.1, ISO, c2=2.0, r2=1.0)
    assert opt.lam == pytest.approx(0.1**2 * 2.0 / 1.0)
    assert opt.floor == pytest.approx(0.02 * 1.0 / (1.0 + 0.02))
    # generic spectrum: the numeric minimiser beats a fine grid and stays above zero
    opt = ridge_mixture.optimal_floor(0.1, POW, c2=2.0)
    grid = ridge_mixture.collapse_floor(np.logspace(-8, 2, 2001), 0.1, POW, c2=2.0)
    assert opt.floor <= grid.min() * (1 + 1e-9)
    assert opt.floor > 0


def test_crossover_n_is_where_clean_error_meets_floor():
    for p2 in (0.01, 0.1):
        n_star = float(ridge_mixture.crossover_n(100, p2, c2=1.0, sigma=1.0))
        clean = float(ridge_mixture.predict(n_star, 0.0, 0.0, np.ones(100), sigma=1.0).total)
        assert clean / (p2**2) == pytest.approx(n_star / (n_star - 100), rel=1e-9)
    # p₂ = 1e-3 puts n* a million times further out than p₂ = 1
    ratio = ridge_mixture.crossover_n(100, 1e-3) / ridge_mixture.crossover_n(100, 1.0)
    assert float(ratio) == pytest.approx(1e6, rel=1e-3)


def test_penalty_convention_sum_equals_lam_over_n():
    a = risk(lam=3.0, n=300, penalty="sum")
    b = risk(lam=3.0 / 300, n=300)
    assert float(a.total) == float(b.total)


def test_include_noise_adds_sigma1_squared():
    assert float(risk(include_noise=True).total) == pytest.approx(float(risk().total) + 0.25, rel=1e-15)


def test_spectrum_parsing():
    assert parse_spectrum("isotropic") == ("isotropic", 0.0)
    assert parse_spectrum("powerlaw:1.5") == ("powerlaw", 1.5)
    np.testing.assert_allclose(eigenvalues("powerlaw:2", 3), [1, 0.25, 1 / 9])
    for bad in ("powerlaw:", "powerlaw:-1", "powerlaw:nan", "gauss", "powerlaw:inf"):
        with pytest.raises(InvalidParameterError, match="'spectrum' parameter"):
            parse_spectrum(bad)


def test_isotropic_closed_forms_refuse_scales_whose_square_overflows():
    """σ² is formed directly in the reference closed forms: σ up to 1e150 is exact, beyond is refused naming σ."""
    th = ridge_mixture
    big = th.isotropic_test_error(0.5, 0.1, 0.01, sigma=1e149, sigma2=1e149)
    assert np.isfinite(big.total) and float(big.variance) == pytest.approx(1e298 * float(big.u), rel=1e-12)
    for fn, kw in ((th.isotropic_test_error, dict(phi=0.5, p2=0.1, lam=0.01)),
                   (th.ridgeless_isotropic_test_error, dict(phi=0.5, p2=0.1))):
        with pytest.raises(InvalidParameterError, match="'sigma' parameter"):
            fn(**kw, sigma=1e160)
