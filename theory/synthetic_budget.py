"""Given n₁ real samples, how many synthetic ones should be added? (docs/theory.md §2.8)

The practical question behind "Collapse or Thrive?" §4, answered by the Strong Model Collapse closed form
(:func:`model_collapse.theory.ridge_mixture.predict`). Adding k synthetic samples to n₁ real ones gives
n = n₁ + k pooled samples with synthetic fraction p₂ = k/n, so the test error after adding k is

    E(k) = B + V + ζ  at  n = n₁ + k,  p₂ = k/(n₁ + k)        (real-data excess risk E‖ŵ − w₁‖²_Σ)

with the same conventions as the ridge mixture (penalty (1/n)-scaled by default, priors Γ = (r²/tr Σ)·I,
Δ = (c²/tr Σ)·I, quality c² = tr ΔΣ). As k → ∞ (p₂ → 1, κ → λ, u → 0) it tends to

    E(∞) = λ²·tr ΓΣ(Σ + λ)⁻² + tr ΔΣ³(Σ + λ)⁻²     (λ → 0 there for ``penalty="sum"``; ridgeless: c²).

With covariate shift (``eigenvalues2``: the synthetic rows' spectrum Σ₂, docs/theory.md §2.7) E(k) is the
two-population closed form and E(∞) = λ²·tr ΓΣ₁(Σ₂ + λ)⁻² + tr ΔΣ₁Σ₂²(Σ₂ + λ)⁻².

:func:`synthetic_budget` reports E(0) (``real_only_total``), the best k over the integers k ≥ 0
(``best_n_synthetic``; ``inf`` when the infimum is only approached as k → ∞, i.e. no finite k's error is below
E(∞) by more than a relative 1e-12), its error ``best_total``, ``helps`` (E(best) < E(0)) and
``break_even_n_synthetic`` = the largest integer k with E(k) ≤ E(0) (0 when any synthetic sample hurts;
``inf`` when E(∞) < E(0): no amount hurts).
Near a ridgeless interpolation threshold (n₁ < d, λ = 0) the set {k : E(k) ≤ E(0)} need not be an interval:
the break-even count is its supremum, and the error at counts in between may be larger (even infinite at
n₁ + k = d).

Search (exact to the closed form, not a grid answer): the curve is evaluated in one vectorised call on a
log-spaced bracket grid of k (24 points per decade from 1 to 10¹²·(n₁ + d)); every grid local minimum is
refined by bounded Brent minimisation on its two neighbouring cells, then the two integers around the
continuous minimiser are compared. The break-even count is the root (Brent) of E(k) − E(0) on the last grid
cell where the sign changes, rounded down and verified. A minimum narrower than one grid cell (1/24 decade)
would be missed; the closed form is a smooth rational function of k away from the threshold, and the tests
compare against dense searches.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.arrays import plain
from model_collapse.theory import covariate_shift, ridge_mixture
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.validation import NONNEGATIVE, POSITIVE, Interval, InvalidParameterError, validate
from scipy import optimize

__all__ = ["SyntheticBudget", "error_curve", "synthetic_budget"]

_PER_DECADE = 24
_DECADES_BEYOND = 12  # the bracket grid reaches k = 10^12·(n₁ + d)
_TIE = 1e-12  # relative: a finite k must beat the k → ∞ limit by more than this to be "best"
COUNT_OR_INF = Interval(Real, 0, math.inf, closed="both")  # a sample count, or inf (no cap)


@dataclass(frozen=True)
class SyntheticBudget:
    """The best number of synthetic samples to add to ``n_real`` real ones, and what it buys."""

    real_only_total: float
    best_n_synthetic: float
    best_total: float
    helps: bool
    break_even_n_synthetic: float
    limit_total: float

    def as_dict(self) -> dict:
        return {"real_only_total": plain(self.real_only_total), "best_n_synthetic": plain(self.best_n_synthetic),
                "best_total": plain(self.best_total), "helps": bool(self.helps),
                "break_even_n_synthetic": plain(self.break_even_n_synthetic),
                "limit_total": plain(self.limit_total)}


def _curve_kwargs(c2, r2, sigma, sigma2, gamma, delta, multiplicities, penalty, include_noise,
                  eigenvalues2=None) -> dict:
    return dict(c2=c2, r2=r2, sigma=sigma, sigma2=sigma2, gamma=gamma, delta=delta, multiplicities=multiplicities,
                penalty=penalty, include_noise=include_noise, eigenvalues2=eigenvalues2)


@validate(n_real=POSITIVE, n_synthetic=NONNEGATIVE, lam=NONNEGATIVE)
def error_curve(
    n_real,
    n_synthetic,
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
) -> ridge_mixture.RidgeMixtureRisk:
    """The ridge-mixture risk after adding ``n_synthetic`` = k synthetic samples to ``n_real`` = n₁ real ones.

    E(k) = :func:`ridge_mixture.predict` at n = n₁ + k, p₂ = k/(n₁ + k) (every field: bias, variance, zeta,
    total, kappa, u). ``n_real`` and ``n_synthetic`` broadcast against each other (a (n₁, k) heat map is
    ``error_curve(n1[:, None], k[None, :], ...)``); the other keywords are the ridge mixture's, including
    ``eigenvalues2`` (synthetic rows' spectrum: covariate shift, docs/theory.md §2.7).
    """
    n1 = np.asarray(n_real, dtype=float)
    k = np.asarray(n_synthetic, dtype=float)
    n = n1 + k
    with np.errstate(invalid="ignore", divide="ignore"):
        p2 = np.where(k > 0, k / n, 0.0)
    return ridge_mixture.predict(n, np.clip(p2, 0.0, 1.0), lam, eigenvalues,
                                 **_curve_kwargs(c2, r2, sigma, sigma2, gamma, delta, multiplicities, penalty,
                                                 include_noise, eigenvalues2))


@validate(n_real=POSITIVE, lam=NONNEGATIVE, max_synthetic=COUNT_OR_INF)
def synthetic_budget(
    n_real,
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
    max_synthetic: float = math.inf,
) -> SyntheticBudget:
    """Best number k* of synthetic samples to add to n₁ = ``n_real`` real ones (module docstring).

    Returns real_only_total = E(0), best_n_synthetic = argmin over integers 0 ≤ k ≤ ``max_synthetic`` of E(k)
    (inf when the infimum is the k → ∞ limit and ``max_synthetic`` is inf), best_total = E(k*) (E(∞) in that
    case), helps = E(k*) < E(0), break_even_n_synthetic = the largest integer k ≤ max_synthetic with
    E(k) ≤ E(0) (inf when E(∞) < E(0) and max_synthetic is inf), and limit_total = E(∞).
    Ties go to the smaller k. Scalars only. Source: SMC §3 closed form, docs/theory.md §2.8.
    """
    for name, value in (("n_real", n_real), ("lam", lam)):
        if np.ndim(value) != 0:
            raise InvalidParameterError.of(name, "synthetic_budget", "must be a scalar. "
                                        f"Got an array of shape {np.shape(value)} instead.")
    w, _m = spectrum_arrays(eigenvalues, multiplicities, "synthetic_budget")
    n1 = float(n_real)
    kw = _curve_kwargs(c2, r2, sigma, sigma2, gamma, delta, multiplicities, penalty, include_noise, eigenvalues2)

    def total(k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an interpolation threshold on the path is inf
            return np.asarray(error_curve(n1, k, lam, eigenvalues, **kw).total, dtype=float)

    e0 = float(total(0.0))
    bounded = math.isfinite(max_synthetic)
    if bounded:
        limit = float(total(float(max_synthetic)))
    else:
        lam_limit = 0.0 if penalty == "sum" else float(lam)
        floor_kw = dict(c2=c2, r2=r2, gamma=gamma, delta=delta, multiplicities=multiplicities)
        if eigenvalues2 is None:
            limit = float(ridge_mixture.collapse_floor(lam_limit, 1.0, eigenvalues, **floor_kw))
        else:  # all synthetic rows, covariance Σ₂: λ²tr ΓΣ₁(Σ₂ + λ)⁻² + tr ΔΣ₁Σ₂²(Σ₂ + λ)⁻²
            limit = float(covariate_shift.collapse_floor(lam_limit, 1.0, eigenvalues, eigenvalues2, **floor_kw))
        if include_noise:
            limit += float(sigma) ** 2
    top = float(max_synthetic) if bounded else (n1 + w.size) * 10.0**_DECADES_BEYOND
    grid = _bracket_grid(top)
    values = total(grid) if grid.size else np.zeros(0)
    best_k, best_e = _minimise(total, grid, values)
    if e0 <= best_e:
        best_k, best_e = 0.0, e0
    if not bounded and (best_e >= limit * (1.0 - _TIE) or (grid.size and best_k == grid[-1])):
        # no finite k beats the all-synthetic limit by more than round-off, or the error is still falling at
        # the end of the bracket grid (10¹² (n₁ + d)): the infimum is the k → ∞ limit
        best_k, best_e = math.inf, min(limit, best_e)
    helps = bool(best_e < e0)
    break_even = _break_even(total, grid, values, e0, limit, bounded)
    if math.isinf(e0):
        warnings.warn("the real-only fit is at its interpolation threshold (lam = 0, n_real = d): E(0) is "
                      "infinite, so any finite error is an improvement", RuntimeWarning, stacklevel=2)
    return SyntheticBudget(e0, best_k, best_e, helps, break_even, limit)


def _bracket_grid(top: float) -> np.ndarray:
    """k = 1, 2, ... then log-spaced up to ``top`` (integers where k < 10⁴), increasing, distinct."""
    if top < 1:
        return np.array([top]) if top > 0 else np.zeros(0)
    decades = max(math.log10(top), 1e-9)
    grid = np.unique(np.concatenate([np.geomspace(1.0, top, max(3, int(math.ceil(decades * _PER_DECADE)) + 1)),
                                     np.arange(1.0, min(top, 64.0) + 1)]))
    small = grid < 1e4
    grid = np.unique(np.concatenate([np.round(grid[small]), grid[~small], [top]]))
    return grid[(grid >= 1) & (grid <= top)]


def _minimise(total, grid: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Lowest E over the integers in [1, grid[-1]]: Brent on every local-minimum bracket, then rounding."""
    if grid.size == 0:
        return 0.0, math.inf
    finite = np.where(np.isfinite(values), values, np.inf)
    padded = np.concatenate(([np.inf], finite, [np.inf]))
    local = np.flatnonzero((padded[1:-1] <= padded[:-2]) & (padded[1:-1] <= padded[2:]) & np.isfinite(finite))
    best_k, best_e = math.inf, math.inf
    for j in local:
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
        candidates = {float(grid[j])}
        if hi - lo > 1:
            res = optimize.minimize_scalar(lambda x: _finite(total(x)), bounds=(lo, hi), method="bounded",
                                           options={"xatol": 1e-10 * max(1.0, hi)})
            candidates.update({math.floor(res.x), math.ceil(res.x)})
        cand = np.array(sorted(c for c in candidates if lo <= c <= hi))
        vals = total(cand)
        i = int(np.argmin(np.where(np.isfinite(vals), vals, np.inf)))
        if vals[i] < best_e or (vals[i] == best_e and cand[i] < best_k):
            best_k, best_e = float(cand[i]), float(vals[i])
    return best_k, best_e


def _finite(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else 1e308


def _break_even(total, grid, values, e0: float, limit: float, bounded: bool) -> float:
    """The largest integer k with E(k) ≤ E(0) (see the module docstring)."""
    if math.isinf(e0):
        return math.inf if not bounded else float(grid[-1]) if grid.size else 0.0
    if not bounded and limit < e0:
        return math.inf
    ok = np.flatnonzero(values <= e0)
    if ok.size == 0:
        # not at any grid point: E(k) > E(0) at k = 1, 2, ... up to the first log-spaced cells
        return 0.0
    j = int(ok[-1])
    if j == grid.size - 1:
        return float(grid[-1]) if bounded else math.inf
    lo, hi = float(grid[j]), float(grid[j + 1])
    if hi - lo > 1:
        g = lambda x: _finite(total(x)) - e0  # noqa: E731
        root = optimize.brentq(g, lo, hi, xtol=1e-12 * hi, rtol=4 * np.finfo(float).eps)
        lo = max(lo, float(math.floor(root)))
    k = lo
    while k + 1 < hi and float(total(k + 1)) <= e0:  # at most a step or two after rounding the root down
        k += 1
    while k > 1 and float(total(k)) > e0:
        k -= 1
    return float(k)
