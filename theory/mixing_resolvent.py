"""Weighted mixing (Strong Model Collapse §5): the deterministic equivalent of the weighted ridge resolvent.

Data model (docs/theory.md §2, as :mod:`model_collapse.theory.ridge_mixture`): rows x ~ N(0, Σ); n₁ = p₁n real
rows with labels xᵀw₁ + N(0, σ₁²) and n₂ = p₂n synthetic rows with labels xᵀg + N(0, σ₂²), g the generator;
priors w₁ ~ N(0, Γ), δ = w₂ − w₁ ~ N(0, Δ) diagonal in Σ's eigenbasis (default Γ = (r²/tr Σ)I,
Δ = (c²/tr Σ)I, so r² = tr ΓΣ and the quality c² = tr ΔΣ). Test error E‖ŵ − w₁‖²_Σ (excess risk).

**Weighted mixing** (weight a ∈ [0, 1]):

    ŵ = argmin (1 − a)·(1/n₁)Σ_real (xᵀw − y)² + a·(1/n₂)Σ_synth (xᵀw − y)² + λ‖w‖²

i.e. the (1/n)-scaled ridge loss with row weights α₁ = (1 − a)/p₁ (real) and α₂ = a/p₂ (synthetic). a = p₂
(``weight=None``) is ordinary pooling (then every field equals :func:`theory.ridge_mixture.predict`), a = 0 is
ridge on the n₁ real rows alone (penalty λ with the (1/n₁) loss), a = 1 the synthetic rows alone. A group
with no rows (p_k = 0) contributes nothing (its term of the loss is absent).

Deterministic equivalent (:func:`deterministic_equivalent`). Row k has covariance α_kΣ, so this is the
two-population resolvent with Σ_k → α_kΣ (commuting with Σ):

    (Σ̂_w + λ)⁻¹ ≍ (λ + s·Σ)⁻¹,  s = Σ_k p_kα_k/(1 + α_kτ),  τ = tr Σ(λ + sΣ)⁻¹/n.

With κ = λ/s and θ = df₁(κ)/n = sτ this reads: θ from κ, s the positive root of 1 = Σ_k p_kα_k/(s + α_kθ)
(a quadratic), and λ = κ·s(κ) (increasing in κ: solved by bisection). Effective relative weights
b_k = α_k/(s + α_kθ) (Σ_k p_kb_k = 1; pooling: b_k = 1), ρ = Σ_k p_kb_k² ≥ 1 and

    1 + U = 1/(1 − ρ·df₂(κ)/n)                         (pooling: U = u of theory.ridge)

The per-round test error built on this resolvent (bias, variance, ζ; single-step and iterative mixing, the
floor, the best weight, the fixed point): :mod:`theory.mixing`, which re-exports every public name of this
module. Penalty convention as theory.ridge_mixture: ``penalty="mean"`` (λ with the (1/n)-scaled loss) or
``"sum"`` (λ/n). Source: SMC §5, docs/theory.md §2.7, docs/mixing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from model_collapse.theory.ridge import _blocks, _n_minus_df2, kappa, spectral_sum, spectrum_arrays
from model_collapse.theory.ridge_priors import PENALTY, effective_lambda
from model_collapse.validation import NONNEGATIVE, POSITIVE, PROBABILITY, validate

__all__ = ["MixingEquivalent", "deterministic_equivalent", "row_weights"]


@dataclass(frozen=True)
class MixingEquivalent:
    """The weighted-resolvent deterministic equivalent at each point (flat arrays).

    (Σ̂_w + λ)⁻¹ ≍ (λ + sΣ)⁻¹ = s⁻¹(Σ + κ)⁻¹, τ = θ/s = tr Σ(λ + sΣ)⁻¹/n; b1, b2 the effective relative
    row weights α_k/(s + α_kθ); rho = p₁b₁² + p₂b₂²; u = U with 1 + U = 1/(1 − ρ df₂(κ)/n).
    A cross-check with a general two-population engine: populations k with covariance α_kΣ.
    """

    kappa: np.ndarray
    s: np.ndarray
    theta: np.ndarray
    b1: np.ndarray
    b2: np.ndarray
    rho: np.ndarray
    u: np.ndarray


def row_weights(p2, weight):
    """α₁ = (1 − a)/p₁, α₂ = a/p₂ (0 for a group with no rows): the weights on the (1/n)-scaled loss."""
    p2 = np.asarray(p2, dtype=float)
    a = p2 if weight is None else np.asarray(weight, dtype=float)
    p1 = 1.0 - p2
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(p1 > 0, (1.0 - a) / np.where(p1 > 0, p1, 1.0), 0.0)
        a2 = np.where(p2 > 0, a / np.where(p2 > 0, p2, 1.0), 0.0)
    return a1, a2


def _loss_weights(p2, a):
    """A₁ = 1 − a, A₂ = a: the weights of the two mean losses (0 for a group with no rows, p_k = 0).

    Internally everything is written with A_k = p_kα_k (bounded) rather than α_k = A_k/p_k, which is huge
    for a tiny p_k."""
    p2 = np.asarray(p2, dtype=float)
    A1 = np.where(1.0 - p2 > 0, 1.0 - a, 0.0)
    A2 = np.where(p2 > 0, a, 0.0)
    return A1, A2


def _s_of(theta, one_minus_theta, g1, g2, p1, p2, A1, A2):
    """Positive root s of 1 = Σ_k A_kp_k/(p_ks + A_kθ) (i.e. Σ_k p_kα_k/(s + α_kθ) = 1) given θ, 1 − θ and
    g_k = p_k − θ (cancellation-free).

    Both groups present: p₁p₂s² − H·s − A₁A₂θ(1 − θ) = 0 with H = p₁A₂g₂ + p₂A₁g₁ (bounded coefficients; the
    stable form of its positive root); one group k alone: s = A_kg_k/p_k (= α_k(p_k − θ))."""
    both = (A1 > 0) & (A2 > 0) & (p1 > 0) & (p2 > 0)
    only1 = (A1 > 0) & (p1 > 0) & ~both
    only2 = (A2 > 0) & (p2 > 0) & ~both
    H = p1 * A2 * g2 + p2 * A1 * g1
    C = A1 * A2 * theta * np.maximum(one_minus_theta, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        root = np.sqrt(H * H + 4.0 * (p1 * p2) * C)
        s_both = np.where(H >= 0, (H + root) / np.where(p1 * p2 > 0, 2.0 * p1 * p2, 1.0),
                          2.0 * C / np.where(root - H > 0, root - H, 1.0))
        s1 = A1 * g1 / np.where(p1 > 0, p1, 1.0)
        s2 = A2 * g2 / np.where(p2 > 0, p2, 1.0)
    s = np.where(both, s_both, np.where(only1, s1, np.where(only2, s2, 0.0)))
    return np.maximum(np.nan_to_num(s, nan=0.0), 0.0)


def _df1_parts(k, w, m):
    """One pass over the spectrum at each κ (1-D): (B, S₁, S₂, D) with B = Σ_{ω>κ} m, S₁ = Σ_{ω>κ} mκ/(ω+κ),
    S₂ = Σ_{ω≤κ} mω/(ω+κ) and D = Σ mω/(ω+κ)², so that n' − df₁(κ) = (n' − B) + S₁ − S₂ without cancellation
    for every n' (the residual of theory.ridge, shared by n, n₁ and n₂)."""

    out = np.empty((4, k.size))
    for sl in _blocks(k.size, w.size):
        kk = k[sl, None]
        big = w[None, :] > kk
        denom = w[None, :] + kk
        safe = np.where(denom > 0, denom, 1.0)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
            out[0, sl] = big @ m
            out[1, sl] = np.where(big, kk / safe, 0.0) @ m
            out[2, sl] = np.where(big, 0.0, w[None, :] / safe) @ m
            out[3, sl] = np.where(w[None, :] > 0, (w[None, :] / safe) / safe, 0.0) @ m
    return out


