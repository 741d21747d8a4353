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
expectation. ``method="sample"`` draws w₁, δ and the noise, fits ridge and measures the error directly
(the parts by linearity of ŵ in y): the literal experiment, noisier.

Numerics (issue 8): R is never formed. Both methods work from the design's factors through two stable
forms (:func:`unit_error_parts`, :func:`whitened_ridge_fit`): n ≥ d₊ a whitened generalised ridge,
n < d₊ the dual through a graded QR + Jacobi SVD. Every λ ≥ 0 (including 5e-324 and 1e300) gives finite
parts ≥ 0 (each a sum of squares), continuous in λ with the minimum-norm fit at λ = 0; eigenvalues ω = 0
(e.g. underflowed) are dropped, as in the theory; σ is squared only after scaling
(:func:`model_collapse.numerics.times_square`) and a part beyond float64 is refused naming its parameter.

Randomness: one generator per trial from ``SeedSequence(seed)``
(:func:`model_collapse.montecarlo.trials.trial_generators`);
results do not depend on batching. Cost per trial ~ 6d³ flops (conditional, n ≥ d); trials are batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from model_collapse.arrays import require_scalars
from model_collapse.montecarlo.trials import (
    MCEstimate,
    Progress,
    blas_capped,
    estimate,
    parallel_map,
    trial_chunks,
    trial_generators,
)
from model_collapse.montecarlo.wishart import wishart_factor
from model_collapse.numerics import noise_and_prior_scales, refuse_unrepresentable, times_square, unit_total
from model_collapse.theory.covariate_shift import second_spectrum
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
from scipy.linalg import lapack

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
        raise InvalidParameterError.of(
            "multiplicities", "simulate", "must be non-negative integers (a simulated "
            "covariance has whole eigenvalue multiplicities)."
        )
    return np.repeat(w, m.astype(int))


