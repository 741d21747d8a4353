"""Accumulate-subsample in closed form: iterative Gaussian fitting (exact) and OLS on a fixed design (why not).

Workflow (docs/theory.md §5; Kazdan, Schaeffer et al., "Collapse or Thrive?", the authors' code).
D₀ = n real points from N(μ₀, Σ₀). Iteration t = 1, 2, …: fit (μ̂_t, Σ̂_t) on F_t, record the metrics,
draw n new points from N(μ̂_t, Σ̂_t) and add them to the pool. **Iteration 1 is the fit on the real data**;
at iteration t ≥ 2 the pool holds t·n points (the real block and t − 1 synthetic blocks) and F_t is n of
them drawn uniformly **without replacement**, independently of the values. μ̂ is the sample mean, Σ̂ the
MLE covariance (scatter/n, ``estimator="mle"``, the authors' ``np.cov(..., bias=True)``) or the unbiased
one (scatter/(n − 1), ``estimator="unbiased"``); write m = n or n − 1.

**Method: exact second moments.** A pool point never changes once drawn, and the subsample is uniform and
independent of the values, so every second moment of the next generation is linear in the pool's
second moments E[x_iᵀx_j]: with a pool of N = t·n points, P(i ∈ F_t) = 1/t and P(i, i' ∈ F_t) =
(1/t)(n − 1)/(tn − 1) for i ≠ i', and a new point y = μ̂_t + Σ̂_t^{1/2}z has E[yᵀx_j] = E[μ̂_tᵀx_j],
E[yᵀy'] = E‖μ̂_t‖², E‖y‖² = E‖μ̂_t‖² + E tr Σ̂_t. Take μ₀ = 0 and measure in units of tr Σ₀ (only inner
products enter, so any Σ₀ works). The metrics need only two numbers of the pool: the mean diagonal
α_t = E‖x_i‖²/tr Σ₀ and the mean off-diagonal β_t = E[x_iᵀx_j]/tr Σ₀ (i ≠ j) over the t·n pool points.
A subsample of n of them gives

    E‖μ̂_t − μ₀‖²/tr Σ₀ = β_t + δ_t/n,    E tr Σ̂_t/tr Σ₀ = ((n − 1)/m)·δ_t,    δ_t = α_t − β_t,

and adding the new block (its cross moments with the pool sum to the pool's total) gives, with k = t + 1,

    α_{t+1} = α_t + (E‖μ̂_t‖² + E tr Σ̂_t − α_t)/k          (MLE: α_t ≡ 1, unbiased: + δ_t/(nk))
    β_{t+1} = β_t + (3n − 1)·δ_t/(kn(kn − 1)),

starting from α₁ = 1, β₁ = 0. Hence δ_t is a product and the laws close (k runs over 2..t):

- MLE:      E tr Σ̂_t/tr Σ₀ = (1 − 1/n)·∏_k (1 − (3n − 1)/(nk(nk − 1))),
            E‖μ̂_t − μ₀‖² = tr Σ₀·(1 − E tr Σ̂_t/tr Σ₀)            (E‖x‖² is preserved: α ≡ 1).
- unbiased: E tr Σ̂_t/tr Σ₀ = δ_t = ∏_k (nk² − 3)/(k(nk − 1)),
            E‖μ̂_t − μ₀‖² = tr Σ₀·(δ_t/n + (3n − 1)·Σ_k δ_{k−1}/(kn(kn − 1))).

The products are Gamma ratios: ∏_{k=2}^t (k − a)(k − b)/(k(k − c)) = Γ(2 − c)/(Γ(2 − a)Γ(2 − b)) ·
Γ(t + 1 − a)Γ(t + 1 − b)/(Γ(t + 1)Γ(t + 1 − c)) with c = 1/n and a, b = (1 ± √(12n − 3))/(2n) (MLE:
nk(nk − 1) − (3n − 1) = n²(k − a)(k − b), a + b = c) or a, b = ±√(3/n) (unbiased: nk² − 3 = n(k − a)(k − b)).
Evaluation: up to t = 2¹⁷ the product as exp(cumsum(log1p(factor − 1))) and the sum as a cumulative sum of
positive terms (no cancellation; measured ≤ 3.2e-14 relative against 30-digit mpmath for t ≤ 10⁴);
beyond, the Gamma form relative to t = 2¹⁷ and an asymptotic (Hurwitz-zeta) tail of the sum (~1e-11).
Cost O(min(max t, 2¹⁷)); all of t = 1..10⁴ takes about 0.4 ms. Tests: tests/test_accumulate_subsample.py
(exact rational enumeration of every subsample for tiny n and t, sympy, mpmath, simulation with no
allowance, perturbed twins).

**Limits (t → ∞), proven.**
- MLE: the product converges (factors in (0, 1), Σ 1/k² < ∞): E tr Σ̂_∞/tr Σ₀ = (1 − 1/n)·Γ(2 − 1/n)/
  (Γ(2 − a)Γ(2 − b)) (0.7390 at n = 10) and E‖μ̂_∞ − μ₀‖² = tr Σ₀·(1 − that). As n → ∞,
  n·E‖μ̂_t − μ₀‖²/tr Σ₀ → 3·H_t⁽²⁾ − 2 ↑ π²/2 − 2 ≈ 2.935 (accumulate: H_t⁽²⁾ ↑ π²/6 ≈ 1.645).
- unbiased: the factor is 1 + 1/(nk) + O(1/k²), so the fitted variance **grows without bound**,
  E tr Σ̂_t/tr Σ₀ = C·t^{1/n}·(1 + O(1/t)), C = Γ(2 − 1/n)/(Γ(2 − √(3/n))Γ(2 + √(3/n))), and so does the
  mean error: E‖μ̂_t − μ₀‖²/tr Σ₀ = β_∞ + δ_t/n + O(t^{1/n − 1}), β_∞ = lim β_t finite.

**Determinant.** d = 1: det = trace, exact. n ≤ d: every fitted covariance is singular, the ratio is 0.
Otherwise det Σ̂ is a d-th degree polynomial of the points, not a second moment: **simulation only**
(:func:`montecarlo.gaussian_workflow.simulate`); for Σ₀ = σ²I the AM–GM inequality gives the bounds
E(det Σ̂_t/det Σ₀)^{1/d} ≤ E tr Σ̂_t/tr Σ₀ and E log(det Σ̂_t/det Σ₀) ≤ d·log(E tr Σ̂_t/tr Σ₀).

**Linear regression on a fixed design: no closed law** (see :func:`linreg_test_error_leading_order`; exact
given X for n ≤ 10 in :mod:`model_collapse.theory.linreg_subsample`; the unconditional mean is infinite from
t = ⌈n/(d + 1)⌉ on).

Sources: docs/theory.md §5 (accumulate-subsample, second-moment method); the recursion, products and
limits are this module's derivation. Simulator twin: :func:`montecarlo.gaussian_workflow.simulate` with
``workflow="accumulate-subsample"``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    Interval,
    InvalidParameterError,
    Options,
    renamed,
    validate,
)
from scipy.special import gammaln, poch, polygamma, zeta

__all__ = [
    "ESTIMATORS",
    "GaussianSubsamplePrediction",
    "GaussianSubsampleLimits",
    "gaussian_moments",
    "predict",
    "pool_moments",
    "cov_det_ratio",
    "log_det_ratio_upper_bound",
    "limits",
    "large_n_ratio",
    "linreg_test_error_leading_order",
]

ESTIMATORS = ("mle", "unbiased")
ESTIMATOR = Options(ESTIMATORS)
N_SAMPLES = Interval(Integral, 2, None, closed="left")  # a covariance needs at least two points
ITERATION = Interval(Integral, 1, None, closed="left")  # iteration 1 = the fit on the real data
DIM = POSITIVE_INT

_EXACT_MAX = 2**17  # exact cumulative sums up to this t; Gamma form and asymptotic tail beyond


def _out(x, like):
    x = np.asarray(x, dtype=float)
    return float(x) if np.ndim(like) == 0 else x


def _divisor(n: int, estimator: str) -> int:
    return n if estimator == "mle" else n - 1


def _roots(n: int, estimator: str) -> tuple[float, float, float]:
    """(a, b, c) with δ_t = ∏_{k=2}^t (k − a)(k − b)/(k(k − c)), c = 1/n; a + b = c (MLE) or 0 (unbiased)."""
    c = 1.0 / n
    if estimator == "mle":  # n²k² − nk − (3n − 1) = n²(k − a)(k − b)
        root = np.sqrt(12.0 * n - 3.0)
        return (1.0 + root) / (2.0 * n), (1.0 - root) / (2.0 * n), c
    r = np.sqrt(3.0 / n)  # nk² − 3 = n(k − r)(k + r)
    return r, -r, c


def _log_front(n: int, estimator: str) -> float:
    """log Γ(2 − c)/(Γ(2 − a)Γ(2 − b)): the MLE limit of δ_t, the unbiased constant of δ_t ~ C·t^{1/n}."""
    a, b, c = _roots(n, estimator)
    return float(gammaln(2.0 - c) - gammaln(2.0 - a) - gammaln(2.0 - b))


def _delta_gamma(n: int, t, estimator: str) -> np.ndarray:
    """δ_t through Pochhammer symbols (any real t ≥ 1; ~1e-12 relative at large t)."""
    t = np.asarray(t, dtype=float)
    a, b, c = _roots(n, estimator)
    return np.exp(_log_front(n, estimator)) * poch(t + 1.0, -a) * poch(t + 1.0, -b) / poch(t + 1.0, -c)


def _delta(n: int, t, estimator: str) -> np.ndarray:
    """δ_t = α_t − β_t for integer t ≥ 1 (array; δ₁ = 1).

    Up to 2¹⁷: exp of the cumulative sum of log1p(factor − 1), factor − 1 = −(3n − 1)/(nk(nk − 1)) (MLE) or
    (k − 3)/(k(nk − 1)) (unbiased): ~1e-15 relative. Beyond: the Gamma form relative to δ at 2¹⁷ (~1e-11).
    """
    t = np.asarray(t, dtype=np.int64)
    kmax = int(min(int(t.max(initial=1)), _EXACT_MAX))
    k = np.arange(2, kmax + 1, dtype=float)
    if estimator == "mle":
        eps = -(3.0 * n - 1.0) / (n * k * (n * k - 1.0))
    else:
        eps = (k - 3.0) / (k * (n * k - 1.0))
    table = np.exp(np.concatenate([[0.0, 0.0], np.cumsum(np.log1p(eps))]))  # table[j] = δ_j, j ≥ 1
    out = table[np.minimum(t, kmax)]
    big = t > _EXACT_MAX
    if np.any(big):
        ratio = _delta_gamma(n, np.maximum(t, kmax), estimator) / _delta_gamma(n, kmax, estimator)
        out = np.where(big, table[kmax] * ratio, out)
    return out


def _beta_terms(n: int, k: np.ndarray, estimator: str) -> np.ndarray:
    """β_k − β_{k−1} = (3n − 1)·δ_{k−1}/(kn(kn − 1)) for integer k ≥ 2 (positive terms: no cancellation)."""
    kf = k.astype(float)
    return (3.0 * n - 1.0) * _delta(n, k - 1, estimator) / (kf * n * (kf * n - 1.0))


def _beta_tail(n: int, K, estimator: str) -> np.ndarray:
    """Σ_{k>K} (β_k − β_{k−1}) ≈ A[ζ(2 − γ, K + 1) + b₁ζ(3 − γ, K + 1)].

    δ_{k−1} = C·k^γ·(1 + b_δ/k + O(k⁻²)) with γ = c − a − b (0 MLE, 1/n unbiased), C = exp(_log_front),
    b_δ = [a(a + 1) − (c − b)(b + c + 1)]/2 (Γ(x + α)/Γ(x + β) = x^{α−β}(1 + (α − β)(α + β − 1)/(2x) + …)),
    and 1/(k(kn − 1)) = (1 + c/k + O(k⁻²))/(nk²): A = (3n − 1)C/n², b₁ = b_δ + c. The neglected terms are
    O(K⁻²) relative to the tail (below 1e-12 for K ≥ 2¹⁷).
    """
    K = np.asarray(K, dtype=float)
    a, b, c = _roots(n, estimator)
    gamma = c - a - b
    A = (3.0 * n - 1.0) * np.exp(_log_front(n, estimator)) / n**2
    b1 = (a * (a + 1.0) - (c - b) * (b + c + 1.0)) / 2.0 + c
    return A * (zeta(2.0 - gamma, K + 1.0) + b1 * zeta(3.0 - gamma, K + 1.0))


def _beta(n: int, t, estimator: str) -> np.ndarray:
    """β_t (mean off-diagonal pool moment over tr Σ₀) for integer t ≥ 1 (array): exact cumulative sum up
    to 2¹⁷, the limit minus the asymptotic tail beyond (the tail's neglected terms are O(t^{γ−3}))."""
    t = np.asarray(t, dtype=np.int64)
    big = t > _EXACT_MAX
    tmax = _EXACT_MAX if np.any(big) else int(t.max(initial=1))
    k = np.arange(2, tmax + 1)
    cum = np.concatenate([[0.0, 0.0], np.cumsum(_beta_terms(n, k, estimator))])  # cum[j] = β_j, j ≥ 1
    out = cum[np.minimum(t, tmax)]
    if np.any(big):
        beta_inf = cum[tmax] + _beta_tail(n, tmax, estimator)
        out = np.where(big, beta_inf - _beta_tail(n, np.maximum(t, tmax), estimator), out)
    return out


def _beta_limit(n: int, estimator: str) -> float:
    """β_∞: exact sum to 2¹⁷ plus the asymptotic tail (error ~1e-16 relative)."""
    k = np.arange(2, _EXACT_MAX + 1)
    return float(np.sum(_beta_terms(n, k, estimator)) + _beta_tail(n, _EXACT_MAX, estimator))


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, estimator=ESTIMATOR, variance=POSITIVE)
def gaussian_moments(n: int, d: int, t, *, estimator: str = "mle", variance: float = 1.0):
    """(E‖μ̂_t − μ₀‖², E tr Σ̂_t / tr Σ₀) under accumulate-subsample, exact, vectorised over t.

    n = points per iteration (≥ 2), d = dimension, t = iteration(s) ≥ 1 (int or array of ints; iteration 1
    is the real-data fit), truth N(μ₀, σ²I_d). Returns floats for scalar t, arrays of t's shape otherwise.

    MLE: trace ratio P_t = (1 − 1/n)·∏_{k=2}^t (1 − (3n − 1)/(nk(nk − 1))), mean error dσ²(1 − P_t).
    unbiased: trace ratio δ_t = ∏_{k=2}^t (nk² − 3)/(k(nk − 1)) (grows like t^{1/n}), mean error
    dσ²·(δ_t/n + (3n − 1)Σ_{k=2}^t δ_{k−1}/(kn(kn − 1))). For a general Σ₀ replace dσ² by tr Σ₀ (the trace
    ratio is unchanged). Derivation: module docstring; docs/theory.md §5. Exact (float rounding: measured
    ≤ 3.2e-14 relative for t ≤ 10⁴, ~1e-11 beyond 2¹⁷). Simulator twin:
    :func:`montecarlo.gaussian_workflow.simulate` (``workflow="accumulate-subsample"``, fields
    ``mean_sq_error`` and ``cov_trace_ratio``).
    """
    tt = np.asarray(t, dtype=np.int64)
    delta = _delta(n, tt, estimator)
    trace = (n - 1.0) / _divisor(n, estimator) * delta
    mean = _beta(n, tt.ravel(), estimator).reshape(tt.shape) + delta / n  # MLE: = 1 − trace, no cancellation
    scale = d * float(variance)
    return _out(scale * mean, t), _out(trace, t)


