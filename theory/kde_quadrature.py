"""The test laws of the KDE workflows by deterministic quadrature: −E_{x~P₀} log Σ_a p_a (P₀ * N(0, aI))(x).

The annealed NLL of :mod:`theory.kde_workflow` is the cross-entropy of the real-data law P₀ against a mixture,
over the atoms a of the law of the kernel variance A_t (:func:`theory.kde_variance.annealed_variance_law`), of
P₀ blurred by N(0, aI) (docs/theory.md §5 "KDE"; Kazdan, Schaeffer et al., "Collapse or Thrive?", App. C).
Each dataset (scikit-learn's generators, with the authors' noise 0.05) is a :class:`_DataLaw`: quadrature
nodes x_i with weights w_i of the test law and log (P₀ * N(0, aI))(x_i) in closed form or by an inner rule.
Evaluated by deterministic quadrature: Gaussian data (radial generalised Gauss–Laguerre, closed form under
replace), blobs with given centres (Gauss–Hermite), circles (Gauss–Hermite and the Bessel closed form of the
circle average), moons and swiss roll (Gauss–Legendre over the curve parameter). Quadrature errors, measured
against refined rules and mpmath in tests/test_kde_workflow.py, are stated in
:func:`theory.kde_workflow.nll_limit`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from model_collapse.theory.kde_variance import AnnealedLaw
from scipy.special import gammaln, i0e, log_ndtr, logsumexp, roots_genlaguerre, roots_hermitenorm, roots_legendre

__all__ = ["NOISE", "CIRCLES_FACTOR", "BLOB_STD"]

NOISE = 0.05  # scikit-learn noise of circles, moons and swiss roll (the authors' setting)
CIRCLES_FACTOR = 0.8  # make_circles default: inner radius / outer radius
BLOB_STD = 1.0  # make_blobs default cluster_std
_ATOM_CUT = 1e-17  # mixture atoms below this probability (relative) are dropped for the costly datasets


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


class _MoonsDesign(_Moons):
    """make_moons at n training points: the arcs at the grid angles linspace(0, π, ·) (n//2 outer, the rest
    inner), each with weight 1/n, instead of the continuous arcs (the test law stays continuous). The grid's
    endpoints carry more mass than the uniform law (the NLL moves by 1e-3 at n = 100, h = 1; measured)."""

    def __init__(self, n: int):
        super().__init__()
        n_out, n_in = n // 2, n - n // 2
        curve = np.concatenate([self._arc(np.linspace(0, np.pi, n_out), 0), self._arc(np.linspace(0, np.pi, n_in), 1)])
        self.cw = np.full(n, 1.0 / n)
        self.d2 = np.sum((self.x[:, None, :] - curve[None, :, :]) ** 2, axis=-1)


def _data_law(dataset: str, D: int, centers, test_centers, n: int | None = None) -> _DataLaw:
    """The test law and the training law; ``n`` given: the training law of the simulator's design (moons)."""
    if dataset == "blobs":
        return _Blobs(centers, test_centers)
    if dataset == "moons" and n is not None:
        return _moons_design(int(n))
    return _fixed_law(dataset, D)


@lru_cache(maxsize=8)
def _moons_design(n: int) -> _DataLaw:
    return _MoonsDesign(n)


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
