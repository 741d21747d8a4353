"""Iterative Gaussian fitting under the replace and accumulate workflows: exact finite-t expectations.

Model (docs/theory.md §5 "Gaussian (MGM)"; Kazdan, Schaeffer et al., "Collapse or Thrive?", §2.1 and App. B).
The true law is N(μ₀, σ²I_d). D₀ is n real points. Iteration t = 1, 2, …: fit (μ̂_t, Σ̂_t) on the
training set F_t, record the metrics, draw S_t = n points from N(μ̂_t, Σ̂_t).

- replace:    F₁ = D₀, F_{t+1} = S_t (n points every iteration);
- accumulate: F_t = D₀ ∪ S₁ ∪ … ∪ S_{t−1} (t·n points).

**Iteration 1 is the fit on the real data** (the authors' indexing), so no workflow matters at t = 1.
μ̂ is the sample mean; Σ̂ is the maximum-likelihood covariance (scatter/m, ``estimator="mle"``, the
authors' ``np.cov(..., bias=True)``) or the unbiased one (scatter/(m − 1), ``estimator="unbiased"``),
m the size of F_t. Metrics: the squared error of the fitted mean ‖μ̂_t − μ₀‖², and the ratios
tr Σ̂_t / tr Σ₀ and det Σ̂_t / det Σ₀, Σ₀ = σ²I_d. All functions return expectations, vectorised over
the iteration t (an int or an array of ints ≥ 1; the result has the shape of t).

Closed forms (c = 1 − 1/n for the MLE, 1 for the unbiased estimator; m₁ = n or n − 1):

- replace:    E tr Σ̂_t/tr Σ₀ = c^t;  E ‖μ̂_t − μ₀‖² = (dσ²/n)·Σ_{k<t} c^k = dσ²(1 − c^t) (MLE), t·dσ²/n
  (unbiased);  E det Σ̂_t/det Σ₀ = r^t, r = ∏_{i=1}^d (n − i)/m₁ (0 when n ≤ d).
- accumulate: E tr Σ̂_t/tr Σ₀ = P_t = ∏_{k=1}^t (1 − 1/(n k²)) (MLE), ∏_{k=2}^t (1 − 1/(k(kn − 1)))
  (unbiased), both → sin(π/√n)/(π/√n) · … (Euler's product; see :func:`limits`);
  E ‖μ̂_t − μ₀‖² = (dσ²/n)·Σ_{k=1}^t P_{k−1}/k² < (π²/6)·dσ²/n;
  E det Σ̂_t/det Σ₀ = ∏_{i=1}^d (n − i)/m₁ · ∏_{s=1}^{t−1} f_s with
  f_s = Σ_{k=0}^d a_s^{d−k}·d!/(d−k)!·e_k(s) / b_s^d, e_k(s) = C(n−1, k) + s/(s+1)·C(n−1, k−1),
  (a_s, b_s) = (sn, (s+1)n) for the MLE and (sn − 1, (s+1)n − 1) for the unbiased estimator.

Derivation (checked symbolically in tests/test_workflow_sympy.py): given the past, the new sample has
mean μ̂_t + ξ, ξ ~ N(0, Σ̂_t/n), and scatter W ~ Wishart_d(n − 1, Σ̂_t), independent. Replace: Σ̂_{t+1}
= W/m₁. Accumulate: μ̂_{t+1} = μ̂_t + ξ/(t+1) and scatter_{t+1} = scatter_t + W + (tn/(t+1))·ξξᵀ, so
scatter_{t+1} = Σ̂_t^{1/2}(a_t I + M)Σ̂_t^{1/2} with M = Σ_j w_j g_j g_jᵀ (weights 1 (n − 1 times) and
t/(t+1)); E det(aI + M) = Σ_k a^{d−k}·k!·C(d, k)·e_k(w) (Cauchy–Binet), which gives f_t.

Sources: docs/theory.md §5 (trace, mean and replace determinant laws, marked [checked]/[derived]); the
accumulate determinant product f_s is this module's own derivation, confirmed by simulation in
tests/test_gaussian_workflow.py. Simulator twin: :func:`montecarlo.gaussian_workflow.simulate`.
Accuracy: every expectation is exact at finite n, d, t (evaluated to ~1e-13 relative with
``scipy.special.poch``; the accumulate mean sum is summed exactly up to t = 2¹⁷ and completed beyond that
by an asymptotic tail whose error is below 1e-15 relative). Accumulate-subsample: mean error and trace
exact in :mod:`model_collapse.theory.accumulate_subsample`. The d = 1 W₂² under accumulate uses E σ̂_t from
:mod:`model_collapse.theory.gaussian_std`; the a.s. trace rate is :func:`trace_log_rate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from model_collapse.arrays import like, plain
from model_collapse.numerics import require_representable
from model_collapse.theory import accumulate_subsample as _subsample
from model_collapse.theory import gaussian_std as _std
from model_collapse.validation import (
    POSITIVE,
    POSITIVE_INT,
    Interval,
    InvalidParameterError,
    Options,
    renamed,
    validate,
)
from scipy.special import gammaln, logsumexp, poch, polygamma, psi, zeta

__all__ = [
    "WORKFLOWS",
    "ESTIMATORS",
    "GaussianWorkflowPrediction",
    "GaussianWorkflowLimits",
    "cov_trace_ratio",
    "mean_sq_error",
    "cov_det_ratio",
    "predict",
    "limits",
    "mean_sq_error_bound",
    "log_det_decay_rate",
    "trace_log_rate",
    "w2_squared",
    "w2_squared_lower_bound",
]

WORKFLOWS = ("replace", "accumulate", "accumulate-subsample")
ESTIMATORS = ("mle", "unbiased")
WORKFLOW = Options(WORKFLOWS)
ESTIMATOR = Options(ESTIMATORS)
N_SAMPLES = Interval(Integral, 2, None, closed="left")  # a covariance needs at least two points
ITERATION = Interval(Integral, 1, None, closed="left")  # iteration 1 = the fit on the real data
DIM = POSITIVE_INT

_EXACT_SUM_MAX = 2**17  # accumulate mean sum: exact cumulative sum up to this t, asymptotic tail beyond
_DET_CHUNK = 2**14


def _iterations(t) -> np.ndarray:
    return np.asarray(t, dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# The accumulate variance factor P_t = E tr Σ̂_t / tr Σ₀ (P_0 = 1), in O(1) per t.
# --------------------------------------------------------------------------------------------------


def _unbiased_roots(n: int) -> tuple[float, float, float]:
    """n k² − k − 1 = n(k − a)(k − b) and k(kn − 1) = n k (k − c): returns (a, b, c), a + b = c = 1/n."""
    root = np.sqrt(1.0 + 4.0 * n)
    return (1.0 + root) / (2.0 * n), (1.0 - root) / (2.0 * n), 1.0 / n


def _accumulate_factor(n: int, t: np.ndarray, estimator: str) -> np.ndarray:
    """P_t for integer t ≥ 0 (array), exact via Pochhammer symbols (Γ ratios)."""
    t = np.asarray(t, dtype=float)
    if estimator == "mle":
        # ∏_{k=1}^t (1 − x²/k²) = Γ(t+1−x)Γ(t+1+x) / (Γ(1−x)Γ(1+x)Γ(t+1)²),  Γ(1−x)Γ(1+x) = πx/sin(πx)
        x = 1.0 / np.sqrt(n)
        return poch(t + 1.0, x) * poch(t + 1.0, -x) * (np.sin(np.pi * x) / (np.pi * x))
    a, b, c = _unbiased_roots(n)
    # ∏_{k=2}^t (k−a)(k−b)/(k(k−c)) = Γ(2−c)/(Γ(2−a)Γ(2−b)) · (t+1)_{−a}(t+1)_{−b}/(t+1)_{−c}
    log_front = gammaln(2.0 - c) - gammaln(2.0 - a) - gammaln(2.0 - b)
    out = np.exp(log_front) * poch(t + 1.0, -a) * poch(t + 1.0, -b) / poch(t + 1.0, -c)
    return np.where(t < 1, 1.0, out)


def _accumulate_factor_limit(n: int, estimator: str) -> float:
    if estimator == "mle":
        x = np.pi / np.sqrt(n)
        return float(np.sin(x) / x)  # Euler: ∏_{k≥1}(1 − x²/(π²k²)) = sin x / x
    a, b, c = _unbiased_roots(n)
    return float(np.exp(gammaln(2.0 - c) - gammaln(2.0 - a) - gammaln(2.0 - b)))


def _mean_tail(n: int, t: np.ndarray, p_inf: float) -> np.ndarray:
    """Σ_{k>t} P_{k−1}/k² ≈ P_∞(ψ₁(t+1) + ζ(3, t+1)/n); error O(1/(n t³)) (P_{k−1}/P_∞ = 1 + 1/(nk) + …)."""
    t = np.asarray(t, dtype=float)
    return p_inf * (polygamma(1, t + 1.0) + zeta(3.0, t + 1.0) / n)


def _mean_sum(n: int, t: np.ndarray, estimator: str) -> np.ndarray:
    """S_t = Σ_{k=1}^t P_{k−1}/k², so that E‖μ̂_t − μ₀‖² = dσ²·S_t/n under accumulate."""
    t = np.asarray(t, dtype=np.int64)
    kmax = int(min(max(int(t.max(initial=1)), 1), _EXACT_SUM_MAX))
    k = np.arange(1, kmax + 1)
    partial = np.concatenate([[0.0], np.cumsum(_accumulate_factor(n, k - 1, estimator) / k.astype(float) ** 2)])
    small = np.minimum(t, kmax)
    out = partial[small]
    big = t > _EXACT_SUM_MAX
    if np.any(big):
        p_inf = _accumulate_factor_limit(n, estimator)
        s_inf = partial[-1] + _mean_tail(n, kmax, p_inf)
        out = np.where(big, s_inf - _mean_tail(n, np.maximum(t, kmax), p_inf), out)
    return out


def _mean_sum_limit(n: int, estimator: str) -> float:
    k = np.arange(1, _EXACT_SUM_MAX + 1)
    head = float(np.sum(_accumulate_factor(n, k - 1, estimator) / k.astype(float) ** 2))
    return head + float(_mean_tail(n, _EXACT_SUM_MAX, _accumulate_factor_limit(n, estimator)))


# --------------------------------------------------------------------------------------------------
# Determinant
# --------------------------------------------------------------------------------------------------


def _divisor(n: int, estimator: str) -> int:
    return n if estimator == "mle" else n - 1


def _log_first_det(n: int, d: int, estimator: str) -> float:
    """log E det Σ̂₁/det Σ₀ = log ∏_{i=1}^d (n − i)/m₁ (n > d)."""
    i = np.arange(1, d + 1)
    return float(np.sum(np.log((n - i) / _divisor(n, estimator))))


def _log_det_step(n: int, d: int, s: np.ndarray, estimator: str) -> np.ndarray:
    """log f_s for integer s ≥ 1 (array), the accumulate determinant step E det Σ̂_{s+1} / E det Σ̂_s."""
    s = np.asarray(s, dtype=float)[:, None]
    k = np.arange(d + 1, dtype=float)[None, :]
    if estimator == "mle":
        a, b = s * n, (s + 1.0) * n
    else:
        a, b = s * n - 1.0, (s + 1.0) * n - 1.0
    log_choose = gammaln(n) - gammaln(k + 1.0) - gammaln(n - k)  # C(n − 1, k), k ≤ d ≤ n − 1
    log_ek = log_choose + np.log1p((s / (s + 1.0)) * k / (n - k))
    log_falling = gammaln(d + 1.0) - gammaln(d - k + 1.0)  # d!/(d − k)!
    terms = (d - k) * np.log(a / b) - k * np.log(b) + log_falling + log_ek
    return logsumexp(terms, axis=1)


def _log_det_accumulate(n: int, d: int, t: np.ndarray, estimator: str) -> np.ndarray:
    """log E det Σ̂_t/det Σ₀ under accumulate for integer t ≥ 1 (array), summed exactly in chunks."""
    t = np.asarray(t, dtype=np.int64)
    tmax = int(t.max(initial=1))
    cum = np.empty(tmax)  # cum[j] = Σ_{s=1}^{j} log f_s
    cum[0] = 0.0
    total = 0.0
    for start in range(1, tmax, _DET_CHUNK):
        s = np.arange(start, min(start + _DET_CHUNK, tmax))
        steps = np.cumsum(_log_det_step(n, d, s, estimator)) + total
        cum[s] = steps
        total = steps[-1]
    return _log_first_det(n, d, estimator) + cum[t - 1]


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR)
def cov_trace_ratio(n: int, d: int, t, *, workflow: str = "accumulate", estimator: str = "mle"):
    """E tr Σ̂_t / tr Σ₀ at iteration t (iteration 1 = the real-data fit); independent of d and σ².

    replace: (1 − 1/n)^t (MLE), 1 (unbiased: E Σ̂_t = Σ₀, yet Σ̂_t → 0 almost surely, see
    :func:`log_det_decay_rate`). accumulate: ∏_{k=1}^t (1 − 1/(nk²)) (MLE), ∏_{k=2}^t (1 − 1/(k(kn − 1)))
    (unbiased). Source: docs/theory.md §5; CoT App. B (Lemma 3, eq. 3–4). Exact. Simulator twin:
    :func:`montecarlo.gaussian_workflow.simulate` (``cov_trace_ratio``).
    """
    if workflow == "accumulate-subsample":
        return _subsample.gaussian_moments(n, d, t, estimator=estimator)[1]
    tt = _iterations(t)
    if workflow == "replace":
        out = (1.0 - 1.0 / n) ** tt if estimator == "mle" else np.ones(tt.shape)
    else:
        out = _accumulate_factor(n, tt, estimator)
    return like(out, t)


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE)
def mean_sq_error(n: int, d: int, t, *, workflow: str = "accumulate", estimator: str = "mle",
                  variance: float = 1.0):
    """E ‖μ̂_t − μ₀‖² at iteration t (iteration 1 = the real-data fit, error dσ²/n).

    E‖μ̂_t − μ₀‖² = (1/n)·Σ_{k=1}^t w_k·E tr Σ̂_{k−1} (Σ̂₀ = Σ₀): w_k = 1 under replace (a random walk
    whose step variance is the current fitted variance) and 1/k² under accumulate (the new sample
    enters the running mean with weight 1/k). Hence replace: dσ²(1 − (1 − 1/n)^t) (MLE: bounded because
    the variance dies), t·dσ²/n (unbiased: linear); accumulate: (dσ²/n)·Σ_{k=1}^t P_{k−1}/k² <
    (π²/6)·dσ²/n. Source: docs/theory.md §5; CoT Corollary 4. Exact. Simulator twin:
    :func:`montecarlo.gaussian_workflow.simulate` (``mean_sq_error``).
    """
    if workflow == "accumulate-subsample":
        return _subsample.gaussian_moments(n, d, t, estimator=estimator, variance=variance)[0]
    tt = _iterations(t)
    # σ² multiplies the dimensionless factor last: d·σ² alone overflows at σ² = 1e308 although dσ²/n may not
    if workflow == "replace":
        unit = d * (1.0 - (1.0 - 1.0 / n) ** tt) if estimator == "mle" else d * (tt / n)
    else:
        unit = d * (_mean_sum(n, tt, estimator) / n)
    with np.errstate(over="ignore"):
        out = variance * unit
    require_representable("mean_sq_error", "mean squared error", out, "variance", variance, unit, power=1.0)
    return like(out, t)


@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR)
def cov_det_ratio(n: int, d: int, t, *, workflow: str = "accumulate", estimator: str = "mle"):
    """E det Σ̂_t / det Σ₀ at iteration t (iteration 1 = the real-data fit).

    Iteration 1: ∏_{i=1}^d (n − i)/m₁ (Wishart determinant moment; m₁ = n for the MLE, n − 1 unbiased).
    replace: that factor to the power t. accumulate: times ∏_{s=1}^{t−1} f_s (module docstring). When
    n ≤ d every fitted covariance is singular and the ratio is exactly 0. Cost O(d·max t) for
    accumulate. Source: docs/theory.md §5 (replace, [derived]); accumulate derived in this module. Exact.
    Simulator twin: :func:`montecarlo.gaussian_workflow.simulate` (``cov_det_ratio``).
    """
    if workflow == "accumulate-subsample":
        if 2 <= d < n:
            raise InvalidParameterError.of(
                "workflow", "cov_det_ratio", "must be 'replace' or 'accumulate' when 2 <= d < n: "
                "under accumulate-subsample E det is not a second moment and has no closed form (exact for d = 1 "
                "and n <= d only; see theory.accumulate_subsample.log_det_ratio_upper_bound). Got "
                "'accumulate-subsample' instead.")
        return _subsample.cov_det_ratio(n, d, t, estimator=estimator)
    tt = _iterations(t)
    if n <= d:
        return like(np.zeros(tt.shape), t)
    if workflow == "replace":
        out = np.exp(tt * _log_first_det(n, d, estimator))
    else:
        flat = tt.ravel()
        out = np.exp(_log_det_accumulate(n, d, flat, estimator)).reshape(tt.shape)
    return like(out, t)


FIELDS = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "log_det_ratio", "w2_squared")


@dataclass(frozen=True)
class GaussianWorkflowPrediction:
    """Expected metrics at the requested iterations (arrays of the shape of t, floats for scalar t).

    ``log_det_ratio`` = E log(det Σ̂_t/det Σ₀) is exact under replace with n > d (t·ρ, see
    :func:`log_det_decay_rate`) and None otherwise (no closed form under accumulate; −inf is not a mean
    when n ≤ d). ``w2_squared`` (d = 1, replace and accumulate) is :func:`w2_squared`; None otherwise.
    """

    mean_sq_error: np.ndarray | float
    cov_trace_ratio: np.ndarray | float
    cov_det_ratio: np.ndarray | float | None
    log_det_ratio: np.ndarray | float | None = None
    w2_squared: np.ndarray | float | None = None

    def as_dict(self) -> dict:
        return {k: plain(getattr(self, k)) for k in FIELDS if getattr(self, k) is not None}


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE)
def predict(n: int, d: int, t, *, workflow: str = "accumulate", estimator: str = "mle",
            variance: float = 1.0) -> GaussianWorkflowPrediction:
    """Every expectation at iteration(s) t (an int or an array of ints, 1 = the real-data fit); see
    :func:`mean_sq_error`, :func:`cov_trace_ratio`, :func:`cov_det_ratio`, :func:`log_det_decay_rate`,
    :func:`w2_squared`. Source: docs/theory.md §5.1. Simulator twin:
    :func:`model_collapse.montecarlo.gaussian_workflow.simulate` (same keywords, same fields)."""
    kw = dict(workflow=workflow, estimator=estimator)
    log_det = w2 = None
    if workflow == "replace" and n > d:
        log_det = like(_iterations(t) * log_det_decay_rate(n, d, estimator=estimator), t)
    if workflow != "accumulate-subsample" and d == 1:
        w2 = w2_squared(n, t, workflow=workflow, estimator=estimator, variance=variance)
    return GaussianWorkflowPrediction(
        mean_sq_error=mean_sq_error(n, d, t, variance=variance, **kw),
        cov_trace_ratio=cov_trace_ratio(n, d, t, **kw),
        cov_det_ratio=None if (workflow == "accumulate-subsample" and 2 <= d < n) else cov_det_ratio(n, d, t, **kw),
        log_det_ratio=log_det,
        w2_squared=w2,
    )


@dataclass(frozen=True)
class GaussianWorkflowLimits:
    """The t → ∞ limits of the three expectations, and a bound on the mean error valid at every t:
    (π²/6)·dσ²/n under accumulate, dσ² under replace with the MLE, inf under replace with the unbiased
    estimator (the error grows linearly)."""

    mean_sq_error: float
    cov_trace_ratio: float
    cov_det_ratio: float
    mean_sq_error_bound: float

    def as_dict(self) -> dict:
        return {
            "mean_sq_error_limit": self.mean_sq_error,
            "cov_trace_ratio_limit": self.cov_trace_ratio,
            "cov_det_ratio_limit": self.cov_det_ratio,
            "mean_sq_error_bound": self.mean_sq_error_bound,
        } if self.cov_det_ratio is not None else {
            "mean_sq_error_limit": self.mean_sq_error,
            "cov_trace_ratio_limit": self.cov_trace_ratio,
            "mean_sq_error_bound": self.mean_sq_error_bound,
        }


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, variance=POSITIVE)
def mean_sq_error_bound(n: int, d: int, *, variance: float = 1.0) -> float:
    """(π²/6)·dσ²/n: the accumulate mean error stays below π²/6 times the real-data error dσ²/n.

    Holds for every t and both estimators (each P_{k−1} ≤ 1). Source: CoT Corollary 4; Dey & Donoho.
    """
    unit = np.pi**2 / 6.0 * (d / n)
    with np.errstate(over="ignore"):
        out = float(np.float64(variance) * unit)
    require_representable("mean_sq_error_bound", "bound", out, "variance", variance, unit, power=1.0)
    return out


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, d=DIM, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE)
def limits(n: int, d: int, *, workflow: str = "accumulate", estimator: str = "mle",
           variance: float = 1.0) -> GaussianWorkflowLimits:
    """lim_{t→∞} of the expectations.

    replace: trace → 0 (MLE) or 1 (unbiased, although Σ̂_t → 0 almost surely); determinant → 0 (1 for
    d = 1 unbiased); mean error → dσ² (MLE) or ∞ (unbiased).
    accumulate: trace → sin(π/√n)/(π/√n) (MLE, Euler's product) or Γ(2 − c)/(Γ(2 − a)Γ(2 − b))
    (unbiased; a, b the roots of nk² − k − 1, c = 1/n); mean error → (dσ²/n)·Σ_{k≥1} P_{k−1}/k² (below
    (π²/6)·dσ²/n); determinant → the converging product ∏ f_s, evaluated by Richardson extrapolation
    of the partial products at 2¹⁵ and 2¹⁶ iterations (error O(2⁻³²) relative).
    """
    if workflow == "accumulate-subsample":
        lim = _subsample.limits(n, d, estimator=estimator, variance=variance)
        det = (lim.cov_trace_ratio if d == 1 else 0.0) if (d == 1 or n <= d) else None  # no closed form
        # the mean error rises with t under accumulate-subsample, so its limit bounds it at every t
        return GaussianWorkflowLimits(lim.mean_sq_error, lim.cov_trace_ratio, det, lim.mean_sq_error)
    bound = mean_sq_error_bound(n, d, variance=variance)
    if workflow == "replace":  # the mean error is bounded by dσ² (MLE, 1 − (1 − 1/n)^t < 1) or unbounded
        if estimator == "mle":
            with np.errstate(over="ignore"):
                lim = float(np.float64(d) * variance)
            require_representable("limits", "limit", lim, "variance", variance, float(d), power=1.0)
            return GaussianWorkflowLimits(lim, 0.0, 0.0, lim)
        det = 1.0 if (d == 1 and n > d) else 0.0
        return GaussianWorkflowLimits(float("inf"), 1.0, det, float("inf"))
    trace = _accumulate_factor_limit(n, estimator)
    mse = float(variance * (d * (_mean_sum_limit(n, estimator) / n)))  # ≤ bound, so finite
    if n <= d:
        det = 0.0
    else:
        k = 2**15
        lp = _log_det_accumulate(n, d, np.array([k, 2 * k]), estimator)
        det = float(np.exp(2.0 * lp[1] - lp[0]))
    return GaussianWorkflowLimits(mse, trace, det, bound)


@validate(n=N_SAMPLES, d=DIM, estimator=ESTIMATOR)
def log_det_decay_rate(n: int, d: int, *, estimator: str = "mle") -> float:
    """Replace workflow: the almost-sure rate ρ = lim (1/t)·log(det Σ̂_t / det Σ₀).

    ρ = Σ_{i=1}^d [ψ((n − i)/2) + log 2 − log m₁] < 0 (m₁ = n MLE, n − 1 unbiased), because det Σ̂_t is
    det Σ₀ times a product of t independent factors ∏_i χ²_{n−i}/m₁ (Bartlett). The same sum gives the
    exact finite-t expectation E log(det Σ̂_t/det Σ₀) = t·ρ, which the simulator checks. For d = 1 this
    is the rate of the fitted variance, (1/t)·log σ̂_t² → ψ((n − 1)/2) − log((n − 1)/2) (unbiased), so
    σ̂_t² ≈ σ₀²·exp(ρt) ≈ exp(−t/(n − 1)) for large n. Returns −inf when n ≤ d (det Σ̂_t = 0). Under
    accumulate Σ̂_t converges almost surely to a non-degenerate limit (rate 0). Source: docs/theory.md §5.
    """
    if n <= d:
        return float("-inf")
    i = np.arange(1, d + 1)
    return float(np.sum(psi((n - i) / 2.0) + np.log(2.0) - np.log(_divisor(n, estimator))))


@validate(n=N_SAMPLES, d=DIM, estimator=ESTIMATOR)
def trace_log_rate(n: int, d: int, *, estimator: str = "mle") -> float:
    """Replace workflow: the almost-sure rate λ = lim (1/t)·log(tr Σ̂_t / tr Σ₀) = ψ((n − 1)/2) + log(2/m₁) < 0.

    Twice the top Lyapunov exponent of the covariance recursion, the same for every d (m₁ = n MLE, n − 1
    unbiased). Proof (docs/theory.md §5.1): in law Σ̂_t = σ²·L_tL_tᵀ with L_t = R₁ᵀ⋯R_tᵀ/m₁^{t/2}, R_k iid
    Bartlett factors of Wishart_d(n − 1, I) (upper triangular, R_ii ~ χ_{n−i}, R_ij ~ N(0, 1)); L_t is lower
    triangular, its (1, 1) entry is ∏_k R_{k,11}/m₁^{t/2}, which gives the lower bound, and every entry is a
    sum of O(t^{d−1}) paths with at most d − 1 off-diagonal factors, which gives the upper bound. Hence the
    rate equals the d = 1 rate of the variance, E log(χ²_{n−1}/m₁), and is **not** log E (the annealed rate
    log(1 − 1/n) of E tr Σ̂_t, which is 0 for the unbiased estimator). At every t, exactly,
    E log(tr Σ̂_t/tr Σ₀) ≥ t·λ − log d. Under accumulate Σ̂_t converges a.s. (rate 0). Any n ≥ 2 (for n ≤ d
    the fits live in an (n − 1)-dimensional subspace from iteration 1 on, with the same top factor χ_{n−1}).
    Simulator twin: ``cov_trace_ratio`` trajectories of :func:`montecarlo.gaussian_workflow.trajectories`.
    """
    return float(psi((n - 1) / 2.0) + np.log(2.0) - np.log(_divisor(n, estimator)))


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE)
def w2_squared(n: int, t, *, workflow: str = "replace", estimator: str = "mle", variance: float = 1.0):
    """1-D: E W₂²(N(μ̂_t, σ̂_t²), N(μ₀, σ²)) = E(μ̂_t − μ₀)² + E σ̂_t² − 2σ·E σ̂_t + σ².

    Replace: E σ̂_t = σ·c_n^t, c_n = E√(χ²_{n−1}/m₁), so E W₂² = mse_t + σ²(v^t − 2c_n^t + 1), v = 1 − 1/n
    (MLE) or 1 (unbiased, giving tσ²/n + 2σ²(1 − c_n^t) as in docs/theory.md §5). Accumulate: E σ̂_t =
    σ·c_n·∏_{s<t} g_s, g_s = E√((m_s + χ²_{n−1} + (s/(s + 1))χ²_1)/m_{s+1}) (independent factors of the pooled
    variance; :mod:`model_collapse.theory.gaussian_std`), so E W₂² = mse_t + σ²(P_t − 2·E σ̂_t/σ + 1).
    Both exact (accumulate: certified numerics, ≤ 1e-14 relative). accumulate-subsample: no known closed
    form (E σ̂_t is not a second moment), InvalidParameterError; the simulator's ``w2_squared`` (d = 1) is
    the twin of this function. For d > 1 see :func:`w2_squared_lower_bound`.
    """
    if workflow == "accumulate-subsample":
        raise InvalidParameterError.of(
            "workflow", "w2_squared", "must be 'replace' or 'accumulate': w2_squared has no closed form "
            "under accumulate-subsample (E of the fitted standard deviation is not a second moment of the "
            "pool); use w2_squared_lower_bound or montecarlo.gaussian_workflow.simulate. Got "
            "'accumulate-subsample' instead.")
    tt = _iterations(t)
    mse = mean_sq_error(n, 1, tt, workflow=workflow, estimator=estimator, variance=variance)
    v = cov_trace_ratio(n, 1, tt, workflow=workflow, estimator=estimator)
    c = _std.std_ratio(n, tt, workflow=workflow, estimator=estimator)
    return like(mse + variance * (v - 2.0 * c + 1.0), t)


@renamed(sigma2="variance")
@validate(n=N_SAMPLES, t=ITERATION, workflow=WORKFLOW, estimator=ESTIMATOR, variance=POSITIVE)
def w2_squared_lower_bound(n: int, t, *, workflow: str = "accumulate", estimator: str = "mle",
                           variance: float = 1.0):
    """1-D: E W₂² ≥ E(μ̂_t − μ₀)² + (√(E σ̂_t²) − σ)² (Jensen, E σ̂_t ≤ √(E σ̂_t²)); both workflows."""
    tt = _iterations(t)
    mse = mean_sq_error(n, 1, tt, workflow=workflow, estimator=estimator, variance=variance)
    v = cov_trace_ratio(n, 1, tt, workflow=workflow, estimator=estimator)
    return like(mse + variance * (np.sqrt(v) - 1.0) ** 2, t)

