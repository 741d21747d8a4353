"""Kernel density estimation under replace, accumulate and accumulate-subsample: the bandwidth-growth laws.

Model (docs/theory.md §5 "KDE"; Kazdan, Schaeffer et al., "Collapse or Thrive?", §2.3 and App. C).
A Gaussian-kernel KDE of bandwidth h in D dimensions fitted on m points y₁..y_m has density
p̂(x) = (1/m)·Σ_i N(x; y_i, h²I_D) (scikit-learn's ``KernelDensity(kernel="gaussian")``, whose
``score_samples`` is log p̂); **sampling** from it = pick a training point uniformly, add N(0, h²I_D).
D₀ = n real points from P₀. Iteration t = 1, 2, …: fit M_t on F_t, record the metric, draw S_t = n points
from M_t. **Iteration 1 is the KDE fitted on the n real points** (the authors' indexing).

- replace:              F₁ = D₀, F_{t+1} = S_t                 (m_t = n);
- accumulate:           F_t = D₀ ∪ S₁ ∪ … ∪ S_{t−1}              (m_t = t·n);
- accumulate-subsample: n points drawn without replacement from that pool of t·n points (m_t = n).

Bandwidth: a fixed ``h``, or scikit-learn's rules ``bandwidth="scott"``: h = m^(−1/(D+4)) and
``"silverman"``: h = (m(D+2)/4)^(−1/(D+4)), m = m_t the number of points fitted (so under accumulate the
rules shrink with t; under replace and accumulate-subsample they are constant). scikit-learn's rules have
**no data-scale factor** (no standard deviation of the data), and neither do these.
Metric: mean negative log-likelihood (nats per point) of held-out real points, −mean log p̂_t(x_test).

Laws (all exact unless marked):

- **Kernel count.** A point drawn from M_t is a real point plus K_t independent kernel draws along its
  ancestral line. Replace: K_t = t. Accumulate and accumulate-subsample: a point of pool block j
  (j = 1..t−1, block 0 = real) lies on the line with probability 1/(j+1), independently (uniform descent,
  Feller's coupling), so K_t = Σ_{k≤t} Bernoulli(1/k): P(K_t = k) = c(t, k)/t! (unsigned Stirling numbers
  of the first kind), E K_t = H_t, Var K_t = H_t − H_t^(2) (:func:`kernel_count_pmf`).
- **Annealed law.** E p̂_t = P₀ * N(0, A_t·I) mixed over the random kernel variance
  A_t = h_t² + Σ_{j<t} B_j·h_j², B_j ~ Bernoulli(1/(j+1)) (accumulate, accumulate-subsample), A_t = Σ_{k≤t} h_k²
  (replace). For a fixed h, A_t = K_t·h² (:func:`annealed_variance_law`). Accumulate-subsample has the same
  expected density as accumulate when the bandwidths are the same (fixed h); with the rules its bandwidth
  is the constant h(n), not h(tn).
- **Variance growth** (per coordinate, E p̂_t minus P₀): E A_t = Σ_{k≤t} h_k² (replace),
  h_t² + Σ_{j<t} h_j²/(j+1) (accumulate, accumulate-subsample) (:func:`variance_growth`). The t → ∞ limit is
  finite iff Σ_j h_j²/j < ∞ (CoT Theorem 7): for accumulate with ``scott``/``silverman``,
  h_j² = c·j^(−α), α = 2/(D+4), the limit is c·S(α), S(α) = Σ_{j≥1} j^(−α)/(j+1)
  = 1/2 + Σ_{m≥1} (−1)^(m−1)(ζ(α+m) − 1) (:func:`variance_growth_limit`).

Numerics: the Stirling law by the recursion P_t(k) = (1 − 1/t)P_{t−1}(k) + P_{t−1}(k−1)/t in logs on a
window trimmed below e^(−745) (t up to 10⁵ in well under a second). With a rule under accumulate the
amounts h_j² differ and A_t has 2^(t−1) atoms; it is put on a grid by mean-preserving linear binning,
which changes E f(A_t) by at most E·sup|f''|, E = Σ_j p_jθ_j(1−θ_j)δ²/2 ≤ (δ²/8)·H_t (returned as
``binning_error``; the NLL error this causes is measured in tests/test_kde_workflow.py).
Simulator twin: ``variance_growth`` and ``kernel_count`` of :func:`montecarlo.kde_workflow.simulate`. The
likelihood of held-out real data under these laws: :mod:`theory.kde_workflow` (which re-exports every public
name of this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from model_collapse.validation import POSITIVE_INT, Interval, InvalidParameterError, Options, validate
from scipy.special import zeta as hurwitz_zeta

__all__ = [
    "WORKFLOWS",
    "DATASETS",
    "BANDWIDTH_RULES",
    "DATASET_DIM",
    "AnnealedLaw",
    "bandwidth_schedule",
    "kernel_count_pmf",
    "annealed_variance_law",
    "variance_growth",
    "variance_growth_limit",
]

WORKFLOWS = ("replace", "accumulate", "accumulate-subsample")
DATASETS = ("gaussian", "blobs", "circles", "moons", "swiss-roll")
BANDWIDTH_RULES = ("scott", "silverman")
#: The dimension of each dataset (None: any, given by ``dim``; default 2).
DATASET_DIM = {"gaussian": None, "blobs": 2, "circles": 2, "moons": 2, "swiss-roll": 3}
WORKFLOW = Options(WORKFLOWS)
DATASET = Options(DATASETS)
RULE = Options(BANDWIDTH_RULES)
ITERATION = Interval(Integral, 1, None, closed="left")
N_POINTS = Interval(Integral, 2, None, closed="left")
DIM = POSITIVE_INT
FINITE_POSITIVE = Interval(Real, 0, 1e150, closed="right")  # a bandwidth whose square stays in float64

_LOG_FLOOR = -745.0  # log of the smallest double: pmf entries below are dropped (their total is < t·e^-745)
_GRID_PER_W1 = 512  # rule-accumulate binning: grid step δ = h_1²/512
_TAIL_CUT = 1e-18  # rule-accumulate binning: the top of the grid law holding less mass than this is dropped


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


def _setting(workflow: str, dataset: str, dim, h, bandwidth, n, where: str) -> int:
    """Cross-parameter checks; returns the dimension D."""
    natural = DATASET_DIM[dataset]
    if natural is None:
        D = 2 if dim is None else int(dim)
    else:
        if dim is not None and int(dim) != natural:
            raise InvalidParameterError.of(
                "dim", where, f"must be {natural} (or None) for dataset {dataset!r}. "
                f"Got {dim} instead."
            )
        D = natural
    if (h is None) == (bandwidth is None):
        raise InvalidParameterError(
            f"{where}: give exactly one of the 'h' parameter (a fixed bandwidth) and the 'bandwidth' parameter "
            f"(a rule, one of {', '.join(map(repr, BANDWIDTH_RULES))})."
        )
    if bandwidth is not None and n is None:
        raise InvalidParameterError.of(
            "n", where, f"is required with bandwidth={bandwidth!r} (the rule depends on the "
            "number of points fitted)."
        )
    return D


def _rule(m: np.ndarray, D: int, rule: str) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    if rule == "scott":
        return m ** (-1.0 / (D + 4))
    return (m * (D + 2) / 4.0) ** (-1.0 / (D + 4))


def _schedule(t_max: int, workflow: str, D: int, h, bandwidth, n) -> np.ndarray:
    """h_1..h_{t_max} (float array)."""
    if h is not None:
        return np.full(t_max, float(h))
    k = np.arange(1, t_max + 1)
    m = k * n if workflow == "accumulate" else np.full(t_max, n)
    return _rule(m, D, bandwidth)


@validate(t=ITERATION, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE, n=N_POINTS)
def bandwidth_schedule(t: int, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
                       h: float | None = None, bandwidth: str | None = None, n: int | None = None) -> np.ndarray:
    """The bandwidths h_1..h_t of the models M_1..M_t (an array of length t).

    Fixed h: h every iteration. ``scott``: h_k = m_k^(−1/(D+4)); ``silverman``: h_k = (m_k(D+2)/4)^(−1/(D+4)),
    m_k = k·n (accumulate) or n (replace, accumulate-subsample). scikit-learn's rules, no data scale.
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "bandwidth_schedule")
    return _schedule(int(t), workflow, D, h, bandwidth, n)


