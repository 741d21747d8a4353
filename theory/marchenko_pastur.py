"""The Marchenko–Pastur law of SSᵀ and a quadrature for it accurate to ~1e-13 relative (docs/theory.md §1).

S ∈ R^{m×d} with iid N(0, 1/d) entries, γ = m/d. As m, d → ∞ the eigenvalues of the m×m matrix SSᵀ
have the law

    (1 − 1/γ)₊·δ₀ + p(x) dx,   p(x) = √((b − x)(x − a)) / (2πγx)  on [a, b] = [(1 − √γ)², (1 + √γ)²],

so the continuous part has mass min(1, 1/γ) and an atom of mass 1 − 1/γ sits at 0 when γ > 1 (m > d:
SSᵀ has rank d). A sum over the *nonzero* eigenvalues of SSᵀ is ≈ m·∫ f(x) p(x) dx.

Quadrature (:func:`quadrature`). p has square-root edges, and near γ = 1 the lower edge a → 0 where p
behaves like 1/√x (exactly so at γ = 1); the integrands of the ridge theory add poles at x = −κ ≤ 0.
With x = a + t², t ∈ [0, T], T = √(b − a) = 2γ^{1/4}:

    ∫ f(x) p(x) dx = ∫₀ᵀ f(a + t²) · t²·√(T² − t²) / (πγ(a + t²)) dt,

which removes the lower square-root edge and turns the 1/√x behaviour at γ = 1 into a constant. The
remaining singularities sit at t = ±i√a (the 1/x of p) and t = ±i√(a + κ) (poles of f), all near t = 0,
plus the square-root edge at t = T. The rule is: Gauss–Legendre panels on [0, T/2] graded geometrically
([0, s₀], [s₀, 2s₀], [2s₀, 4s₀], …) from s₀ = the smallest of those distances, so every panel sees its
nearest singularity at least one panel length away (Bernstein ellipse ρ ≥ 4.6: 16 nodes give ~1e-21), and
one Gauss–Jacobi panel (weight (T − t)^{1/2}, ``scipy.special.roots_jacobi``) on [T/2, T]. All weights are
positive, so the rule is a discrete spectrum that :mod:`theory.ridge` takes as (eigenvalues, multiplicities).
Accuracy: certified against mpmath at 30 digits in ``tests/test_marchenko_pastur.py`` (rtol 1e-10,
including γ = 1 ± 1e-6, γ = 1 exactly, and κ down to 1e-10).

General Σ (:func:`sketched_fixed_point`, docs/theory.md §3.3): the spectrum of Σ^{1/2}SᵀSΣ^{1/2} is the free
multiplicative convolution of Σ's spectrum with this law; its resolvent equivalent z(A + z)⁻¹ ≍ θ(Σ + θ)⁻¹,
θ − zd/m = θ·tr Σ(Σ + θ)⁻¹/m, coupled with the outer ridge at sample size n, is solved for many (λ, n, m) at once
(certified against mpmath in ``tests/test_rp_general.py``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from model_collapse.validation import NONNEGATIVE, POSITIVE, POSITIVE_INT, validate
from scipy.special import roots_jacobi

__all__ = ["edges", "density", "atom", "continuous_mass", "MPQuadrature", "quadrature", "integrate",
           "sketched_fixed_point"]

#: Gauss nodes per panel. The worst panel sees its nearest singularity on the Bernstein ellipse ρ ≈ 4.6,
#: so the error is ~ρ^(-2·16) ≈ 1e-21 relative per panel: far below the 1e-8 target.
PANEL_NODES = 16
#: Scales below FLOOR·T in the t variable are not resolved: they carry a fraction ~FLOOR of the integral.
FLOOR = 1e-13


@validate(gamma=POSITIVE)
def edges(gamma) -> tuple[np.ndarray, np.ndarray]:
    """Support [a, b] = [(1 − √γ)², (1 + √γ)²] of the continuous part (a computed without cancellation)."""
    g = np.asarray(gamma, dtype=float)
    sq = np.sqrt(g)
    a = ((1.0 - g) / (1.0 + sq)) ** 2  # (1 − √γ)² with 1 − √γ = (1 − γ)/(1 + √γ): exact near γ = 1
    return a, (1.0 + sq) ** 2


@validate(gamma=POSITIVE)
def density(x, gamma) -> np.ndarray:
    """p(x) = √((b − x)(x − a))/(2πγx) on [a, b], 0 outside (the atom at 0 is :func:`atom`)."""
    x = np.asarray(x, dtype=float)
    a, b = edges(gamma)
    inside = (x > a) & (x < b) & (x > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip((b - x) * (x - a), 0.0, None)) / (2.0 * np.pi * gamma * x)
    return np.where(inside, val, 0.0)


@validate(gamma=POSITIVE)
def atom(gamma) -> np.ndarray:
    """Mass of the atom at 0: max(0, 1 − 1/γ) (m > d: SSᵀ has m − d zero eigenvalues)."""
    g = np.asarray(gamma, dtype=float)
    return np.maximum(0.0, 1.0 - 1.0 / g)


@validate(gamma=POSITIVE)
def continuous_mass(gamma) -> np.ndarray:
    """Mass min(1, 1/γ) of the continuous part (the fraction of nonzero eigenvalues)."""
    return np.minimum(1.0, 1.0 / np.asarray(gamma, dtype=float))


@dataclass(frozen=True)
class MPQuadrature:
    """∫ f(x) p(x) dx ≈ Σ_i weights_i·f(nodes_i); ``atom`` is the mass at 0 (not in nodes/weights)."""

    nodes: np.ndarray
    weights: np.ndarray
    atom: float
    gamma: float

    def spectrum(self, m: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(eigenvalues, multiplicities) of m·(this law) for scale·SSᵀ: scale·nodes with m·weights, plus the
        atom as the eigenvalue 0 with multiplicity m·atom when m > d (it adds nothing to spectral sums)."""
        mu = float(scale) * self.nodes
        mult = float(m) * self.weights
        if self.atom > 0:
            mu = np.concatenate([mu, [0.0]])
            mult = np.concatenate([mult, [float(m) * self.atom]])
        return mu, mult


