"""Theory (theory.ridge_mixture) against simulation (montecarlo.ridge_mixture), with perturbed twins.

Tolerance of every cross-check (tests/_check.py): |mc − theory| ≤ 4·SE + FINITE·|theory| + ATOL with the
stated finite-size allowance FINITE = 2·(1/|n − d| + 1/d). The deterministic equivalents are exact only
as n, d → ∞; their finite-size error has this shape (e.g. OLS: E tr(XᵀX)⁻¹Σ = d/(n − d − 1) against
d/(n − d)). Measured with 400 trials over 60 random settings at d = 100-160: the worst deviation was
0.84·(1/|n−d| + 1/d) for variance/zeta/total and 1.24· for the bias, so the factor 2 is a margin, not a
fit. ATOL = 1e-12 covers exact zeros (bias at λ = 0, n > d is 0 in theory and ~1e-30 in floating point).
Theory is evaluated at the realised synthetic fraction round(p₂n)/n, which is what is simulated.
"""

import numpy as np
import pytest
from _check import agrees, assert_agrees, assert_disagrees
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.montecarlo.wishart import wishart_gram
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import isotropic_prior
from strategies import mixture_settings

PARTS = ("bias", "variance", "zeta", "total")
ATOL = 1e-12
TRIALS = 30


def finite_rtol(n, d):
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


def run(setting, trials=TRIALS, seed=0, **kw):
    est = mc.simulate(**setting, n_trials=trials, seed=seed, **kw)
    s = dict(setting, p2=est.p2_realised)
    return th.predict(**s), est


def zeta_sums(setting, p2):
    """κ, u and D₁, D₂, D₃ = tr ΔΣ^a(Σ+κ)⁻² for building perturbed ζ formulas."""
    r = th.predict(**dict(setting, p2=p2))
    w = setting["eigenvalues"]
    dl = isotropic_prior(w, setting["c2"])
    k, u = float(r.kappa), float(r.u)
    D = [float(np.sum(dl * w**a / (w + k) ** 2)) for a in (1, 2, 3)]
    return r, k, u, D


@settings(max_examples=80)
@given(setting=mixture_settings())
def test_theory_matches_simulation(setting):
    theory, est = run(setting)
    d = setting["eigenvalues"].size
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=finite_rtol(setting["n"], d), atol=ATOL,
                      label=f"{part} at {setting}", require_power=(part == "total"))


# The twins: the same check applied to the circulating mistakes must FAIL. Their settings are drawn
# where the mistake matters: Σ² vs Σ³ differ only for a non-flat spectrum (they coincide when Σ = I),
# and p₂ vs p₂² needs the p₂² term to carry a visible part of ζ (n > d, so u is small).
@st.composite
def twin_settings(draw, p2_range):
    d = draw(st.integers(100, 140))
    return dict(
        n=int(round(draw(st.floats(1.5, 4.0)) * d)),
        p2=draw(st.floats(*p2_range)),
        lam=draw(st.floats(1e-3, 0.1)),
        eigenvalues=np.arange(1, d + 1, dtype=float) ** -draw(st.floats(0.8, 1.5)),
        c2=draw(st.floats(1.0, 4.0)),
        r2=1.0,
        sigma=draw(st.floats(0.1, 1.0)),
        sigma2=draw(st.floats(0.1, 1.0)),
    )


@settings(max_examples=30)
@given(setting=twin_settings((0.3, 0.9)))
def test_twin_sigma_squared_in_zeta_fails(setting):
    theory, est = run(setting)
    _, k, u, (d1, d2, d3) = zeta_sums(setting, est.p2_realised)
    p2 = est.p2_realised
    wrong = p2**2 * (1 + (1 - p2) * u) * d2 + p2 * u * (
        (1 - p2) ** 2 * d3 + 2 * (1 - p2) * k * d2 + k**2 * d1)  # Σ² instead of Σ³ in the first term
    fr = finite_rtol(setting["n"], setting["eigenvalues"].size)
    assert_agrees(theory.zeta, est.zeta.mean, est.zeta.sem, finite_rtol=fr, label="correct zeta")
    assert_disagrees(wrong, est.zeta.mean, est.zeta.sem, finite_rtol=fr, label="Σ² in ζ")


