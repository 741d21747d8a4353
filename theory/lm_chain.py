"""The statistical language model retrained on its own samples (Seddik et al.): the law of S_m = E‖p⁽ᵐ⁾‖₂².

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

Closed forms and recursions for S_m (all exact):

- fully synthetic: **S_m = 1 − (1 − 1/N)(1 − 1/n)^(m−1)(1 − S₀)** (Theorem 1 eq. 6 at N = n:
  1 − (1 − 1/n)^m(1 − S₀)). Its collapse bounds, absorption and exact chain: :mod:`theory.lm_collapse`.
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

The collapse of the fully synthetic chain (ρ_m, T): :mod:`theory.lm_collapse`; all closed forms at once:
:func:`theory.language_model.predict` (which re-exports every public name of this module).
Simulator twin: :func:`montecarlo.language_model.simulate` (``sq_norm``).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from model_collapse.validation import POSITIVE_INT, Interval, InvalidParameterError, Options, renamed, validate
from scipy.special import zeta

__all__ = [
    "WORKFLOWS",
    "MAX_POOL_GENERATIONS",
    "sq_norm",
    "sq_norm_limit",
    "sq_norm_given_first",
    "partial_recursion",
    "pool_recursion",
    "gram_recursion",
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


def check_setting(s0: float, support: int | None, vocab: int | None, where: str) -> int | None:
    """Cross-parameter checks of (S₀, s̃, s); returns the support size used by the bounds (None = unknown).

    S₀ ≥ 1/s̃ (uniform on the support is the most diverse law), S₀ < 1 unless s̃ = 1 (a law with two or more
    tokens is not a Dirac mass), s̃ ≤ s. With the support unknown the vocabulary bounds it (s̃ ≤ s).
    """
    if support is not None and vocab is not None and support > vocab:
        raise InvalidParameterError.of(
            "support", where, f"must be at most vocab = {vocab}. Got {support} instead.")
    size = support if support is not None else vocab
    if size is not None and s0 < 1.0 / size * (1 - 1e-12):
        name = "support" if support is not None else "vocab"
        raise InvalidParameterError.of(
            "s0", where, f"must be in [1/{name}, 1] = [{1.0 / size:.6g}, 1] "
            f"(uniform on {size} tokens is the most diverse law). Got {s0!r} instead.")
    if support is not None and support > 1 and s0 >= 1.0:
        raise InvalidParameterError.of(
            "s0", where, f"must be < 1 when support = {support} > 1 (only a Dirac mass has "
            f"‖p‖² = 1). Got {s0!r} instead.")
    if support == 1 and s0 != 1.0:
        raise InvalidParameterError.of(
            "s0", where, f"must be 1 when support = 1 (a Dirac mass). Got {s0!r} instead.")
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
        raise InvalidParameterError.of("window", where, "is required for workflow 'recent-window' "
                                    "(an int >= 1, the number of most recent models). Got None instead.")


@renamed(generations="t")
@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM, window=WINDOW)
def sq_norm(workflow: str, real: int, synthetic: int, t: int | np.ndarray, s0: float,
            window: int | None = None):
    """S_m = E‖p⁽ᵐ⁾‖₂² at generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens; vectorised).

    fully-synthetic: 1 − (1 − 1/N)(1 − 1/n)^(m−1)(1 − S₀) (Theorem 1 eq. 6 generalised to N ≠ n);
    partially-synthetic: Theorem 2 (eq. 9) with the corrected sign "+ (α/N)β^m" (module docstring);
    accumulate: 1 − (1 − S₁)·∏_{k=2}^m (1 − n/(N + (k − 1)n)²); accumulate-subsample: :func:`pool_recursion`;
    recent-window (needs ``window``) and random-past: :func:`gram_recursion` (these three for
    m ≤ ``MAX_POOL_GENERATIONS``). Exact. Source: Seddik et al. §3 and App. B;
    docs/theory.md §6. Simulator twin: :func:`montecarlo.language_model.simulate` (``sq_norm``).
    """
    _check_window(workflow, window, "sq_norm")
    m = _gens(t)
    if workflow == "fully-synthetic":
        out = 1.0 - (1.0 - 1.0 / real) * (1.0 - 1.0 / synthetic) ** (m - 1).astype(float) * (1.0 - s0)
    elif workflow == "partially-synthetic":
        out = _theorem2(real, synthetic, s0, m)
    elif workflow == "accumulate":
        out = 1.0 - (1.0 - _first(real, s0)) * _accumulate_factor(real, synthetic, m)
    else:
        mmax = int(m.max(initial=1))
        if mmax > MAX_POOL_GENERATIONS:
            raise InvalidParameterError.of(
                "t", "sq_norm", f"must be at most {MAX_POOL_GENERATIONS} for "
                f"{workflow} (an O(m²) recursion). Got {mmax} instead.")
        if workflow == "accumulate-subsample":
            out = pool_recursion(real, synthetic, mmax, s0, subsample=True)[m - 1]
        else:
            scheme = "window" if workflow == "recent-window" else "random"
            out = gram_recursion(real, synthetic, mmax, s0, scheme=scheme, window=window)[m - 1]
    return _out(out, t)


@validate(workflow=WORKFLOW, real=COUNT, synthetic=COUNT, s0=SQ_NORM)
def sq_norm_limit(workflow: str, real: int, synthetic: int, s0: float) -> float:
    """lim_{m→∞} S_m: 1 (fully synthetic: total collapse); [(1 − α²)S₁ + α²/n]/(1 − β) (partially
    synthetic, the fixed point of the recursion); 1 − (1 − S₁)Γ(1 + a)²/(Γ(1 + a − x)Γ(1 + a + x)), a = N/n,
    x = 1/√n (accumulate). Exact."""
    if workflow == "fully-synthetic":
        return 1.0
    if workflow in ("accumulate-subsample", "recent-window", "random-past"):
        raise InvalidParameterError.of(
            "workflow", "sq_norm_limit", "must be 'fully-synthetic', 'partially-synthetic' or "
            f"'accumulate' ({workflow} has no closed-form limit; evaluate sq_norm at large m). "
            f"Got {workflow!r} instead.")
    s1 = _first(real, s0)
    if workflow == "partially-synthetic":
        a = _alpha(real, synthetic)
        b = a * a * (1.0 - 1.0 / synthetic)
        return float(((1.0 - a * a) * s1 + a * a / synthetic) / (1.0 - b))
    return float(1.0 - (1.0 - s1) * _accumulate_factor_limit(real, synthetic))


@renamed(generations="t")
@validate(workflow=Options(("fully-synthetic", "partially-synthetic", "accumulate")), real=COUNT, synthetic=COUNT,
          t=GENERATION, first=SQ_NORM)
def sq_norm_given_first(workflow: str, real: int, synthetic: int, t: int | np.ndarray,
                        first: float):
    """E[‖p⁽ᵐ⁾‖² | p⁽¹⁾] at generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens) for an
    observed first model with ‖p⁽¹⁾‖² = ``first`` (e.g. an n-gram model fitted on
    a real corpus, retrained from there). Exact for these three workflows: their S_m is affine in S₁ alone
    (the recursions use S₁ and E⟨p⁽¹⁾, p⁽ᵏ⁾⟩ = ‖p⁽¹⁾‖²), so this is :func:`sq_norm` at the S₀ with
    1/N + (1 − 1/N)S₀ = first: fully synthetic 1 − (1 − 1/n)^(m−1)(1 − first), etc. Needs first ≥ 1/N (true
    of any empirical law of N tokens)."""
    if first < 1.0 / real * (1 - 1e-12):
        raise InvalidParameterError.of("first", "sq_norm_given_first", "must be at least 1/real = "
                                    f"{1.0 / real:.6g} (an empirical law of N tokens). Got {first!r} instead.")
    s0 = 1.0 if real == 1 else min(1.0, max((first - 1.0 / real) / (1.0 - 1.0 / real), 1e-300))
    return sq_norm(workflow, real, synthetic, t, s0)


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM)
def partial_recursion(real: int, synthetic: int, t: int, s0: float) -> np.ndarray:
    """S_1..S_m of the partially synthetic chain by the exact recursion (not the closed form):
    S_m = (1 − α²)S₁ + α²/n + α²(1 − 1/n)S_{m−1}, from ‖p⁽ᵐ⁾‖² = (1 − α)²‖p⁽¹⁾‖² + α²‖q̂‖² + 2α(1 − α)⟨p⁽¹⁾, q̂⟩,
    E[‖q̂‖² | p⁽ᵐ⁻¹⁾] = 1/n + (1 − 1/n)‖p⁽ᵐ⁻¹⁾‖² and E⟨p⁽¹⁾, p⁽ᵏ⁾⟩ = S₁ for every k (the real part is shared
    and the synthetic part is conditionally unbiased). Returns an array of length m = ``t`` (SED's m; t = 1 is
    the fit on the real tokens)."""
    a = _alpha(real, synthetic)
    s1 = _first(real, s0)
    out = np.empty(int(t))
    out[0] = s1
    for k in range(1, int(t)):
        out[k] = (1.0 - a * a) * s1 + a * a / synthetic + a * a * (1.0 - 1.0 / synthetic) * out[k - 1]
    return out


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM)
def pool_recursion(real: int, synthetic: int, t: int, s0: float, *, subsample: bool = True) -> np.ndarray:
    """S_1..S_m, m = ``t`` (SED's m; t = 1 is the fit on the real tokens), of the pooled workflows by exact
    pairwise collision probabilities (an O(m²) recursion).

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
    N, n, m = int(real), int(synthetic), int(t)
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


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM, scheme=Options(("window", "random")),
          window=WINDOW)
