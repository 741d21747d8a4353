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
- **NLL as n → ∞** (:func:`nll_limit`): with h fixed the fitted density tends to E p̂_t, so E NLL_t →
  −E_{x~P₀} log E p̂_t(x), the cross-entropy of P₀ against the mixture over the law of A_t (the mixture is
  inside the logarithm). At every finite n it is a **lower bound** on E NLL_t (Jensen: −log is convex and
  E p̂_t(x) is the expected density). Evaluated by deterministic quadrature: Gaussian data (radial
  generalised Gauss–Laguerre, closed form under replace), blobs with given centres (Gauss–Hermite), circles
  (Gauss–Hermite and the Bessel closed form of the circle average), moons and swiss roll (Gauss–Legendre
  over the curve parameter).
- **Bounds and rates**: accumulate NLL_t ≤ NLL[P₀ * N(0, h_t²)] + ln t (the real block keeps weight 1/t;
  pathwise at finite n for the KDE itself) (:func:`nll_bound`); replace NLL_t = (D/2)·ln t + O(1) for any P₀
  with finite variance (E p̂_t ≈ N(μ₀, t h² I)).
- **Finite n** (:func:`nll_finite_n`, Gaussian data, replace, any t; t = 1 for every workflow):
  E NLL_t = NLL_∞ + (1/2)·E_x[Var p̂_t(x)/(E p̂_t(x))²] + O(n⁻²), the variance from the exact pair genealogy
  (two points of F_t share an ancestor with probability 1 − (1 − 1/n)^(t−1)) in closed form. Accumulate
  at finite n: simulation only (:mod:`montecarlo.kde_workflow`).

Numerics: the Stirling law by the recursion P_t(k) = (1 − 1/t)P_{t−1}(k) + P_{t−1}(k−1)/t in logs on a
window trimmed below e^(−745) (t up to 10⁵ in well under a second). With a rule under accumulate the
amounts h_j² differ and A_t has 2^(t−1) atoms; it is put on a grid by mean-preserving linear binning,
which changes E f(A_t) by at most E·sup|f''|, E = Σ_j p_jθ_j(1−θ_j)δ²/2 ≤ (δ²/8)·H_t (returned as
``binning_error``; the NLL error this causes is measured in tests/test_kde_workflow.py).
Simulator twin: :func:`montecarlo.kde_workflow.simulate`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from model_collapse.validation import POSITIVE_INT, Interval, InvalidParameterError, Options, validate
from scipy.special import gammaln, i0e, log_ndtr, logsumexp, roots_genlaguerre, roots_hermitenorm, roots_legendre
from scipy.special import zeta as hurwitz_zeta

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

