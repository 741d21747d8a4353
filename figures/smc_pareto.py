"""SMC Fig. 1 (random projections): the Pareto diagram of real-only error against mixed-data error.

Setting (chosen; the paper's exact values were not available): total n = 500, isotropic d = 1000, λ = 10⁻³,
r² = 1, σ₁ = σ₂ = 0.5; one point per (ψ = m/n, p₂): x = test error with all 500 samples real (p₂ = 0), y = test
error on the mix (500 samples, a fraction p₂ synthetic); quality levels c² ∈ {0.01 (very high), 0.1 (high),
1 (low), 10 (very low)}. Theory (:func:`theory.random_projections.test_error`) for every point, simulation
(:func:`montecarlo.random_projections.simulate`) for c² = 1, p₂ = 0.2, m ∈ {100, 300, 1000}; the Pareto frontier of each
quality level is the set of points no other point of that level beats in both x and y.
"""

from __future__ import annotations

import numpy as np
from model_collapse.figures._base import Figure, Table, concat, rows, table
from model_collapse.montecarlo import random_projections as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues

N, D, LAM, SIGMA = 500, 1000, 1e-3, 0.5
C2S = (0.01, 0.1, 1.0, 10.0)
NAMES = {0.01: "very high", 0.1: "high", 1.0: "low", 10.0: "very low"}
MARKERS = {0.01: "s", 0.1: "D", 1.0: "^", 10.0: "*"}
P2S = (0.02, 0.1, 0.2, 0.4, 0.6, 0.8)
SIM_C2, SIM_P2, SIM_M = 1.0, 0.2, (100, 300, 1000)  # simulated subset: low quality, p₂n = 100 synthetic


def _frontier(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    order = np.lexsort((y, x))
    keep = np.zeros(x.size, dtype=bool)
    best = np.inf
    for i in order:
        if y[i] < best:
            keep[i], best = True, y[i]
    return keep


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    psis = np.logspace(-1.5, 1, 8 if quick else 24)
    psis = psis[np.abs(psis - 1) > 0.05]
    m = np.round(psis * N)
    parts: list[Table] = []
    for c2 in C2S:
        clean = th.predict(N, m, 0.0, LAM, w, c2=c2, sigma=SIGMA).total
        mix = th.predict(N, m[:, None], np.array(P2S)[None, :], LAM, w, c2=c2, sigma=SIGMA).total
        x = np.repeat(clean, len(P2S))
        y = mix.ravel()
        k = x.size
        parts.append(table(kind=["theory"] * k, c2=np.full(k, c2), psi=np.repeat(m / N, len(P2S)),
                           p2=np.tile(P2S, m.size), x=x, y=y, x_se=np.zeros(k), y_se=np.zeros(k),
                           frontier=_frontier(x, y)))
    trials = 2 if quick else 6
    for j, mm in enumerate(SIM_M[:1] if quick else SIM_M):
        real = mc.simulate(N, mm, 0.0, LAM, w, c2=SIM_C2, sigma=SIGMA, n_trials=trials, seed=point_seed(seed, j, 0))
        mixed = mc.simulate(N, mm, SIM_P2, LAM, w, c2=SIM_C2, sigma=SIGMA, n_trials=trials,
                            seed=point_seed(seed, j, 1))
        parts.append(table(kind=["simulation"], c2=[SIM_C2], psi=[mm / N], p2=[SIM_P2], x=[real.total.mean],
                           y=[mixed.total.mean], x_se=[real.total.sem], y_se=[mixed.total.sem], frontier=[False]))
    return concat(parts)


def plot(tab: Table, fig) -> None:
    ax = fig.subplots()
    sc = None
    for c2 in C2S:
        t = rows(tab, kind="theory", c2=c2)
        sc = ax.scatter(t["x"], t["y"], c=np.log10(t["psi"]), cmap="viridis", marker=MARKERS[c2], s=22,
                        label=f"{NAMES[c2]} quality (c² = {c2:g})", edgecolors="none")
        f = t["frontier"].astype(bool)
        order = np.argsort(t["x"][f])
        ax.plot(t["x"][f][order], t["y"][f][order], color="grey", lw=1.2)
    sim = rows(tab, kind="simulation")
    ax.errorbar(sim["x"], sim["y"], xerr=2 * sim["x_se"], yerr=2 * sim["y_se"], fmt="o", mfc="none", mec="red",
                ecolor="red", ms=9, label=f"simulation ± 2 SE (c² = {SIM_C2:g}, p₂ = {SIM_P2:g}, m ∈ {list(SIM_M)})")
    lo = min(tab["x"].min(), tab["y"].min())
    hi = max(tab["x"].max(), tab["y"].max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="diagonal (no synthetic data)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"test error with all n = {N} samples real")
    ax.set_ylabel(f"test error on the mix (n = {N}, fraction p₂ synthetic)")
    fig.colorbar(sc, ax=ax, label="log₁₀ ψ = log₁₀ m/n")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(f"Pareto diagram [d = {D}, λ = {LAM:g}, σ = {SIGMA:g}, p₂ ∈ {{{', '.join(f'{p:g}' for p in P2S)}}}]",
                 fontsize=10)


FIGURE = Figure(
    id="smc_pareto",
    title="Real-only error against mixed-data error, one point per (m/n, p2) (SMC Fig. 1)",
    caption=("Random projections, n = 500, isotropic d = 1000, λ = 1e-3, r² = 1, σ₁ = σ₂ = 0.5, "
             "p₂ ∈ {0.02, 0.1, 0.2, 0.4, 0.6, 0.8}, ψ = m/n from 0.03 to 10 (colour log ψ); c² = 0.01, 0.1, 1, 10 "
             "(squares, diamonds, triangles, stars). Grey: Pareto frontier per quality level. Markers: deterministic "
             "theory; red circles: simulation ± 2 SE (6 draws of S and X) at c² = 1, p₂ = 0.2, m ∈ {100, 300, 1000}. "
             "Every point lies above the diagonal: synthetic data never beats the same amount of real data."),
    compute=compute,
    plot=plot,
    figsize=(8.5, 6.5),
)
