"""OLS on a fixed design under accumulate-subsample: the exact expected test error given the design.

Model (docs/theory.md §5.2 and §5.5; Gerstgrasser et al.; the "Collapse or Thrive?" code). A design X (n×d,
rows x_r) is fixed; real labels y⁽¹⁾ = Xw* + σε₁ with a teacher w* ~ N(0, I_d) (the simulator's convention;
w* matters only when a subsample spans fewer than d directions, where the fit is the minimum-norm one, as
the authors' ``pinv``). Iteration t: the pool holds t labelled copies of X (generations g = 1..t); the fit
ŵ_t is least squares on n of the t·n pool rows drawn uniformly **without replacement**; then the same X
is relabelled, y⁽ᵗ⁺¹⁾ = Xŵ_t + σε_{t+1}. Iteration 1 is the fit on the real data.

**Reduction.** Write u_{g,r} = y⁽ᵍ⁾_r − x_rᵀw* (pool label errors) and c_r for the number of copies of row
r in the subsample (multivariate hypergeometric: P(c) = ∏_r C(t, c_r)/C(tn, n)). Given c, the generations
drawn for row r are a uniform c_r-subset of 1..t, independent over rows and of every value. With
G_c = Σ_r c_r x_r x_rᵀ, Π_c = G_c⁺G_c and v_r = G_c⁺x_r,

    e_t = ŵ_t − w* = −(I − Π_c)w* + Σ_{(g,r) drawn} v_r·u_{g,r},    u_{t+1} = X·e_t + σ·ε_{t+1}.

Everything is linear in the Gaussian vector (w*, ε) given the subsamples, and the subsamples are
independent of it, so the second moments of the pool given X close on three arrays summed over the
generations: A = Σ_{g,g'} E[u_g u_{g'}ᵀ] (n×n), a_r = Σ_g E[u_{g,r}²] and B = Σ_g E[u_g w*ᵀ] (n×d). With
D = diag(c)/t, V = [v_r] (d×n) and κ_r = c_r(c_r − 1)/(t(t − 1))·(A_rr − a_r) + (c_r/t)·a_r (the within-row
pair and single probabilities):

    E[e_t w*ᵀ]        = E_c[−(I − Π) + V D B]
    E[e_t Σ_g u_gᵀ]   = E_c[−(I − Π)Bᵀ + V D A]
    E[e_t e_tᵀ]       = E_c[(I − Π) − (I − Π)BᵀDVᵀ − VDB(I − Π) + V(DAD − diag(c_r²A_rr/t²) + diag κ)Vᵀ]

and the pool grows by the new generation: B += X·E[e w*ᵀ], A += X·E[e Σu ᵀ] + (…)ᵀ + X·E[e eᵀ]·Xᵀ + σ²I,
a += diag(X·E[e eᵀ]·Xᵀ) + σ², from A = σ²I, a = σ², B = 0. The expected test error at t is
tr(Σ·E[e_t e_tᵀ]) (+ σ² with noisy test labels), Σ the test-input covariance.

This is **exact** given X; the only sum is E_c, over the C(2n − 1, n) count vectors (weights ∏C(t, c_r),
exact integers): feasible for n ≤ 10 (92 378 vectors). The coefficients E_c[·] are averages of rational
functions of X over c, so the state is the full O(n²) array, not a few scalars: unlike the Gaussian problem
(weight 1/n per point, two pool moments), the weight of a pool label is the random matrix v_r x_rᵀ-type
G_c⁺x_r. Unconditionally on X the expectation is **infinite for every t ≥ n/(d + 1)** (docs/theory.md §5.5,
proof there): a subsample may hold only d + 1 distinct rows, whose Gram inverse has infinite mean.

Sources: docs/theory.md §5.5 (this module's derivation). Simulator twin:
:func:`model_collapse.montecarlo.linreg_workflow.simulate` with ``workflow="accumulate-subsample"`` and
``design=X`` (field ``test_error``).
"""

from __future__ import annotations

