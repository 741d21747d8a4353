"""Monte-Carlo twin of :mod:`model_collapse.theory.mixing`: weighted and iterative mixing, round by round.

The data model of docs/theory.md §2 in Σ's eigenbasis (Σ = diag(ω); the risk is rotation invariant). Per trial:

1. Teacher w₁ ~ N(0, Γ), shift δ ~ N(0, Δ); the generator of round 1 is g₁ = w₂ = w₁ + δ.
2. Round t = 1, 2, …: fresh n₁ = n − n₂ real rows and n₂ = round(p₂n) synthetic rows x ~ N(0, Σ); real labels
   xᵀw₁ + σ₁ε, synthetic labels xᵀg_t + σ₂ε; the weighted ridge fit
       ŵ_t = argmin (1 − a)(1/n₁)Σ_real(xᵀw − y)² + a(1/n₂)Σ_synth(xᵀw − y)² + λ‖w‖²
   = (Σ_k α_kX_kᵀX_k + nλI)⁻¹Σ_k α_kX_kᵀy_k, α₁ = (1 − a)n/n₁, α₂ = a·n/n₂ (weight=None: a = n₂/n, ordinary
   pooling; a group with weight 0 or no rows is left out; λ = 0: the minimum-norm weighted least squares).
   Then g_{t+1} = ŵ_t. Test error ‖ŵ_t − w₁‖²_Σ.
3. Parts per round (by linearity of ŵ_t in its labels): bias = the fit of the teacher's labels alone minus w₁
   (this round's shrinkage), variance = the fit of this round's noise, zeta = what the synthetic labels'
   deviation g_t − w₁ adds (total error with the noise left out, minus bias); total = ‖ŵ_t − w₁‖²_Σ.

``method="sample"`` is the literal experiment above (rows, labels and fits drawn every round); its zeta is a
difference of two errors, so a single trial's zeta can be negative (its mean estimates the theory's zeta).
``method="conditional"`` (default) draws only the Gram matrices of each round (Wishart factors) and integrates
w₁, δ and all label noise exactly given them: in whitened coordinates β = diag(√ω)w the round map is
e_t = −A_t β₁ + M_t e_{t−1} + ν_t (A_t = I − R_tΣ̂_t the shrinkage, M_t = R_tΣ̂_{2,t} the synthetic map, ν_t
this round's noise), so e_t = P_tβ₁ + Q_tδ̃ + noise with P_t = −A_t + M_tP_{t−1}, Q_t = M_tQ_{t−1} and noise
covariances N_{k,t} = M_tN_{k,t−1}M_tᵀ + α_kT_{k,t}T_{k,t}ᵀ, and every part is an exact conditional expectation
(lower variance). Both use the stable forms of :mod:`model_collapse.montecarlo.ridge_mixture` (whitened
generalised ridge with a diagonally scaled inverse when the weighted rows fill the space, the graded dual
QR + Jacobi SVD otherwise), with rows scaled by √α_k.

Randomness: one generator per trial (:func:`model_collapse.montecarlo.trials.trial_generators`); a trial
draws w₁, δ (sample method), then its rounds in order, from its own generator only: results do not depend on
batching. Cost per trial and round ~ 10d³ flops (conditional) or ~ 2nd² (sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.arrays import iterations, require_scalars
from model_collapse.montecarlo.ridge_mixture import _expand, _sumsq, _sym_inverse, graded_dual_hat, whitened_ridge_fit
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
from model_collapse.theory.ridge import spectrum_arrays
from model_collapse.theory.ridge_mixture import PENALTY, effective_lambda, resolve_priors
from model_collapse.validation import (
    NONNEGATIVE,
    POSITIVE_INT,
    PROBABILITY,
    SCALE,
    SEED,
    Options,
    validate,
)

__all__ = ["MixingEstimate", "simulate", "round_maps"]

METHOD = Options(("conditional", "sample"))


@dataclass(frozen=True)
class MixingEstimate:
    """Mean ± SE over trials of bias, variance, zeta and total per requested round.

    ``n2`` = round(p₂n) synthetic rows were simulated: compare with theory at ``p2_realised`` = n2/n.
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


