"""Ridge toolkit: degrees of freedom, the fixed point κ, the variance factor u, and the clean ridge risk.

Conventions (docs/theory.md §1):

- Ridge on n samples minimises (1/n)‖Xw − y‖² + λ‖w‖², i.e. ŵ = (XᵀX + nλI)⁻¹Xᵀy ("penalty scaled by
  n"). A user whose penalty multiplies ‖w‖² next to the *sum* ‖Xw − y‖² passes λ/n.
- Rows x ~ N(0, Σ); only Σ's eigenvalues ω_i enter. Optional ``multiplicities`` m_i (any non-negative
  weights, e.g. quadrature weights of a continuous spectrum) stand for repeated eigenvalues:
  every trace below is Σ_i m_i f(ω_i).
- df₁(t) = tr Σ(Σ + t)⁻¹ = Σ m ω/(ω + t);  df₂(t) = tr Σ²(Σ + t)⁻² = Σ m ω²/(ω + t)².
- κ is the unique κ > 0 with κ − λ = κ·df₁(κ)/n. For λ = 0: κ = 0 when d_eff = Σ_{ω>0} m ≤ n, and the
  positive root of df₁(κ) = n when d_eff > n.
- u = df₂(κ)/(n − df₂(κ)), so 1 + u = 1/(1 − df₂/n); u = inf when df₂(κ) ≥ n (ridgeless at n = d).

Source: Strong Model Collapse (Dohmatob, Feng, Subramonian, Kempe), deterministic equivalents of §3;
the same κ is the "effective regularisation" of Bach (2024) and of Marchenko-Pastur ridge analyses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import plain
from model_collapse.numerics import require_representable, times_square
from model_collapse.validation import NONNEGATIVE, POSITIVE, InvalidParameterError, check_param, validate

__all__ = [
    "KappaConvergenceError",
    "df1",
    "df2",
    "kappa",
    "u",
    "isotropic_kappa",
    "isotropic_u",
    "RidgeRisk",
    "ridge_risk",
    "spectrum_arrays",
]

_EPS = np.finfo(float).eps
_CHUNK = 32_768  # (points x eigenvalues) block size of the spectral sums: cache-sized (10x faster than 2e6)


class KappaConvergenceError(ArithmeticError):
    """The κ iteration did not converge; ``.last`` holds the last iterate for the failing points."""

    def __init__(self, message: str, last: np.ndarray):
        super().__init__(message)
        self.last = last


def spectrum_arrays(eigenvalues, multiplicities=None, where: str = "kappa") -> tuple[np.ndarray, np.ndarray]:
    """Validate a spectrum: returns float arrays (ω, m), ω ≥ 0 finite, m ≥ 0 finite, same length ≥ 1."""
    w = np.atleast_1d(np.asarray(eigenvalues, dtype=float))
    if w.ndim != 1 or w.size == 0:
        raise InvalidParameterError.of(
            "eigenvalues", where, f"must be a non-empty 1-D array. Got shape {w.shape} instead."
        )
    check_param("eigenvalues", w, NONNEGATIVE, where)
    if multiplicities is None:
        m = np.ones_like(w)
    else:
        m = np.atleast_1d(np.asarray(multiplicities, dtype=float))
        if m.shape != w.shape:
            raise InvalidParameterError.of(
                "multiplicities", where, f"must have the shape of 'eigenvalues' {w.shape}. "
                f"Got {m.shape} instead."
            )
        check_param("multiplicities", m, NONNEGATIVE, where)
    return w, m


def _blocks(npoints: int, d: int):
    step = max(1, _CHUNK // max(d, 1))
    for start in range(0, npoints, step):
        yield slice(start, min(start + step, npoints))


def _rowdot(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Σ_i a[p, i]·m_i for each row p: numpy's pairwise sum along each row, so a point's number does not depend
    on how many other points share the call (BLAS ``a @ m`` sums a row differently by its position in the block:
    a grid evaluated at once then differs from point-by-point calls in the last bits). Overwrites ``a``."""
    a *= m
    return np.sum(a, axis=-1)


