"""Covariate shift (theory.covariate_shift; ridge_mixture with eigenvalues2) against simulation and references.

Tolerance of every theory-vs-simulation check (tests/_check.py): |mc − theory| ≤ 4·SE + FINITE·|theory| + ATOL
with the project's ridge finite-size allowance FINITE = 2·(1/|n − d| + 1/d) (deterministic equivalents are exact
only as n, d → ∞; tests/test_ridge_mixture_mc.py). Measured for covariate shift (d = 150-160, 40 conditional
trials per setting; see docs/covariate_shift.md §5): the worst |mc − theory|/(4·SE + FINITE·|theory|) is
printed by ``python tests/test_covariate_shift.py`` and stated in the docs.
Theory is evaluated at the realised synthetic fraction round(p₂n)/n, which is what is simulated.
"""

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from _check import agrees, assert_agrees, assert_disagrees, has_power
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.theory import covariate_shift as cs
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import isotropic_prior
from model_collapse.validation import InvalidParameterError
from strategies import named_spectrum

PARTS = ("bias", "variance", "zeta", "total")
ATOL = 1e-12
TRIALS = 40
KW = dict(c2=2.0, r2=1.0, sigma=0.5, sigma2=0.8)


def finite_rtol(n, d):
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


def powerlaw(d, beta, trace=None):
    w = np.arange(1, d + 1, dtype=float) ** -beta
    return w if trace is None else w * (trace / w.sum())


def run(setting, trials=TRIALS, seed=0, method="conditional"):
    est = mc.simulate(**setting, n_trials=trials, seed=seed, method=method)
    return th.predict(**dict(setting, p2=est.p2_realised)), est


def ratio(theory, est, part, fr):
    e = getattr(est, part)
    t = float(getattr(theory, part))
    return abs(e.mean - t) / (4 * e.sem + fr * abs(t) + ATOL)


# ---------------------------------------------------------------------------------------------------------
# Σ₂ = Σ₁: the single-covariance ridge mixture, to 1e-10


@st.composite
def reduction_settings(draw):
    """Settings of the ridge mixture incl. λ → 0, λ = 0, d > n and power laws, away from n = d (|n/d − 1| ≥ 0.1)."""
    d = draw(st.integers(5, 300))
    ratio_ = draw(st.one_of(st.floats(0.05, 0.9), st.floats(1.1, 20.0)))
    lam = draw(st.one_of(st.just(0.0), st.floats(1e-12, 1e-6), st.floats(1e-6, 10.0)))
    return dict(n=ratio_ * d, p2=draw(st.floats(0.0, 1.0)), lam=lam, eigenvalues=draw(named_spectrum(d)),
                c2=draw(st.floats(0.0, 4.0)), r2=draw(st.floats(0.1, 2.0)), sigma=draw(st.floats(0.0, 1.0)),
                sigma2=draw(st.floats(0.0, 1.0)))


def _general_path(setting):
    """The two-population solver and formulas run on Σ₂ = Σ₁ (bypassing the α₂ = p₂ shortcut)."""
    w = setting["eigenvalues"]
    m = np.ones_like(w)
    lam, n, p2 = (np.atleast_1d(np.asarray(setting[k], dtype=float)) for k in ("lam", "n", "p2"))
    zero_root = (lam == 0) & (w.size <= n)
    inner = (p2 > 0) & (p2 < 1)
    if inner.all():
        mu, a = cs._shift_solve(lam, n, p2, w, w.copy(), m, zero_root)
    else:
        mu, a = cs._solve_block(lam, n, p2, w, w.copy(), m, float(w.size))
    t = np.where(mu > 0, lam / np.where(mu > 0, mu, 1.0), np.maximum(1 - w.size / n, 0.0))
    gam, dlt = isotropic_prior(w, setting["r2"]), isotropic_prior(w, setting["c2"])
    bias, y1, y2, zeta = cs._pieces_flat(mu, a, t, n, w, w.copy(), m, gam, dlt)
    var = setting["sigma"] ** 2 * y1 + setting["sigma2"] ** 2 * y2
    return dict(bias=bias, variance=var, zeta=zeta, total=bias + var + zeta, kappa=mu, u=y1 + y2)


