"""Weighted and iterative mixing (theory/mixing.py) against its simulator, exact identities and perturbed twins.

Tolerance: |mean − theory| ≤ 4·se + ALLOWANCE·|theory| with the ridge deterministic-equivalent finite-size
term ALLOWANCE = 2(1/|n − d| + 1/d) (the project's bracket for ridge, docs/theory.md §1; each round of iterative
mixing is one more ridge fit). Measured worst ratio (|mean − theory| − 4·se)₊ / (ALLOWANCE·|theory|) over
CASES below: 0.19 (the bias at a = 0.8, n = 300, d = 60); |mean − theory|/(ALLOWANCE·|theory|) ≤ 0.82 (zeta at
the power-law case). docs/mixing.md lists a 24-setting grid (worst 0.35).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _check import agrees, assert_agrees, assert_disagrees
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import mixing as mc
from model_collapse.theory import mixing as th
from model_collapse.theory import ridge_mixture as rm
from model_collapse.theory.ridge import ridge_risk
from model_collapse.theory.spectrum import eigenvalues
from model_collapse.validation import InvalidParameterError

FIELDS = ("bias", "variance", "zeta", "total")


def allowance(n: int, d: int) -> float:
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


def _sim_and_theory(n, d, p2, lam, weight, rounds, spectrum="isotropic", trials=150, seed=0, method="conditional",
                    **kw):
    w = eigenvalues(spectrum, d)
    est = mc.simulate(n, p2, lam, w, weight=weight, rounds=rounds, n_trials=trials, seed=seed, method=method, **kw)
    res = th.predict(n, est.p2_realised, lam, w, weight=weight, rounds=rounds, **kw)
    return est, res, w


# ------------------------------------------------------------------ exact identities (no simulation)

SPECTRA = ("isotropic", "powerlaw:1.0", "powerlaw:2.0")


@pytest.mark.parametrize("spectrum", SPECTRA)
def test_pooling_weight_equals_the_ridge_mixture(spectrum):
    """a = p₂ (weight=None and weight=p2) and round 1: every field equals theory.ridge_mixture.predict to 1e-10."""
    w = eigenvalues(spectrum, 80)
    n = np.array([20.0, 79.0, 81.0, 200.0, 5000.0])[:, None, None]
    p2 = np.array([0.0, 0.1, 0.5, 0.97, 1.0])[None, :, None]
    lam = np.array([0.0, 1e-8, 1e-3, 0.3, 10.0])[None, None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = rm.predict(n, p2, lam, w, c2=1.7, r2=0.8, sigma=0.6, sigma2=0.3)
        for weight in (None, np.broadcast_to(p2, np.broadcast_shapes(n.shape, p2.shape, lam.shape))):
            got = th.predict(n, p2, lam, w, weight=weight, c2=1.7, r2=0.8, sigma=0.6, sigma2=0.3)
            for f in (*FIELDS, "kappa", "u"):
                a, b = np.asarray(getattr(got, f)), np.asarray(getattr(ref, f))
                assert np.array_equal(np.isinf(a), np.isinf(b)), f
                fin = np.isfinite(b)
                np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-300, err_msg=f)


@pytest.mark.parametrize("spectrum", SPECTRA)
def test_weight_zero_is_ridge_on_the_real_rows_and_one_the_synthetic_rows(spectrum):
    """a = 0: ridge on n₁ = p₁n rows with the (1/n₁) loss; a = 1: the ridge mixture at p₂ = 1 on n₂ rows."""
    w = eigenvalues(spectrum, 50)
    for n, p2, lam in [(200, 0.3, 1e-2), (60, 0.5, 0.0), (400, 0.9, 0.1), (90, 0.2, 1e-4)]:
        zero = th.predict(n, p2, lam, w, weight=0.0, c2=2.0, sigma=0.5, sigma2=0.9)
        clean = ridge_risk(lam, w, (1 - p2) * n, np.full(50, 1.0 / w.sum()), 0.5)
        np.testing.assert_allclose(float(zero.total), float(clean.total), rtol=1e-10)
        assert float(zero.zeta) == 0.0
        one = th.predict(n, p2, lam, w, weight=1.0, c2=2.0, sigma=0.5, sigma2=0.9)
        syn = rm.predict(p2 * n, 1.0, lam, w, c2=2.0, sigma=0.5, sigma2=0.9)
        for f in FIELDS:
            np.testing.assert_allclose(float(getattr(one, f)), float(getattr(syn, f)), rtol=1e-10, err_msg=f)


def test_isotropic_ridgeless_law_of_iterative_mixing():
    """General recursion at Σ = I, λ = 0, pooling = E_t = (σ̄² + p₁p₂E_{t−1})φ/(1−φ) + p₂²E_{t−1}, E₀ = c²."""
    w = np.ones(100)
    t = np.arange(1, 30)
    for n, p2, c2, s1, s2 in [(400, 0.3, 1.0, 0.7, 0.7), (250, 0.6, 3.0, 1.0, 0.2), (1000, 0.9, 0.5, 0.3, 1.0),
                              (150, 0.5, 2.0, 1.0, 1.0)]:
        law = th.ridgeless_isotropic_rounds(100 / n, p2, t, c2=c2, sigma=s1, sigma2=s2)
        gen = th.predict(n, p2, 0.0, w, rounds=t, c2=c2, sigma=s1, sigma2=s2).total
        np.testing.assert_allclose(gen, law, rtol=1e-12)
        # E_1 is the SMC ridgeless formula
        np.testing.assert_allclose(law[0], rm.ridgeless_isotropic_test_error(100 / n, p2, c2=c2, sigma=s1, sigma2=s2),
                                   rtol=1e-12)
        phi = 100 / n
        g = phi / (1 - phi)
        den = 1 - p2**2 - (1 - p2) * p2 * g
        sbar = (1 - p2) * s1**2 + p2 * s2**2
        np.testing.assert_allclose(th.fixed_point(n, p2, 0.0, w, c2=c2, sigma=s1, sigma2=s2), sbar * g / den,
                                   rtol=1e-12)


def test_iterative_mixing_diverges_when_the_denominator_is_not_positive():
    w = np.ones(80)
    n, p2 = 100, 0.9  # φ = 0.8: 1 − p₂² − p₁p₂φ/(1−φ) = 0.19 − 0.36 < 0
    with pytest.warns(RuntimeWarning, match="diverges"):
        assert th.fixed_point(n, p2, 0.0, w, c2=1.0, sigma=1.0) == np.inf
    e = th.predict(n, p2, 0.0, w, rounds=np.arange(1, 60), c2=1.0, sigma=1.0).total
    assert np.all(np.diff(e) > 0) and e[-1] > 1e3 * e[0]


def test_ridgeless_underparameterised_any_spectrum_any_weight_is_affine_in_the_previous_error():
    """κ = 0: E_t = V + m·E_{t−1}, m = (1+U)p₂b₂²[p₂ + (d/n)(1 − 2p₂b₂)] (docs/mixing.md)."""
    w = eigenvalues("powerlaw:1.5", 40)
    n, p2, a = 200, 0.4, 0.25
    eq = th.deterministic_equivalent(n, p2, 0.0, w, weight=a)
    assert float(eq.kappa) == 0.0
    b2, U = float(eq.b2), float(eq.u)
    m = (1 + U) * p2 * b2**2 * (p2 + 40 / n * (1 - 2 * p2 * b2))
    e = th.predict(n, p2, 0.0, w, weight=a, rounds=np.arange(1, 6), c2=2.0, sigma=0.5)
    V = float(e.variance[0])
    np.testing.assert_allclose(e.total[1:], V + m * e.total[:-1], rtol=1e-12)
    np.testing.assert_allclose(e.total[0], V + m * 2.0, rtol=1e-12)


@pytest.mark.parametrize("spectrum,lam,weight", [("powerlaw:1.5", 0.1, 0.2), ("powerlaw:1.0", 0.01, None),
                                                 ("isotropic", 0.05, 0.7), ("isotropic", 0.0, 0.3)])
def test_fixed_point_is_the_limit_of_the_rounds(spectrum, lam, weight):
    w = eigenvalues(spectrum, 100)
    fp = th.fixed_point(300, 0.4, lam, w, weight=weight, c2=2.0, sigma=0.5)
    late = th.predict(300, 0.4, lam, w, weight=weight, rounds=3000, c2=2.0, sigma=0.5).total
    np.testing.assert_allclose(fp, late, rtol=1e-10)
    assert fp == pytest.approx(float(th.fixed_point(300, 0.4, lam, w, weight=weight, c2=0.01, sigma=0.5)), rel=1e-12)


def test_sympy_pooled_isotropic_ridgeless_recursion_reduces_to_the_law():
    """m = (1+U)p₂b₂²[p₂ + φ(1 − 2p₂b₂)] with b₂ = 1, U = φ/(1−φ) is p₂² + p₁p₂φ/(1−φ); s = 1 − θ at pooling."""
    import sympy as sp

    p2, phi, s, th_ = sp.symbols("p2 phi s theta", positive=True)
    m = (1 + phi / (1 - phi)) * p2 * (p2 + phi * (1 - 2 * p2))
    assert sp.simplify(m - (p2**2 + (1 - p2) * p2 * phi / (1 - phi))) == 0
    p1 = 1 - p2
    # both groups present, A_k = p_k (pooling): p₁p₂s² − H s − A₁A₂θ(1−θ), H = p₁A₂(p₂−θ) + p₂A₁(p₁−θ)
    quad = p1 * p2 * s**2 - (p1 * p2 * (p2 - th_) + p2 * p1 * (p1 - th_)) * s - p1 * p2 * th_ * (1 - th_)
    assert sp.simplify(quad.subs(s, 1 - th_)) == 0


def test_best_weight_matches_a_dense_grid_and_falls_like_one_over_n():
    w = np.ones(100)
    for n in (200, 1000, 10_000, 1e6):
        best = th.best_weight(n, 0.3, 0.0, w, c2=1.0, sigma=1.0)
        grid = np.linspace(0, 1, 20001)
        vals = th.predict(n, 0.3, 0.0, w, weight=grid, c2=1.0, sigma=1.0).total
        assert best.total <= vals.min() * (1 + 1e-12)
        assert abs(best.weight - grid[np.argmin(vals)]) <= 2e-4
        assert best.total < best.pooled_total
    # isotropic ridgeless: n·a* → σ₁²d/(p₁c²) = 100/0.7
    scaled = [n * th.best_weight(n, 0.3, 0.0, w, c2=1.0, sigma=1.0).weight for n in (1e5, 1e6, 1e7)]
    assert abs(scaled[-1] - 100 / 0.7) < 1e-3 * 100 / 0.7
    assert abs(scaled[0] - 100 / 0.7) > abs(scaled[-1] - 100 / 0.7)


def test_floor_at_a_fixed_weight_is_never_removed():
    """n → ∞ at fixed d: the error tends to λ²tr ΓΣ(Σ+λ)⁻² + a²tr ΔΣ³(Σ+λ)⁻² (> 0 for a > 0), for any p₂."""
    w = eigenvalues("powerlaw:1.0", 60)
    for lam, a, p2 in [(0.0, 0.2, 0.3), (0.01, 0.05, 0.7), (0.1, 0.5, 0.5)]:
        floor = float(th.weight_floor(lam, a, w, c2=2.0))
        big = float(th.predict(1e10, p2, lam, w, weight=a, c2=2.0, sigma=1.0).total)
        assert big == pytest.approx(floor, rel=1e-6)
        assert floor >= a**2 * float(rm.collapse_floor(lam, 1.0, w, c2=2.0, r2=0.0)) > 0
    assert float(th.weight_floor(0.0, 0.3, np.ones(10), c2=2.0)) == pytest.approx(0.09 * 2.0, rel=1e-14)


def test_array_shapes_and_scalar_in_scalar_out():
    w = np.ones(30)
    r = th.predict(np.array([100, 200])[:, None], 0.3, 0.01, w, weight=np.linspace(0, 1, 5), rounds=[1, 3])
    assert r.total.shape == (2, 5, 2) and r.kappa.shape == (2, 5)
    s = th.predict(100, 0.3, 0.01, w, rounds=2)
    assert np.ndim(s.total) == 0 and isinstance(s.as_dict()["total"], float)


@pytest.mark.parametrize("kw,name", [(dict(weight=1.5), "weight"), (dict(weight=-0.1), "weight"),
                                     (dict(rounds=0), "rounds"), (dict(rounds=1.5), "rounds"),
                                     (dict(sigma=1e200), "sigma"), (dict(p2=1.2), "p2")])
def test_invalid_input_names_the_parameter(kw, name):
    base = dict(n=100, p2=0.3, lam=0.01, eigenvalues=np.ones(10))
    for fn in (th.predict, lambda **s: mc.simulate(**s, n_trials=2)):
        with pytest.raises(InvalidParameterError, match=f"'{name}'"):
            fn(**{**base, **kw})
    with pytest.raises(InvalidParameterError, match="'weight'"):
        mc.simulate(100, 0.3, 0.01, np.ones(10), weight=np.array([0.1, 0.2]), n_trials=2)


# ------------------------------------------------------------------ theory against simulation

# (n, d, p2, lam, weight, rounds, spectrum): weights other than p2, ridge and ridgeless, n > d and n < d
CASES = [
    (300, 60, 0.3, 0.01, 0.1, [1, 2, 4], "isotropic"),
    (300, 60, 0.3, 0.01, 0.8, [1, 2, 4], "isotropic"),
    (300, 60, 0.5, 0.0, 0.3, [1, 3, 5], "isotropic"),
    (240, 60, 0.4, 0.1, 0.2, [1, 3, 6], "powerlaw:1.5"),
    (30, 60, 0.4, 0.05, 0.7, [1, 2, 3], "powerlaw:1.0"),
]


@pytest.mark.parametrize("n,d,p2,lam,weight,rounds,spectrum", CASES)
def test_theory_matches_simulation(n, d, p2, lam, weight, rounds, spectrum):
    est, res, _ = _sim_and_theory(n, d, p2, lam, weight, rounds, spectrum, c2=2.0, sigma=0.5, sigma2=0.3)
    for f in FIELDS:
        e = getattr(est, f)
        assert_agrees(getattr(res, f), e.mean, e.sem, finite_rtol=allowance(n, d), atol=1e-12,
                      label=f"{f} n={n} d={d} a={weight}", require_power=f == "total")


TWIN_CASES = [(*CASES[0], ("pooling", "first", "shift")), (*CASES[1], ("pooling", "first", "shift")),
              (*CASES[3], ("pooling", "first"))]  # at CASES[3] the rounds converge at once: rounds − 1 has no power


@pytest.mark.parametrize("n,d,p2,lam,weight,rounds,spectrum,twins", TWIN_CASES)
def test_perturbed_twins_fail(n, d, p2, lam, weight, rounds, spectrum, twins):
    """Plausible mistakes fail the same check: pooling used for a; E_{t−1} replaced by c² every round (the
    round-1 error reported at every round); rounds − 1 (E_{t−1} reported for E_t)."""
    est, res, w = _sim_and_theory(n, d, p2, lam, weight, rounds, spectrum, c2=2.0, sigma=0.5, sigma2=0.3)
    kw = dict(c2=2.0, sigma=0.5, sigma2=0.3)
    tol = dict(finite_rtol=allowance(n, d), atol=1e-12)
    if "pooling" in twins:
        pooled = th.predict(n, est.p2_realised, lam, w, weight=None, rounds=rounds, **kw).total
        assert_disagrees(pooled, est.total.mean, est.total.sem, label="pooling for a", **tol)
    if "first" in twins:
        first = np.full(len(rounds), float(th.predict(n, est.p2_realised, lam, w, weight=weight, rounds=1,
                                                      **kw).total))
        assert_disagrees(first, est.total.mean, est.total.sem, label="c² every round", **tol)
    if "shift" in twins:
        later = np.asarray(rounds)[1:]
        shifted = th.predict(n, est.p2_realised, lam, w, weight=weight, rounds=later - 1, **kw).total
        assert_disagrees(shifted, est.total.mean[1:], est.total.sem[1:], label="rounds − 1", **tol)


def test_perturbed_twin_without_the_teacher_correlation_fails():
    """With ridge, d_t = ŵ_{t−1} − w₁ is correlated with w₁; dropping that cross term is a visible mistake."""
    n, d, p2, lam, a, rounds = 240, 60, 0.6, 0.3, 0.6, [2, 3, 5]
    est, res, w = _sim_and_theory(n, d, p2, lam, a, rounds, "powerlaw:1.0", c2=0.5, sigma=0.3)
    tol = dict(finite_rtol=allowance(n, d), atol=1e-12)
    assert_agrees(res.total, est.total.mean, est.total.sem, label="with the cross term", **tol)
    wrong = th._total_without_cross_term(n, est.p2_realised, lam, w, weight=a, rounds=rounds, c2=0.5, sigma=0.3)
    assert_disagrees(wrong, est.total.mean, est.total.sem, label="without the cross term", **tol)


def test_literal_rounds_agree_with_the_conditional_method():
    """method='sample' (rows, labels, fits, next round's labels from the fitted model) is the same experiment."""
    n, d = 120, 30
    est, res, _ = _sim_and_theory(n, d, 0.5, 0.02, 0.3, [1, 3], "powerlaw:1.0", trials=300, method="sample",
                                  c2=1.0, sigma=0.5)
    for f in FIELDS:
        e = getattr(est, f)
        assert_agrees(getattr(res, f), e.mean, e.sem, finite_rtol=allowance(n, d), atol=1e-12, label=f)


def test_simulator_pooling_equals_ordinary_ridge_mixture_simulation_in_law():
    """Round 1 at weight=None is the pooled ridge fit: the same conditional estimate as montecarlo.ridge_mixture
    up to the draw order (compare both with the common theory)."""
    from model_collapse.montecarlo import ridge_mixture as mcr

    w = np.ones(40)
    a = mc.simulate(160, 0.25, 0.01, w, n_trials=200, seed=5)
    b = mcr.simulate(160, 0.25, 0.01, w, n_trials=200, seed=5)
    for f in FIELDS:
        ea, eb = getattr(a, f), getattr(b, f)
        assert abs(ea.mean - eb.mean) <= 4 * np.hypot(ea.sem, eb.sem) + 1e-12


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(p2=st.sampled_from([0.2, 0.5, 0.8]), weight=st.floats(0.0, 1.0), lam=st.sampled_from([0.0, 1e-3, 0.05, 0.5]),
       spectrum=st.sampled_from(["isotropic", "powerlaw:1.0", "powerlaw:1.5"]), ratio=st.sampled_from([0.5, 3.0, 5.0]))
def test_theory_matches_simulation_property(p2, weight, lam, spectrum, ratio):
    d = 50
    n = int(ratio * d)
    if lam == 0.0 and ratio < 1:
        lam = 1e-3  # ridgeless with n < d on one group is the min-norm fit: fine, but keep the set small
    est, res, _ = _sim_and_theory(n, d, p2, lam, weight, [1, 2, 4], spectrum, trials=200, c2=1.5, sigma=0.5)
    assert_agrees(res.total, est.total.mean, est.total.sem, finite_rtol=allowance(n, d), atol=1e-12,
                  label=f"n={n} a={weight}", require_power=True)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["conditional", "sample"])
