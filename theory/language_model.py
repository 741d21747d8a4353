"""The statistical language model retrained on its own samples (Seddik et al.): closed forms and exact chains.

Model (docs/theory.md §6; Seddik, Chen, Hayou, Youssef, Debbah, "How Bad is Training on Synthetic Data? A
Statistical Analysis of Language Model Collapse", arXiv:2404.05090, §2–3 and App. B). Fix one context;
its true next-token law is p on a vocabulary of s tokens, S₀ = ‖p‖₂² = Σ p_i², s̃ = |supp p|. Every model
is the empirical frequency of its training tokens (the softmax MLE with one-hot contexts, paper eq. 2).

- Generation m = 1 is fitted on N real tokens: p⁽¹⁾ = Multinomial(N, p)/N (keyword ``real``).
- ``fully-synthetic``: generation m ≥ 2 is fitted on n tokens drawn from p⁽ᵐ⁻¹⁾ (keyword ``synthetic``).
  The paper's Theorem 1 is the case N = n; every formula here holds for N ≠ n.
- ``partially-synthetic``: generation m ≥ 2 is fitted on the same N real tokens plus n fresh tokens from
  p⁽ᵐ⁻¹⁾: p⁽ᵐ⁾ = (1 − α)p⁽¹⁾ + α·q̂, α = n/(N + n) (the paper's Theorem 2).
- ``accumulate`` ("Collapse or Thrive?" / Gerstgrasser et al.): generation m ≥ 2 is fitted on the N real
  tokens and every synthetic token so far, n from each of generations 1..m − 1 (N + (m − 1)n tokens).
- ``accumulate-subsample`` ("Collapse or Thrive?"): generation m ≥ 2 is fitted on n tokens drawn without
  replacement from that pool (:func:`pool_recursion`, exact, O(m²)).
- ``recent-window`` (the paper's §4.2 "most recent models", window K = ``window``): generation m ≥ 2 is
  fitted on n fresh tokens from each of the models max(0, m − K), …, m − 1, model 0 being the true law p
  (fresh real tokens); K = 1 is fully synthetic. The paper's n is K·n here (⌊n/K⌋ tokens per model).
- ``random-past`` (the paper's §4.2 "randomly sampled data"): generation m ≥ 2 is fitted on n fresh tokens,
  each from a model drawn uniformly from 0, …, m − 1 (model 0 = p), i.e. n tokens from the mixture of all
  past models. Both variants: exact S_m by :func:`gram_recursion`.

Quantities: σ_m = ‖p⁽ᵐ⁾‖₂², S_m = E σ_m (``sq_norm``), ρ_m = P(p⁽ᵐ⁾ is a Dirac mass) (collapsed by
generation m; once collapsed a fully synthetic chain stays collapsed), T = min{m ≥ 1 : ‖p⁽ᵐ⁾‖_∞ = 1}.

Closed forms (all exact unless marked):

- fully synthetic: **S_m = 1 − (1 − 1/N)(1 − 1/n)^(m−1)(1 − S₀)** (Theorem 1 eq. 6 at N = n:
  1 − (1 − 1/n)^m(1 − S₀)). Collapse-probability bounds (Theorem 1 eq. 7, generalised): with L₁ = N and
  L_m = n (m ≥ 2) the lattice of p⁽ᵐ⁾, max(0, 1 − L_m(1 − S_m)) ≤ ρ_m ≤ 1 − (1 − S_m)/(1 − 1/s̃). The
  lower bound is negative for small m (it is clipped at 0 and the clipping is documented). Collapse-time
  bounds (eq. 8, generalised): 1 + (1 − S₀)(1 − 1/N)n/(1 − 1/s̃) ≤ E[T] ≤ 1 + (N − 1)(1 − S₀) +
  (1 − 1/N)(1 − S₀)n(n − 1); at N = n these are the paper's 1 + (1 − S₀)(n − 1)/(1 − 1/s̃) and
  1 + (1 − S₀)n(n − 1). Proposition 1: the chain is absorbed at δ_i with probability p_i.
- partially synthetic: the exact recursion (m ≥ 2)
  **S_m = (1 − α²)S₁ + α²/n + β·S_{m−1}**, S₁ = 1/N + (1 − 1/N)S₀, β = α²(1 − 1/n) = α((1 + 1/N)α − 1/N),
  whose solution is the paper's Theorem 2 (eq. 9) with the sign of its last term corrected, D = 1 + (1 + 1/N)α:
  **S_{m+1} = (1/D)·{(1/N)[1 + 2α − (1 − 1/N)αβ^m] + (1 − 1/N)S₀[1 + α + (α/N)β^m]}**.
  The paper prints "− (α/N)β^m"; its own appendix algebra (the p_i² bracket of the line before "summing across i"), the
  recursion and simulation give "+" (tests/test_language_model.py shows the printed sign failing the
  simulation check and the corrected one passing). Limit S_∞ = [(1 − α²)S₁ + α²/n]/(1 − β) < 1.
- accumulate: counts C_m (total c_m = N + (m − 1)n) grow by X ~ Multinomial(n, C_m/c_m), which gives
  **1 − S_m = (1 − S₀)(1 − 1/N)·∏_{k=2}^m (1 − n/c_k²)**
  converging to (1 − S₁)·Γ(1 + a)²/(Γ(1 + a − x)Γ(1 + a + x)) with a = N/n, x = 1/√n (evaluated through
  Hurwitz zeta series, ~1e-14 relative): never collapses
  (at N = n the limit factor is sin(πx)/(πx(1 − x²)), the discrete twin of the Gaussian Euler product).

Beyond the bounds (fully synthetic, which quantity is which):

- :func:`exact_chain` solves the Markov chain on the lattice of counts exactly (linear algebra, no
  sampling): ρ_m, E[T], S_m and the absorption probabilities for an explicit law p, N and n, when the
  number of lattice states C(n + s̃ − 1, s̃ − 1) (and the same with N) is at most ``MAX_STATES``.
  E[T] depends on p beyond S₀ and s̃, which is why the bounds are all that S₀ alone can give.
- :func:`collapse_time_wright_fisher` is the **diffusion approximation** (not exact):
  E[T] ≈ 1 − n/N − 2n·Σ_i (1 − p_i) ln(1 − p_i) (Kimura/Littler time to fixation from the law p, with the
  generation-1 sampling noise folded in to second order; at N = n it is −2n·Σ(1 − p_i)ln(1 − p_i)).
  Its error against :func:`exact_chain` is measured in tests/test_language_model.py and docs/lm.md.

Theorem 3 (deviation bound) and eq. 11 (maximal synthetic amount): :func:`deviation_bound` and
:func:`max_synthetic`, **with constants that could not be confirmed** (the extracted text garbles G_n(s);
see their docstrings). Theorem 4 (φ(ζ) in place of 2) is not implemented.
Simulator twin: :func:`montecarlo.language_model.simulate`.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from model_collapse.validation import POSITIVE_INT, Interval, InvalidParameterError, Options, validate
from scipy.special import gammaln, zeta

__all__ = [
    "WORKFLOWS",
    "MAX_STATES",
    "LMPrediction",
    "ExactChain",
    "sq_norm",
    "sq_norm_limit",
    "sq_norm_given_first",
    "partial_recursion",
    "pool_recursion",
    "gram_recursion",
    "FAMILIES",
    "family_risk_ratio",
    "family_risk_ratio_limit",
    "deviation_bound",
    "max_synthetic",
    "collapse_prob_bounds",
    "collapse_time_bounds",
    "absorption_probabilities",
    "exact_chain",
    "collapse_time_wright_fisher",
    "predict",
    "check_setting",
]

WORKFLOWS = ("fully-synthetic", "partially-synthetic", "accumulate", "accumulate-subsample", "recent-window",
             "random-past")
WINDOW = POSITIVE_INT  # K, the number of most recent models of the recent-window workflow
MAX_POOL_GENERATIONS = 50_000  # accumulate-subsample: the O(m²) pool recursion is offered up to this m
WORKFLOW = Options(WORKFLOWS)
COUNT = POSITIVE_INT  # N (real tokens) and n (synthetic tokens per generation)
GENERATION = Interval(Integral, 1, None, closed="left")  # generation 1 = the fit on the real tokens
SQ_NORM = Interval(Real, 0, 1, closed="right")  # S₀ ∈ (0, 1]; the lower limit 1/s̃ is checked jointly
SIZE = POSITIVE_INT  # s̃ (support) and s (vocabulary)
MAX_STATES = 4000  # exact_chain: largest lattice it will build (dense linear algebra)


def check_setting(s0: float, support: int | None, vocab: int | None, where: str) -> int | None:
    """Cross-parameter checks of (S₀, s̃, s); returns the support size used by the bounds (None = unknown).

    S₀ ≥ 1/s̃ (uniform on the support is the most diverse law), S₀ < 1 unless s̃ = 1 (a law with two or more
    tokens is not a Dirac mass), s̃ ≤ s. With the support unknown the vocabulary bounds it (s̃ ≤ s).
    """
    if support is not None and vocab is not None and support > vocab:
        raise InvalidParameterError(
            f"The 'support' parameter of {where} must be at most vocab = {vocab}. Got {support} instead.")
    size = support if support is not None else vocab
    if size is not None and s0 < 1.0 / size * (1 - 1e-12):
        name = "support" if support is not None else "vocab"
        raise InvalidParameterError(
            f"The 's0' parameter of {where} must be in [1/{name}, 1] = [{1.0 / size:.6g}, 1] "
            f"(uniform on {size} tokens is the most diverse law). Got {s0!r} instead.")
    if support is not None and support > 1 and s0 >= 1.0:
        raise InvalidParameterError(
            f"The 's0' parameter of {where} must be < 1 when support = {support} > 1 (only a Dirac mass has "
            f"‖p‖² = 1). Got {s0!r} instead.")
    if support == 1 and s0 != 1.0:
        raise InvalidParameterError(
            f"The 's0' parameter of {where} must be 1 when support = 1 (a Dirac mass). Got {s0!r} instead.")
    return size


def _gens(m) -> np.ndarray:
    return np.asarray(m, dtype=np.int64)


def _out(x, like):
    x = np.asarray(x, dtype=float)
    return float(x) if np.ndim(like) == 0 else x


def _first(real: int, s0: float) -> float:
    """S₁ = E‖Multinomial(N, p)/N‖² = 1/N + (1 − 1/N)S₀."""
    return 1.0 / real + (1.0 - 1.0 / real) * s0


def _alpha(real: int, synthetic: int) -> float:
    return synthetic / (real + synthetic)


def _theorem2(real: int, synthetic: int, s0: float, m: np.ndarray) -> np.ndarray:
    """Theorem 2 with the corrected sign, S_{k+1} at k = m − 1 ≥ 1 (S₁ for m = 1)."""
    N = float(real)
    a = _alpha(real, synthetic)
    b = a * ((1.0 + 1.0 / N) * a - 1.0 / N)
    D = 1.0 + (1.0 + 1.0 / N) * a
    k = np.maximum(m - 1, 0).astype(float)
    bk = b**k
    out = ((1.0 / N) * (1.0 + 2.0 * a - (1.0 - 1.0 / N) * a * bk) + (1.0 - 1.0 / N) * s0 * (1.0 + a + (a / N) * bk)) / D
    return np.where(m <= 1, _first(real, s0), out)


_DIRECT_TERMS = 64  # accumulate product: summed term by term up to this many factors, Hurwitz-zeta form beyond
_ZETA_TERMS = 60


def _log_factor_series(a: float, x2: float, q: np.ndarray) -> np.ndarray:
    """Σ_{j≥0} log(1 − x²/(q + j)²) = −Σ_{r≥1} (x^{2r}/r)·ζ(2r, q), for q ≥ 1 + a ≥ 2 > x (no cancellation)."""
    q = np.asarray(q, dtype=float)
    r = np.arange(1, _ZETA_TERMS + 1, dtype=float)[:, None]
    return -np.sum(x2**r / r * zeta(2.0 * r, q[None, :]), axis=0)


def _accumulate_factor(real: int, synthetic: int, m: np.ndarray) -> np.ndarray:
    """∏_{k=2}^m (1 − n/c_k²), c_k = N + (k − 1)n, = ∏_{j=1}^{m−1} (1 − x²/(j + a)²), a = N/n, x² = 1/n.

    Up to ``_DIRECT_TERMS`` factors: summed log by log. Beyond: log ∏ = L(1 + a) − L(m + a) with
    L(q) = −Σ_r (x^{2r}/r)ζ(2r, q) (Hurwitz zeta), whose difference loses at most a factor (a + m)/m of
    precision. (scipy's poch, i.e. exp of a log-gamma difference, loses ~eps·log Γ(m) and was off by 3e-12
    at m ≈ 2000.) Relative accuracy ~1e-14, certified against mpmath in tests/test_language_model.py.
    """
    a = real / synthetic
    x2 = 1.0 / synthetic
    mm = np.asarray(m, dtype=np.int64)
    flat = mm.reshape(-1)
    out = np.empty(flat.shape)
    small = flat - 1 <= _DIRECT_TERMS
    if np.any(small):
        j = np.arange(1, _DIRECT_TERMS + 1, dtype=float)
        logs = np.concatenate([[0.0], np.cumsum(np.log1p(-x2 / (j + a) ** 2))])
        out[small] = logs[flat[small] - 1]
    if np.any(~small):
        big = flat[~small].astype(float)
        out[~small] = _log_factor_series(a, x2, np.array([1.0 + a]))[0] - _log_factor_series(a, x2, big + a)
    return np.exp(out).reshape(mm.shape)


def _accumulate_factor_limit(real: int, synthetic: int) -> float:
    """∏_{j≥1}(1 − x²/(j + a)²) = Γ(1 + a)²/(Γ(1 + a − x)Γ(1 + a + x)), evaluated by the zeta series."""
    return float(np.exp(_log_factor_series(real / synthetic, 1.0 / synthetic, np.array([1.0 + real / synthetic]))[0]))


def _check_window(workflow: str, window: int | None, where: str) -> None:
    if workflow == "recent-window" and window is None:
        raise InvalidParameterError(f"The 'window' parameter of {where} is required for workflow 'recent-window' "
                                    f"(an int >= 1, the number of most recent models). Got None instead.")


@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM, window=WINDOW)
def sq_norm(workflow: str, real: int, synthetic: int, generations: int | np.ndarray, s0: float,
            window: int | None = None):
    """S_m = E‖p⁽ᵐ⁾‖₂² at generation(s) m (1 = the fit on the N real tokens; vectorised over m).

    fully-synthetic: 1 − (1 − 1/N)(1 − 1/n)^(m−1)(1 − S₀) (Theorem 1 eq. 6 generalised to N ≠ n);
    partially-synthetic: Theorem 2 (eq. 9) with the corrected sign "+ (α/N)β^m" (module docstring);
    accumulate: 1 − (1 − S₁)·∏_{k=2}^m (1 − n/(N + (k − 1)n)²); accumulate-subsample: :func:`pool_recursion`;
    recent-window (needs ``window``) and random-past: :func:`gram_recursion` (these three for
    m ≤ ``MAX_POOL_GENERATIONS``). Exact. Source: Seddik et al. §3 and App. B;
    docs/theory.md §6. Simulator twin: :func:`montecarlo.language_model.simulate` (``sq_norm``).
    """
    _check_window(workflow, window, "sq_norm")
    m = _gens(generations)
    if workflow == "fully-synthetic":
        out = 1.0 - (1.0 - 1.0 / real) * (1.0 - 1.0 / synthetic) ** (m - 1).astype(float) * (1.0 - s0)
    elif workflow == "partially-synthetic":
        out = _theorem2(real, synthetic, s0, m)
    elif workflow == "accumulate":
        out = 1.0 - (1.0 - _first(real, s0)) * _accumulate_factor(real, synthetic, m)
    else:
        mmax = int(m.max(initial=1))
        if mmax > MAX_POOL_GENERATIONS:
            raise InvalidParameterError(
                f"The 'generations' parameter of sq_norm must be at most {MAX_POOL_GENERATIONS} for "
                f"{workflow} (an O(m²) recursion). Got {mmax} instead.")
        if workflow == "accumulate-subsample":
            out = pool_recursion(real, synthetic, mmax, s0, subsample=True)[m - 1]
        else:
            scheme = "window" if workflow == "recent-window" else "random"
            out = gram_recursion(real, synthetic, mmax, s0, scheme=scheme, window=window)[m - 1]
    return _out(out, generations)


@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, s0=SQ_NORM)
def sq_norm_limit(workflow: str, real: int, synthetic: int, s0: float) -> float:
    """lim_{m→∞} S_m: 1 (fully synthetic: total collapse); [(1 − α²)S₁ + α²/n]/(1 − β) (partially
    synthetic, the fixed point of the recursion); 1 − (1 − S₁)Γ(1 + a)²/(Γ(1 + a − x)Γ(1 + a + x)), a = N/n,
    x = 1/√n (accumulate). Exact."""
    if workflow == "fully-synthetic":
        return 1.0
    if workflow in ("accumulate-subsample", "recent-window", "random-past"):
        raise InvalidParameterError(
            "The 'workflow' parameter of sq_norm_limit must be 'fully-synthetic', 'partially-synthetic' or "
            f"'accumulate' ({workflow} has no closed-form limit; evaluate sq_norm at large m). "
            f"Got {workflow!r} instead.")
    s1 = _first(real, s0)
    if workflow == "partially-synthetic":
        a = _alpha(real, synthetic)
        b = a * a * (1.0 - 1.0 / synthetic)
        return float(((1.0 - a * a) * s1 + a * a / synthetic) / (1.0 - b))
    return float(1.0 - (1.0 - s1) * _accumulate_factor_limit(real, synthetic))


@validate(workflow=Options(("fully-synthetic", "partially-synthetic", "accumulate")), real=COUNT, synthetic=COUNT,
          generations=GENERATION, first=SQ_NORM)
def sq_norm_given_first(workflow: str, real: int, synthetic: int, generations: int | np.ndarray,
                        first: float):
    """E[‖p⁽ᵐ⁾‖² | p⁽¹⁾] for an observed first model with ‖p⁽¹⁾‖² = ``first`` (e.g. an n-gram model fitted on
    a real corpus, retrained from there). Exact for these three workflows: their S_m is affine in S₁ alone
    (the recursions use S₁ and E⟨p⁽¹⁾, p⁽ᵏ⁾⟩ = ‖p⁽¹⁾‖²), so this is :func:`sq_norm` at the S₀ with
    1/N + (1 − 1/N)S₀ = first: fully synthetic 1 − (1 − 1/n)^(m−1)(1 − first), etc. Needs first ≥ 1/N (true
    of any empirical law of N tokens)."""
    if first < 1.0 / real * (1 - 1e-12):
        raise InvalidParameterError(f"The 'first' parameter of sq_norm_given_first must be at least 1/real = "
                                    f"{1.0 / real:.6g} (an empirical law of N tokens). Got {first!r} instead.")
    s0 = 1.0 if real == 1 else min(1.0, max((first - 1.0 / real) / (1.0 - 1.0 / real), 1e-300))
    return sq_norm(workflow, real, synthetic, generations, s0)


@validate(real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM)
def partial_recursion(real: int, synthetic: int, generations: int, s0: float) -> np.ndarray:
    """S_1..S_m of the partially synthetic chain by the exact recursion (not the closed form):
    S_m = (1 − α²)S₁ + α²/n + α²(1 − 1/n)S_{m−1}, from ‖p⁽ᵐ⁾‖² = (1 − α)²‖p⁽¹⁾‖² + α²‖q̂‖² + 2α(1 − α)⟨p⁽¹⁾, q̂⟩,
    E[‖q̂‖² | p⁽ᵐ⁻¹⁾] = 1/n + (1 − 1/n)‖p⁽ᵐ⁻¹⁾‖² and E⟨p⁽¹⁾, p⁽ᵏ⁾⟩ = S₁ for every k (the real part is shared
    and the synthetic part is conditionally unbiased). Returns an array of length m."""
    a = _alpha(real, synthetic)
    s1 = _first(real, s0)
    out = np.empty(int(generations))
    out[0] = s1
    for k in range(1, int(generations)):
        out[k] = (1.0 - a * a) * s1 + a * a / synthetic + a * a * (1.0 - 1.0 / synthetic) * out[k - 1]
    return out


@validate(real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM)
def pool_recursion(real: int, synthetic: int, generations: int, s0: float, *, subsample: bool = True) -> np.ndarray:
    """S_1..S_m of the pooled workflows by exact pairwise collision probabilities (an O(m²) recursion).

    Pool: block 0 = the N real tokens, block j ≥ 1 = the n tokens drawn from model j. Model 1 is the real
    block; model m ≥ 2 is the empirical law of the whole pool (``subsample=False``: accumulate) or of n
    tokens drawn **without replacement** from it (``subsample=True``: accumulate-subsample, the "Collapse
    or Thrive?" workflow). Token values never change once drawn and the subsample is uniform and
    independent of them, so everything is linear in the collision probabilities D_i = P(two distinct
    tokens of block i agree) and X_ij = P(a token of block i agrees with one of block j):

    - a uniform pair of distinct pool tokens agrees with probability A = [Σ n_i(n_i − 1)D_i + Σ_{i≠j} n_i n_j X_ij]
      /(P(P − 1)), P the pool size; so S_m = 1/k + (1 − 1/k)A, k = P (whole pool) or n (subsample);
    - the new block: D_m = S_m, and X_im = (1/P)[1 + (n_i − 1)D_i + Σ_{j≠i} n_j X_ij] (a new token copies a
      uniform member of the fitted tokens, each pool token being one with probability k/P).

    With ``subsample=False`` this reproduces the accumulate closed form (a test). Exact; cost O(m²).
    """
    N, n, m = int(real), int(synthetic), int(generations)
    sizes = np.zeros(m)
    D = np.zeros(m)
    R = np.zeros(m)  # R_i = Σ_{j≠i} n_j X_ij over the blocks so far
    sizes[0], D[0] = N, s0
    out = np.empty(m)
    for g in range(1, m + 1):  # model g sees blocks 0..g−1
        b = g
        nb, Db, Rb = sizes[:b], D[:b], R[:b]
        P = float(nb.sum())
        pairs = float(np.sum(nb * (nb - 1.0) * Db) + np.sum(nb * Rb))
        A = pairs / (P * (P - 1.0)) if P > 1 else 0.0
        k = P if (g == 1 or not subsample) else float(n)
        out[g - 1] = 1.0 / k + (1.0 - 1.0 / k) * A
        if g == m:
            break
        X = (1.0 + (nb - 1.0) * Db + Rb) / P  # new block g against each block 0..g−1
        R[:b] += n * X
        R[b] = float(np.sum(nb * X))
        sizes[b], D[b] = n, out[g - 1]
    return out


@validate(real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM, scheme=Options(("window", "random")),
          window=WINDOW)
def gram_recursion(real: int, synthetic: int, generations: int, s0: float, *, scheme: str = "window",
                   window: int | None = None) -> np.ndarray:
    """S_1..S_m of the fresh-sample variants by the Gram matrix G_ab = E⟨p⁽ᵃ⁾, p⁽ᵇ⁾⟩ (exact, no sampling).

    Model 0 is the true law p (G_00 = S₀ and G_0j = S₀ for every j, since E p⁽ʲ⁾ = p); model 1 is fitted on
    the N real tokens (G_11 = S₁). Fresh tokens from a model are conditionally i.i.d., so two distinct tokens
    from models a and b agree with probability G_ab (G_aa = E‖p⁽ᵃ⁾‖² for a = b), and E⟨p⁽ᵐ⁾, p⁽ʲ⁾⟩ is the
    average of G_tj over the models t that generation m samples from:

    - ``"window"`` (recent-window, K = ``window``): n tokens from each model t of W = {max(0, m − K)..m − 1}
      (|W| = K'): S_m = (1/K'²)[K'/n − (1/n)Σ_{t∈W} G_tt + Σ_{t,t'∈W} G_tt'], G_mj = (1/K')Σ_{t∈W} G_tj;
      O(K²) per generation. K = 1 reproduces the fully synthetic law (a test);
    - ``"random"`` (random-past): n tokens from the mixture (1/m)Σ_{t<m} p⁽ᵗ⁾:
      S_m = 1/n + (1 − 1/n)(1/m²)Σ_{t,t'<m} G_tt', G_mj = (1/m)Σ_{t<m} G_tj; kept as column sums, O(m) per
      generation.
    """
    if scheme == "window" and window is None:
        raise InvalidParameterError("The 'window' parameter of gram_recursion is required for scheme 'window'.")
    n, m = float(synthetic), int(generations)
    s1 = _first(real, s0)
    out = np.empty(m)
    out[0] = s1
    if scheme == "window":
        K = int(window)
        G = np.array([[s0, s0], [s0, s1]])  # Gram matrix of the models in the window, oldest first
        ids = [0, 1]
        for g in range(2, m + 1):
            W = [i for i in ids if i >= g - K]
            sel = [ids.index(i) for i in W]
            sub = G[np.ix_(sel, sel)]
            k = float(len(W))
            out[g - 1] = (k / n - np.trace(sub) / n + sub.sum()) / k**2
            row = G[sel].mean(axis=0)  # E⟨p⁽ᵍ⁾, p⁽ʲ⁾⟩ for every kept model j
            keep = [ids.index(i) for i in ids if i >= g + 1 - K]  # the models a later window can still use
            G = np.block([[G[np.ix_(keep, keep)], row[keep][:, None]], [row[keep][None, :], np.array([[out[g - 1]]])]])
            ids = [ids[i] for i in keep] + [g]
        return out
    # random-past: r_j = Σ_{t<g} G_tj for j < g (column sums over the models sampled by generation g)
    r = np.zeros(m + 1)
    r[0], r[1] = s0 + s0, s0 + s1  # generation 2 samples models 0 and 1: Σ_t G_t0, Σ_t G_t1
    for g in range(2, m + 1):
        total = float(r[:g].sum())  # Σ_{t,t'<g} G_tt'
        out[g - 1] = 1.0 / n + (1.0 - 1.0 / n) * total / g**2
        row = r[:g] / g  # G_gj, j < g
        r[:g] += row
        r[g] = float(row.sum()) + out[g - 1]
    return out


FAMILIES = ("bernoulli", "poisson", "exponential")
FAMILY_WORKFLOWS = ("accumulate", "replace")


def _family_factor(family: str, n: int, t: np.ndarray, workflow: str) -> np.ndarray:
    """The exact product/sum behind :func:`family_risk_ratio` (see there), as the ratio v_t/v_1."""
    t = np.asarray(t, dtype=float)
    if workflow == "replace":
        if family == "bernoulli":
            return n * (1.0 - (1.0 - 1.0 / n) ** t)
        if family == "poisson":
            return t
        return n * ((1.0 + 1.0 / n) ** t - 1.0)
    if family == "poisson":
        return np.array([float(np.sum(1.0 / np.arange(1, int(k) + 1, dtype=float) ** 2)) for k in t.ravel()]
                        ).reshape(t.shape)
    sign = -1.0 if family == "bernoulli" else 1.0
    out = np.empty(t.shape).ravel()
    for i, k in enumerate(t.ravel()):
        j = np.arange(1, int(k) + 1, dtype=float)
        with np.errstate(divide="ignore"):  # bernoulli, n = 1: the first factor is 0 (the fit is a Dirac)
            out[i] = sign * n * (math.exp(float(np.sum(np.log1p(sign / (n * j * j))))) - 1.0)
    return out.reshape(t.shape)


@validate(family=Options(FAMILIES), workflow=Options(FAMILY_WORKFLOWS), n=COUNT, t=GENERATION)
def family_risk_ratio(family: str, n: int, t: int | np.ndarray, *, workflow: str = "accumulate"):
    """π²/6 beyond Gaussians: E(θ̂_t − θ)² / E(θ̂_1 − θ)² for the mean parameter θ of an exponential family,
    fitted by its MLE (the sample mean) on n real points (fit 1) and then, per fit t ≥ 2, on n more points
    drawn from the previous fit: ``accumulate`` (fit all points so far, θ̂_t = mean of the t block means) or
    ``replace`` (fit only the newest n). Exact at every finite n, independent of θ:

    - bernoulli (θ = p; the s = 2 language model): accumulate n·[1 − ∏_{k≤t}(1 − 1/(nk²))] → n(1 − sin x/x),
      x = π/√n, **below** π²/6 (the fitted variance p̂(1 − p̂) shrinks); replace n(1 − (1 − 1/n)^t) → n;
    - poisson (θ = λ): accumulate Σ_{k≤t} 1/k² → π²/6 exactly (the variance λ̂ is a martingale); replace t;
    - exponential (θ = the mean μ): accumulate n·[∏_{k≤t}(1 + 1/(nk²)) − 1] → n(sinh x/x − 1), **above** π²/6;
      replace n((1 + 1/n)^t − 1).

    Derivation: v_{t+1} = v_t + E Var(x̄ | θ̂_t)/(t + 1)² (accumulate; replace: without the (t + 1)²) with
    Var(x̄ | θ̂) = θ̂(1 − θ̂)/n, θ̂/n, θ̂²/n and E θ̂_t = θ. All three → π²/6 as n → ∞ (Dey & Donoho's
    universality: Σ_j W_j/j for asymptotically linear estimators; for the exponential *rate* 1/μ̂, which is
    not a mean, only this asymptotic statement holds). docs/theory.md §5.4.
    """
    return _out(_family_factor(family, int(n), _gens(t), workflow), t)


@validate(family=Options(FAMILIES), n=COUNT, workflow=Options(FAMILY_WORKFLOWS))
def family_risk_ratio_limit(family: str, n: int, *, workflow: str = "accumulate") -> float:
    """lim_{t→∞} of :func:`family_risk_ratio`: accumulate n(1 − sin x/x) (bernoulli), π²/6 (poisson),
    n(sinh x/x − 1) (exponential), x = π/√n (Euler's products); replace n (bernoulli: the fit collapses
    to 0 or 1) or inf (poisson, exponential: the error grows without bound)."""
    if workflow == "replace":
        return float(n) if family == "bernoulli" else math.inf
    x = math.pi / math.sqrt(n)
    if family == "poisson":
        return math.pi**2 / 6.0
    if family == "bernoulli":
        return float(n * (1.0 - math.sin(x) / x))
    return float(n * (math.sinh(x) / x - 1.0))


C0 = math.e**3 / (2 * math.pi)  # ≈ 3.197, Mardia et al.'s constants as printed in the paper
C1 = 6 * math.e / math.pi**1.5  # ≈ 2.929


def _g_n(n: float, s: int) -> float:
    """G_n(s) of the paper's eq. 10 / Lemma 1 (Mardia et al. 2020), in the reading that is continuous in s."""
    if s >= C0 * n / math.e + 2:
        return C1 * s * math.exp(C0 * n / (2 * math.e))
    if s >= C0 * n / 4 + 2:
        return C1 * s * math.exp(0.5 * s * math.log(C0 * n / s))
    return 2.0**s - 2.0


@validate(real=COUNT, synthetic=COUNT, vocab=SIZE)
def deviation_bound(real: int, synthetic: int, vocab: int) -> float:
    """Theorem 3 (partially synthetic, every m ≥ 2): E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ < (1/N)·√(πn/2)·G_n(s), independent of m.

    G_n(s) = C₁s·e^{C₀n/(2e)} if s ≥ C₀n/e + 2; C₁s·(C₀n/s)^{s/2} if C₀n/4 + 2 ≤ s < C₀n/e + 2; 2^s − 2
    otherwise; C₀ = e³/(2π), C₁ = 6e/π^{3/2}. **Unconfirmed constants**: the extracted text of eq. 10 is
    garbled in its first case; the exponent C₀n/(2e) is the reading that makes G_n continuous at
    s = C₀n/e + 2 (where (C₀n/s)^{s/2} = e^{C₀n/(2e)}). A bound, not an estimate: it is loose by orders of
    magnitude at the paper's settings (tests check that simulations lie below it). May overflow to inf
    for large n (returned as inf, a valid but empty bound).
    """
    with np.errstate(over="ignore"):
        try:
            g = _g_n(float(synthetic), int(vocab))
        except OverflowError:
            return math.inf
    return float(math.sqrt(math.pi * synthetic / 2.0) * g / real)


@validate(real=COUNT, vocab=SIZE, eps=Interval(Real, 0, None, closed="neither"))
def max_synthetic(real: int, vocab: int, eps: float) -> float:
    """Eq. 11 as printed: the synthetic amount n ≤ (2π/e²)·min{s − 2, log(√(2π)·N·ε/(6es))} keeps the
    Theorem 3 bound below ε when C₀n/e + 2 ≤ s: n may grow only **logarithmically** in N. Returns that
    (real-valued) n, or 0 when the logarithm is negative. **Unconfirmed constants**: eq. 11 does not follow
    exactly from :func:`deviation_bound` (which gives the factor 4π/e², keeps a √n and has √2·π in place of
    √(2π)); the logarithmic growth in N holds in either reading."""
    value = (2 * math.pi / math.e**2) * min(vocab - 2.0, math.log(math.sqrt(2 * math.pi) * real * eps
                                                                   / (6 * math.e * vocab)))
    return max(0.0, float(value))


def _support_for_bounds(support, vocab):
    size = support if support is not None else vocab
    return math.inf if size is None else float(size)


@validate(real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM, support=SIZE, vocab=SIZE)
def collapse_prob_bounds(real: int, synthetic: int, generations, s0: float, support: int | None = None,
                         vocab: int | None = None):
    """Fully synthetic: (lower, upper) bounds on ρ_m = P(p⁽ᵐ⁾ is a Dirac mass) (Theorem 1 eq. 7, N ≠ n).

    From S_m ≥ ρ_m + (1 − ρ_m)/s̃ (σ_m ≥ 1/s̃ on the support) and S_m ≤ E‖p⁽ᵐ⁾‖_∞ ≤ ρ_m + (1 − 1/L_m)(1 − ρ_m)
    (a non-Dirac law on the lattice 1/L_m has max ≤ 1 − 1/L_m; L₁ = N, L_m = n for m ≥ 2):
    lower = max(0, 1 − L_m(1 − S_m)) (**clipped at 0**: the unclipped value is negative until
    m ≈ 1 + n·ln(n(1 − S₀))), upper = 1 − (1 − S_m)/(1 − 1/s̃). With the support unknown it is bounded by
    the vocabulary (s̃ ≤ s), and with neither given s̃ → ∞ (upper = S_m), still a valid bound.
    """
    check_setting(s0, support, vocab, "collapse_prob_bounds")
    m = _gens(generations)
    s_m = np.asarray(sq_norm("fully-synthetic", real, synthetic, m, s0), dtype=float)
    lattice = np.where(m == 1, float(real), float(synthetic))
    lower = np.maximum(0.0, 1.0 - lattice * (1.0 - s_m))
    st = _support_for_bounds(support, vocab)
    upper = np.ones_like(s_m) if st == 1 else 1.0 - (1.0 - s_m) / (1.0 - 1.0 / st)
    return _out(lower, generations), _out(upper, generations)


@validate(real=COUNT, synthetic=COUNT, s0=SQ_NORM, support=SIZE, vocab=SIZE)
def collapse_time_bounds(real: int, synthetic: int, s0: float, support: int | None = None,
                         vocab: int | None = None) -> tuple[float, float]:
    """Fully synthetic: (lower, upper) bounds on E[T] (Theorem 1 eq. 8, generalised to N ≠ n).

    E[T] = Σ_{k≥0} P(T > k) = 1 + Σ_{k≥1}(1 − ρ_k) with the bounds of :func:`collapse_prob_bounds` (unclipped):
    lower = 1 + (1 − S₀)(1 − 1/N)·n/(1 − 1/s̃), upper = 1 + (N − 1)(1 − S₀) + (1 − 1/N)(1 − S₀)n(n − 1).
    At N = n: 1 + (1 − S₀)(n − 1)/(1 − 1/s̃) and 1 + (1 − S₀)n(n − 1), as printed. The upper bound is of order
    n², the truth of order n (:func:`exact_chain`, :func:`collapse_time_wright_fisher`).
    """
    check_setting(s0, support, vocab, "collapse_time_bounds")
    st = _support_for_bounds(support, vocab)
    q = (1.0 - s0) * (1.0 - 1.0 / real)
    lower = 1.0 if st == 1 else 1.0 + q * synthetic / (1.0 - 1.0 / st)
    upper = 1.0 + (real - 1.0) * (1.0 - s0) + q * synthetic * (synthetic - 1.0)
    return float(lower), float(upper)


def _law(p, where: str) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise InvalidParameterError(
            f"The 'p' parameter of {where} must be a 1-D array of non-negative finite weights with a positive sum.")
    return p / p.sum()


def absorption_probabilities(p) -> np.ndarray:
    """Proposition 1: P(p⁽ᵐ⁾ → δ_i) = p_i (fully synthetic, any N and n: E p⁽ᵐ⁾ = p is a bounded martingale
    absorbed at a vertex). Returns p normalised to sum 1."""
    return _law(p, "absorption_probabilities")


@validate(real=COUNT, synthetic=COUNT)
def collapse_time_wright_fisher(p, real: int, synthetic: int) -> float:
    """Fully synthetic: the Wright–Fisher diffusion **approximation** of E[T] (not exact).

    E[T] ≈ 1 − n/N − 2n·Σ_i (1 − p_i) ln(1 − p_i): from generation 1 the chain is a neutral Wright–Fisher
    model of n haploid individuals; the diffusion's mean time until one type remains, started at the law q,
    is −2n·Σ(1 − q_i)ln(1 − q_i) (Kimura & Ohta 1969 for two types; Littler 1975 for several); averaging
    over q = p⁽¹⁾ ~ Multinomial(N, p)/N to second order adds −n/N. At N = n: −2n·Σ(1 − p_i)ln(1 − p_i)
    (docs/theory.md §5). Its error against :func:`exact_chain` is O(1) generations: measured values in
    docs/lm.md.
    """
    q = _law(p, "collapse_time_wright_fisher")
    q = q[q > 0]
    f = float(np.sum(np.where(q < 1.0, (1.0 - q) * np.log1p(-np.minimum(q, 1.0 - 1e-300)), 0.0)))
    if q.size == 1:
        return 1.0
    return float(1.0 - synthetic / real - 2.0 * synthetic * f)


def _compositions(total: int, parts: int) -> np.ndarray:
    """All count vectors of ``parts`` non-negative integers summing to ``total`` (stars and bars)."""
    rows = []
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        edges = (-1, *bars, total + parts - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(parts)])
    return np.array(rows, dtype=np.int64).reshape(-1, parts)


