"""The constants of MCD's power-law collapse law (theory.iterative_retraining.power_law_constants).

At λ = T^−ℓ (0 < ℓ < β), ω_j = j^−β, source r, OLS generators with T₀ = d/φ₀, as T → ∞ with T/d → 0:

    E_test ≃ C_B·T^{−2ℓr̃} + (C_V + C_C)·T^{−(1−ℓ/β)},   C_V = σ²(1 − 1/β)a_β,  C_C = nσ₀²φ₀/(1−φ₀)·(1 − 1/β)a_β,
    C_B = r²Γ(2−2r)Γ(2r)/(βζ(1+2βr)) (r < 1),  r²ζ(1+2β(r−1))/ζ(1+2βr) (r > 1),  a_β = (π/β)/sin(π/β).

Allowance (stated before measuring, the sum of the three leading relative corrections of the derivation):
A(T, d) = a_β·T^{ℓ/β−1} (κ/λ − 1 and u against df₂/T) + T^{−ℓ/β} (the sum over j against its integral: 1/df₂)
+ T/d (df₂/d in the collapse bracket). Each term of the law must be within A·|law| of the finite-d deterministic
equivalent (itself checked against the chain in test_iterative_retraining.py) at d = 10⁶, T = 10²..10⁴; measured
worst |ratio − 1|/A = 0.96 (the bias at ℓ = 1, T = 100), typical 0.3–0.6. Against the chain itself (conditional
simulation, d = 800, T = 80): within 4·SE + A·|law|. Twins: df₁'s constant a_β in place of df₂'s (1 − 1/β)a_β
(u ≈ df₁/T), and the ridgeless bias constant β·C_B (its (1 + u) → β) at λ = T^−ℓ: both fail the same checks.
"""

import math

import mpmath
import numpy as np
import pytest
from _check import assert_agrees, assert_disagrees
from model_collapse.montecarlo import iterative_retraining as mc
from model_collapse.theory import iterative_retraining as th
from model_collapse.validation import InvalidParameterError

D = 10**6
T = np.array([1e2, 1e3, 1e4])
KW = dict(generations=2, sigma=0.5, sigma0=0.3)
CASES = [(2.0, 0.5, 0.5), (2.0, 0.5, 2 / 3), (2.0, 0.5, 1.0), (3.0, 0.8, 1.0), (1.5, 0.3, 0.6), (2.0, 1.5, 0.5)]


def allowance(beta, ell, t, d):
    a_beta = (math.pi / beta) / math.sin(math.pi / beta)
    return a_beta * t ** (ell / beta - 1) + t ** (-ell / beta) + t / d


def _terms(c, t):
    return (c.bias_constant * t**c.bias_exponent, c.variance_constant * t**c.variance_exponent,
            c.collapse_constant * t**c.variance_exponent)


def _de(beta, r, ell, t, d=D, **kw):
    kw = {**KW, **kw}
    p = th.predict(kw["generations"], t, 2 * d, d, sigma=kw["sigma"], sigma0=kw["sigma0"], lam=t**-ell,
                   spectrum=f"powerlaw:{beta}", source_r=r)
    return p.bias, p.variance, p.collapse


@pytest.mark.parametrize("beta,r,ell", CASES)
def test_constants_against_the_finite_d_formula(beta, r, ell):
    c = th.power_law_constants(beta, r, ell, **KW)
    assert (c.bias_exponent, c.variance_exponent) == (th.term_exponents(beta, r, ell)["bias"],
                                                      th.term_exponents(beta, r, ell)["variance"])
    a = allowance(beta, ell, T, D)
    worst = []
    for name, law, de in zip(("bias", "variance", "collapse"), _terms(c, T), _de(beta, r, ell, T), strict=True):
        ratio = de / law
        assert np.all(np.abs(ratio - 1) <= a), (name, ratio, a)
        assert abs(ratio[-1] - 1) < abs(ratio[0] - 1) or abs(ratio[-1] - 1) < 0.01, (name, ratio)  # converges
        worst.append(float(np.max(np.abs(ratio - 1) / a)))
    assert max(worst) <= 1.0