def test_larger_dimension_power_law(method):
    n, d = 600, 150
    est, res, _ = _sim_and_theory(n, d, 0.4, 0.01, 0.15, [1, 2, 5], "powerlaw:1.0",
                                  trials=60 if method == "sample" else 100, method=method, c2=2.0, sigma=0.5)
    for f in FIELDS:
        e = getattr(est, f)
        assert agrees(getattr(res, f), e.mean, e.sem, finite_rtol=allowance(n, d), atol=1e-12), f


def test_figure_data_quick():
    """figures/smc_mixing.py (quick): columns, simulation points within the stated check, a* at the curve's min."""
    from model_collapse.figures import registry
    from model_collapse.figures import smc_mixing as f
    from model_collapse.figures._base import rows

    tab = registry()["smc_mixing"].compute(True, 0)
    assert set(tab) == {"panel", "kind", "series", "x", "value", "se"}
    w = np.ones(f.D)
    sim_a = rows(tab, panel="a", kind="simulation")
    for n, a, v, se in zip(sim_a["series"], sim_a["x"], sim_a["value"], sim_a["se"], strict=True):
        ref = float(th.predict(int(n), f.P2_A, 0.0, w, weight=a, c2=f.C2_A, sigma=f.SIGMA).total)
        assert_agrees(ref, v, se, finite_rtol=allowance(int(n), f.D), label=f"(a) n={n} a={a}")
    for n in set(rows(tab, panel="a", kind="best")["series"].tolist()):
        best = rows(tab, panel="a", kind="best", series=n)
        curve = rows(tab, panel="a", kind="theory", series=n)
        assert best["value"][0] <= curve["value"].min() * (1 + 1e-12)
    sim_b = rows(tab, panel="b", kind="simulation")
    assert len(sim_b["x"]) >= 8
    for lab, t, v, se in zip(sim_b["series"], sim_b["x"], sim_b["value"], sim_b["se"], strict=True):
        curve = rows(tab, panel="b", kind="theory", series=lab)
        ref = float(curve["value"][curve["x"] == t][0])
        assert_agrees(ref, v, se, finite_rtol=allowance(f.N_B, f.D), label=f"(b) {lab} t={t}")