# --------------------------------------------------------------------------------------------------
# Kernel count K_t = Σ_{k≤t} Bernoulli(1/k): Stirling numbers of the first kind
# --------------------------------------------------------------------------------------------------


def _log_cycle_prefix(t_max: int):
    """Yield (t, k_lo, log P(K_t = k) for k = k_lo..) for t = 1..t_max; entries below e^-745 trimmed off the top."""
    lo, logp = 1, np.array([0.0])  # K_1 = 1
    yield 1, lo, logp
    for s in range(2, t_max + 1):
        new = np.empty(logp.size + 1)
        new[:-1] = np.log1p(-1.0 / s) + logp
        new[-1] = -np.inf
        new[1:] = np.logaddexp(new[1:], logp - np.log(s))
        top = new.size
        while new[top - 1] < _LOG_FLOOR:
            top -= 1
        logp = new[:top]
        yield s, lo, logp


@lru_cache(maxsize=8)
def _log_cycle_pmf(t: int) -> tuple[int, np.ndarray]:
    for s, lo, logp in _log_cycle_prefix(t):
        if s == t:
            return lo, logp
    raise AssertionError  # pragma: no cover


@validate(t=ITERATION, workflow=WORKFLOW)
def kernel_count_pmf(t: int, *, workflow: str = "accumulate", log: bool = False) -> np.ndarray:
    """P(K_t = k) for k = 0..t: the number of kernel draws on the ancestral line of a point drawn from M_t.

    Replace: K_t = t. Accumulate and accumulate-subsample: K_t = Σ_{k≤t} Bernoulli(1/k) independent, so
    P(K_t = k) = c(t, k)/t!, c the unsigned Stirling numbers of the first kind (the number of cycles of a
    uniform permutation of t), with E K_t = H_t and generating function Π_{k≤t}(k − 1 + g)/k. Computed by
    the recursion P_t(k) = (1 − 1/t)·P_{t−1}(k) + P_{t−1}(k − 1)/t in logs (every step a convex combination,
    no cancellation), entries below e^(−745) dropped (0, or −inf with ``log=True``). Independent of the
    bandwidths and of the data. Cost O(t·w), w ≲ 200 the width of the kept window (t = 10⁵: ~0.3 s).
    """
    t = int(t)
    out = np.full(t + 1, -np.inf)
    if workflow == "replace":
        out[t] = 0.0
    else:
        lo, logp = _log_cycle_pmf(t)
        out[lo : lo + logp.size] = logp
    return out if log else np.exp(out)


