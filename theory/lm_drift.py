"""The drift of the retrained language model from its first fit: exact laws and bounds (SED, issue 20).

Model and workflows: :mod:`theory.lm_chain` (docs/theory.md §6, docs/lm.md). The drift of generation m is
D⁽ᵐ⁾ = p⁽ᵐ⁾ − p⁽¹⁾ (p⁽¹⁾ = the fit on the N real tokens); the paper (Seddik et al., arXiv:2404.05090,
Figs. 3–5, Theorems 3–4) plots E‖D⁽ᵐ⁾‖₁, for which it gives only an m-independent upper bound.

Exact laws (no sampling; checked against :mod:`montecarlo.lm_drift` with no allowance):

- **ℓ₂² drift** ``deviation_sq`` = E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂² = **S_m − S₁** for fully synthetic, partially synthetic,
  accumulate and accumulate-subsample. Proof: in each of them every synthetic token is drawn from a model
  whose conditional mean is the previous model, so E[p⁽ᵐ⁾ | p⁽¹⁾] = p⁽¹⁾ and the cross term is
  E⟨p⁽ᵐ⁾, p⁽¹⁾⟩ = E‖p⁽¹⁾‖² = S₁. Given an observed first model (an n-gram model of a text), the same holds
  conditionally: E[‖D⁽ᵐ⁾‖² | p⁽¹⁾] = E[σ_m | p⁽¹⁾] − ‖p⁽¹⁾‖² (:func:`theory.lm_chain.sq_norm_given_first`).
- **Per token**: E[(p_i⁽ᵐ⁾)²] = a_m·p_i + b_m·p_i², where S_m = a_m + b_m·S₀ (every recursion for S_m is a sum
  over tokens of the same linear recursion for E(p_i⁽ᵐ⁾)², whose source term E[q̂_i² | q] = q_i/n + (1 − 1/n)q_i²
  has q_i where S_m's has Σ_i q_i = 1). Hence E(D_i⁽ᵐ⁾)² = A_m·p_i + B_m·p_i² with S_m − S₁ = A_m + B_m·S₀.
- **ℓ₁ drift, exact** ``deviation`` (fully and partially synthetic): each token's count is a Markov chain of
  its own (a multinomial's coordinate is binomial): c⁽¹⁾ ~ Bin(N, p_i); fully synthetic
  c⁽ᵐ⁾ ~ Bin(n, c⁽ᵐ⁻¹⁾/n⁽ᵐ⁻¹⁾); partially synthetic p_i⁽ᵐ⁾ = (c⁽¹⁾ + X_m)/(N + n), X_m ~ Bin(n, p_i⁽ᵐ⁻¹⁾).
  Given c⁽¹⁾ = c the law of the chain does not depend on i, so
  **E‖D⁽ᵐ⁾‖₁ = Σ_c w(c)·h_m(c)**, w(c) = Σ_i P(Bin(N, p_i) = c) (the expected number of tokens seen c times
  in the real sample), h_m(c) = E[|p_i⁽ᵐ⁾ − c/N| | c⁽¹⁾ = c], computed by propagating the (n + 1)-state law of
  the chain (binomial transition matrices; O((N + 1)(n + 1)²·m) operations, offered up to
  ``MAX_CHAIN_WORK``). Exact up to floating point (partially synthetic: counts c with w(c) < 1e-16 are
  skipped, an absolute error below 2e-16 each).
- **ℓ₁ drift, upper bound** ``deviation_upper`` = min(2, Σ_i √(E(D_i⁽ᵐ⁾)²)) ≥ E‖D⁽ᵐ⁾‖₁ (Jensen per token,
  and ‖D‖₁ ≤ 2; every workflow above, any size). It is tight to √(2/π) ≈ 0.80 where the counts are Gaussian
  and looser where rare tokens dominate (a token lost or gained is a jump, E|D_i| ≪ √(E D_i²)).
  By Cauchy–Schwarz it is itself ≤ √(s̃·E‖D⁽ᵐ⁾‖₂²).
- **Held-out cross-entropy, lower bound** (:func:`ngram_drift`): with add-δ smoothing the model's probability
  of a held-out token is Y = (c + δ)/(C + δs), linear in the count c, and E[c | p⁽¹⁾] = C·p⁽¹⁾ for these three
  workflows (C the deterministic total), so E[−log Y] ≥ −log E[Y] (Jensen): the held-out loss of the
  smoothed model with counts C·p⁽¹⁾ is an exact lower bound at every generation.

Source: Seddik et al. (SED), §3 (Theorems 1–3) and Figs. 3–5; these laws are derived here (docs/lm.md,
"Drift from the first model"; docs/theory.md §6.5). Simulator twin: :mod:`montecarlo.lm_drift` (same
keywords and field names).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.theory.lm_chain import COUNT, GENERATION, sq_norm, sq_norm_given_first
from model_collapse.validation import Interval, InvalidParameterError, Options, validate
from scipy.special import gammaln

__all__ = ["DRIFT_WORKFLOWS", "EXACT_L1_WORKFLOWS", "MAX_CHAIN_WORK", "LMDrift", "NgramDrift", "drift_coefficients",
           "drift_coefficients_given_first", "drift", "ngram_drift"]

DRIFT_WORKFLOWS = ("fully-synthetic", "partially-synthetic", "accumulate", "accumulate-subsample")
EXACT_L1_WORKFLOWS = ("fully-synthetic", "partially-synthetic")
MAX_CHAIN_WORK = 1e10  # (N + 1)(n + 1)²·m multiply-adds: the exact ℓ₁ chain is offered up to this much work
_NEGLIGIBLE = 1e-16  # partially synthetic exact chain: real counts c with w(c) below this are skipped
DRIFT_WORKFLOW = Options(DRIFT_WORKFLOWS)
GIVEN_FIRST_WORKFLOW = Options(("fully-synthetic", "partially-synthetic", "accumulate"))


def _gens(t) -> np.ndarray:
    m = np.asarray(t, dtype=np.int64)
    return m


def _out(x, like):
    x = np.asarray(x, dtype=float)
    return float(x) if np.ndim(like) == 0 else x


@validate(workflow=DRIFT_WORKFLOW, real=COUNT, synthetic=COUNT, t=GENERATION)
def drift_coefficients(workflow: str, real: int, synthetic: int, t) -> tuple[np.ndarray, np.ndarray]:
    """(A_m, B_m) with E(p_i⁽ᵐ⁾ − p_i⁽¹⁾)² = A_m·p_i + B_m·p_i² for every token i, so that
    E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂² = A_m + B_m·S₀ = S_m − S₁ (exact; module docstring). Shapes of ``t``.

    Read off :func:`theory.lm_chain.sq_norm` (affine in S₀) at S₀ = 1 and 1/2, minus S₁ = 1/N + (1 − 1/N)S₀.
    """
    m = _gens(t)
    s_one = np.asarray(sq_norm(workflow, real, synthetic, m, 1.0), dtype=float)
    s_half = np.asarray(sq_norm(workflow, real, synthetic, m, 0.5), dtype=float)
    b = 2.0 * (s_one - s_half)
    a = s_one - b
    return a - 1.0 / real, b - (1.0 - 1.0 / real)


@validate(workflow=GIVEN_FIRST_WORKFLOW, real=COUNT, synthetic=COUNT, t=GENERATION)
def drift_coefficients_given_first(workflow: str, real: int, synthetic: int, t) -> tuple[np.ndarray, np.ndarray]:
    """(A'_m, B'_m) with E[(p_i⁽ᵐ⁾ − x_i)² | p⁽¹⁾ = x] = A'_m·x_i + B'_m·x_i² for an observed first model x
    fitted on N = ``real`` tokens (exact): E[σ_m | p⁽¹⁾] = a'_m + b'_m‖x‖² (:func:`sq_norm_given_first`), the
    same per token with 1 → x_i, and the cross term is E[p_i⁽ᵐ⁾ | x]·x_i = x_i²: A' = a', B' = b' − 1."""
    m = _gens(t)
    if real == 1:  # a single real token: p⁽¹⁾ is a Dirac mass and never moves
        z = np.zeros(m.shape)
        return z, z.copy()
    s_one = np.asarray(sq_norm_given_first(workflow, real, synthetic, m, 1.0), dtype=float)
    s_half = np.asarray(sq_norm_given_first(workflow, real, synthetic, m, 0.5), dtype=float)
    b = 2.0 * (s_one - s_half)
    return s_one - b, b - 1.0


@dataclass(frozen=True)
class LMDrift:
    """Drift of generation m from the first model, at the generations ``t``.

    ``deviation_sq``: E‖p⁽ᵐ⁾ − p⁽¹⁾‖₂² (exact); ``deviation``: E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ (exact; None where not offered:
    accumulate workflows, or more than ``MAX_CHAIN_WORK``); ``deviation_upper``: Σ_i √(E(D_i)²) ≥ ``deviation``.
    """

    deviation_sq: float | np.ndarray
    deviation: float | np.ndarray | None
    deviation_upper: float | np.ndarray


def _law(p, where: str) -> np.ndarray:
    w = np.asarray(p, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidParameterError.of("p", where, "must be a 1-D array of non-negative finite weights with a "
                                       "positive sum.")
    return w / w.sum()


def _binomial_rows(n: int, probs: np.ndarray) -> np.ndarray:
    """P(Bin(n, q) = k) for each q in ``probs`` (rows) and k = 0..n (columns); exact at q = 0 and q = 1."""
    probs = np.clip(np.asarray(probs, dtype=float), 0.0, 1.0)
    k = np.arange(n + 1, dtype=float)
    logc = gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)
    q = probs[:, None]
    inner = (q > 0) & (q < 1)
    qs = np.where(inner, q, 0.5)
    logp = logc[None, :] + k[None, :] * np.log(qs) + (n - k)[None, :] * np.log1p(-qs)
    out = np.where(inner, np.exp(logp), 0.0)
    out[:, 0] = np.where(probs == 0.0, 1.0, out[:, 0])
    out[:, n] = np.where(probs == 1.0, 1.0, out[:, n])
    return out


def _exact_l1(p: np.ndarray, workflow: str, real: int, synthetic: int, m: np.ndarray) -> np.ndarray:
    """Σ_c w(c)·h_m(c) (module docstring) at the generations ``m`` (flat int array)."""
    N, n = real, synthetic
    mmax = int(m.max())
    c = np.arange(N + 1)
    w = _binomial_rows(N, p).sum(axis=0)  # expected number of tokens with real count c
    first = c / N
    h = np.zeros((mmax, N + 1))  # h[g - 1, c]
    if mmax >= 2:
        states = np.arange(n + 1)
        P = _binomial_rows(n, first)  # law of the generation-2 draw X given c⁽¹⁾ = c: (N + 1, n + 1)
        if workflow == "fully-synthetic":
            T = _binomial_rows(n, states / n)
            value = states[None, :] / n  # p_i⁽ᵐ⁾ = X/n
            for g in range(2, mmax + 1):
                if g > 2:
                    P = P @ T
                h[g - 1] = np.sum(P * np.abs(value - first[:, None]), axis=1)
        else:
            value = (c[:, None] + states[None, :]) / (N + n)  # p_i⁽ᵐ⁾ = (c + X)/(N + n)
            dist = np.abs(value - first[:, None])
            for ci in range(N + 1):
                if w[ci] < _NEGLIGIBLE:  # contributes at most 2·w(c) < 2e-16 to E‖D‖₁
                    continue
                T = _binomial_rows(n, value[ci])
                row = P[ci]
                for g in range(2, mmax + 1):
                    if g > 2:
                        row = row @ T
                    h[g - 1, ci] = row @ dist[ci]
    return h[m - 1] @ w


@validate(real=COUNT, synthetic=COUNT, t=GENERATION, workflow=DRIFT_WORKFLOW)
def drift(p, real: int, synthetic: int, t, *, workflow: str = "partially-synthetic", exact: bool = True) -> LMDrift:
    """Drift E‖p⁽ᵐ⁾ − p⁽¹⁾‖ of generation(s) m = ``t`` (SED's m; t = 1 is the fit on the N real tokens) for
    the law ``p`` (weights over the vocabulary, normalised here):

    deviation_sq = A_m + B_m·‖p‖² = S_m − S₁ (exact, the four workflows of ``DRIFT_WORKFLOWS``);
    deviation = Σ_c w(c)·h_m(c) (exact, fully/partially synthetic, with ``exact`` and at most
    ``MAX_CHAIN_WORK`` operations; else None); deviation_upper = Σ_i √(A_m·p_i + B_m·p_i²) (a bound).
    The exact ℓ₁ drift depends on the whole law, not only on S₀. Simulator twin:
    :func:`montecarlo.lm_drift.drift`.
    """
    q = _law(p, "drift")
    m = _gens(t)
    A, B = drift_coefficients(workflow, real, synthetic, m)
    s0 = float(q @ q)
    dsq = A + B * s0
    per_token = np.maximum(A[..., None] * q + B[..., None] * q**2, 0.0)
    upper = np.minimum(np.sqrt(per_token).sum(axis=-1), 2.0)  # and ‖D‖₁ ≤ 2 always
    l1 = None
    if exact and workflow in EXACT_L1_WORKFLOWS:
        work = (real + 1.0) * (synthetic + 1.0) ** 2 * float(m.max(initial=1))
        if work <= MAX_CHAIN_WORK:
            l1 = _out(_exact_l1(q[q > 0], workflow, real, synthetic, m.reshape(-1)).reshape(m.shape), t)
    return LMDrift(deviation_sq=_out(dsq, t), deviation=l1, deviation_upper=_out(upper, t))


@dataclass(frozen=True)
class NgramDrift:
    """Exact laws and bounds of the n-gram experiment given the text, at generations 1..m (``t``):
    ``deviation_sq`` = E Σ_j w_j‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₂² (exact); ``deviation_upper`` ≥ E Σ_j w_j‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁
    (Jensen per token); ``heldout_loss_lower`` ≤ E[held-out cross-entropy] (Jensen; module docstring)."""

    t: np.ndarray
    deviation_sq: np.ndarray
    deviation_upper: np.ndarray
    heldout_loss_lower: np.ndarray


def _totals(workflow: str, N: np.ndarray, n: np.ndarray, g: int) -> np.ndarray:
    if g == 1:
        return N.astype(float)
    if workflow == "fully-synthetic":
        return n.astype(float)
    if workflow == "partially-synthetic":
        return (N + n).astype(float)
    return (N + (g - 1) * n).astype(float)


@validate(t=GENERATION, workflow=GIVEN_FIRST_WORKFLOW, synthetic_ratio=Interval(Real, 0, None, closed="neither"),
          smoothing=Interval(Real, 0, None, closed="neither"))
def ngram_drift(table, *, t: int = 10, workflow: str = "fully-synthetic", synthetic_ratio: float = 1.0,
                smoothing: float = 0.01) -> NgramDrift:
    """Given the text, the exact context-weighted ℓ₂² drift, the ℓ₁ drift's upper bound and the held-out loss's
    lower bound of :func:`montecarlo.language_model.ngram_experiment` (same keywords; ``table`` is its
    :class:`NgramTable`, or anything with ``counts`` (contexts × tokens), ``held_context`` and ``held_token``).
    n_j = max(1, round(``synthetic_ratio``·N_j)), w_j = N_j/Σ N. Simulator twin:
    :func:`montecarlo.lm_drift.ngram_drift`."""
    C1 = np.asarray(table.counts)
    if C1.ndim != 2 or C1.shape[0] == 0 or np.any(C1 < 0) or np.any(C1.sum(axis=1) <= 0):
        raise InvalidParameterError.of("table", "ngram_drift", "must have counts of shape (contexts, tokens), "
                                       "non-negative, every context seen at least once.")
    N = C1.sum(axis=1)
    n = np.maximum(1, np.round(synthetic_ratio * N)).astype(np.int64)
    w = N / N.sum()
    x = C1 / N[:, None]
    m = int(t)
    gens = np.arange(1, m + 1)
    dsq = np.zeros(m)
    upper = np.zeros(m)
    cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for j in range(N.size):
        key = (int(N[j]), int(n[j]))
        if key not in cache:
            cache[key] = drift_coefficients_given_first(workflow, key[0], key[1], gens)
        A, B = cache[key]
        xj = x[j][x[j] > 0]
        per = np.maximum(A[:, None] * xj[None, :] + B[:, None] * xj[None, :] ** 2, 0.0)
        dsq += w[j] * per.sum(axis=1)
        upper += w[j] * np.sqrt(per).sum(axis=1)
    hc, ht = np.asarray(table.held_context), np.asarray(table.held_token)
    s = C1.shape[1]
    loss = np.empty(m)
    for g in gens:
        total = _totals(workflow, N, n, int(g))
        mean = (total[hc] * x[hc, ht] + smoothing) / (total[hc] + smoothing * s)
        loss[g - 1] = -np.mean(np.log(mean))
    return NgramDrift(t=gens, deviation_sq=dsq, deviation_upper=upper, heldout_loss_lower=loss)