def _weighted_resolvent_mp(n, p2, lam, w, a, dps=40):
    """Independent mpmath solve of the original two-population form: τ = (1/n)Σ ω/(λ + s(τ)ω) with
    s(τ) = Σ_k p_kα_k/(1 + α_kτ) (a bracketed root in τ), returning (κ = λ/s, τ)."""
    import mpmath

    with mpmath.workdps(dps):
        p2m = mpmath.mpf(p2)
        p1m = 1 - p2m
        al = [(p1m, (1 - mpmath.mpf(a)) / p1m), (p2m, mpmath.mpf(a) / p2m)]
        lamm, nm = mpmath.mpf(lam), mpmath.mpf(n)
        ws = [mpmath.mpf(float(x)) for x in w]

        def s_of(tau):
            return mpmath.fsum(p * x / (1 + x * tau) for p, x in al)

        def f(tau):
            s = s_of(tau)
            return tau - mpmath.fsum(x / (lamm + s * x) for x in ws) / nm

        hi = mpmath.fsum(ws) / (nm * lamm)
        tau = mpmath.findroot(f, (mpmath.mpf(0), hi), solver="illinois", tol=mpmath.mpf(10) ** (-dps + 5))
        return float(lamm / s_of(tau)), float(tau)


@pytest.mark.parametrize("spectrum,n,p2,lam,a", [("isotropic", 300, 0.3, 0.01, 0.1),
                                                 ("powerlaw:1.0", 50, 0.6, 1e-4, 0.9),
                                                 ("powerlaw:2.0", 1000, 0.2, 1.0, 0.5),
                                                 ("powerlaw:1.5", 120, 0.5, 1e-2, 0.3)])