@settings(max_examples=150)
@given(setting=reduction_settings())
def test_equal_covariances_reduce_to_the_ridge_mixture(setting):
    ref = th.predict(**setting)
    same = th.predict(**setting, eigenvalues2=setting["eigenvalues"].copy())  # the public path
    direct = cs.predict(**setting, eigenvalues2=setting["eigenvalues"].copy())
    general = _general_path(setting)
    for key in ("bias", "variance", "zeta", "total", "kappa", "u"):
        r = float(getattr(ref, key))
        for got in (float(getattr(same, key)), float(getattr(direct, key)), float(general[key][0])):
            assert got == pytest.approx(r, rel=1e-10, abs=1e-300), (key, got, r, setting)


def test_nearly_equal_covariances_are_continuous():
    """Σ₂ = Σ₁(1 + ε): the shift engine (not the shortcut) lands within O(ε) of the ridge mixture."""
    w = powerlaw(200, 1.0)
    for n, lam in ((80, 1e-3), (500, 0.0), (80, 0.0)):
        ref = th.predict(n, 0.4, lam, w, **KW)
        got = th.predict(n, 0.4, lam, w, eigenvalues2=w * (1 + 1e-9), **KW)
        for key in PARTS:
            assert float(getattr(got, key)) == pytest.approx(float(getattr(ref, key)), rel=1e-7), key


# ---------------------------------------------------------------------------------------------------------
# Theory against simulation, and the perturbed twins

D = 150
ISO = np.ones(D)
PL = powerlaw(D, 1.0, trace=D)  # power law with the isotropic trace: a pure change of shape
PL_RAW = powerlaw(D, 1.0)       # power law j^-1: shape and scale
SHIFTS = {"iso->pl": (ISO, PL), "pl->iso": (PL, ISO), "iso->pl_raw": (ISO, PL_RAW), "pl_raw->iso": (PL_RAW, ISO)}
GRID = [(375, 0.3, 1e-2), (75, 0.5, 1e-2), (375, 0.5, 0.0), (90, 0.7, 0.0)]  # n > d and n < d, ridge and ridgeless


@pytest.mark.parametrize("shift", ["iso->pl", "pl->iso"])
@pytest.mark.parametrize("n,p2,lam", GRID)
def test_theory_matches_simulation(shift, n, p2, lam):
    w1, w2 = SHIFTS[shift]
    s = dict(n=n, p2=p2, lam=lam, eigenvalues=w1, eigenvalues2=w2, **KW)
    theory, est = run(s)
    fr = finite_rtol(n, D)
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=fr, atol=ATOL, label=f"{part} {shift} {s}",
                      require_power=(part == "total"))


def swapped_tau_prediction(setting):
    """Perturbed twin (b): R̄ built with the other population's τ, (λ + p₁Σ₁/(1+τ₂) + p₂Σ₂/(1+τ₁))⁻¹, pushed
    through the same second-order formulas. Needs λ > 0 (finite τ)."""
    n, p2, lam, w1, w2 = (setting[k] for k in ("n", "p2", "lam", "eigenvalues", "eigenvalues2"))
    fp = cs.fixed_point(n, p2, lam, w1, w2)
    a1, a2 = 1 / (1 + fp.tau1), 1 / (1 + fp.tau2)
    t = (1 - p2) * a2 + p2 * a1
    wrong = cs.ShiftFixedPoint(mu=lam / t, alpha2=p2 * a1 / t, t=t, tau1=fp.tau2, tau2=fp.tau1)
    gam, dlt = isotropic_prior(w1, setting["r2"]), isotropic_prior(w1, setting["c2"])
    pieces = cs.risk_pieces(wrong, n, w1, w2, gamma=gam, delta=dlt)
    var = setting["sigma"] ** 2 * pieces.var1 + setting["sigma2"] ** 2 * pieces.var2
    return float(pieces.bias + var + pieces.zeta)


