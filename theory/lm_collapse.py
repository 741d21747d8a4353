"""Collapse of the fully synthetic language model: when p⁽ᵐ⁾ becomes a Dirac mass, and how far it drifts.

Model and workflows: :mod:`theory.lm_chain` (docs/theory.md §6; Seddik, Chen, Hayou, Youssef, Debbah, "How Bad
is Training on Synthetic Data? A Statistical Analysis of Language Model Collapse", arXiv:2404.05090, Theorem 1
and App. B). ρ_m = P(p⁽ᵐ⁾ is a Dirac mass) (collapsed by generation m; once collapsed a fully synthetic chain
stays collapsed), T = min{m ≥ 1 : ‖p⁽ᵐ⁾‖_∞ = 1}, s̃ = |supp p|, S_m = E‖p⁽ᵐ⁾‖₂² (:func:`theory.lm_chain.sq_norm`).

Bounds from S_m (fully synthetic, exact inequalities):

- Collapse-probability bounds (Theorem 1 eq. 7, generalised): with L₁ = N and
  L_m = n (m ≥ 2) the lattice of p⁽ᵐ⁾, max(0, 1 − L_m(1 − S_m)) ≤ ρ_m ≤ 1 − (1 − S_m)/(1 − 1/s̃). The
  lower bound is negative for small m (it is clipped at 0 and the clipping is documented). Collapse-time
  bounds (eq. 8, generalised): 1 + (1 − S₀)(1 − 1/N)n/(1 − 1/s̃) ≤ E[T] ≤ 1 + (N − 1)(1 − S₀) +
  (1 − 1/N)(1 − S₀)n(n − 1); at N = n these are the paper's 1 + (1 − S₀)(n − 1)/(1 − 1/s̃) and
  1 + (1 − S₀)n(n − 1). Proposition 1: the chain is absorbed at δ_i with probability p_i.

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
:func:`max_synthetic` (by default the amount that Theorem 3 gives, coefficient 4π/e²; ``form="printed"``: eq. 11
as printed, coefficient 2π/e², a typo in its logarithmic branch), with G_n(s)'s first case in the reading that
makes it continuous (the extracted text garbles it; see their docstrings). Theorem 4 (φ(ζ) in place of 2) is not
implemented.
Also importable from :mod:`theory.language_model`.
Simulator twin: :func:`montecarlo.language_model.simulate` (``collapse_prob``, ``collapse_time``, ``deviation``,
``absorption``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
from model_collapse.theory.lm_chain import COUNT, GENERATION, SIZE, SQ_NORM, _gens, _out, check_setting, sq_norm
from model_collapse.validation import Interval, InvalidParameterError, Options, renamed, validate
from scipy import optimize
from scipy.special import gammaln

__all__ = [
    "MAX_STATES",
    "ExactChain",
    "deviation_bound",
    "max_synthetic",
    "collapse_prob_bounds",
    "collapse_time_bounds",
    "absorption_probabilities",
    "exact_chain",
    "collapse_time_wright_fisher",
]

MAX_STATES = 4000  # exact_chain: largest lattice it will build (dense linear algebra)


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


#: which reading of eq. 11 :func:`max_synthetic` returns
MAX_SYNTHETIC_FORM = Options(("theorem3", "printed"))


@validate(real=COUNT, vocab=SIZE, eps=Interval(Real, 0, None, closed="neither"), form=MAX_SYNTHETIC_FORM)
def max_synthetic(real: int, vocab: int, eps: float, *, form: str = "theorem3") -> float:
    """The largest synthetic amount n (real-valued) for which Theorem 3's first case keeps its bound ≤ ε
    (eq. 11; SED §3.2), in the first-case region C₀n/e + 2 ≤ s, i.e. n ≤ (2π/e²)(s − 2).

    ``form="theorem3"`` (default), derived from :func:`deviation_bound`: with C₀/(2e) = e²/(4π),
    (1/N)·√(πn/2)·C₁s·e^{e²n/(4π)} ≤ ε  ⟺  n ≤ (4π/e²)·log(√2·π·Nε/(6es·√n)) (C₁ = 6e/π^{3/2}), so
        n = min{(2π/e²)(s − 2), n*},   n* the root of n = (4π/e²)·log(√2·π·Nε/(6es√n))
    (the bound is increasing in n, so n* is unique; at n = n* the bound equals ε exactly).
    ``form="printed"``: eq. 11 as printed, n ≤ (2π/e²)·min{s − 2, log(√(2π)·Nε/(6es))} (0 when the logarithm is
    negative). Its s − 2 branch is the case condition itself (right); its logarithmic branch has half the
    coefficient (2π/e² for 4π/e²), √(2π) for √2·π and no √n: a typo. It is still a valid sufficient condition
    (its n keeps the bound below ε, tests/test_language_model.py) but allows about half the synthetic data the
    theorem gives: at ε = 0.1, s = 600, N = 10⁶: 2.76 printed, 5.10 from Theorem 3. Both grow logarithmically in
    N; their ratio tends to 2. Both rest on G_n(s)'s first case, whose extracted text is garbled (see
    :func:`deviation_bound`); against the exact chain both are valid (the true drift is orders of magnitude
    below ε, docs/lm.md).
    """
    cap = (2 * math.pi / math.e**2) * (vocab - 2.0)
    if form == "printed":
        value = (2 * math.pi / math.e**2) * min(vocab - 2.0, math.log(math.sqrt(2 * math.pi) * real * eps
                                                                       / (6 * math.e * vocab)))
        return max(0.0, float(value))
    if cap <= 0:
        return 0.0
    log_target = math.log(real * eps)

    def gap(n: float) -> float:  # log(N · bound(n)) − log(Nε), increasing in n
        return 0.5 * math.log(math.pi * n / 2) + math.log(C1 * vocab) + C0 * n / (2 * math.e) - log_target

    if gap(cap) <= 0:
        return float(cap)
    lo = 1e-300
    if gap(lo) >= 0:
        return 0.0
    return float(optimize.brentq(gap, lo, cap, xtol=1e-14, rtol=1e-14))


def _support_for_bounds(support, vocab):
    size = support if support is not None else vocab
    return math.inf if size is None else float(size)


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION, s0=SQ_NORM, support=SIZE, vocab=SIZE)
def collapse_prob_bounds(real: int, synthetic: int, t, s0: float, support: int | None = None,
                         vocab: int | None = None):
    """Fully synthetic: (lower, upper) bounds on ρ_m = P(p⁽ᵐ⁾ is a Dirac mass) (Theorem 1 eq. 7, N ≠ n) at
    generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens).

    From S_m ≥ ρ_m + (1 − ρ_m)/s̃ (σ_m ≥ 1/s̃ on the support) and S_m ≤ E‖p⁽ᵐ⁾‖_∞ ≤ ρ_m + (1 − 1/L_m)(1 − ρ_m)
    (a non-Dirac law on the lattice 1/L_m has max ≤ 1 − 1/L_m; L₁ = N, L_m = n for m ≥ 2):
    lower = max(0, 1 − L_m(1 − S_m)) (**clipped at 0**: the unclipped value is negative until
    m ≈ 1 + n·ln(n(1 − S₀))), upper = 1 − (1 − S_m)/(1 − 1/s̃). With the support unknown it is bounded by
    the vocabulary (s̃ ≤ s), and with neither given s̃ → ∞ (upper = S_m), still a valid bound.
    """
    check_setting(s0, support, vocab, "collapse_prob_bounds")
    m = _gens(t)
    s_m = np.asarray(sq_norm("fully-synthetic", real, synthetic, m, s0), dtype=float)
    lattice = np.where(m == 1, float(real), float(synthetic))
    lower = np.maximum(0.0, 1.0 - lattice * (1.0 - s_m))
    st = _support_for_bounds(support, vocab)
    upper = np.ones_like(s_m) if st == 1 else 1.0 - (1.0 - s_m) / (1.0 - 1.0 / st)
    return _out(lower, t), _out(upper, t)


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
        raise InvalidParameterError.of(
            "p", where, "must be a 1-D array of non-negative finite weights with a positive sum.")
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

    ``collapse_prob[j]`` = ρ_{m_j} and ``sq_norm[j]`` = S_{m_j} at the requested generations m_j = ``t[j]``;
    ``collapse_time`` = E[T]; ``absorption`` = P(absorbed at δ_i) per token of p (Proposition 1: = p);
    ``states`` = number of lattice states with n tokens.
    """

    t: np.ndarray
    collapse_prob: np.ndarray
    sq_norm: np.ndarray
    collapse_time: float
    absorption: np.ndarray
    states: int

    def as_dict(self) -> dict:
        return {
            "t": self.t.tolist(),
            "collapse_prob": self.collapse_prob.tolist(),
            "sq_norm": self.sq_norm.tolist(),
            "collapse_time": self.collapse_time,
            "absorption": self.absorption.tolist(),
            "states": self.states,
        }


def _n_states(total: int, parts: int) -> int:
    return math.comb(total + parts - 1, parts - 1)


@renamed(generations="t")
@validate(real=COUNT, synthetic=COUNT, t=GENERATION)
def exact_chain(p, real: int, synthetic: int, t=1) -> ExactChain:
    """Fully synthetic chain solved exactly on the lattice of token counts (no sampling, no approximation), at
    generation(s) m = ``t`` (SED's m; t = 1 is the fit on the real tokens).

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
    m = _gens(t)
    if st == 1:
        ones = np.ones(m.shape)
        return ExactChain(m.reshape(-1), ones.reshape(-1), ones.reshape(-1), 1.0, np.array([1.0]), 1)
    for name, value in (("synthetic", synthetic), ("real", real)):
        k = _n_states(value, st)
        if k > MAX_STATES:
            raise InvalidParameterError.of(
                name, "exact_chain", f"gives {k} lattice states on a support of {st} tokens, more "
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