from itertools import combinations
from numbers import Integral

import numpy as np
from model_collapse.arrays import like
from model_collapse.theory.linreg_workflow import LABELS, _covariance
from model_collapse.validation import NONNEGATIVE, POSITIVE_INT, Interval, InvalidParameterError, validate
from scipy.special import gammaln

__all__ = ["MAX_COUNT_VECTORS", "count_vectors", "test_error_given_design", "infinite_from"]

ITERATION = Interval(Integral, 1, None, closed="left")
MAX_COUNT_VECTORS = 200_000  # C(2n − 1, n): n ≤ 10


def count_vectors(n: int) -> np.ndarray:
    """Every c ∈ ℕⁿ with Σc = n (stars and bars), an array (C(2n − 1, n), n)."""
    bars = np.array(list(combinations(range(2 * n - 1), n - 1)), dtype=np.int64).reshape(-1, n - 1)
    edges = np.concatenate([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), 2 * n - 1)], axis=1)
    return np.diff(edges, axis=1) - 1


def _log_weights(c: np.ndarray, n: int, t: int) -> np.ndarray:
    """log P_t(c) = Σ_r log C(t, c_r) − log C(tn, n); −inf where some c_r > t."""
    ok = np.all(c <= t, axis=1)
    cc = np.minimum(c, t)
    logc = gammaln(t + 1.0) - gammaln(cc + 1.0) - gammaln(t - cc + 1.0)
    total = gammaln(t * n + 1.0) - gammaln(n + 1.0) - gammaln(t * n - n + 1.0)
    return np.where(ok, logc.sum(axis=1) - total, -np.inf)


def _geometry(X: np.ndarray, c: np.ndarray):
    """(I − Π_c, V_c) for every count vector: the projector's complement (m, d, d) and V = G_c⁺Xᵀ (m, d, n).

    G_c⁺ through eigh, keeping the rank(G_c) largest eigenvalues (numpy's rank tolerance, as ``pinv``)."""
    n, d = X.shape
    gram = np.einsum("mr,ri,rj->mij", c.astype(float), X, X)
    vals, vecs = np.linalg.eigh(gram)
    rank = np.linalg.matrix_rank(gram, hermitian=True)
    keep = np.arange(d)[None, :] >= (d - rank)[:, None]  # eigh sorts ascending
    inv = np.where(keep, 1.0 / np.where(keep, vals, 1.0), 0.0)
    pinv = np.einsum("mik,mk,mjk->mij", vecs, inv, vecs)
    proj = np.einsum("mik,mk,mjk->mij", vecs, keep.astype(float), vecs)
    return np.eye(d)[None] - proj, pinv @ X.T


def _steps(X: np.ndarray, T: int, sigma: float, pair: str):
    """E[e_t e_tᵀ | X] for t = 1..T (an array (T, d, d)); ``pair`` is the within-row pair law (see tests)."""
    n, d = X.shape
    c = count_vectors(n)
    comp, V = _geometry(X, c)
    cf = c.astype(float)
    s2 = sigma * sigma
    A, a, B = s2 * np.eye(n), np.full(n, s2), np.zeros((n, d))
    out = np.empty((T, d, d))
    for t in range(1, T + 1):
        logw = _log_weights(c, n, t)
        live = np.isfinite(logw)
        w = np.exp(logw[live])
        Cm, Vm, cm = comp[live], V[live], cf[live]
        VD = Vm * (cm[:, None, :] / t)  # V·D
        if t == 1:
            within = np.zeros_like(cm)
        elif pair == "exact":
            within = cm * (cm - 1.0) / (t * (t - 1.0))
        else:  # the perturbed twin: two generations of one row drawn as if independently
            within = (cm / t) ** 2
        kappa = within * (np.diag(A) - a)[None, :] + (cm / t) * a[None, :]
        e_w = np.einsum("m,mij->ij", w, -Cm + VD @ B)
        e_u = np.einsum("m,mij->ij", w, -Cm @ B.T + VD @ A)
        cross = Cm @ B.T @ np.swapaxes(VD, 1, 2)
        diag = kappa - (cm / t) ** 2 * np.diag(A)[None, :]
        e_e = np.einsum("m,mij->ij", w, Cm - cross - np.swapaxes(cross, 1, 2)
                        + VD @ A @ np.swapaxes(VD, 1, 2) + np.einsum("mir,mr,mjr->mij", Vm, diag, Vm))
        e_e = 0.5 * (e_e + e_e.T)
        out[t - 1] = e_e
        if t < T:
            XU = X @ e_u
            N = X @ e_e @ X.T
            B = B + X @ e_w
            A = A + XU + XU.T + N + s2 * np.eye(n)
            a = a + np.diag(N) + s2
    return out


