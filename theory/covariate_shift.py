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
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    PROBABILITY,
    InvalidParameterError,
    Options,
    check_param,
    validate,
)

__all__ = [
    "ShiftFixedPoint",
    "ShiftRiskPieces",
    "fixed_point",
    "risk_pieces",
    "predict",
    "second_spectrum",
]

_EPS = np.finfo(float).eps
_CHUNK = 1_000_000  # (points x eigenvalues) floats per block
PENALTY = Options(("mean", "sum"))


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
        raise InvalidParameterError(
            f"The 'eigenvalues2' parameter of {where} must have the shape of 'eigenvalues' {w.shape}. "
            f"Got {s2.shape} instead.")
    check_param("eigenvalues2", s2, NONNEGATIVE, where)
    if np.any((s2 > 0) != (w > 0)):
        raise InvalidParameterError(
            f"The 'eigenvalues2' parameter of {where} must be zero exactly where 'eigenvalues' is zero (the "
            "two covariances share their support). Got a different set of zero eigenvalues instead.")
    return s2


def _blocks(npoints: int, d: int):
    step = max(1, _CHUNK // max(d, 1))
    for start in range(0, npoints, step):
        yield slice(start, min(start + step, npoints))


def _n_minus_df1(mu, S, m, n):
    """n − Σ m·S/(S + μ) per point, cancellation-free (for S > μ use S/(S+μ) = 1 − μ/(S+μ)). S: (P, d)."""
    big = S > mu[:, None]
    den = S + mu[:, None]
    safe = np.where(den > 0, den, 1.0)
    small = np.where(big, 0.0, S / safe)
    bigt = np.where(big, mu[:, None] / safe, 0.0)
    return (n - big @ m) + bigt @ m - small @ m


def _n_minus_df2(mu, S, m, n):
    """n − Σ m·S²/(S + μ)² per point, cancellation-free."""
    big = S > mu[:, None]
    den = S + mu[:, None]
    safe = np.where(den > 0, den, 1.0)
    small = np.where(big, 0.0, (S / safe) ** 2)
    bigt = np.where(big, (mu[:, None] / safe) * ((2 * S + mu[:, None]) / safe), 0.0)
    return (n - big @ m) + bigt @ m - small @ m


def _solve_mu(lam, n, S, m, start, zero_root):
    """μ with μ − λ = μ·df₁(μ)/n for each row of S (spectra Σ_α), by Newton from the right.

    g(μ) = μ(n − df₁(μ))/n − λ is convex and increasing right of its root, so Newton started at a point
    with g ≥ 0 decreases monotonically to the root (no overshoot); ``start`` entries with g < 0 are
    replaced by λ + tr Σ_α/n, where g ≥ 0 always. ``zero_root``: λ = 0 and d_eff ≤ n, where μ = 0.
    """
    mu = np.zeros_like(lam)
    todo = np.flatnonzero(~zero_root)
    if todo.size == 0:
        return mu
    la, na, Sa = lam[todo], n[todo], S[todo]
    hi = la + (Sa @ m) / na
    x = np.where(np.isfinite(start[todo]) & (start[todo] > 0), start[todo], hi)
    g = x * (_n_minus_df1(x, Sa, m, na) / na) - la
    x = np.where(g >= 0, x, hi)
    active = np.arange(todo.size)
    for _ in range(300):
        if active.size == 0:
            break
        xa = x[active]
        Sb, nb, lb = Sa[active], na[active], la[active]
        g = xa * (_n_minus_df1(xa, Sb, m, nb) / nb) - lb
        gp = _n_minus_df2(xa, Sb, m, nb) / nb
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(gp > 0, g / gp, 0.0)
        xn = np.where(g > 0, np.maximum(xa - step, 0.0), xa)
        done = (g <= 0) | (np.abs(xn - xa) <= 4 * _EPS * np.abs(xn)) | (xn == 0)
        x[active] = xn
        active = active[~done]
    else:  # pragma: no cover - Newton from the right of a convex root always converges
        raise KappaConvergenceError("covariate_shift: the mu iteration did not converge", x[active])
    mu[todo] = x
    return mu


def _alpha_residual(a, lam, n, p2, s1, s2, m, mu_prev, zero_root):
    """F(α₂) = α₂ + α₁α₂·tr(Σ₂ − Σ₁)(μ + Σ_α)⁻¹/n − p₂ and μ(α₂), for 1-D arrays (one entry per point)."""
    S = (1.0 - a)[:, None] * s1 + a[:, None] * s2
    mu = _solve_mu(lam, n, S, m, mu_prev, zero_root)
    den = S + mu[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, (s2 - s1) / np.where(den > 0, den, 1.0), 0.0)
    return a + a * (1.0 - a) * ((ratio @ m) / n) - p2, mu


def _solve_block(lam, n, p2, s1, s2, m, d_eff):
    """(μ, α₂) for 1-D arrays lam, n, p2 (one block of points): Illinois on α₂ ∈ [0, 1], μ(α₂) inside."""
    zero_root = (lam == 0) & (d_eff <= n)
    alpha = p2.copy()  # exact at the ends: p₂ = 0 (no synthetic rows), p₂ = 1 (no real rows)
    inner = np.flatnonzero((p2 > 0) & (p2 < 1))
    mu_guess = np.full(lam.size, np.nan)
    if inner.size:
        la, na, pa, za = lam[inner], n[inner], p2[inner], zero_root[inner]
        lo, hi = np.zeros(inner.size), np.ones(inner.size)
        flo, fhi = -pa, 1.0 - pa  # F(0) = −p₂ < 0 < F(1) = 1 − p₂
        side = np.zeros(inner.size, dtype=int)
        a = pa.copy()  # first guess α₂ = p₂ (the root when Σ₂ = Σ₁)
        mu_i = np.full(inner.size, np.nan)
        act = np.arange(inner.size)
        for it in range(200):
            if act.size == 0:
                break
            F, mu_i[act] = _alpha_residual(a[act], la[act], na[act], pa[act], s1, s2, m, mu_i[act], za[act])
            pos, neg = F > 0, F < 0
            # Illinois: when the same end is replaced twice in a row, halve the function value kept at the other
            flo[act] = np.where(pos & (side[act] == 1), 0.5 * flo[act], flo[act])
            fhi[act] = np.where(neg & (side[act] == -1), 0.5 * fhi[act], fhi[act])
            hi[act] = np.where(pos, a[act], hi[act])
            fhi[act] = np.where(pos, F, fhi[act])
            lo[act] = np.where(neg, a[act], lo[act])
            flo[act] = np.where(neg, F, flo[act])
            side[act] = np.where(pos, 1, np.where(neg, -1, 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                an = (lo[act] * fhi[act] - hi[act] * flo[act]) / (fhi[act] - flo[act])
            mid = lo[act] + 0.5 * (hi[act] - lo[act])
            an = np.where(~np.isfinite(an) | (an <= lo[act]) | (an >= hi[act]) | (it > 60), mid, an)
            done = (F == 0) | (hi[act] - lo[act] <= 4 * _EPS * hi[act]) | (np.abs(an - a[act]) <= 2 * _EPS * a[act])
            a[act] = np.where(F == 0, a[act], an)
            act = act[~done]
        else:  # pragma: no cover - the bracket halves at least every other step after step 60
            raise KappaConvergenceError("covariate_shift: the alpha2 iteration did not converge", a[act])
        alpha[inner] = a
        mu_guess[inner] = mu_i
    S = (1.0 - alpha)[:, None] * s1 + alpha[:, None] * s2
    mu = _solve_mu(lam, n, S, m, mu_guess, zero_root)  # μ at the final α₂
    return mu, alpha


def _prepare(lam, n, p2):
    lam_b, n_b, p2_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(n, dtype=float),
                                           np.asarray(p2, dtype=float))
    return lam_b.shape, lam_b.ravel().copy(), n_b.ravel().copy(), p2_b.ravel().copy()


def _fixed_point_flat(lam, n, p2, s1, s2, m):
    d_eff = float(m[s1 > 0].sum())
    mu = np.empty_like(lam)
    alpha = np.empty_like(lam)
    for sl in _blocks(lam.size, s1.size):
        mu[sl], alpha[sl] = _solve_block(lam[sl], n[sl], p2[sl], s1, s2, m, d_eff)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(mu > 0, lam / np.where(mu > 0, mu, 1.0), np.maximum(1.0 - d_eff / n, 0.0))
    return mu, alpha, t


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE)
def fixed_point(n, p2, lam, eigenvalues, eigenvalues2, multiplicities=None) -> ShiftFixedPoint:
    """Solve the two-population fixed point τ_k = tr Σ_k R̄/n, R̄ = (λ + Σ_k p_kΣ_k/(1+τ_k))⁻¹.

    Returned in scaled units (see the module docstring): μ, α₂, t = λ/μ and τ₁, τ₂. Robust by
    construction: for each α₂, μ solves the convex κ equation of the spectrum Σ_α by Newton from the
    right (monotone, no overshoot); α₂ is the unique root of
    F(α₂) = α₂ + α₁α₂·tr(Σ₂ − Σ₁)(μ + Σ_α)⁻¹/n − p₂ on the bracket [0, 1] (F(0) = −p₂ ≤ 0,
    F(1) = 1 − p₂ ≥ 0), found by the Illinois method with a bisection safeguard. λ = 0 works in both
    regimes (μ = 0 when d_eff ≤ n, μ > 0 the ridgeless root when d_eff > n). ``lam`` is in the (1/n)-scaled
    ("mean") penalty convention. docs/covariate_shift.md §2.
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
        zeta = (np.where(sums[6] > 0, a2 * a2 * (1.0 + y1) * sums[6], 0.0)
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
    from model_collapse.theory.ridge_mixture import RidgeMixtureRisk, effective_lambda, resolve_priors

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
    if np.any(~np.isfinite(total) & ~threshold):
        raise UnrepresentableError("The 'sigma', 'r2' and 'c2' parameters of predict give a test error beyond the "
                                   "float64 range (1.8e308); scale them down.")
    out_shape = np.broadcast_shapes(bias.shape, variance.shape, zeta.shape)
    bc = lambda a: np.broadcast_to(a, out_shape).copy()  # noqa: E731
    if np.any(threshold):
        warnings.warn("ridgeless fit at the interpolation threshold (lam = 0, n = d): u, the variance and the "
                      "total are infinite", RuntimeWarning, stacklevel=2)
    return RidgeMixtureRisk(bc(bias), bc(variance), bc(zeta), bc(total), bc(mu.reshape(shape)), bc(u))
