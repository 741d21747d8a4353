"""SMC Fig. 1 (random projections): the Pareto diagram of real-only error against mixed-data error.

Setting (chosen; the paper's exact values were not available): total n = 500, isotropic d = 1000, λ = 10⁻³,
r² = 1, σ₁ = σ₂ = 0.5; one point per (ψ = m/n, p₂): x = test error with all 500 samples real (p₂ = 0), y = test
error on the mix (500 samples, a fraction p₂ synthetic); quality levels c² ∈ {0.01 (very high), 0.1 (high),
1 (low), 10 (very low)}. Theory (:func:`theory.random_projections.predict`) for every point, simulation
(:func:`montecarlo.random_projections.simulate`) for c² = 1, p₂ = 0.2, m ∈ {100, 300, 1000}; the Pareto frontier of each
quality level is the set of points no other point of that level beats in both x and y.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    grid,
    label_grid,
    log_axis,
    rows,
    shared_legend,
    table,
)
from model_collapse.figures.style import PALETTE
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


LAYOUT = Layout(panels=4, page_cols=2, column_cols=2, aspect=0.78, column_aspect=0.95, legend_rows=3,
                column_legend_rows=7)
SIM_COLOR = PALETTE["vermillion"]


def plot(tab: Table, fig) -> None:
    axes = grid(fig, LAYOUT, sharex=True, sharey=True)
    th_all = rows(tab, kind="theory")
    lo = min(th_all["x"].min(), th_all["y"].min()) / 1.08
    x_hi, y_hi = th_all["x"].max() * 1.15, th_all["y"].max() * 1.12
    hi = max(x_hi, y_hi)
    norm = LogNorm(th_all["psi"].min(), th_all["psi"].max())
    sim = rows(tab, kind="simulation")
    for ax, c2 in zip(axes, C2S, strict=True):
        ax.plot([lo, hi], [lo, hi], color="black", ls="--", lw=0.8, zorder=1)
        t = rows(tab, kind="theory", c2=c2)
        sc = ax.scatter(t["x"], t["y"], c=t["psi"], cmap="viridis", norm=norm, marker=MARKERS[c2], s=12,
                        edgecolors="black", linewidths=0.25, zorder=3)
        f = t["frontier"].astype(bool)
        order = np.argsort(t["x"][f])
        ax.plot(t["x"][f][order], t["y"][f][order], color="0.25", lw=1.0, zorder=2)
        s = rows(sim, c2=c2)
        if len(s["x"]):
            ax.plot(s["x"], s["y"], ls="none", marker="o", ms=6, mfc="none", mec=SIM_COLOR, mew=1.0, zorder=4)
            ax.errorbar(s["x"], s["y"], xerr=2 * s["x_se"], yerr=2 * s["y_se"], fmt="none", ecolor=SIM_COLOR,
                        elinewidth=0.8, capsize=1.5, zorder=4.5)
        ax.set_title(f"{NAMES[c2]} quality, c² = {c2:g}")
        ax.grid(True, which="major")
        ax.set_xlim(lo, x_hi)  # the clean error stays below ~10; the mixed one reaches ~60 at low quality
        ax.set_ylim(lo, y_hi)
        log_axis(ax, "x")
        log_axis(ax, "y")
    label_grid(axes, "test error, all samples real", "test error on the mix")
    bar = fig.colorbar(sc, ax=axes, location="bottom", fraction=0.04, aspect=40, pad=0.02)
    bar.set_label("ψ = m/n (model size / sample size)")
    bar.ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 3.0)))
    bar.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    handles = [Line2D([], [], ls="none", marker=MARKERS[c2], ms=4.5 if MARKERS[c2] == "*" else 3.5, mfc="0.75",
                      mec="black", mew=0.3, label=f"theory, c² = {c2:g} ({NAMES[c2]})") for c2 in C2S]
    handles += [Line2D([], [], color="black", ls="--", lw=0.8, label="diagonal (no synthetic data)"),
                Line2D([], [], color="0.25", lw=1.0, label="Pareto frontier of the level"),
                Line2D([], [], ls="none", marker="o", ms=6, mfc="none", mec=SIM_COLOR, mew=1.0,
                       label=f"simulation ± 2 SE (c² = {SIM_C2:g}, p₂ = {SIM_P2:g})")]
    shared_legend(fig, handles, ncols=3, column_ncols=1)


FIGURE = Figure(
    id="smc_pareto",
    title="Real-only error against mixed-data error, one point per (m/n, p2) (SMC Fig. 1)",
    caption=("Random projections, n = 500, isotropic d = 1000, λ = 1e-3, r² = 1, σ₁ = σ₂ = 0.5, "
             "p₂ ∈ {0.02, 0.1, 0.2, 0.4, 0.6, 0.8}, ψ = m/n from 0.03 to 10 (colour, log scale); one panel per quality "
             "c² = 0.01, 0.1, 1, 10 (marker shapes: squares, diamonds, triangles, stars, named in the key), shared "
             "axes; x = the error with all n = 500 samples real, y = on the mix. Grey: Pareto frontier per "
             "quality level. Markers: deterministic "
             "theory; open vermillion circles: simulation ± 2 SE (6 draws of S and X) at c² = 1, p₂ = 0.2, m ∈ {100, 300, 1000}. "
             "Every point lies above the diagonal: synthetic data never beats the same amount of real data."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