# --------------------------------------------------------------------------------------------------
# Law of A_t
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnealedLaw:
    """The law of the kernel variance A_t: atoms ``values`` with probabilities ``probs``.

    ``binning_error`` = E (0 when exact): |E f(A_t) − Σ probs·f(values)| ≤ E·sup|f''| (rule-accumulate
    grid; otherwise the law is exact up to the dropped e^-745 tail)."""

    values: np.ndarray
    probs: np.ndarray
    binning_error: float


def _binned_prefix_laws(weights: np.ndarray, t_max: int, delta: float):
    """Laws of Σ_{j<t} B_j w_j on the grid δ·i for t = 1..t_max (B_j ~ Bernoulli(1/(j+1)), j ≥ 1).

    Yields (t, probs on the grid, accumulated binning error E). Mean-preserving linear binning: an atom
    shifted by w = (f + θ)δ is split (1 − θ, θ) between the grid points f and f + 1."""
    probs = np.array([1.0])
    err = 0.0
    yield 1, probs, err
    for j in range(1, t_max):
        p = 1.0 / (j + 1)
        s = weights[j - 1] / delta
        f = int(np.floor(s))
        th = s - f
        L = probs.size
        new = np.zeros(L + f + 2)
        new[:L] += (1.0 - p) * probs
        new[f : f + L] += p * (1.0 - th) * probs
        new[f + 1 : f + 1 + L] += p * th * probs
        err += p * th * (1.0 - th) * delta**2 / 2.0
        tail = np.cumsum(new[::-1])[::-1]  # drop the top where the remaining mass is < 1e-18
        top = int(np.searchsorted(-tail, -_TAIL_CUT))
        err += tail[top] if top < tail.size else 0.0
        probs = new[: max(top, 1)]
        yield j + 1, probs, err


def _laws(t_values: np.ndarray, workflow: str, D: int, h, bandwidth, n) -> list[AnnealedLaw]:
    """AnnealedLaw for each requested t (one pass up to max t)."""
    t_max = int(np.max(t_values))
    hs = _schedule(t_max, workflow, D, h, bandwidth, n)
    w = hs**2
    out: dict[int, AnnealedLaw] = {}
    wanted = set(int(x) for x in np.ravel(t_values))
    if workflow == "replace":  # a constant bandwidth here: t·h² (the same floats as the lattice k·h²)
        for t in wanted:
            out[t] = AnnealedLaw(np.array([t * w[0]]), np.array([1.0]), 0.0)
    elif h is not None or workflow == "accumulate-subsample":  # a constant bandwidth: A_t = K_t·h²
        for t, lo, logp in _log_cycle_prefix(t_max):
            if t in wanted:
                k = np.arange(lo, lo + logp.size)
                out[t] = AnnealedLaw(k * w[0], np.exp(logp), 0.0)
    else:  # accumulate with a shrinking rule: grid law
        delta = w[0] / _GRID_PER_W1
        for t, probs, err in _binned_prefix_laws(w, t_max, delta):
            if t in wanted:
                keep = probs > 0
                vals = w[t - 1] + delta * np.arange(probs.size)
                out[t] = AnnealedLaw(vals[keep], probs[keep], err)
    return [out[int(x)] for x in np.ravel(t_values)]