TWIN_CASES = [("iso->pl_raw", 375, 0.3, 1e-2), ("pl_raw->iso", 75, 0.5, 1e-2), ("iso->pl", 375, 0.5, 1e-2),
              ("pl->iso", 90, 0.7, 1e-2)]


@pytest.mark.parametrize("shift,n,p2,lam", TWIN_CASES)
def test_twins_fail(shift, n, p2, lam):
    """(a) Σ₂ ignored (the single-covariance ridge mixture at Σ₁) and (b) τ₁, τ₂ swapped in R̄ must FAIL the same
    check that the correct prediction passes."""
    w1, w2 = SHIFTS[shift]
    s = dict(n=n, p2=p2, lam=lam, eigenvalues=w1, eigenvalues2=w2, **KW)
    theory, est = run(s)
    p2r = est.p2_realised
    fr = finite_rtol(n, D)
    e = est.total
    assert_agrees(theory.total, e.mean, e.sem, finite_rtol=fr, label="correct")
    ignored = th.predict(**dict(s, p2=p2r, eigenvalues2=None)).total
    assert_disagrees(ignored, e.mean, e.sem, finite_rtol=fr, label="Σ₂ ignored")
    assert_disagrees(swapped_tau_prediction(dict(s, p2=p2r)), e.mean, e.sem, finite_rtol=fr, label="τ swapped")


@pytest.mark.parametrize("setting", [
    dict(n=250, p2=0.4, lam=1e-2),   # d < n, ridge
    dict(n=60, p2=0.5, lam=0.0),     # d > n, min-norm interpolation
])
def test_literal_experiment_agrees_with_conditional_estimator(setting):
    """method="sample" draws both populations, the teacher, the shift and the noise literally and fits ridge;
    the conditional estimator integrates all but the design exactly. Same expectation: no allowance."""
    w1, w2 = np.ones(100), powerlaw(100, 1.0, trace=300.0)
    s = dict(setting, eigenvalues=w1, eigenvalues2=w2, **KW)
    a = mc.simulate(**s, n_trials=40, seed=1)
    b = mc.simulate(**s, n_trials=400, seed=2, method="sample")
    for part in PARTS:
        ea, eb = getattr(a, part), getattr(b, part)
        assert agrees(ea.mean, eb.mean, np.hypot(ea.sem, eb.sem), finite_rtol=0.0, atol=ATOL), (part, ea, eb)


def test_literal_simulation_matches_theory():
    """Theory against the literal experiment itself (method="sample"), power-law Σ₂ against isotropic Σ₁."""
    s = dict(n=300, p2=0.4, lam=1e-2, eigenvalues=ISO, eigenvalues2=PL, **KW)
    theory, est = run(s, trials=150, method="sample")
    fr = finite_rtol(300, D)
    assert has_power(theory.total, est.total.sem, finite_rtol=fr)
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=fr, atol=ATOL, label=part)