WORKFLOWS = ("replace", "accumulate", "accumulate-subsample")
DATASETS = ("gaussian", "blobs", "circles", "moons", "swiss-roll")
BANDWIDTH_RULES = ("scott", "silverman")
#: The dimension of each dataset (None: any, given by ``dim``; default 2).
DATASET_DIM = {"gaussian": None, "blobs": 2, "circles": 2, "moons": 2, "swiss-roll": 3}
NOISE = 0.05  # scikit-learn noise of circles, moons and swiss roll (the authors' setting)
CIRCLES_FACTOR = 0.8  # make_circles default: inner radius / outer radius
BLOB_STD = 1.0  # make_blobs default cluster_std
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
            raise InvalidParameterError(
                f"The 'dim' parameter of {where} must be {natural} (or None) for dataset {dataset!r}. "
                f"Got {dim} instead."
            )
        D = natural
    if (h is None) == (bandwidth is None):
        raise InvalidParameterError(
            f"{where}: give exactly one of the 'h' parameter (a fixed bandwidth) and the 'bandwidth' parameter "
            f"(a rule, one of {', '.join(map(repr, BANDWIDTH_RULES))})."
        )
    if bandwidth is not None and n is None:
        raise InvalidParameterError(
            f"The 'n' parameter of {where} is required with bandwidth={bandwidth!r} (the rule depends on the "
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


# --------------------------------------------------------------------------------------------------
# Data laws: −E_{x~P₀} log Σ_a p_a (P₀ * N(0, aI))(x) by quadrature
# --------------------------------------------------------------------------------------------------


class _DataLaw:
    """Quadrature nodes x_i (weights w_i) of the test law and log (P₀ * N(0, aI))(x_i) for atoms a.

    ``cache=True`` (the costly curve datasets) memoises each atom's row, so the atoms k·h² shared by the
    iterations of a curve (and by replace and accumulate) are integrated once per process."""

    weights: np.ndarray
    cache = False

    def log_density(self, a: np.ndarray) -> np.ndarray:  # (atoms, nodes)
        raise NotImplementedError

    def _rows(self, values: np.ndarray) -> np.ndarray:
        if not self.cache:
            return self.log_density(values)
        store = self.__dict__.setdefault("_store", {})
        missing = [v for v in values.tolist() if v not in store]
        if missing:
            for v, row in zip(missing, self.log_density(np.array(missing)), strict=True):
                store[v] = row
        return np.stack([store[v] for v in values.tolist()])

    def cross_entropy(self, values: np.ndarray, probs: np.ndarray) -> float:
        """−Σ_i w_i log Σ_a p_a q_a(x_i)."""
        mix = logsumexp(self._rows(values) + np.log(probs)[:, None], axis=0)
        return float(-np.sum(self.weights * mix))


class _Gaussian(_DataLaw):
    """P₀ = N(0, I_D). Only u = |x|²/2 ~ Gamma(D/2) matters: generalised Gauss–Laguerre in u."""

    def __init__(self, D: int, nodes: int = 160):
        self.D = D
        u, w = roots_genlaguerre(nodes, D / 2.0 - 1.0)
        self.u = u
        self.weights = w / np.exp(gammaln(D / 2.0))

    def log_density(self, a):
        s = 1.0 + np.asarray(a, dtype=float)[:, None]
        return -0.5 * self.D * np.log(2 * np.pi * s) - self.u[None, :] / s


def _gh2(nodes: int):
    z, w = roots_hermitenorm(nodes)
    w = w / np.sqrt(2 * np.pi)
    Z1, Z2 = np.meshgrid(z, z, indexing="ij")
    return np.stack([Z1.ravel(), Z2.ravel()], axis=1), np.outer(w, w).ravel()


class _Blobs(_DataLaw):
    """P₀ = (1/k)Σ_i N(c_i, I₂) (make_blobs, cluster_std 1); test law (1/k')Σ N(c'_i, I₂) (the quirk)."""

    def __init__(self, centers, test_centers, nodes: int | None = None):
        self.c = np.asarray(centers, dtype=float)
        tc = self.c if test_centers is None else np.asarray(test_centers, dtype=float)
        if nodes is None:  # test mass across the log-sum-exp seams (other centres) needs a finer rule
            nodes = 48 if test_centers is None else 128
        z, w = _gh2(nodes)
        self.x = (tc[:, None, :] + BLOB_STD * z[None, :, :]).reshape(-1, 2)
        self.weights = np.tile(w, tc.shape[0]) / tc.shape[0]

    def log_density(self, a):
        s = BLOB_STD**2 + np.asarray(a, dtype=float)[:, None, None]  # (atoms, 1, 1)
        d2 = np.sum((self.x[None, :, :] - self.c[:, None, :]) ** 2, axis=-1)  # (k, nodes)
        logc = -np.log(2 * np.pi * s) - d2[None] / (2 * s)  # (atoms, k, nodes)
        return logsumexp(logc, axis=1) - np.log(self.c.shape[0])


class _Circles(_DataLaw):
    """make_circles(noise σ, factor f): radii 1 and f, half the points each, angles uniform.

    The circle average of a Gaussian: E_θ N(x; Rγ(θ), sI₂) = exp(−(ρ² + R²)/(2s))·I₀(Rρ/s)/(2πs), ρ = |x|."""

    def __init__(self, nodes: int = 48):
        z, w = _gh2(nodes)
        rho = [np.hypot(R + NOISE * z[:, 0], NOISE * z[:, 1]) for R in (1.0, CIRCLES_FACTOR)]
        self.rho = np.concatenate(rho)
        self.weights = np.concatenate([w, w]) / 2.0

    def log_density(self, a):
        s = NOISE**2 + np.asarray(a, dtype=float)[:, None]
        terms = []
        for R in (1.0, CIRCLES_FACTOR):
            u = R * self.rho[None, :] / s
            terms.append(-np.log(2 * np.pi * s) - (self.rho[None, :] - R) ** 2 / (2 * s) + np.log(i0e(u)))
        return np.logaddexp(terms[0], terms[1]) - np.log(2.0)


def _gl(nodes: int, lo: float, hi: float):
    x, w = roots_legendre(nodes)
    return lo + (hi - lo) * (x + 1) / 2, w / 2  # weights of the uniform law on [lo, hi]


def _log_curve_average(d2: np.ndarray, cw: np.ndarray, s: np.ndarray) -> np.ndarray:
    """log Σ_c cw_c·exp(−d2[i, c]/(2s)) − log(2πs) for each variance s: (len(s), nodes).

    One shift per node (its nearest curve point) for all s, so each s costs one exp pass and one matvec;
    terms below e^-700 of the nearest one are raised to e^-700 (a relative change below 1e-300·len(cw))."""
    dmin = d2.min(axis=1)
    rel = d2 - dmin[:, None]
    out = np.empty((s.size, d2.shape[0]))
    work = np.empty_like(rel)
    for i, si in enumerate(s):
        np.multiply(rel, -0.5 / si, out=work)
        np.maximum(work, -700.0, out=work)  # exp stays normal (subnormal results are slow); the nearest term is 1
        np.exp(work, out=work)
        out[i] = np.log(work @ cw) - dmin / (2 * si) - np.log(2 * np.pi * si)
    return out


class _Moons(_DataLaw):
    """make_moons(noise σ): outer arc (cos θ, sin θ), inner arc (1 − cos θ, 1/2 − sin θ), θ ~ U[0, π], half each."""

    def __init__(self, outer_nodes: int = 24, noise_nodes: int = 10, inner_nodes: int = 256):
        th, wt = _gl(outer_nodes, 0.0, np.pi)
        z, wz = _gh2(noise_nodes)
        xs, ws = [], []
        for arc in (self._arc(th, 0), self._arc(th, 1)):
            xs.append((arc[:, None, :] + NOISE * z[None, :, :]).reshape(-1, 2))
            ws.append(np.outer(wt, wz).ravel() / 2.0)
        self.x, self.weights = np.concatenate(xs), np.concatenate(ws)
        ti, wi = _gl(inner_nodes, 0.0, np.pi)
        curve = np.concatenate([self._arc(ti, 0), self._arc(ti, 1)])  # (2·inner, 2)
        self.cw = np.concatenate([wi, wi]) / 2.0
        self.d2 = np.sum((self.x[:, None, :] - curve[None, :, :]) ** 2, axis=-1)  # (nodes, curve)

    @staticmethod
    def _arc(th, which):
        if which == 0:
            return np.stack([np.cos(th), np.sin(th)], axis=1)
        return np.stack([1.0 - np.cos(th), 0.5 - np.sin(th)], axis=1)

    cache = True

    def log_density(self, a):
        return _log_curve_average(self.d2, self.cw, NOISE**2 + np.asarray(a, dtype=float))


class _SwissRoll(_DataLaw):
    """make_swiss_roll(noise σ): τ = 1.5π(1 + 2U), x = (τ cos τ, 21V, τ sin τ) + σz, U, V ~ U[0, 1].

    Each atom's density factorises, q_a(x) = q13_a(x₁, x₃)·q2_a(x₂), with
    q2_a = [Φ(x₂/√s) − Φ((x₂ − 21)/√s)]/21 (closed form) and the spiral average q13 by Gauss–Legendre
    panels of equal arc length. The outer expectation runs over the product of the two node sets (the
    mixture over atoms couples them), so ``log_density`` returns (atoms, N13·N2)."""

    def __init__(self, outer_nodes: int = 48, noise_nodes: int = 6, panels: int = 240, per_panel: int = 12,
                 v_nodes: int = 24):
        lo, hi = 1.5 * np.pi, 4.5 * np.pi
        th, wt = _gl(outer_nodes, lo, hi)
        z, wz = _gh2(noise_nodes)
        spiral = np.stack([th * np.cos(th), th * np.sin(th)], axis=1)
        self.x13 = (spiral[:, None, :] + NOISE * z[None, :, :]).reshape(-1, 2)
        w13 = np.outer(wt, wz).ravel()
        v, wv = _gl(v_nodes, 0.0, 1.0)
        z1, w1 = roots_hermitenorm(noise_nodes)
        self.x2 = (21.0 * v[:, None] + NOISE * z1[None, :]).ravel()
        w2 = np.outer(wv, w1 / np.sqrt(2 * np.pi)).ravel()
        # panels of equal arc length: arc(τ) = (τ√(1+τ²) + asinh τ)/2
        grid = np.linspace(lo, hi, 20001)
        arc = (grid * np.sqrt(1 + grid**2) + np.arcsinh(grid)) / 2
        edges = np.interp(np.linspace(arc[0], arc[-1], panels + 1), arc, grid)
        gx, gw = roots_legendre(per_panel)
        mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
        tau = (mid[:, None] + half[:, None] * gx[None, :]).ravel()
        cw = (half[:, None] * gw[None, :]).ravel() / (hi - lo)
        curve = np.stack([tau * np.cos(tau), tau * np.sin(tau)], axis=1)
        self.d2 = np.sum((self.x13[:, None, :] - curve[None, :, :]) ** 2, axis=-1)
        self.cw = cw
        self.w13, self.w2 = w13, w2
        self.weights = np.outer(w13, w2).ravel()

    cache = True

    def log_density(self, a):
        """(l13, l2) rows per atom, concatenated: (atoms, N13 + N2)."""
        s = NOISE**2 + np.asarray(a, dtype=float)
        l13 = _log_curve_average(self.d2, self.cw, s)
        r = np.sqrt(s)[:, None]
        l2 = _log_diff_ndtr(self.x2[None, :] / r, (self.x2[None, :] - 21.0) / r) - np.log(21.0)
        return np.concatenate([l13, l2], axis=1)

    def cross_entropy(self, values, probs):
        """Σ_a p_a q13_a(x13_i) q2_a(x2_j) for all node pairs (i, j) by one matrix product of the shifted
        exponentials (log-domain fallback where it would underflow)."""
        rows = self._rows(values)
        n13 = self.w13.size
        L13, L2 = rows[:, :n13], rows[:, n13:]
        m13, m2 = L13.max(axis=0), L2.max(axis=0)
        prod = (np.exp(L13 - m13).T * probs) @ np.exp(L2 - m2)  # (N13, N2)
        with np.errstate(divide="ignore"):
            mix = np.log(prod) + m13[:, None] + m2[None, :]
        bad = ~(prod > 1e-280)
        if np.any(bad):
            bi, bj = np.nonzero(bad)
            mix[bi, bj] = logsumexp(L13[:, bi] + L2[:, bj] + np.log(probs)[:, None], axis=0)
        return float(-np.sum(self.w13[:, None] * self.w2[None, :] * mix))


def _log_diff_ndtr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Φ(a) − Φ(b)) for a > b, stable in both tails."""
    upper = a > 0  # use the upper tail: Φ(a) − Φ(b) = Φ(−b) − Φ(−a)
    la = np.where(upper, log_ndtr(-b), log_ndtr(a))
    lb = np.where(upper, log_ndtr(-a), log_ndtr(b))
    return la + np.log1p(-np.exp(lb - la))


_EXPANSION_LIMIT = 0.1  # nll_finite_n warns when its 1/n term exceeds this (nats)
_ATOM_CUT = 1e-17  # mixture atoms below this probability (relative) are dropped for the costly datasets


def _data_law(dataset: str, D: int, centers, test_centers) -> _DataLaw:
    if dataset == "blobs":
        return _Blobs(centers, test_centers)
    return _fixed_law(dataset, D)


@lru_cache(maxsize=16)
def _fixed_law(dataset: str, D: int) -> _DataLaw:
    """The quadrature of a dataset without parameters, built once per process (with its atom cache)."""
    if dataset == "gaussian":
        return _Gaussian(D)
    if dataset == "circles":
        return _Circles()
    if dataset == "moons":
        return _Moons()
    return _SwissRoll()


def _cross_entropy(law: _DataLaw, laws: list[AnnealedLaw], cheap: bool) -> np.ndarray:
    """−Σ_i w_i log Σ_a p_a q_a(x_i) for each AnnealedLaw."""
    if not cheap:  # drop negligible atoms (their effect on the log is < 1e-17 relative)
        keep = [L.probs >= _ATOM_CUT * L.probs.max() for L in laws]
        laws = [AnnealedLaw(L.values[k], L.probs[k], L.binning_error) for L, k in zip(laws, keep, strict=True)]
    return np.array([law.cross_entropy(L.values, L.probs) for L in laws])


def _check_blobs(dataset, centers, test_centers, where):
    if dataset != "blobs":
        if centers is not None or test_centers is not None:
            raise InvalidParameterError(f"The 'centers' parameter of {where} applies to dataset 'blobs' only.")
        return
    if centers is None:
        raise InvalidParameterError(
            f"The 'centers' parameter of {where} is required for dataset 'blobs' (a (k, 2) array: the theory is "
            "for given centres; the simulator can also draw them at random)."
        )
    for name, c in (("centers", centers), ("test_centers", test_centers)):
        if c is None:
            continue
        c = np.asarray(c, dtype=float)
        if c.ndim != 2 or c.shape[1] != 2 or not np.all(np.isfinite(c)):
            raise InvalidParameterError(f"The '{name}' parameter of {where} must be a finite (k, 2) array. Got shape "
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
        raise InvalidParameterError(
            "The 'dataset' parameter of nll_finite_n must be 'gaussian' (the only closed form)."
        )
    tt = np.asarray(t, dtype=np.int64)
    if workflow != "replace" and np.any(tt > 1):
        raise InvalidParameterError(
            f"The 't' parameter of nll_finite_n must be 1 for workflow {workflow!r} (the finite-n genealogy is derived "
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