def _ridge_weights(s: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f = s/(s² + λ), q = s²/(s² + λ), h = λ/(s² + λ) for singular values s > 0 and λ ≥ 0, in forms that
    neither overflow nor divide 0 by 0 anywhere in [0, inf] (λ = 0: f = 1/s, q = 1, h = 0; λ = inf: 0, 0, 1)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        t = lam / s  # λ/s
        f = 1.0 / (s + t)
        ratio = t / s  # λ/s² (inf when s² underflows)
        q = 1.0 / (1.0 + ratio)
        h = 1.0 / (1.0 + 1.0 / ratio)
    return f, q, h


def _sym_inverse(M: np.ndarray) -> np.ndarray:
    """Inverse of a batch of symmetric positive definite matrices after symmetric diagonal scaling.

    With S = diag(M)^(-1/2), M⁻¹ = S(SMS)⁻¹S and SMS has unit diagonal: its condition number is within a
    factor d of the best over all diagonal scalings (van der Sluis), so a penalty λn/ω_i that spans many
    orders of magnitude (a graded spectrum) costs no accuracy.
    """
    sc = 1.0 / np.sqrt(np.diagonal(M, axis1=-2, axis2=-1))
    Ms = M * sc[..., :, None] * sc[..., None, :]
    out = np.empty_like(Ms)
    for i in np.ndindex(Ms.shape[:-2]):
        # Cholesky inverse (potrf + potri, ~half the work of a general inverse); LU if not numerically PD
        c, info = lapack.dpotrf(Ms[i], lower=0)
        if info == 0:
            inv, info = lapack.dpotri(c, lower=0)
        if info == 0:
            out[i] = np.triu(inv) + np.triu(inv, 1).T
        else:
            out[i] = np.linalg.pinv(Ms[i], hermitian=True)
    return out * sc[..., :, None] * sc[..., None, :]


def graded_dual_hat(A: np.ndarray, c: np.ndarray, lam: float) -> np.ndarray:
    """diag(c)·Aᵀ(AAᵀ + λI)⁻¹ for a batch of wide matrices A (b, n, p), n < p, with column scales c (≤ 1).

    A = Z·diag(c) with Z standard normal and c spanning many orders of magnitude (a graded spectrum) has
    singular vectors that an ordinary SVD gets only to absolute accuracy eps, which breaks the Σ-weighted
    products of the n < d₊ ridge when ω_min/ω_max < 1e-16 (measured: a factor 2.4 on the variance at
    ω_i = i^-100). Here Y = Aᵀ with rows sorted by decreasing scale goes through Householder QR with column
    pivoting (row-wise backward stable for such Y), Y = Q·B, and the small n×n B through the one-sided Jacobi
    SVD dgejsv (high relative accuracy for column-scaled Bᵀ); then diag(c)·Aᵀ(AAᵀ + λ)⁻¹ =
    diag(c)·Q·U_B·diag(s/(s² + λ))·V_Bᵀ. Measured against 400-digit mpmath: ≤ 2e-15 relative for
    ω_i = i^-β, β ≤ 200, λ ∈ {0, 1e-30, 1e-3} (tests/test_hardening_numerics.py). λ = 0 gives the
    minimum-norm fit, continuously in λ.
    """
    b, n, p = A.shape
    out = np.zeros((b, p, n))
    order = np.argsort(-c, kind="stable")
    for i in range(b):
        Y = A[i].T[order]
        Q, R, piv = scipy.linalg.qr(Y, mode="economic", pivoting=True)
        B = np.empty_like(R)
        B[:, piv] = R  # Y = Q·B
        sva, u, v, work, _iw, info = lapack.dgejsv(B.T, joba=0, jobu=0, jobv=0, jobr=0, jobt=0, jobp=0)
        if info == 0:
            s = sva * (work[0] / work[1])
            Ub, Vb = v, u  # Bᵀ = u·diag(s)·vᵀ, so B = v·diag(s)·uᵀ
        else:  # pragma: no cover - dgejsv failure: the ordinary SVD
            Ub, s, Vbt = np.linalg.svd(B)
            Vb = Vbt.T
        keep = s > 0
        f, _q, _h = _ridge_weights(np.where(keep, s, 1.0), lam)
        f = np.where(keep, f, 0.0)
        out[i][order] = (c[order][:, None] * Q) @ (Ub * f) @ Vb.T
    return out


def _sumsq(A: np.ndarray) -> np.ndarray:
    """Σ of squares over the last two axes, scaled first so that entries near 1e±200 neither overflow nor
    underflow."""
    if A.size == 0:
        return np.zeros(A.shape[:-2])
    sc = np.max(np.abs(A), axis=(-2, -1))
    sc = np.where((sc > 0) & np.isfinite(sc), sc, 1.0)
    with np.errstate(over="ignore"):  # inf only if the sum itself exceeds float64 (then refused by the caller)
        return np.sum((A / sc[..., None, None]) ** 2, axis=(-2, -1)) * sc * sc


def ridge_error_parts(F1, F2, lam_n, w, gam, dlt, s1, s2):
    """Exact conditional expectations (bias, variance, zeta) given the design, for a batch of trials.

    variance = σ₁²·v₁ + σ₂²·v₂ with the unit-noise factors of :func:`unit_error_parts` (formed as (σ·√v)²).
    """
    bias, v1, v2, zeta = unit_error_parts(F1, F2, lam_n, w, w * gam, w * dlt)
    return bias, times_square(s1, v1) + times_square(s2, v2), zeta


def unit_error_parts(F1, F2, lam_n, w, teacher, shift):
    """Exact conditional (bias, v₁, v₂, zeta) given the design, batched; variance = σ₁²v₁ + σ₂²v₂.

    ``teacher`` = ω_iΓ_i and ``shift`` = ω_iΔ_i are the prior *energies* per direction (they sum to r² and
    c²); passing them instead of Γ, Δ keeps Γ = t/ω representable when ω is tiny (random projections).

    ``F1`` (b, k₁, d), ``F2`` (b, k₂, d): unscaled factors with G_k = diag(√ω)F_kᵀF_k diag(√ω) (the Gram
    matrix of the real and synthetic rows; :func:`wishart_factor`, or the raw N(0, I) rows).
    Eigenvalues ω = 0 (e.g. underflowed ones) are dropped: they carry no Σ-weight and no signal.

    Two stable forms, both exact at every λ ≥ 0 and continuous in λ (the λ → 0 limit is the minimum-norm
    least-squares fit):

    - n ≥ d₊ (d₊ = #{ω > 0}, full column rank): whitened coordinates β = diag(√ω)w, where ridge is the
      generalised ridge K = (ZᵀZ + nλ·diag(1/ω))⁻¹ on the standard-normal design Z; K is inverted after
      symmetric diagonal scaling (:func:`_sym_inverse`), so graded spectra and λ = 0 cost no accuracy.
      Parts: bias = ‖K·diag(nλ/ω)·diag(√(ωΓ))‖² (= ‖(I − KZᵀZ)…‖², exactly 0 at λ = 0),
      var_k = ‖KZ_kᵀ‖², ζ = ‖KZ₂ᵀZ₂·diag(√(ωΔ))‖².
    - n < d₊ (rank n): the dual DH = diag(√ω)·Xᵀ(XXᵀ + nλI)⁻¹ in units of ω_max by :func:`graded_dual_hat`
      (row-sorted pivoted QR + Jacobi SVD, accurate for spectra graded over 300 orders of magnitude); the
      numerically-null directions of G never enter (they made (G + nλI)⁻¹ return huge negative variances
      at tiny λ). Parts: bias = ‖(DH·F − I)·diag(√(ωΓ))‖², var_k = ‖DH_k‖², ζ = ‖DH₂·F₂·diag(√(ωΔ))‖².
    Certified against 400-digit mpmath (tests/test_hardening_numerics.py): ≤ 1e-13 relative for
    ω_i = i^-β, β ≤ 200, λ ∈ {0, 1e-30, 1e-3, 1e3}.
    Each part is a sum of squares (≥ 0 by construction); variance terms with no rows are exactly 0.
    """
    pos = w > 0
    b, k1, k2 = F1.shape[0], F1.shape[1], F2.shape[1]
    zero = np.zeros(b)
    dp = int(pos.sum())
    if dp == 0:
        return zero, zero, zero, zero
    wp, tp, ep = w[pos], np.asarray(teacher, dtype=float)[pos], np.asarray(shift, dtype=float)[pos]
    F1, F2 = F1[..., pos], F2[..., pos]
    wmax = float(wp.max())
    # Rank of the pooled design: min(k₁ + k₂, d₊) a.s. (k_k = min(n_k, d) rows per block), full iff n ≥ d₊.
    if k1 + k2 >= dp:
        tg, te = np.sqrt(tp), np.sqrt(ep)  # column weights in whitened units: √(ωΓ), √(ωΔ)
        Z = np.concatenate([F1, F2], axis=1)
        G = np.swapaxes(Z, -1, -2) @ Z
        with np.errstate(divide="ignore", over="ignore"):
            pen = lam_n / wp  # nλ/ω_i, inf where it overflows: that coordinate is not fit at all
        fin = np.isfinite(pen)
        fit = np.flatnonzero(fin)
        K = np.zeros_like(G)
        if fit.size:
            ix = (slice(None), fit[:, None], fit[None, :])
            K[ix] = _sym_inverse(G[ix] + np.diag(pen[fit]))
        # I − KG = K·diag(nλ/ω) exactly (K(G + P) = I): no cancellation when λ is tiny, exactly 0 at λ = 0.
        # Columns with an infinite penalty are not fit: there I − KG (K has no row or column for them).
        A = K * np.where(fin, pen, 0.0)
        if not fin.all():
            A[..., ~fin] = np.eye(dp)[:, ~fin] - K @ G[..., ~fin]
        bias = _sumsq(A * tg)
        T = K @ np.swapaxes(Z, -1, -2)  # K·Zᵀ = [K·F₁ᵀ, K·F₂ᵀ]
        T1, T2 = T[..., :k1], T[..., k1:]
        zeta = _sumsq((T2 @ F2) * te) if k2 else zero
    else:  # n < d₊: rank n, every block has n_k < d explicit rows
        c = np.sqrt(wp / wmax)
        with np.errstate(over="ignore"):
            lam_c = lam_n / wmax
        F = np.concatenate([F1, F2], axis=1)
        DH = graded_dual_hat(F * c, c, lam_c)  # diag(√ω)·R·Xᵀ in units of ω_max, (b, d₊, n)
        # In these units diag(√ω)·(RG − I)·diag(1/√ω) = DH·F − I and diag(√ω)·RG₂·diag(1/√ω) = DH₂·F₂: no
        # division by the tiny scales c_i.
        bias = _sumsq((DH @ F - np.eye(dp)) * np.sqrt(tp))
        T1, T2 = DH[..., :k1], DH[..., k1:]
        zeta = _sumsq((T2 @ F2) * np.sqrt(ep)) if k2 else zero
    var1 = _sumsq(T1) if k1 else zero
    var2 = _sumsq(T2) if k2 else zero
    return bias, var1, var2, zeta


def whitened_ridge_fit(X: np.ndarray, Y: np.ndarray, lam_n: float, w: np.ndarray) -> np.ndarray:
    """β̂ = diag(√ω)·ŵ for the ridge fits ŵ = (XᵀX + nλI)⁻¹XᵀY (λ = 0: minimum-norm), batched.

    ``X`` (b, n, d) with columns of scale √ω, ``Y`` (b, n, k); returns (b, d₊, k) on the coordinates with
    ω > 0 (in these units ‖ŵ − w‖²_Σ = ‖β̂ − diag(√ω)w‖²). The two stable forms of
    :func:`ridge_error_parts`: n ≥ d₊ the generalised ridge on Z = X·diag(1/√ω) (diagonally scaled inverse),
    n < d₊ the thin SVD of X/√ω_max truncated at rank n.
    """
    pos = w > 0
    wp = w[pos]
    Xp = X[..., pos]
    n, dp = Xp.shape[-2], Xp.shape[-1]
    if dp == 0:
        return np.zeros(X.shape[:-2] + (0, Y.shape[-1]))
    if n >= dp:
        Z = Xp / np.sqrt(wp)
        G = np.swapaxes(Z, -1, -2) @ Z
        with np.errstate(divide="ignore", over="ignore"):
            pen = lam_n / wp
        fit = np.flatnonzero(np.isfinite(pen))
        out = np.zeros(X.shape[:-2] + (dp, Y.shape[-1]))
        if fit.size:
            ix = (slice(None), fit[:, None], fit[None, :])
            K = _sym_inverse(G[ix] + np.diag(pen[fit]))
            out[:, fit, :] = K @ (np.swapaxes(Z[..., fit], -1, -2) @ Y)
        return out
    wmax = float(wp.max())
    c = np.sqrt(wp / wmax)
    with np.errstate(over="ignore"):
        lam_c = lam_n / wmax
    return graded_dual_hat(Xp / np.sqrt(wmax), c, lam_c) @ Y  # β̂ = diag(√ω)·ŵ = DH·y


def _sq(e: np.ndarray) -> np.ndarray:
    """Σ e² over the last axis, scaled first (no overflow for entries up to ~1e300)."""
    return _sumsq(e[..., None])


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
    # One factorisation, four right-hand sides (teacher part, shift part, noise, all labels).
    Y = np.stack([y_teacher, y_shift, noise, y_teacher + y_shift + noise], axis=-1)
    B = whitened_ridge_fit(X, Y, lam_n, w)
    pos = w > 0
    beta1 = w1[:, pos] * np.sqrt(w[pos])
    return _sq(B[..., 0] - beta1), _sq(B[..., 2]), _sq(B[..., 1]), _sq(B[..., 3] - beta1)


@validate(n=POSITIVE_INT, p2=PROBABILITY, lam=NONNEGATIVE, sigma=NONNEGATIVE, sigma2=NONNEGATIVE,
          penalty=PENALTY, n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
@blas_capped
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
    eigenvalues2=None,
    n_trials: int = 100,
    seed=0,
    method: str = "conditional",
    progress: Progress = None,
) -> RidgeMixtureEstimate:
    """Simulate the ridge-mixture test error; same keywords as :func:`model_collapse.theory.ridge_mixture.predict`.

    Scalar settings only (n a positive integer, p₂ ∈ [0, 1], λ ≥ 0); n₂ = round(p₂·n) synthetic rows.
    ``multiplicities`` must be integers (eigenvalue ω_i is repeated m_i times). Returns mean ± SE over
    ``n_trials`` of bias, variance, zeta and total (see the module docstring for ``method``).

    ``eigenvalues2`` (covariate shift, docs/covariate_shift.md): the synthetic rows' covariance Σ₂ =
    diag(eigenvalues2) in Σ₁'s eigenbasis (same length and multiplicities, zero exactly where Σ₁ is); None
    means Σ₂ = Σ₁ and draws exactly the same random numbers as before the keyword existed. The priors stay
    normalised by Σ₁ and the test error is measured on Σ₁.
    """
    require_scalars("simulate", n=n, p2=p2, lam=lam, sigma=sigma, sigma2=sigma2)
    w, m = spectrum_arrays(eigenvalues, multiplicities, "simulate")
    w2 = None if eigenvalues2 is None else second_spectrum(eigenvalues2, w, "simulate")
    # Priors are given per distinct eigenvalue (as in the theory): resolve them there, then expand all three.
    gam, dlt = resolve_priors(w, m, r2, c2, gamma, delta, "simulate")
    if multiplicities is not None:
        gam, dlt = _expand(gam, m), _expand(dlt, m)
    if w2 is not None:
        w2 = _expand(w2, None if multiplicities is None else m)
    w = _expand(w, None if multiplicities is None else m)
    n = int(n)
    d = w.size
    n2 = int(round(p2 * n))
    n1 = n - n2
    lam_n = float(effective_lambda(lam, n, penalty)) * n
    s1 = float(sigma)
    s2 = s1 if sigma2 is None else float(sigma2)
    sqrt_w = np.sqrt(w)
    # Covariate shift: synthetic rows are X₂ = Z₂·diag(√ω₂) = (Z₂·diag(√(ω₂/ω₁)))·diag(√ω₁), i.e. in Σ₁'s
    # whitened units their factor is the standard one with columns scaled by √(ω₂/ω₁) (1 on Σ₁ = Σ₂).
    shift_scale = None
    if w2 is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            shift_scale = np.where(w > 0, np.sqrt(w2 / np.where(w > 0, w, 1.0)), 0.0)
    sqrt_w2 = sqrt_w if w2 is None else np.sqrt(w2)
    rngs = trial_generators(seed, n_trials)
    out = np.empty((4, n_trials))
    per_trial = (n * d if method == "sample" else min(n, d) * d) + 8 * d * d

    def run(chunk: range) -> np.ndarray:
        gens = rngs[chunk.start : chunk.stop]  # each trial's one generator, kept for the whole chunk
        if method == "conditional":
            F1 = np.stack([wishart_factor(g, n1, d) for g in gens])
            F2 = np.stack([wishart_factor(g, n2, d) for g in gens])
            if shift_scale is not None:
                F2 = F2 * shift_scale
            bias, v1, v2, zeta = unit_error_parts(F1, F2, lam_n, w, w * gam, w * dlt)
            var = times_square(s1, v1) + times_square(s2, v2)
            with np.errstate(over="ignore"):
                total = bias + var + zeta
        else:
            X = np.stack([g.standard_normal((n, d)) for g in gens]) * sqrt_w
            if w2 is not None:
                X[:, n1:] *= sqrt_w2 / np.where(sqrt_w > 0, sqrt_w, 1.0)
            bias, var, zeta, total = _sample_parts(X, n1, lam_n, w, gam, dlt, s1, s2, gens)
        return np.stack([bias, var, zeta, total])

    done = 0
    chunks = trial_chunks(n_trials, per_trial)
    for chunk, res in zip(chunks, parallel_map(run, chunks), strict=True):  # threads, one BLAS thread each
        out[:, chunk.start : chunk.stop] = res
        done += len(chunk)
        if progress is not None:
            progress(done, n_trials)
    if include_noise:
        with np.errstate(over="ignore"):
            out[3] = out[3] + times_square(s1, 1.0)
    if not np.all(np.isfinite(out)):  # finite in exact arithmetic, beyond float64: name the scale, its range
        setting = dict(n=n, p2=p2, lam=lam, eigenvalues=eigenvalues, eigenvalues2=eigenvalues2, gamma=gamma,
                       delta=delta, r2=r2, c2=c2,
                       multiplicities=multiplicities, penalty=penalty, include_noise=include_noise, n_trials=n_trials,
                       seed=seed, method=method)
        refuse_unrepresentable("simulate", lambda name: unit_total(simulate, setting, name, sigma2 is not None),
                               noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta),
                               fallback="sigma" if gamma is None else "gamma")
    b, v, z, t = (estimate(row) for row in out)
    return RidgeMixtureEstimate(bias=b, variance=v, zeta=z, total=t, n_trials=n_trials, n2=n2, n=n)