@validate(t=ITERATION, sigma=NONNEGATIVE, test_labels=LABELS)
def test_error_given_design(X, t, *, sigma: float = 1.0, cov=None, test_labels: str = "noiseless"):
    """E[test error | X] at iteration(s) t under accumulate-subsample, exact (module docstring).

    X: the fixed design (n × d, finite, n ≥ 2 and C(2n − 1, n) ≤ MAX_COUNT_VECTORS, i.e. n ≤ 10). Test error =
    E‖ŵ_t − w*‖²_Σ (noiseless test labels; ``test_labels="noisy"`` adds σ²), ``cov`` = Σ the test-input
    covariance (default I), teacher w* ~ N(0, I_d) (it enters only through subsamples spanning fewer than d
    directions). Iteration 1 is the real-data fit: σ²tr((XᵀX)⁻¹Σ) when X
    has full column rank. Cost O(C(2n − 1, n)·d·n²) per iteration. Simulator twin:
    :func:`model_collapse.montecarlo.linreg_workflow.simulate` (``workflow="accumulate-subsample"``,
    ``design=X``).
    """
    return _given_design(X, t, float(sigma), cov, test_labels, "exact")


def _given_design(X, t, sigma: float, cov, test_labels: str, pair: str):
    """:func:`test_error_given_design` with the within-row pair law as a switch (``pair="independent"`` is the
    perturbed twin of the tests: two generations of one row drawn as if independently, (c_r/t)²)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.size == 0 or not np.all(np.isfinite(X)):
        raise InvalidParameterError.of(
            "X", "test_error_given_design", f"must be a finite 2-D array (n × d). Got shape {X.shape} instead.")
    n, d = X.shape
    size = int(round(np.exp(gammaln(2 * n) - gammaln(n + 1) - gammaln(n))))
    if n < 2 or size > MAX_COUNT_VECTORS:
        raise InvalidParameterError.of(
            "X", "test_error_given_design", f"must have 2 <= n <= 10 rows (the exact average runs over the "
            f"C(2n - 1, n) subsample count vectors; {size} for n = {n}). Got {n} rows instead.")
    S = _covariance(cov, d)
    tt = np.asarray(t, dtype=np.int64)
    ee = _steps(X, int(tt.max(initial=1)), sigma, pair)
    err = np.einsum("ij,tji->t", S, ee)
    out = err[tt - 1] + (sigma**2 if test_labels == "noisy" else 0.0)
    return like(out, t)


@validate(n=POSITIVE_INT, d=POSITIVE_INT)
def infinite_from(n: int, d: int) -> int:
    """The first iteration from which the unconditional E test error (design rows Gaussian) is infinite:
    ⌈n/(d + 1)⌉ (at least 2), for n ≥ d + 2. From then on a subsample can consist of copies of d + 1 rows
    only, which has positive probability and infinite conditional mean (docs/theory.md §5.5). Below it
    every subsample spans ≥ d + 2 rows; finiteness there is expected but not proved."""
    if n < d + 2:
        raise InvalidParameterError.of(
            "n", "infinite_from", f"must be at least d + 2 = {d + 2} (below, iteration 1 is already "
            f"infinite in expectation). Got {n} instead.")
    return max(2, -(-n // (d + 1)))