def test_weighted_resolvent_matches_an_independent_mpmath_solve(spectrum, n, p2, lam, a):
    w = eigenvalues(spectrum, 100)
    eq = th.deterministic_equivalent(n, p2, lam, w, weight=a)
    kap, tau = _weighted_resolvent_mp(n, p2, lam, w, a)
    assert float(eq.kappa) == pytest.approx(kap, rel=1e-12)
    assert float(eq.theta / eq.s) == pytest.approx(tau, rel=1e-12)


def test_weighted_resolvent_trace_matches_simulation():
    """First order: E (1/n)tr Σ(Σ̂_w + λ)⁻¹ ≍ τ = θ/s, for a weight far from pooling."""
    n, d, p2, lam, a = 300, 60, 0.3, 0.02, 0.85
    w = eigenvalues("powerlaw:1.0", d)
    eq = th.deterministic_equivalent(n, p2, lam, w, weight=a)
    rng = np.random.default_rng(4)
    n2 = int(p2 * n)
    al1, al2 = (1 - a) * n / (n - n2), a * n / n2
    vals = []
    for _ in range(200):
        X = rng.standard_normal((n, d)) * np.sqrt(w)
        S = (al1 * X[: n - n2].T @ X[: n - n2] + al2 * X[n - n2:].T @ X[n - n2:]) / n
        vals.append(np.trace(np.diag(w) @ np.linalg.inv(S + lam * np.eye(d))) / n)
    vals = np.asarray(vals)
    assert_agrees(float(eq.theta / eq.s), vals.mean(), vals.std(ddof=1) / np.sqrt(vals.size),
                  finite_rtol=allowance(n, d), label="tau")