@functools.lru_cache(maxsize=8)
def _legendre(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(k)


@functools.lru_cache(maxsize=8)
def _jacobi_right(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Jacobi for the weight (1 − u)^{1/2} on [−1, 1]."""
    u, w = roots_jacobi(k, 0.5, 0.0)
    return np.asarray(u), np.asarray(w)


def _panel_edges(s0: float, half: float) -> np.ndarray:
    """0, s₀, 2s₀, 4s₀, … (< half), half."""
    if s0 >= half:
        return np.array([0.0, half])
    k = int(math.floor(math.log2(half / s0)))
    pts = s0 * 2.0 ** np.arange(k + 1)
    pts = pts[pts < half * (1 - 1e-12)]
    if pts.size and half / pts[-1] < 1.25:  # avoid a sliver panel next to T/2
        pts = pts[:-1]
    return np.concatenate([[0.0], pts, [half]])


@validate(gamma=POSITIVE, panel_nodes=POSITIVE_INT, scale=NONNEGATIVE)
def quadrature(gamma: float, panel_nodes: int = PANEL_NODES, *, scale: float = 0.0) -> MPQuadrature:
    """Nodes and positive weights for ∫ f(x) p(x) dx over the continuous part of the MP law.

    ``scale`` (≥ 0) is a lower bound on the distance κ of the integrands' poles at x = −κ from 0 (pass
    κ, or any κ_lower ≤ κ such as the ridge λ, since κ ≥ λ); it only matters when γ is within ~1e-13
    of 1 (a ≈ 0), where the graded panels must resolve the scale √κ instead of √a. Finer grading than
    needed is always accurate, so an under-estimate of κ is safe. Weights sum to min(1, 1/γ) to ~1e-15.
    See the module docstring for the construction and accuracy.
    """
    g = float(gamma)
    a, b = (float(v) for v in edges(g))
    T = 2.0 * g**0.25  # √(b − a) = √(4√γ)
    floor = FLOOR * T
    if a >= floor**2:
        s0 = math.sqrt(a)
    else:
        s0 = max(floor, math.sqrt(a + float(scale)))
    half = 0.5 * T
    cuts = _panel_edges(s0, half)
    u, wl = _legendre(int(panel_nodes))
    lo, hi = cuts[:-1, None], cuts[1:, None]
    t_left = (0.5 * (lo + hi) + 0.5 * (hi - lo) * u[None, :]).ravel()
    w_left = (0.5 * (hi - lo) * wl[None, :]).ravel() * np.sqrt((T - t_left) * (T + t_left))
    uj, wj = _jacobi_right(int(panel_nodes))
    t_right = 0.75 * T + 0.25 * T * uj  # T − t = (T/4)(1 − u)
    w_right = wj * (0.25 * T) * math.sqrt(0.25 * T) * np.sqrt(T + t_right)
    t = np.concatenate([t_left, t_right])
    wt = np.concatenate([w_left, w_right])
    x = a + t * t
    weights = wt * (t * t / x) / (math.pi * g)
    return MPQuadrature(nodes=x, weights=weights, atom=float(atom(g)), gamma=g)


@validate(gamma=POSITIVE, scale=NONNEGATIVE)
def integrate(f, gamma: float, *, scale: float = 0.0) -> float:
    """∫ f(x) p(x) dx over the continuous part (f vectorised over x); see :func:`quadrature`."""
    q = quadrature(gamma, scale=scale)
    return float(np.dot(q.weights, f(q.nodes)))


# ----------------------------------------------------------------------------------------------------------------
# General Σ: the free multiplicative convolution of the MP law with Σ's spectrum (docs/theory.md §3.3)
# ----------------------------------------------------------------------------------------------------------------
#
# A = Σ^{1/2}SᵀSΣ^{1/2} (d × d, the same nonzero eigenvalues as C = SΣSᵀ) is A = (1/d)YᵀY with m rows
# y ~ N(0, Σ): a sample covariance, whose resolvent has the deterministic equivalent
#     z(A + z)⁻¹ ≍ θ(Σ + θ)⁻¹,   θ − zd/m = θ·D(θ)/m,   D(θ) = tr Σ(Σ + θ)⁻¹
# (the spectrum of A is the free multiplicative convolution of μ_Σ with the MP law of ratio m/d). The outer ridge
# at sample size n, κ − λ = κ·tr A(A + κ)⁻¹/n, closes the system: with z = κ, κ = θ(m − D)/d and
# λ = κ(n − D)/n, i.e. the single equation θ(m − D(θ))(n − D(θ)) = λdn on θ > θ*, D(θ*) = min(m, n).

#: (points × spectrum groups) block size: cache-sized.
_BLOCK = 1 << 16
_TINY = np.finfo(float).tiny


_GRID = 192
_LOG_THETA_MAX = float(np.log(1e300))  # log θ grid that brackets every root before the Newton polish


def _split_sums(theta: np.ndarray, w: np.ndarray, mult: np.ndarray, cum: np.ndarray, need_d: bool = True):
    """For each θ (1-D): mass of {ω > θ}, Σ m·a with a = r on ω > θ and r − 1 on ω ≤ θ (r = θ/(ω + θ)),
    Σ m·r(1 − r) = D − D₂ and D = Σ m(1 − r). Then X − D(θ) = (X − mass_big) + Σ m·a without cancellation
    (``theory.ridge``'s device). ``w`` sorted ascending, positive; ``cum`` its cumulative multiplicities."""
    big = cum[-1] - cum[np.searchsorted(w, theta, side="right")]
    sa = np.empty(theta.shape)
    dd = np.empty(theta.shape)
    dsum = np.empty(theta.shape) if need_d else None
    step = max(1, _BLOCK // w.size)
    for s in range(0, theta.size, step):
        t = theta[s:s + step, None]
        inv = np.add(w[None, :], t)
        np.divide(1.0, inv, out=inv)
        r = t * inv
        q = np.multiply(w[None, :], inv, out=inv)  # ω/(ω + θ) directly: 1 − r loses it when θ ≫ ω
        if need_d:
            dsum[s:s + step] = q @ mult
        q *= r
        dd[s:s + step] = q @ mult
        r -= w[None, :] <= t
        sa[s:s + step] = r @ mult
    return big, sa, dd, dsum


def _table(w: np.ndarray, mult: np.ndarray, cum: np.ndarray):
    """Exact split sums on a fixed log θ grid spanning the spectrum (depends on Σ only)."""
    xg = np.linspace(np.log(w[0]) - 12.0, np.log(w[-1]) + 12.0, _GRID)
    big, sa, dd, dsum = _split_sums(np.exp(xg), w, mult, cum)
    return xg, big, sa, dd, dsum


def _start(pos: np.ndarray, f_at, xg: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Bracket and start per row from the sign of an increasing residual on the grid (``pos``: rows × grid,
    residual > 0): the cell of the sign change and linear interpolation of ``f_at(rows, cols)`` inside it;
    beyond the grid, the analytic bracket end and the grid end."""
    j = np.argmax(pos, axis=1)
    j = np.where(pos.any(axis=1), j, xg.size)
    rows = np.arange(pos.shape[0])
    jl, jh = np.maximum(j - 1, 0), np.minimum(j, xg.size - 1)
    lo_n = np.maximum(np.where(j > 0, xg[jl], lo), lo)
    hi_n = np.minimum(np.where(j < xg.size, xg[jh], hi), hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        f0 = np.where(j > 0, f_at(rows, jl), -np.inf)
        f1 = np.where(j < xg.size, f_at(rows, jh), np.inf)
        frac = -f0 / (f1 - f0)
    x0 = np.where(np.isfinite(frac), lo_n + np.clip(frac, 0.05, 0.95) * (hi_n - lo_n),
                  np.where(j == 0, hi_n, np.where(j == xg.size, lo_n, 0.5 * (lo_n + hi_n))))
    return lo_n, hi_n, np.clip(x0, lo_n, hi_n)


def _log_newton(resid, lo: np.ndarray, hi: np.ndarray, x0: np.ndarray, max_iter: int = 200) -> np.ndarray:
    """Root of an increasing F(x) on [lo, hi] (x = log θ), vectorised: Newton steps, bisection when a step
    leaves the bracket (kept at every step); ``resid(x, idx) -> (F, F')`` on the active points."""
    x = x0.copy()
    lo, hi = lo.copy(), hi.copy()
    active = np.ones(x.shape, dtype=bool)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            return x
        xa = x[idx]
        f, fp = resid(xa, idx)
        pos = f > 0
        hi[idx] = np.where(pos, xa, hi[idx])
        lo[idx] = np.where(pos, lo[idx], xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - f / fp
        la, ha = lo[idx], hi[idx]
        inside = np.isfinite(newton) & (newton >= la) & (newton <= ha) & (it < 60)
        xn = np.where(f == 0, xa, np.where(inside, newton, 0.5 * (la + ha)))
        scale = np.maximum(1.0, np.abs(xn))
        done = (np.abs(xn - xa) <= 2e-15 * scale) | (ha - la <= 4e-15 * scale) | (f == 0)
        x[idx] = xn
        active[idx[done]] = False
    raise ArithmeticError(f"sketched fixed point: no convergence at {int(active.sum())} points")  # pragma: no cover


def _theta_at_mass(t: np.ndarray, w: np.ndarray, mult: np.ndarray, cum: np.ndarray, table) -> np.ndarray:
    """θ with D(θ) = t where t < d_eff, else 0 (1-D). Newton on log t − log D(θ) in log θ (D is decreasing,
    D ≤ tr Σ/θ and D ≥ d_eff·ω_min/(ω_min + θ) give the bracket; the grid table the cell and the start)."""
    d_eff = float(cum[-1])
    out = np.zeros(t.shape)
    todo = np.flatnonzero(t < d_eff)
    if todo.size == 0:
        return out
    tt = t[todo]
    hi = np.log(float(np.dot(w, mult)) / tt)
    lo = np.log(w[0] * (d_eff - tt) / tt)
    xg, big_g, sa_g, _, dsum_g = table
    pos = ((tt[:, None] - big_g[None, :]) + sa_g[None, :]) > 0

    def f_at(rows, cols):
        return np.log1p(((tt[rows] - big_g[cols]) + sa_g[cols]) / dsum_g[cols])

    lo, hi, x0 = _start(pos, f_at, xg, lo, hi)

    def resid(x, idx):  # log t − log D = log1p((t − D)/D), t − D without cancellation
        big, sa, dd, dsum = _split_sums(np.exp(x), w, mult, cum)
        return np.log1p(((tt[idx] - big) + sa) / dsum), dd / dsum

    out[todo] = np.exp(_log_newton(resid, lo, hi, x0))
    return out


def sketched_fixed_point(lam, n, m, eigenvalues, multiplicities, d: float) -> dict[str, np.ndarray]:
    """The coupled fixed point of sketched ridge (docs/theory.md §3.3), 1-D arrays lam (λ ≥ 0, mean penalty), n, m.

    ``eigenvalues`` sorted ascending and positive (Σ's positive eigenvalues, grouped), ``multiplicities`` their
    counts; ``d`` the total dimension (zero eigenvalues included: S has N(0, 1/d) entries). Returns θ (outer),
    θ₀ (= θ at κ = 0: D(θ₀) = m, or 0 when m ≥ d_eff), κ = θ(m − D)/d, and at θ: D = df₁(C), dd = D − D₂,
    m − D, n − D (all without cancellation), and ν = (m − D)/(m − D₂). Inputs are taken as validated (the
    public entry is :func:`model_collapse.theory.random_projections.predict`, which validates once per call).
    """
    w = np.asarray(eigenvalues, dtype=float)
    mult = np.asarray(multiplicities, dtype=float)
    cum = np.concatenate(([0.0], np.cumsum(mult)))
    lam, n, m = (np.asarray(a, dtype=float) for a in (lam, n, m))
    d_eff = float(cum[-1])
    table = _table(w, mult, cum)
    theta0 = _theta_at_mass(m, w, mult, cum, table)
    t = np.minimum(m, n)
    theta = np.where(lam > 0, 0.0, _theta_at_mass(np.where(lam > 0, d_eff, t), w, mult, cum, table))
    ridge = np.flatnonzero(lam > 0)
    if ridge.size:
        lr, nr, mr = lam[ridge], n[ridge], m[ridge]
        trace = float(np.dot(w, mult))
        lo = np.log(lr) + np.log(d / mr)  # (m − D)(n − D) ≤ mn
        hi = np.log(np.maximum(2.0 * trace / np.minimum(mr, nr), 4.0 * (lr / mr) * d)) + 1e-12
        hi = np.minimum(hi, _LOG_THETA_MAX)  # θ capped at 1e300 (λ ≳ 1e300·m/d: then κ = λn/(n − D) still)
        lo = np.minimum(lo, hi)
        target = np.log(lr) + np.log(d) + np.log(nr)

        def f_of(x, big, sa, dd, mm, nn, tg):
            a = (mm - big) + sa
            b = (nn - big) + sa
            ok = (a > 0) & (b > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(ok, x + np.log(np.where(ok, a, 1.0)) + np.log(np.where(ok, b, 1.0)) - tg, -np.inf)
                fp = np.where(ok, 1.0 + dd * (1.0 / a + 1.0 / b), 1.0)
            return f, fp

        xg, big_g, sa_g, dd_g, _ = table
        a_g = (mr[:, None] - big_g[None, :]) + sa_g[None, :]
        b_g = (nr[:, None] - big_g[None, :]) + sa_g[None, :]
        with np.errstate(over="ignore", under="ignore"):
            pos = (a_g > 0) & (b_g > 0) & ((np.exp(xg)[None, :] / (lr * d)[:, None]) * a_g * b_g > nr[:, None])

        def f_at(rows, cols):
            return f_of(xg[cols], big_g[cols], sa_g[cols], dd_g[cols], mr[rows], nr[rows], target[rows])[0]

        lo, hi, x0 = _start(pos, f_at, xg, lo, hi)

        def resid(x, idx):
            big, sa, dd, _ = _split_sums(np.exp(x), w, mult, cum, need_d=False)
            return f_of(x, big, sa, dd, mr[idx], nr[idx], target[idx])

        theta[ridge] = np.exp(_log_newton(resid, lo, hi, x0))
    big, sa, dd, dsum = _split_sums(theta, w, mult, cum)
    m_minus = (m - big) + sa
    n_minus = (n - big) + sa
    ridgeless = lam == 0
    # ridgeless: D(θ*) = min(m, n) by definition (exact zeros at the threshold), or θ* = 0 and D = d_eff
    dsum = np.where(ridgeless, np.minimum(t, d_eff), dsum)
    m_minus = np.where(ridgeless, m - dsum, np.maximum(m_minus, 0.0))
    n_minus = np.where(ridgeless, n - dsum, np.maximum(n_minus, 0.0))
    dd = np.where(theta > 0, dd, 0.0)
    den = m_minus + dd
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = np.where(den > 0, m_minus / np.where(den > 0, den, 1.0), 0.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # at the root: κ = θ(m − D)/d = λn/(n − D)
        capped = theta >= 1e299  # the cap of the bracket: the second form, exact there to rounding
        kappa = np.where(capped, lam * (n / np.where(n_minus > 0, n_minus, 1.0)), theta * (m_minus / d))
    return dict(theta=theta, theta0=theta0, kappa=kappa, D=dsum, dd=dd, m_minus=m_minus, n_minus=n_minus, nu=nu)
