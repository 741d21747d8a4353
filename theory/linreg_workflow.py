"""Iterative linear regression on a fixed design under replace and accumulate: the t and π²/6 laws.

Model (docs/theory.md §5 "Linear regression"; Gerstgrasser et al., "Is Model Collapse Inevitable?"; the
"Collapse or Thrive?" code). A design X ∈ R^{n×d} with rows N(0, Σ) is drawn once and reused at every
iteration (n = samples per iteration). Real labels y⁽¹⁾ = Xw* + ε₁, ε ~ N(0, σ²I_n). Iteration t = 1, 2, …:
fit ŵ_t by ordinary least squares on the training set, record the test error, then label the same X
with the fitted model: y⁽ᵗ⁺¹⁾ = Xŵ_t + ε_{t+1}.

- replace:    train on (X, y⁽ᵗ⁾) only, so ŵ_t = ŵ_{t−1} + Pε_t, P = (XᵀX)⁻¹Xᵀ;
- accumulate: train on all t stacked copies (X, y⁽¹⁾), …, (X, y⁽ᵗ⁾), so ŵ_t = ŵ_{t−1} + Pε_t/t.

**Iteration 1 is the fit on the real data**, ŵ₁ = w* + Pε₁, so ŵ_t − w* = Σ_{k≤t} Pε_k (replace) or
Σ_{k≤t} Pε_k/k (accumulate): independent increments of covariance σ²(XᵀX)⁻¹ (times 1/k²).

Test error = excess risk E‖ŵ_t − w*‖²_Σ, which is the expected test MSE on **noiseless** test labels
x_testᵀw* (the authors' convention; their 1000 fixed test points give an unbiased estimate of it);
``test_labels="noisy"`` adds σ², the full MSE on labels with the training noise level.

    conditional on X: σ²·tr((XᵀX)⁻¹Σ)·h_t,    h_t = t (replace) or H_t⁽²⁾ = Σ_{i≤t} 1/i² (accumulate)
    unconditional:    σ²·d/(n − d − 1)·h_t   (E (XᵀX)⁻¹ = Σ⁻¹/(n − d − 1), inverse Wishart; any Σ)

Replace grows linearly; accumulate stays below (π²/6)·σ²d/(n − d − 1), i.e. at most π²/6 ≈ 1.645 times the
real-data error (Dey & Donoho's universal π²/6 factor, exact here at every finite n, d).

Domain: OLS needs XᵀX invertible. n ≥ d + 2: finite. n ∈ {d, d + 1}: X has full column rank almost
surely, every run has a finite error, but E tr (XᵀX)⁻¹ = ∞, so the unconditional expectation is returned
as **inf**. n < d: OLS is not unique (the authors' pinv gives the minimum-norm fit, whose error depends
on ‖w*‖ and is not covered by these laws): InvalidParameterError. Accumulate-subsample has no law of this
form: its unconditional mean is infinite from t = ⌈n/(d + 1)⌉ on, and given X it is exact for n ≤ 10 in
:mod:`model_collapse.theory.linreg_subsample` (docs/theory.md §5.5). Simulator twin:
:func:`montecarlo.linreg_workflow.simulate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from model_collapse.arrays import like, plain
from model_collapse.numerics import require_representable, times_square
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    validate,
)
from scipy.special import polygamma

__all__ = [
    "WORKFLOWS",
    "TEST_LABELS",
    "iteration_factor",
    "LinregWorkflowPrediction",
    "predict",
    "predict_given_design",
    "limit",
    "pi2_6_bound",
]

WORKFLOWS = ("replace", "accumulate")
TEST_LABELS = ("noiseless", "noisy")
WORKFLOW = Options(WORKFLOWS)
LABELS = Options(TEST_LABELS)
ITERATION = Interval(Integral, 1, None, closed="left")  # iteration 1 = the fit on the real data


@validate(t=ITERATION, workflow=WORKFLOW)
def iteration_factor(t, *, workflow: str = "accumulate"):
    """h_t = E test error at iteration t / E test error of the real-data fit (t = 1).

    replace: t; accumulate: H_t⁽²⁾ = Σ_{i≤t} 1/i², summed directly for t ≤ 64 and as π²/6 − ψ₁(t + 1)
    beyond (no cancellation there); ↑ π²/6 (Dey & Donoho's risk ratio). Exact, vectorised over t.
    """
    tt = np.asarray(t, dtype=float)
    if workflow == "replace":
        return like(tt, t)
    direct = np.cumsum(1.0 / np.arange(1, 65, dtype=float) ** 2)
    idx = np.clip(tt, 1, 64).astype(np.int64) - 1
    out = np.where(tt <= 64, direct[idx], np.pi**2 / 6.0 - polygamma(1, np.maximum(tt, 64) + 1.0))
    return like(out, t)


def _check_ols(n: int, d: int, where: str) -> None:
    if n < d:
        raise InvalidParameterError.of(
            "n", where, f"must be at least d = {d} (ordinary least squares on n < d samples "
            f"is not unique; the minimum-norm fit's error depends on the unknown w*). Got {n} instead."
        )


def _per_unit(n: int, d: int, sigma: float, where: str = "predict") -> float:
    """σ²d/(n − d − 1), the real-data error; inf for n ∈ {d, d + 1} (0 when σ = 0)."""
    if float(sigma) == 0.0:
        return 0.0
    if n < d + 2:
        return float("inf")
    # σ² formed as (σ·√(d/(n − d − 1)))²: σ = 1e200 gives the right number or a refusal, not OverflowError
    out = float(times_square(sigma, d / (n - d - 1)))
    require_representable(where, "test error", out, "sigma", sigma, d / (n - d - 1))
    return out


@dataclass(frozen=True)
class LinregWorkflowPrediction:
    """Expected test error at the requested iterations (a float for a scalar t, else an array like t)."""

    test_error: np.ndarray | float

    def as_dict(self) -> dict:
        return {"test_error": plain(self.test_error)}


@validate(n=POSITIVE_INT, d=POSITIVE_INT, t=ITERATION, workflow=WORKFLOW, sigma=NONNEGATIVE, test_labels=LABELS)
def predict(n: int, d: int, t, *, workflow: str = "accumulate", sigma: float = 1.0,
            test_labels: str = "noiseless") -> LinregWorkflowPrediction:
    """E test error at iteration(s) t: σ²d/(n − d − 1)·h_t (+ σ² with noisy test labels).

    n = samples per iteration (the design's rows), d = dimension, σ = label-noise standard deviation, t an
    iteration or an array of iterations (1 = the real-data fit). n ∈ {d, d + 1} returns inf (infinite
    expectation, finite runs); n < d raises InvalidParameterError. Exact at finite n, d (inverse-Wishart
    mean), for any row covariance Σ. Source: docs/theory.md §5.2 (GER; CoT code). Simulator twin:
    :func:`model_collapse.montecarlo.linreg_workflow.simulate` (same keywords, same field).
    """
    _check_ols(n, d, "predict")
    h = np.asarray(iteration_factor(t, workflow=workflow), dtype=float)
    base = _per_unit(n, d, sigma)
    with np.errstate(over="ignore"):
        out = np.where(h > 0, base * h, 0.0) if base != float("inf") else np.full_like(h, np.inf)
        if test_labels == "noisy":
            out = out + times_square(sigma, 1.0)
    if base != float("inf"):
        require_representable("predict", "test error", out, "sigma", sigma,
                              (d / (n - d - 1)) * np.max(h) + (1.0 if test_labels == "noisy" else 0.0))
    if base == float("inf"):
        warnings.warn("n <= d + 1: every run has a finite error but its expectation is infinite "
                      "(E tr (X'X)^-1 = inf)", RuntimeWarning, stacklevel=2)
    return LinregWorkflowPrediction(test_error=like(out, t))


@validate(t=ITERATION, workflow=WORKFLOW, sigma=NONNEGATIVE, test_labels=LABELS)
def predict_given_design(X, t, *, workflow: str = "accumulate", sigma: float = 1.0, cov=None,
                            test_labels: str = "noiseless"):
    """E[test error | X] = σ²·tr((XᵀX)⁻¹Σ)·h_t (+ σ² with noisy test labels), for a given design X (n×d).

    ``cov`` is the test-input covariance Σ (a d×d matrix or a length-d vector of variances; default
    identity, the authors' N(0, I) inputs). X must have full column rank (InvalidParameterError
    otherwise). Exact. Simulator twin: :func:`montecarlo.linreg_workflow.simulate` with ``design=X``
    (all trials share X).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.size == 0 or not np.all(np.isfinite(X)):
        raise InvalidParameterError.of(
            "X", "predict_given_design", "must be a finite 2-D array (n × d). "
            f"Got an array of shape {X.shape} instead."
        )
    n, d = X.shape
    _check_ols(n, d, "predict_given_design")
    S = _covariance(cov, d)
    gram = X.T @ X
    if np.linalg.matrix_rank(gram) < d:
        raise InvalidParameterError.of(
            "X", "predict_given_design", "must have full column rank (XᵀX invertible). "
            "Got a rank-deficient design instead."
        )
    trace = float(np.trace(np.linalg.solve(gram, S)))
    h = np.asarray(iteration_factor(t, workflow=workflow), dtype=float)
    unit = trace * h + (1.0 if test_labels == "noisy" else 0.0)
    out = times_square(sigma, unit)
    require_representable("predict_given_design", "test error", out, "sigma", sigma, unit)
    return like(out, t)


def _covariance(cov, d: int) -> np.ndarray:
    if cov is None:
        return np.eye(d)
    S = np.asarray(cov, dtype=float)
    if S.ndim == 1:
        check_param("cov", S, NONNEGATIVE, "predict_given_design")
        S = np.diag(S)
    if S.shape != (d, d) or not np.all(np.isfinite(S)) or not np.allclose(S, S.T):
        raise InvalidParameterError.of(
            "cov", "predict_given_design", f"must be a symmetric {d}×{d} matrix or a length-{d} "
            f"vector. Got an array of shape {S.shape} instead."
        )
    return S


@validate(n=POSITIVE_INT, d=POSITIVE_INT, workflow=WORKFLOW, sigma=NONNEGATIVE, test_labels=LABELS)
def limit(n: int, d: int, *, workflow: str = "accumulate", sigma: float = 1.0,
          test_labels: str = "noiseless") -> float:
    """lim_{t→∞} E test error: inf under replace (σ > 0), (π²/6)·σ²d/(n − d − 1) under accumulate
    (+ σ² with noisy test labels). n < d: InvalidParameterError; n ∈ {d, d + 1}: inf."""
    _check_ols(n, d, "limit")
    base = _per_unit(n, d, sigma, "limit")
    noise = float(times_square(sigma, 1.0)) if test_labels == "noisy" else 0.0
    if base == 0.0:
        return noise
    if workflow == "replace" or base == float("inf"):
        return float("inf")
    unit = np.pi**2 / 6.0 * d / (n - d - 1) + (1.0 if test_labels == "noisy" else 0.0)
    out = float(times_square(sigma, unit))
    require_representable("limit", "limit", out, "sigma", sigma, unit)
    return out


@validate(n=POSITIVE_INT, d=POSITIVE_INT, sigma=NONNEGATIVE)
def pi2_6_bound(n: int, d: int, *, sigma: float = 1.0) -> float:
    """(π²/6)·σ²d/(n − d − 1): the accumulate excess risk stays below this at every t (inf if n ≤ d + 1)."""
    _check_ols(n, d, "pi2_6_bound")
    return float(np.pi**2 / 6.0 * _per_unit(n, d, sigma))