def test_streams_unchanged_and_equal_spectrum_is_the_old_simulator():
    """eigenvalues2=None draws exactly what the simulator drew before the keyword; Σ₂ = Σ₁ passed explicitly is
    the same experiment (conditional method: bit-identical)."""
    kw = dict(n=80, p2=0.25, lam=0.1, eigenvalues=np.ones(50), c2=1.0, n_trials=5, seed=3)
    a = mc.simulate(**kw)
    b = mc.simulate(**kw, eigenvalues2=np.ones(50))
    assert a.total.mean == b.total.mean == pytest.approx(0.9926731825405185, rel=1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("shift", list(SHIFTS))
@pytest.mark.parametrize("n,p2,lam", [(750, 0.3, 1e-2), (150, 0.6, 1e-3), (750, 0.5, 0.0), (180, 0.7, 0.0),
                                      (1200, 0.9, 0.1)])
def test_theory_matches_simulation_large_d(shift, n, p2, lam):
    """d = 300, the four shifts, five settings: the allowance is ~2x tighter than at d = 150."""
    d = 300
    w1 = {"iso": np.ones(d), "pl": powerlaw(d, 1.0, trace=d), "pl_raw": powerlaw(d, 1.0)}[shift.split("->")[0]]
    w2 = {"iso": np.ones(d), "pl": powerlaw(d, 1.0, trace=d), "pl_raw": powerlaw(d, 1.0)}[shift.split("->")[1]]
    s = dict(n=n, p2=p2, lam=lam, eigenvalues=w1, eigenvalues2=w2, **KW)
    theory, est = run(s, trials=12)
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=finite_rtol(n, d), atol=ATOL, label=part)


@st.composite
def shift_settings(draw):
    """Random shapes: Σ₁ = j^-β₁, Σ₂ = scale·j^-β₂ (possibly in reversed order: the synthetic rows strongest where
    the real ones are weakest), d = 150-220, |n/d − 1| ≥ 0.4, λ ∈ {0} ∪ [1e-3, 0.3], p₂ ∈ [0.1, 0.9]."""
    d = draw(st.integers(150, 220))
    w1 = powerlaw(d, draw(st.floats(0.0, 1.5)))
    w2 = draw(st.floats(0.2, 5.0)) * powerlaw(d, draw(st.floats(0.0, 1.5)))
    if draw(st.booleans()):
        w2 = w2[::-1].copy()
    ratio_ = draw(st.one_of(st.floats(0.3, 0.6), st.floats(1.6, 4.0)))
    return dict(n=int(round(ratio_ * d)), p2=draw(st.floats(0.1, 0.9)),
                lam=draw(st.one_of(st.just(0.0), st.floats(1e-3, 0.3))), eigenvalues=w1, eigenvalues2=w2,
                c2=draw(st.floats(0.5, 4.0)), r2=1.0, sigma=draw(st.floats(0.1, 1.0)),
                sigma2=draw(st.floats(0.1, 1.0)))


@pytest.mark.slow
@settings(max_examples=15)
@given(setting=shift_settings())
def test_theory_matches_simulation_random_shifts(setting):
    theory, est = run(setting, trials=20)
    d = setting["eigenvalues"].size
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=finite_rtol(setting["n"], d), atol=ATOL,
                      label=part, require_power=(part == "total"))


# ---------------------------------------------------------------------------------------------------------
# High precision: the fixed point and the UNSIMPLIFIED leave-one-out formulas, at 40 digits


