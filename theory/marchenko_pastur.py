"""The Marchenko–Pastur law of SSᵀ and a quadrature for it accurate to ~1e-13 relative (docs/theory.md §1).

S ∈ R^{m×d} with iid N(0, 1/d) entries, γ = m/d. As m, d → ∞ the eigenvalues of the m×m matrix SSᵀ
have the law

    (1 − 1/γ)₊·δ₀ + p(x) dx,   p(x) = √((b − x)(x − a)) / (2πγx)  on [a, b] = [(1 − √γ)², (1 + √γ)²],

so the continuous part has mass min(1, 1/γ) and an atom of mass 1 − 1/γ sits at 0 when γ > 1 (m > d:
SSᵀ has rank d). A sum over the *nonzero* eigenvalues of SSᵀ is ≈ m·∫ f(x) p(x) dx.

Quadrature (:func:`quadrature`). p has square-root edges, and near γ = 1 the lower edge a → 0 where p
behaves like 1/√x (exactly so at γ = 1); the integrands of the ridge theory add poles at x = −κ ≤ 0.
With x = a + t², t ∈ [0, T], T = √(b − a) = 2γ^{1/4}:

    ∫ f(x) p(x) dx = ∫₀ᵀ f(a + t²) · t²·√(T² − t²) / (πγ(a + t²)) dt,

which removes the lower square-root edge and turns the 1/√x behaviour at γ = 1 into a constant. The
remaining singularities sit at t = ±i√a (the 1/x of p) and t = ±i√(a + κ) (poles of f), all near t = 0,
plus the square-root edge at t = T. The rule is: Gauss–Legendre panels on [0, T/2] graded geometrically
([0, s₀], [s₀, 2s₀], [2s₀, 4s₀], …) from s₀ = the smallest of those distances, so every panel sees its
nearest singularity at least one panel length away (Bernstein ellipse ρ ≥ 4.6: 16 nodes give ~1e-21), and
one Gauss–Jacobi panel (weight (T − t)^{1/2}, ``scipy.special.roots_jacobi``) on [T/2, T]. All weights are
positive, so the rule is a discrete spectrum that :mod:`theory.ridge` takes as (eigenvalues, multiplicities).
Accuracy: certified against mpmath at 30 digits in ``tests/test_marchenko_pastur.py`` (rtol 1e-10,
including γ = 1 ± 1e-6, γ = 1 exactly, and κ down to 1e-10).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from model_collapse.validation import NONNEGATIVE, POSITIVE, POSITIVE_INT, validate
from scipy.special import roots_jacobi

__all__ = ["edges", "density", "atom", "continuous_mass", "MPQuadrature", "quadrature", "integrate"]

#: Gauss nodes per panel. The worst panel sees its nearest singularity on the Bernstein ellipse ρ ≈ 4.6,
#: so the error is ~ρ^(-2·16) ≈ 1e-21 relative per panel: far below the 1e-8 target.
PANEL_NODES = 16
#: Scales below FLOOR·T in the t variable are not resolved: they carry a fraction ~FLOOR of the integral.
FLOOR = 1e-13


@validate(gamma=POSITIVE)
def edges(gamma) -> tuple[np.ndarray, np.ndarray]:
    """Support [a, b] = [(1 − √γ)², (1 + √γ)²] of the continuous part (a computed without cancellation)."""
    g = np.asarray(gamma, dtype=float)
    sq = np.sqrt(g)
    a = ((1.0 - g) / (1.0 + sq)) ** 2  # (1 − √γ)² with 1 − √γ = (1 − γ)/(1 + √γ): exact near γ = 1
    return a, (1.0 + sq) ** 2


@validate(gamma=POSITIVE)
def density(x, gamma) -> np.ndarray:
    """p(x) = √((b − x)(x − a))/(2πγx) on [a, b], 0 outside (the atom at 0 is :func:`atom`)."""
    x = np.asarray(x, dtype=float)
    a, b = edges(gamma)
    inside = (x > a) & (x < b) & (x > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip((b - x) * (x - a), 0.0, None)) / (2.0 * np.pi * gamma * x)
    return np.where(inside, val, 0.0)


@validate(gamma=POSITIVE)
def atom(gamma) -> np.ndarray:
    """Mass of the atom at 0: max(0, 1 − 1/γ) (m > d: SSᵀ has m − d zero eigenvalues)."""
    g = np.asarray(gamma, dtype=float)
    return np.maximum(0.0, 1.0 - 1.0 / g)


@validate(gamma=POSITIVE)
def continuous_mass(gamma) -> np.ndarray:
    """Mass min(1, 1/γ) of the continuous part (the fraction of nonzero eigenvalues)."""
    return np.minimum(1.0, 1.0 / np.asarray(gamma, dtype=float))


@dataclass(frozen=True)
class MPQuadrature:
    """∫ f(x) p(x) dx ≈ Σ_i weights_i·f(nodes_i); ``atom`` is the mass at 0 (not in nodes/weights)."""

    nodes: np.ndarray
    weights: np.ndarray
    atom: float
    gamma: float

    def spectrum(self, m: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(eigenvalues, multiplicities) of m·(this law) for scale·SSᵀ: scale·nodes with m·weights, plus the
        atom as the eigenvalue 0 with multiplicity m·atom when m > d (it adds nothing to spectral sums)."""
        mu = float(scale) * self.nodes
        mult = float(m) * self.weights
        if self.atom > 0:
            mu = np.concatenate([mu, [0.0]])
            mult = np.concatenate([mult, [float(m) * self.atom]])
        return mu, mult


