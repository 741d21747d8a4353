"""Issue 8, numerical part: no impossible number for any accepted input.

Every repro of the issue is pinned here (before → after in the comments), plus hypothesis over extreme
scales. What is checked and with which tolerance:

- Sign and finiteness: every part of every estimate is finite and ≥ 0 (exact: each part is computed as a
  sum of squares), for λ ∈ {0} ∪ [1e-300, 1e300] and both simulators and methods.
- Continuity at λ = 0: with the same seed the estimate at λ ≤ 1e-250 equals the λ = 0 (minimum-norm)
  estimate to relative 1e-9 (the exact difference is O(nλ/s_min²) ≈ 1e-240 relative; 1e-9 is round-off room
  of the SVD / inverse, not a fit).
- Scale equivariance (exact in exact arithmetic, same seed): Σ → aΣ with λ → aλ leaves every part
  unchanged; σ → bσ, r² → b²r², c² → b²c² multiplies every part by b². Tolerance: relative 1e-8
  (measured worst ≈ 1e-13).
- Theory vs simulation at extreme λ: the stated finite-size allowance of tests/test_ridge_mixture_mc.py,
  2·(1/|n − d| + 1/d), plus 4 SE (tests/_check.py).
- Values that float64 cannot hold are refused with InvalidParameterError naming the parameter and its
  allowed range at that setting.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from _check import assert_agrees
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from model_collapse.montecarlo import random_projections as mrp
from model_collapse.montecarlo import ridge_mixture as mrm
from model_collapse.theory import gaussian_workflow as tgw
from model_collapse.theory import linreg_workflow as tlw
from model_collapse.theory import random_projections as trp
from model_collapse.theory import ridge_mixture as trm
from model_collapse.theory import spectrum
from model_collapse.validation import InvalidParameterError

RM_PARTS = ("bias", "variance", "zeta", "total")
RP_PARTS = ("rho", "bias", "variance", "zeta", "total")


def finite_rtol(n, d):
    """The ridge-mixture finite-size allowance of tests/test_ridge_mixture_mc.py."""
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)


def parts(est, names):
    return {k: getattr(est, k).mean for k in names}


def assert_nonnegative_finite(est, names, label=""):
    for k in names:
        e = getattr(est, k)
        assert np.isfinite(e.mean) and e.mean >= 0, f"{k} = {e.mean} at {label}"
        assert np.isfinite(e.sem) and e.sem >= 0, f"{k} se = {e.sem} at {label}"


def assert_close_parts(a, b, names, rtol, scale=1.0, label=""):
    """Relative rtol per part, plus 1e-12 of the total for parts that are round-off in exact zero (the bias
    of an exact fit is ~1e-30, not 0)."""
    floor = 1e-12 * max(abs(a.total.mean), abs(b.total.mean * scale))
    for k in names:
        x, y = getattr(a, k).mean, getattr(b, k).mean * scale
        assert abs(x - y) <= rtol * max(abs(x), abs(y)) + floor + 1e-300, f"{k}: {x!r} vs {y!r} at {label}"


def assert_agree_theory(theory, est, names, rtol, label=""):
    for k in names:
        e = getattr(est, k)
        t = float(getattr(theory, k))
        assert_agrees(t, e.mean, e.sem, finite_rtol=rtol, atol=1e-12 * max(1.0, abs(t)), label=f"{k} {label}")


# ---------------------------------------------------------------------------------------------------------
# 1. The conditional simulators at tiny λ with n < d (before: huge negative variances, LinAlgError)
# ---------------------------------------------------------------------------------------------------------

def test_repro_ridge_tiny_lambda_n_below_d():
    # before: variance −59.9 ± 7.0 (theory 1.0); after: 1.019 ± 0.02 (5 trials)
    kw = dict(n=100, p2=0, lam=1e-9, eigenvalues=np.ones(200), c2=0, sigma=1)
    est = mrm.simulate(**kw, n_trials=5)
    assert_nonnegative_finite(est, RM_PARTS)
    assert_agree_theory(trm.predict(**kw), est, RM_PARTS, finite_rtol(100, 200))


def test_repro_ridge_n20_d40_lambda_1e_12():
    # before: variance −4.4e7; after ≈ 1.1 (theory 1.0, finite-size allowance 2·(1/20 + 1/40) = 0.15)
    kw = dict(n=20, p2=0, lam=1e-12, eigenvalues=np.ones(40), c2=0, sigma=1)
    est = mrm.simulate(**kw, n_trials=40)
    assert_nonnegative_finite(est, RM_PARTS)
    assert_agree_theory(trm.predict(**kw), est, RM_PARTS, finite_rtol(20, 40))


def test_repro_rp_n20_lambda_1e_12():
    # before: variance −5.9e6 (CLI repro) / −2.0e7; after ≈ 2.05, equal to the λ = 0 estimate
    kw = dict(n=20, m=40, p2=0, eigenvalues=np.ones(40), c2=0, sigma=1)
    est = mrp.simulate(**kw, lam=1e-12, n_trials=10)
    assert_nonnegative_finite(est, RP_PARTS)
    zero = mrp.simulate(**kw, lam=0.0, n_trials=10)
    assert_close_parts(est, zero, RP_PARTS, rtol=1e-6)


@pytest.mark.parametrize("lam", [1e-30, 5e-324])
def test_repro_singular_matrix_ridge(lam):
    # before: LinAlgError: Singular matrix; after: the λ = 0 (minimum-norm) numbers to 1e-9
    kw = dict(n=2, p2=0, eigenvalues=np.ones(4), c2=0, sigma=1)
    est = mrm.simulate(**kw, lam=lam, n_trials=20)
    assert_nonnegative_finite(est, RM_PARTS)
    assert_close_parts(est, mrm.simulate(**kw, lam=0.0, n_trials=20), RM_PARTS, rtol=1e-9)


@pytest.mark.parametrize("lam", [1e-30, 5e-324])
def test_repro_singular_matrix_rp(lam):
    kw = dict(n=2, m=4, p2=0, eigenvalues=np.ones(4), c2=0, sigma=1)
    est = mrp.simulate(**kw, lam=lam, n_trials=20)
    assert_nonnegative_finite(est, RP_PARTS)
    assert_close_parts(est, mrp.simulate(**kw, lam=0.0, n_trials=20), RP_PARTS, rtol=1e-9)


@pytest.mark.parametrize("method", ["conditional", "sample"])
@pytest.mark.parametrize("n,d", [(20, 40), (40, 20), (5, 5)])
def test_lambda_zero_is_the_limit_of_tiny_lambda(n, d, method):
    kw = dict(n=n, p2=0.4, eigenvalues=np.linspace(0.5, 2.0, d), c2=1.5, sigma=0.7, sigma2=0.3)
    zero = mrm.simulate(**kw, lam=0.0, n_trials=6, method=method)
    for lam in (5e-324, 1e-300, 1e-250):
        est = mrm.simulate(**kw, lam=lam, n_trials=6, method=method)
        assert_nonnegative_finite(est, RM_PARTS)
        assert_close_parts(est, zero, RM_PARTS, rtol=1e-9, label=f"λ={lam}")


# ---------------------------------------------------------------------------------------------------------
# 2. Cancellation and scale
# ---------------------------------------------------------------------------------------------------------

def test_repro_ridge_lambda_and_sigma_1e60():
    # before: variance −3.2e-61 (theory 0.714); after 0.69 ± 0.08 (5 trials). At λ = 1e60 the expectation
    # is exactly σ²·d/(nλ²) = 5/7 up to O(1/λ) = 1e-60, so no finite-size allowance: 4 SE only.
    kw = dict(n=7, p2=0, lam=1e60, eigenvalues=np.ones(5), c2=0, sigma=1e60)
    est = mrm.simulate(**kw, n_trials=60)
    assert_nonnegative_finite(est, RM_PARTS)
    assert_agrees(5 / 7, est.variance.mean, est.variance.sem, finite_rtol=0.0)
    assert abs(float(trm.predict(**kw).variance) - 5 / 7) < 1e-12


def test_repro_sigma_multiplies_no_real_row():
    # before: variance −1.49e184 (σ₁ = 1e100 times a round-off term although p₂ = 1); after exactly 0
    kw = dict(n=20, p2=1, lam=1e-3, eigenvalues=np.ones(10), c2=1, sigma2=0)
    big = mrm.simulate(**kw, sigma=1e100, n_trials=5)
    assert big.variance.mean == 0.0 and big.variance.sem == 0.0
    assert_close_parts(big, mrm.simulate(**kw, sigma=1.0, n_trials=5), ("bias", "zeta", "total"), rtol=1e-12)


def test_repro_rp_all_scales_1e100():
    # before: variance −1.97 (theory 6.6e-102); after 6.56e-102 (5 trials)
    kw = dict(n=119, m=118, p2=1, c2=1e100, lam=1e100, eigenvalues=np.ones(120), sigma=1e100, sigma2=0, r2=1e100)
    est = mrp.simulate(**kw, n_trials=5)
    assert_nonnegative_finite(est, RP_PARTS)
    th = trp.predict(**kw)
    # λ = 1e100 ≫ every eigenvalue: κ = λ to 1e-100 and the formulas are exact up to the MP-vs-finite-m
    # deviation of the projected spectrum, allowance 1/|d − m| + 1/m ≈ 0.5 (test_random_projections.py).
    assert_agree_theory(th, est, RP_PARTS, rtol=1 / 2 + 1 / 118)
    assert est.variance.mean > 0 and est.zeta.mean > 0


def test_repro_rp_sample_keeps_zeta_next_to_a_huge_teacher():
    # before: zeta 0.0 (the shift, 1e-45 of the teacher, was lost in a₂ − a₁); after: zeta does not depend
    # on r² at all (the literal experiment fits the shift part by linearity), so equal to the r² = 1 run.
    kw = dict(n=119, m=118, p2=1, lam=1e-3, eigenvalues=np.ones(120), c2=1e10, sigma=1, n_trials=4,
              method="sample")
    big = mrp.simulate(**kw, r2=1e100)
    small = mrp.simulate(**kw, r2=1.0)
    assert big.zeta.mean > 0
    assert_close_parts(big, small, ("zeta",), rtol=1e-8)
    assert_close_parts(big, small, ("bias", "rho"), rtol=1e-8, scale=1e100)


@settings(max_examples=25)
@given(loga=st.floats(-300, 300), logb=st.floats(-150, 150), lam0=st.sampled_from([0.0, 1e-3, 0.3, 30.0]),
       shape=st.sampled_from([(12, 8), (8, 12), (10, 10)]), method=st.sampled_from(["conditional", "sample"]))
@example(loga=60.0, logb=60.0, lam0=1.0, shape=(7, 5), method="conditional")
@example(loga=0.0, logb=100.0, lam0=1e-3, shape=(20, 10), method="conditional")
@example(loga=-300.0, logb=-150.0, lam0=0.0, shape=(8, 12), method="sample")
def test_ridge_simulator_is_scale_equivariant(loga, logb, lam0, shape, method):
    """Σ → aΣ, λ → aλ: unchanged; σ → bσ, r², c² → b²r², b²c²: every part × b² (same seed, rtol 1e-8)."""
    n, d = shape
    a, b = 10.0**loga, 10.0**logb
    # the prior diagonal r²/(tr Σ) ∝ b²/a stays a normal float: subnormals lose digits, and above 1.8e308 it is
    # refused (test_prior_diagonal_beyond_float64_is_refused)
    assume(-290 < 2 * logb - loga < 300)
    w = np.linspace(0.5, 2.0, d)
    ref = dict(n=n, p2=0.5, lam=lam0, eigenvalues=w, c2=1.5, r2=0.8, sigma=0.6, sigma2=0.9)
    big = dict(ref, lam=a * lam0, eigenvalues=a * w, c2=1.5 * b * b, r2=0.8 * b * b, sigma=0.6 * b, sigma2=0.9 * b)
    e0 = mrm.simulate(**ref, n_trials=4, method=method)
    e1 = mrm.simulate(**big, n_trials=4, method=method)
    assert_nonnegative_finite(e1, RM_PARTS)
    assert_close_parts(e1, e0, RM_PARTS, rtol=1e-8, scale=b * b, label=f"a={a:g} b={b:g}")


@settings(max_examples=15)
@given(loga=st.floats(-300, 300), logb=st.floats(-150, 150), lam0=st.sampled_from([0.0, 1e-2, 3.0]),
       nm=st.sampled_from([(12, 6), (6, 12), (20, 30)]), method=st.sampled_from(["conditional", "sample"]))
@example(loga=0.0, logb=50.0, lam0=0.0, nm=(20, 30), method="sample")
def test_rp_simulator_is_scale_equivariant(loga, logb, lam0, nm, method):
    n, m = nm
    d = 16
    a, b = 10.0**loga, 10.0**logb
    # the prior diagonal r²/(tr Σ) ∝ b²/a stays a normal float: subnormals lose digits, and above 1.8e308 it is
    # refused (test_prior_diagonal_beyond_float64_is_refused)
    assume(-290 < 2 * logb - loga < 300)
    ref = dict(n=n, m=m, p2=0.5, lam=lam0, eigenvalues=np.ones(d), c2=1.5, r2=0.8, sigma=0.6, sigma2=0.9)
    big = dict(ref, lam=a * lam0, eigenvalues=a * np.ones(d), c2=1.5 * b * b, r2=0.8 * b * b, sigma=0.6 * b,
               sigma2=0.9 * b)
    e0 = mrp.simulate(**ref, n_trials=3, method=method)
    e1 = mrp.simulate(**big, n_trials=3, method=method)
    assert_nonnegative_finite(e1, RP_PARTS)
    assert_close_parts(e1, e0, RP_PARTS, rtol=1e-8, scale=b * b, label=f"a={a:g} b={b:g}")


def test_prior_diagonal_beyond_float64_is_refused():
    """Γ = (r²/tr Σ)·I cannot be held when tr Σ = 1e-117 and r² = 1e192: refused, naming r2 and its range."""
    kw = dict(n=12, p2=0.5, lam=0.0, eigenvalues=np.full(8, 1e-118), r2=1e192)
    for f in (trm.predict, lambda **k: mrm.simulate(**k, n_trials=2)):
        with pytest.raises(InvalidParameterError, match=r"'r2' parameter of (predict|simulate) must be in the range"):
            f(**kw)


# ---------------------------------------------------------------------------------------------------------
# Every λ ∈ {0} ∪ [1e-300, 1e300]: parts ≥ 0 and finite; agreement with the theory
# ---------------------------------------------------------------------------------------------------------

lams = st.one_of(st.just(0.0), st.floats(-300, 300).map(lambda e: 10.0**e))


@settings(max_examples=40)
@given(lam=lams, n=st.integers(1, 30), d=st.integers(1, 30), p2=st.floats(0, 1),
       method=st.sampled_from(["conditional", "sample"]), powerlaw=st.booleans())
@example(lam=1e-9, n=100, d=200, p2=0.0, method="conditional", powerlaw=False)
@example(lam=1e-300, n=3, d=30, p2=0.5, method="conditional", powerlaw=True)
@example(lam=1e300, n=30, d=3, p2=0.5, method="sample", powerlaw=True)
@example(lam=5e-324, n=2, d=4, p2=0.0, method="conditional", powerlaw=False)
def test_ridge_parts_nonnegative_and_finite_at_every_lambda(lam, n, d, p2, method, powerlaw):
    w = np.arange(1, d + 1, dtype=float) ** -3.0 if powerlaw else np.ones(d)
    est = mrm.simulate(n=n, p2=p2, lam=lam, eigenvalues=w, c2=1.0, sigma=0.5, sigma2=1.5, n_trials=3,
                       method=method)
    assert_nonnegative_finite(est, RM_PARTS, label=f"λ={lam} n={n} d={d}")


@settings(max_examples=25)
@given(lam=lams, n=st.integers(1, 30), m=st.integers(1, 30), p2=st.floats(0, 1),
       method=st.sampled_from(["conditional", "sample"]))
@example(lam=1e-12, n=20, m=40, p2=0.0, method="conditional")
@example(lam=5e-324, n=2, m=4, p2=0.0, method="conditional")
@example(lam=1e300, n=5, m=20, p2=1.0, method="sample")
def test_rp_parts_nonnegative_and_finite_at_every_lambda(lam, n, m, p2, method):
    est = mrp.simulate(n=n, m=m, p2=p2, lam=lam, eigenvalues=np.ones(20), c2=1.0, sigma=0.5, sigma2=1.5,
                       n_trials=3, method=method)
    assert_nonnegative_finite(est, RP_PARTS, label=f"λ={lam} n={n} m={m}")


@settings(max_examples=12)
@given(lam=lams, shape=st.sampled_from([(24, 48), (60, 24), (16, 40)]), p2=st.floats(0, 1))
@example(lam=1e-12, shape=(24, 48), p2=0.0)
@example(lam=1e300, shape=(60, 24), p2=0.5)
@example(lam=0.0, shape=(16, 40), p2=0.7)
def test_ridge_simulation_agrees_with_theory_at_every_lambda(lam, shape, p2):
    """|n − d| ≥ d/2 (away from the threshold): allowance 2·(1/|n − d| + 1/d) + 4 SE, at the realised p₂."""
    n, d = shape
    kw = dict(n=n, lam=lam, eigenvalues=np.ones(d), c2=1.0, r2=1.0, sigma=0.5)
    est = mrm.simulate(**kw, p2=p2, n_trials=40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        th = trm.predict(**kw, p2=est.p2_realised)
    assert_agree_theory(th, est, RM_PARTS, finite_rtol(n, d), label=f"λ={lam}")


def rp_finite_rtol(n, m, d, part):
    """The random-projections allowance of tests/test_random_projections.py (deterministic form)."""
    r = min(m, d)
    bracket = 1 / abs(n - r) + 1 / r + (0.0 if m == d else 1 / abs(d - m))
    return (4.0 if part == "bias" else 1.0) * bracket


@settings(max_examples=10)
@given(lam=lams, shape=st.sampled_from([(40, 20, 60), (30, 90, 60)]), p2=st.floats(0, 1))
@example(lam=1e-12, shape=(30, 90, 60), p2=0.0)
@example(lam=1e300, shape=(40, 20, 60), p2=0.5)
@example(lam=5e-324, shape=(30, 90, 60), p2=0.7)
def test_rp_simulation_agrees_with_theory_at_every_lambda(lam, shape, p2):
    n, m, d = shape
    kw = dict(n=n, m=m, lam=lam, eigenvalues=np.ones(d), c2=1.0, r2=1.0, sigma=0.5)
    est = mrp.simulate(**kw, p2=p2, n_trials=30)
    th = no_warnings(trp.predict, **kw, p2=est.p2_realised)
    for k in RP_PARTS:
        e = getattr(est, k)
        t = float(getattr(th, k))
        assert_agrees(t, e.mean, e.sem, finite_rtol=rp_finite_rtol(n, m, d, k), atol=1e-12, label=f"{k} λ={lam}")


@pytest.mark.parametrize("method", ["conditional", "sample"])
@pytest.mark.parametrize("n,m", [(20, 40), (40, 20), (12, 30)])
def test_rp_lambda_zero_is_the_limit_of_tiny_lambda(n, m, method):
    kw = dict(n=n, m=m, p2=0.4, eigenvalues=np.ones(30), c2=1.5, sigma=0.7, sigma2=0.3)
    zero = mrp.simulate(**kw, lam=0.0, n_trials=4, method=method)
    for lam in (5e-324, 1e-300, 1e-250):
        est = mrp.simulate(**kw, lam=lam, n_trials=4, method=method)
        assert_nonnegative_finite(est, RP_PARTS)
        assert_close_parts(est, zero, RP_PARTS, rtol=1e-9, label=f"λ={lam}")


# ---------------------------------------------------------------------------------------------------------
# 3. The closed forms: NaN, overflow, underflowed eigenvalues
# ---------------------------------------------------------------------------------------------------------

def no_warnings(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*a, **k)


def test_repro_theory_lambda_1e200():
    # before: bias and total NaN with a wrong "interpolation threshold" warning; after: bias = total = r² = 1
    r = no_warnings(trm.predict, n=10, p2=0, lam=1e200, eigenvalues=np.ones(2), c2=0, sigma=1)
    assert float(r.bias) == pytest.approx(1.0, rel=1e-14) and float(r.total) == pytest.approx(1.0, rel=1e-14)
    assert float(r.variance) == 0.0  # 2e-400: below the float64 range


@pytest.mark.parametrize("sigma", [1e160, 1e308])
def test_repro_theory_sigma_beyond_float64(sigma):
    # before: 1e160 → variance 0.0 silently; 1e308 → inf. After: refused with the allowed range.
    with pytest.raises(InvalidParameterError, match=r"'sigma' parameter of predict must be in the range \[0, "):
        trm.predict(n=10, p2=0, lam=1.0, eigenvalues=np.ones(2), c2=0, sigma=sigma)


def test_theory_sigma_just_inside_the_allowed_range():
    kw = dict(n=10, p2=0, lam=1.0, eigenvalues=np.ones(2), c2=0)
    with pytest.raises(InvalidParameterError) as exc:
        trm.predict(**kw, sigma=1e160)
    bound = float(re.search(r"\[0, ([0-9.e+]+)\]", str(exc.value)).group(1))
    r = no_warnings(trm.predict, **kw, sigma=bound * 0.999)
    unit = float(trm.predict(**kw, sigma=1.0).variance)
    assert np.isfinite(float(r.variance))
    assert float(r.variance) == pytest.approx(unit * (bound * 0.999) * (bound * 0.999), rel=1e-12)
    r = no_warnings(trm.predict, **kw, sigma=1e150)
    assert float(r.variance) == pytest.approx(unit * 1e300, rel=1e-12)


RANGE = re.compile(r"The '(\w+)' parameter of (predict|simulate) must be in the range \[0, ([0-9.e+]+)\] at this"
                   r" setting")


@pytest.mark.parametrize("family", ["ridge", "rp"])
@pytest.mark.parametrize("method", ["conditional", "sample", "theory"])
@pytest.mark.parametrize("scale", [dict(sigma=1e160), dict(sigma=1.0, sigma2=1e200), dict(r2=1.7e308, lam=1.0),
                                   dict(sigma=1.3e154, include_noise=True)])
def test_overflow_refused_with_a_range_that_works(family, method, scale):
    """A result beyond float64 is refused naming the parameter and a range; a value inside it (the bound
    itself) gives finite parts ≥ 0 (the bound keeps each term below FLOAT_MAX/4)."""
    kw = dict(n=10, p2=0.3, lam=1e-2, eigenvalues=np.ones(8))
    if family == "rp":
        kw["m"] = 5
    kw.update(scale)
    if method == "theory":
        call = trm.predict if family == "ridge" else trp.predict
    else:
        sim = mrm.simulate if family == "ridge" else mrp.simulate
        def call(**k):
            return sim(**k, n_trials=4, method=method)
    try:
        res = call(**kw)
    except InvalidParameterError as e:
        m = RANGE.search(str(e))
        assert m, str(e)
        name, bound = m.group(1), float(m.group(3))
        assert name in scale
        res = no_warnings(call, **dict(kw, **{name: bound}))
    for k, v in res.as_dict().items():
        v = v["mean"] if isinstance(v, dict) else v
        assert np.isfinite(v) and v >= 0, (k, v)


def test_floor_and_crossover_at_extreme_scales():
    # collapse_floor(λ = 1e200) was NaN (λ²·tr ΓΣ(Σ+λ)⁻² = inf·0); the floor tends to r² as λ → ∞
    assert float(no_warnings(trm.collapse_floor, 1e200, 0.5, np.ones(3))) == pytest.approx(1.0, rel=1e-14)
    assert float(no_warnings(trm.collapse_floor, 1e-200, 0.5, np.full(3, 1e-300))) == pytest.approx(1.0, rel=1e-14)
    assert float(no_warnings(trm.collapse_floor, 0.0, 0.5, np.ones(3), c2=2.0)) == pytest.approx(0.5, rel=1e-14)
    # crossover_n: σ̄²d/(p₂²c²) with σ² formed last; beyond float64 refused with the range
    assert float(no_warnings(trm.crossover_n, 10, 0.5, sigma=1e100)) == pytest.approx(1e200 * 10 / 0.25)
    with pytest.raises(InvalidParameterError, match=r"'sigma' parameter of crossover_n must be in the range \[0, "):
        trm.crossover_n(10, 0.5, sigma=1e200)


def test_repro_linreg_sigma_1e200():
    # before: OverflowError; after: refused naming sigma and its range; 1e100 computed (σ²·d/(n − d − 1))
    with pytest.raises(InvalidParameterError, match=r"'sigma' parameter of predict must be in the range"):
        tlw.predict(n=20, d=5, t=1, sigma=1e200)
    assert no_warnings(tlw.predict, n=20, d=5, t=1, sigma=1e100).test_error == pytest.approx(1e200 * 5 / 14)


def test_repro_gaussian_variance_1e308():
    # before: inf; after: d·σ²·(1 − (1 − 1/n)^t)/... computed with σ² last (finite), or refused
    r = no_warnings(tgw.predict, n=10, d=3, t=[1, 2], variance=1e308, workflow="replace")
    assert np.all(np.isfinite(r.mean_sq_error))
    assert r.mean_sq_error[0] == pytest.approx(3 * (1e308 / 10))
    with pytest.raises(InvalidParameterError, match="'variance' parameter"):
        tgw.predict(n=2, d=3, t=5, variance=1e308, workflow="replace", estimator="unbiased")


def test_repro_underflowed_eigenvalue_treated_as_absent():
    # before: variance inf (the 5th eigenvalue 5^-500 underflows to 0; (ω+κ)² underflowed to 0 as well) and
    # the simulator raised Singular matrix. After: theory and simulator both drop ω = 0: d₊ = 4 < n = 6.
    w = spectrum.eigenvalues("powerlaw:500", 5)
    assert w[-1] == 0.0 and w[-2] > 0
    th = no_warnings(trm.predict, n=6, p2=0, lam=0, eigenvalues=w)
    assert float(th.variance) == pytest.approx(4 / (6 - 4), rel=1e-14)  # u = d₊/(n − d₊)
    assert float(th.total) == pytest.approx(float(trm.predict(n=6, p2=0, lam=0, eigenvalues=w[:4]).total))
    est = mrm.simulate(n=6, p2=0, lam=0, eigenvalues=w, n_trials=50)
    assert_nonnegative_finite(est, RM_PARTS)
    assert est.bias.mean < 1e-20
    # λ = 0, n ≥ d₊: OLS is scale-free, so the tiny-but-positive eigenvalues 2^-500 ... 4^-500 give exactly the
    # numbers of ω = (1, 1, 1, 1, 0) with the same seed
    flat = mrm.simulate(n=6, p2=0, lam=0, eigenvalues=[1.0, 1, 1, 1, 0], n_trials=50)
    assert_close_parts(est, flat, RM_PARTS, rtol=1e-9)
    # and the exact finite-n law where its variance is finite (n − d₊ − 3 > 0): E tr W⁻¹ = d₊/(n − d₊ − 1)
    est = mrm.simulate(n=12, p2=0, lam=0, eigenvalues=w, n_trials=300)
    assert_agrees(4 / 7, est.variance.mean, est.variance.sem, finite_rtol=0.0)


@settings(max_examples=60)
@given(lam=lams, logsig=st.floats(-150, 200), logr=st.floats(-300, 308), logc=st.floats(-300, 308),
       n=st.floats(1, 1e6), p2=st.floats(0, 1), d=st.integers(1, 50), beta=st.sampled_from([0.0, 1.0, 100.0]))
@example(lam=1e200, logsig=0.0, logr=0.0, logc=0.0, n=10.0, p2=0.0, d=2, beta=0.0)
@example(lam=0.0, logsig=0.0, logr=0.0, logc=0.0, n=6.0, p2=0.0, d=5, beta=500.0)
@example(lam=1.7e308, logsig=150.0, logr=300.0, logc=300.0, n=3.0, p2=0.5, d=5, beta=0.0)
def test_ridge_theory_never_nan_negative_or_silent(lam, logsig, logr, logc, n, p2, d, beta):
    """Every accepted input: finite parts ≥ 0, or inf with the documented threshold warning, or a refusal
    naming a parameter."""
    w = np.arange(1, d + 1, dtype=float) ** -beta
    kw = dict(n=n, p2=p2, lam=lam, eigenvalues=w, sigma=10.0**logsig, r2=10.0**logr, c2=10.0**logc)
    try:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            r = trm.predict(**kw)
    except InvalidParameterError as e:
        assert re.search(r"The '(sigma|sigma2|r2|c2)' parameter of predict", str(e)), str(e)
        return
    msgs = [str(x.message) for x in ws]
    assert all("interpolation threshold" in m for m in msgs), msgs
    for k, v in r.as_dict().items():
        assert not np.isnan(v) and v >= 0, (k, v)
        if np.isinf(v):
            assert msgs and np.isinf(float(r.u)), (k, v)


@settings(max_examples=30)
@given(lam=lams, logsig=st.floats(-150, 200), logr=st.floats(-300, 300), m=st.floats(1, 200),
       n=st.floats(1, 300), p2=st.floats(0, 1), form=st.sampled_from(["deterministic", "quenched"]))
@example(lam=1e100, logsig=100.0, logr=100.0, m=118.0, n=119.0, p2=1.0, form="deterministic")
@example(lam=1e308, logsig=150.0, logr=0.0, m=30.0, n=50.0, p2=0.3, form="quenched")
def test_rp_theory_never_nan_negative_or_silent(lam, logsig, logr, m, n, p2, form):
    if form == "quenched":
        m = float(int(m))
    kw = dict(n=n, m=m, p2=p2, lam=lam, eigenvalues=np.ones(40), sigma=10.0**logsig, r2=10.0**logr,
              c2=10.0**logr, form=form)
    try:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            r = trp.predict(**kw)
    except InvalidParameterError as e:
        assert re.search(r"The '(sigma|sigma2|r2|c2)' parameter of predict", str(e)), str(e)
        return
    msgs = [str(x.message) for x in ws]
    assert all("interpolation threshold" in m for m in msgs), msgs
    for k, v in r.as_dict().items():
        assert not np.isnan(v) and v >= 0, (k, v)


# ---------------------------------------------------------------------------------------------------------
# 4. multiplicities with explicit priors
# ---------------------------------------------------------------------------------------------------------

def test_repro_multiplicities_with_gamma_and_delta():
    # before: numpy broadcast error; after: the same numbers as the expanded spectrum
    a = mrm.simulate(n=10, p2=0.5, lam=0.1, eigenvalues=[1.0, 2.0], multiplicities=[2, 3], gamma=[0.1, 0.2],
                     delta=[0.3, 0.05], n_trials=20)
    b = mrm.simulate(n=10, p2=0.5, lam=0.1, eigenvalues=[1, 1, 2, 2, 2.0], gamma=[0.1, 0.1, 0.2, 0.2, 0.2],
                     delta=[0.3, 0.3, 0.05, 0.05, 0.05], n_trials=20)
    assert_close_parts(a, b, RM_PARTS, rtol=1e-12)
    # the default isotropic priors with multiplicities: tr ΓΣ = r² over the expanded spectrum, as in theory
    c = mrm.simulate(n=10, p2=0.5, lam=0.1, eigenvalues=[1.0, 2.0], multiplicities=[2, 3], n_trials=20)
    d = mrm.simulate(n=10, p2=0.5, lam=0.1, eigenvalues=[1, 1, 2, 2, 2.0], n_trials=20)
    assert_close_parts(c, d, RM_PARTS, rtol=1e-12)


@pytest.mark.slow
def test_multiplicities_with_priors_agree_with_theory():
    kw = dict(n=120, p2=0.5, lam=0.1, eigenvalues=[1.0, 2.0], multiplicities=[20, 30], gamma=[0.01, 0.02],
              delta=[0.03, 0.005])
    est = mrm.simulate(**kw, n_trials=200)
    assert_agree_theory(trm.predict(**kw), est, RM_PARTS, finite_rtol(120, 50))


# ---------------------------------------------------------------------------------------------------------
# mpmath certification of the conditional core (both stable forms), graded spectra included
# ---------------------------------------------------------------------------------------------------------

def _exact_parts(F1, F2, w, lam_n, t, e):
    """(bias, v₁, v₂, zeta) in raw coordinates at 400 digits: R = (XᵀX + nλI)⁻¹, or the pseudo-inverse at λ = 0
    through the dual Xᵀ(XXᵀ)⁻¹ (n < d) / the primal inverse (n ≥ d)."""
    import mpmath as mp

    mp.mp.dps = 400
    F = np.concatenate([F1, F2])
    n, d = F.shape
    n1 = F1.shape[0]
    X = mp.matrix([[mp.mpf(F[i, j]) * mp.sqrt(mp.mpf(w[j])) for j in range(d)] for i in range(n)])
    if n < d:
        H = X.T * mp.inverse(X * X.T + mp.mpf(lam_n) * mp.eye(n))  # R·Xᵀ (d × n)
    else:
        H = mp.inverse(X.T * X + mp.mpf(lam_n) * mp.eye(d)) * X.T
    RG = H * X
    RG2 = H[:, n1:] * X[n1:, :] if n > n1 else mp.zeros(d, d)
    wm = [mp.mpf(x) for x in w]
    bias = sum(wm[i] * (RG[i, j] - (1 if i == j else 0)) ** 2 * mp.mpf(t[j]) / wm[j]
               for i in range(d) for j in range(d))
    zeta = sum(wm[i] * RG2[i, j] ** 2 * mp.mpf(e[j]) / wm[j] for i in range(d) for j in range(d))
    v1 = sum(wm[i] * H[i, j] ** 2 for i in range(d) for j in range(n1))
    v2 = sum(wm[i] * H[i, j] ** 2 for i in range(d) for j in range(n1, n))
    return [float(x) for x in (bias, v1, v2, zeta)]


@pytest.mark.parametrize("beta", [0.0, 1.0, 3.0, 20.0, 100.0, 200.0])
@pytest.mark.parametrize("lam_n", [0.0, 1e-30, 1e-3, 1e3])
@pytest.mark.parametrize("n1,n2,d", [(2, 1, 6), (5, 4, 6), (0, 4, 6), (3, 0, 6)])
def test_conditional_parts_match_mpmath(beta, lam_n, n1, n2, d):
    """Both stable forms against a 400-digit reference, for ω_i = i^-β down to 6^-200 ≈ 1e-156 (shuffled for
    odd β-index, so the graded QR's row sorting is exercised). Tolerance: relative 1e-9 on v₁, v₂, zeta and
    the bias (measured ≤ 1e-13), plus an absolute 1e-25·r² on the bias, which is formed as
    ‖(DH·F − I)·√(ωΓ)‖² and so carries round-off of order eps²·r² ≈ 1e-31·r² where the true bias is 1e-59."""
    rng = np.random.default_rng(7)
    w = np.arange(1, d + 1, dtype=float) ** -beta
    if beta in (1.0, 100.0):
        w = w[rng.permutation(d)]
    t = w / w.sum()  # energies ωΓ for r² = 1
    e = 0.5 * w / w.sum()
    F1, F2 = rng.standard_normal((n1, d)), rng.standard_normal((n2, d))
    got = [float(x[0]) for x in mrm.unit_error_parts(F1[None], F2[None], lam_n, w, t, e)]
    want = _exact_parts(F1, F2, w, lam_n, t, e)
    for name, g, x in zip(("bias", "v1", "v2", "zeta"), got, want, strict=True):
        assert g >= 0
        atol = 1e-25 if name == "bias" else 1e-300
        assert abs(g - x) <= 1e-9 * abs(x) + atol, f"{name}: {g!r} vs exact {x!r}"