def test_general_diagonal_priors_and_a_non_monotone_round_path():
    """Anisotropic Γ, Δ (per-direction state matters): theory = simulation; here E_t is not monotone in t
    (0.889, 0.717, 0.740 at rounds 1, 3, 5): the shrinkage correlation of the generator with w₁ at work."""
    d = 60
    w = eigenvalues("powerlaw:1.0", d)
    gam = np.arange(1, d + 1) ** -0.5
    gam = gam / np.sum(gam * w) * 1.5
    dlt = np.arange(1, d + 1) ** -1.5
    dlt = dlt / np.sum(dlt * w) * 2.0
    kw = dict(weight=0.7, rounds=[1, 3, 5], gamma=gam, delta=dlt, sigma=0.4)
    est = mc.simulate(240, 0.5, 0.3, w, n_trials=150, seed=9, **kw)
    res = th.predict(240, 0.5, 0.3, w, **kw)
    for f in FIELDS:
        e = getattr(est, f)
        assert_agrees(getattr(res, f), e.mean, e.sem, finite_rtol=allowance(240, d), atol=1e-12, label=f)
    assert res.total[1] < res.total[0] and res.total[2] > res.total[1]


def test_multiplicities_equal_the_expanded_spectrum():
    wu, mu = np.array([1.0, 0.3, 0.05]), np.array([10, 20, 30])
    kw = dict(weight=0.2, rounds=[1, 4], c2=1.5, sigma=0.5)
    a = th.predict(200, 0.4, 0.01, wu, multiplicities=mu, **kw)
    b = th.predict(200, 0.4, 0.01, np.repeat(wu, mu), **kw)
    np.testing.assert_allclose(a.total, b.total, rtol=1e-13)
    assert th.fixed_point(200, 0.4, 0.01, wu, multiplicities=mu, weight=0.2, c2=1.5, sigma=0.5) == pytest.approx(
        float(th.fixed_point(200, 0.4, 0.01, np.repeat(wu, mu), weight=0.2, c2=1.5, sigma=0.5)), rel=1e-13)
