"""The KDE test NLL at finite n: the pair genealogy of the fitted points and a second-order expansion.

Model and workflows: :mod:`theory.kde_variance` (docs/theory.md §5.3; Kazdan, Schaeffer et al., "Collapse or
Thrive?", §2.3 and App. C). At iteration t the fitted set F_t has m points (m = n under replace, t·n under
accumulate) and the test NLL is E_x[−log S(x)], S(x) = (1/m)·Σ_{y∈F_t} φ_h(x − y), φ_h = N(0, h²I_D).

**Genealogy.** Every point of F_t is its real ancestor plus a sum of independent N(0, h²I) kernel
displacements, one per refit on its line; the parent choices are uniform and independent of the positions.
Draw J, K independently and uniformly from F_t (J = K allowed) and trace both lines back. They first meet
at a point Z (or never: distinct real ancestors). Given the meeting, J = Z + N(0, a·h²), K = Z + N(0, b·h²)
independently, and Z = (real point) + N(0, c·h²), so with α = (a + 1)h², β = (b + 1)h² (the fitted kernel
added):

    E[φ(x − J)φ(x − K) | meet] = (2π(α + β))^(−D/2) · q_{c h² + αβ/(α+β)}(x),   q_s = P₀ * N(0, sI).

- replace (m = n): they meet k = 0..t−1 refits back with probability (1 − 1/n)^k/n (k = 0: J = K),
  a = b = k, c = t − 1 − k; no meeting with probability (1 − 1/n)^t (then a = b = t − 1).
- accumulate (m = t·n, fixed h): the blocks on a line are independent, block j ≥ 1 with probability
  p_j = 1/(j + 1) (the uniform-descent coupling of :func:`theory.kde_variance.kernel_count_pmf`), and at a
  block both lines visit they hold the same point with probability 1/n. The first meeting at block c
  (from the top) with a, b visits above it has weight [x^a y^b] Π_{j>c}[(1 − p_j)² + p_j(1 − p_j)(x + y)
  + p_j²(1 − 1/n)xy] · p_c²/n (p₀ = 1), and c ~ the kernel count K_c of a point of block c (0 for c = 0);
  no meeting: the same product down to j = 1, times 1 − 1/n.
- t = 1 (every workflow, every bandwidth): F₁ = D₀.

E S² is the sum of these terms and E S = μ_t, the annealed density of :mod:`theory.kde_workflow`. Designed
real data (``blobs``: fixed counts per centre; ``circles``, ``moons``: angles on a grid) are not i.i.d.: two
distinct real points then have E[Q_I Q_J] = q_a q_b + (q_a q_b − G_ab)/(n − 1), G_ab = E_c[N(x; c, σ₀² + a)
N(x; c, σ₀² + b)] over the design (c the centre / curve point, σ₀ the noise). Every term is a blurred data
density, evaluated on the quadrature nodes of :mod:`theory.kde_quadrature`.

**Expansion.** E log S = log μ − Var S/(2μ²) + O(E|S − μ|³/μ³): E NLL_t ≈ NLL_∞ + (1/2)·E_x[Var S(x)/μ(x)²]
(``expansion``; the ratio r(x) = Var S/μ² is 1/(effective number of kernels at x)). It holds where r(x) ≪ 1
over the test law; it fails when h is small against the spacing of the fitted points near the test mass
(blobs and the swiss roll at n = 100, replace at large t), where r(x) ≫ 1 and the term grows without bound.
The next order was measured against simulation: |E NLL_t − expansion| ≤ 2.5·term² (``ALLOWANCE_COEF``)
wherever term ≤ 0.1 (``TERM_MAX``) and at most half of the term comes from test points with r(x) > 1
(``TAIL_MAX``; Gaussian tails at small h), the range where :func:`theory.kde_workflow.predict` returns it.

**Bounds** (every n, every h, no expansion): E NLL_t ≥ NLL_∞ (Jensen) and, pointwise in x,
E[−log S] ≥ E[min_y |x − y|²]/(2h²) + (D/2) ln(2πh²) ≥ (1/(2h²))∫₀^∞ (1 − m·F_x(r))₊ dr + (D/2) ln(2πh²),
F_x(r) = P(|x − Y|² ≤ r) for one fitted point Y (the union bound: it needs no independence), the
*nearest-neighbour bound* (``nll_lower``: the larger of the two at each x, averaged over x). Gaussian and
blobs data: F_x is a mixture of non-central χ² laws (closed form).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from model_collapse.theory.kde_quadrature import BLOB_STD, NOISE, _Blobs, _data_law, _Gaussian, _SwissRoll
from model_collapse.theory.kde_variance import _laws, _log_cycle_pmf, _schedule
from scipy.special import logsumexp

__all__ = ["FiniteN", "finite_n", "covered", "usable", "TERM_MAX", "TAIL_MAX", "ALLOWANCE_COEF"]

_PROB_CUT = 1e-15  # genealogy configurations below this probability are dropped (their total is reported)
_DESIGNED = {"blobs": BLOB_STD**2, "circles": NOISE**2, "moons": NOISE**2}  # dataset -> σ₀² of a designed law
_GRID_PER_DOUBLING = 32  # costly datasets: log q_s interpolated in ln s on this geometric grid
_EXACT_ATOMS = 400  # fewer distinct s than this (or a cheap dataset): every s evaluated exactly


@dataclass(frozen=True)
class FiniteN:
    """Finite-n NLL terms at one iteration: ``expansion`` = NLL_∞ + E_x[r]/2, ``gamma`` (gamma closure),
    ``nll_limit`` = NLL_∞ of the simulator's design, ``nll_lower`` = the best lower bound (the nearest-neighbour
    bound for gaussian and blobs data where the expansion is not used (term > TERM_MAX); Jensen's nll_limit else),
    ``term`` = E_x[r]/2 (its self part J = K alone where that exceeds 1.5·TERM_MAX: the expansion is not used
    there), ``tail_share`` = the part of E_x[r] from test points with r(x) > 1 (1 where not computed),
    ``r_quantile`` = the 99 % quantile of r(x) over the test law, ``dropped`` = genealogy
    mass below the probability cut."""

    expansion: float
    nll_limit: float
    nll_lower: float
    term: float
    tail_share: float
    r_quantile: float
    dropped: float


# --------------------------------------------------------------------------------------------------
# Pair genealogy: arrays (prob, a + 1, b + 1, c) for meetings and (prob, a + 1, b + 1) for no meeting
# --------------------------------------------------------------------------------------------------


def _replace_pairs(t: int, n: int):
    k = np.arange(t, dtype=float)
    pm = (1.0 - 1.0 / n) ** k / n
    meet = (pm, k + 1.0, k + 1.0, t - 1.0 - k)
    never = (np.array([(1.0 - 1.0 / n) ** t]), np.array([float(t)]), np.array([float(t)]))
    return meet, never, 0.0


@lru_cache(maxsize=256)
def _accumulate_pairs(t: int, n: int):
    """First meetings of two uniform pool points under accumulate (module docstring), fixed h."""
    W = np.zeros((t, t))  # W[a, b]: weight of a, b visits above the current block, no meeting so far
    W[0, 0] = 1.0
    P, A, B, C = [], [], [], []
    dropped = 0.0
    for c in range(t - 1, -1, -1):
        p = 1.0 if c == 0 else 1.0 / (c + 1)
        hit = W * (p * p / n)
        if c >= 1:
            lo, logk = _log_cycle_pmf(c)
            kz = np.arange(lo, lo + logk.size)
            pk = np.exp(logk)
        else:
            kz, pk = np.array([0]), np.array([1.0])
        ia, ib = np.nonzero(hit > 0)
        w = hit[ia, ib]
        full = w[:, None] * pk[None, :]
        keep = full > _PROB_CUT
        dropped += float(full[~keep].sum())
        ii, kk = np.nonzero(keep)
        P.append(full[ii, kk])
        A.append(ia[ii] + 1.0)
        B.append(ib[ii] + 1.0)
        C.append(kz[kk].astype(float))
        if c == 0:
            break
        new = (1 - p) ** 2 * W
        new[1:, :] += p * (1 - p) * W[:-1, :]
        new[:, 1:] += p * (1 - p) * W[:, :-1]
        new[1:, 1:] += p * p * (1 - 1.0 / n) * W[:-1, :-1]
        W = new
    ia, ib = np.nonzero(W > _PROB_CUT)
    dropped += float(W[W <= _PROB_CUT].sum() * (1 - 1.0 / n))
    never = (W[ia, ib] * (1 - 1.0 / n), ia + 1.0, ib + 1.0)
    meet = tuple(np.concatenate(x) for x in (P, A, B, C))
    return meet, never, dropped


# --------------------------------------------------------------------------------------------------
# Node rows: log q_s at every quadrature node of the test law
# --------------------------------------------------------------------------------------------------


def _weights(law) -> np.ndarray:
    return law.weights


def _rows_exact(law, s: np.ndarray) -> np.ndarray:
    """log q_s at the nodes, (len(s), N); the swiss roll's product nodes flattened (i13 major)."""
    if isinstance(law, _SwissRoll):
        rows = law._rows(s)
        n13 = law.w13.size
        return (rows[:, :n13, None] + rows[:, None, n13:]).reshape(s.size, -1)
    return law._rows(s)