def _state_at(k, n, p1, p2, A1, A2, w, m, slope: bool = False):
    """θ, s at κ (1-D arrays), via cancellation-free n_k − df₁(κ); with ``slope`` also dθ/dκ."""
    B, S1, S2, D = _df1_parts(k, w, m)
    rest = S1 - S2
    omt = ((n - B) + rest) / n
    df1 = B - S1 + S2
    theta = np.where(omt < 0.5, 1.0 - omt, df1 / n)  # the accurate one of 1 − (1 − θ) and df₁/n
    g1 = ((p1 * n - B) + rest) / n
    g2 = ((p2 * n - B) + rest) / n
    s = _s_of(theta, omt, g1, g2, p1, p2, A1, A2)
    return (theta, s, -D / n) if slope else (theta, s)


def _ratio_terms(k, w):
    """x = ω/(ω+κ), y = κ/(ω+κ), with ω = 0 -> x = 0, y = 1 and κ = inf -> x = 0, y = 1."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        den = w + k
        x = np.where((w > 0) & np.isfinite(k), w / np.where(den > 0, den, 1.0), 0.0)
        y = np.where((w > 0) & np.isfinite(k), k / np.where(den > 0, den, 1.0), 1.0)
    return x, y


def _s_slope(theta, s, p1, p2, A1, A2):
    """ds/dθ at fixed weights: −Σ A_k²p_k/D_k² / Σ A_kp_k²/D_k², D_k = p_ks + A_kθ (present groups)."""
    num = np.zeros_like(s)
    den = np.zeros_like(s)
    for A, p in ((A1, p1), (A2, p2)):
        on = (A > 0) & (p > 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            D = np.where(on, p * s + A * theta, 1.0)
            num = num + np.where(on, A * A * p / (D * D), 0.0)
            den = den + np.where(on, A * p * p / (D * D), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -num / den


def _newton(lo, hi, todo, lam, n, p1, p2, A1, A2, w, m, max_iter: int = 400):
    """κ with κ·s(κ) = λ on the bracket [lo, hi] (residual ≤ 0 at lo, ≥ 0 at hi): safeguarded Newton from hi
    (d(κs)/dκ = s + κ·(ds/dθ)·(dθ/dκ), dθ/dκ = −Σ mω/(ω+κ)²/n); a step leaving the bracket bisects."""
    eps = np.finfo(float).eps
    x = hi.copy()
    active = np.ones(x.size, dtype=bool)
    out = x.copy()
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        gi = todo[idx]
        xa = x[idx]
        theta, s, dth = _state_at(xa, n[gi], p1[gi], p2[gi], A1[gi], A2[gi], w, m, slope=True)
        with np.errstate(over="ignore", invalid="ignore"):
            F = xa * s - lam[gi]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            Fp = s + xa * _s_slope(theta, s, p1[gi], p2[gi], A1[gi], A2[gi]) * dth
            newton = xa - F / Fp
        pos = F >= 0
        hi[idx] = np.where(pos, xa, hi[idx])
        lo[idx] = np.where(pos, lo[idx], xa)
        lo_a, hi_a = lo[idx], hi[idx]
        inside = np.isfinite(newton) & (newton >= lo_a) & (newton <= hi_a) & (it < 60)
        geo = (lo_a > 0) & (hi_a / np.maximum(lo_a, 1e-300) > 4)
        mid = np.where(geo, np.sqrt(lo_a) * np.sqrt(hi_a), lo_a + 0.5 * (hi_a - lo_a))
        xn = np.where(F == 0, xa, np.where(inside, newton, mid))
        done = (np.abs(xn - xa) <= 4 * eps * np.abs(xn)) | (hi_a - lo_a <= 4 * eps * hi_a) | (F == 0)
        x[idx] = xn
        out[idx] = xn
        active[idx[done]] = False
    return out


def _solve(lam, n, p2, A1, A2, w, m):
    """κ, s, θ for flat arrays (λ ≥ 0, n > 0, p₂ ∈ [0, 1], loss weights A_k ≥ 0)."""
    P = lam.size
    p1 = 1.0 - p2
    present1, present2 = (A1 > 0) & (p1 > 0), (A2 > 0) & (p2 > 0)
    p_eff = np.where(present1, p1, 0.0) + np.where(present2, p2, 0.0)
    d_eff = float(m[w > 0].sum())
    trace = float(w @ m)
    kap = np.zeros(P)
    dead = p_eff <= 0  # every row has weight 0: ŵ = 0 (κ = inf)
    kap[dead] = np.inf
    n_eff = p_eff * n
    # κ₀: where s(κ) reaches 0 (df₁(κ₀) = n_eff when the weighted rows do not fill the space), else 0
    k0 = np.zeros(P)
    over = ~dead & (d_eff > n_eff)
    if over.any():
        k0[over] = kappa(0.0, w, n_eff[over], m)
    ridgeless = ~dead & (lam == 0)
    kap[ridgeless] = k0[ridgeless]
    todo = np.flatnonzero(~dead & ~ridgeless)
    if todo.size:
        lo = np.maximum(k0[todo], lam[todo])
        hi = lo * 2.0 + trace / n[todo] + lam[todo]

        def resid(kk, idx):
            _, s = _state_at(kk, n[idx], p1[idx], p2[idx], A1[idx], A2[idx], w, m)
            with np.errstate(over="ignore"):
                return kk * s - lam[idx]

        for _ in range(2100):  # expand until κ·s(κ) ≥ λ (s → A₁ + A₂ > 0 as κ → ∞)
            bad = resid(hi, todo) < 0
            if not bad.any():
                break
            hi = np.where(bad, hi * 4.0, hi)
        kap[todo] = _newton(lo, hi, todo, lam, n, p1, p2, A1, A2, w, m)
    theta = np.zeros(P)
    s = np.zeros(P)
    live = ~dead
    if live.any():
        th_, s_ = _state_at(kap[live], n[live], p1[live], p2[live], A1[live], A2[live], w, m)
        theta[live], s[live] = th_, s_
        # ridgeless with the weighted rows not filling the space: s = 0 exactly (θ = p_eff)
        at0 = ridgeless[live] & over[live]
        s[np.flatnonzero(live)[at0]] = 0.0
    return kap, s, theta, dead, over, n_eff


def _equivalent(n, p2, lam, A1, A2, w, m) -> tuple[MixingEquivalent, np.ndarray]:
    kap, s, theta, dead, over, n_eff = _solve(lam, n, p2, A1, A2, w, m)
    p1 = 1.0 - p2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # b_k = α_k/(s + α_kθ)
        b1 = np.where((A1 > 0) & (p1 > 0), A1 / (p1 * s + A1 * theta), 0.0)
        b2 = np.where((A2 > 0) & (p2 > 0), A2 / (p2 * s + A2 * theta), 0.0)
    b1 = np.where(dead, 0.0, np.nan_to_num(b1, nan=0.0))
    b2 = np.where(dead, 0.0, np.nan_to_num(b2, nan=0.0))
    rho = p1 * b1**2 + p2 * b2**2
    rho_m1 = p1 * (b1 - 1.0) ** 2 + p2 * (b2 - 1.0) ** 2  # ρ − 1 (Σ p_kb_k = 1), no cancellation near pooling
    fin = np.isfinite(kap)
    uu = np.zeros_like(kap)
    if fin.any():
        kk = kap[fin]
        df2 = spectral_sum(kk, w, m, lambda k, ww: np.where(ww > 0, (ww / (ww + k)) ** 2, 0.0)) if kk.size else kk
        num = rho[fin] * df2 / n[fin]  # ρ·df₂/n, and 1 − ρdf₂/n = (1 − df₂/n) − (ρ − 1)df₂/n below
        one_minus = _n_minus_df2(kk, w, m, n[fin]) / n[fin] - rho_m1[fin] * df2 / n[fin]
        # ridgeless, rows not filling the space (s = 0): ρ = 1/p_eff exactly, 1 − ρdf₂/n = (n_eff − df₂)/n_eff
        zero_s = (s[fin] == 0) & over[fin]
        if zero_s.any():
            ne = n_eff[fin][zero_s]
            one_minus, num = one_minus.copy(), num.copy()
            one_minus[zero_s] = _n_minus_df2(kk[zero_s], w, m, ne) / ne
            num[zero_s] = df2[zero_s] / ne
        with np.errstate(divide="ignore", invalid="ignore"):
            uu[fin] = np.where(one_minus > 0, num / np.where(one_minus > 0, one_minus, 1.0), np.inf)
    uu = np.maximum(uu, 0.0)
    return MixingEquivalent(kappa=kap, s=s, theta=theta, b1=b1, b2=b2, rho=rho, u=uu), n_eff


@validate(n=POSITIVE, p2=PROBABILITY, lam=NONNEGATIVE, weight=PROBABILITY, penalty=PENALTY)
def deterministic_equivalent(n, p2, lam, eigenvalues, *, weight=None, multiplicities=None,
                             penalty: str = "mean") -> MixingEquivalent:
    """κ, s, θ, b₁, b₂, ρ, U of the weighted resolvent (module docstring) on the broadcast of the inputs.

    Every field has the broadcast shape of (n, p2, lam, weight)."""
    w, m = spectrum_arrays(eigenvalues, multiplicities, "deterministic_equivalent")
    lam_eff = effective_lambda(lam, n, penalty)
    a = np.asarray(p2, dtype=float) if weight is None else np.asarray(weight, dtype=float)
    nb, pb, lb, ab = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(p2, dtype=float), lam_eff, a)
    A1, A2 = _loss_weights(pb.ravel(), ab.ravel())
    eq, _ = _equivalent(nb.ravel(), pb.ravel(), lb.ravel().astype(float), A1, A2, w, m)
    shape = nb.shape
    return MixingEquivalent(*(np.asarray(getattr(eq, f)).reshape(shape) for f in
                              ("kappa", "s", "theta", "b1", "b2", "rho", "u")))
