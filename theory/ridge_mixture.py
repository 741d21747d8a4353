"""Ridge regression on a mix of real and synthetic data: E_test ≃ B + V + ζ (Strong Model Collapse).

Data model (docs/theory.md §2; Dohmatob, Feng, Subramonian, Kempe, "Strong Model Collapse", §3):
real P1: x ~ N(0, Σ), y = xᵀw₁ + N(0, σ₁²); synthetic P2 (label shift): same x law, y = xᵀw₂ + N(0, σ₂²).
n₁ = (1 − p₂)n real and n₂ = p₂n synthetic samples, pooled; ridge ŵ = (XᵀX + nλI)⁻¹Xᵀy.
Priors w₁ ~ N(0, Γ), δ = w₂ − w₁ ~ N(0, Δ), independent, Γ and Δ diagonal in Σ's eigenbasis.
Test error = excess risk on the real distribution, E‖ŵ − w₁‖²_Σ (``include_noise=True`` adds σ₁²: the
full test MSE). Quality c² = tr ΔΣ (smaller is better), signal r² = tr ΓΣ; from numbers only, the priors
are Γ = (r²/tr Σ)·I and Δ = (c²/tr Σ)·I.

With κ, u from :mod:`theory.ridge` at the *total* n, p₁ = 1 − p₂ and D_a = tr ΔΣ^a(Σ + κ)⁻²:

    B = (1 + u)·κ²·tr ΓΣ(Σ + κ)⁻²
    V = σ̄²·u,  σ̄² = p₁σ₁² + p₂σ₂²
    ζ = p₂²(1 + p₁u)·D₃ + p₂u·tr ΔΣ(p₁Σ + κ)²(Σ + κ)⁻²
      = p₂²(D₃ + uκ²D₁) + p₁p₂u·c²       (ridge toward the average teacher w₁ + p₂δ, plus extra
                                           label noise of variance p₁p₂c²)

Penalty convention: ``penalty="mean"`` (default) is the objective (1/n)‖Xw − y‖² + λ‖w‖²;
``penalty="sum"`` is ‖Xw − y‖² + λ‖w‖², i.e. λ/n in the default convention.
Simulator twin: :func:`montecarlo.ridge_mixture.simulate` (same keywords plus n_trials, seed).
Accuracy: deterministic equivalents, exact as n, d → ∞ at fixed ratios; finite-size deviations of the
expectation are O(1/d) relative away from the interpolation threshold and grow near n = d when λ → 0.
``finite_size="exact"`` (the default of ``collapse predict ridge``; the library default is ``"asymptotic"``):
the exact ridgeless finite-n laws where they are known, e.g. variance σ̄²d/(n − d − 1) (docs/theory.md §2.4).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.numerics import (
    UnrepresentableError,
    noise_and_prior_scales,
    refuse_unrepresentable,
    times_square,
    unit_total,
)
from model_collapse.theory import covariate_shift
from model_collapse.theory.ridge import isotropic_kappa, isotropic_u, kappa, spectral_sum, spectrum_arrays, u
from model_collapse.theory.ridge_priors import PENALTY, RidgeMixtureRisk, effective_lambda, resolve_priors
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    PROBABILITY,
    SCALE,
    InvalidParameterError,
    Options,
    validate,
)

__all__ = [
    "RidgeMixtureRisk",
    "RidgeMixtureFiniteSize",
    "exact_mask",
    "FINITE_SIZE",
    "exact_variance_factor",
    "exact_law_applies",
    "predict",
    "zeta",
    "isotropic_test_error",
    "ridgeless_isotropic_test_error",
    "collapse_floor",
    "optimal_floor",
    "crossover_n",
]

def _over_sq(power: int):
    def term(k, w):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(w > 0, w**power / (w + k) ** 2, 0.0)

    return term


def _spectral_sums(k, w, m, gam, dlt):
    """tr ΓΣ(Σ+κ)⁻² and D_a = tr ΔΣ^a(Σ+κ)⁻², a = 1, 2, 3, at each κ (1-D)."""
    tg = spectral_sum(k, w, m * gam, _over_sq(1))
    d1 = spectral_sum(k, w, m * dlt, _over_sq(1))
    d2 = spectral_sum(k, w, m * dlt, _over_sq(2))
    d3 = spectral_sum(k, w, m * dlt, _over_sq(3))
    return tg, d1, d2, d3


def _scaled_sums(k, w, m, gam, dlt):
    """κ²·tr ΓΣ(Σ+κ)⁻², κ²·D₁ and D₃ at each κ (1-D), with κ² and ω³ inside the ratios (κ/(ω+κ))² and
    (ω/(ω+κ))², so that neither κ = 1e200 nor ω = 1e-110 overflows or underflows before the sum."""
    tgk = spectral_sum(k, w, m * gam * w, _ratio_sq_kappa)
    d1k = spectral_sum(k, w, m * dlt * w, _ratio_sq_kappa)
    d3 = spectral_sum(k, w, m * dlt * w, _ratio_sq_omega)
    return tgk, d1k, d3


def _ratio_sq_kappa(k, w):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, (k / (w + k)) ** 2, 0.0)


def _ratio_sq_omega(k, w):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, (w / (w + k)) ** 2, 0.0)


def zeta(p2, kappa_, u_, d1, d3, c2):
    """ζ = p₂²(D₃ + uκ²D₁) + p₁p₂u·c² from the spectral sums D₁ = tr ΔΣ(Σ+κ)⁻², D₃ = tr ΔΣ³(Σ+κ)⁻².

    Inputs broadcast. Equals p₂²(1 + p₁u)D₃ + p₂u·tr ΔΣ(p₁Σ + κ)²(Σ+κ)⁻² (expand (p₁ω + κ)² and use
    D₃ + 2κD₂ + κ²D₁ = c²; checked symbolically in tests). Terms with p₂ = 0 are exactly 0 even if u = inf.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        k2d1 = np.where(np.asarray(kappa_) > 0, np.asarray(kappa_, dtype=float) ** 2 * d1, 0.0)
    return _zeta_scaled(p2, u_, k2d1, d3, c2)