def _log_multinomial(n: int, probs: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """log Multinomial(n, probs[a])(counts[b]) as a matrix (a, b); −inf where a zero-probability token is drawn."""
    with np.errstate(divide="ignore"):
        logp = np.log(probs)  # (A, s)
    lead = gammaln(n + 1.0) - np.sum(gammaln(counts + 1.0), axis=1)  # (B,)
    # Σ_i y_i log p_i with 0·log 0 = 0: split the tokens with p_i = 0
    finite = np.where(np.isfinite(logp), logp, 0.0)
    inner = finite @ counts.T.astype(float)
    impossible = (~np.isfinite(logp)).astype(float) @ (counts.T > 0).astype(float)
    return np.where(impossible > 0, -np.inf, inner + lead[None, :])


@dataclass(frozen=True)
class ExactChain:
    """Exact fully synthetic chain for an explicit law p (:func:`exact_chain`).

    ``collapse_prob[j]`` = ρ_{m_j} and ``sq_norm[j]`` = S_{m_j} at the requested generations m_j;
    ``collapse_time`` = E[T]; ``absorption`` = P(absorbed at δ_i) per token of p (Proposition 1: = p);
    ``states`` = number of lattice states with n tokens.
    """

    generations: np.ndarray
    collapse_prob: np.ndarray
    sq_norm: np.ndarray
    collapse_time: float
    absorption: np.ndarray
    states: int

    def as_dict(self) -> dict:
        return {
            "generations": self.generations.tolist(),
            "collapse_prob": self.collapse_prob.tolist(),
            "sq_norm": self.sq_norm.tolist(),
            "collapse_time": self.collapse_time,
            "absorption": self.absorption.tolist(),
            "states": self.states,
        }


def _n_states(total: int, parts: int) -> int:
    return math.comb(total + parts - 1, parts - 1)


@validate(real=COUNT, synthetic=COUNT, generations=GENERATION)
def exact_chain(p, real: int, synthetic: int, generations=1) -> ExactChain:
    """Fully synthetic chain solved exactly on the lattice of token counts (no sampling, no approximation).

    States: count vectors of n tokens on the support of p (C(n + s̃ − 1, s̃ − 1) of them); transition
    x → y with probability Multinomial(n, x/n)(y); the s̃ Dirac states are absorbing. Generation 1 is the
    multinomial law of N real tokens, moved to the n-lattice by one more transition. Then
    ρ_m = P(state at m is a Dirac), E[T] = 1 + Σ_z P(p⁽¹⁾ = z/N)·g(z) with g = 0 at a Dirac and
    g(z) = 1 + Σ_y P(z → y)h(y) otherwise, h = (I − Q)⁻¹1 the expected absorption time on the n-lattice
    (Q the transient block); the absorption probabilities solve (I − Q)a = R (R the absorbing block).
    Cost: dense linear algebra on at most ``MAX_STATES`` states (InvalidParameterError beyond that, naming
    the parameter to reduce). Accuracy: linear-solve rounding, ~1e-12 relative for a few thousand states.
    """
    q = _law(p, "exact_chain")
    keep = np.flatnonzero(q > 0)
    q = q[keep]
    st = q.size
    m = _gens(generations)
    if st == 1:
        ones = np.ones(m.shape)
        return ExactChain(m.reshape(-1), ones.reshape(-1), ones.reshape(-1), 1.0, np.array([1.0]), 1)
    for name, value in (("synthetic", synthetic), ("real", real)):
        k = _n_states(value, st)
        if k > MAX_STATES:
            raise InvalidParameterError(
                f"The '{name}' parameter of exact_chain gives {k} lattice states on a support of {st} tokens, more "
                f"than MAX_STATES = {MAX_STATES}; reduce '{name}' or the support of 'p'.")
    Yn = _compositions(synthetic, st)  # n-lattice
    Yr = _compositions(real, st)  # N-lattice (generation 1)
    dirac_n = Yn.max(axis=1) == synthetic
    dirac_r = Yr.max(axis=1) == real
    P = np.exp(_log_multinomial(synthetic, Yn / synthetic, Yn))  # n → n
    M1 = np.exp(_log_multinomial(synthetic, Yr / real, Yn))  # N → n
    pi1 = np.exp(_log_multinomial(real, q[None, :], Yr))[0]  # generation-1 law on the N-lattice
    # collapse probabilities and second moments at the requested generations
    flat = m.reshape(-1)
    mmax = int(flat.max())
    rho = np.empty(mmax)
    sq = np.empty(mmax)
    rho[0] = pi1[dirac_r].sum()
    sq[0] = pi1 @ np.sum((Yr / real) ** 2, axis=1)
    norms_n = np.sum((Yn / synthetic) ** 2, axis=1)
    dist = pi1 @ M1 if mmax > 1 else None
    for j in range(1, mmax):
        rho[j] = dist[dirac_n].sum()
        sq[j] = dist @ norms_n
        if j + 1 < mmax:
            dist = dist @ P
    # expected absorption time and absorption probabilities
    trans = ~dirac_n
    Q = P[np.ix_(trans, trans)]
    A = np.eye(Q.shape[0]) - Q
    h = np.zeros(len(Yn))
    h[trans] = np.linalg.solve(A, np.ones(Q.shape[0]))
    g = np.where(dirac_r, 0.0, 1.0 + M1 @ h)
    time = 1.0 + float(pi1 @ g)
    R = P[np.ix_(trans, dirac_n)]  # into the Dirac states, ordered by their token
    absorb_n = np.zeros((len(Yn), st))
    token_of = np.argmax(Yn[dirac_n], axis=1)
    absorb_n[np.flatnonzero(dirac_n), token_of] = 1.0
    absorb_n[trans] = np.linalg.solve(A, R @ absorb_n[dirac_n])
    absorb_r = np.where(dirac_r[:, None], (Yr == real).astype(float), M1 @ absorb_n)
    absorption = np.zeros(np.asarray(p).size)
    absorption[keep] = pi1 @ absorb_r
    return ExactChain(flat, rho[flat - 1], sq[flat - 1], time, absorption, int(len(Yn)))


@dataclass(frozen=True)
class LMPrediction:
    """Predicted quantities at the requested generation(s) (arrays of the shape of ``generations``).

    ``sq_norm`` = S_m (exact). Fully synthetic only (None otherwise, and left out of :meth:`as_dict`):
    ``collapse_prob_lower``/``collapse_prob_upper`` bound ρ_m (the lower one clipped at 0) and
    ``collapse_time_lower``/``collapse_time_upper`` bound E[T] (floats, independent of m).
    """

    sq_norm: np.ndarray | float
    collapse_prob_lower: np.ndarray | float | None
    collapse_prob_upper: np.ndarray | float | None
    collapse_time_lower: float | None
    collapse_time_upper: float | None

    def as_dict(self) -> dict:
        out = {}
        for key in ("sq_norm", "collapse_prob_lower", "collapse_prob_upper", "collapse_time_lower",
                    "collapse_time_upper"):
            value = getattr(self, key)
            if value is not None:
                arr = np.asarray(value, dtype=float)
                out[key] = arr.item() if arr.ndim == 0 else arr.tolist()
        return out


@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, generations=GENERATION, s0=SQ_NORM, support=SIZE,
          vocab=SIZE, window=WINDOW)