def round_maps(F1, F2, a1: float, a2: float, lam_n: float, w):
    """Whitened maps of one weighted ridge round, batched: (A, M, T1, T2) on the coordinates ω > 0.

    ``F_k`` (b, k_k, d): factors with F_kᵀF_k the (unscaled) Gram of group k (Wishart factors or raw N(0, I)
    rows); row weights α_k (a group with α_k = 0 must be passed with k_k = 0 rows). Returns A = I − RΣ̂ (the
    shrinkage), M = RΣ̂₂ (the synthetic map) and T_k with this round's noise covariance Σ_k α_kσ_k²T_kT_kᵀ,
    all in the coordinates β = diag(√ω)w (where ‖·‖_Σ is the Euclidean norm).
    """
    pos = w > 0
    wp = w[pos]
    dp = int(pos.sum())
    F1 = F1[..., pos] * np.sqrt(a1)
    F2 = F2[..., pos] * np.sqrt(a2)
    b, k1, k2 = F1.shape[0], F1.shape[1], F2.shape[1]
    eye = np.eye(dp)
    if k1 + k2 == 0:  # every row has weight 0: ŵ = 0
        return np.broadcast_to(eye, (b, dp, dp)).copy(), np.zeros((b, dp, dp)), F1[..., :0].swapaxes(-1, -2), \
            np.zeros((b, dp, 0))
    if k1 + k2 >= dp:
        Z = np.concatenate([F1, F2], axis=1)
        G = np.swapaxes(Z, -1, -2) @ Z
        with np.errstate(divide="ignore", over="ignore"):
            pen = lam_n / wp
        fin = np.isfinite(pen)
        fit = np.flatnonzero(fin)
        K = np.zeros_like(G)
        if fit.size:
            ix = (slice(None), fit[:, None], fit[None, :])
            K[ix] = _sym_inverse(G[ix] + np.diag(pen[fit]))
        A = K * np.where(fin, pen, 0.0)  # I − KG = K·diag(nλ/ω): no cancellation at small λ
        if not fin.all():
            A[..., ~fin] = eye[:, ~fin] - K @ G[..., ~fin]
        T = K @ np.swapaxes(Z, -1, -2)
    else:
        wmax = float(wp.max())
        c = np.sqrt(wp / wmax)
        with np.errstate(over="ignore"):
            lam_c = lam_n / wmax
        Z = np.concatenate([F1, F2], axis=1)
        T = graded_dual_hat(Z * c, c, lam_c)  # the whitened hat: β̂ = T·ỹ
        A = eye - T @ Z
    T1, T2 = T[..., :k1], T[..., k1:]
    M = T2 @ F2 if k2 else np.zeros((b, dp, dp))
    return A, M, T1, T2


def _inner(X, Y):
    """Σ X·Y over the last two axes (batched Frobenius inner product)."""
    return np.einsum("bij,bij->b", X, Y)


def _conditional_rounds(gens, n1, n2, d, a1, a2, lam_n, w, t_en, d_en, rmax):
    """Exact conditional parts per round given the Gram draws: (6, b, rmax) = bias, v1, v2, z0, z1, z2."""
    pos = w > 0
    dp = int(pos.sum())
    b = len(gens)
    out = np.zeros((6, b, rmax))
    if dp == 0:
        return out
    st, sd = np.sqrt(t_en[pos]), np.sqrt(d_en[pos])
    use1, use2 = a1 > 0 and n1 > 0, a2 > 0 and n2 > 0
    P = np.zeros((b, dp, dp))
    Q = np.broadcast_to(np.eye(dp), (b, dp, dp)).copy()
    N1 = np.zeros((b, dp, dp))
    N2 = np.zeros((b, dp, dp))
    for r in range(rmax):
        F1 = np.stack([wishart_factor(g, n1 if use1 else 0, d) for g in gens])
        F2 = np.stack([wishart_factor(g, n2 if use2 else 0, d) for g in gens])
        A, M, T1, T2 = round_maps(F1, F2, a1 if use1 else 0.0, a2 if use2 else 0.0, lam_n, w)
        As = A * st
        out[0, :, r] = _sumsq(As)
        out[1, :, r] = a1 * _sumsq(T1) if T1.shape[-1] else 0.0
        out[2, :, r] = a2 * _sumsq(T2) if T2.shape[-1] else 0.0
        MP = (M @ P) * st
        MQ = M @ Q
        out[3, :, r] = _sumsq(MP) - 2.0 * _inner(As, MP) + _sumsq(MQ * sd)
        out[4, :, r] = np.maximum(_inner(M @ N1, M), 0.0)
        out[5, :, r] = np.maximum(_inner(M @ N2, M), 0.0)
        P = -A + M @ P
        Q = MQ
        N1 = M @ N1 @ np.swapaxes(M, -1, -2) + (a1 * T1 @ np.swapaxes(T1, -1, -2) if T1.shape[-1] else 0.0)
        N2 = M @ N2 @ np.swapaxes(M, -1, -2) + (a2 * T2 @ np.swapaxes(T2, -1, -2) if T2.shape[-1] else 0.0)
    return out


