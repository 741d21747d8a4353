"""The synthetic budget (theory.synthetic_budget): best k against a dense search of the closed form, and the
simulation at the points that matter (k = 0 and k = k*).

The search is exact to the closed form: on a finite range [0, K] the best integer k and the break-even count
must equal those of an exhaustive evaluation of E(k) at every integer k (ties within 1e-12 relative go to
either). The perturbed twin (p₂ = k/n₁, the synthetic fraction measured against the real count instead of the
total) moves the dense argmin, so the same equality check fails for it.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_collapse.cli import run
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import ridge_mixture as rm
from model_collapse.theory import synthetic_budget as sb
from model_collapse.validation import InvalidParameterError

from tests._check import assert_agrees, assert_disagrees

K_MAX = 6000


def dense(n1, lam, w, kmax=K_MAX, p2_of=None, **kw):
    """E(k) at every integer k in [0, kmax] (one vectorised closed-form call)."""
    k = np.arange(kmax + 1, dtype=float)
    n = n1 + k
    p2 = k / n if p2_of is None else p2_of(k, n1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return k, rm.predict(n, np.clip(p2, 0, 1), lam, w, **kw).total


def dense_answer(k, e):
    e = np.where(np.isfinite(e), e, np.inf)
    j = int(np.argmin(e))
    ok = np.flatnonzero(e <= e[0])
    return k[j], e[j], float(k[ok[-1]])


@st.composite
def budget_settings(draw):
    """Settings whose best k is interior or 0 on [0, K_MAX]: n₁ from 20 to 1500, d from 20 to 200, c² chosen
    around the real-only error (so that synthetic data helps a little, a lot, or not at all)."""
    d = draw(st.integers(20, 200))
    n1 = draw(st.integers(20, 1500))
    beta = draw(st.sampled_from([0.0, 0.5, 1.0]))
    w = np.arange(1, d + 1, dtype=float) ** (-beta)
    lam = draw(st.one_of(st.just(0.0), st.floats(1e-3, 0.3)))
    if lam == 0 and abs(n1 - d) < 3:
        n1 = d + 3
    sigma = draw(st.floats(0.2, 2.0))
    c2 = draw(st.floats(0.01, 3.0))
    # covariate shift in a third of the cases: synthetic rows with their own power-law spectrum
    w2 = draw(st.one_of(st.none(), st.none(), st.floats(0.25, 1.5).map(
        lambda b: 2.0 * np.arange(1, d + 1, dtype=float) ** (-b))))
    return dict(n1=n1, lam=lam, w=w, c2=c2, sigma=sigma, sigma2=draw(st.floats(0.0, 2.0)), w2=w2)


@settings(max_examples=40, deadline=None)
@given(budget_settings())
def test_best_k_and_break_even_equal_a_dense_search(s):
    kw = dict(c2=s["c2"], sigma=s["sigma"], sigma2=s["sigma2"], eigenvalues2=s["w2"])
    res = sb.synthetic_budget(s["n1"], s["lam"], s["w"], max_synthetic=K_MAX, **kw)
    k, e = dense(s["n1"], s["lam"], s["w"], **kw)
    kd, ed, be = dense_answer(k, e)
    assert res.real_only_total == pytest.approx(e[0], rel=1e-13)
    # exact to the closed form: the same minimum (ties within round-off may pick another k of equal error)
    assert res.best_total <= ed * (1 + 1e-12)
    assert res.best_total == pytest.approx(ed, rel=1e-12)
    assert res.best_n_synthetic == kd or e[int(res.best_n_synthetic)] <= ed * (1 + 1e-12)
    assert res.helps == bool(ed < e[0])
    assert res.break_even_n_synthetic == be


def test_perturbed_fraction_moves_the_dense_optimum():
    """Twin: p₂ = k/n₁ (fraction against the real count) gives another best k at settings where the budget is
    interior, so the equality check above would fail for that formula."""
    w = np.ones(100)
    kw = dict(c2=0.2, sigma=1.0)
    res = sb.synthetic_budget(1000, 0.0, w, max_synthetic=K_MAX, **kw)
    k, e_wrong = dense(1000, 0.0, w, p2_of=lambda k, n1: np.minimum(k / n1, 1.0), **kw)
    kd_wrong, _, be_wrong = dense_answer(k, e_wrong)
    assert res.best_n_synthetic == 399 and res.break_even_n_synthetic == 1277
    assert kd_wrong != res.best_n_synthetic and be_wrong != res.break_even_n_synthetic


def test_isotropic_ridgeless_budget_matches_the_closed_form_curve():
    """E(k) = (σ² + p₁p₂c²)·φ/(1 − φ) + p₂²c² with φ = d/(n₁ + k): the curve is the documented law."""
    w = np.ones(100)
    k = np.array([0.0, 10, 399, 5000])
    got = sb.error_curve(1000, k, 0.0, w, c2=0.2, sigma=1.0).total
    n = 1000 + k
    p2 = k / n
    phi = 100 / n
    want = (1.0 + (1 - p2) * p2 * 0.2) * phi / (1 - phi) + p2**2 * 0.2
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_unbounded_budget_is_the_all_synthetic_limit():
    """c² below the real-only error and approached from above: the error falls for every k (best = inf), and
    the limit equals the curve far out."""
    w = np.arange(1, 101, dtype=float) ** -1.0
    res = sb.synthetic_budget(60, 0.0, w, c2=0.3, sigma=1.0)
    assert math.isinf(res.best_n_synthetic) and math.isinf(res.break_even_n_synthetic)
    assert res.helps and res.best_total == res.limit_total == pytest.approx(0.3, rel=1e-12)
    far = sb.error_curve(60, np.array([1e6, 1e9]), 0.0, w, c2=0.3, sigma=1.0).total
    assert np.all(far > res.limit_total) and far[1] == pytest.approx(res.limit_total, rel=1e-6)


def test_borderline_limit_is_unbounded():
    """c² = σ²d/(2n₁): the 1/k term vanishes and E(k) − c² is below round-off for large k; no finite k beats
    the limit by more than 1e-12, so the answer is the limit (k = inf), not a round-off minimiser."""
    res = sb.synthetic_budget(1000, 0.0, np.ones(100), c2=0.05, sigma=1.0)
    assert math.isinf(res.best_n_synthetic) and res.best_total == pytest.approx(0.05, rel=1e-12)


def test_covariate_shift_limit_is_the_all_synthetic_floor():
    """With Σ₂ ≠ Σ₁ the k → ∞ limit is λ²tr ΓΣ₁(Σ₂ + λ)⁻² + tr ΔΣ₁Σ₂²(Σ₂ + λ)⁻² (covariate_shift.collapse_floor at
    p₂ = 1): it equals the curve far out. (Ridgeless it is c² whatever Σ₂ is; at finite k the shift matters: the
    twin "Σ₂ ignored" gives another best k and break-even count.)"""
    w1, w2 = np.ones(100), 2.0 * np.arange(1, 101, dtype=float) ** -0.5
    res = sb.synthetic_budget(1000, 1e-3, w1, c2=0.2, sigma=1.0, eigenvalues2=w2)
    far = float(sb.error_curve(1000, 1e13, 1e-3, w1, c2=0.2, sigma=1.0, eigenvalues2=w2).total)
    assert res.limit_total == pytest.approx(far, rel=1e-8)
    same = sb.synthetic_budget(1000, 1e-3, w1, c2=0.2, sigma=1.0)
    assert (res.best_n_synthetic, res.break_even_n_synthetic) == (1038, 3712)
    assert (same.best_n_synthetic, same.break_even_n_synthetic) == (399, 1275)


def test_bounded_search_and_no_help():
    w = np.ones(100)
    res = sb.synthetic_budget(1000, 0.0, w, c2=1.0, sigma=0.1)
    assert (res.best_n_synthetic, res.helps, res.break_even_n_synthetic) == (0.0, False, 0.0)
    assert res.best_total == res.real_only_total


def test_heat_map_is_the_pointwise_curve():
    w = np.arange(1, 201, dtype=float) ** -0.7
    n1 = np.array([50.0, 300, 2000])
    k = np.array([0.0, 7, 150, 4000])
    grid = sb.error_curve(n1[:, None], k[None, :], 1e-2, w, c2=0.5, sigma=0.7).total
    for i, a in enumerate(n1):
        for j, b in enumerate(k):
            one = rm.predict(a + b, b / (a + b), 1e-2, w, c2=0.5, sigma=0.7).total
            assert grid[i, j] == pytest.approx(float(one), rel=1e-14)


def test_bad_input_names_the_parameter():
    w = np.ones(10)
    for kwargs, name in ((dict(n_real=0, lam=0.0), "n_real"), (dict(n_real=10, lam=-1.0), "lam"),
                         (dict(n_real=10, lam=0.0, max_synthetic=-1), "max_synthetic")):
        with pytest.raises(InvalidParameterError, match=name):
            sb.synthetic_budget(eigenvalues=w, **kwargs)
    with pytest.raises(InvalidParameterError, match="n_real"):
        sb.synthetic_budget(np.array([10, 20]), 0.0, w)


# -- simulation at the points that matter -------------------------------------------------------------------

def ridge_allowance(n, d):
    return 2.0 * (1.0 / abs(n - d) + 1.0 / d)  # the ridge deterministic-equivalent allowance (families.py)


def test_simulation_confirms_the_best_k_and_the_gain():
    """At k = 0 and k = k* the conditional-expectation simulator agrees with E(0) and E(k*) (4 SE + the ridge
    allowance), and the simulated gain E(0) − E(k*) is significantly positive; the twin claim "synthetic data
    does not help" (gain 0) fails the same check."""
    d, n1 = 60, 400
    w = np.arange(1, d + 1, dtype=float) ** -0.5
    kw = dict(c2=0.15, sigma=1.0)
    res = sb.synthetic_budget(n1, 1e-3, w, **kw)
    k = res.best_n_synthetic
    assert res.helps and 0 < k < 10**5
    n = int(n1 + k)
    real = mc.simulate(n1, 0.0, 1e-3, w, **kw, n_trials=150, seed=point_seed(0, 0))
    best = mc.simulate(n, k / n, 1e-3, w, **kw, n_trials=150, seed=point_seed(0, 1))
    assert_agrees(res.real_only_total, real.total.mean, real.total.sem, finite_rtol=ridge_allowance(n1, d),
                  require_power=True, label="E(0)")
    assert_agrees(res.best_total, best.total.mean, best.total.sem, finite_rtol=ridge_allowance(n, d),
                  require_power=True, label="E(k*)")
    gain = real.total.mean - best.total.mean
    se = float(np.hypot(real.total.sem, best.total.sem))
    allowance = ridge_allowance(n1, d) * res.real_only_total + ridge_allowance(n, d) * res.best_total
    theory_gain = res.real_only_total - res.best_total
    assert abs(gain - theory_gain) <= 4 * se + allowance
    assert_disagrees(0.0, gain, se, atol=allowance, finite_rtol=0.0, label="twin: no gain")