@validate(n=N_SAMPLES, t=ITERATION, estimator=ESTIMATOR)
def pool_moments(n: int, t, *, estimator: str = "mle"):
    """(α_t, β_t): the pool's mean E‖x_i − μ₀‖² and mean E[(x_i − μ₀)ᵀ(x_j − μ₀)] (i ≠ j), over tr Σ₀.

    The pool at iteration t holds t·n points; α₁ = 1, β₁ = 0 (the real data). MLE: α_t ≡ 1 (the MLE
    fit preserves the second moment about μ₀ on average). Unbiased: α_t = β_t + δ_t grows like t^{1/n}.
    β_t → a finite limit in both cases. Exact; see the module docstring.
    """
    tt = np.asarray(t, dtype=np.int64)
    beta = _beta(n, tt.ravel(), estimator).reshape(tt.shape)
    alpha = beta + _delta(n, tt, estimator)
    return _out(alpha, t), _out(beta, t)


@dataclass(frozen=True)
class GaussianSubsamplePrediction:
    """Exact expectations under accumulate-subsample (arrays of the shape of t, floats for scalar t)."""

    mean_sq_error: np.ndarray | float
    cov_trace_ratio: np.ndarray | float

    def as_dict(self) -> dict:
        return {k: _plain(getattr(self, k)) for k in ("mean_sq_error", "cov_trace_ratio")}


