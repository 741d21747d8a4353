"""The fitted standard deviation of 1-D iterative Gaussian fitting: E σ̂_t exactly, under replace and accumulate.

Model (docs/theory.md §5.1; Kazdan, Schaeffer et al., "Collapse or Thrive?", §2.1): d = 1, truth N(μ₀, σ²),
D₀ = n real points, iteration 1 is the fit on the real data; σ̂_t² = scatter_t/m_t with m_t the size of the
training set (t·n under accumulate, n under replace) for the MLE (``estimator="mle"``, the authors'
``np.cov(..., bias=True)``) or m_t − 1 for the unbiased estimator. E σ̂_t is what the squared
2-Wasserstein distance needs: W₂²(N(μ̂, σ̂²), N(μ₀, σ²)) = (μ̂ − μ₀)² + (σ̂ − σ)².

**Replace.** σ̂_t² = σ²·∏_{k≤t} χ²_{n−1,k}/m₁ (independent factors), so E σ̂_t/σ = c₁^t,
c₁ = E√(χ²_{n−1}/m₁) = √(2/m₁)·Γ(n/2)/Γ((n − 1)/2), m₁ = n (MLE) or n − 1 (unbiased).

**Accumulate** (this module's derivation). Given the past, the new block has scatter W = σ̂_s²·U_s about its
own mean and mean μ̂_s + ξ with tn/(t + 1)·ξ² = σ̂_s²·(s/(s + 1))·V_s, U_s ~ χ²_{n−1}, V_s ~ χ²_1, independent
of each other **and of the past**. The pooled scatter update scatter_{s+1} = scatter_s + W + (sn/(s + 1))ξ²
therefore reads σ̂_{s+1}² = σ̂_s²·Z_s with

    Z_s = (m_s + U_s + (s/(s + 1))·V_s) / m_{s+1},   m_s = s·n (MLE) or s·n − 1 (unbiased),

independent factors, so σ̂_t = σ̂₁·∏_{s<t} √Z_s and

    E σ̂_t / σ = c₁ · ∏_{s=1}^{t−1} g_s,   g_s = E√Z_s = (1/(2√π))·∫₀^∞ (1 − E e^{−λZ_s})·λ^{−3/2} dλ,
    E e^{−λZ_s} = e^{−λ m_s/m_{s+1}}·(1 + 2λ/m_{s+1})^{−(n−1)/2}·(1 + 2sλ/((s + 1)m_{s+1}))^{−1/2}.

(E Z_s = 1 − 1/(n(s + 1)²) for the MLE, the accumulate trace factor.) Numerics: g_s by adaptive quadrature
of that one-dimensional integral (u = √λ, 1 − E e^{−λZ} formed with ``expm1``) for s < 256, and beyond by
the moment expansion E√Z = √μ·Σ_k C(1/2, k)·E(Z − μ)^k/μ^k through k = 6 (central moments from the
cumulants 2^{j−1}(j − 1)!·(n − 1 + w^j)/m_{s+1}^j, w = s/(s + 1)); the neglected terms are below 1e-15
relative there (quadrature and expansion agree to 1e-16 from s = 500 on, 3e-16 at s = 256, n = 2).
Certified in tests/test_gaussian_std.py against 25-digit mpmath (Tricomi U for the χ²_{n−1} average,
quadrature over χ²_1): measured ≤ 2.3e-15 relative. The product is accumulated in logs, exactly, up to any t.

Sources: docs/theory.md §5.1 (replace E σ̂_t; the accumulate product is derived here). Simulator twin:
:func:`model_collapse.montecarlo.gaussian_workflow.simulate` (field ``w2_squared`` for d = 1, through
:func:`model_collapse.theory.gaussian_workflow.w2_squared`).
"""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral

import numpy as np
from model_collapse.arrays import like
from model_collapse.validation import Interval, InvalidParameterError, Options, validate
from scipy.integrate import quad
from scipy.special import binom, gammaln

__all__ = ["std_ratio", "step_factor", "first_factor"]

ESTIMATOR = Options(("mle", "unbiased"))
WORKFLOW = Options(("replace", "accumulate", "accumulate-subsample"))
N_SAMPLES = Interval(Integral, 2, None, closed="left")
ITERATION = Interval(Integral, 1, None, closed="left")

_QUAD_MAX = 256  # g_s by quadrature below this s, by the moment expansion from it on
_CHUNK = 2**16


def _divisor(n: int, s, estimator: str):
    """m_s: the divisor of the pooled scatter of s blocks of n points."""
    return s * n if estimator == "mle" else s * n - 1


@validate(n=N_SAMPLES, estimator=ESTIMATOR)
def first_factor(n: int, *, estimator: str = "mle") -> float:
    """c₁ = E√(χ²_{n−1}/m₁) = √(2/m₁)·Γ(n/2)/Γ((n − 1)/2) = E σ̂₁/σ (the real-data fit)."""
    m1 = _divisor(n, 1, estimator)
    return float(np.sqrt(2.0 / m1) * np.exp(gammaln(n / 2.0) - gammaln((n - 1) / 2.0)))


