"""Scaling laws of iterative retraining under power-law spectra (Model Collapse Demystified; docs/theory.md §4).

Closed forms only (no finite-d formula): the rates and ℓ_crit (:func:`scaling_law`, :func:`term_exponents`), the
ridgeless floor and the d = ∞ crossover, and the constants of the power law at λ = T^−ℓ
(:func:`power_law_constants`). The finite-d formula they are the limits of is
:func:`model_collapse.theory.iterative_retraining.predict` (which re-exports everything here, with
:func:`~model_collapse.theory.iterative_retraining.crossover_samples`, the finite-d crossover).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.validation import (
    EXPONENT,
    NONNEGATIVE_INT,
    POSITIVE,
    SCALE,
    Interval,
    InvalidParameterError,
    validate,
)
from scipy import special

__all__ = ["BETA", "PHI0", "ScalingLaw", "scaling_law", "term_exponents", "PowerLawConstants", "power_law_constants"]

#: β of a power-law spectrum must exceed 1 for the scaling laws (tr Σ finite, u → β − 1 ridgeless).
BETA = Interval(Real, 1, 1e3, closed="right")  # beyond 1e3 every eigenvalue but the first underflows
PHI0 = Interval(Real, 0, 1, closed="neither")


@dataclass(frozen=True)
class ScalingLaw:
    """Exponents p of E_test ∝ T^p (negative numbers) and the crossover, for ω_j = j^−β, source r.

    ell_crit = β/(1 + 2βr̃); exponent = −2βr̃/(2βr̃ + 1) (the slow rate, at λ = T^−ell_crit);
    fast_exponent = −2βr̃ (noiseless clean data, λ → 0); floor = the ridgeless plateau
    (β − 1)(σ² + nσ₀²φ₀/(1 − φ₀)); crossover = T* where the ridgeless clean error meets it (inf if never).
    """

    ell_crit: float
    exponent: float
    fast_exponent: float
    floor: float
    crossover: float

    def as_dict(self) -> dict:
        return {k: float(getattr(self, k)) for k in ("ell_crit", "exponent", "fast_exponent", "floor", "crossover")}


def term_exponents(beta: float, source_r: float, ell: float) -> dict:
    """Rates (exponents of T) of each term at λ = T^−ℓ, regime T ≪ d: bias −2ℓr̃ (ℓ ≤ β), variance and
    collapse −(1 − ℓ/β). For ℓ ≥ β (ridgeless-like) κ ≍ T^−β: bias −2βr̃, variance and collapse 0."""
    rt = min(float(source_r), 1.0)
    le = min(float(ell), float(beta))
    return {"bias": -2.0 * le * rt, "variance": -(1.0 - le / beta), "collapse": -(1.0 - le / beta)}


@dataclass(frozen=True)
class PowerLawConstants:
    """E_test(T) ≃ bias_constant·T^bias_exponent + (variance_constant + collapse_constant)·T^variance_exponent at
    λ = T^−ℓ (see :func:`power_law_constants`); ``floor`` and ``crossover`` are the ridgeless ones of
    :func:`scaling_law`."""

    bias_constant: float
    variance_constant: float
    collapse_constant: float
    bias_exponent: float
    variance_exponent: float

    def total(self, samples):
        """The two-term law at T = ``samples`` (array allowed)."""
        t = np.asarray(samples, dtype=float)
        return (self.bias_constant * t**self.bias_exponent
                + (self.variance_constant + self.collapse_constant) * t**self.variance_exponent)

    def as_dict(self) -> dict:
        return {k: float(getattr(self, k)) for k in ("bias_constant", "variance_constant", "collapse_constant",
                                                     "bias_exponent", "variance_exponent")}


def _bias_constant(beta: float, r: float, r2: float) -> float:
    """lim κ^{−2r̃}·κ²Σ_j c_j²ω_j/(ω_j + κ)² as κ → 0 for ω_j = j^−β, ω_jc_j² = r²j^−(1+2βr)/ζ(1+2βr)."""
    zeta_z = float(special.zeta(1 + 2 * beta * r))
    if r < 1:  # ∫₀^∞ y^{1−2r}/(1 + y)² dy / β = Γ(2 − 2r)Γ(2r)/β (sum → integral in x = jκ^{1/β})
        return r2 * float(special.gamma(2 - 2 * r) * special.gamma(2 * r)) / (beta * zeta_z)
    return r2 * float(special.zeta(1 + 2 * beta * (r - 1))) / zeta_z  # κ²Σ c_j²/ω_j: the sum converges


@validate(beta=BETA, source_r=EXPONENT, ell=POSITIVE, generations=NONNEGATIVE_INT, sigma=SCALE, sigma0=SCALE,
          phi0=PHI0, r2=POSITIVE)
def power_law_constants(beta, source_r, ell, *, generations=1, sigma=0.0, sigma0=1.0, phi0=0.5,
                        r2=1.0) -> PowerLawConstants:
    """The constants of the power-law collapse law (MCD §5, derived here for the chain of docs/theory.md §4.1).

    ω_j = j^−β (β > 1), source ω_jc_j² = r²·j^−(1+2βr)/ζ(1+2βr) (r = ``source_r`` ≠ 1, r² = ``r2`` = ‖w₀‖²_Σ),
    OLS generators with T₀ = d/φ₀, ridge λ = T^−ℓ downstream, 0 < ℓ < β, in the limit T → ∞, T/d → 0:

        E_test ≃ C_B·T^{−2ℓr̃} + (C_V + C_C)·T^{−(1−ℓ/β)},   r̃ = min(r, 1),
        C_V = σ²·(1 − 1/β)·a_β,  C_C = n·σ₀²·φ₀/(1 − φ₀)·(1 − 1/β)·a_β,  a_β = (π/β)/sin(π/β),
        C_B = r²·Γ(2 − 2r)Γ(2r)/(β·ζ(1 + 2βr))  (r < 1),   C_B = r²·ζ(1 + 2β(r − 1))/ζ(1 + 2βr)  (r > 1).

    Derivation (from :func:`predict`'s deterministic equivalent): κ = λ(1 + O(df₁/T)) with df₁(κ) ≃ a_βκ^{−1/β}
    (∫₀^∞ dy/(1 + y^β) = a_β), so df₁/T ≍ T^{ℓ/β−1} → 0; variance σ²u, u = df₂/(T − df₂) ≃ df₂/T,
    df₂(κ) ≃ (1 − 1/β)a_βκ^{−1/β}; collapse nσ₀²[df₂ + u·κ²tr(Σ+κ)⁻²]/(T₀ − d − 1) ≃ nσ₀²·u·d/(T₀ − d) (κ²tr(Σ+κ)⁻²
    = d − 2df₁ + df₂ ≃ d); bias (1 + u)κ²Σc_j²ω_j/(ω_j+κ)² ≃ C_B·κ^{2r̃}. The rates are those of
    :func:`term_exponents`; the ridgeless constants of :func:`scaling_law` differ by (1 + u) → β in the bias and
    the floor. Leading corrections, relative: O(T^{ℓ/β−1}) (κ/λ, u/(df₂/T)), O(T^{−ℓ/β}) (sum against integral:
    1/df₂), O(T/d) (df₂/d in the collapse bracket). r = 1 (a log factor) raises.
    """
    beta, r, ell = float(beta), float(source_r), float(ell)
    if r == 1.0:
        raise InvalidParameterError.of("source_r", "power_law_constants", "must differ from 1 (the bias has a "
                                       "log factor there).")
    if ell >= beta:
        raise InvalidParameterError.of("ell", "power_law_constants", f"must be below beta = {beta} (λ = T^-ell "
                                       "with ell >= beta is ridgeless-like: see scaling_law). Got {ell} instead.")
    a_beta = (math.pi / beta) / math.sin(math.pi / beta)
    df2_c = (1.0 - 1.0 / beta) * a_beta
    rt = min(r, 1.0)
    return PowerLawConstants(
        bias_constant=_bias_constant(beta, r, float(r2)),
        variance_constant=float(sigma) ** 2 * df2_c,
        collapse_constant=float(generations) * float(sigma0) ** 2 * phi0 / (1 - phi0) * df2_c,
        bias_exponent=-2.0 * ell * rt,
        variance_exponent=-(1.0 - ell / beta),
    )


@validate(beta=BETA, source_r=EXPONENT, generations=NONNEGATIVE_INT, sigma=SCALE, sigma0=SCALE,
          phi0=PHI0, r2=POSITIVE)
def scaling_law(beta, source_r, *, generations=1, sigma=0.0, sigma0=1.0, phi0=0.5, r2=1.0) -> ScalingLaw:
    """Scaling laws of iterative retraining for ω_j = j^−β (β > 1) and source ω_j c_j² ∝ j^−(1+2βr).

    Regime: T ≪ d (downstream over-parameterised, d → ∞), generators with T₀ = d/φ₀ > d (OLS).
    With λ = T^−ℓ, κ ≈ λ and E ≍ T^−2ℓr̃ + (σ² + nσ₀²φ₀/(1−φ₀))·T^−(1−ℓ/β), r̃ = min(r, 1):
    ℓ_crit = β/(1 + 2βr̃), slow rate exponent −2βr̃/(2βr̃ + 1); ridgeless the clean error falls at the fast
    rate T^−2βr̃ (σ = 0) and the collapse term is the floor F = (β − 1)·nσ₀²φ₀/(1 − φ₀) (u → β − 1).

    Crossover (closed form, d = ∞): κ₀(T) = (a_β/T)^β with a_β = (π/β)/sin(π/β) (df₁(κ₀) = T); ridgeless
    bias = G·κ₀^{2r} with G = r²Γ(2−2r)Γ(2r)/ζ(1+2βr) for r < 1, and bias = G·κ₀² with
    G = r²β·ζ(1+2β(r−1))/ζ(1+2βr) for r > 1; T* solves bias + σ²(β − 1) = F. inf when F ≤ σ²(β − 1)
    (the collapse never overtakes). r = 1 (a log correction) raises; use :func:`crossover_samples`.
    """
    beta, r = float(beta), float(source_r)
    rt = min(r, 1.0)
    ell = beta / (1 + 2 * beta * rt)
    slow = -2 * beta * rt / (2 * beta * rt + 1)
    fast = -2 * beta * rt
    floor_collapse = (beta - 1) * float(generations) * float(sigma0) ** 2 * phi0 / (1 - phi0)
    floor_clean = (beta - 1) * float(sigma) ** 2
    if r == 1.0:
        raise InvalidParameterError.of("source_r", "scaling_law", "must differ from 1 for the closed-form "
                                    "crossover (log-corrected there); use crossover_samples.")
    zeta_z = float(special.zeta(1 + 2 * beta * r))
    if r < 1:
        g = r2 * special.gamma(2 - 2 * r) * special.gamma(2 * r) / zeta_z
        power = 2 * r
    else:
        g = r2 * beta * float(special.zeta(1 + 2 * beta * (r - 1))) / zeta_z
        power = 2.0
    excess = floor_collapse - floor_clean
    if excess <= 0:
        cross = math.inf
    else:
        k0 = (excess / g) ** (1 / power)
        a_beta = (math.pi / beta) / math.sin(math.pi / beta)
        cross = a_beta * k0 ** (-1 / beta)
    return ScalingLaw(ell_crit=ell, exponent=slow, fast_exponent=fast, floor=floor_collapse + floor_clean,
                      crossover=cross)