def _plain(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x.tolist()


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, estimator=ESTIMATOR, variance=POSITIVE)
def predict(n: int, d: int, t, *, estimator: str = "mle", variance: float = 1.0) -> GaussianSubsamplePrediction:
    """:func:`gaussian_moments` as a prediction object (fields ``mean_sq_error``, ``cov_trace_ratio``).

    The determinant is not included: see :func:`cov_det_ratio` (exact for d = 1 and for n ≤ d only).
    """
    mse, trace = gaussian_moments(n, d, t, estimator=estimator, variance=variance)
    return GaussianSubsamplePrediction(mean_sq_error=mse, cov_trace_ratio=trace)


@validate(n=N_SAMPLES, d=DIM, t=ITERATION, estimator=ESTIMATOR)
def cov_det_ratio(n: int, d: int, t, *, estimator: str = "mle"):
    """E det Σ̂_t / det Σ₀ where it is exact: d = 1 (the trace ratio) and n ≤ d (0: every fit is singular).

    For 2 ≤ d < n the determinant is a degree-d polynomial of the points, outside the second-moment
    closure: raises InvalidParameterError (simulation only; see :func:`log_det_ratio_upper_bound`).
    """
    tt = np.asarray(t, dtype=np.int64)
    if n <= d:
        return _out(np.zeros(tt.shape), t)
    if d == 1:
        return gaussian_moments(n, 1, t, estimator=estimator)[1]
    raise InvalidParameterError.of(
        "d", "cov_det_ratio", "must be 1 (or at least n) under accumulate-subsample: for "
        f"2 <= d < n the determinant has no second-moment closure (simulation only). Got {d} instead."
    )


