"""Strong Model Collapse with covariate shift: the ridge mixture when synthetic rows have their own covariance.

Data model (docs/covariate_shift.md; docs/theory.md §2, "different covariances"): real rows x ~ N(0, Σ₁),
y = xᵀw₁ + N(0, σ₁²); synthetic rows x ~ N(0, Σ₂), y = xᵀ(w₁ + δ) + N(0, σ₂²); Σ₁, Σ₂ diagonal in one
basis (eigenvalues s₁ᵢ, s₂ᵢ, i = 1..d, with common multiplicities mᵢ). n₁ = p₁n real and n₂ = p₂n
synthetic rows are pooled; ridge ŵ = (XᵀX + nλI)⁻¹Xᵀy. Priors w₁ ~ N(0, Γ), δ ~ N(0, Δ), independent,
defaults Γ = (r²/tr Σ₁)·I, Δ = (c²/tr Σ₁)·I (normalised by the REAL covariance). Test error: the excess
risk on the real distribution E‖ŵ − w₁‖²_Σ₁.

Deterministic equivalent (derived by leave-one-out in docs/covariate_shift.md). The pooled resolvent is
(Σ̂ + λ)⁻¹ ≍ R̄ = (λ + p₁Σ₁/(1+τ₁) + p₂Σ₂/(1+τ₂))⁻¹, τ_k = tr Σ_k R̄/n. In scaled units
(finite as λ → 0 and for d > n): with α₂ ∈ [0, 1], α₁ = 1 − α₂, Σ_α = α₁Σ₁ + α₂Σ₂ and M = μ + Σ_α,

    R̄ = M⁻¹/t,  t = λ/μ = p₁/(1+τ₁) + p₂/(1+τ₂),  α_k = p_k/((1+τ_k)·t)
    μ − λ = μ·tr Σ_α M⁻¹/n                                  (the κ equation of the spectrum Σ_α)
    p₂ = α₂ + α₁α₂·tr (Σ₂ − Σ₁)M⁻¹/n                          (one root α₂ in [0, 1])

Second order (one unknown y_k per population, a 2 × 2 system with a cancellation-free determinant):
T₁₁ = tr Σ₁²M⁻²/n, T₁₂ = tr Σ₁Σ₂M⁻²/n, c_k = t + μ·tr Σ_k M⁻²/n,

    det = c₁c₂ + T₁₂(α₁c₁ + α₂c₂)
    y₁ = α₁[T₁₁(c₂ + α₁T₁₂) + α₂T₁₂²]/det,   y₂ = α₂T₁₂[c₁ + α₂T₁₂ + α₁T₁₁]/det
    B = μ²·tr ΓM⁻²[(1 + y₁)Σ₁ + y₂Σ₂]
    V = σ₁²y₁ + σ₂²y₂
    ζ = α₂²(1 + y₁)·tr ΔΣ₁Σ₂²M⁻² + y₂·tr ΔΣ₂(μ + α₁Σ₁)²M⁻²

With Σ₂ = Σ₁: α₂ = p₂, μ = κ, y_k = p_k·u, and these are the single-covariance formulas of
:mod:`theory.ridge_mixture` (tested to 1e-10). ``kappa`` reports μ (λR̄ = μ(μ + Σ_α)⁻¹: the shrinkage)
and ``u`` reports y₁ + y₂ (the variance per unit noise variance when σ₁ = σ₂).
Simulator twin: :func:`model_collapse.montecarlo.ridge_mixture.simulate` with ``eigenvalues2``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from model_collapse.numerics import UnrepresentableError, times_square
from model_collapse.theory.ridge import KappaConvergenceError, spectrum_arrays
from model_collapse.theory.ridge_priors import PENALTY, RidgeMixtureRisk, effective_lambda, resolve_priors
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    PROBABILITY,
    InvalidParameterError,
    check_param,
    validate,
)
from threadpoolctl import threadpool_limits

__all__ = [
    "ShiftFixedPoint",
    "ShiftRiskPieces",
    "fixed_point",
    "risk_pieces",
    "predict",
    "second_spectrum",
    "collapse_floor",
]

_EPS = np.finfo(float).eps
_CHUNK = 131_072  # (points x eigenvalues) floats per block: cache-sized (much faster than 1e6 blocks)


@dataclass(frozen=True)
class ShiftFixedPoint:
    """The first-order deterministic equivalent in scaled units (arrays of the broadcast shape).

    ``mu`` (μ ≥ 0, the effective regularisation), ``alpha2`` (α₂ ∈ [0, 1], the synthetic weight in
    Σ_α = α₁Σ₁ + α₂Σ₂), ``t`` (= λ/μ = p₁/(1+τ₁) + p₂/(1+τ₂), 0 in the ridgeless d > n regime) and
    ``tau1``, ``tau2`` (τ_k = tr Σ_k R̄/n; inf where t = 0, i.e. λ = 0 and d > n).
    """

    mu: np.ndarray
    alpha2: np.ndarray
    t: np.ndarray
    tau1: np.ndarray
    tau2: np.ndarray

    def as_dict(self) -> dict:
        return {k: plain(getattr(self, k)) for k in ("mu", "alpha2", "t", "tau1", "tau2")}


@dataclass(frozen=True)
class ShiftRiskPieces:
    """Per-unit pieces: ``bias``, ``var1`` = y₁ and ``var2`` = y₂ (variance per unit σ₁², σ₂²), ``zeta``."""

    bias: np.ndarray
    var1: np.ndarray
    var2: np.ndarray
    zeta: np.ndarray


def second_spectrum(eigenvalues2, w: np.ndarray, where: str) -> np.ndarray:
    """Validate ``eigenvalues2`` against the real spectrum ``w``: same shape, ≥ 0, zero exactly where w is."""
    s2 = np.atleast_1d(np.asarray(eigenvalues2, dtype=float))
    if s2.shape != w.shape:
        raise InvalidParameterError.of(
            "eigenvalues2", where, f"must have the shape of '{{eigenvalues}}' {w.shape}. "
            f"Got {s2.shape} instead.", refs=("eigenvalues",))
    check_param("eigenvalues2", s2, NONNEGATIVE, where)
    if np.any((s2 > 0) != (w > 0)):
        raise InvalidParameterError.of(
            "eigenvalues2", where, "must be zero exactly where '{eigenvalues}' is zero (the "
            "two covariances share their support). Got a different set of zero eigenvalues instead.",
            refs=("eigenvalues",))
    return s2


def _blocks(npoints: int, d: int):
    step = max(1, _CHUNK // max(d, 1))
    for start in range(0, npoints, step):
        yield slice(start, min(start + step, npoints))


def _g_terms(mu, S, m, n):
    """n − df₁ and n − df₂ of the spectra S (rows, all > 0) at μ (1-D), cancellation-free: where S > μ,
    S/(S+μ) = 1 − μ/(S+μ) and S²/(S+μ)² = 1 − (μ/(S+μ))(1 + S/(S+μ)). Also returns r = S/M and q = μ/M."""
    inv = 1.0 / (S + mu[:, None])
    r = S * inv
    q = mu[:, None] * inv
    big = r > 0.5
    nb = n - big @ m
    n_df1 = nb + np.where(big, q, -r) @ m
    n_df2 = nb + np.where(big, q * (1.0 + r), -r * r) @ m
    return n_df1, n_df2, inv, q


def _solve_mu(lam, n, S, m, start, zero_root):
    """μ with μ − λ = μ·df₁(μ)/n for each row of S (spectra Σ_α, entries > 0): safeguarded Newton.

    g(μ) = μ(n − df₁(μ))/n − λ is convex with g(λ) = −λ·df₁(λ)/n ≤ 0 and g(λ + tr Σ_α/n) ≥ 0 (df₁(μ) ≤
    tr Σ_α/μ), so [lo, hi] = [λ, λ + tr Σ_α/n] brackets the unique root (λ = 0 and d_eff > n: lo = 0, where
    g'(0) < 0). Newton steps that leave the bracket, and every step after the first 30 (a near-double root,
    λ → 0 at n ≈ d_eff, makes Newton linear), are replaced by bisection (geometric when lo > 0), so the
    iteration always terminates. ``start``: warm starts (NaN = none). ``zero_root``: λ = 0 and d_eff ≤ n,
    where μ = 0.
    """
    mu = np.zeros_like(lam)
    todo = np.flatnonzero(~zero_root)
    if todo.size == 0:
        return mu
    la, na, Sa = lam[todo], n[todo], S[todo]
    lo, hi = la.copy(), la + (Sa @ m) / na
    st = start[todo]
    x = np.where(np.isfinite(st) & (st > lo) & (st < hi), st, hi)
    active = np.arange(todo.size)
    for it in range(400):
        if active.size == 0:
            break
        xa, nb, lb = x[active], na[active], la[active]
        n_df1, n_df2, _inv, _q = _g_terms(xa, Sa[active], m, nb)
        g = xa * (n_df1 / nb) - lb
        gp = n_df2 / nb
        pos = g > 0
        hi[active] = np.where(pos, xa, hi[active])
        lo[active] = np.where(pos, lo[active], xa)
        lo_a, hi_a = lo[active], hi[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - g / gp
        inside = np.isfinite(newton) & (newton > lo_a) & (newton < hi_a) & (it < 30)
        mid = lo_a + 0.5 * (hi_a - lo_a)
        geo = np.where((lo_a > 0) & (hi_a > 4 * lo_a), np.sqrt(lo_a) * np.sqrt(hi_a), mid)
        xn = np.where(g == 0, xa, np.where(inside, newton, geo))
        # a Newton step of relative size ≤ 1e-9 leaves an error of order (1e-9)²: accept it without another pass
        done = ((g == 0) | (np.abs(xn - xa) <= 4 * _EPS * np.abs(xn)) | (hi_a - lo_a <= 4 * _EPS * hi_a)
                | (inside & (np.abs(xn - xa) <= 1e-9 * np.abs(xn))))
        x[active] = xn
        active = active[~done]
    else:  # pragma: no cover - bisection halves the bracket (in log scale) every step after step 30
        raise KappaConvergenceError("covariate_shift: the mu iteration did not converge", x[active])
    mu[todo] = x
    return mu


def _residuals(mu, a2, a1, lam, n, p2, s1, s2, m, zero_root):
    """G₂ + p₂, the slope dF/dα₂ along μ = μ(α₂), and dμ/dα₂ at (μ, α₂) (1-D arrays, μ = μ(α₂) solved).

    F(α₂) = G₂ = α₂ + α₁α₂·tr(Σ₂ − Σ₁)M⁻¹/n − p₂ (M = μ + Σ_α); with G₁ = μ(n − df₁^{Σ_α}(μ))/n − λ,
    J₁₁ = ∂G₁/∂μ = (n − df₂)/n, J₁₂ = ∂G₁/∂α₂ = −tr(Σ₂ − Σ₁)μ²M⁻²/n, J₂₁ = ∂G₂/∂μ = −α₁α₂·tr(Σ₂ − Σ₁)M⁻²/n,
    J₂₂ = ∂G₂/∂α₂ = 1 + (α₁ − α₂)·tr(Σ₂ − Σ₁)M⁻¹/n − α₁α₂·tr(Σ₂ − Σ₁)²M⁻²/n, so dμ/dα₂ = −J₁₂/J₁₁ and
    dF/dα₂ = J₂₂ + J₂₁·dμ/dα₂. ``zero_root`` rows hold μ = 0 (dμ/dα₂ = 0).
    """
    ds = s2 - s1
    S = a1[:, None] * s1 + a2[:, None] * s2
    n_df1, n_df2, inv, q = _g_terms(mu, S, m, n)
    di = ds * inv
    A1, A2, A3 = di @ m / n, (di * inv) @ m / n, (di * di) @ m / n
    b = a1 * a2
    with np.errstate(divide="ignore", invalid="ignore"):
        dmu = np.where(zero_root, 0.0, ((q * q * ds) @ m / n) / (n_df2 / n))
    slope = 1.0 + (a1 - a2) * A1 - b * A3 - b * A2 * dmu
    return a2 + b * A1, slope, dmu


def _shift_solve(lam, n, p2, s1, s2, m, zero_root):
    """(μ, α₂) for 0 < p₂ < 1, Σ₂ ≠ Σ₁: a bracketed 1-D problem in ℓ = logit α₂.

    With β_k = 1/(t + tr Σ_kM⁻¹/n) one has α_k = p_kβ_k at the root, i.e. ρ = (α₂/α₁)(p₁/p₂) = β₂/β₁
    = (t + tr Σ₁M⁻¹/n)/(t + tr Σ₂M⁻¹/n), a ratio between 1 and tr Σ₁M⁻¹/tr Σ₂M⁻¹, so ρ lies in
    [ρ_lo, ρ_hi] = [min(1, min s₁/s₂), max(1, max s₁/s₂)] and ℓ = log(p₂/p₁) + log ρ in a finite bracket.
    F(α₂) = G₂(μ(α₂), α₂) has the sign of ρ − β₂/β₁, so it is ≤ 0 at ρ_lo and ≥ 0 at ρ_hi; we solve
    Φ(ℓ) = log(F + p₂) − log p₂ = 0 (F + p₂ = α₂/β₂ > 0; Φ is close to linear in ℓ) by Newton, replaced by
    bisection in ℓ whenever a step leaves the bracket kept by Φ's sign (and after 40 steps), with
    μ(α₂) re-solved (bracketed, warm-started by the implicit slope) at every ℓ.
    """
    from scipy.special import expit  # lazy: scipy.special costs ~0.25 s to import; only Σ₂ ≠ Σ₁ needs it here

    ratio = s1 / s2
    rho_lo, rho_hi = min(1.0, float(ratio.min())), max(1.0, float(ratio.max()))
    base = np.log(p2) - np.log1p(-p2)
    lo = base + np.log(rho_lo) - 1e-9
    hi = base + np.log(rho_hi) + 1e-9
    ell = np.clip(base, lo, hi)
    a2, a1 = expit(ell), expit(-ell)
    mu = _solve_mu(lam, n, a1[:, None] * s1 + a2[:, None] * s2, m, np.full(lam.size, np.nan), zero_root)
    active = np.arange(lam.size)
    for it in range(200):
        if active.size == 0:
            break
        x, zr, la, na = mu[active], zero_root[active], lam[active], n[active]
        Fp, slope, dmu = _residuals(x, a2[active], a1[active], la, na, p2[active], s1, s2, m, zr)
        phi = np.log(np.maximum(Fp, 1e-300)) - np.log(p2[active])
        hi[active] = np.where(phi > 0, ell[active], hi[active])
        lo[active] = np.where(phi < 0, ell[active], lo[active])
        lo_a, hi_a, e = lo[active], hi[active], ell[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = e - phi * Fp / (slope * a2[active] * a1[active])  # dΦ/dℓ = (dF/dα₂)·α₁α₂/(F + p₂)
        inside = np.isfinite(newton) & (newton > lo_a) & (newton < hi_a) & (it < 40)
        en = np.where(phi == 0, e, np.where(inside, newton, lo_a + 0.5 * (hi_a - lo_a)))
        tol = 8 * _EPS * np.maximum(1.0, np.abs(en))
        done = (phi == 0) | (np.abs(en - e) <= tol) | (hi_a - lo_a <= tol) | (inside & (np.abs(en - e) <= 1e-9))
        an2, an1 = expit(en), expit(-en)
        with np.errstate(invalid="ignore", over="ignore"):
            guess = x + dmu * (an2 - a2[active])
        mu[active] = _solve_mu(la, na, an1[:, None] * s1 + an2[:, None] * s2, m, guess, zr)
        ell[active], a2[active], a1[active] = en, an2, an1
        active = active[~done]
    else:  # pragma: no cover - the bracket halves every step after step 40
        raise KappaConvergenceError("covariate_shift: the alpha2 iteration did not converge", a2[active])
    return mu, a2


def _solve_block(lam, n, p2, s1, s2, m, d_eff):
    """(μ, α₂) for one block of points (positive eigenvalues only)."""
    zero_root = (lam == 0) & (d_eff <= n)
    alpha = p2.copy()  # exact when Σ₂ = Σ₁ and at p₂ ∈ {0, 1} (no rows of one population)
    inner = np.flatnonzero((p2 > 0) & (p2 < 1))
    mu = np.empty_like(lam)
    if inner.size and np.any(s2 != s1):
        mu[inner], alpha[inner] = _shift_solve(lam[inner], n[inner], p2[inner], s1, s2, m, zero_root[inner])
        rest = np.flatnonzero(~((p2 > 0) & (p2 < 1)))
    else:
        rest = np.arange(lam.size)
    if rest.size:
        S = (1.0 - alpha[rest])[:, None] * s1 + alpha[rest][:, None] * s2
        mu[rest] = _solve_mu(lam[rest], n[rest], S, m, np.full(rest.size, np.nan), zero_root[rest])
    return mu, alpha


def _prepare(lam, n, p2):
    lam_b, n_b, p2_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(n, dtype=float),
                                           np.asarray(p2, dtype=float))
    return lam_b.shape, lam_b.ravel().copy(), n_b.ravel().copy(), p2_b.ravel().copy()


def _fixed_point_flat(lam, n, p2, s1, s2, m):
    pos = (s1 > 0) & (m > 0)  # zero eigenvalues (shared by Σ₁ and Σ₂) enter no trace
    s1, s2, m = s1[pos], s2[pos], m[pos]
    d_eff = float(m.sum())
    mu = np.empty_like(lam)
    alpha = np.empty_like(lam)
    with threadpool_limits(limits=1):  # small matrix-vector products: threads only contend
        for sl in _blocks(lam.size, s1.size):
            mu[sl], alpha[sl] = _solve_block(lam[sl], n[sl], p2[sl], s1, s2, m, d_eff)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(mu > 0, lam / np.where(mu > 0, mu, 1.0), np.maximum(1.0 - d_eff / n, 0.0))
    return mu, alpha, t


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE)
def fixed_point(n, p2, lam, eigenvalues, eigenvalues2, multiplicities=None) -> ShiftFixedPoint:
    """Solve the two-population fixed point τ_k = tr Σ_k R̄/n, R̄ = (λ + Σ_k p_kΣ_k/(1+τ_k))⁻¹.

    Returned in scaled units (see the module docstring): μ, α₂, t = λ/μ and τ₁, τ₂. The solve is a
    reduction to monotone 1-D brackets with a Newton fast path:

    - for fixed α₂, μ is the root of the convex κ equation of the spectrum Σ_α, bracketed by
      [λ, λ + tr Σ_α/n] (safeguarded Newton, bisection fallback);
    - α₂ is the unique root of F(α₂) = α₂ + α₁α₂·tr(Σ₂ − Σ₁)(μ(α₂) + Σ_α)⁻¹/n − p₂ on [0, 1], where
      F(0) = −p₂ ≤ 0 ≤ F(1) = 1 − p₂;
    - in ℓ = logit α₂ the bracket is finite: the ratio ρ = (1+τ₁)/(1+τ₂) lies between
      min(1, min s₁ᵢ/s₂ᵢ) and max(1, max s₁ᵢ/s₂ᵢ); Newton on log(F + p₂) in ℓ (bisection whenever a step
      leaves the bracket), μ(α₂) re-solved at every step. Σ₂ = Σ₁ gives α₂ = p₂ exactly, μ = κ.

    λ = 0 works in both regimes (μ = 0 when d_eff ≤ n; μ > 0 the ridgeless root when d_eff > n).
    ``lam`` is in the (1/n)-scaled ("mean") penalty convention. docs/covariate_shift.md §2.
    """
    s1, m = spectrum_arrays(eigenvalues, multiplicities, "fixed_point")
    s2 = second_spectrum(eigenvalues2, s1, "fixed_point")
    shape, lam_f, n_f, p2_f = _prepare(lam, n, p2)
    mu, alpha, t = _fixed_point_flat(lam_f, n_f, p2_f, s1, s2, m)
    tau1, tau2 = _taus(mu, alpha, t, n_f, s1, s2, m)
    r = lambda a: a.reshape(shape)  # noqa: E731
    return ShiftFixedPoint(r(mu), r(alpha), r(t), r(tau1), r(tau2))


def _taus(mu, alpha, t, n, s1, s2, m):
    """τ_k = tr Σ_k M⁻¹/(n·t) (R̄ = M⁻¹/t); inf where t = 0."""
    out = []
    for s in (s1, s2):
        val = np.empty_like(mu)
        for sl in _blocks(mu.size, s1.size):
            S = (1.0 - alpha[sl])[:, None] * s1 + alpha[sl][:, None] * s2
            den = S + mu[sl, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                val[sl] = np.where(den > 0, s / np.where(den > 0, den, 1.0), 0.0) @ m
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(np.where(t > 0, val / (n * np.where(t > 0, t, 1.0)), np.inf))
    return out


def _pieces_flat(mu, alpha, t, n, s1, s2, m, gam, dlt):
    """(bias, y₁, y₂, ζ) at a fixed point, 1-D arrays; see the module docstring for the formulas."""
    P = mu.size
    sums = np.empty((8, P))
    g1, g2, e1, e2 = m * gam * s1, m * gam * s2, m * dlt * s1, m * dlt * s2
    for sl in _blocks(P, s1.size):
        a2 = alpha[sl][:, None]
        a1 = 1.0 - a2
        S = a1 * s1 + a2 * s2
        den = S + mu[sl, None]
        safe = np.where(den > 0, den, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r1 = np.where(den > 0, s1 / safe, 0.0)
            r2 = np.where(den > 0, s2 / safe, 0.0)
            q = np.where(den > 0, mu[sl, None] / safe, 0.0)
        sums[0, sl] = (r1 * r1) @ m
        sums[1, sl] = (r1 * r2) @ m
        sums[2, sl] = (q * r1) @ m
        sums[3, sl] = (q * r2) @ m
        q2 = q * q
        sums[4, sl] = q2 @ g1
        sums[5, sl] = q2 @ g2
        sums[6, sl] = (r2 * r2) @ e1
        sums[7, sl] = ((q + a1 * r1) ** 2) @ e2
    T11, T12 = sums[0] / n, sums[1] / n
    c1, c2 = t + sums[2] / n, t + sums[3] / n
    a2 = alpha
    a1 = 1.0 - a2
    det = c1 * c2 + T12 * (a1 * c1 + a2 * c2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y1 = np.where(a1 > 0, a1 * (T11 * (c2 + a1 * T12) + a2 * T12 * T12) / det, 0.0)
        y2 = np.where(a2 > 0, a2 * T12 * (c1 + a2 * T12 + a1 * T11) / det, 0.0)
        y1 = np.where(det > 0, y1, np.where(a1 > 0, np.inf, 0.0))
        y2 = np.where(det > 0, y2, np.where(a2 > 0, np.inf, 0.0))
        bias = np.where(sums[4] > 0, (1.0 + y1) * sums[4], 0.0) + np.where(sums[5] > 0, y2 * sums[5], 0.0)
        zeta = (np.where((sums[6] > 0) & (a2 > 0), a2 * a2 * (1.0 + y1) * sums[6], 0.0)
                + np.where((sums[7] > 0) & (a2 > 0), y2 * sums[7], 0.0))
    return bias, y1, y2, zeta


def risk_pieces(fp: ShiftFixedPoint, n, eigenvalues, eigenvalues2, *, gamma, delta,
                multiplicities=None) -> ShiftRiskPieces:
    """Bias, y₁, y₂ and ζ (module docstring) at a given fixed point ``fp`` (e.g. from :func:`fixed_point`).

    ``gamma``, ``delta``: the prior diagonals Γ_ii, Δ_ii. Exposed so that a perturbed fixed point (a formula
    mistake) can be pushed through the same second-order formulas; docs/covariate_shift.md §3.
    """
    s1, m = spectrum_arrays(eigenvalues, multiplicities, "risk_pieces")
    s2 = second_spectrum(eigenvalues2, s1, "risk_pieces")
    gam = np.broadcast_to(np.asarray(gamma, dtype=float), s1.shape)
    dlt = np.broadcast_to(np.asarray(delta, dtype=float), s1.shape)
    mu, alpha, t = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (fp.mu, fp.alpha2, fp.t)))
    shape = mu.shape
    n_b = np.broadcast_to(np.asarray(n, dtype=float), shape).ravel()
    out = _pieces_flat(mu.ravel(), alpha.ravel(), t.ravel(), n_b, s1, s2, m, gam, dlt)
    return ShiftRiskPieces(*(o.reshape(shape) for o in out))


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE, penalty=PENALTY)
def predict(
    n,
    p2,
    lam,
    eigenvalues,
    *,
    eigenvalues2,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma=1.0,
    sigma2=None,
    gamma=None,
    delta=None,
    multiplicities=None,
    penalty: str = "mean",
    include_noise: bool = False,
):
    """Deterministic-equivalent test error B + V + ζ of pooled ridge when synthetic rows have covariance Σ₂.

    Keywords as :func:`model_collapse.theory.ridge_mixture.predict` (which delegates here when its
    ``eigenvalues2`` differs from ``eigenvalues``), plus ``eigenvalues2``: Σ₂'s eigenvalues in Σ₁'s eigenbasis
    (same length, zero exactly where Σ₁'s are; the same ``multiplicities``). Priors Γ, Δ are given (or
    defaulted, Γ = (r²/tr Σ₁)I, Δ = (c²/tr Σ₁)I) in that basis; c² = tr ΔΣ₁ is the label-shift energy
    measured on the real distribution. Test error: E‖ŵ − w₁‖²_Σ₁ (+ σ₁² with ``include_noise``).

    Returns :class:`model_collapse.theory.ridge_mixture.RidgeMixtureRisk` with bias, variance, zeta, total,
    kappa = μ (the effective regularisation) and u = y₁ + y₂ (variance per unit noise variance at
    σ₁ = σ₂). Formulas: module docstring; derivation docs/covariate_shift.md. Ridgeless at the interpolation
    threshold (λ = 0, n = d_eff) the variance is infinite: inf with a RuntimeWarning.
    """
    s1, m = spectrum_arrays(eigenvalues, multiplicities, "predict")
    s2 = second_spectrum(eigenvalues2, s1, "predict")
    gam, dlt = resolve_priors(s1, m, r2, c2, gamma, delta, "predict")
    sig1 = np.asarray(sigma, dtype=float)
    sig2 = sig1 if sigma2 is None else np.asarray(sigma2, dtype=float)
    lam_eff = effective_lambda(lam, n, penalty)
    shape, lam_f, n_f, p2_f = _prepare(lam_eff, n, p2)
    mu, alpha, t = _fixed_point_flat(lam_f, n_f, p2_f, s1, s2, m)
    bias, y1, y2, zeta = (x.reshape(shape) for x in _pieces_flat(mu, alpha, t, n_f, s1, s2, m, gam, dlt))
    with np.errstate(invalid="ignore", over="ignore"):
        variance = times_square(sig1, y1) + times_square(sig2, y2)
        total = bias + variance + zeta
        if include_noise:
            total = total + times_square(sig1, 1.0)
        u = y1 + y2
    threshold = ~np.isfinite(u)
    if any(np.any(np.isnan(x)) for x in (bias, variance, zeta, total)):  # only for spectra ratios near 1e300
        raise UnrepresentableError.of("eigenvalues2", "predict", "is too far from 'eigenvalues' (ratios "
                                   "eigenvalues2/eigenvalues beyond the float64 range); rescale one of them.")
    if np.any(~np.isfinite(total) & ~threshold):
        raise UnrepresentableError("The 'sigma', 'r2' and 'c2' parameters of predict give a test error beyond the "
                                   "float64 range (1.8e308); scale them down.")
    out_shape = np.broadcast_shapes(bias.shape, variance.shape, zeta.shape)
    bc = lambda a: np.broadcast_to(a, out_shape).copy()  # noqa: E731
    if np.any(threshold):
        warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, n = d): u, the variance and the "
                      "total are infinite", RuntimeWarning, stacklevel=2)
    return RidgeMixtureRisk(bc(bias), bc(variance), bc(zeta), bc(total), bc(mu.reshape(shape)), bc(u))


@validate(lam=NONNEGATIVE, p2=PROBABILITY)
def collapse_floor(lam, p2, eigenvalues, eigenvalues2, *, c2: float = 1.0, r2: float = 1.0, gamma=None, delta=None,
                   multiplicities=None) -> np.ndarray:
    """The n → ∞ limit of the covariate-shift test error at fixed d (τ_k → 0, R̄ → (Σ_p + λ)⁻¹):

        E_∞ = λ²·tr ΓΣ₁(Σ_p + λ)⁻² + p₂²·tr ΔΣ₁Σ₂²(Σ_p + λ)⁻²,    Σ_p = p₁Σ₁ + p₂Σ₂

    (the pooled ridge tends to (Σ_p + λ)⁻¹(Σ_p w₁ + p₂Σ₂δ)). Ridgeless: p₂²·tr ΔΣ₁Σ₂²Σ_p⁻², so covariate shift
    moves the floor p₂²c² of the single-covariance case (which it equals at Σ₂ = Σ₁). ``lam`` and ``p2``
    broadcast; priors as in :func:`predict` (defaults normalised by tr Σ₁). docs/theory.md §2.7.
    """
    s1, m = spectrum_arrays(eigenvalues, multiplicities, "collapse_floor")
    s2 = second_spectrum(eigenvalues2, s1, "collapse_floor")
    gam, dlt = resolve_priors(s1, m, r2, c2, gamma, delta, "collapse_floor")
    lam_b, p2_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(p2, dtype=float))
    lam_f, p2_f = lam_b.ravel()[:, None], p2_b.ravel()[:, None]
    sp = (1.0 - p2_f) * s1 + p2_f * s2
    pos = s1 > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        den = sp + lam_f
        shrink = np.where(pos, np.where(den > 0, lam_f / den, 0.0), 0.0)  # λ/(σ_p + λ), bounded ratios
        signal = np.where(pos, np.where(den > 0, p2_f * s2 / den, 0.0), 0.0)  # p₂σ₂/(σ_p + λ)
        out = np.sum(m * s1 * (gam * shrink**2 + dlt * signal**2), axis=-1)
    if not np.all(np.isfinite(out)):
        raise UnrepresentableError("The 'r2' and 'c2' parameters of collapse_floor give a floor beyond the float64 "
                                   "range (1.8e308); scale them down.")
    return out.reshape(lam_b.shape)
