"""Kernel density estimation under replace, accumulate and accumulate-subsample: the likelihood of real data.

Model, workflows and bandwidths: :mod:`theory.kde_variance` (docs/theory.md §5 "KDE"; Kazdan, Schaeffer et al.,
"Collapse or Thrive?", §2.3 and App. C), whose laws — the kernel count K_t, the law of the kernel variance A_t
with E p̂_t = P₀ * N(0, A_t·I) mixed over it, and the variance growth E A_t — this module re-exports.
Metric: mean negative log-likelihood (nats per point) of held-out real points, −mean log p̂_t(x_test).

Laws (all exact unless marked):

- **NLL as n → ∞** (:func:`nll_limit`): with h fixed the fitted density tends to E p̂_t, so E NLL_t →
  −E_{x~P₀} log E p̂_t(x), the cross-entropy of P₀ against the mixture over the law of A_t (the mixture is
  inside the logarithm). At every finite n it is a **lower bound** on E NLL_t (Jensen: −log is convex and
  E p̂_t(x) is the expected density). Evaluated by deterministic quadrature over the test law, one rule per
  dataset (:mod:`theory.kde_quadrature`).
- **Bounds and rates**: accumulate NLL_t ≤ NLL[P₀ * N(0, h_t²)] + ln t (the real block keeps weight 1/t;
  pathwise at finite n for the KDE itself) (:func:`nll_bound`); replace NLL_t = (D/2)·ln t + O(1) for any P₀
  with finite variance (E p̂_t ≈ N(μ₀, t h² I)).
- **Finite n** (:func:`nll_finite_n`, Gaussian data, replace, any t; t = 1 for every workflow):
  E NLL_t = NLL_∞ + (1/2)·E_x[Var p̂_t(x)/(E p̂_t(x))²] + O(n⁻²), the variance from the exact pair genealogy
  (two points of F_t share an ancestor with probability 1 − (1 − 1/n)^(t−1)) in closed form. Accumulate
  at finite n: simulation only (:mod:`montecarlo.kde_workflow`).

With a rule under accumulate the law of A_t is binned on a grid (:mod:`theory.kde_variance`); the NLL error
this causes is measured in tests/test_kde_workflow.py.
Simulator twin: :func:`montecarlo.kde_workflow.simulate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from model_collapse.theory.kde_quadrature import BLOB_STD as BLOB_STD
from model_collapse.theory.kde_quadrature import CIRCLES_FACTOR as CIRCLES_FACTOR
from model_collapse.theory.kde_quadrature import NOISE as NOISE
from model_collapse.theory.kde_quadrature import _cross_entropy, _data_law
from model_collapse.theory.kde_variance import (
    BANDWIDTH_RULES,
    DATASET,
    DATASET_DIM,
    DATASETS,
    DIM,
    FINITE_POSITIVE,
    ITERATION,
    N_POINTS,
    RULE,
    WORKFLOW,
    WORKFLOWS,
    AnnealedLaw,
    _laws,
    _schedule,
    _setting,
    annealed_variance_law,
    bandwidth_schedule,
    kernel_count_pmf,
    variance_growth,
    variance_growth_limit,
)
from model_collapse.validation import InvalidParameterError, validate

__all__ = [
    "WORKFLOWS",
    "DATASETS",
    "BANDWIDTH_RULES",
    "DATASET_DIM",
    "KdePrediction",
    "AnnealedLaw",
    "bandwidth_schedule",
    "kernel_count_pmf",
    "annealed_variance_law",
    "variance_growth",
    "variance_growth_limit",
    "nll_limit",
    "nll_bound",
    "nll_finite_n",
    "predict",
]

_EXPANSION_LIMIT = 0.1  # nll_finite_n warns when its 1/n term exceeds this (nats)


def _check_blobs(dataset, centers, test_centers, where):
    if dataset != "blobs":
        if centers is not None or test_centers is not None:
            given = "centers" if centers is not None else "test_centers"
            raise InvalidParameterError.of(given, where, "applies to dataset 'blobs' only.")
        return
    if centers is None:
        raise InvalidParameterError.of(
            "centers", where, "is required for dataset 'blobs' (a (k, 2) array: the theory is "
            "for given centres; the simulator can also draw them at random)."
        )
    for name, c in (("centers", centers), ("test_centers", test_centers)):
        if c is None:
            continue
        c = np.asarray(c, dtype=float)
        if c.ndim != 2 or c.shape[1] != 2 or not np.all(np.isfinite(c)):
            raise InvalidParameterError.of(name, where, "must be a finite (k, 2) array. Got shape "
                                        f"{c.shape} instead.")


def _nll(tt, workflow, dataset, D, h, bandwidth, n, centers, test_centers) -> np.ndarray:
    flat = np.asarray(tt, dtype=np.int64).ravel()
    laws = _laws(flat, workflow, D, h, bandwidth, n)
    law = _data_law(dataset, D, centers, test_centers)
    return _cross_entropy(law, laws, cheap=dataset in ("gaussian", "blobs", "circles")).reshape(np.shape(tt))


_SETTING = dict(workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE, n=N_POINTS,
                centers=None, test_centers=None)


@validate(t=ITERATION, **_SETTING)
def nll_limit(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
              h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
              test_centers=None):
    """The annealed NLL −E_{x~P₀} log E p̂_t(x) (nats per point) at iteration(s) t.

    E p̂_t = Σ_a P(A_t = a)·(P₀ * N(0, aI)) (:func:`annealed_variance_law`). With a fixed h this is
    lim_{n→∞} E NLL_t; at every finite n (and for the rules, whose bandwidths are those at the given n) it is
    a lower bound on E NLL_t (Jensen). Gaussian data under replace: (D/2)[ln 2π(1 + A) + 1/(1 + A)],
    A = Σ_{k≤t} h_k² (closed form; the quadrature reproduces it to 1e-13). Datasets (scikit-learn's
    generators, noise 0.05): ``gaussian`` N(0, I_D); ``blobs`` (1/k)Σ N(c_i, I₂) given ``centers``, test law
    with ``test_centers`` (default: the same; the authors' quirk draws different ones); ``circles`` radii 1
    and 0.8; ``moons``; ``swiss-roll`` (3-D). Quadrature errors, measured against refined rules and mpmath:
    < 1e-10 nats (gaussian 1e-12, blobs, circles), < 1e-8 (moons), < 3e-5 (swiss roll at h = 0.1, the edges of
    x₂; < 4e-7 for h ≥ 0.5). Cost: milliseconds for gaussian/blobs/circles; 0.6–5 s for a 100-iteration moons
    or swiss-roll curve with a fixed h (each atom k·h² integrated once per process). With a rule under accumulate the
    law of A_t is binned (module docstring), which adds an error below 1e-6 nats (measured).
    Source: docs/theory.md §5. Simulator twin: ``nll`` of :func:`montecarlo.kde_workflow.simulate`.
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "nll_limit")
    _check_blobs(dataset, centers, test_centers, "nll_limit")
    out = _nll(np.asarray(t), workflow, dataset, D, h, bandwidth, n, centers, test_centers)
    return float(out) if np.ndim(t) == 0 else out