@validate(n=N_SAMPLES, d=DIM, t=ITERATION, estimator=ESTIMATOR)
def log_det_ratio_upper_bound(n: int, d: int, t, *, estimator: str = "mle"):
    """Σ₀ = σ²I: E log(det Σ̂_t/det Σ₀) ≤ d·log(E tr Σ̂_t/tr Σ₀), and E(det Σ̂_t/det Σ₀)^{1/d} ≤ E tr Σ̂_t/tr Σ₀.

    AM–GM (det^{1/d} ≤ tr/d) and Jensen (E log X ≤ log E X); both sides are exact expectations. For
    n ≤ d the left side is −inf; this returns the bound for n > d, and −inf (with a warning) otherwise.
    """
    tt = np.asarray(t, dtype=np.int64)
    if n <= d:
        warnings.warn("n <= d: every fitted covariance is singular, E log det = -inf", stacklevel=2)
        return _out(np.full(tt.shape, -np.inf), t)
    trace = gaussian_moments(n, d, tt, estimator=estimator)[1]
    return _out(d * np.log(trace), t)


@dataclass(frozen=True)
class GaussianSubsampleLimits:
    """t → ∞ behaviour under accumulate-subsample.

    ``mean_sq_error``, ``cov_trace_ratio``: the limits (finite for the MLE, inf for the unbiased
    estimator). ``growth_exponent`` γ and ``trace_constant`` C: E tr Σ̂_t/tr Σ₀ = C·t^γ·(1 + O(1/t)) with
    γ = 0, C = the limit (MLE) or γ = 1/n (unbiased). ``mean_sq_error_offset`` B: unbiased,
    E‖μ̂_t − μ₀‖² = B + dσ²·C·t^{1/n}/n + O(t^{1/n − 1}) (B = dσ²β_∞); MLE, B = the limit.
    """

    mean_sq_error: float
    cov_trace_ratio: float
    growth_exponent: float
    trace_constant: float
    mean_sq_error_offset: float

    def as_dict(self) -> dict:
        return {
            "mean_sq_error_limit": self.mean_sq_error,
            "cov_trace_ratio_limit": self.cov_trace_ratio,
            "growth_exponent": self.growth_exponent,
            "trace_constant": self.trace_constant,
            "mean_sq_error_offset": self.mean_sq_error_offset,
        }


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, estimator=ESTIMATOR, variance=POSITIVE)
def limits(n: int, d: int, *, estimator: str = "mle", variance: float = 1.0) -> GaussianSubsampleLimits:
    """lim_{t→∞} under accumulate-subsample (proofs in the module docstring).

    MLE: trace → (1 − 1/n)·Γ(2 − 1/n)/(Γ(2 − a)Γ(2 − b)), a, b = (1 ± √(12n − 3))/(2n); mean error →
    dσ²(1 − that). Unbiased: both diverge; trace ~ C·t^{1/n}, C = Γ(2 − 1/n)/(Γ(2 − √(3/n))Γ(2 + √(3/n))).
    """
    scale = d * float(variance)
    C = float(np.exp(_log_front(n, estimator)))
    if estimator == "mle":  # mean: β_∞ + δ_∞/n (= 1 − trace), summed without cancellation
        trace = (1.0 - 1.0 / n) * C
        mean = scale * (_beta_limit(n, "mle") + C / n)
        return GaussianSubsampleLimits(mean, trace, 0.0, trace, mean)
    return GaussianSubsampleLimits(float("inf"), float("inf"), 1.0 / n, C, scale * _beta_limit(n, "unbiased"))