def _sample_rounds(gens, n1, n2, d, a1, a2, lam_n, w, gam, dlt, s1, s2, rmax):
    """The literal experiment: (4, b, rmax) = bias, variance, zeta, total per round."""
    pos = w > 0
    sw = np.sqrt(w)
    b = len(gens)
    out = np.zeros((4, b, rmax))
    w1 = np.stack([g.standard_normal(d) for g in gens]) * np.sqrt(gam)
    dl = np.stack([g.standard_normal(d) for g in gens]) * np.sqrt(dlt)
    beta1 = (w1 * sw)[:, pos]
    dvec = dl  # g_t − w₁ in the original coordinates
    use1, use2 = a1 > 0 and n1 > 0, a2 > 0 and n2 > 0
    k1, k2 = (n1 if use1 else 0), (n2 if use2 else 0)
    for r in range(rmax):
        Z1 = np.stack([g.standard_normal((k1, d)) for g in gens])
        Z2 = np.stack([g.standard_normal((k2, d)) for g in gens])
        e1 = np.stack([g.standard_normal(k1) for g in gens])
        e2 = np.stack([g.standard_normal(k2) for g in gens])
        X = np.concatenate([Z1 * np.sqrt(a1), Z2 * np.sqrt(a2)], axis=1) * sw  # rows scaled by √α_k
        X1, X2 = Z1 * sw, Z2 * sw
        y_t = np.concatenate([np.sqrt(a1) * np.einsum("bnd,bd->bn", X1, w1),
                              np.sqrt(a2) * np.einsum("bnd,bd->bn", X2, w1)], axis=1)
        y_i = np.concatenate([np.zeros((b, k1)), np.sqrt(a2) * np.einsum("bnd,bd->bn", X2, dvec)], axis=1)
        y_n = np.concatenate([np.sqrt(a1) * s1 * e1, np.sqrt(a2) * s2 * e2], axis=1)
        Y = np.stack([y_t, y_t + y_i, y_n, y_t + y_i + y_n], axis=-1)
        if k1 + k2 == 0:  # every row has weight 0: ŵ = 0
            B = np.zeros((b, int(pos.sum()), 4))
        else:
            B = whitened_ridge_fit(X, Y, lam_n, w)  # (b, d₊, 4): β̂ = diag(√ω)ŵ
        bias = _sumsq((B[..., 0] - beta1)[..., None])
        clean = _sumsq((B[..., 1] - beta1)[..., None])
        out[0, :, r] = bias
        out[1, :, r] = _sumsq(B[..., 2][..., None])
        out[2, :, r] = clean - bias
        out[3, :, r] = _sumsq((B[..., 3] - beta1)[..., None])
        w_hat = np.zeros((b, d))
        w_hat[:, pos] = B[..., 3] / sw[pos]
        dvec = w_hat - w1
    return out


@validate(n=POSITIVE_INT, p2=PROBABILITY, lam=NONNEGATIVE, weight=PROBABILITY, rounds=POSITIVE_INT, c2=SCALE,
          r2=SCALE, sigma=SCALE, sigma2=SCALE, penalty=PENALTY, n_trials=POSITIVE_INT, seed=SEED, method=METHOD)