@validate(t=ITERATION, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE, n=N_POINTS)
def annealed_variance_law(t: int, *, workflow: str = "accumulate", dataset: str = "gaussian",
                          dim: int | None = None, h: float | None = None, bandwidth: str | None = None,
                          n: int | None = None) -> AnnealedLaw:
    """The law of A_t, the kernel variance per coordinate in E p̂_t = P₀ * N(0, A_t·I), at iteration t.

    replace: the atom Σ_{k≤t} h_k² (= t·h² for a fixed h or a rule, whose bandwidth is constant at m = n).
    accumulate / accumulate-subsample with a constant bandwidth: K_t·h², K_t of :func:`kernel_count_pmf`.
    accumulate with ``scott``/``silverman``: h_t² + Σ_{j<t} B_j h_j², B_j ~ Bernoulli(1/(j+1)) independent,
    binned on a grid of step h_1²/512 (``binning_error`` states the bound). The law does not depend on the
    dataset (only through D in the rules).
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "annealed_variance_law")
    return _laws(np.array([int(t)]), workflow, D, h, bandwidth, n)[0]


# --------------------------------------------------------------------------------------------------
# Variance growth
# --------------------------------------------------------------------------------------------------


def _variance_growth(tt: np.ndarray, workflow: str, D: int, h, bandwidth, n) -> np.ndarray:
    t_max = int(np.max(tt))
    w = _schedule(t_max, workflow, D, h, bandwidth, n) ** 2
    if workflow == "replace":
        cum = np.cumsum(w)
        return cum[tt - 1]
    j = np.arange(1, t_max + 1)
    cum = np.concatenate([[0.0], np.cumsum(w / (j + 1.0))])  # cum[t-1] = Σ_{j<t} w_j/(j+1)
    return w[tt - 1] + cum[tt - 1]


@validate(t=ITERATION, workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE, n=N_POINTS)
def variance_growth(t, *, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
                    h: float | None = None, bandwidth: str | None = None, n: int | None = None):
    """E A_t: the variance per coordinate added to P₀ by iteration t (E p̂_t = P₀ * N(0, A_t·I) mixed).

    replace: Σ_{k≤t} h_k² (= t·h²); accumulate and accumulate-subsample: h_t² + Σ_{j<t} h_j²/(j + 1)
    (= H_t·h² for a fixed h). Exact at every finite n; independent of the dataset. Vectorised over t.
    Source: docs/theory.md §5 (CoT App. C). Simulator twin: ``variance_growth`` of
    :func:`montecarlo.kde_workflow.simulate`.
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "variance_growth")
    tt = np.asarray(t, dtype=np.int64)
    out = _variance_growth(tt.ravel(), workflow, D, h, bandwidth, n).reshape(tt.shape)
    return float(out) if np.ndim(t) == 0 else out


def _s_alpha(alpha: float) -> float:
    """S(α) = Σ_{j≥1} j^(−α)/(j + 1) = 1/2 + Σ_{m≥1} (−1)^(m−1)(ζ(α + m) − 1), α > 0 (terms ~ 2^(−m))."""
    m = np.arange(1, 80)
    return float(0.5 + np.sum((-1.0) ** (m - 1) * hurwitz_zeta(alpha + m, 2.0)))


@validate(workflow=WORKFLOW, dataset=DATASET, dim=DIM, h=FINITE_POSITIVE, bandwidth=RULE, n=N_POINTS)
def variance_growth_limit(*, workflow: str = "accumulate", dataset: str = "gaussian", dim: int | None = None,
                          h: float | None = None, bandwidth: str | None = None, n: int | None = None) -> float:
    """lim_{t→∞} E A_t; finite iff Σ_j h_j²/j < ∞ (CoT Theorem 7).

    replace (any bandwidth here: constant) and accumulate-subsample (constant h or h(n)): inf;
    accumulate with a fixed h: inf (H_t·h², logarithmic); accumulate with a rule, h_j² = c·j^(−α),
    α = 2/(D+4), c = n^(−α) (scott) or (n(D+2)/4)^(−α) (silverman): c·S(α), S(α) = Σ_{j≥1} j^(−α)/(j+1)
    (h_t² → 0), evaluated by the alternating ζ series of :func:`_s_alpha` to 1e-15.
    """
    D = _setting(workflow, dataset, dim, h, bandwidth, n, "variance_growth_limit")
    if workflow != "accumulate" or h is not None:
        return float("inf")
    alpha = 2.0 / (D + 4)
    c = float(_rule(np.array(n), D, bandwidth)) ** 2
    return c * _s_alpha(alpha)