@validate(t=ITERATION)
def large_n_ratio(t):
    """lim_{n→∞} n·E‖μ̂_t − μ₀‖²/tr Σ₀ (Gaussian, either estimator) = 3·H_t⁽²⁾ − 2, H_t⁽²⁾ = Σ_{i≤t} 1/i².

    Increases to π²/2 − 2 ≈ 2.9348 (accumulate: H_t⁽²⁾ → π²/6; replace: t). From the products above:
    1 − P_t = (1 + 3Σ_{k=2}^t 1/k²)/n + O(1/n²). Also the leading-order law of OLS on a fixed design
    (:func:`linreg_test_error_leading_order`). Vectorised over t.
    """
    tt = np.asarray(t, dtype=float)
    direct = np.cumsum(1.0 / np.arange(1, 65, dtype=float) ** 2)
    idx = np.clip(tt, 1, 64).astype(np.int64) - 1
    h2 = np.where(tt <= 64, direct[idx], np.pi**2 / 6.0 - polygamma(1, np.maximum(tt, 64) + 1.0))
    return _out(3.0 * h2 - 2.0, t)


@validate(n=POSITIVE_INT, d=POSITIVE_INT, t=ITERATION, sigma=NONNEGATIVE)
def linreg_test_error_leading_order(n: int, d: int, t, *, sigma: float = 1.0):
    """OLS on a fixed design under accumulate-subsample: σ²d/(n − d − 1)·(3H_t⁽²⁾ − 2), leading order in d/n.

    **Not exact; no exact law exists in this second-moment form.** Model: X ∈ R^{n×d} fixed, the pool at
    iteration t is t labelled copies of X, the fit uses n of those t·n rows drawn without replacement, so
    ŵ_t − w* = G_Q⁻¹Σ_{i∈Q} x_{r_i}(x_{r_i}ᵀe_{g_i} + ε_i) with G_Q = Σ_{i∈Q} x_{r_i}x_{r_i}ᵀ = Σ_r c_r x_r x_rᵀ
    (c_r = how often row r was drawn) and e_g the error of the generation that labelled the row. Unlike
    the Gaussian case the weight on a pool label is a random *matrix*, G_Q⁻¹x_r x_rᵀ, a rational function of
    the multiplicities c and of X; its expectation is not a function of a few pool moments. Already at
    t = 2, d = 1 the fresh-noise part is σ²E[1/(χ²_a + 2χ²_b)] = σ²∫₀^∞(1 + 2λ)^{−a/2}(1 + 4λ)^{−b/2}dλ
    (a, b = rows drawn once, twice), a hypergeometric function, not the rational 1/(n − 2) of the other
    workflows; later iterations couple it with the errors of every earlier generation through X.

    As n/d → ∞, G_Q/n → Σ and the model becomes the Gaussian mean problem with a fixed noise level
    (pool point = e_g + Σ⁻¹x_rε), whose exact second-moment recursion gives the ratio 3H_t⁽²⁾ − 2 → π²/2 − 2
    (:func:`large_n_ratio`). Measured (tests/test_accumulate_subsample.py, docs/accumulate_subsample.md):
    agreement within simulation error at d/n ≤ 0.01; about +10 % at d/n = 0.1 (simulation above). n ≥ d + 2
    required (n < d + 2: InvalidParameterError; the real-data error σ²d/(n − d − 1) is infinite or undefined).
    Simulator: :func:`montecarlo.linreg_workflow.simulate` (``workflow="accumulate-subsample"``).
    """
    if n < d + 2:
        raise InvalidParameterError.of(
            "n", "linreg_test_error_leading_order", f"must be at least d + 2 = {d + 2} "
            f"(the real-data OLS error sigma^2 d/(n - d - 1) is finite only there). Got {n} instead."
        )
    base = float(sigma) ** 2 * d / (n - d - 1)
    return _out(base * np.asarray(large_n_ratio(t), dtype=float), t)
