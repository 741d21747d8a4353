"""Strong model collapse (SMC, Fig. "test error vs n"): more data does not remove the synthetic-data floor.

Setting (chosen; the paper's exact values were not available): isotropic Σ = I, d = 100, ridgeless
(λ = 0, OLS for n > d), r² = 1, σ₁ = σ₂ = 1, p₂ ∈ {0, 0.001, 0.01, 0.1, 0.2, 0.5}, one panel per quality
c² ∈ {0.1, 1, 10}. Theory: :func:`theory.ridge_mixture.predict` on a log grid of n; simulation:
:func:`montecarlo.ridge_mixture.simulate` at n from 200 to 10⁹ where p₂n is an integer (the Gram matrices are
drawn from their Wishart law, so a trial costs ~d³ whatever n: the points reach the floors, 10⁻⁷ of the
p₂ = 0 curve at n = 10⁹ is below the smallest floor p₂²c² = 10⁻⁷ only for c² = 0.1); floors:
:func:`theory.ridge_mixture.collapse_floor` (= p₂²c² at λ = 0).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    grid,
    label_grid,
    log_axis,
    points,
    rows,
    sequential_colors,
    shared_legend,
    table,
)
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

D = 100
LAM = 0.0
SIGMA = 1.0
P2S = (0.0, 0.001, 0.01, 0.1, 0.2, 0.5)
C2S = (0.1, 1.0, 10.0)
SIM_N = (200, 500, 1000, 2000, 5000, 10**4, 10**5, 10**6, 10**7, 10**8, 10**9)
SIM_N_QUICK = (500, 2000, 10**4, 10**6, 10**8)


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    c2s = C2S
    n_grid = np.unique(np.round(np.logspace(np.log10(1.5 * D), 10, 25 if quick else 130)))
    sim_n = SIM_N_QUICK if quick else SIM_N
    trials = 8 if quick else 60
    parts: list[Table] = []
    for i, c2 in enumerate(c2s):
        theory = th.predict(n_grid[:, None], np.array(P2S)[None, :], LAM, w, c2=c2, sigma=SIGMA)
        for j, p2 in enumerate(P2S):
            parts.append(table(kind=["theory"] * n_grid.size, c2=np.full(n_grid.size, c2), p2=np.full(n_grid.size, p2),
                               n=n_grid, value=theory.total[:, j], se=np.zeros(n_grid.size)))
            floor = float(th.collapse_floor(LAM, p2, w, c2=c2))
            parts.append(table(kind=["floor"], c2=[c2], p2=[p2], n=[np.nan], value=[floor], se=[0.0]))
            for k, n in enumerate(sim_n):
                if abs(p2 * n - round(p2 * n)) > 1e-9:
                    continue  # only where the simulated fraction round(p₂n)/n is exactly p₂
                est = mc.simulate(n, p2, LAM, w, c2=c2, sigma=SIGMA, n_trials=trials,
                                  seed=point_seed(seed, i, j, k))
                parts.append(table(kind=["simulation"], c2=[c2], p2=[p2], n=[float(n)], value=[est.total.mean],
                                   se=[est.total.sem]))
    return concat(parts)


LAYOUT = Layout(panels=3, page_cols=3, aspect=1.0, column_aspect=0.7, legend_rows=2, column_legend_rows=5)


def plot(tab: Table, fig) -> None:
    c2s = sorted(set(tab["c2"].tolist()))
    axes = grid(fig, LAYOUT, sharey=True, sharex=True)
    synthetic = [p2 for p2 in P2S if p2 > 0]
    colors = {0.0: "black", **sequential_colors(synthetic, reverse=True)}  # darker = more synthetic
    for ax, c2 in zip(axes, c2s, strict=True):
        for p2 in P2S:
            t = rows(tab, kind="theory", c2=c2, p2=p2)
            ax.plot(t["n"], t["value"], color=colors[p2], ls="--" if p2 == 0 else "-", zorder=2)
            f = rows(tab, kind="floor", c2=c2, p2=p2)
            if p2 > 0:
                ax.axhline(f["value"][0], color=colors[p2], ls=":", lw=0.8, zorder=1)
            s = rows(tab, kind="simulation", c2=c2, p2=p2)
            points(ax, s["n"], s["value"], yerr=2 * s["se"], color=colors[p2], ms=3.0)
        ax.set_xlim(100, 1.5e10)
        ax.set_ylim(1e-9, 30)
        log_axis(ax, "x")
        log_axis(ax, "y")
        ax.set_title(f"c² = {c2:g}")
        ax.grid(True, which="major")
    label_grid(axes, "total sample size n", "test error")
    handles = [Line2D([], [], color=colors[p2], ls="--" if p2 == 0 else "-",
                      label="p₂ = 0 (real only)" if p2 == 0 else f"p₂ = {p2:g}") for p2 in P2S]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"),
                Line2D([], [], ls="none", marker="o", ms=3.0, mfc="white", mec="black", mew=0.4,
                       label="simulation ± 2 SE"),
                Line2D([], [], color="0.3", ls=":", lw=0.8, label="floor p₂²c² (n → ∞)")]
    shared_legend(fig, handles, ncols=5, column_ncols=2)


FIGURE = Figure(
    id="strong_collapse",
    title="Test error against n for several synthetic fractions p2 (Strong Model Collapse)",
    caption=("Isotropic d = 100, ridgeless (OLS), r² = 1, σ₁ = σ₂ = 1; one panel per synthetic quality c². "
             "Lines: deterministic-equivalent theory B + V + ζ; points: simulation mean ± 2 SE (60 designs, "
             "exact conditional expectation given X; the Gram matrices drawn from their Wishart law, so the "
             "points reach n = 10⁹ and check every floor); dotted: the n → ∞ floor p₂²c². p₂ = 0 dashed black, "
             "darker = more synthetic. Any p₂ > 0 stops the error from falling, however large n."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
