"""How large should the model be? The width that minimises the random-projections test error, and its slope.

The paper's question for (n, p₂, c², λ, Σ) in the deterministic form (any Σ: docs/theory.md §3.3) of
:func:`model_collapse.theory.random_projections.predict`: :func:`best_model_size` (the best width, its error,
the m → ∞ limit and the interpolation threshold) and :func:`width_sensitivity` (m·∂E/∂m: negative means adding
parameters helps). docs/theory.md §3 (SMC, model-size discussion). Closed forms only, no sampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.theory.random_projections import PENALTY, large_width_limit, predict
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    PROBABILITY,
    InvalidParameterError,
    validate,
)

__all__ = ["ModelSize", "best_model_size", "width_sensitivity", "interpolation_threshold"]


@validate(n=POSITIVE, d=POSITIVE_INT)
def interpolation_threshold(n, d) -> float:
    """The width where rank(SΣSᵀ) = min(m, d) reaches n: m = n if d > n, else inf (never reached).

    For d = n the threshold is m ≥ n (every m ≥ d has rank d = n).
    """
    return float(n) if int(d) >= float(n) else float("inf")


@dataclass(frozen=True)
class ModelSize:
    """The paper's question in numbers, for given (n, p₂, c², λ, d).

    best_m: the width minimising the test error (an integer; inf when the error keeps falling with m and
    its infimum is the m → ∞ limit); best_total: the error there; limit_total: the m → ∞ limit
    (:func:`large_width_limit`); threshold_m: the interpolation threshold (:func:`interpolation_threshold`).
    """

    best_m: float
    best_total: float
    limit_total: float
    threshold_m: float

    def as_dict(self) -> dict:
        return {"best_m": self.best_m, "best_total": self.best_total, "limit_total": self.limit_total,
                "threshold_m": self.threshold_m}


_REFINE = 256


def _total(n, m, p2, lam, w, kw):
    return predict(n, m, p2, lam, w, **kw).total


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE, penalty=PENALTY,
          m_max=POSITIVE)
def best_model_size(n, p2, lam, eigenvalues, *, c2=1.0, r2=1.0, sigma=1.0, sigma2=None, penalty="mean",
                    include_noise: bool = False, m_max=None) -> ModelSize:
    """The width m ≥ 1 that minimises the deterministic-form test error (any Σ); scalar inputs.

    Search: the total on 400 log-spaced widths from 1 to ``m_max`` (default 10⁴·max(n, d)), then two rounds of
    a 256-point log grid of continuous widths between the neighbours of the best point (relative resolution
    ~(hi/lo)^(1/65000)), then the better of the two integers around it: four vectorised calls of the
    deterministic form, any Σ. If the m → ∞ limit is lower than every finite width examined, best_m = inf and
    best_total is that limit (the error falls monotonically towards it in the over-parameterised regime).
    """
    for name, value in (("n", n), ("p2", p2), ("lam", lam)):
        if np.ndim(value) != 0:
            raise InvalidParameterError.of(name, "best_model_size", "must be a scalar.")
    w, _ = spectrum_arrays(eigenvalues, None, "best_model_size")
    d = w.size
    kw = dict(c2=c2, r2=r2, sigma=sigma, sigma2=sigma2, penalty=penalty, include_noise=include_noise)
    top = float(m_max) if m_max is not None else 1e4 * max(float(n), d)
    grid = np.unique(np.round(np.logspace(0, np.log10(max(top, 2.0)), 400)))
    totals = _total(n, grid, p2, lam, w, kw)
    lim = float(large_width_limit(n, p2, w, c2=c2, r2=r2, sigma=sigma, sigma2=sigma2,
                                  include_noise=include_noise).total)
    i = int(np.argmin(totals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    best_m, best = float(grid[i]), float(totals[i])
    if hi > lo:  # two rounds of a 256-point log grid between the neighbours, each one vectorised call
        a, b = np.log(lo), np.log(hi)
        for _ in range(2):
            fine = np.exp(np.linspace(a, b, _REFINE))
            j = int(np.argmin(_total(n, fine, p2, lam, w, kw)))
            a, b = np.log(fine[max(j - 1, 0)]), np.log(fine[min(j + 1, fine.size - 1)])
        m_star = fine[j]
        cands = np.unique(np.clip([np.floor(m_star), np.ceil(m_star), grid[i]], 1, None))
        vals = _total(n, cands, p2, lam, w, kw)
        j = int(np.argmin(vals))
        best_m, best = float(cands[j]), float(vals[j])
    if lim < best:
        best_m, best = float("inf"), lim
    return ModelSize(best_m=best_m, best_total=best, limit_total=lim, threshold_m=interpolation_threshold(n, d))


@validate(n=POSITIVE, m=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE,
          penalty=PENALTY, step=POSITIVE)
def width_sensitivity(n, m, p2, lam, eigenvalues, *, c2=1.0, r2=1.0, sigma=1.0, sigma2=None, penalty="mean",
                      include_noise: bool = False, step: float = 1e-4) -> np.ndarray:
    """m·∂E_test/∂m (deterministic form): the change of the test error per relative increase of the width.

    Negative: adding parameters helps at this m; positive: it hurts. A 10 % wider model changes the error by
    about 0.1× this. Central difference in log m with relative step ``step`` (m is continuous in the
    deterministic form); broadcasts over n, m, p₂, λ (both sides in one vectorised call). inf/nan at the
    ridgeless threshold m = n.
    """
    w, _ = spectrum_arrays(eigenvalues, None, "width_sensitivity")
    kw = dict(c2=c2, r2=r2, sigma=sigma, sigma2=sigma2, penalty=penalty, include_noise=include_noise)
    kw["sigma"] = np.asarray(sigma, dtype=float)[..., None]
    if sigma2 is not None:
        kw["sigma2"] = np.asarray(sigma2, dtype=float)[..., None]
    m = np.asarray(m, dtype=float)
    both = _total(np.asarray(n)[..., None], m[..., None] * np.exp([step, -step]), np.asarray(p2)[..., None],
                  np.asarray(lam)[..., None], w, kw)
    up, down = both[..., 0], both[..., 1]
    with np.errstate(invalid="ignore"):
        return (up - down) / (2.0 * step)
