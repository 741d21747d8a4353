"""Iterative retraining on a model's own labels, and its scaling laws (Model Collapse Demystified).

Model (docs/theory.md §4; Dohmatob, Feng, Kempe, "Model Collapse Demystified: The Case of Regression"):

- ŵ₀ = w₀. For k = 1..n (n = ``generations``, the number of synthetic generations): a fresh design
  X̄_k ∈ R^{T₀×d} (T₀ = ``generator_samples``) with rows N(0, Σ), labels ȳ_k = X̄_k ŵ_{k−1} + N(0, σ₀²),
  and ŵ_k = X̄_k⁺ȳ_k (OLS when T₀ ≥ d, the minimum-norm interpolator when T₀ < d).
- Downstream: a fresh X ∈ R^{T×d} (T = ``samples``), y = Xŵ_n + N(0, σ²), ridge
  ŵ = (XᵀX + TλI)⁻¹Xᵀy (the project's penalty convention: (1/T)‖Xw − y‖² + λ‖w‖²; λ = 0 is the
  minimum-norm least-squares fit).
- Test error E‖ŵ − w₀‖²_Σ (excess risk). n = 0 is ordinary learning from real data.

What is printed: ``total`` = E‖ŵ − w₀‖²_Σ, the error of the downstream model, which includes the
downstream fit's own clean error E₀ = ``bias`` + ``variance``. ``collapse`` = total − E₀, the excess
caused by the n synthetic generations. The reading used by later papers, E_test = σ²d·n/(T − d − 1)
(T₀ = T, σ₀ = σ, OLS), counts only the synthetic injections: it is this module's ``collapse``.

Teacher: only the squared coordinates c_j² = (v_jᵀw₀)² in Σ's eigenbasis matter (the design law is
invariant under sign flips of the eigen-coordinates, so a fixed w₀ and a prior with these variances give
the same expected error). :func:`teacher_coefficients` builds them: isotropic c_j² = r²/tr Σ, or the
source condition ω_j c_j² ∝ j^−(1+2βr) normalised to ‖w₀‖²_Σ = Σ ω_j c_j² = r².

Formulas (κ, u from :mod:`model_collapse.theory.ridge` at the downstream T):

- Generator OLS (T₀ ≥ d + 2), any Σ: ŵ_n − w₀ = Σ_k σ₀X̄_k⁺ε_k has covariance nσ₀²Σ⁻¹/(T₀ − d − 1)
  exactly (inverse-Wishart mean), independent of the downstream design, so
      bias = (1 + u)κ²·Σ_j c_j²ω_j/(ω_j + κ)²,   variance = σ²u,
      collapse = n·σ₀²·ρ,  ρ = [df₂(κ) + u·κ²·tr(Σ + κ)⁻²]/(T₀ − d − 1),
  the bracket being the deterministic equivalent of E tr(Σ·RG·Σ⁻¹·GR), R = (G + Tλ)⁻¹, G = XᵀX.
  T₀ ∈ {d, d + 1} with nσ₀² > 0: collapse = inf (the inverse-Wishart mean diverges), with a warning.
- Generator over-parameterised (T₀ < d), Σ = sI only: q = T₀/d, a = κ/(s + κ), b = (s² + uκ²)/(s + κ)²,
      total = r²[1 − 2(1 − a)qⁿ + b·qⁿ] + b·σ₀²·T₀/(d − T₀ − 1)·(1 − qⁿ)/(1 − q) + σ²u.
  Noise-free (σ₀ = 0) with an OLS downstream (b = 1, a = 0): r²(1 − (T₀/d)ⁿ), exponential collapse to
  the null predictor. Other spectra with T₀ < d: a deterministic equivalent (derived here, not in the paper):
  each generator is the row-space projector Q with E[Q] ≈ Σ(Σ+κ₀)⁻¹ (df₁(κ₀) = T₀) and, on diagonal
  matrices, E[QMQ] ≈ diag(K m), K = diag(e²) + g hᵀ (the generalised ridge bias at T₀); see
  :func:`_overparameterised_general`. It reduces to the isotropic law with d − T₀ for d − T₀ − 1.
- Exact finite-sample OLS law (:func:`ols_exact`, λ = 0, T, T₀ ≥ d + 2, Gaussian design):
      E_test = σ²d/(T − d − 1) + n·σ₀²d/(T₀ − d − 1).
- Finite-size convention of :func:`predict` (``finite_size``): ``"exact"`` (default) gives, wherever an exact
  law is known (:func:`exact_law_applies`: λ = 0, integer T, T ≥ d or Σ = sI, T₀ ≥ d or Σ = sI), the exact
  finite-sample law in every field: bias = r²(1 − min(T,d)/d), variance = σ²d/(T − d − 1) (T ≥ d + 2) or
  σ²T/(d − T − 1) (T ≤ d − 2, Σ = sI), collapse = (min(T,d)/d)·G_n with G_n = :func:`generator_error`, so
  total = :func:`ols_exact` in the OLS case; elsewhere (λ > 0, or T < d / T₀ < d with a non-isotropic Σ)
  the deterministic equivalent. ``"asymptotic"``: the deterministic equivalent everywhere (its ridgeless
  downstream variance is σ²d/(T − d), 1/(T − d − 1) → 1/(T − d)). The result's ``convention`` names the one
  used: one answer never mixes the two.

Scaling laws (:func:`scaling_law`), power-law spectrum ω_j = j^−β (β > 1), source exponent r, λ = T^−ℓ,
r̃ = min(r, 1), in the regime T ≪ d < T₀ = d/φ₀ (downstream over-parameterised, φ₀ < 1 fixed):
bias ≍ T^−2ℓr̃, variance ≍ σ²T^−(1−ℓ/β), collapse ≍ nσ₀²·φ₀/(1 − φ₀)·T^−(1−ℓ/β) (carried by the
u·κ²·tr(Σ+κ)⁻² term of ρ). ℓ_crit = β/(1 + 2βr̃) balances them: the slow rate T^−2βr̃/(2βr̃+1).
Ridgeless (κ = κ₀ with df₁(κ₀) = T, u → β − 1): bias ≍ T^−2βr̃ (the fast rate of noiseless clean data)
but collapse → the floor nσ₀²(β − 1)φ₀/(1 − φ₀): the error stops falling at the crossover T*.

Simulator twin: :func:`model_collapse.montecarlo.iterative_retraining.simulate` (same keywords).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.theory.retrain_scaling import (  # re-exported: the scaling laws' closed forms
    PowerLawConstants,
    ScalingLaw,
    power_law_constants,
    scaling_law,
    term_exponents,
)
from model_collapse.theory.ridge import kappa, spectral_sum, u
from model_collapse.theory.spectrum import eigenvalues as spectrum_eigenvalues
from model_collapse.theory.spectrum import parse_spectrum
from model_collapse.validation import (
    EXPONENT,
    NONNEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    SCALE,
    Interval,
    InvalidParameterError,
    Options,
    renamed,
    validate,
)
from scipy import optimize

__all__ = [
    "RetrainPrediction",
    "predict",
    "teacher_coefficients",
    "spectrum_values",
    "ols_exact",
    "generator_error",
    "best_lambda",
    "BestLambda",
    "ScalingLaw",
    "scaling_law",
    "crossover_samples",
    "term_exponents",
    "PowerLawConstants",
    "power_law_constants",
    "exact_law_applies",
    "FINITE_SIZE",
    "FIELDS",
]

FIELDS = ("bias", "variance", "collapse", "total")
#: finite-size convention of :func:`predict`: the exact finite-sample law where one is known, or the
#: deterministic equivalent (asymptotic) everywhere.
FINITE_SIZE = Options(("exact", "asymptotic"))


@dataclass(frozen=True)
class RetrainPrediction:
    """E‖ŵ − w₀‖²_Σ = bias + variance + collapse (= total); arrays of the broadcast input shape.

    bias, variance: the clean downstream error E₀ (n = 0); collapse = total − E₀, the excess due to the n
    synthetic generations (the "injections only" reading of the literature). ``convention``: which law every
    field of this answer follows, ``"exact"`` (the finite-sample law) or ``"asymptotic"`` (the deterministic
    equivalent); one answer never mixes them.
    """

    bias: np.ndarray
    variance: np.ndarray
    collapse: np.ndarray
    total: np.ndarray
    convention: str = "asymptotic"

    def as_dict(self) -> dict:
        return {k: _plain(getattr(self, k)) for k in FIELDS}


def _plain(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x.tolist()


def spectrum_values(spectrum, d: int) -> np.ndarray:
    """ω_j: a named spectrum (``"isotropic"``, ``"powerlaw:β"``) in dimension d, or given eigenvalues (a 1-D
    array of d finite values >= 1e-150, e.g. an empirical spectrum from :mod:`model_collapse.data_spectra`)."""
    if isinstance(spectrum, str):
        return spectrum_eigenvalues(spectrum, d)
    w = np.asarray(spectrum, dtype=float)
    if w.ndim != 1 or w.size != int(d) or not np.all(np.isfinite(w)) or np.any(w < 1e-150):
        raise InvalidParameterError.of(
            "spectrum", None, f"must be 'isotropic', 'powerlaw:BETA' or a 1-D array of d = {int(d)} finite "
            f"eigenvalues >= 1e-150. Got an array of shape {w.shape} (min {np.min(w) if w.size else 'n/a'}) instead.")
    return w


@renamed(teacher="gamma")
@validate(d=POSITIVE_INT, r2=SCALE, source_r=EXPONENT)
def teacher_coefficients(spectrum, d: int, r2: float = 1.0, source_r: float | None = None, gamma=None):
    """Eigenvalues ω_j and the teacher's squared eigen-coordinates c_j² = (v_jᵀw₀)², j = 1..d.

    ``source_r=None``: c_j² = r²/tr Σ (isotropic teacher). Otherwise the source condition
    ω_j c_j² = r²·j^−(1+2βr)/Σ_i i^−(1+2βr) (β = the spectrum's exponent, 0 for isotropic), i.e. the paper's
    ‖Σ^{1/2−r}w₀‖ borderline finite. A reader who writes the source as (v_jᵀw₀)² ∝ j^−(1+2βs) has r = s + 1/2.
    Always ‖w₀‖²_Σ = Σ ω_j c_j² = r². ``spectrum`` may also be an array of eigenvalues (:func:`spectrum_values`);
    ``gamma`` (d values >= 0, e.g. a data teacher's Γ diagonal; formerly ``teacher``) gives c_j² directly and
    replaces r2 and source_r. Returns ``(omega, c2)``.
    """
    if 0 < r2 < 1e-150:
        raise InvalidParameterError.of("r2", None, "must be 0 or in the range [1e-150, 1e150] (a smaller energy "
                                    f"is a subnormal float whose squares vanish). Got {r2!r} instead.")
    if not isinstance(spectrum, str):
        w = spectrum_values(spectrum, d)
        beta = None
    else:
        kind, beta = parse_spectrum(spectrum)
        w = spectrum_eigenvalues(spectrum, d)
        if np.min(w) < 1e-150:  # the chain's Gram matrices would be singular in floating point
            last = float(1e-150 ** (-1.0 / beta)) if beta > 0 else float("inf")
            raise InvalidParameterError.of(
                "spectrum", None, f"must keep every eigenvalue j^-beta above 1e-150 for j <= d = {d} (beta <= "
                f"{150 / np.log10(d):.4g} here, or d < {last:.4g}). Got {spectrum!r} instead.")
    if gamma is not None:
        c2 = np.asarray(gamma, dtype=float)
        if source_r is not None:
            raise InvalidParameterError.of("source_r", None, "must be None when 'gamma' is given.")
        if c2.shape != w.shape or not np.all(np.isfinite(c2)) or np.any(c2 < 0):
            raise InvalidParameterError.of("gamma", None, f"must be {w.size} finite values >= 0 (c_j² on the "
                                        f"spectrum's eigenbasis). Got shape {c2.shape} instead.")
        return w, c2.copy()
    if source_r is None:
        return w, np.full(w.shape, r2 / float(w.sum()))
    if beta is None:
        raise InvalidParameterError.of("source_r", None, "needs a named spectrum (powerlaw:BETA or isotropic), "
                                    "not an array of eigenvalues; pass 'gamma' instead.")
    j = np.arange(1, int(d) + 1, dtype=float)
    energy = j ** (-(1.0 + 2.0 * beta * source_r))
    energy *= r2 / energy.sum()
    return w, energy / w


def _sums(k: np.ndarray, w: np.ndarray, c2: np.ndarray):
    """Σ c_j²ω_j/(ω_j+κ)², df₂(κ) and Σ κ²/(ω_j+κ)² at each κ (any shape)."""
    flat = k.ravel()

    def w_over(kk, ww):
        return ww / (ww + kk) ** 2

    def sq(kk, ww):
        return (ww / (ww + kk)) ** 2

    def k_over(kk, ww):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(kk > 0, (kk / (ww + kk)) ** 2, 0.0)

    tg = spectral_sum(flat, w, c2, w_over).reshape(k.shape)
    d2 = spectral_sum(flat, w, np.ones_like(w), sq).reshape(k.shape)
    kk2 = spectral_sum(flat, w, np.ones_like(w), k_over).reshape(k.shape)
    return tg, d2, kk2


def exact_mask(samples, generator_samples: int, d: int, lam, omega) -> np.ndarray:
    """Elementwise (over the broadcast of ``lam`` and ``samples``): whether :func:`predict` has an exact
    finite-sample law there (then every field of that element is exact with ``finite_size="exact"``): λ = 0,
    integer T, and T ≥ d (the downstream fit is OLS, any Σ) or Σ = sI; and (for the whole setting) T₀ ≥ d (OLS
    generators, any Σ) or Σ = sI."""
    lam, t = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(samples, dtype=float))
    w = np.asarray(omega, dtype=float)
    iso = bool(np.all(w == w[0]))
    if not (iso or int(generator_samples) >= d):
        return np.zeros(t.shape, dtype=bool)
    return (lam == 0) & (t == np.round(t)) & (iso | (t >= d))


def exact_law_applies(samples, generator_samples: int, d: int, lam, omega) -> bool:
    """Whether every element of the setting has an exact law (:func:`exact_mask`)."""
    return bool(np.all(exact_mask(samples, generator_samples, d, lam, omega)))


def _exact_finite_size(n_gen, t, t0: int, d: int, w, c2, sig2, s02):
    """The exact finite-sample (bias, variance, collapse) at λ = 0 (:func:`exact_law_applies` holds).

    The downstream minimum-norm fit ŵ = X⁺y projects onto the row space of X (P = I for T ≥ d; for T < d and
    Σ = sI a uniformly random rank-T projection, E[P] = (T/d)I, E‖Pv‖² = (T/d)‖v‖² for v independent of X):
        bias = r²(1 − min(T, d)/d),   variance = σ²·d/(T − d − 1) (T ≥ d + 2) or σ²·T/(d − T − 1) (T ≤ d − 2),
        collapse = (min(T, d)/d)·G_n,  G_n = E‖ŵ_n − w₀‖²_Σ (:func:`generator_error`: nσ₀²d/(T₀ − d − 1) for
        T₀ ≥ d + 2, r²(1 − qⁿ) + σ₀²T₀/(d − T₀ − 1)·(1 − qⁿ)/(1 − q) for T₀ ≤ d − 2, Σ = sI),
    r² = ‖w₀‖²_Σ; T ∈ {d − 1, d, d + 1} with σ > 0: variance = inf (the inverse-Wishart mean diverges).
    """
    n = np.asarray(n_gen, dtype=float)
    r_eff = float(np.sum(c2 * w))
    injected = n * s02
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if t0 >= d:
            dd = t0 - d - 1
            gen = np.where(injected > 0, injected * (d / dd if dd > 0 else np.inf), 0.0)
        else:
            q = t0 / d
            qn = q**n
            dd = d - t0 - 1
            noise = np.where(injected > 0, s02 * (t0 / dd if dd > 0 else np.inf) * (1.0 - qn) / (1.0 - q), 0.0)
            gen = r_eff * (1.0 - qn) + noise
        frac = np.minimum(t, d) / d
        v = np.where(t >= d + 2, d / (t - d - 1), np.where(t <= d - 2, t / (d - t - 1), np.inf))
        variance = np.where(sig2 > 0, sig2 * v, 0.0)
        bias = r_eff * (1.0 - frac)
        collapse = np.where(n > 0, frac * gen, 0.0)
    if np.any(np.isinf(variance)):
        warnings.warn("ridgeless downstream fit at the interpolation threshold (lam = 0, T in {d - 1, d, d + 1}): "
                      "the exact variance σ²·E tr(XᵀX)⁺Σ is infinite (inverse-Wishart mean)", RuntimeWarning,
                      stacklevel=3)
    return bias, variance, collapse


@renamed(teacher="gamma")
@validate(generations=NONNEGATIVE_INT, samples=POSITIVE, generator_samples=POSITIVE_INT, d=POSITIVE_INT,
          sigma=SCALE, sigma0=SCALE, lam=SCALE, r2=SCALE, source_r=EXPONENT, finite_size=FINITE_SIZE)
def predict(
    generations,
    samples,
    generator_samples: int,
    d: int,
    *,
    sigma=1.0,
    sigma0=1.0,
    lam=0.0,
    spectrum="isotropic",
    r2: float = 1.0,
    source_r: float | None = None,
    gamma=None,
    finite_size: str = "exact",
) -> RetrainPrediction:
    """Test error of ridge trained on the n-th generation's labels: bias, variance, collapse, total.

    Parameters
    ----------
    generations : n ≥ 0 synthetic generations (0 = real labels). Array allowed.
    samples : downstream sample size T (> 0; real values allowed for the deterministic equivalent). Array.
    generator_samples : T₀, rows per generation (scalar). d : dimension (scalar).
    sigma, sigma0 : label-noise std of the downstream data and of every generation. Arrays broadcast.
    lam : ridge λ ≥ 0 with the (1/T)-scaled loss (a user of ‖Xw − y‖² + λ'‖w‖² passes λ'/T). Array.
    spectrum : ``"isotropic"`` or ``"powerlaw:β"`` (ω_j = j^−β), or an array of d eigenvalues (an empirical
        spectrum, docs/real_data.md). r2, source_r, gamma : see :func:`teacher_coefficients`.
    finite_size : ``"exact"`` (default): at every element where :func:`exact_mask` holds (λ = 0, integer T;
        T ≥ d or Σ = sI; T₀ ≥ d or Σ = sI) every field is the exact finite-sample law of
        :func:`_exact_finite_size` (e.g. variance σ²d/(T − d − 1), total = :func:`ols_exact`), elsewhere the
        deterministic equivalent below. ``"asymptotic"``: the deterministic equivalent everywhere (variance
        σ²u = σ²d/(T − d) ridgeless, T > d). The result's ``convention`` names the law of each element
        ("exact" or "asymptotic"; an array of them when the elements differ): the fields of one element (one
        answer) never mix them.

    Formulas (module docstring; docs/theory.md §4): T₀ ≥ d + 2 (any Σ)
    bias = (1+u)κ²Σc_j²ω_j/(ω_j+κ)², variance = σ²u, collapse = nσ₀²[df₂(κ) + uκ²tr(Σ+κ)⁻²]/(T₀−d−1);
    T₀ < d, Σ = sI: the projection law r²[1 − 2(1−a)qⁿ + bqⁿ] + bσ₀²T₀/(d−T₀−1)(1−qⁿ)/(1−q) + σ²u;
    T₀ < d, other Σ: the deterministic equivalent of :func:`_overparameterised_general` (finite-size error
    O(1/|T₀ − d|) on top of the downstream one).

    Singular settings return inf with a ``RuntimeWarning``: T₀ ∈ {d−1, d, d+1} with nσ₀² > 0 (an inverse
    Wishart mean diverges), and the ridgeless interpolation threshold λ = 0, T = d (u = inf).
    Deterministic equivalent: exact as T, d → ∞; finite-size deviations O(1/|T − d| + 1/d) relative (measured
    in tests/test_iterative_retraining.py). Paper: MCD Theorems on the ridge downstream and Section 5.
    """
    w, c2 = teacher_coefficients(spectrum, d, r2, source_r, gamma)
    d = int(d)
    t0 = int(generator_samples)
    mask = exact_mask(samples, t0, d, lam, w) if finite_size == "exact" else np.zeros(np.shape(samples), bool)
    asym = None if np.all(mask) else _asymptotic(generations, samples, t0, d, sigma, sigma0, lam, w, c2)
    if not np.any(mask):
        return asym
    n_gen = np.asarray(generations, dtype=float)
    t_b = np.asarray(samples, dtype=float)
    sig2 = np.asarray(sigma, dtype=float) ** 2
    s02 = np.asarray(sigma0, dtype=float) ** 2
    shape = np.broadcast_shapes(n_gen.shape, t_b.shape, sig2.shape, s02.shape, mask.shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        bias, variance, collapse = _exact_finite_size(n_gen, t_b, t0, d, w, c2, sig2, s02)
    m = np.broadcast_to(mask, shape)
    bc = lambda x: np.broadcast_to(x, shape).copy()  # noqa: E731
    if caught and np.any(np.isinf(np.broadcast_to(variance, shape)[m])):
        warnings.warn(str(caught[0].message), RuntimeWarning, stacklevel=2)
    if t0 in (d - 1, d, d + 1) and np.any(np.isinf(np.broadcast_to(collapse, shape)[m])):
        warnings.warn(f"generator_samples T0 = {t0} in {{d - 1, d, d + 1}}: the generator's noise has an "
                      "infinite mean (inverse Wishart); collapse = inf", RuntimeWarning, stacklevel=2)
    total = bias + variance + collapse
    if asym is None:
        return RetrainPrediction(bc(bias), bc(variance), bc(collapse), bc(total), convention="exact")
    pick = lambda e, a: np.where(m, bc(e), np.broadcast_to(a, shape))  # noqa: E731
    return RetrainPrediction(pick(bias, asym.bias), pick(variance, asym.variance), pick(collapse, asym.collapse),
                             pick(total, asym.total), convention=np.where(m, "exact", "asymptotic"))


def _asymptotic(generations, samples, t0: int, d: int, sigma, sigma0, lam, w, c2) -> RetrainPrediction:
    """The deterministic equivalent of :func:`predict` (every element)."""
    n_gen = np.asarray(generations, dtype=float)
    lam_b, t_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(samples, dtype=float))
    k = kappa(lam_b, w, t_b)
    uu = u(k, w, t_b)
    tg, d2, kk2 = _sums(k, w, c2)
    sig2 = np.asarray(sigma, dtype=float) ** 2
    s02 = np.asarray(sigma0, dtype=float) ** 2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        bias = np.where(k > 0, (1.0 + uu) * k**2 * tg, 0.0)
        variance = np.where(sig2 > 0, sig2 * uu, 0.0)
        injected = n_gen * s02  # nσ₀²
        if t0 >= d:
            denom = t0 - d - 1
            bracket = d2 + np.where(k > 0, uu * kk2, 0.0)
            rho = bracket / denom if denom > 0 else np.full(bracket.shape, np.inf)
            collapse = np.where(injected > 0, injected * rho, 0.0)
            if denom <= 0 and np.any(injected > 0):
                warnings.warn(f"generator_samples T0 = {t0} <= d + 1 = {d + 1}: the generator's OLS noise has an "
                              "infinite mean (inverse Wishart); collapse = inf", RuntimeWarning, stacklevel=2)
        else:
            if not np.allclose(w, w[0]):
                signal, noise = _overparameterised_general(n_gen, k, uu, w, c2, t0, s02)
                collapse = np.where(n_gen > 0, np.maximum(signal - bias, 0.0) + noise, 0.0)
                total = bias + variance + collapse
                shape = np.broadcast_shapes(bias.shape, variance.shape, collapse.shape)
                bc = lambda x: np.broadcast_to(x, shape).copy()  # noqa: E731
                return RetrainPrediction(bc(bias), bc(variance), bc(collapse), bc(total))
            s = float(w[0])
            q = t0 / d
            qn = q**n_gen
            a = k / (s + k)
            b = (s**2 + np.where(k > 0, uu * k**2, 0.0)) / (s + k) ** 2
            r2_eff = float(np.sum(c2 * w))
            signal = r2_eff * (1.0 - 2.0 * (1.0 - a) * qn + b * qn) - bias
            dd = d - t0 - 1
            per_gen = t0 / dd if dd > 0 else np.inf
            noise = np.where(injected > 0, b * s02 * per_gen * (1.0 - qn) / (1.0 - q), 0.0)
            collapse = np.where(n_gen > 0, np.maximum(signal, 0.0) + noise, 0.0)
            if dd <= 0 and np.any(injected > 0):
                warnings.warn(f"generator_samples T0 = {t0} = d - 1: the minimum-norm generator's noise has an "
                              "infinite mean; collapse = inf", RuntimeWarning, stacklevel=2)
        total = bias + variance + collapse
    if not np.all(np.isfinite(total)) and np.any(~np.isfinite(uu)):
        warnings.warn("ridgeless downstream fit at the interpolation threshold (lam = 0, T = d): u = inf",
                      RuntimeWarning, stacklevel=2)
    shape = np.broadcast_shapes(bias.shape, variance.shape, collapse.shape)
    bc = lambda x: np.broadcast_to(x, shape).copy()  # noqa: E731
    return RetrainPrediction(bc(bias), bc(variance), bc(collapse), bc(total))


def _overparameterised_general(n_gen, k, uu, w, c2, t0, s02):
    """Deterministic equivalent of the T₀ < d chain for a general Σ (docs/theory.md §4), downstream (κ, u).

    Each minimum-norm generator is the projector Q onto the row space of X̄ (in w coordinates). With κ₀ the
    ridgeless κ at T₀ (df₁(κ₀) = T₀) and D₀ = T₀ − df₂(κ₀): E[Q] ≈ diag(e), e_j = ω_j/(ω_j+κ₀), and for a
    diagonal M, E[QMQ] ≈ diag(K m) with K = diag(e²) + g hᵀ, g_j = κ₀²ω_j/(ω_j+κ₀)², h_i = ω_i/(ω_i+κ₀)²/D₀
    (the generalised ridge bias with test matrix M); the generator noise covariance σ₀²E[(X̄ᵀX̄)⁺] ≈ σ₀²·diag(h).
    The downstream fit B = RG has E[B] ≈ diag(ω/(ω+κ)) and E[BᵀΣB] ≈ diag(ω(ω² + uκ²)/(ω+κ)²) =: diag(m).
    Then, the generations being independent,
        signal = c²ᵀKⁿm − 2Σ_j c_j²ω_j·ω_j/(ω_j+κ)·e_jⁿ + Σ_j c_j²ω_j,
        noise  = σ₀²·Σ_{i=0}^{n−1} mᵀKⁱh.
    On Σ = sI, K acts as q = T₀/d on constant vectors and this reduces to the isotropic law with d − T₀ in place
    of the exact d − T₀ − 1. Returns (signal, noise) with the broadcast shape of (n, κ).
    """
    kap0 = float(kappa(0.0, w, t0))
    e = w / (w + kap0)
    d2_0 = float(np.sum(e * e))
    u0 = float(u(kap0, w, t0))  # u₀ = df₂/(T₀ − df₂), so 1/D₀ = u₀/df₂ (cancellation-free)
    g = kap0**2 * w / (w + kap0) ** 2
    h = (w / (w + kap0) ** 2) * (u0 / d2_0)
    n_arr = np.asarray(n_gen, dtype=float)
    shape = np.broadcast_shapes(n_arr.shape, k.shape)
    n_b = np.broadcast_to(n_arr, shape).ravel().astype(int)
    k_b = np.broadcast_to(k, shape).ravel()
    u_b = np.broadcast_to(uu, shape).ravel()
    n_max = int(n_b.max()) if n_b.size else 0
    # a_i = (Kᵀ)ⁱc², s_i = Σ_{j<i} Kʲh, for i = 0..n_max (independent of the downstream point)
    a = np.empty((n_max + 1, w.size))
    sm = np.zeros((n_max + 1, w.size))
    a[0] = c2
    v = h.copy()
    for i in range(1, n_max + 1):
        a[i] = e * e * a[i - 1] + h * float(g @ a[i - 1])
        sm[i] = sm[i - 1] + v
        v = e * e * v + g * float(h @ v)
    kk = k_b[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        m = w * (w**2 + np.where(kk > 0, u_b[:, None] * kk**2, 0.0)) / (w + kk) ** 2  # (P, d)
        cross = np.sum((c2 * w)[None, :] * (w / (w + kk)) * e[None, :] ** n_b[:, None], axis=1)
    signal = np.einsum("pd,pd->p", m, a[n_b]) - 2.0 * cross + float(np.sum(c2 * w))
    noise = np.where(s02 > 0, s02 * np.einsum("pd,pd->p", m, sm[n_b]), 0.0) if np.ndim(s02) == 0 else (
        np.broadcast_to(s02, shape).ravel() * np.einsum("pd,pd->p", m, sm[n_b]))
    return signal.reshape(shape), noise.reshape(shape)


@validate(generations=NONNEGATIVE_INT, samples=POSITIVE_INT, generator_samples=POSITIVE_INT, d=POSITIVE_INT,
          sigma=SCALE, sigma0=SCALE)
def ols_exact(generations, samples, generator_samples, d, *, sigma=1.0, sigma0=1.0):
    """Exact finite-sample E‖ŵ − w₀‖²_Σ for an OLS generator chain and an OLS downstream fit (λ = 0):

        E_test = σ²d/(T − d − 1) + n·σ₀²d/(T₀ − d − 1),   T, T₀ ≥ d + 2, any Σ, Gaussian design.

    (E(XᵀX)⁻¹ = Σ⁻¹/(T − d − 1), and the n generator noises are independent with mean zero.) Linear in n.
    The literature's "injections only" reading is the second term alone. Raises InvalidParameterError for
    T or T₀ ≤ d + 1 (the mean is infinite or, for T < d, the fit is not OLS).
    """
    for name, value in (("samples", samples), ("generator_samples", generator_samples)):
        if np.any(np.asarray(value) < int(d) + 2):
            raise InvalidParameterError.of(
                name, "ols_exact", f"must be >= d + 2 = {int(d) + 2} (the exact OLS law needs "
                f"it). Got {np.min(value)} instead."
            )
    d = int(d)
    t = np.asarray(samples, dtype=float)
    t0 = np.asarray(generator_samples, dtype=float)
    return (np.asarray(sigma, dtype=float) ** 2 * d / (t - d - 1)
            + np.asarray(generations, dtype=float) * np.asarray(sigma0, dtype=float) ** 2 * d / (t0 - d - 1))


@validate(generations=NONNEGATIVE_INT, generator_samples=POSITIVE_INT, d=POSITIVE_INT, sigma0=SCALE,
          r2=SCALE)
def generator_error(generations, generator_samples, d, *, sigma0=1.0, r2=1.0, spectrum: str = "isotropic"):
    """Exact E‖ŵ_n − w₀‖²_Σ of the n-th generation itself (no downstream fit), Gaussian design.

    T₀ ≥ d + 2, any Σ: n·σ₀²·d/(T₀ − d − 1).
    T₀ ≤ d − 2, Σ = sI (isotropic): r²(1 − qⁿ) + σ₀²·T₀/(d − T₀ − 1)·(1 − qⁿ)/(1 − q), q = T₀/d
    (each min-norm fit is a uniformly random rank-T₀ projection, E‖Pv‖² = q‖v‖²). σ₀ = 0: r²(1 − (T₀/d)ⁿ),
    the noise-free exponential collapse. With an OLS downstream fit (T ≥ d + 2) the test error is this plus
    σ²d/(T − d − 1) exactly. T₀ ∈ {d−1, d, d+1} with nσ₀² > 0: inf with a warning; T₀ < d with a
    non-isotropic spectrum: InvalidParameterError (the exact law holds only for Σ = sI; :func:`predict` has a
    deterministic equivalent for that case, with the downstream fit).
    """
    w = spectrum_values(spectrum, d)
    d, t0 = int(d), int(generator_samples)
    n = np.asarray(generations, dtype=float)
    s02 = float(sigma0) ** 2
    if t0 >= d:
        if t0 <= d + 1 and s02 > 0 and np.any(n > 0):
            warnings.warn("generator_samples <= d + 1: infinite inverse-Wishart mean", RuntimeWarning, stacklevel=2)
            return np.where(n > 0, np.inf, 0.0)
        return n * s02 * d / (t0 - d - 1) if t0 > d + 1 else np.zeros_like(n)
    if not np.allclose(w, w[0]):
        raise InvalidParameterError.of(
            "generator_samples", "generator_error", f"must be >= d = {d} for the spectrum {spectrum!r} "
            "(the T0 < d law is exact only for the isotropic spectrum)."
        )
    q = t0 / d
    qn = q**n
    if s02 > 0 and d - t0 - 1 <= 0 and np.any(n > 0):
        warnings.warn("generator_samples = d - 1: infinite mean of the minimum-norm noise", RuntimeWarning,
                      stacklevel=2)
        noise = np.where(n > 0, np.inf, 0.0)
    else:
        noise = s02 * t0 / max(d - t0 - 1, 1) * (1 - qn) / (1 - q) if s02 > 0 else np.zeros_like(n)
    return float(r2) * (1 - qn) + noise


@dataclass(frozen=True)
class BestLambda:
    """The ridge λ minimising the predicted total test error, and that minimum."""

    lam: float
    total: float


@renamed(teacher="gamma")
@validate(generations=NONNEGATIVE_INT, samples=POSITIVE, generator_samples=POSITIVE_INT, d=POSITIVE_INT,
          sigma=SCALE, sigma0=SCALE, r2=SCALE, source_r=EXPONENT)
def best_lambda(generations, samples, generator_samples, d, *, sigma=1.0, sigma0=1.0, spectrum="isotropic",
                r2=1.0, source_r=None, gamma=None) -> BestLambda:
    """argmin over λ ≥ 0 of :func:`predict`'s total (the "sweet spot" of the U-shaped curves; scalars).

    A log-λ grid over [1e-8·ω_max, 1e3·ω_max] is refined by a bounded scalar search around its best point,
    then compared with λ = 0. The whole curve is the deterministic equivalent (``finite_size="asymptotic"``: one
    convention for every λ, λ = 0 included). Isotropic, T₀ ≥ d + 2, T > d: the minimiser grows with n (more synthetic
    noise asks for more shrinkage), which the tests check against the grid.
    """
    kw = dict(sigma=sigma, sigma0=sigma0, spectrum=spectrum, r2=r2, source_r=source_r, gamma=gamma,
              finite_size="asymptotic")
    wmax = float(spectrum_values(spectrum, d).max())
    grid = np.logspace(-8, 3, 111) * wmax
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        vals = predict(generations, samples, generator_samples, d, lam=grid, **kw).total
        i = int(np.argmin(vals))
        lo, hi = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, grid.size - 1)])

        def f(loglam):
            return float(predict(generations, samples, generator_samples, d, lam=math.exp(loglam), **kw).total)

        res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
        best_lam, best = float(math.exp(res.x)), float(res.fun)
        zero = float(predict(generations, samples, generator_samples, d, lam=0.0, **kw).total)
    if zero <= best:
        return BestLambda(lam=0.0, total=zero)
    return BestLambda(lam=best_lam, total=best)


@validate(generations=POSITIVE_INT, generator_samples=POSITIVE_INT, d=POSITIVE_INT, sigma=SCALE,
          sigma0=Interval(Real, 0, 1e150, closed="right"), r2=SCALE, source_r=EXPONENT)
def crossover_samples(generations, generator_samples, d, *, sigma=0.0, sigma0=1.0, spectrum="powerlaw:2",
                      r2=1.0, source_r=0.5) -> float:
    """The downstream T at which the ridgeless collapse term overtakes the clean error, from the finite-d
    formula: the root in 1 < T < d of collapse(T) = bias(T) + variance(T) at λ = 0 (bisection in log T;
    T real). Returns inf if the collapse term stays below the clean error for all T < d, and 1.0 if it is
    above already at T = 1. Needs T₀ ≥ d + 2 (OLS generators).
    """
    if int(generator_samples) < int(d) + 2:
        raise InvalidParameterError.of("generator_samples", "crossover_samples", "must be >= d + 2 = "
                                    f"{int(d) + 2}. Got {generator_samples} instead.")
    kw = dict(sigma=sigma, sigma0=sigma0, lam=0.0, spectrum=spectrum, r2=r2, source_r=source_r,
              finite_size="asymptotic")

    def gap(logt):
        p = predict(generations, math.exp(logt), generator_samples, d, **kw)
        return float(np.log(p.collapse) - np.log(p.bias + p.variance))

    lo, hi = 0.0, math.log(int(d) * (1 - 1e-6))
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo >= 0:
        return 1.0
    if g_hi < 0:
        return math.inf
    return float(math.exp(optimize.brentq(gap, lo, hi, xtol=1e-10)))