def _rows(law, s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    uniq, inv = np.unique(s, return_inverse=True)
    return _rows_exact(law, uniq)[inv]


def _log_mix(law, s: np.ndarray, coef: np.ndarray, cheap: bool) -> np.ndarray:
    """log Σ_i coef_i·q_{s_i} at the nodes (coef > 0).

    Cheap datasets, or fewer than ``_EXACT_ATOMS`` distinct s: exact. Otherwise each coef_i is split linearly
    in ln s between the two neighbouring points of a geometric grid (``_GRID_PER_DOUBLING`` per doubling),
    i.e. q_s is interpolated linearly in ln s; the error is measured in tests/test_kde_likelihood.py."""
    s = np.asarray(s, dtype=float)
    key = np.round(s, 12)
    uniq, inv = np.unique(key, return_inverse=True)
    c = np.bincount(inv, weights=coef)
    if cheap or uniq.size <= _EXACT_ATOMS:
        return logsumexp(_rows_exact(law, uniq) + np.log(c)[:, None], axis=0)
    lo, hi = np.log2(uniq[0]), np.log2(uniq[-1])
    k0 = np.floor(lo * _GRID_PER_DOUBLING)
    g = 2.0 ** ((k0 + np.arange(int(np.ceil(hi * _GRID_PER_DOUBLING) - k0) + 2)) / _GRID_PER_DOUBLING)
    x, u = np.log(g), np.log(uniq)
    j = np.clip(np.searchsorted(x, u, side="right") - 1, 0, x.size - 2)
    th = (u - x[j]) / (x[j + 1] - x[j])
    cg = np.bincount(j, weights=(1 - th) * c, minlength=g.size) + np.bincount(j + 1, weights=th * c, minlength=g.size)
    keep = cg > 0
    return logsumexp(_rows_exact(law, g[keep]) + np.log(cg[keep])[:, None], axis=0)


# --------------------------------------------------------------------------------------------------
# The ratio r(x) = Var S(x)/μ(x)² at the nodes
# --------------------------------------------------------------------------------------------------


def _ratio(law, D: int, h: float, n: int, pairs, atoms, dataset: str, cheap: bool):
    """(r = Var S/μ² at the nodes, log μ at the nodes)."""
    meet, never, _ = pairs
    h2 = h * h
    vals, probs = atoms
    logmu = logsumexp(_rows(law, vals) + np.log(probs)[:, None], axis=0)
    # meetings: (2π(α + β))^(−D/2)·q_s, s = c h² + αβ/(α + β)
    pm, a1, b1, c = meet
    pref = pm * (2 * np.pi * (a1 + b1) * h2) ** (-0.5 * D)
    second = np.exp(_log_mix(law, (c + a1 * b1 / (a1 + b1)) * h2, pref, cheap) - 2 * logmu)
    # no meeting: distinct real ancestors, q_a·q_b
    pn, an, bn = never
    av, inv = np.unique(np.concatenate([an, bn]), return_inverse=True)
    ra = _rows(law, av * h2)
    ia, ib = inv[: an.size], inv[an.size :]
    indep = np.exp(logsumexp(ra[ia] + ra[ib] + np.log(pn)[:, None], axis=0) - 2 * logmu)
    r = second + indep - 1.0
    if dataset in _DESIGNED:  # E[Q_I Q_J | I ≠ J] = q_a q_b + (q_a q_b − G_ab)/(n − 1)
        s0 = _DESIGNED[dataset]
        va, vb = s0 + an * h2, s0 + bn * h2
        gp = pn * (2 * np.pi * (va + vb)) ** (-0.5 * D)
        G = np.exp(_log_mix(law, va * vb / (va + vb) - s0, gp, cheap) - 2 * logmu)
        r = r + (indep - G) / (n - 1)
    return r, logmu


def _gaussian_cdf_rows(law, D, point_vars, pv_probs, r):
    """An upper bound on F_x(r) = P(|x − Y|² ≤ r) at the nodes, Y ~ Σ p_v (P₀ * N(0, vI)) (gaussian, blobs):
    the non-central χ² mixture over the atoms kept, plus the mass of the atoms dropped (p < 1e-12·max)."""
    from scipy.special import chndtr

    if isinstance(law, _Gaussian):
        d2 = (2.0 * law.u)[None, :]  # |x|² at the nodes
        cw, s0 = np.array([1.0]), 1.0
    else:
        d2 = np.sum((law.x[None, :, :] - law.c[:, None, :]) ** 2, axis=-1)  # (k, N)
        cw, s0 = np.full(law.c.shape[0], 1.0 / law.c.shape[0]), BLOB_STD**2
    keep = pv_probs >= 1e-12 * pv_probs.max()
    out = np.full((r.shape[0], d2.shape[1]), float(pv_probs[~keep].sum()))
    for v, p in zip(point_vars[keep], pv_probs[keep], strict=True):
        s = s0 + v
        for j in range(d2.shape[0]):
            out += p * cw[j] * chndtr(r / s, D, np.broadcast_to(d2[j] / s, r.shape))
    return out


def _nn_lower(law, D, h, m, point_vars, pv_probs, logmu, nodes_r: int = 12):
    """Pointwise max(−log μ, E min|x − y|²/(2h²) + (D/2)ln 2πh²) with the union bound, averaged (module doc).

    E min_j |x − y_j|² ≥ ∫₀^{r*} (1 − m·F_x(r)) dr for any r* with m·F_x(r*) ≤ 1 (the integrand is ≥ 0
    there): r* from 16 bisection steps in ln r on [−30, 10] from below (ln r* to 6e-4), the integral by
    Gauss–Legendre."""
    N = logmu.size
    lo, hi = np.full(N, -30.0), np.full(N, 10.0)
    for _ in range(16):
        mid = 0.5 * (lo + hi)
        below = m * _gaussian_cdf_rows(law, D, point_vars, pv_probs, np.exp(mid)[None, :])[0] <= 1.0
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    rstar = np.exp(lo)
    z, wz = np.polynomial.legendre.leggauss(nodes_r)
    rr = rstar[None, :] * (z[:, None] + 1) / 2
    integrand = np.clip(1.0 - m * _gaussian_cdf_rows(law, D, point_vars, pv_probs, rr), 0.0, None)
    emin = (wz[:, None] * integrand).sum(axis=0) * rstar / 2
    nn = emin / (2 * h * h) + 0.5 * D * np.log(2 * np.pi * h * h)
    return np.maximum(-logmu, nn)


def _bound_law(law, centers, test_centers):
    """The (coarser) node set of the nearest-neighbour bound: blobs 16² per centre (its quadrature error,
    measured against 48², is 0.3 % of the bound; tests: < 0.5 %); gaussian: the same 160 radial nodes."""
    if isinstance(law, _Blobs):
        return _Blobs(centers, test_centers, nodes=16)
    return law


TERM_MAX = 0.1  # the expansion is used where its 1/n term E_x[r]/2 is at most this (nats)
SKIP_FACTOR = 1.5  # gaussian, blobs, swiss roll: the pair terms are skipped where the self part alone exceeds
# 1.5·TERM_MAX (the full term is ≥ 0.92 × its self part in every measured case (tests), so it is > TERM_MAX; not
# for the circles' and moons' angle grids, whose design covariance can cut the term 5-fold at t = 1)
ALLOWANCE_COEF = 2.5  # measured next-order allowance: |E NLL − expansion| ≤ 2.5·term² (tests, docs/kde.md)


TAIL_MAX = 0.5  # ... and at most half of it comes from test points where r(x) > 1 (measured: Gaussian data at
# n = 2000, h = 0.2 has term 0.058 but 75 % of it from the tails, and the expansion is 5 SE high there)


def usable(term: float, tail: float) -> bool:
    """Where predict uses the expansion: term ≤ TERM_MAX and tail_share ≤ TAIL_MAX."""
    return bool(term <= TERM_MAX and tail <= TAIL_MAX)


def covered(t: int, workflow: str, h) -> bool:
    """Whether the pair genealogy is derived: t = 1 (every workflow), replace, accumulate with a fixed h."""
    return int(t) == 1 or workflow == "replace" or (workflow == "accumulate" and h is not None)


def finite_n(t: int, *, workflow: str, dataset: str, D: int, h, bandwidth, n: int, centers=None,
             test_centers=None, bound: bool = True) -> FiniteN:
    """The finite-n terms at one iteration t (settings validated by theory.kde_workflow.nll_finite_n);
    ``bound=False`` skips the nearest-neighbour bound (nll_lower = nll_limit)."""
    t, n = int(t), int(n)
    hs = _schedule(t, workflow, D, h, bandwidth, n)
    hc = float(hs[-1])
    law = _data_law(dataset, D, centers, test_centers, n)
    cheap = dataset in ("gaussian", "blobs", "circles")
    m = t * n if workflow == "accumulate" else n
    al = _laws(np.array([t]), workflow, D, h, bandwidth, n)[0]
    atoms = (al.values, al.probs)
    w = _weights(law)
    pairs = None
    logmu = logsumexp(_rows(law, atoms[0]) + np.log(atoms[1])[:, None], axis=0)
    # the self part (J = K) of the 1/n term, one pass over the atoms: (1/m)(E φ_J²/μ² − 1)/2
    self_r = (np.exp(logsumexp(_rows(law, atoms[0] - 0.5 * hc * hc) + np.log(atoms[1])[:, None], axis=0)
                     - 2 * logmu) * (4 * np.pi * hc * hc) ** (-0.5 * D) - 1.0) / m
    self_term = 0.5 * float(np.sum(w * self_r))
    skip = dataset not in ("circles", "moons") and self_term > SKIP_FACTOR * TERM_MAX
    if covered(t, workflow, h) and not skip:
        pairs = _replace_pairs(t, n) if (t == 1 or workflow == "replace") else _accumulate_pairs(t, n)
        r, logmu = _ratio(law, D, hc, n, pairs, atoms, dataset, cheap)
        r = np.maximum(r, 0.0)  # a variance: rounding only can make it negative
        term = 0.5 * float(np.sum(w * r))
        tail = float(np.sum((w * r)[r > 1.0]) / max(np.sum(w * r), 1e-300))
        order = np.argsort(r)
        cw = np.cumsum(w[order])
        rq = float(r[order][min(int(np.searchsorted(cw, 0.99 * cw[-1])), r.size - 1)])
    elif covered(t, workflow, h):  # far outside the expansion's range: its self part alone (a lower estimate)
        term, rq, tail = self_term, float("inf"), 1.0
    else:
        term, rq, tail = float("inf"), float("inf"), 1.0
    limit = float(-np.sum(w * logmu))
    lower = limit
    if bound and isinstance(law, (_Gaussian, _Blobs)) and not usable(term, tail):  # where the expansion is not used
        bl = _bound_law(law, centers, test_centers)
        blogmu = logsumexp(_rows(bl, atoms[0]) + np.log(atoms[1])[:, None], axis=0)
        pv = np.maximum(atoms[0] - hc * hc, 0.0)
        lower = max(limit, float(np.sum(bl.weights * _nn_lower(bl, D, hc, m, pv, atoms[1], blogmu))))
    return FiniteN(expansion=limit + term, nll_limit=limit, nll_lower=lower, term=term, tail_share=tail, r_quantile=rq,
                   dropped=0.0 if pairs is None else pairs[2])