@lru_cache(maxsize=8192)
def _g_quad(n: int, s: int, estimator: str) -> float:
    m_next = float(_divisor(n, s + 1, estimator))
    a = _divisor(n, s, estimator) / m_next
    w = s / (s + 1.0)

    def integrand(u: float) -> float:
        lam = u * u
        log_phi = -lam * a - 0.5 * (n - 1) * np.log1p(2.0 * lam / m_next) - 0.5 * np.log1p(2.0 * w * lam / m_next)
        return -np.expm1(log_phi) / (u * u) if u > 0 else a + (n - 1 + w) / m_next

    # ∫₀^∞ (1 − φ(λ)) λ^{−3/2} dλ = 2∫₀^∞ (1 − φ(u²))/u² du; split where φ has decayed (λ ~ a few)
    head, _ = quad(integrand, 0.0, 8.0, epsabs=0.0, epsrel=2e-14, limit=200)
    tail, _ = quad(integrand, 8.0, np.inf, epsabs=0.0, epsrel=2e-14, limit=200)
    return float((head + tail) / np.sqrt(np.pi))


def _g_series(n: int, s: np.ndarray, estimator: str) -> np.ndarray:
    """E√Z_s by the central-moment expansion through order 6 (used for s ≥ 256)."""
    s = np.asarray(s, dtype=float)
    m_next = _divisor(n, s + 1.0, estimator)
    w = s / (s + 1.0)
    mu = (_divisor(n, s, estimator) + n - 1.0 + w) / m_next
    k = {j: 2.0 ** (j - 1) * float(np.prod(np.arange(1, j))) * (n - 1.0 + w**j) / m_next**j for j in range(2, 7)}
    moments = {
        2: k[2],
        3: k[3],
        4: k[4] + 3 * k[2] ** 2,
        5: k[5] + 10 * k[3] * k[2],
        6: k[6] + 15 * k[4] * k[2] + 10 * k[3] ** 2 + 15 * k[2] ** 3,
    }
    series = sum(binom(0.5, j) * moments[j] / mu**j for j in range(2, 7))
    return np.sqrt(mu) * (1.0 + series)


def _log_g(n: int, s: np.ndarray, estimator: str) -> np.ndarray:
    s = np.asarray(s, dtype=np.int64)
    out = np.empty(s.shape)
    small = s < _QUAD_MAX
    if np.any(small):
        out[small] = np.log([_g_quad(n, int(k), estimator) for k in s[small]])
    if np.any(~small):
        out[~small] = np.log(_g_series(n, s[~small], estimator))
    return out


@validate(n=N_SAMPLES, s=ITERATION, estimator=ESTIMATOR)
def step_factor(n: int, s, *, estimator: str = "mle"):
    """g_s = E σ̂_{s+1}/E σ̂_s under accumulate = E√Z_s, Z_s = (m_s + χ²_{n−1} + (s/(s + 1))χ²_1)/m_{s+1}.

    Vectorised over the integer s ≥ 1. Exact up to the quadrature / expansion error (≤ 2e-15 relative,
    certified against mpmath in tests/test_gaussian_std.py). See the module docstring.
    """
    return like(np.exp(_log_g(n, np.asarray(s, dtype=np.int64).ravel(), estimator)).reshape(np.shape(s)), s)


@validate(n=N_SAMPLES, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR)
def std_ratio(n: int, t, *, workflow: str = "accumulate", estimator: str = "mle"):
    """E σ̂_t / σ at iteration t (1 = the real-data fit), d = 1; vectorised over t.

    replace: c₁^t; accumulate: c₁·∏_{s=1}^{t−1} g_s (module docstring), which decreases to a positive limit
    (1 − g_s = O(1/(n s²))). Exact (certified numerics). accumulate-subsample: E σ̂_t is not a second
    moment of the pool and has no known closed form, so it is refused (InvalidParameterError). Cost:
    ~1 ms per quadrature for s < min(t, 256), cached per (n, s, estimator), then O(max t).
    """
    if workflow == "accumulate-subsample":
        raise InvalidParameterError.of(
            "workflow", "std_ratio", "must be 'replace' or 'accumulate': under accumulate-subsample E σ̂_t "
            "(a square root, not a second moment of the pool) has no known closed form. Got "
            "'accumulate-subsample' instead.")
    tt = np.asarray(t, dtype=np.int64)
    c1 = first_factor(n, estimator=estimator)
    if workflow == "replace":
        return like(np.exp(tt * np.log(c1)), t)
    tmax = int(tt.max(initial=1))
    cum = np.zeros(tmax)  # cum[j] = Σ_{s=1}^{j} log g_s
    total = 0.0
    for start in range(1, tmax, _CHUNK):
        s = np.arange(start, min(start + _CHUNK, tmax))
        steps = np.cumsum(_log_g(n, s, estimator)) + total
        cum[s] = steps
        total = float(steps[-1])
    return like(c1 * np.exp(cum[tt - 1]), t)