def _zeta_scaled(p2, u_, k2d1, d3, c2):
    """ζ = p₂²(D₃ + u·κ²D₁) + p₁p₂u·c² given κ²D₁ directly (see :func:`zeta`)."""
    p2 = np.asarray(p2, dtype=float)
    p1 = 1.0 - p2
    with np.errstate(invalid="ignore", over="ignore"):
        first = np.where(p2 > 0, p2**2 * (d3 + np.where(k2d1 > 0, u_ * k2d1, 0.0)), 0.0)
        second = np.where((p1 > 0) & (p2 > 0) & (np.asarray(c2) > 0), p1 * p2 * u_ * c2, 0.0)
        return first + second


#: finite-size convention: the exact finite-sample law where one is known (ridgeless Gaussian designs), or the
#: deterministic equivalent everywhere.
FINITE_SIZE = Options(("exact", "asymptotic"))


@dataclass(frozen=True)
class RidgeMixtureFiniteSize(RidgeMixtureRisk):
    """The answer of :func:`predict` with ``finite_size="exact"``: a :class:`RidgeMixtureRisk` plus ``convention``,
    the law of each element, ``"exact"`` (every field the exact finite-sample law) or ``"asymptotic"`` (every field
    the deterministic equivalent); an array of them when the elements differ. The fields of one element never mix.

    In an exact element ``u`` is the exact variance factor E tr((XᵀX)⁺Σ) (variance = σ̄²u) and ``kappa`` the exact
    shrinkage of the ridgeless map, E[X⁺X] = Σ(Σ + κ)⁻¹: 0 for n ≥ d, (d/n − 1)·s for n < d with Σ = sI."""

    convention: object = "exact"