def mp_reference(n, p2, lam, w1, w2, gam, dlt, s1sq, s2sq, dps=40):
    """Independent twin: solve τ_k = tr Σ_k R̄/n for (τ₁, τ₂) in the original variables, then evaluate the raw
    second-order expressions of docs/covariate_shift.md §3 (before any simplification):
    γ = (I − C)⁻¹g with C_jk = p_k a_k² tr Σ_jR̄Σ_kR̄/n, g_j = tr Σ_jR̄Σ₁R̄/n; Φ = R̄Σ₁R̄ + Σ_k p_k a_k²γ_k R̄Σ_kR̄;
    B = λ² tr ΓΦ, V = Σ_k σ_k² p_k a_k² γ_k, ζ = p₂a₂²γ₂ tr ΔΣ₂ + p₂²a₂² tr ΔΣ₂ΦΣ₂ − 2p₂²a₂³γ₂ tr ΔΣ₂R̄Σ₂."""
    with mpmath.workdps(dps):
        mp = mpmath.mpf
        s1, s2 = [mp(float(x)) for x in w1], [mp(float(x)) for x in w2]
        G, Dl = [mp(float(x)) for x in gam], [mp(float(x)) for x in dlt]
        n, p2, lam = mp(float(n)), mp(float(p2)), mp(float(lam))
        p1 = 1 - p2

        def rbar(t1, t2):
            return [1 / (lam + p1 * a / (1 + t1) + p2 * b / (1 + t2)) for a, b in zip(s1, s2, strict=True)]

        def eqs(t1, t2):
            r = rbar(t1, t2)
            return [t1 - mpmath.fsum(a * x for a, x in zip(s1, r, strict=True)) / n,
                    t2 - mpmath.fsum(b * x for b, x in zip(s2, r, strict=True)) / n]

        # τ ↦ (tr Σ₁R̄(τ)/n, tr Σ₂R̄(τ)/n) is increasing in both τ's: iterated from τ = 0 it climbs monotonically
        # to the unique fixed point (no spurious negative root); then Newton polishes to 40 digits.
        t1 = t2 = mp(0)
        for _ in range(3000):
            r1, r2 = eqs(t1, t2)
            t1, t2 = t1 - r1, t2 - r2
            if abs(r1) + abs(r2) < mp(10) ** -12 * (1 + t1 + t2):
                break
        t1, t2 = mpmath.findroot(eqs, (t1, t2), tol=mp(10) ** (-dps + 8), maxsteps=200)
        assert t1 > 0 and t2 > 0
        R = rbar(t1, t2)
        a = [1 / (1 + t1), 1 / (1 + t2)]
        p = [p1, p2]
        S = [s1, s2]
        tr = lambda f: mpmath.fsum(f(i) for i in range(len(R)))  # noqa: E731
        C = mpmath.matrix(2, 2)
        g = mpmath.matrix(2, 1)
        for j in range(2):
            g[j] = tr(lambda i, j=j: S[j][i] * R[i] * s1[i] * R[i]) / n
            for k in range(2):
                C[j, k] = p[k] * a[k] ** 2 * tr(lambda i, j=j, k=k: S[j][i] * R[i] * S[k][i] * R[i]) / n
        gm = mpmath.lu_solve(mpmath.eye(2) - C, g)
        phi = [R[i] * s1[i] * R[i] + sum(p[k] * a[k] ** 2 * gm[k] * R[i] * S[k][i] * R[i] for k in range(2))
               for i in range(len(R))]
        bias = lam**2 * tr(lambda i: G[i] * phi[i])
        var = mp(float(s1sq)) * p1 * a[0] ** 2 * gm[0] + mp(float(s2sq)) * p2 * a[1] ** 2 * gm[1]
        zeta = (p2 * a[1] ** 2 * gm[1] * tr(lambda i: Dl[i] * s2[i])
                + p2**2 * a[1] ** 2 * tr(lambda i: Dl[i] * s2[i] * phi[i] * s2[i])
                - 2 * p2**2 * a[1] ** 3 * gm[1] * tr(lambda i: Dl[i] * s2[i] * R[i] * s2[i]))
        return dict(tau1=float(t1), tau2=float(t2), bias=float(bias), variance=float(var), zeta=float(zeta))


@settings(max_examples=25)
@given(d=st.integers(3, 24), log_ratio=st.floats(-1.0, 1.0), p2=st.floats(0.05, 0.95),
       lam=st.floats(1e-3, 10.0), b1=st.floats(0.0, 2.0), b2=st.floats(0.0, 2.0), scale=st.floats(0.1, 10.0),
       flip=st.booleans())