@pytest.mark.parametrize("beta,r,ell", [(2.0, 0.5, 2 / 3), (3.0, 0.8, 1.0), (2.0, 1.5, 0.5)])
def test_twins_fail_against_the_finite_d_formula(beta, r, ell):
    c = th.power_law_constants(beta, r, ell, **KW)
    bias, variance, collapse = _de(beta, r, ell, T)
    law_b, law_v, law_c = _terms(c, T)
    a = allowance(beta, ell, T, D)
    df1_for_df2 = 1.0 / (1.0 - 1.0 / beta)
    assert np.any(np.abs(variance / (law_v * df1_for_df2) - 1) > a)
    assert np.any(np.abs(collapse / (law_c * df1_for_df2) - 1) > a)
    if r < 1:  # the ridgeless constant (1 + u → β) in the bias
        assert np.any(np.abs(bias / (law_b * beta) - 1) > a)


def test_constants_against_the_chain():
    """The chain itself (conditional estimator) at d = 800, T = 80, T₀ = 1600, λ = 1/T, β = 2, r = 0.5."""
    beta, r, ell, d, t = 2.0, 0.5, 1.0, 800, 80
    s = dict(generations=2, samples=t, generator_samples=2 * d, d=d, sigma=0.5, sigma0=0.5, lam=t**-ell,
             spectrum="powerlaw:2", source_r=r)
    est = mc.simulate(**s, n_trials=60, seed=3)
    c = th.power_law_constants(beta, r, ell, generations=2, sigma=0.5, sigma0=0.5)
    a = allowance(beta, ell, t, d)
    law_b, law_v, law_c = _terms(c, t)
    for name, law in (("bias", law_b), ("variance", law_v), ("collapse", law_c)):
        e = getattr(est, name)
        assert_agrees(law, e.mean, e.sem, finite_rtol=a, label=f"power-law {name}")
    assert_agrees(law_b + law_v + law_c, est.total.mean, est.total.sem, finite_rtol=a, label="power-law total")
    twin = 1.0 / (1.0 - 1.0 / beta)
    assert_disagrees(law_c * twin, est.collapse.mean, est.collapse.sem, finite_rtol=a, label="df1 for df2")
    assert_disagrees(law_b + (law_v + law_c) * twin, est.total.mean, est.total.sem, finite_rtol=a,
                     label="df1 for df2 (total)")


def test_constants_mpmath_and_limits():
    """C_B for r > 1 is the κ → 0 limit of κ^{−2}·κ²Σ c_j²ω_j/(ω_j+κ)² = Σ c_j²/ω_j (mpmath nsum, 30 digits); the
    r < 1 integral is certified in test_iterative_retraining.test_mpmath_power_law_constants. The collapse constant
    and the ridgeless floor of scaling_law share nσ₀²φ₀/(1−φ₀): C_C/((1 − 1/β)a_β)·(β − 1) = floor (σ = 0)."""
    beta, r = 2.0, 1.5
    c = th.power_law_constants(beta, r, 0.5, r2=1.0)
    with mpmath.workdps(30):
        zeta = mpmath.zeta(1 + 2 * beta * r)
        s = mpmath.nsum(lambda j: j ** (-(1 + 2 * beta * r)) / zeta * j ** (2 * beta), [1, mpmath.inf])
        assert abs(s - c.bias_constant) < 1e-12 * s
    law = th.scaling_law(2.0, 0.5, generations=3, sigma0=0.4, phi0=0.25)
    k = th.power_law_constants(2.0, 0.5, 2 / 3, generations=3, sigma0=0.4, phi0=0.25)
    a_beta = (math.pi / 2) / math.sin(math.pi / 2)
    assert k.collapse_constant / ((1 - 1 / 2) * a_beta) * (2 - 1) == pytest.approx(law.floor, rel=1e-13)
    assert k.total(100.0) == pytest.approx(sum(_terms(k, 100.0)), rel=1e-14)
    with pytest.raises(InvalidParameterError, match="'source_r'"):
        th.power_law_constants(2.0, 1.0, 0.5)
    with pytest.raises(InvalidParameterError, match="'ell'"):
        th.power_law_constants(2.0, 0.5, 2.0)
