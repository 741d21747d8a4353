"""Exact Wishart draws (Bartlett decomposition), shared by the simulators that need Gram matrices.

A Gram matrix XᵀX of m iid N(0, diag(w)) rows is drawn from its law directly: d³ work instead of m·d² when
m ≥ d. (The Gaussian-workflow simulator draws Bartlett factors for many iterations at once in its own batched
layout; it uses the same decomposition.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["wishart_factor", "wishart_gram"]


def wishart_factor(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    """F ∈ R^{min(m, d)×d} with FᵀF ~ Wishart_d(m, I) (the unscaled factor of :func:`wishart_gram`).

    m ≥ d: Lᵀ from the Bartlett decomposition (L lower triangular, L_ii = √χ²_{m−i+1}, L_ij ~ N(0, 1) below
    the diagonal): d³ work instead of m·d². m < d: m iid N(0, I) rows. m = 0: no rows (draws nothing).
    """
    if m == 0:
        return np.zeros((0, d))
    if m >= d:
        L = np.tril(rng.standard_normal((d, d)), -1)
        L[np.diag_indices(d)] = np.sqrt(rng.chisquare(m - np.arange(d)))
        return L.T
    return rng.standard_normal((m, d))


def wishart_gram(rng: np.random.Generator, m: int, sqrt_w: np.ndarray) -> np.ndarray:
    """A draw of G = XᵀX for X ∈ R^{m×d} with iid rows N(0, diag(w)), i.e. G ~ Wishart_d(m, diag(w)).

    G = (F·diag(√w))ᵀ(F·diag(√w)) with F from :func:`wishart_factor` (Bartlett for m ≥ d, explicit rows for
    m < d): exactly the law of XᵀX (moments checked in tests/test_ridge_mixture_mc.py).
    """
    F = wishart_factor(rng, m, sqrt_w.size) * sqrt_w
    return F.T @ F