def test_simplified_formulas_match_unsimplified_at_40_digits(d, log_ratio, p2, lam, b1, b2, scale, flip):
    w1 = powerlaw(d, b1)
    w2 = scale * powerlaw(d, b2)
    if flip:
        w2 = w2[::-1].copy()
    n = d * 10**log_ratio
    gam = np.linspace(0.5, 1.5, d) / d
    dlt = np.linspace(1.5, 0.2, d) / d
    ref = mp_reference(n, p2, lam, w1, w2, gam, dlt, 0.25, 0.64)
    got = cs.predict(n, p2, lam, w1, eigenvalues2=w2, gamma=gam, delta=dlt, sigma=0.5, sigma2=0.8)
    fp = cs.fixed_point(n, p2, lam, w1, w2)
    assert float(fp.tau1) == pytest.approx(ref["tau1"], rel=1e-12)
    assert float(fp.tau2) == pytest.approx(ref["tau2"], rel=1e-12)
    for key in ("bias", "variance", "zeta"):
        assert float(getattr(got, key)) == pytest.approx(ref[key], rel=1e-10), key


def test_second_order_algebra_symbolically():
    """sympy: the closed-form (y₁, y₂) solves the scaled 2x2 system, det is the stated positive sum, and the
    simplified per-direction ζ equals the raw three-term expression (given c_k = t + μw_k)."""
    a2, t, mu, T11, T12, c1, c2 = sp.symbols("alpha2 t mu T11 T12 c1 c2", positive=True)
    a1 = 1 - a2
    y1, y2 = sp.symbols("y1 y2")
    N = sp.Matrix([[c1 + a2 * T12, -a1 * T12], [-a2 * T12, c2 + a1 * T12]])
    sol = N.LUsolve(sp.Matrix([a1 * T11, a2 * T12]))
    det = c1 * c2 + T12 * (a1 * c1 + a2 * c2)
    assert sp.simplify(N.det() - det) == 0
    assert sp.simplify(sol[0] - a1 * (T11 * (c2 + a1 * T12) + a2 * T12**2) / det) == 0
    assert sp.simplify(sol[1] - a2 * T12 * (c1 + a2 * T12 + a1 * T11) / det) == 0
    # ζ per direction: raw p₂h₂s₂Δ + α₂²Δs₂²(s₁ + y₁s₁ + y₂s₂)/m² − 2α₂y₂Δs₂²/m  (p₂h₂ = y₂, p₂²β₂ = p₂α₂)
    s1, s2, dl = sp.symbols("s1 s2 Delta", positive=True)
    m = mu + a1 * s1 + a2 * s2
    raw = y2 * s2 * dl + a2**2 * dl * s2**2 * (s1 * (1 + y1) + y2 * s2) / m**2 - 2 * a2 * y2 * dl * s2**2 / m
    simplified = a2**2 * (1 + y1) * dl * s1 * s2**2 / m**2 + y2 * dl * s2 * (mu + a1 * s1) ** 2 / m**2
    assert sp.simplify(raw - simplified) == 0


# ---------------------------------------------------------------------------------------------------------
# Singular settings, validation


def test_ridgeless_threshold_is_infinite_with_a_warning_and_d_above_n_is_finite():
    w1, w2 = np.ones(100), powerlaw(100, 1.0, trace=100)
    with pytest.warns(RuntimeWarning, match="interpolation threshold"):
        r = th.predict(100, 0.3, 0.0, w1, eigenvalues2=w2, **KW)
    assert np.isinf(r.variance) and np.isinf(r.total) and np.isfinite(r.bias)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in (50, 99, 101, 400):
            r = th.predict(n, 0.3, 0.0, w1, eigenvalues2=w2, **KW)
            assert np.isfinite(r.total) and r.total > 0
            # continuous in λ at 0 on both sides of the threshold
            near = th.predict(n, 0.3, 1e-12, w1, eigenvalues2=w2, **KW)
            assert float(near.total) == pytest.approx(float(r.total), rel=1e-6)  # u ~ 1e2-1e3 near n = d


