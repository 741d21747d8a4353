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
- **Finite n** (:func:`nll_finite_n`, :mod:`theory.kde_likelihood`; every dataset; replace with any bandwidth,
  accumulate with a fixed h, t = 1 for every workflow): E NLL_t = NLL_∞ + (1/2)·E_x[Var p̂_t(x)/(E p̂_t(x))²]
  + next order, the variance from the exact pair genealogy of the fitted points (designed real data included);
  :func:`predict` with ``n`` returns it where it holds (1/n term ≤ 0.1 nats, at most half of it from test
  points with Var/μ² > 1; measured next order ≤ 2.5·term²) and a proven lower bound elsewhere
  (nearest-neighbour union bound for gaussian and blobs data, Jensen otherwise). Accumulate-subsample and
  accumulate with a rule at t ≥ 2: the lower bound only (their pair genealogies are not derived).

With a rule under accumulate the law of A_t is binned on a grid (:mod:`theory.kde_variance`); the NLL error
this causes is measured in tests/test_kde_workflow.py.
Simulator twin: :func:`montecarlo.kde_workflow.simulate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from model_collapse.theory.kde_likelihood import ALLOWANCE_COEF, TERM_MAX, covered, finite_n, usable
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

_EXPANSION_LIMIT = TERM_MAX  # nll_finite_n warns when its 1/n term exceeds this (nats)


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


#: the largest dimension whose Gaussian densities the NLL quadrature keeps in float64 ((2π)^(−D/2) underflows
#: near D ≈ 380: at D = 400 every NLL came out NaN, issue 24); the variance growth is dimension-free
MAX_NLL_DIM = 300


def _nll_dim(D: int, where: str) -> int:
    if D > MAX_NLL_DIM:
        raise InvalidParameterError.of(
            "dim", where, f"must be at most {MAX_NLL_DIM} for the NLL: beyond it the Gaussian densities of the "
            f"quadrature underflow float64 (the variance growth does not depend on dim). Got {D} instead.")
    return D


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
    D = _nll_dim(_setting(workflow, dataset, dim, h, bandwidth, n, "nll_limit"), "nll_limit")
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
    D = _nll_dim(_setting(workflow, dataset, dim, h, bandwidth, n, "nll_bound"), "nll_bound")
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
# Finite n: the pair genealogy (theory.kde_likelihood)
# --------------------------------------------------------------------------------------------------


def _finite(flat, workflow, dataset, D, h, bandwidth, n, centers, test_centers):
    return [finite_n(int(s), workflow=workflow, dataset=dataset, D=D, h=h, bandwidth=bandwidth, n=n,
                     centers=centers, test_centers=test_centers) for s in flat]


@validate(t=ITERATION, n=N_POINTS, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE,
          centers=None, test_centers=None)
def nll_finite_n(t, *, n: int, workflow: str = "replace", dataset: str = "gaussian", dim: int | None = None,
                 h: float | None = None, bandwidth: str | None = None, centers=None, test_centers=None):
    """E NLL_t to first order in 1/n: NLL_∞ + (1/2)·E_x[Var S(x)/μ_t(x)²], S the fitted density at x.

    A second-order expansion of −log around μ_t = E p̂_t (:mod:`theory.kde_likelihood`); Var S from the exact
    pair genealogy of the fitted points (replace: two points meet k refits back with probability
    (1 − 1/n)^k/n; accumulate: the uniform-descent coupling, fixed h), every x-average a blurred data density
    on the quadrature nodes; designed real data (blobs' fixed counts, circles' and moons' angle grids) enter
    through the covariance of two distinct real points. Defined for replace (any bandwidth), accumulate with a
    fixed h, and t = 1 under every workflow; accumulate with a rule and accumulate-subsample at t ≥ 2:
    InvalidParameterError (the bounds of :func:`predict` cover them). The neglected terms, measured against
    simulation, are below 2.5·term² where term ≤ 0.1; a RuntimeWarning says when the term exceeds 0.1 nats
    (h small against the spacing of the fitted points: the expansion then does not describe E NLL_t).
    """
    D = _nll_dim(_setting(workflow, dataset, dim, h, bandwidth, n, "nll_finite_n"), "nll_finite_n")
    _check_blobs(dataset, centers, test_centers, "nll_finite_n")
    tt = np.asarray(t, dtype=np.int64)
    if np.any([not covered(int(s), workflow, h) for s in tt.ravel()]):
        raise InvalidParameterError.of(
            "t", "nll_finite_n", f"must be 1 for workflow {workflow!r} with "
            f"{'bandwidth ' + repr(bandwidth) if h is None else 'a fixed h'} (the pair genealogy is derived for "
            "replace, for accumulate with a fixed h, and for t = 1); predict gives a bound there."
        )
    res = _finite(tt.ravel(), workflow, dataset, D, h, bandwidth, n, centers, test_centers)
    terms = np.array([r.term for r in res])
    tails = np.array([r.tail_share for r in res])
    if np.any(terms > _EXPANSION_LIMIT) or np.any(tails > 0.5):
        warnings.warn(f"nll_finite_n: the 1/n term reaches {terms.max():.3g} nats (limit {_EXPANSION_LIMIT}; share "
                      f"from test points with Var S/μ² > 1 up to {tails.max():.2f}, limit 0.5): h is "
                      "too small against the spacing of the fitted points; the value is not an approximation of "
                      "E NLL_t", RuntimeWarning, stacklevel=2)
    out = np.array([r.expansion for r in res]).reshape(tt.shape)
    return float(out) if np.ndim(t) == 0 else out


# --------------------------------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------------------------------


def _plain(x):
    x = np.asarray(x, dtype=float)
    return x.item() if x.ndim == 0 else x.tolist()


@dataclass(frozen=True)
class KdePrediction:
    """At iteration(s) t: ``variance_growth`` = E A_t (exact); ``nll`` = the prediction of E NLL_t;
    ``nll_limit`` = the annealed NLL (lim_{n→∞} E NLL_t for a fixed h; a lower bound at every n);
    ``nll_regime``: ``"limit"`` (no n given: nll = nll_limit), ``"expansion"`` (nll = the annealed NLL of the
    simulator's design (= nll_limit except moons' angle grid) + nll_term, the finite-n expansion, within
    ``nll_allowance`` = 2.5·nll_term² of E NLL_t, measured) or ``"lower_bound"`` (the expansion does not hold
    or is not derived: nll = nll_lower); ``nll_lower`` = a lower bound (the nearest-neighbour bound for
    gaussian and blobs data where the expansion is not used, else Jensen's annealed NLL of the design);
    ``nll_term`` = (1/2)E_x[Var S/μ²] (0 without n; inf where not derived; its J = K part where that alone is
    far above 0.1); ``nll_tail_share`` = the part of the term from test points with Var S/μ² > 1 (the
    expansion is used only where it is ≤ 0.5). Plain-number dict: :meth:`as_dict` (nll_regime via
    :meth:`regime_list`)."""

    variance_growth: np.ndarray | float
    nll: np.ndarray | float
    nll_limit: np.ndarray | float
    nll_lower: np.ndarray | float
    nll_term: np.ndarray | float
    nll_tail_share: np.ndarray | float
    nll_allowance: np.ndarray | float
    nll_regime: np.ndarray | str

    def as_dict(self) -> dict:
        out = {k: _plain(getattr(self, k)) for k in ("variance_growth", "nll", "nll_limit", "nll_lower",
                                                      "nll_allowance", "nll_tail_share", "nll_term")}
        return out  # numbers only (nll_term inf where not derived: JSON null with a warning); the CLI adds nll_regime

    def regime_list(self):
        """``nll_regime`` as plain str / list of str."""
        reg = np.asarray(self.nll_regime)
        return reg.item() if reg.ndim == 0 else reg.tolist()


@validate(t=ITERATION, **_SETTING)
def predict(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
            h: float | None = None, bandwidth: str | None = None, n: int | None = None, centers=None,
            test_centers=None) -> KdePrediction:
    """:func:`variance_growth` and the NLL at iteration(s) t (1 = the KDE of the real data).

    Without ``n``: nll = :func:`nll_limit` (regime ``"limit"``). With ``n``: at each t the finite-n expansion
    (:func:`nll_finite_n`) where it is derived, its term is at most 0.1 nats and at most half of it comes from
    test points with Var S/μ² > 1 (regime ``"expansion"``),
    else the proven lower bound ``nll_lower`` (regime ``"lower_bound"``: h small against the spacing of the
    fitted points, or accumulate-subsample / accumulate with a rule at t ≥ 2, whose pair genealogy is not
    derived). Simulator twin: :func:`montecarlo.kde_workflow.simulate` (same keywords; t the last iteration)."""
    D = _nll_dim(_setting(workflow, dataset, dim, h, bandwidth, n, "predict"), "predict")
    _check_blobs(dataset, centers, test_centers, "predict")
    kw = dict(workflow=workflow, dataset=dataset, dim=dim, h=h, bandwidth=bandwidth, n=n)
    vg = variance_growth(t, **kw)
    lim = np.asarray(nll_limit(t, centers=centers, test_centers=test_centers, **kw), dtype=float)
    shape = np.shape(t)
    if n is None:
        nll, lower, term, allow, tail = lim, lim, np.zeros(shape), np.zeros(shape), np.zeros(shape)
        regime = np.full(shape, "limit", dtype=object)
    else:
        flat = np.asarray(t, dtype=np.int64).ravel()
        res = _finite(flat, workflow, dataset, D, h, bandwidth, int(n), centers, test_centers)
        term = np.array([r.term for r in res])
        tail = np.array([r.tail_share for r in res])
        lower = np.array([r.nll_lower for r in res])
        ok = np.array([usable(a, b) for a, b in zip(term, tail, strict=True)], dtype=bool)
        nll = np.where(ok, np.array([r.expansion for r in res]), lower).reshape(shape)
        allow = np.where(ok, ALLOWANCE_COEF * np.where(ok, term, 0.0) ** 2, 0.0).reshape(shape)
        regime = np.where(ok, "expansion", "lower_bound").astype(object).reshape(shape)
        term, lower, tail = term.reshape(shape), lower.reshape(shape), tail.reshape(shape)

    def scalar(x):
        x = np.asarray(x)
        return x.item() if x.ndim == 0 else x

    return KdePrediction(variance_growth=vg, nll=scalar(nll), nll_limit=scalar(lim), nll_lower=scalar(lower),
                         nll_term=scalar(term), nll_tail_share=scalar(tail), nll_allowance=scalar(allow),
                         nll_regime=scalar(regime))