@settings(max_examples=30)
@given(setting=twin_settings((0.1, 0.7)))
def test_twin_p2_instead_of_p2_squared_fails(setting):
    theory, est = run(setting)
    _, k, u, (d1, d2, d3) = zeta_sums(setting, est.p2_realised)
    p2 = est.p2_realised
    wrong = p2 * (1 + (1 - p2) * u) * d3 + p2 * u * ((1 - p2) ** 2 * d3 + 2 * (1 - p2) * k * d2 + k**2 * d1)
    fr = finite_rtol(setting["n"], setting["eigenvalues"].size)
    assert_agrees(theory.zeta, est.zeta.mean, est.zeta.sem, finite_rtol=fr, label="correct zeta")
    assert_disagrees(wrong, est.zeta.mean, est.zeta.sem, finite_rtol=fr, label="p₂ for p₂² in ζ")


def test_twin_ignoring_synthetic_data_fails():
    """Classical ridge (ζ = 0, σ̄² = σ₁²) is a wrong prediction for mixed data: the check must reject it."""
    w = np.arange(1, 121, dtype=float) ** -1.0
    setting = dict(n=360, p2=0.2, lam=1e-2, eigenvalues=w, c2=2.0, r2=1.0, sigma=0.5, sigma2=0.5)
    theory, est = run(setting)
    wrong = th.predict(**dict(setting, p2=0.0)).total
    fr = finite_rtol(360, 120)
    assert_agrees(theory.total, est.total.mean, est.total.sem, finite_rtol=fr)
    assert_disagrees(wrong, est.total.mean, est.total.sem, finite_rtol=fr)


@pytest.mark.parametrize("setting", [
    dict(n=300, p2=0.3, lam=1e-2, c2=2.0, sigma=0.5, sigma2=0.8),   # d < n, ridge
    dict(n=60, p2=0.5, lam=1e-2, c2=2.0, sigma=0.5, sigma2=0.8),    # d > n, ridge
    dict(n=300, p2=0.4, lam=0.0, c2=1.0, sigma=0.7, sigma2=0.3),    # OLS
    dict(n=50, p2=0.4, lam=0.0, c2=1.0, sigma=0.7, sigma2=0.3),     # min-norm interpolation
])
def test_literal_experiment_agrees_with_conditional_estimator(setting):
    """method="sample" (draw teacher, shift, noise; fit) and the conditional estimator estimate the same
    expectation exactly (no finite-size allowance): they must agree within 4 combined SEs."""
    w = np.arange(1, 101, dtype=float) ** -0.8
    a = mc.simulate(**setting, eigenvalues=w, n_trials=60, seed=1)
    b = mc.simulate(**setting, eigenvalues=w, n_trials=600, seed=2, method="sample")
    for part in PARTS:
        ea, eb = getattr(a, part), getattr(b, part)
        sem = np.hypot(ea.sem, eb.sem)
        assert agrees(ea.mean, eb.mean, sem, finite_rtol=0.0, atol=ATOL), (part, ea, eb)


@pytest.mark.parametrize("m", [3, 8, 20])
def test_wishart_gram_has_the_law_of_XtX(m):
    """E G = mΣ and Var G_ij = m(ω_iω_j + δ_ij ω_i²) for both draw paths (Bartlett m ≥ d, explicit m < d)."""
    w = np.array([2.0, 1.0, 0.5, 0.25, 0.1])
    d = w.size
    rng = np.random.default_rng(7)
    K = 20000
    G = np.stack([wishart_gram(rng, m, np.sqrt(w)) for _ in range(K)])
    mean_exact = m * np.diag(w)
    var_exact = m * (np.outer(w, w) + np.diag(w**2))
    se = np.sqrt(var_exact / K)
    assert np.all(np.abs(G.mean(0) - mean_exact) <= 4.5 * se)
    var_hat = G.var(0, ddof=1)
    # variance of the sample variance of a Wishart entry: bounded by ~(2 + kurtosis) var²/K; 25% is > 6 SE
    assert np.all(np.abs(var_hat / var_exact - 1) < 0.25), var_hat / var_exact
    assert np.allclose(G, np.swapaxes(G, 1, 2))
    assert np.linalg.matrix_rank(G[0]) == min(m, d)


def test_same_seed_same_numbers_and_batching_invariance():
    w = np.ones(50)
    kw = dict(n=80, p2=0.25, lam=0.1, eigenvalues=w, c2=1.0, n_trials=12, seed=3)
    a, b = mc.simulate(**kw), mc.simulate(**kw)
    assert a == b
    c = mc.simulate(**dict(kw, seed=4))
    assert c.total.mean != a.total.mean
    from model_collapse.montecarlo.trials import execution

    with execution(batch_floats=1, workers=1):  # one trial per chunk, serially
        one_by_one = mc.simulate(**kw)
    with execution(workers=2):
        threaded = mc.simulate(**kw)
    np.testing.assert_allclose(one_by_one.total.mean, a.total.mean, rtol=1e-13)
    assert threaded == a