def _distinct(*flat: np.ndarray) -> tuple[list[np.ndarray], np.ndarray] | None:
    """The distinct tuples of equal-length 1-D arrays and the index of each element's tuple, or None when
    all are distinct (a grid's n × p2 × σ points share one κ per (λ, n): solved once, not per point)."""
    if flat[0].size < 2:
        return None
    keys = np.stack([np.asarray(a, dtype=float) for a in flat], axis=-1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    if uniq.shape[0] == keys.shape[0]:
        return None
    return [uniq[:, j].copy() for j in range(len(flat))], inverse.reshape(-1)


def spectral_sum(kappa_flat: np.ndarray, w: np.ndarray, m: np.ndarray, term) -> np.ndarray:
    """Σ_i m_i·term(κ, ω_i) for each κ in ``kappa_flat`` (1-D), evaluated in memory-bounded blocks."""
    dup = _distinct(kappa_flat)
    if dup is not None:
        (k_unique,), inverse = dup
        return spectral_sum(k_unique, w, m, term)[inverse]
    out = np.empty(kappa_flat.shape, dtype=float)
    for sl in _blocks(kappa_flat.size, w.size):
        k = kappa_flat[sl, None]
        out[sl] = _rowdot(term(k, w[None, :]), m)
    return out


def _mass_at_most(k: np.ndarray, w: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Σ_{ω ≤ κ} m for each κ (1-D): a sorted cumulative sum, so that no (points × d) indicator is summed."""
    order = np.argsort(w, kind="stable")
    cum = np.concatenate(([0.0], np.cumsum(m[order])))
    return cum[np.searchsorted(w[order], k, side="right")]


def _n_minus_df1(k: np.ndarray, w: np.ndarray, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """n − df₁(κ) without cancellation: for ω > κ use ω/(ω+κ) = 1 − κ/(ω+κ).

    With r = κ/(ω+κ): n − df₁ = (n − Σ_{ω>κ} m) + Σ_{ω>κ} m·r − Σ_{0<ω≤κ} m·(1 − r), where r ≥ 1/2 on the
    second set, so r − 1 is exact (Sterbenz). ``k`` and ``n`` are 1-D (one entry per point).
    """
    pos = w > 0
    wp, mp = w[pos], m[pos]
    big_mass = float(mp.sum()) - _mass_at_most(k, wp, mp)
    out = np.empty(k.shape, dtype=float)
    for sl in _blocks(k.size, wp.size):
        kk = k[sl, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = kk / (wp[None, :] + kk)
        r -= wp[None, :] <= kk  # r on ω > κ, r − 1 = −ω/(ω+κ) on ω ≤ κ
        out[sl] = (n[sl] - big_mass[sl]) + _rowdot(r, mp)
    return out


def _n_minus_df2(k: np.ndarray, w: np.ndarray, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """n − df₂(κ) without cancellation: for ω > κ use ω²/(ω+κ)² = 1 − κ(2ω+κ)/(ω+κ)² = 1 − r(2 − r).

    With r = κ/(ω+κ): n − df₂ = (n − Σ_{ω>κ} m) + Σ_{ω>κ} m·r(2 − r) − Σ_{0<ω≤κ} m·(1 − r)² (1 − r is exact
    there, and its rounding error enters (1 − r)² only as 2(1 − r)·ε). Ratios only: (ω+κ)² would underflow
    for ω ≈ 1e-302.
    """
    pos = w > 0
    wp, mp = w[pos], m[pos]
    big_mass = float(mp.sum()) - _mass_at_most(k, wp, mp)
    out = np.empty(k.shape, dtype=float)
    for sl in _blocks(k.size, wp.size):
        kk = k[sl, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = kk / (wp[None, :] + kk)
        q = np.subtract(1.0, r)
        term = np.add(q, 1.0)
        term *= r  # r(2 − r) on ω > κ
        np.multiply(q, q, out=q)
        np.negative(q, out=q)
        np.copyto(term, q, where=wp[None, :] <= kk)  # −(1 − r)² on ω ≤ κ
        out[sl] = (n[sl] - big_mass[sl]) + _rowdot(term, mp)
    return out


def df1(t, eigenvalues, multiplicities=None) -> np.ndarray:
    """df₁(t) = tr Σ(Σ + tI)⁻¹ = Σ_i m_i ω_i/(ω_i + t), for t ≥ 0 (array, broadcast)."""
    w, m = spectrum_arrays(eigenvalues, multiplicities, "df1")
    check_param("t", t, NONNEGATIVE, "df1")
    t = np.asarray(t, dtype=float)
    flat = t.ravel()

    def term(k, ww):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ww > 0, ww / (ww + k), 0.0)

    return spectral_sum(flat, w, m, term).reshape(t.shape)


def df2(t, eigenvalues, multiplicities=None) -> np.ndarray:
    """df₂(t) = tr Σ²(Σ + tI)⁻² = Σ_i m_i ω_i²/(ω_i + t)², for t ≥ 0 (array, broadcast)."""
    w, m = spectrum_arrays(eigenvalues, multiplicities, "df2")
    check_param("t", t, NONNEGATIVE, "df2")
    t = np.asarray(t, dtype=float)

    return spectral_sum(t.ravel(), w, m, _sq_ratio).reshape(t.shape)


_NEWTON_STEPS = 30


def _solve_kappa(lam: np.ndarray, n: np.ndarray, w: np.ndarray, m: np.ndarray, max_iter: int = 400) -> np.ndarray:
    """Vectorised safeguarded Newton on g(κ) = κ·(n − df₁(κ))/n − λ, 1-D inputs.

    g is convex with g(0) = 0, so it has exactly one root κ* > 0 when λ > 0 (or when λ = 0 and
    d_eff > n). The bracket [lo, hi] with g(lo) ≤ 0 ≤ g(hi) is kept at every step; a Newton step that
    leaves it is replaced by bisection, so the iteration always converges. Newton from the right of
    the root of a convex increasing function is monotone, so in practice bisection is rarely needed.
    """
    trace = float(w @ m)
    d_eff = float(m[w > 0].sum())
    out = np.zeros_like(lam)
    ridgeless = lam == 0
    # lambda = 0 and d_eff <= n: kappa = 0 exactly.
    todo = ~(ridgeless & (d_eff <= n))
    if not todo.any():
        return out
    lam_t, n_t = lam[todo], n[todo]
    hi = lam_t + trace / n_t  # g(hi) >= 0: df1(k) <= tr/k
    lo = lam_t.copy()  # g(lam) <= 0
    # A tighter upper bound where df₁(λ) < n: κ₁ = λ·n/(n − df₁(λ)) ≥ λ, and df₁(κ₁) ≤ df₁(λ) gives
    # g(κ₁) ≥ κ₁(1 − df₁(λ)/n) − λ = 0. Close to the root when df₁/n is small (n ≫ d): fewer Newton steps.
    ridge_pts = lam_t > 0
    if ridge_pts.any():
        slack = _n_minus_df1(lam_t[ridge_pts], w, m, n_t[ridge_pts])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            k1 = lam_t[ridge_pts] * (n_t[ridge_pts] / slack)
        better = (slack > 0) & np.isfinite(k1) & (k1 < hi[ridge_pts])
        hi[ridge_pts] = np.where(better, k1, hi[ridge_pts])
    # lambda = 0, d_eff > n: find lo > 0 with n - df1(lo) < 0 by geometric search below hi.
    zero = lam_t == 0
    if zero.any():
        lo_z = hi[zero].copy()
        n_z = n_t[zero]
        for _ in range(2100):
            s = _n_minus_df1(lo_z, w, m, n_z)
            neg = s < 0
            if neg.all():
                break
            lo_z = np.where(neg, lo_z, lo_z * 0.25)
        else:  # pragma: no cover - only for absurd spectra
            raise KappaConvergenceError("kappa: could not bracket the ridgeless root", lo_z)
        lo[zero] = lo_z

    x = hi.copy()
    active = np.ones(x.shape, dtype=bool)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xa, la, na = x[idx], lam_t[idx], n_t[idx]
        g = xa * (_n_minus_df1(xa, w, m, na) / na) - la  # divide first: κ·n overflows at λ ≈ 1e308
        gp = _n_minus_df2(xa, w, m, na) / na  # g'(κ) = 1 − df₂(κ)/n
        pos = g > 0
        hi[idx] = np.where(pos, xa, hi[idx])
        lo[idx] = np.where(pos, lo[idx], xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - g / gp
        lo_a, hi_a = lo[idx], hi[idx]
        # Newton normally converges in < 10 steps; if residual noise makes it wander (ill-conditioned
        # roots, e.g. d_eff just above n with λ = 0), pure bisection takes over and always terminates.
        inside = np.isfinite(newton) & (newton >= lo_a) & (newton <= hi_a) & (it < _NEWTON_STEPS)
        mid = lo_a + 0.5 * (hi_a - lo_a)  # not (lo + hi)/2, which overflows near 1e308
        bisect = np.where(lo_a > 0, np.sqrt(lo_a) * np.sqrt(hi_a), mid)  # not √(lo·hi): overflows at λ ≈ 1e300
        bisect = np.where((hi_a / np.maximum(lo_a, 1e-300)) < 4, mid, bisect)
        xn = np.where(g == 0, xa, np.where(inside, newton, bisect))
        done = (np.abs(xn - xa) <= 4 * _EPS * np.abs(xn)) | (hi_a - lo_a <= 4 * _EPS * hi_a) | (g == 0)
        x[idx] = xn
        active[idx[done]] = False
    if active.any():
        raise KappaConvergenceError(
            f"kappa: no convergence after {max_iter} iterations at {int(active.sum())} points", x[active]
        )
    out[todo] = x
    return out


@validate(lam=NONNEGATIVE, n=POSITIVE)
def kappa(lam, eigenvalues, n, multiplicities=None) -> np.ndarray:
    """The effective regularisation κ: the unique κ > 0 with κ − λ = κ·df₁(κ)/n.

    ``lam`` (λ ≥ 0) and ``n`` (> 0; real values allowed) broadcast against each other; the result has
    their broadcast shape (a 0-d array for scalars). λ = 0 gives κ = 0 when d_eff ≤ n and the root of
    df₁(κ) = n when d_eff > n, d_eff = Σ_{ω>0} m. Isotropic closed form: :func:`isotropic_kappa`.

    Solved with a bracketed, safeguarded Newton iteration on the cancellation-free residual
    κ·(n − df₁(κ))/n − λ (for ω > κ, ω/(ω+κ) is written 1 − κ/(ω+κ)); relative accuracy ~1e-15,
    certified against an independent mpmath solver in ``tests/test_kappa_mpmath.py``.
    """
    w, m = spectrum_arrays(eigenvalues, multiplicities, "kappa")
    lam_b, n_b = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(n, dtype=float))
    shape = lam_b.shape
    lam_f, n_f = lam_b.ravel().copy(), n_b.ravel().copy()
    dup = _distinct(lam_f, n_f)
    if dup is not None:  # each distinct (λ, n) once: exactly the same numbers (row sums do not mix points)
        (lam_u, n_u), inverse = dup
        return _solve_kappa(lam_u, n_u, w, m)[inverse].reshape(shape)
    res = _solve_kappa(lam_f, n_f, w, m)
    return res.reshape(shape)


@validate(kappa=NONNEGATIVE, n=POSITIVE)
def u(kappa, eigenvalues, n, multiplicities=None) -> np.ndarray:
    """u = df₂(κ)/(n − df₂(κ)) (so 1 + u = 1/(1 − df₂/n)); inf where df₂(κ) ≥ n.

    n − df₂ is evaluated without cancellation (for ω > κ, ω²/(ω+κ)² = 1 − κ(2ω+κ)/(ω+κ)²).
    """
    w, m = spectrum_arrays(eigenvalues, multiplicities, "u")
    k_b, n_b = np.broadcast_arrays(np.asarray(kappa, dtype=float), np.asarray(n, dtype=float))
    k, nn = k_b.ravel(), n_b.ravel()
    dup = _distinct(k, nn)
    if dup is not None:
        (k_u, n_u), inverse = dup
        return u(k_u, w, n_u, m)[inverse].reshape(k_b.shape)
    t = _n_minus_df2(k, w, m, nn)  # the denominator, cancellation-free near the threshold
    d2 = spectral_sum(k, w, m, _sq_ratio)  # df2 itself, directly (n − t would cancel when df2 << n)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.where(t > 0, d2 / np.where(t > 0, t, 1.0), np.inf)
    return res.reshape(k_b.shape)


@validate(lam=NONNEGATIVE, phi=POSITIVE)
def isotropic_kappa(lam, phi) -> np.ndarray:
    """Isotropic Σ = I, φ = d/n: κ = [λ + φ − 1 + √((λ + φ − 1)² + 4λ)]/2.

    Ridgeless: κ = 0 for φ ≤ 1, κ = φ − 1 for φ > 1. Evaluated in a cancellation-free form
    (2λ/(√(...) − (λ+φ−1)) when λ + φ − 1 < 0).
    """
    lam, phi = np.broadcast_arrays(np.asarray(lam, dtype=float), np.asarray(phi, dtype=float))
    b = lam + (phi - 1.0)  # not (lam + phi) - 1: that loses lam when lam << 1 = phi
    root = np.sqrt(b * b + 4.0 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        alt = 2.0 * lam / (root - b)
    out = np.where(b >= 0, 0.5 * (b + root), np.where(lam > 0, alt, 0.0))
    return out


@validate(kappa=NONNEGATIVE, phi=POSITIVE)
def isotropic_u(kappa, phi) -> np.ndarray:
    """Isotropic u = φ/((1+κ)² − φ); inf where (1+κ)² ≤ φ (the ridgeless interpolation threshold)."""
    k, phi = np.broadcast_arrays(np.asarray(kappa, dtype=float), np.asarray(phi, dtype=float))
    den = (1.0 + k) ** 2 - phi
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, phi / np.where(den > 0, den, 1.0), np.inf)


def _sq_ratio(k, w):
    """(ω/(ω+κ))², 0 where ω = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, (w / (w + k)) ** 2, 0.0)


def _w_over_sq(k, w):
    """ω/(ω+κ)², 0 where ω = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, w / (w + k) ** 2, 0.0)


def _w_kappa_ratio_sq(k, w):
    """ω·(κ/(ω+κ))² = κ²·ω/(ω+κ)², 0 where ω = 0: the bias weight with κ² inside (κ = 1e200 would overflow κ²)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, w * (k / (w + k)) ** 2, 0.0)