def predict(workflow: str, real: int, synthetic: int, generations: int | np.ndarray, s0: float,
            support: int | None = None, vocab: int | None = None, window: int | None = None) -> LMPrediction:
    """All closed forms at generation(s) m: S_m (:func:`sq_norm`) and, fully synthetic, the Theorem 1 bounds
    (:func:`collapse_prob_bounds`, :func:`collapse_time_bounds`).

    ``support`` (s̃) and ``vocab`` (s) enter only the bounds and the check 1/s̃ ≤ S₀ ≤ 1; S_m depends on the
    law only through S₀. ``window`` (K) is required by, and used only by, the recent-window workflow. A Dirac
    law (S₀ = 1) is collapsed from generation 1 (ρ = 1, T = 1), with a warning.
    Simulator twin: :func:`montecarlo.language_model.simulate` (the same keywords).
    """
    check_setting(s0, support, vocab, "predict")
    _check_window(workflow, window, "predict")
    if s0 == 1.0:
        warnings.warn("s0 = 1: the law is a Dirac mass, collapsed from generation 1.", stacklevel=2)
    s_m = sq_norm(workflow, real, synthetic, generations, s0, window)
    if workflow != "fully-synthetic":
        return LMPrediction(s_m, None, None, None, None)
    lo, hi = collapse_prob_bounds(real, synthetic, generations, s0, support, vocab)
    tlo, thi = collapse_time_bounds(real, synthetic, s0, support, vocab)
    return LMPrediction(s_m, lo, hi, tlo, thi)
