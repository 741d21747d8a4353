"""Closed forms evaluated on empirical spectra: ridge on a real + synthetic mix with a FIXED teacher and shift.

No data is loaded here (docs/real_data.md): the inputs are arrays, e.g. from
:func:`model_collapse.data_spectra.empirical_spectrum` and :func:`model_collapse.data_spectra.teacher`.

Setting (docs/theory.md §2, with vectors instead of priors): Σ = diag(ω) in its eigenbasis, a fixed teacher
w₁ with coordinates a_i = v_iᵀw₁ and a fixed shift δ = w₂ − w₁ with coordinates b_i (a generator w₂ fit on a
small real sample is anti-correlated with w₁ through its shrinkage, so the cross terms a_ib_i matter; the
prior-averaged :func:`theory.ridge_mixture.predict` drops them). n₁ = (1 − p₂)n real rows y = xᵀw₁ + N(0, σ₁²),
n₂ = p₂n synthetic rows y = xᵀw₂ + N(0, σ₂²), pooled ridge (1/n)‖Xw − y‖² + λ‖w‖². With κ, u from
:mod:`theory.ridge` at the total n, the average teacher w̄ = w₁ + p₂δ, c² = Σ ω_i b_i² and p₁ = 1 − p₂:

    E‖ŵ − w₁‖²_Σ ≃ (1 + u)κ²·Σ ω_i w̄_i²/(ω_i + κ)²            (ridge toward w̄: bias)
                  + (p₁σ₁² + p₂σ₂² + p₁p₂c²)·u                (label noise + the mixture's extra noise)
                  − 2p₂κ·Σ ω_i w̄_i b_i/(ω_i + κ) + p₂²c²       (w̄ − w₁ = p₂δ: cross term and floor)

Averaged over independent priors (E a_i² = Γ_ii, E b_i² = Δ_ii, E a_ib_i = 0) this is exactly
:func:`theory.ridge_mixture.predict` (B + V + ζ; checked in tests/test_real_data.py). Multi-output targets
(a, b of shape (d, K)): the error is summed over the K outputs (σ² then the summed noise variance).
As n → ∞ (κ → λ → 0, u → 0) the error tends to p₂²c², the Strong Model Collapse floor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from model_collapse.theory.ridge import kappa, spectral_sum, spectrum_arrays, u
from model_collapse.validation import NONNEGATIVE, POSITIVE, PROBABILITY, InvalidParameterError, validate

__all__ = ["FixedTeacherRisk", "mixture_test_error", "mixture_floor", "isotropic_twin", "effective_tokens"]


@dataclass(frozen=True)
class FixedTeacherRisk:
    """E‖ŵ − w₁‖²_Σ = bias + variance + zeta (= total; + σ₁² when include_noise), with κ and u.

    bias = (1+u)κ²Σω a²/(ω+κ)² and variance = σ̄²u are the clean-data parts (as in
    :class:`theory.ridge_mixture.RidgeMixtureRisk`); zeta = everything the synthetic rows add.
    """

    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    total: np.ndarray
    kappa: np.ndarray
    u: np.ndarray

    def as_dict(self) -> dict:
        return {k: plain(getattr(self, k)) for k in ("bias", "variance", "zeta", "total", "kappa", "u")}


def _columns(x, w, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != w.size or not np.all(np.isfinite(a)):
        raise InvalidParameterError.of(name, "mixture_test_error", "must be finite coordinates of shape "
                                    f"({w.size},) or ({w.size}, K) on the eigenbasis. Got shape {a.shape} instead.")
    return a


def _over(power: int):
    def term(k, w):
        return w / (w + k) ** power

    return term


@validate(n=POSITIVE, p2=PROBABILITY, lam=POSITIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE)
def mixture_test_error(n, p2, lam, eigenvalues, teacher, shift, *, sigma=1.0, sigma2=None,
                       include_noise: bool = False) -> FixedTeacherRisk:
    """Deterministic-equivalent test error of ridge on a real + synthetic mix, fixed teacher a and shift b.

    Parameters
    ----------
    n, p2, lam : total sample size, synthetic fraction, ridge λ > 0 (the (1/n)-scaled loss); arrays broadcast.
    eigenvalues : ω_i > 0 (an empirical spectrum). teacher, shift : a_i = v_iᵀw₁ and b_i = v_iᵀ(w₂ − w₁),
        shape (d,) or (d, K) for K outputs.
    sigma, sigma2 : label-noise std of the real and synthetic rows (sigma2 defaults to sigma); with K
        outputs, sigma² is the noise variance summed over the outputs.
    include_noise : add σ₁² (the full test MSE on real labels instead of the excess risk).

    Formula in the module docstring (docs/theory.md §2, fixed vectors; docs/real_data.md).
    """
    w, m = spectrum_arrays(eigenvalues, None, "mixture_test_error")
    if np.any(w <= 0):
        raise InvalidParameterError.of("eigenvalues", "mixture_test_error", "must be > 0 (drop the null "
                                    "space: it carries no signal).")
    a = _columns(teacher, w, "teacher")
    b = _columns(shift, w, "shift")
    if a.shape != b.shape:
        raise InvalidParameterError.of("shift", "mixture_test_error", "must have the teacher's shape "
                                    f"{a.shape}. Got {b.shape} instead.")
    aa, ab, bb = np.sum(a * a, axis=1), np.sum(a * b, axis=1), np.sum(b * b, axis=1)
    lam_b, n_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(n, dtype=float))
    k = kappa(lam_b, w, n_b)
    uu = u(k, w, n_b)
    flat = k.ravel()
    s2 = [spectral_sum(flat, w, x, _over(2)).reshape(k.shape) for x in (aa, ab, bb)]  # Σ ω x/(ω+κ)²
    s1 = [spectral_sum(flat, w, x, _over(1)).reshape(k.shape) for x in (ab, bb)]  # Σ ω x/(ω+κ)
    c2 = float(np.sum(w * bb))
    p2 = np.asarray(p2, dtype=float)
    p1 = 1.0 - p2
    sig1 = np.asarray(sigma, dtype=float) ** 2
    sig2 = sig1 if sigma2 is None else np.asarray(sigma2, dtype=float) ** 2
    clean = (1.0 + uu) * k**2 * s2[0]
    bar = (1.0 + uu) * k**2 * (s2[0] + 2.0 * p2 * s2[1] + p2**2 * s2[2])  # toward w̄ = a + p₂b
    cross = -2.0 * p2 * k * (s1[0] + p2 * s1[1])
    variance = (p1 * sig1 + p2 * sig2) * uu
    total = bar + variance + p1 * p2 * c2 * uu + cross + p2**2 * c2
    total = np.maximum(total, 0.0)  # a sum of squares: round-off only
    zeta = total - clean - variance
    if include_noise:
        total = total + sig1
    shape = np.broadcast_shapes(clean.shape, total.shape)
    bc = lambda x: np.broadcast_to(x, shape).copy()  # noqa: E731
    return FixedTeacherRisk(bc(clean), bc(variance), bc(zeta), bc(total), bc(k), bc(uu))


@validate(p2=PROBABILITY, lam=NONNEGATIVE)
def mixture_floor(p2, lam, eigenvalues, teacher, shift) -> np.ndarray:
    """The n → ∞ limit of :func:`mixture_test_error` (κ → λ, u → 0): the error of ridge's population solution
    Σ(Σ + λ)⁻¹w̄ against w₁,

        E_∞ = Σ_i ω_i (λ·w̄_i/(ω_i + λ) + p₂b_i)²   (summed over outputs),   w̄ = a + p₂b,

    which is p₂²c² at λ = 0 (the Strong Model Collapse floor: more data does not remove it)."""
    w, _ = spectrum_arrays(eigenvalues, None, "mixture_floor")
    a = _columns(teacher, w, "teacher")
    b = _columns(shift, w, "shift")
    lam = np.asarray(lam, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    shape = np.broadcast_shapes(lam.shape, p2.shape)
    lam_f, p2_f = (np.broadcast_to(x, shape).ravel() for x in (lam, p2))
    out = np.empty(lam_f.size)
    for i, (lm, q) in enumerate(zip(lam_f, p2_f, strict=True)):
        wbar = a + q * b
        with np.errstate(invalid="ignore", divide="ignore"):
            shrink = np.where(w > 0, lm / (w + lm), 0.0)[:, None] if lm > 0 else np.zeros((w.size, 1))
        e = -shrink * wbar + q * b  # population ridge solution minus w₁ = −λ(Σ+λ)⁻¹w̄ + p₂δ
        out[i] = float(np.sum(w[:, None] * e * e))
    return out.reshape(shape)


def isotropic_twin(eigenvalues, teacher, shift) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same problem on an isotropic spectrum of the same trace: eigenvalues s = tr Σ/d (d of them) and
    per output a teacher and shift with the same energies r² = Σωa², c² = Σωb² and the same correlation
    ρ = Σωab/(rc), placed on the first two coordinates (any placement gives the same error when Σ = sI).
    Returns ``(eigenvalues, teacher, shift)`` for :func:`mixture_test_error`: what the spectrum's shape is
    worth, everything else kept."""
    w, _ = spectrum_arrays(eigenvalues, None, "isotropic_twin")
    a = _columns(teacher, w, "teacher")
    b = _columns(shift, w, "shift")
    if w.size < 2:
        raise InvalidParameterError.of("eigenvalues", "isotropic_twin", "needs d >= 2.")
    s = float(np.sum(w)) / w.size
    at, bt = np.zeros_like(a), np.zeros_like(b)
    for j in range(a.shape[1]):
        r2 = float(np.sum(w * a[:, j] ** 2))
        c2 = float(np.sum(w * b[:, j] ** 2))
        rho = float(np.sum(w * a[:, j] * b[:, j])) / np.sqrt(r2 * c2) if r2 > 0 and c2 > 0 else 0.0
        rho = min(max(rho, -1.0), 1.0)
        at[0, j] = np.sqrt(r2 / s)
        bt[0, j] = np.sqrt(c2 / s) * rho
        bt[1, j] = np.sqrt(c2 / s) * np.sqrt(1.0 - rho * rho)
    squeeze = np.asarray(teacher).ndim == 1
    return np.full(w.size, s), (at[:, 0] if squeeze else at), (bt[:, 0] if squeeze else bt)


def effective_tokens(first_sq_norm, s0):
    """The number of iid tokens whose empirical law has the same expected ‖·‖² as the observed first model:

        N_eff = (1 − S₀)/(S₁ − S₀),   from S₁ = 1/N + (1 − 1/N)S₀ solved for N (docs/theory.md §6)

    N real tokens of bursty text act like N_eff < N iid draws (docs/real_data.md §4). inf when S₁ ≤ S₀."""
    s1 = np.asarray(first_sq_norm, dtype=float)
    s0 = np.asarray(s0, dtype=float)
    if np.any((s0 < 0) | (s0 > 1)) or np.any((s1 < 0) | (s1 > 1)):
        raise InvalidParameterError("The 'first_sq_norm' and 's0' parameters of effective_tokens must be in [0, 1].")
    with np.errstate(divide="ignore"):
        out = np.where(s1 > s0, (1.0 - s0) / np.where(s1 > s0, s1 - s0, 1.0), np.inf)
    return out if out.ndim else float(out)