def test_zeta_is_exactly_zero_without_synthetic_rows():
    e = mc.simulate(100, 0.0, 0.01, np.ones(60), c2=3.0, n_trials=5, seed=0)
    assert e.zeta.mean == 0.0 and e.n2 == 0


@pytest.mark.slow
def test_finite_size_error_shrinks_with_dimension():
    """The deviation from the deterministic equivalent is a finite-size effect: it falls like 1/d.

    Same ratios at d = 100 and d = 400 (n = d/2, λ = 1e-3, p₂ = 0.3, power law 1.0), measured on the
    variance part, whose simulation noise is small: the relative deviation (~1/(d − n), as for the
    min-norm interpolator's exact n/(d − n − 1) against n/(d − n)) must be clearly resolved at d = 100 and
    shrink by more than half at d = 400, within the stated allowance at both sizes.
    """
    devs = {}
    for d, trials in ((100, 400), (400, 60)):
        w = np.arange(1, d + 1, dtype=float) ** -1.0
        s = dict(n=d // 2, p2=0.3, lam=1e-3, eigenvalues=w, c2=2.0, r2=1.0, sigma=0.5, sigma2=0.5)
        theory, est = run(s, trials=trials, seed=11)
        v = est.variance
        assert_agrees(theory.variance, v.mean, v.sem, finite_rtol=finite_rtol(s["n"], d))
        devs[d] = ((v.mean - float(theory.variance)) / float(theory.variance), v.sem / float(theory.variance))
    dev100, sem100 = devs[100]
    assert abs(dev100) > 5 * sem100, devs  # resolved, not noise
    assert abs(devs[400][0]) + 4 * devs[400][1] < 0.5 * abs(dev100), devs


@pytest.mark.slow
@settings(max_examples=15)
@given(setting=mixture_settings(d_range=(250, 320)))
def test_theory_matches_simulation_large_d(setting):
    """The same cross-check at d = 250-320 with more trials: the allowance (~1/d) is 2-3x tighter."""
    theory, est = run(setting, trials=40)
    d = setting["eigenvalues"].size
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=finite_rtol(setting["n"], d), atol=ATOL,
                      label=part)


@settings(max_examples=20)
@given(setting=mixture_settings(), seed=st.integers(0, 2**16))
def test_general_diagonal_priors_match_simulation(setting, seed):
    """Non-isotropic teacher and shift priors (Γ_ii, Δ_ii log-normal, e.g. the shift concentrated on a few
    directions): the general formula still matches, with the same allowance."""
    rng = np.random.default_rng(seed)
    d = setting["eigenvalues"].size
    s = dict(setting, gamma=rng.lognormal(0, 1.5, d) / d, delta=rng.lognormal(0, 1.5, d) / d)
    theory, est = run(s)
    for part in PARTS:
        e = getattr(est, part)
        assert_agrees(getattr(theory, part), e.mean, e.sem, finite_rtol=finite_rtol(s["n"], d), atol=ATOL, label=part)


def test_clean_ridge_twins():
    """theory.ridge.ridge_risk against montecarlo.ridge.simulate, and its perturbed twin (no (1+u) factor)."""
    from model_collapse.montecarlo import ridge as mc_ridge
    from model_collapse.theory import ridge

    w = np.arange(1, 151, dtype=float) ** -1.0
    gam = np.linspace(0.5, 1.5, 150) / 150
    for n, lam in ((90, 1e-2), (400, 1e-3)):
        ref = ridge.ridge_risk(lam, w, n, gam, 0.5)
        est = mc_ridge.simulate(lam, w, n, gam, 0.5, n_trials=40, seed=5)
        fr = finite_rtol(n, 150)
        assert_agrees(ref.total, est.total.mean, est.total.sem, finite_rtol=fr)
        assert_agrees(ref.bias, est.bias.mean, est.bias.sem, finite_rtol=fr)
        wrong_bias = ref.bias / (1 + ref.u)  # forgetting the (1 + u) inflation of the bias
        assert_disagrees(wrong_bias, est.bias.mean, est.bias.sem, finite_rtol=fr)