def _w_ratio_sq(k, w):
    """ω·(ω/(ω+κ))² = ω³/(ω+κ)², 0 where ω = 0 (ω³ would underflow for ω ≈ 1e-110)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, w * (w / (w + k)) ** 2, 0.0)


@dataclass(frozen=True)
class RidgeRisk:
    """Clean ridge excess risk E‖ŵ − w‖²_Σ = bias + variance, with κ and u (arrays, broadcast shape)."""

    bias: np.ndarray
    variance: np.ndarray
    total: np.ndarray
    kappa: np.ndarray
    u: np.ndarray

    def as_dict(self) -> dict:
        return {k: plain(getattr(self, k)) for k in ("bias", "variance", "total", "kappa", "u")}


@validate(lam=NONNEGATIVE, n=POSITIVE, sigma=NONNEGATIVE)
def ridge_risk(lam, eigenvalues, n, teacher, sigma, multiplicities=None) -> RidgeRisk:
    """Deterministic-equivalent excess risk of ridge on clean data (docs/theory.md §1).

    bias = (1+u)·κ²·Σ_i m_i Γ_i ω_i/(ω_i+κ)²,  variance = σ²·u,  total = bias + variance,
    with teacher prior w ~ N(0, Γ), Γ diagonal in Σ's eigenbasis (``teacher`` = Γ_ii), label noise σ².
    The ridge mixture with p₂ = 0 (:func:`theory.ridge_mixture.test_error`) equals this.
    Simulator twin: :func:`montecarlo.ridge.simulate`.
    """
    w, m = spectrum_arrays(eigenvalues, multiplicities, "ridge_risk")
    gam = np.broadcast_to(np.asarray(teacher, dtype=float), w.shape)
    check_param("teacher", gam, NONNEGATIVE, "ridge_risk")
    k = kappa(lam, w, n, m)
    uu = u(k, w, np.broadcast_to(np.asarray(n, dtype=float), k.shape), m)
    flat = k.ravel()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        tg = spectral_sum(flat, w, m * gam, _w_kappa_ratio_sq).reshape(k.shape)  # κ²·tr ΓΣ(Σ+κ)⁻²
        bias = np.where(tg > 0, (1 + uu) * tg, 0.0)
        var = times_square(sigma, uu)
        total = bias + var
    require_representable("ridge_risk", "variance", var[np.isfinite(uu)], "sigma", sigma, uu[np.isfinite(uu)])
    require_representable("ridge_risk", "total", total[np.isfinite(uu)], "teacher", "an array")
    return RidgeRisk(bias=bias, variance=var, total=total, kappa=k, u=uu)