@validate(t=ITERATION, **_SETTING)
def nll_bound(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
              h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
              test_centers=None):
    """Accumulate / accumulate-subsample: NLL_t ≤ NLL[P₀ * N(0, h_t²I)] + ln t for the annealed density.

    The real block keeps weight 1/t in E p̂_t (P(K_t = 1) = 1/t, A = h_t²). Under accumulate the same bound
    holds for every run at every n: p̂_t ≥ (1/t)·(KDE of D₀ with bandwidth h_t), so NLL_t ≤
    NLL(real-data KDE at h_t) + ln t. Replace: no such bound (inf; NLL_t = (D/2) ln t + O(1)).
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "nll_bound")
    _check_blobs(dataset, centers, test_centers, "nll_bound")
    tt = np.asarray(t, dtype=np.int64)
    if workflow == "replace":
        out = np.full(tt.shape, np.inf)
    else:
        flat = tt.ravel()
        w = _schedule(int(flat.max()), workflow, D, h, bandwidth, n) ** 2
        laws = [AnnealedLaw(np.array([w[s - 1]]), np.array([1.0]), 0.0) for s in flat]
        law = _data_law(dataset, D, centers, test_centers)
        first = _cross_entropy(law, laws, cheap=True)
        out = (first + np.log(flat)).reshape(tt.shape)
    return float(out) if np.ndim(t) == 0 else out


# --------------------------------------------------------------------------------------------------
# Finite n: the 1/n term for Gaussian data
# --------------------------------------------------------------------------------------------------


def _log_ratio_moment(a: np.ndarray, b: float, D: int) -> np.ndarray:
    """log E_{x~N(0,I_D)}[N(x; 0, aI)/N(x; 0, bI)²] (inf where it diverges: 1 + 1/a − 2/b ≤ 0)."""
    c = 1.0 + 1.0 / a - 2.0 / b
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.log(2 * np.pi * b) - 0.5 * np.log(2 * np.pi * a) - 0.5 * np.log(c) - 0.5 * np.log(2 * np.pi)
        per = per + 0.5 * np.log(2 * np.pi)  # ∫ exp(−c x²/2) dx = √(2π/c)
    return np.where(c > 0, D * per, np.inf)


def _replace_correction(t: int, n: int, D: int, h: float) -> float:
    """(1/2)·E_x[Var p̂_t(x)/μ(x)²] for Gaussian data under replace with a constant bandwidth h."""
    h2 = h * h
    V = 1.0 + (t - 1) * h2  # marginal variance per coordinate of a point of F_t
    mu_var = V + h2
    # (1/n)·(E φ² − μ²): E φ_h(x − y)² = (4πh²)^(−D/2)·N(x; 0, V + h²/2)
    log_self = -0.5 * D * np.log(4 * np.pi * h2) + _log_ratio_moment(np.array(V + h2 / 2), mu_var, D)
    total = (np.exp(log_self) - 1.0) / n
    # pairs: merge at back-step k (k = 1..t−1) with probability (1 − 1/n)^(k−1)/n; covariance C_k = V − k h²
    if t > 1:
        k = np.arange(1, t)
        pk = (1.0 - 1.0 / n) ** (k - 1) / n
        C = V - k * h2
        # E φφ' = [2π·sqrt((V+h²)² − C²)]^(−D)... per coordinate: N₂((x,x); 0, M) = exp(−x²/(V+h²+C))/(2π√det)
        det = mu_var**2 - C**2
        # E_x[E φφ'/μ²] = (2πμ_var)^D/(2π√det)^D · E_x exp(−x²(1/(V+h²+C) − 1/μ_var)) per coord
        beta = 1.0 / (mu_var + C) - 1.0 / mu_var  # < 0 for C > 0
        cc = 1.0 + 2.0 * beta
        with np.errstate(invalid="ignore", divide="ignore"):
            log_pair = D * (np.log(mu_var) - 0.5 * np.log(det) - 0.5 * np.log(cc))
        pair = np.where(cc > 0, np.exp(log_pair), np.inf)
        total += (1.0 - 1.0 / n) * np.sum(pk * (pair - 1.0))
    return 0.5 * total


@validate(t=ITERATION, n=N_POINTS, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE)
def nll_finite_n(t, *, n: int, workflow: str = "replace", dataset: str = "gaussian", dim: int | None = None,
                 h: float | None = None, bandwidth: str | None = None):
    """E NLL_t to first order in 1/n: NLL_∞ + (1/2)·E_x[Var p̂_t(x)/μ_t(x)²] (Gaussian data N(0, I_D)).

    A second-order expansion of −log around μ_t = E p̂_t; the neglected terms are O(n⁻²) when
    n·h^D ≫ 1. Var p̂_t(x) = (1/n)(E φ² − μ²) + (1 − 1/n)·Σ_k P(merge at k)(E φφ'_k − μ²), with two points of
    F_t (replace) merging k generations back with probability (1 − 1/n)^(k−1)/n and then sharing a variance
    C_k = 1 + (t − 1 − k)h² per coordinate; all x-averages are Gaussian integrals in closed form. Defined for
    replace (any t) and for t = 1 under every workflow (the real-data KDE). For Gaussian data every x-average is
    finite, but the term grows like (n·h^(2D))⁻¹: a RuntimeWarning says when it exceeds 0.1 nats (the expansion
    then does not describe E NLL_t). Accumulate and
    accumulate-subsample at t ≥ 2: simulation only (InvalidParameterError). Measured accuracy:
    tests/test_kde_workflow.py (residual below 4 SE at n ≥ 300, D = 1–2, h = 0.5).
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "nll_finite_n")
    if dataset != "gaussian":
        raise InvalidParameterError.of(
            "dataset", "nll_finite_n", "must be 'gaussian' (the only closed form)."
        )
    tt = np.asarray(t, dtype=np.int64)
    if workflow != "replace" and np.any(tt > 1):
        raise InvalidParameterError.of(
            "t", "nll_finite_n", f"must be 1 for workflow {workflow!r} (the finite-n genealogy is derived "
            "for replace only; accumulate at finite n is simulation only)."
        )
    flat = tt.ravel()
    hs = _schedule(int(flat.max()), workflow, D, h, bandwidth, n)
    base = _nll(flat, "replace", dataset, D, h, bandwidth, n, None, None)
    corr = np.array([_replace_correction(int(s), n, D, float(hs[0])) for s in flat])
    if np.any(corr > _EXPANSION_LIMIT):
        warnings.warn(f"nll_finite_n: the 1/n term reaches {corr.max():.3g} nats (> {_EXPANSION_LIMIT}): n·h^D is "
                      "too small for the expansion; the value is not an approximation of E NLL_t",
                      RuntimeWarning, stacklevel=2)
    out = (base + corr).reshape(tt.shape)
    return float(out) if np.ndim(t) == 0 else out


