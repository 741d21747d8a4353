"""Monte-Carlo twin of :mod:`theory.ridge_mixture`: ridge on pooled real + synthetic samples.

The data model is exactly docs/theory.md §2, simulated in Σ's eigenbasis (Σ = diag(ω), which loses nothing:
the risk is rotation invariant). Per trial:

1. X ∈ R^{n×d} with rows N(0, Σ); the first n₁ = n − n₂ rows are real, the last n₂ = round(p₂·n) synthetic.
   (The conditional method needs only the Gram matrices X_kᵀX_k, drawn from their Wishart law by
   :func:`wishart_gram`.)
2. Teacher w₁ ~ N(0, Γ), shift δ ~ N(0, Δ); real labels y = Xw₁ + σ₁ε, synthetic y = X(w₁ + δ) + σ₂ε.
3. Ridge ŵ = (XᵀX + nλI)⁻¹Xᵀy (λ = 0: the minimum-norm least-squares solution).
4. Test error ‖ŵ − w₁‖²_Σ (excess risk on the real distribution; ``include_noise`` adds σ₁²).

``method="conditional"`` (default) integrates steps 2-4 exactly given X: with G_k = X_kᵀX_k, G = G₁ + G₂,
R = (G + nλI)⁻¹ (pseudo-inverse when λ = 0), ŵ − w₁ = (RG − I)w₁ + RG₂δ + RXᵀ(noise), whose three pieces
are independent with mean zero, so

    bias     = tr((RG − I)ᵀΣ(RG − I)Γ)
    zeta     = tr((RG₂)ᵀΣ(RG₂)Δ)
    variance = σ₁²·tr(Σ·RG₁R) + σ₂²·tr(Σ·RG₂R)

are the exact conditional expectations given X. Only the design is random, which removes the (large)
variance of the priors and the label noise; the mean over trials is an unbiased estimate of the same
expectation. ``method="sample"`` draws w₁, δ and the noise, fits ridge with a linear solver and
measures the error directly (the parts by linearity of ŵ in y): the literal experiment, noisier.

Randomness: one generator per trial from ``SeedSequence(seed)``
(:func:`model_collapse.montecarlo.trials.trial_generators`);
results do not depend on batching. Cost per trial ~ 5d³ flops (conditional, n ≥ d); trials are batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import require_scalars
from model_collapse.montecarlo.trials import (
    MCEstimate,
    Progress,
    batches,
    estimate,
    single_threaded_blas,
    trial_generators,
)
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.theory.ridge_mixture import PENALTY, effective_lambda, resolve_priors
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    PROBABILITY,
    SEED,
    InvalidParameterError,
    Options,
    validate,
)

__all__ = ["RidgeMixtureEstimate", "simulate", "ridge_error_parts"]

METHOD = Options(("conditional", "sample"))


@dataclass(frozen=True)
class RidgeMixtureEstimate:
    """Mean and standard error over trials of the bias, variance, zeta and total test error.

    ``n2`` is the number of synthetic rows actually simulated, round(p₂·n): compare with theory at the
    realised fraction ``p2_realised`` = n2/n when p₂·n is not an integer.
    """

    bias: MCEstimate
    variance: MCEstimate
    zeta: MCEstimate
    total: MCEstimate
    n_trials: int
    n2: int
    n: int

    @property
    def p2_realised(self) -> float:
        return self.n2 / self.n

    def as_dict(self) -> dict:
        return {k: getattr(self, k).as_dict() for k in ("bias", "variance", "zeta", "total")}


def _expand(w, m):
    if m is None:
        return w
    if np.any(m != np.round(m)):
        raise InvalidParameterError(
            "The 'multiplicities' parameter of simulate must be non-negative integers (a simulated "
            "covariance has whole eigenvalue multiplicities)."
        )
    return np.repeat(w, m.astype(int))


def _pseudo_inverse_parts(G: np.ndarray, lam_n: float, full_rank: bool):
    """R = (G + nλI)⁻¹ and RG for a batch of Gram matrices; λ = 0 uses the pseudo-inverse.

    λ = 0 and n ≥ d (``full_rank``): R = G⁻¹, RG = I. λ = 0 and n < d: eigenvalues below d·eps·max are
    treated as zero (G has rank n), R = G⁺ and RG the projector onto the row space of X.
    """
    d = G.shape[-1]
    eye = np.eye(d)
    if lam_n > 0 or full_rank:
        R = np.linalg.inv(G + lam_n * eye)
        return R, (eye - lam_n * R) if lam_n > 0 else np.broadcast_to(eye, G.shape)
    ev, Q = np.linalg.eigh(G)
    tol = ev[..., -1:] * d * np.finfo(float).eps
    keep = ev > tol
    inv = np.where(keep, 1.0 / np.where(keep, ev, 1.0), 0.0)
    R = (Q * inv[..., None, :]) @ np.swapaxes(Q, -1, -2)
    RG = (Q * keep[..., None, :]) @ np.swapaxes(Q, -1, -2)
    return R, RG


def wishart_gram(rng: np.random.Generator, m: int, sqrt_w: np.ndarray) -> np.ndarray:
    """A draw of G = XᵀX for X ∈ R^{m×d} with iid rows N(0, diag(w)), i.e. G ~ Wishart_d(m, diag(w)).

    m ≥ d: Bartlett decomposition, G = S·LLᵀ·S with S = diag(√w), L lower triangular, L_ii = √χ²_{m−i+1}
    (i = 1..d), L_ij ~ N(0, 1) below the diagonal: d³ work instead of m·d². m < d: the explicit product
    ZᵀZ (rank m). Both have exactly the law of XᵀX (moments checked in tests/test_ridge_mixture_mc.py).
    """
    d = sqrt_w.size
    if m == 0:
        return np.zeros((d, d))
    if m >= d:
        L = np.tril(rng.standard_normal((d, d)), -1)
        L[np.diag_indices(d)] = np.sqrt(rng.chisquare(m - np.arange(d)))
        A = L @ L.T
    else:
        Z = rng.standard_normal((m, d))
        A = Z.T @ Z
    return A * sqrt_w[:, None] * sqrt_w[None, :]


def ridge_error_parts(G1, G2, lam_n, w, gam, dlt, s1sq, s2sq, full_rank):
    """Exact conditional expectations (bias, variance, zeta) given the Gram matrices (batched)."""
    R, RG = _pseudo_inverse_parts(G1 + G2, lam_n, full_rank)
    B2 = R @ G2
    A = RG - np.eye(w.size)
    bias = np.einsum("k,bki,i->b", w, A * A, gam)
    zeta = np.einsum("k,bki,i->b", w, B2 * B2, dlt)
    var2 = np.einsum("k,bkj->b", w, B2 * R)
    var1 = np.einsum("k,bkj->b", w, (RG - B2) * R)
    return bias, s1sq * var1 + s2sq * var2, zeta


def _sample_parts(X, n1, lam_n, w, gam, dlt, s1, s2, rngs):
    """The literal experiment: draw teacher, shift and noise, fit ridge, measure ‖ŵ − w₁‖²_Σ."""
    b, n, d = X.shape
    w1 = np.stack([g.standard_normal(d) for g in rngs]) * np.sqrt(gam)
    dl = np.stack([g.standard_normal(d) for g in rngs]) * np.sqrt(dlt)
    eps = np.stack([g.standard_normal(n) for g in rngs])
    noise = np.concatenate([s1 * eps[:, :n1], s2 * eps[:, n1:]], axis=1)
    shift = np.einsum("bnd,bd->bn", X[:, n1:], dl)
    y_teacher = np.einsum("bnd,bd->bn", X, w1)
    y_shift = np.concatenate([np.zeros((b, n1)), shift], axis=1)
    Xt = np.swapaxes(X, -1, -2)
    # One factorisation, four right-hand sides (teacher part, shift part, noise, all labels).
    Y = np.stack([y_teacher, y_shift, noise, y_teacher + y_shift + noise], axis=-1)
    if lam_n > 0 or n >= d:  # ridge, or OLS: (XᵀX + nλI)ŵ = Xᵀy
        W = np.linalg.solve(Xt @ X + lam_n * np.eye(d), Xt @ Y)
    else:  # λ = 0, n < d: the minimum-norm interpolator ŵ = Xᵀ(XXᵀ)⁻¹y
        W = Xt @ np.linalg.solve(X @ Xt, Y)
    e_bias = W[..., 0] - w1
    e_zeta = W[..., 1]
    e_var = W[..., 2]
    total_err = W[..., 3] - w1
    sq = lambda e: np.einsum("bd,d->b", e * e, w)  # noqa: E731
    return sq(e_bias), sq(e_var), sq(e_zeta), sq(total_err)


@validate(n=POSITIVE_INT, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE,
          penalty=PENALTY, n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
def simulate(
    n: int,
    p2: float,
    lam: float,
    eigenvalues,
    *,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma: float = 1.0,
    sigma2: float | None = None,
    gamma=None,
    delta=None,
    multiplicities=None,
    penalty: str = "mean",
    include_noise: bool = False,
    n_trials: int = 100,
    seed=0,
    method: str = "conditional",
    progress: Progress = None,
) -> RidgeMixtureEstimate:
    """Simulate the ridge-mixture test error; same keywords as :func:`model_collapse.theory.ridge_mixture.predict`.

    Scalar settings only (n a positive integer, p₂ ∈ [0, 1], λ ≥ 0); n₂ = round(p₂·n) synthetic rows.
    ``multiplicities`` must be integers (eigenvalue ω_i is repeated m_i times). Returns mean ± SE over
    ``n_trials`` of bias, variance, zeta and total (see the module docstring for ``method``).
    """
    require_scalars("simulate", n=n, p2=p2, lam=lam, sigma=sigma, sigma2=sigma2)
    w, m = spectrum_arrays(eigenvalues, multiplicities, "simulate")
    w = _expand(w, None if multiplicities is None else m)
    gam, dlt = resolve_priors(w, np.ones_like(w), r2, c2, gamma, delta, "simulate")
    n = int(n)
    d = w.size
    n2 = int(round(p2 * n))
    n1 = n - n2
    lam_n = float(effective_lambda(lam, n, penalty)) * n
    s1 = float(sigma)
    s2 = s1 if sigma2 is None else float(sigma2)
    sqrt_w = np.sqrt(w)
    rngs = trial_generators(seed, n_trials)
    out = np.empty((4, n_trials))
    per_trial = (n * d if method == "sample" else min(n, d) * d) + 8 * d * d
    done = 0
    with single_threaded_blas():
        for chunk in batches(n_trials, per_trial):
            if method == "conditional":
                G1 = np.stack([wishart_gram(rngs[i], n1, sqrt_w) for i in chunk])
                G2 = np.stack([wishart_gram(rngs[i], n2, sqrt_w) for i in chunk])
                bias, var, zeta = ridge_error_parts(G1, G2, lam_n, w, gam, dlt, s1 * s1, s2 * s2, n >= d)
                total = bias + var + zeta
            else:
                X = np.stack([rngs[i].standard_normal((n, d)) for i in chunk]) * sqrt_w
                bias, var, zeta, total = _sample_parts(X, n1, lam_n, w, gam, dlt, s1, s2, [rngs[i] for i in chunk])
            out[:, chunk.start : chunk.stop] = np.stack([bias, var, zeta, total])
            done += len(chunk)
            if progress is not None:
                progress(done, n_trials)
    if include_noise:
        out[3] += s1 * s1
    b, v, z, t = (estimate(row) for row in out)
    return RidgeMixtureEstimate(bias=b, variance=v, zeta=z, total=t, n_trials=n_trials, n2=n2, n=n)