@functools.lru_cache(maxsize=8)
def _legendre(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(k)


@functools.lru_cache(maxsize=8)
def _jacobi_right(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Jacobi for the weight (1 − u)^{1/2} on [−1, 1]."""
    u, w = roots_jacobi(k, 0.5, 0.0)
    return np.asarray(u), np.asarray(w)


def _panel_edges(s0: float, half: float) -> np.ndarray:
    """0, s₀, 2s₀, 4s₀, … (< half), half."""
    if s0 >= half:
        return np.array([0.0, half])
    k = int(math.floor(math.log2(half / s0)))
    pts = s0 * 2.0 ** np.arange(k + 1)
    pts = pts[pts < half * (1 - 1e-12)]
    if pts.size and half / pts[-1] < 1.25:  # avoid a sliver panel next to T/2
        pts = pts[:-1]
    return np.concatenate([[0.0], pts, [half]])


@validate(gamma=POSITIVE, panel_nodes=POSITIVE_INT, scale=NONNEGATIVE)
def quadrature(gamma: float, panel_nodes: int = PANEL_NODES, *, scale: float = 0.0) -> MPQuadrature:
    """Nodes and positive weights for ∫ f(x) p(x) dx over the continuous part of the MP law.

    ``scale`` (≥ 0) is a lower bound on the distance κ of the integrands' poles at x = −κ from 0 (pass
    κ, or any κ_lower ≤ κ such as the ridge λ, since κ ≥ λ); it only matters when γ is within ~1e-13
    of 1 (a ≈ 0), where the graded panels must resolve the scale √κ instead of √a. Finer grading than
    needed is always accurate, so an under-estimate of κ is safe. Weights sum to min(1, 1/γ) to ~1e-15.
    See the module docstring for the construction and accuracy.
    """
    g = float(gamma)
    a, b = (float(v) for v in edges(g))
    T = 2.0 * g**0.25  # √(b − a) = √(4√γ)
    floor = FLOOR * T
    if a >= floor**2:
        s0 = math.sqrt(a)
    else:
        s0 = max(floor, math.sqrt(a + float(scale)))
    half = 0.5 * T
    cuts = _panel_edges(s0, half)
    u, wl = _legendre(int(panel_nodes))
    lo, hi = cuts[:-1, None], cuts[1:, None]
    t_left = (0.5 * (lo + hi) + 0.5 * (hi - lo) * u[None, :]).ravel()
    w_left = (0.5 * (hi - lo) * wl[None, :]).ravel() * np.sqrt((T - t_left) * (T + t_left))
    uj, wj = _jacobi_right(int(panel_nodes))
    t_right = 0.75 * T + 0.25 * T * uj  # T − t = (T/4)(1 − u)
    w_right = wj * (0.25 * T) * math.sqrt(0.25 * T) * np.sqrt(T + t_right)
    t = np.concatenate([t_left, t_right])
    wt = np.concatenate([w_left, w_right])
    x = a + t * t
    weights = wt * (t * t / x) / (math.pi * g)
    return MPQuadrature(nodes=x, weights=weights, atom=float(atom(g)), gamma=g)


@validate(gamma=POSITIVE, scale=NONNEGATIVE)
def integrate(f, gamma: float, *, scale: float = 0.0) -> float:
    """∫ f(x) p(x) dx over the continuous part (f vectorised over x); see :func:`quadrature`."""
    q = quadrature(gamma, scale=scale)
    return float(np.dot(q.weights, f(q.nodes)))