def test_grid_broadcasting_matches_pointwise():
    w1, w2 = powerlaw(120, 1.5), np.ones(120)
    n = np.array([30.0, 300.0, 3000.0])[:, None]
    p2 = np.array([0.0, 0.2, 0.7, 1.0])
    grid = th.predict(n, p2, 1e-3, w1, eigenvalues2=w2, **KW)
    assert grid.total.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = th.predict(float(n[i, 0]), float(p2[j]), 1e-3, w1, eigenvalues2=w2, **KW)
            assert float(one.total) == pytest.approx(float(grid.total[i, j]), rel=1e-12)


def test_no_synthetic_rows_ignore_sigma2_spectrum():
    """p₂ = 0: Σ₂ is irrelevant (clean ridge on Σ₁); p₂ = 1: the fit sees only Σ₂ rows."""
    w1, w2 = powerlaw(80, 1.0), np.ones(80)
    a = th.predict(200, 0.0, 1e-2, w1, eigenvalues2=w2, **KW)
    b = th.predict(200, 0.0, 1e-2, w1, **KW)
    assert float(a.total) == pytest.approx(float(b.total), rel=1e-12)
    full = th.predict(200, 1.0, 1e-2, w1, eigenvalues2=w2, **KW)
    assert np.isfinite(full.total) and float(full.zeta) > 0


def test_multiplicities_equal_expanded_spectra_in_both_twins():
    w1, w2 = np.array([2.0, 1.0, 0.5, 0.1]), np.array([0.3, 1.0, 2.0, 0.05])
    m = np.array([10, 20, 30, 40])
    e1, e2 = np.repeat(w1, m), np.repeat(w2, m)
    for n, lam in ((50, 1e-2), (300, 0.0), (60, 0.0)):
        a = th.predict(n, 0.4, lam, w1, eigenvalues2=w2, multiplicities=m, **KW)
        b = th.predict(n, 0.4, lam, e1, eigenvalues2=e2, **KW)
        for key in ("bias", "variance", "zeta", "total", "kappa", "u"):
            assert float(getattr(a, key)) == pytest.approx(float(getattr(b, key)), rel=1e-12), key
    x = mc.simulate(50, 0.4, 1e-2, w1, eigenvalues2=w2, multiplicities=m, n_trials=3, seed=4, **KW)
    y = mc.simulate(50, 0.4, 1e-2, e1, eigenvalues2=e2, n_trials=3, seed=4, **KW)
    assert x.total.mean == pytest.approx(y.total.mean, rel=1e-12)


def test_penalty_sum_and_include_noise_pass_through():
    w1, w2 = np.ones(60), powerlaw(60, 1.0)
    a = th.predict(200, 0.3, 2.0, w1, eigenvalues2=w2, penalty="sum", include_noise=True, **KW)
    b = th.predict(200, 0.3, 2.0 / 200, w1, eigenvalues2=w2, **KW)
    assert float(a.total) == pytest.approx(float(b.total) + KW["sigma"] ** 2, rel=1e-13)
    assert float(a.zeta) == pytest.approx(float(b.zeta), rel=1e-13)


@pytest.mark.parametrize("fn", [th.predict, mc.simulate, cs.predict])
@pytest.mark.parametrize("bad", [np.ones(5), -np.ones(10), np.array([1.0] * 9 + [0.0]), np.full(10, np.nan)])
def test_invalid_eigenvalues2_is_refused_naming_it(fn, bad):
    kw = dict(n_trials=2) if fn is mc.simulate else {}
    with pytest.raises(InvalidParameterError, match="eigenvalues2"):
        fn(50, 0.3, 0.01, np.ones(10), eigenvalues2=bad, **kw)


# ---------------------------------------------------------------------------------------------------------
# The figure's data (quick config): simulation points agree with theory, floors are the n → ∞ limit