@blas_capped
def simulate(
    n: int,
    p2: float,
    lam: float,
    eigenvalues,
    *,
    weight=None,
    rounds=1,
    c2: float = 1.0,
    r2: float = 1.0,
    sigma=1.0,
    sigma2=None,
    gamma=None,
    delta=None,
    multiplicities=None,
    penalty: str = "mean",
    n_trials: int = 100,
    seed=0,
    method: str = "conditional",
    progress: Progress = None,
) -> MixingEstimate:
    """Simulate weighted / iterative mixing; same keywords as :func:`model_collapse.theory.mixing.predict`.

    Scalar settings (n a positive integer, p₂, λ, weight scalars); ``rounds`` an int or an array of ints ≥ 1
    (the rounds reported; rounds 1..max(rounds) are simulated). n₂ = round(p₂n) synthetic rows; weight=None is
    pooling at the realised fraction n₂/n. Integer ``multiplicities`` only. Module docstring: the methods.
    """
    require_scalars("simulate", n=n, p2=p2, lam=lam, weight=weight, sigma=sigma, sigma2=sigma2)
    rr = iterations(rounds)
    rmax = int(rr.max())
    w, m = spectrum_arrays(eigenvalues, multiplicities, "simulate")
    gam, dlt = resolve_priors(w, m, r2, c2, gamma, delta, "simulate")
    if multiplicities is not None:
        gam, dlt = _expand(gam, m), _expand(dlt, m)
    w = _expand(w, None if multiplicities is None else m)
    n = int(n)
    d = w.size
    n2 = int(round(float(p2) * n))
    n1 = n - n2
    a = n2 / n if weight is None else float(weight)
    a1 = (1.0 - a) * n / n1 if n1 > 0 else 0.0
    a2 = a * n / n2 if n2 > 0 else 0.0
    lam_n = float(effective_lambda(lam, n, penalty)) * n
    s1 = float(sigma)
    s2 = s1 if sigma2 is None else float(sigma2)
    rngs = trial_generators(seed, n_trials)
    parts = np.empty((4, n_trials, rmax))
    per_trial = rmax * 12 * d * d + (2 * n * d if method == "sample" else 0)

    def run(chunk: range) -> np.ndarray:
        gens = rngs[chunk.start : chunk.stop]  # each trial's one generator, kept for the whole chunk
        if method == "conditional":
            bias, v1, v2, z0, z1, z2 = _conditional_rounds(gens, n1, n2, d, a1, a2, lam_n, w, w * gam, w * dlt,
                                                           rmax)
            with np.errstate(over="ignore", invalid="ignore"):
                var = times_square(s1, v1) + times_square(s2, v2)
                zeta = z0 + times_square(s1, z1) + times_square(s2, z2)
                total = bias + var + zeta
            return np.stack([bias, var, zeta, total])
        return _sample_rounds(gens, n1, n2, d, a1, a2, lam_n, w, gam, dlt, s1, s2, rmax)

    done = 0
    chunks = trial_chunks(n_trials, per_trial)
    for chunk, res in zip(chunks, parallel_map(run, chunks), strict=True):  # threads, one BLAS thread each
        parts[:, chunk.start : chunk.stop] = res
        done += len(chunk)
        if progress is not None:
            progress(done, n_trials)
    parts = parts[:, :, rr - 1]
    if not np.all(np.isfinite(parts)):
        setting = dict(n=n, p2=p2, lam=lam, eigenvalues=eigenvalues, weight=weight, rounds=rounds, gamma=gamma,
                       delta=delta, r2=r2, c2=c2, multiplicities=multiplicities, penalty=penalty, n_trials=n_trials,
                       seed=seed, method=method)
        refuse_unrepresentable("simulate", lambda name: unit_total(simulate, setting, name, sigma2 is not None),
                               noise_and_prior_scales(sigma, sigma2, r2, c2, gamma, delta),
                               fallback="sigma" if gamma is None else "gamma")
    scalar = np.ndim(rounds) == 0
    ests = []
    for row in parts:
        e = estimate(row, axis=0)
        if scalar:
            e = MCEstimate(mean=float(np.ravel(e.mean)[0]), sem=float(np.ravel(e.sem)[0]), n_trials=e.n_trials)
        ests.append(e)
    return MixingEstimate(*ests, n_trials=n_trials, n2=n2, n=n)
