"""SMC Fig. 2 (random projections): ρ, B, V, ζ and the total against ψ = m/n for two quality levels.

Setting (chosen; the paper's exact values were not available): isotropic Σ = I, n = 100, d = 300 (> n, so the
threshold m = n exists), λ = 10⁻³, r² = 1, σ₁ = σ₂ = 0.5, p₂ = 0.2, c² ∈ {0.1 (high quality), 5 (low)}.
Theory: :func:`theory.random_projections.predict` (the grid of m includes m = n and m = d);
simulation: :func:`montecarlo.random_projections.simulate`.
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
    shared_legend,
    table,
)
from model_collapse.montecarlo import random_projections as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues

N, D, LAM, SIGMA, P2 = 100, 300, 1e-3, 0.5, 0.2
C2S = (0.1, 5.0)
PARTS = ("rho", "bias", "variance", "zeta", "total")
SIM_M = (30, 60, 200, 500)


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    # the thresholds m = n (the peak) and m = d (where ρ vanishes) are grid points
    m_grid = np.union1d(np.round(np.logspace(0, np.log10(20 * N), 40 if quick else 160)), [N, D])
    sim_m = SIM_M[1:3] if quick else SIM_M
    trials = 6 if quick else 12
    parts: list[Table] = []
    for i, c2 in enumerate(C2S):
        res = th.predict(N, m_grid, P2, LAM, w, c2=c2, sigma=SIGMA)
        for part in PARTS:
            k = m_grid.size
            parts.append(table(kind=["theory"] * k, c2=np.full(k, c2), part=[part] * k, psi=m_grid / N,
                               value=getattr(res, part), se=np.zeros(k)))
        for q, m in enumerate(sim_m):
            est = mc.simulate(N, m, P2, LAM, w, c2=c2, sigma=SIGMA, n_trials=trials, seed=point_seed(seed, i, q))
            for part in PARTS:
                e = getattr(est, part)
                parts.append(table(kind=["simulation"], c2=[c2], part=[part], psi=[m / N], value=[e.mean],
                                   se=[e.sem]))
    return concat(parts)


# categories, not an order: the colour-blind-safe Okabe–Ito palette, and a marker per part as well
COLORS = {"rho": "#009E73", "bias": "#0072B2", "variance": "#E69F00", "zeta": "#D55E00", "total": "black"}
MARKERS = {"rho": "s", "bias": "D", "variance": "^", "zeta": "v", "total": "o"}
LABELS = {"rho": "ρ (approximation)", "bias": "B (bias)", "variance": "V (variance)", "zeta": "ζ (synthetic)",
          "total": "total E"}
Y_FLOOR = 1e-7  # below: only B for ψ ≲ 0.2 (about λ²-small) and ρ = 0 for m ≥ d


LAYOUT = Layout(panels=2, page_cols=2, aspect=0.8, column_aspect=0.7, legend_rows=1, column_legend_rows=3)


def plot(tab: Table, fig) -> None:
    axes = grid(fig, LAYOUT, sharey=True, sharex=True)
    top = np.max(tab["value"] + 2 * tab["se"])
    for ax, c2 in zip(axes, C2S, strict=True):
        for part in PARTS:
            t = rows(tab, kind="theory", c2=c2, part=part)
            ax.plot(t["psi"], np.where(t["value"] > 0, t["value"], Y_FLOOR / 10), color=COLORS[part],
                    lw=1.6 if part == "total" else 1.1, zorder=2)
            s = rows(tab, kind="simulation", c2=c2, part=part)
            keep = s["value"] > 0
            points(ax, s["psi"][keep], s["value"][keep], yerr=2 * s["se"][keep], color=COLORS[part],
                   marker=MARKERS[part])
        for x, name in ((1.0, "m = n"), (D / N, "m = d")):
            ax.axvline(x, color="grey", ls=":", lw=0.8, zorder=0)
            ax.text(x * 1.07, 0.97, name, transform=ax.get_xaxis_transform(), fontsize=6.5, va="top", color="0.35")
        ax.set_title(f"c² = {c2:g}" + (" (high quality)" if c2 < 1 else " (low quality)"))
        ax.grid(True, which="major")
        ax.set_ylim(Y_FLOOR, 2.0 * top)
        log_axis(ax, "x")
        log_axis(ax, "y")
    label_grid(axes, "ψ = m/n", "test error and its parts")
    handles = [Line2D([], [], color=COLORS[p], lw=1.6 if p == "total" else 1.1, marker=MARKERS[p], ms=3.5,
                      mec="black", mew=0.4, label=LABELS[p]) for p in PARTS]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"),
                Line2D([], [], ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4,
                       label="simulation ± 2 SE")]
    shared_legend(fig, handles, ncols=4, column_ncols=3)


FIGURE = Figure(
    id="smc_decomposition",
    title="Bias, variance, synthetic term and approximation error against m/n (SMC Fig. 2)",
    caption=("Random projections, isotropic d = 300, n = 100, p₂ = 0.2, λ = 1e-3, r² = 1, σ₁ = σ₂ = 0.5, "
             "c² ∈ {0.1, 5}. Lines: deterministic theory; points: simulation mean ± 2 SE (12 draws of S and X). "
             "The variance V and the synthetic term ζ both peak at the threshold m = n; "
             "ρ falls with m and vanishes at m = d = 3n (log axis: the line drops off). The axis reaches down to 1e-7 "
             "so that the small bias below the threshold (and its simulated points) shows."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