def test_figure_data_agrees_and_floors_are_the_large_n_limit():
    from model_collapse.figures import registry
    from model_collapse.figures import smc_covariate_shift as fig
    from model_collapse.figures._base import rows

    tab = registry()["smc_covariate_shift"].compute(True, 0)
    w1 = np.ones(fig.D)
    sim = rows(tab, kind="simulation")
    assert len(sim["n"]) >= 12
    for name, p2, n, v, se in zip(sim["sigma2_spectrum"], sim["p2"], sim["n"], sim["value"], sim["se"], strict=True):
        theory = float(th.predict(n, p2, fig.LAM, w1, eigenvalues2=fig.spectrum2(name), c2=fig.C2,
                                  sigma=fig.SIGMA).total)
        assert_agrees(theory, v, se, finite_rtol=finite_rtol(n, fig.D), label=f"{name} p2={p2} n={n}")
    lam = fig.LAM
    for name, p2, floor in zip(*(rows(tab, kind="floor")[k] for k in ("sigma2_spectrum", "p2", "value")), strict=True):
        w2 = fig.spectrum2(name)
        sp_ = (1 - p2) * w1 + p2 * w2
        gam = dlt = isotropic_prior(w1, 1.0)  # r² = c² = 1
        limit = lam**2 * np.sum(gam * w1 / (sp_ + lam) ** 2) + p2**2 * np.sum(dlt * w1 * w2**2 / (sp_ + lam) ** 2)
        assert floor == pytest.approx(limit, rel=1e-6), name


if __name__ == "__main__":  # measure the worst deviation / allowance ratio over the default and slow grids
    worst = (0.0, None)
    for d, trials, grid in ((D, TRIALS, GRID), (300, 12, [(750, 0.3, 1e-2), (150, 0.6, 1e-3), (750, 0.5, 0.0),
                                                          (180, 0.7, 0.0), (1200, 0.9, 0.1)])):
        spectra = {"iso": np.ones(d), "pl": powerlaw(d, 1.0, trace=d), "pl_raw": powerlaw(d, 1.0)}
        for shift in SHIFTS:
            k1, k2 = shift.split("->")
            for n, p2, lam in grid:
                s = dict(n=n, p2=p2, lam=lam, eigenvalues=spectra[k1], eigenvalues2=spectra[k2], **KW)
                theory, est = run(s, trials=trials)
                for part in PARTS:
                    r = ratio(theory, est, part, finite_rtol(n, d))
                    print(f"d={d} {shift:12s} n={n:5d} p2={p2} lam={lam:g} {part:8s} ratio={r:.3f}")
                    worst = max(worst, (r, (d, shift, n, p2, lam, part)), key=lambda x: x[0])
    print("worst", worst)


def test_collapse_floor_is_the_large_n_limit_and_reduces_without_shift():
    """covariate_shift.collapse_floor equals the closed form at n = 1e14 (the O(d/n) remainder is ~1e-12) and the
    single-covariance floor at Σ₂ = Σ₁; twin: the single-covariance floor (Σ₂ ignored) differs at λ > 0."""
    from model_collapse.theory import ridge_mixture as rm

    w1, w2 = np.ones(100), np.arange(1, 101, dtype=float) ** -1.0
    for lam in (0.0, 1e-3, 0.1):
        for p2 in (0.1, 0.5, 1.0):
            floor = float(cs.collapse_floor(lam, p2, w1, w2, c2=1.0))
            far = float(rm.predict(1e14, p2, lam, w1, eigenvalues2=w2, c2=1.0, sigma=0.5).total)
            assert floor == pytest.approx(far, rel=1e-8)
    assert float(cs.collapse_floor(0.01, 0.3, w2, w2, c2=1.0)) == pytest.approx(
        float(rm.collapse_floor(0.01, 0.3, w2, c2=1.0)), rel=1e-13)
    shifted, ignored = cs.collapse_floor(0.1, 0.5, w1, w2, c2=1.0), rm.collapse_floor(0.1, 0.5, w1, c2=1.0)
    assert abs(float(shifted) - float(ignored)) > 0.01
