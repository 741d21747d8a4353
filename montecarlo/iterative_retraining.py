"""Monte-Carlo twin of :mod:`model_collapse.theory.iterative_retraining`: the retraining chain, literally.

Per trial (docs/theory.md §4), in Σ's eigenbasis Σ = diag(ω) (the error is rotation invariant):

1. ŵ₀ = w₀ with squared eigen-coordinates c_j² (:func:`theory.iterative_retraining.teacher_coefficients`,
   the setting's definition, not a formula).
2. For k = 1..n: a fresh X̄_k ∈ R^{T₀×d}, rows N(0, Σ); ȳ_k = X̄_kŵ_{k−1} + σ₀ε_k; ŵ_k = X̄_k⁺ȳ_k (OLS for
   T₀ ≥ d, minimum-norm for T₀ < d).
3. Downstream: a fresh X ∈ R^{T×d}, y = Xŵ_n + σε, ridge ŵ = (XᵀX + TλI)⁻¹Xᵀy (λ = 0: minimum norm).
4. Reported: bias and variance of the clean fit (what the same downstream design gives on real labels
   y = Xw₀ + σε), total = ‖ŵ − w₀‖²_Σ, collapse = total − bias − variance.

``method="conditional"`` (default) draws every design of the chain (the generators' Gram matrices from
their Wishart law, as Bartlett factors, when T₀ ≥ d, explicit rows when T₀ < d)
and integrates the label noises and the signs of w₀'s eigen-coordinates exactly (the design law is invariant
under those sign flips, so a fixed w₀ has the same expected error). It works in whitened coordinates
v = Σ^{1/2}w, where the design is standard normal and ‖ŵ − w₀‖²_Σ = ‖v̂ − v₀‖²:

    v̂ − v₀ = (BΠ − I)v₀ + B·(generator noise) + (downstream noise),

B the downstream fit's linear map (B = (A + TλΣ⁻¹)⁻¹A with A = ZᵀZ for T ≥ d; S²Zᵀ(ZS²Zᵀ + Tλ)⁻¹Z for
T < d, S = Σ^{1/2}), Π = P_n⋯P_1 the generators' projections (Π = I for T₀ ≥ d) and the generator noise of
covariance C (σ₀²Σ_k A_k⁻¹ for T₀ ≥ d; the recursion C ← P C Pᵀ + σ₀²N Nᵀ, N = S²Z̄ᵀ(Z̄S²Z̄ᵀ)⁻¹, for T₀ < d).
Given the designs: bias = Σ_j v0_j²[(B−I)ᵀ(B−I)]_jj, total signal part Σ_j v0_j²[(BΠ−I)ᵀ(BΠ−I)]_jj,
generator noise part tr(B C Bᵀ), variance σ²·tr(B R) (T ≥ d) or σ²‖(ZS²Zᵀ + Tλ)⁻¹ZS²‖_F² (T < d).
The mean over trials is an unbiased estimate of the same expectation as the literal experiment.
``method="sample"`` is the literal experiment: draw all rows and noises, fit, measure.

Randomness: one generator per trial from ``SeedSequence(seed)`` (:func:`trial_generators`); trial i uses
only generator i, so results do not depend on batching. Cost per trial (conditional) ~ (n + 2)·d³ flops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.montecarlo.trials import (
    MCEstimate,
    Progress,
    blas_capped,
    estimate,
    parallel_map,
    trial_chunks,
    trial_generators,
)
from model_collapse.montecarlo.wishart import wishart_factor, wishart_gram
from model_collapse.theory.iterative_retraining import FIELDS, teacher_coefficients
from model_collapse.validation import (
    EXPONENT,
    NONNEGATIVE,
    NONNEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    SCALE,
    SEED,
    InvalidParameterError,
    Options,
    check_param,
    renamed,
    validate,
)
from scipy.linalg import solve_triangular

__all__ = ["RetrainEstimate", "simulate", "METHOD"]

METHOD = Options(("conditional", "sample"))


@dataclass(frozen=True)
class RetrainEstimate:
    """Mean ± SE over trials of the clean bias and variance, the collapse excess and the total error."""

    bias: MCEstimate
    variance: MCEstimate
    collapse: MCEstimate
    total: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {k: getattr(self, k).as_dict() for k in FIELDS}


def _downstream(rng, t: int, d: int, sqrt_w: np.ndarray, lam_t: float):
    """Draw the downstream design and return (U, V, WtW, bias_diag_terms, variance/σ²) in whitened coordinates.

    B = U @ V (U = None means the identity). WtW = UᵀU (None when U is the identity).
    """
    w = sqrt_w**2
    if t >= d:
        A = wishart_gram(rng, t, np.ones(d))
        if lam_t > 0:
            R = np.linalg.inv(A + lam_t * np.diag(1.0 / w))
            B = np.eye(d) - lam_t * R / w[None, :]
            var = float(np.einsum("ij,ji->", B, R))
        else:
            B = np.eye(d)
            var = float(np.trace(np.linalg.inv(A)))
        return None, B, None, var
    Z = rng.standard_normal((t, d))
    ZS2 = Z * w[None, :]  # Z S²  (T x d)
    K = ZS2 @ Z.T + lam_t * np.eye(t)
    V = np.linalg.solve(K, Z)  # K⁻¹Z
    U = ZS2.T  # S²Zᵀ (d x T)
    WtW = ZS2 @ ZS2.T  # Z S⁴ Zᵀ = UᵀU
    KinvU = np.linalg.solve(K, ZS2)  # K⁻¹ Z S²
    var = float(np.sum(KinvU * KinvU))
    return U, V, WtW, var


def _column_energy(U, V, WtW, energy):
    """Σ_j e_j ‖(B − I)e_j‖² with B = U V (U None: B = V)."""
    if U is None:
        col2 = np.sum(V * V, axis=0)
        diag = np.diag(V)
    else:
        col2 = np.einsum("tj,ts,sj->j", V, WtW, V)
        diag = np.einsum("jt,tj->j", U, V)
    return float(energy @ (col2 - 2 * diag + 1.0))


def _noise_trace(U, V, WtW, C):
    """tr(B C Bᵀ) for B = U V."""
    VC = V @ C
    if U is None:
        return float(np.sum(VC * V))
    return float(np.sum((VC @ V.T) * WtW))


def _conditional_trial(rng, n, t, t0, d, sqrt_w, energy, lam_t, s2, s02):
    U, V, WtW, var = _downstream(rng, t, d, sqrt_w, lam_t)
    bias = _column_energy(U, V, WtW, energy)
    w = sqrt_w**2
    if n == 0:
        return bias, s2 * var, 0.0
    if t0 >= d:
        if s02 == 0:
            return bias, s2 * var, 0.0
        # generator noise: C = σ₀² Σ_k A_k⁻¹, A_k ~ Wishart_d(T₀, I); tr(B C Bᵀ) = σ₀² Σ_k tr(V A_k⁻¹ Vᵀ UᵀU)
        acc = 0.0
        for _ in range(n):
            L = wishart_factor(rng, t0, d).T  # lower-triangular Bartlett factor, LLᵀ ~ Wishart_d(T₀, I)
            Y = solve_triangular(L, V.T, lower=True, check_finite=False)  # L⁻¹Vᵀ, so V A⁻¹ Vᵀ = YᵀY
            acc += float(np.sum(Y * Y)) if U is None else float(np.sum((Y.T @ Y) * WtW))
        return bias, s2 * var, s02 * acc
    # T₀ < d: minimum-norm generators, oblique projections P = S²Z̄ᵀ(Z̄S²Z̄ᵀ)⁻¹Z̄ in whitened coordinates.
    Pi = np.eye(d)
    C = np.zeros((d, d))
    for _ in range(n):
        Zb = rng.standard_normal((t0, d))
        ZbS2 = Zb * w[None, :]
        Kb = ZbS2 @ Zb.T
        N = np.linalg.solve(Kb, ZbS2).T  # S² Z̄ᵀ K̄⁻¹  (d x T₀)
        P = N @ Zb
        Pi = P @ Pi
        C = P @ C @ P.T + s02 * (N @ N.T)
    BPi = V @ Pi if U is None else U @ (V @ Pi)
    col2 = np.sum(BPi * BPi, axis=0)
    signal = float(energy @ (col2 - 2 * np.diag(BPi) + 1.0))
    noise = _noise_trace(U, V, WtW, C) if s02 > 0 else 0.0
    return bias, s2 * var, signal - bias + noise


def _ridge_fit(X, Y, lam_t):
    """Ridge/min-norm fit of several right-hand sides Y (T x m): returns (d x m)."""
    t, d = X.shape
    if t >= d:
        if lam_t > 0:
            return np.linalg.solve(X.T @ X + lam_t * np.eye(d), X.T @ Y)
        return np.linalg.lstsq(X, Y, rcond=None)[0]
    return X.T @ np.linalg.solve(X @ X.T + lam_t * np.eye(t), Y)


def _sample_trial(rng, n, t, t0, d, sqrt_w, c2, lam_t, s, s0):
    w0 = np.sqrt(c2)
    what = w0.copy()
    for _ in range(n):
        Xb = rng.standard_normal((t0, d)) * sqrt_w[None, :]
        yb = Xb @ what + s0 * rng.standard_normal(t0)
        what = np.linalg.lstsq(Xb, yb, rcond=None)[0]  # OLS (T₀ ≥ d) or minimum norm (T₀ < d)
    X = rng.standard_normal((t, d)) * sqrt_w[None, :]
    eps = s * rng.standard_normal(t)
    Y = np.stack([X @ w0, eps, X @ what + eps], axis=1)
    W = _ridge_fit(X, Y, lam_t)
    w = sqrt_w**2
    sq = lambda e: float(np.sum(w * e * e))  # noqa: E731
    bias, var, total = sq(W[:, 0] - w0), sq(W[:, 1]), sq(W[:, 2] - w0)
    return bias, var, total - bias - var


@renamed(teacher="gamma")
@validate(generations=NONNEGATIVE_INT, samples=POSITIVE_INT, generator_samples=POSITIVE_INT, d=POSITIVE_INT,
          sigma=SCALE, sigma0=SCALE, lam=SCALE, r2=SCALE, source_r=EXPONENT,
          n_trials=POSITIVE_INT, method=METHOD)
@blas_capped
def simulate(
    generations: int,
    samples: int,
    generator_samples: int,
    d: int,
    *,
    sigma: float = 1.0,
    sigma0: float = 1.0,
    lam: float = 0.0,
    spectrum="isotropic",
    r2: float = 1.0,
    source_r: float | None = None,
    gamma=None,
    n_trials: int = 100,
    seed=0,
    method: str = "conditional",
    progress: Progress = None,
) -> RetrainEstimate:
    """Simulate the retraining chain; same setting keywords as :func:`theory.iterative_retraining.predict`.

    Scalars only (T = ``samples`` an integer). Returns mean ± SE over ``n_trials`` of bias, variance (the clean
    downstream fit), collapse (the excess) and total. ``seed``: an int or a ``numpy.random.SeedSequence``.
    """
    for name, value in (("generations", generations), ("samples", samples), ("lam", lam), ("sigma", sigma),
                        ("sigma0", sigma0)):
        if np.ndim(value) != 0:
            raise InvalidParameterError.of(name, "simulate", "must be a scalar. Got an array instead.")
    check_param("seed", seed, SEED, "simulate")
    check_param("lam", lam, NONNEGATIVE, "simulate")
    check_param("samples", samples, POSITIVE, "simulate")
    w, c2 = teacher_coefficients(spectrum, d, r2, source_r, gamma)
    n, t, t0, d = int(generations), int(samples), int(generator_samples), int(d)
    sqrt_w = np.sqrt(w)
    energy = w * c2  # v0_j² in whitened coordinates
    lam_t = float(lam) * t
    s, s0 = float(sigma), float(sigma0)
    rngs = trial_generators(seed, n_trials)
    out = np.empty((3, n_trials))
    per_trial = 6.0 * d * d + (t + t0) * d

    def run(chunk: range) -> np.ndarray:
        res = np.empty((3, len(chunk)))
        with np.errstate(all="ignore"):  # per thread; non-finite results are refused below
            for j, i in enumerate(chunk):
                g = rngs[i]
                if method == "conditional":
                    res[:, j] = _conditional_trial(g, n, t, t0, d, sqrt_w, energy, lam_t, s * s, s0 * s0)
                else:
                    res[:, j] = _sample_trial(g, n, t, t0, d, sqrt_w, c2, lam_t, s, s0)
        return res

    done = 0
    chunks = trial_chunks(n_trials, per_trial)
    try:  # threads over chunks of trials, one BLAS thread each (parallel_map)
        for chunk, res in zip(chunks, parallel_map(run, chunks), strict=True):
            out[:, chunk.start : chunk.stop] = res
            done += len(chunk)
            if progress is not None:
                progress(done, n_trials)
    except np.linalg.LinAlgError:  # not yet on the SVD path of the ridge-mixture simulator
        raise InvalidParameterError.of(
            "spectrum", None, "makes a Gram matrix singular in floating point at this setting "
            f"(smallest eigenvalue {float(sqrt_w.min()) ** 2:.3g} against lam = {lam!r}); use a flatter "
            "spectrum or a larger lam.") from None
    if not np.all(np.isfinite(out)):
        raise InvalidParameterError.of(
            "spectrum", None, "makes the chain's linear algebra overflow at this setting (a Gram matrix is "
            "singular in floating point); use a flatter spectrum, a larger lam or smaller scales.")
    # bias and variance are expectations of squares; the conditional method evaluates them through traces
    # whose floating-point round-off can fall a few ulps below 0 when they vanish (e.g. lam = 1e100): clip it
    scale = np.max(np.abs(out), axis=0, keepdims=True)
    out = np.where(np.abs(out) <= 1e-12 * scale, np.maximum(out, 0.0), out) if method == "conditional" else out
    bias, var, col = out
    est = [estimate(x) for x in (bias, var, col, bias + var + col)]
    return RetrainEstimate(*est, n_trials=n_trials)