# --------------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------------


def _plain(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x.tolist()


@dataclass(frozen=True)
class KdePrediction:
    """At iteration(s) t: ``variance_growth`` = E A_t (exact) and ``nll`` = the annealed NLL
    (lim_{n→∞} E NLL_t for a fixed h; a lower bound on E NLL_t at every n)."""

    variance_growth: np.ndarray | float
    nll: np.ndarray | float

    def as_dict(self) -> dict:
        return {"variance_growth": _plain(self.variance_growth), "nll": _plain(self.nll)}


@validate(t=ITERATION, **_SETTING)
def predict(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
            h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
            test_centers=None) -> KdePrediction:
    """:func:`variance_growth` and :func:`nll_limit` at iteration(s) t (1 = the KDE of the real data).

    Simulator twin: :func:`montecarlo.kde_workflow.simulate` (same keywords; t the last iteration)."""
    _setting(workflow, dataset, dim, h, bandwidth, n, "predict")
    _check_blobs(dataset, centers, test_centers, "predict")
    kw = dict(workflow=workflow, dataset=dataset, dim=dim, h=h, bandwidth=bandwidth, n=n)
    return KdePrediction(
        variance_growth=variance_growth(t, **kw),
        nll=nll_limit(t, centers=centers, test_centers=test_centers, **kw),
    )