def exact_variance_factor(n, d: int):
    """E tr((XᵀX)⁺Σ) for the ridgeless fit on n Gaussian rows in dimension d (rows N(0, Σ), integer n):
    d/(n − d − 1) for n ≥ d + 2 (any Σ: X = ZΣ^{1/2}, inverse-Wishart mean), n/(d − n − 1) for n ≤ d − 2
    (Σ = sI only: tr (ZZᵀ)⁻¹ with ZZᵀ ~ Wishart_n(d)), inf for n ∈ {d − 1, d, d + 1}."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n >= d + 2, d / (n - d - 1), np.where(n <= d - 2, n / (d - n - 1), np.inf))


def exact_mask(n, p2, lam, w, m, c2_eff: float, second_spectrum: bool = False) -> np.ndarray:
    """Elementwise over the broadcast of (n, p2, lam): whether the setting has an exact finite-sample law in every
    field (then ``finite_size="exact"`` gives it there): λ = 0, integer n, n ≥ d or Σ = sI, and ζ exact (c² = 0,
    or p₂ ∈ {0, 1}: with 0 < p₂ < 1 and c² > 0 the ridgeless ζ has no known finite-n law); for the whole setting
    all eigenvalues > 0 and no covariate shift."""
    n, p2, lam = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(p2, dtype=float),
                                     np.asarray(lam, dtype=float))
    d = float(np.sum(m))
    iso = bool(np.all(w == w[0]))
    if second_spectrum or not np.all(w > 0):
        return np.zeros(n.shape, dtype=bool)
    return (lam == 0) & (n == np.round(n)) & (iso | (n >= d)) & ((c2_eff == 0) | (p2 == 0) | (p2 == 1))


def exact_law_applies(n, p2, lam, w, m, c2_eff: float, second_spectrum: bool = False) -> bool:
    """Whether every element has an exact law (:func:`exact_mask`)."""
    return bool(np.all(exact_mask(n, p2, lam, w, m, c2_eff, second_spectrum)))


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE, penalty=PENALTY,
          finite_size=FINITE_SIZE)
def predict(
    n,
    p2,
    lam,
    eigenvalues,
    *,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma=1.0,
    sigma2=None,
    gamma=None,
    delta=None,
    multiplicities=None,
    penalty: str = "mean",
    include_noise: bool = False,
    eigenvalues2=None,
    finite_size: str = "asymptotic",
) -> RidgeMixtureRisk:
    """Deterministic-equivalent test error B + V + ζ of ridge on n pooled samples, a fraction p₂ synthetic.

    Parameters
    ----------
    n, p2, lam : total sample size (> 0; real values allowed), synthetic fraction in [0, 1], ridge
        λ ≥ 0; arrays broadcast against each other (and against sigma, sigma2).
    eigenvalues : Σ's eigenvalues ω_i ≥ 0 (e.g. :func:`theory.spectrum.eigenvalues`).
    c2, r2 : quality tr ΔΣ and signal tr ΓΣ, used when ``delta`` / ``gamma`` are not given.
    sigma, sigma2 : label-noise std of real and synthetic data (sigma2 defaults to sigma).
    gamma, delta : diagonals Γ_ii, Δ_ii of the teacher and shift priors in Σ's eigenbasis.
    multiplicities : weights m_i of the eigenvalues (traces are Σ m_i f(ω_i)).
    penalty : "mean" (λ with the (1/n)-scaled loss, default) or "sum" (λ next to the summed loss).
    include_noise : add σ₁² to the total (full test MSE instead of excess risk).
    eigenvalues2 : covariate shift: the synthetic rows' covariance Σ₂ (eigenvalues in Σ₁'s eigenbasis, same
        length and multiplicities). None (default) or equal to ``eigenvalues``: Σ₂ = Σ₁, the formulas below.
        Otherwise delegates to :func:`model_collapse.theory.covariate_shift.predict` (two-population fixed
        point; kappa is then μ and u = y₁ + y₂, see that module; docs/covariate_shift.md).
    finite_size : ``"asymptotic"`` (the library default: this function is the deterministic-equivalent building
        block of the rp, mixing, synthetic-budget and covariate-shift answers, which must not mix conventions):
        the deterministic equivalent everywhere. ``"exact"`` (the default of ``collapse predict ridge``): where
        :func:`exact_law_applies` (λ = 0 Gaussian design, n ≥ d or Σ = sI, ζ exact), every field is the exact
        finite-sample law (the result is a :class:`RidgeMixtureFiniteSize`, whose ``convention`` names the law
        of each element): variance = σ̄²·:func:`exact_variance_factor`
        (σ̄²d/(n − d − 1) for n ≥ d + 2, any Σ; σ̄²n/(d − n − 1) for n ≤ d − 2, Σ = sI; inf at n = d ± 1),
        bias = r²(1 − min(n, d)/d), ζ = p₂·(min(n, d)/d)·c² (p₂ ∈ {0, 1}) — the last two equal the deterministic
        equivalent at λ = 0 exactly, so only variance, u and total change. Elsewhere the deterministic
        equivalent (``convention`` "asymptotic").

    Formula (module docstring): B = (1+u)κ²tr ΓΣ(Σ+κ)⁻², V = σ̄²u, ζ = p₂²(D₃ + uκ²D₁) + p₁p₂u·c².
    Ridgeless at the interpolation threshold (λ = 0, n = d_eff) u = inf, so variance and total are inf
    (zeta too when 0 < p₂ < 1 and c² > 0). Source: SMC §3, docs/theory.md §2.
    """
    w, m = spectrum_arrays(eigenvalues, multiplicities, "predict")
    if eigenvalues2 is not None:
        w2 = covariate_shift.second_spectrum(eigenvalues2, w, "predict")
        if not np.array_equal(w2, w):
            return covariate_shift.predict(n, p2, lam, w, eigenvalues2=w2, c2=c2, r2=r2, sigma=sigma, sigma2=sigma2,
                                           gamma=gamma, delta=delta, multiplicities=multiplicities, penalty=penalty,
                                           include_noise=include_noise)
    gam, dlt = resolve_priors(w, m, r2, c2, gamma, delta, "predict")
    sig1 = np.asarray(sigma, dtype=float)
    sig2 = sig1 if sigma2 is None else np.asarray(sigma2, dtype=float)
    lam_eff = effective_lambda(lam, n, penalty)
    # kappa, u and every spectral sum depend on (lam, n) only: compute them on that broadcast, then
    # combine with p2 and the noise levels (a 100 x 100 (n, p2) grid costs 100 kappa solves).
    lam_b, n_b = np.broadcast_arrays(lam_eff, np.asarray(n, dtype=float))
    k = kappa(lam_b, w, n_b, m)
    uu = u(k, w, n_b, m)
    # Scaled units: κ² and ω³ sit inside bounded ratios, σ² is formed as (σ·√(p·u))² (numerics.times_square),
    # so λ up to 1e308 and σ up to the float64 range give the right numbers instead of NaN, 0 or inf.
    tgk, d1k, d3 = (s.reshape(k.shape) for s in _scaled_sums(k.ravel(), w, m, gam, dlt))
    c2_eff = float(np.sum(m * dlt * w))
    p2 = np.asarray(p2, dtype=float)
    p1 = 1.0 - p2
    with np.errstate(invalid="ignore", over="ignore"):
        bias = np.where(tgk > 0, (1.0 + uu) * tgk, 0.0)
        v1 = np.where(p1 > 0, p1 * uu, 0.0)  # variance per unit σ₁², σ₂²
        v2 = np.where(p2 > 0, p2 * uu, 0.0)
        variance = times_square(sig1, v1) + times_square(sig2, v2)
        z = _zeta_scaled(p2, uu, d1k, d3, c2_eff)
        total = bias + variance + z
        if include_noise:
            total = total + times_square(sig1, 1.0)
    if np.any(~np.isfinite(total) & np.isfinite(uu)):  # finite in exact arithmetic, beyond float64 here
        setting = dict(n=n, p2=p2, lam=lam, eigenvalues=eigenvalues, multiplicities=multiplicities, penalty=penalty,
                       include_noise=include_noise, gamma=gamma, delta=delta, r2=r2, c2=c2)
        refuse_unrepresentable("predict", lambda name: unit_total(predict, setting, name, sigma2 is not None),
                               noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta),
                               fallback="sigma" if gamma is None else "gamma")
    shape = np.broadcast_shapes(bias.shape, variance.shape, z.shape)
    bc = lambda a: np.broadcast_to(a, shape).copy()  # noqa: E731
    if finite_size == "exact":
        mask = np.broadcast_to(exact_mask(n, p2, lam, w, m, c2_eff), shape)
        if not np.any(mask):
            if np.any(np.isinf(uu)):
                warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, n = d): u, the variance and "
                              "the total are infinite", RuntimeWarning, stacklevel=2)
            return RidgeMixtureFiniteSize(bc(bias), bc(variance), bc(z), bc(total), bc(k), bc(uu),
                                          convention="asymptotic")
        # bias r²(1 − min(n,d)/d) and ζ = p₂(min(n,d)/d)c² are the λ = 0 deterministic equivalent exactly (κ = 0
        # for n > d; κ = d/n − 1 = the exact shrinkage E[X⁺X] = (n/d)I on Σ = I); the variance factor is not
        v = np.where(mask, exact_variance_factor(bc(n_b), float(np.sum(m))), bc(uu))
        with np.errstate(invalid="ignore", over="ignore"):
            variance = (times_square(sig1, np.where(p1 > 0, p1 * v, 0.0))
                        + times_square(sig2, np.where(p2 > 0, p2 * v, 0.0)))
            total = bias + variance + z
            if include_noise:
                total = total + times_square(sig1, 1.0)
        if np.any(np.isinf(v)):
            warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, n in {d - 1, d, d + 1} for the "
                          "exact law, n = d for the asymptotic one): the variance and the total are infinite",
                          RuntimeWarning, stacklevel=2)
        conv = "exact" if np.all(mask) else np.where(mask, "exact", "asymptotic")
        return RidgeMixtureFiniteSize(bc(bias), bc(variance), bc(z), bc(total), bc(k), bc(v), convention=conv)
    if np.any(np.isinf(uu)):
        warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, n = d): u, the variance and the "
                      "total are infinite", RuntimeWarning, stacklevel=2)
    return RidgeMixtureRisk(bc(bias), bc(variance), bc(z), bc(total), bc(k), bc(uu))


@validate(phi=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, r2=SCALE, c2=SCALE, sigma=SCALE, sigma2=SCALE)
def isotropic_test_error(phi, p2, lam, *, c2=1.0, r2=1.0, sigma=1.0, sigma2=None) -> RidgeMixtureRisk:
    """Closed form for Σ = I, Γ = (r²/d)I, Δ = (c²/d)I, φ = d/n (docs/theory.md §2, isotropic):

        κ = [λ + φ − 1 + √((λ + φ − 1)² + 4λ)]/2,  u = φ/((1+κ)² − φ)
        B = r²κ²/((1+κ)² − φ),  V = σ̄²φ/((1+κ)² − φ)
        ζ = c²[p₂²(1 + p₁u) + p₂u(p₁ + κ)²]/(1+κ)²

    Penalty convention "mean" (see :func:`predict`); the general code on Σ = I equals this. The scales σ, σ₂,
    r², c² are limited to [0, 1e150] (σ² is formed directly; the general :func:`predict` works in scaled units).
    """
    sig1 = np.asarray(sigma, dtype=float)
    sig2 = sig1 if sigma2 is None else np.asarray(sigma2, dtype=float)
    k = isotropic_kappa(lam, phi)
    uu = isotropic_u(k, phi)
    p2 = np.asarray(p2, dtype=float)
    p1 = 1.0 - p2
    den = (1.0 + k) ** 2 - np.asarray(phi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = np.where(k > 0, r2 * k**2 / den, 0.0)
        sbar2 = p1 * sig1**2 + p2 * sig2**2
        variance = np.where(sbar2 > 0, sbar2 * uu, 0.0)
        z = np.where(
            (p2 > 0) & (np.asarray(c2) > 0),
            c2 * (p2**2 * (1 + np.where(p1 > 0, p1 * uu, 0.0)) + np.where(p2 > 0, p2 * uu * (p1 + k) ** 2, 0.0))
            / (1 + k) ** 2,
            0.0,
        )
        z = np.where(np.isnan(z), np.inf, z)
    total = bias + variance + z
    shape = np.broadcast_shapes(bias.shape, variance.shape, z.shape)
    bc = lambda a: np.broadcast_to(a, shape).copy()  # noqa: E731
    return RidgeMixtureRisk(bc(bias), bc(variance), bc(z), bc(total), bc(k), bc(uu))


@validate(phi=POSITIVE, p2=PROBABILITY, r2=SCALE, c2=SCALE, sigma=SCALE, sigma2=SCALE)
def ridgeless_isotropic_test_error(phi, p2, *, c2=1.0, r2=1.0, sigma=1.0, sigma2=None) -> np.ndarray:
    """Ridgeless (λ → 0) isotropic total test error (docs/theory.md §2), σ̄² = p₁σ₁² + p₂σ₂²:

        φ < 1:  (σ̄² + p₁p₂c²)·φ/(1 − φ) + p₂²c²
        φ > 1:  r²(1 − 1/φ) + σ̄²/(φ − 1) + c²p₂(φ − p₂)/(φ(φ − 1))
        φ = 1:  inf (the interpolation threshold)
    """
    phi = np.asarray(phi, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    p1 = 1.0 - p2
    s1 = np.asarray(sigma, dtype=float) ** 2
    s2 = s1 if sigma2 is None else np.asarray(sigma2, dtype=float) ** 2
    sbar2 = p1 * s1 + p2 * s2
    with np.errstate(divide="ignore", invalid="ignore"):
        under = (sbar2 + p1 * p2 * c2) * phi / (1 - phi) + p2**2 * c2
        over = r2 * (1 - 1 / phi) + sbar2 / (phi - 1) + c2 * p2 * (phi - p2) / (phi * (phi - 1))
    return np.where(phi < 1, under, np.where(phi > 1, over, np.inf))


@validate(lam=NONNEGATIVE, p2=PROBABILITY)
def collapse_floor(lam, p2, eigenvalues, *, c2=1.0, r2=1.0, gamma=None, delta=None, multiplicities=None):
    """The n → ∞ limit of the test error at fixed d (κ → λ, u → 0), docs/theory.md §2 "strong collapse":

        E_∞(λ) = λ²·tr ΓΣ(Σ + λ)⁻² + p₂²·tr ΔΣ³(Σ + λ)⁻²

    Ridgeless (λ = 0): p₂²c² > 0 for every p₂ > 0: more data does not remove the collapse term.
    """
    w, m = spectrum_arrays(eigenvalues, multiplicities, "collapse_floor")
    gam, dlt = resolve_priors(w, m, r2, c2, gamma, delta, "collapse_floor")
    lam_a = np.asarray(lam, dtype=float)
    flat = lam_a.ravel()
    # λ² and ω³ inside the bounded ratios (λ/(ω+λ))², (ω/(ω+λ))² (λ = 1e200 gave NaN)
    clean, _d1k, d3 = (x.reshape(lam_a.shape) for x in _scaled_sums(flat, w, m, gam, dlt))
    with np.errstate(over="ignore"):
        out = clean + np.asarray(p2, dtype=float) ** 2 * d3
    if not np.all(np.isfinite(out)):
        raise UnrepresentableError("The 'r2' and 'c2' parameters of collapse_floor give a floor beyond the float64 "
                                   "range (1.8e308); scale them down.")
    return out


@dataclass(frozen=True)
class OptimalFloor:
    """The λ minimising the n → ∞ floor, and the floor there (what tuning λ can achieve)."""

    lam: float
    floor: float


@validate(p2=PROBABILITY)
def optimal_floor(p2, eigenvalues, *, c2=1.0, r2=1.0, gamma=None, delta=None, multiplicities=None) -> OptimalFloor:
    """min over λ ≥ 0 of :func:`collapse_floor` (docs/theory.md §2).

    Isotropic closed form (Σ = I): λ* = p₂²c²/r², floor p₂²c²r²/(r² + p₂²c²) > 0: tuning cannot remove
    collapse. For other spectra the minimum is found numerically (bounded search in log λ, compared
    with λ = 0).
    """
    if not isinstance(p2, Real):
        raise InvalidParameterError.of("p2", "optimal_floor", "must be a float in the range [0, 1].")
    w, m = spectrum_arrays(eigenvalues, multiplicities, "optimal_floor")
    gam, dlt = resolve_priors(w, m, r2, c2, gamma, delta, "optimal_floor")
    pos = w[w > 0]
    if pos.size and np.allclose(pos, pos[0]) and np.allclose(gam[w > 0], gam[w > 0][0]) and np.allclose(
        dlt[w > 0], dlt[w > 0][0]
    ):
        s = pos[0]
        a = float(np.sum((m * gam * w)[w > 0]))  # r²
        b = p2**2 * float(np.sum((m * dlt * w)[w > 0]))  # p₂²c²
        if a == 0:
            return OptimalFloor(lam=float("inf"), floor=0.0)
        lam_star = s * b / a
        return OptimalFloor(lam=float(lam_star), floor=float(a * b / (a + b)) if a + b > 0 else 0.0)

    def f(loglam):
        return float(collapse_floor(np.exp(loglam), p2, w, gamma=gam, delta=dlt, multiplicities=m))

    lo, hi = np.log(max(w.max(), 1e-300)) - 60, np.log(max(w.max(), 1e-300)) + 20
    grid = np.linspace(lo, hi, 161)
    vals = np.array([f(g) for g in grid])
    i = int(np.argmin(vals))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    from scipy import optimize  # lazy: scipy.optimize costs ~0.2 s to import, and predict never needs it

    res = optimize.minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": 1e-10})
    best_lam, best = float(np.exp(res.x)), float(res.fun)
    f0 = float(collapse_floor(0.0, p2, w, gamma=gam, delta=dlt, multiplicities=m))
    if f0 <= best:
        return OptimalFloor(lam=0.0, floor=f0)
    return OptimalFloor(lam=best_lam, floor=best)


@validate(d=POSITIVE, p2=PROBABILITY, c2=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE)
def crossover_n(d, p2, *, c2=1.0, sigma=1.0, sigma2=None):
    """n* ≈ σ̄²d/(p₂²c²): where the clean error (≈ σ̄²d/n, ridgeless, n ≫ d) meets the p₂²c² floor.

    docs/theory.md §2 [derived]. An order-of-magnitude location, not an exact root: at n*, the ridgeless
    isotropic clean part is σ̄²d/(n* − d), i.e. n*/(n* − d) times the floor. inf when p₂ = 0 or c² = 0
    (no floor). p₂ = 1e-3 puts n* a million times further out than p₂ = 1.
    """
    p2 = np.asarray(p2, dtype=float)
    sig2 = sigma if sigma2 is None else sigma2
    floor = p2**2 * c2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        unit = np.where(floor > 0, d / np.where(floor > 0, floor, 1.0), np.inf)  # n* per unit σ̄²
        out = np.where(floor > 0, times_square(sigma, (1 - p2) * unit) + times_square(sig2, p2 * unit), np.inf)
    if np.any(~np.isfinite(out) & (floor > 0)):
        refuse_unrepresentable("crossover_n", lambda name: float(np.max(
            crossover_n(d, p2, c2=c2, sigma=float(name == "sigma"),
                        sigma2=None if sigma2 is None else float(name == "sigma2")))),
            [("sigma", sigma, 2), ("sigma2", sigma2, 2)], quantity="crossover n*")
    return out