def gram_recursion(real: int, synthetic: int, t: int, s0: float, *, scheme: str = "window",
                   window: int | None = None) -> np.ndarray:
    """S_1..S_m, m = ``t`` (SED's m; t = 1 is the fit on the real tokens), of the fresh-sample variants by the
    Gram matrix G_ab = E⟨p⁽ᵃ⁾, p⁽ᵇ⁾⟩ (exact, no sampling).

    Model 0 is the true law p (G_00 = S₀ and G_0j = S₀ for every j, since E p⁽ʲ⁾ = p); model 1 is fitted on
    the N real tokens (G_11 = S₁). Fresh tokens from a model are conditionally i.i.d., so two distinct tokens
    from models a and b agree with probability G_ab (G_aa = E‖p⁽ᵃ⁾‖² for a = b), and E⟨p⁽ᵐ⁾, p⁽ʲ⁾⟩ is the
    average of G_uj over the models u that generation m samples from:

    - ``"window"`` (recent-window, K = ``window``): n tokens from each model u of W = {max(0, m − K)..m − 1}
      (|W| = K'): S_m = (1/K'²)[K'/n − (1/n)Σ_{u∈W} G_uu + Σ_{u,u'∈W} G_uu'], G_mj = (1/K')Σ_{u∈W} G_uj;
      O(K²) per generation. K = 1 reproduces the fully synthetic law (a test);
    - ``"random"`` (random-past): n tokens from the mixture (1/m)Σ_{u<m} p⁽ᵘ⁾:
      S_m = 1/n + (1 − 1/n)(1/m²)Σ_{u,u'<m} G_uu', G_mj = (1/m)Σ_{u<m} G_uj; kept as column sums, O(m) per
      generation.
    """
    if scheme == "window" and window is None:
        raise InvalidParameterError.of("window", "gram_recursion", "is required for scheme 'window'.")
    n, m = float(synthetic), int(t)
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