# -- CLI -----------------------------------------------------------------------------------------------------

BASE = ["--n-real", "1000", "--d", "100", "--c2", "0.2", "--lam", "0", "--sigma", "1"]


def test_cli_predict_prints_the_pinned_keys():
    r = run(["predict", "synthetic-budget", *BASE, "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert [k for k in out if k != "warnings"] == ["real_only_total", "best_n_synthetic", "best_total", "helps",
                                                   "break_even_n_synthetic", "limit_total", "setting"]
    assert out["best_n_synthetic"] == 399 and out["break_even_n_synthetic"] == 1277 and out["helps"] is True
    # the setting echoed, defaults included (an infinite input is echoed as the text "inf": not a result)
    assert out["setting"] == {"n_real": 1000, "d": 100, "c2": 0.2, "lam": 0, "sigma": 1, "r2": 1.0,
                              "spectrum": "isotropic", "teacher": "isotropic", "penalty": "mean", "mse": False,
                              "max_synthetic": "inf"}


def test_cli_lam_sigma_default_and_an_infinite_default_is_no_warning():
    """--lam and --sigma default to 0 and 1; the default --max-synthetic inf, echoed as null in the setting, is an
    input, not an infinite result: no warning (only result fields are explained in "warnings")."""
    r = run(["predict", "synthetic-budget", "--n-real", "1000", "--d", "100", "--c2", "0.2", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["setting"]["lam"], out["setting"]["sigma"]) == (0.0, 1.0)
    assert out["best_n_synthetic"] == 399 and out["break_even_n_synthetic"] == 1277
    assert "warnings" not in out, out.get("warnings")
    assert "infinite" not in r.stderr, r.stderr


def test_cli_unbounded_is_null_with_reason_and_simulate_refuses():
    # c² = 0.03 < σ²d/(2n₁) = 0.05: E(k) falls towards c² from above (c² = 0.05 is the borderline case)
    argv = ["--n-real", "1000", "--d", "100", "--c2", "0.03", "--lam", "0", "--sigma", "1"]
    r = run(["predict", "synthetic-budget", *argv, "--json"])
    out = json.loads(r.stdout)
    assert out["best_n_synthetic"] is None and any("keeps falling" in w for w in out["warnings"])
    r = run(["simulate", "synthetic-budget", *argv, "--trials", "5"])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "The '--max-synthetic' parameter must be finite to simulate this setting" in r.stderr


def test_cli_spectrum2_is_the_covariate_shift_budget():
    r = run(["predict", "synthetic-budget", *BASE, "--lam", "0.001", "--spectrum2", "powerlaw:0.5", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    w = np.ones(100)
    ref = sb.synthetic_budget(1000, 0.001, w, c2=0.2, sigma=1.0, eigenvalues2=np.arange(1, 101.0) ** -0.5)
    assert out["best_n_synthetic"] == ref.best_n_synthetic and out["limit_total"] == pytest.approx(ref.limit_total)


def test_cli_simulate_reports_both_errors():
    r = run(["simulate", "synthetic-budget", *BASE, "--trials", "20", "--json"])
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["best_n_synthetic"] == 399
    assert set(out["real_only_total"]) == {"mean", "se"} and out["gain"]["mean"] > 0
    assert out["setting"]["trials"] == 20 and out["setting"]["method"] == "conditional"


COUNT = "a non-negative integer (at most 2^53) or inf"


@pytest.mark.parametrize("command, bad, needle", [
    ("predict", ["--n-real", "0"], "The '--n-real' parameter must be an int in the range [1, inf) (at most 2^53). "
                                   "Got 0"),
    ("predict", ["--n-real", "1e300"], "The '--n-real' parameter must be an int"),
    ("predict", ["--c2", "-1"], "The '--c2' parameter must be a float in the range [0, 1e+150]. Got -1"),
    ("predict", ["--max-synthetic", "x"], "The '--max-synthetic' parameter must be "),
    ("predict", ["--spectrum", "foo"], "The '--spectrum' parameter must be isotropic, powerlaw:BETA"),
    # a count of synthetic samples: an integer or inf (as --help says), within 2^53
    ("predict", ["--max-synthetic", "2.5"], f"The '--max-synthetic' parameter must be {COUNT}"),
    ("predict", ["--max-synthetic", "1e20"], f"The '--max-synthetic' parameter must be {COUNT}"),
    # the simulator draws whole samples
    ("simulate", ["--n-real", "100.5"], "The '--n-real' parameter must be an int"),
])
def test_cli_bad_input_is_one_line_exit_2(command, bad, needle):
    argv = list(BASE)
    i = argv.index(bad[0]) if bad[0] in argv else None
    if i is not None:
        argv[i + 1] = bad[1]
    else:
        argv += bad
    r = run([command, "synthetic-budget", *argv, *(["--trials", "2", "--max-synthetic", "10"]
                                                   if command == "simulate" else [])])
    assert r.exit_code == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_cli_max_synthetic_zero_and_one_are_answers():
    """--max-synthetic 0 (no search grid at all) answers k = 0; 1 searches the single count k = 1."""
    out0 = json.loads(run(["predict", "synthetic-budget", *BASE, "--max-synthetic", "0", "--json"]).stdout)
    assert (out0["best_n_synthetic"], out0["helps"], out0["break_even_n_synthetic"]) == (0, False, 0)
    out1 = json.loads(run(["predict", "synthetic-budget", *BASE, "--max-synthetic", "1", "--json"]).stdout)
    assert out1["best_n_synthetic"] == 1 and out1["best_total"] < out1["real_only_total"]


@pytest.mark.parametrize("value", ["-1e-3", "-1E+2", "-inf", "-.5e1"])
def test_cli_negative_exponent_numbers_are_refused_by_the_flag_type(value):
    """A negative number in exponent form is the flag's value (refused with the allowed range), not a flag."""
    r = run(["predict", "synthetic-budget", *BASE[:-2], "--sigma", value])
    assert r.exit_code == 2 and "The '--sigma' parameter must be a float in the range [0, 1e+150]" in r.stderr
    assert f"Got {float(value):g}" in r.stderr  # the value typed, not a flag
    assert len(r.stderr.strip().splitlines()) == 1
