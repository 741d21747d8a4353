"""SMC Figs. 4–5 (random projections): test error against model size m for several p₂ at several qualities c².

Setting (chosen; the paper's exact values were not available): isotropic Σ = I, d = 300 > n = 100 (so the
interpolation threshold m = n exists), λ = 10⁻³, r² = 1, σ₁ = σ₂ = 0.5, p₂ ∈ {0, 0.1, 0.2, 0.5} (darker = more
synthetic), one panel per c² ∈ {0.1, 1, 5}. Theory: :func:`theory.random_projections.predict` (deterministic
Marchenko–Pastur form) on a log grid of m that includes m = n and m = d; simulation:
:func:`montecarlo.random_projections.simulate` (fresh S per trial; p₂n is an integer for every p₂).
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
from model_collapse.montecarlo import random_projections as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues

N, D, LAM, SIGMA = 100, 300, 1e-3, 0.5
P2S = (0.0, 0.1, 0.2, 0.5)
C2S = (0.1, 1.0, 5.0)
SIM_M = (20, 50, 200, 600)


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    c2s = C2S
    p2s = P2S[::2] if quick else P2S
    # the thresholds m = n (the peak) and m = d (the kink) are grid points, so the curves pass through them
    m_grid = np.union1d(np.round(np.logspace(0, np.log10(30 * N), 40 if quick else 160)), [N, D])
    sim_m = SIM_M[1:3] if quick else SIM_M
    trials = 6 if quick else 12
    parts: list[Table] = []
    for i, c2 in enumerate(c2s):
        res = th.predict(N, m_grid[:, None], np.array(p2s)[None, :], LAM, w, c2=c2, sigma=SIGMA)
        for j, p2 in enumerate(p2s):
            k = m_grid.size
            parts.append(table(kind=["theory"] * k, c2=np.full(k, c2), p2=np.full(k, p2), m=m_grid,
                               value=res.total[:, j], se=np.zeros(k)))
            for q, m in enumerate(sim_m):
                est = mc.simulate(N, m, p2, LAM, w, c2=c2, sigma=SIGMA, n_trials=trials,
                                  seed=point_seed(seed, i, j, q))
                parts.append(table(kind=["simulation"], c2=[c2], p2=[p2], m=[float(m)], value=[est.total.mean],
                                   se=[est.total.sem]))
    return concat(parts)


LAYOUT = Layout(panels=3, page_cols=3, aspect=0.95, column_aspect=0.68, legend_rows=1, column_legend_rows=3)


def plot(tab: Table, fig) -> None:
    c2s = sorted(set(tab["c2"].tolist()))
    p2s = sorted(set(tab["p2"].tolist()))
    axes = grid(fig, LAYOUT, sharey=True, sharex=True)
    colors = {0.0: "black", **sequential_colors([p for p in p2s if p > 0], reverse=True)}  # darker = more synthetic
    top = np.max(tab["value"] + 2 * tab["se"])
    for ax, c2 in zip(axes, c2s, strict=True):
        for p2 in p2s:
            t = rows(tab, kind="theory", c2=c2, p2=p2)
            ax.plot(t["m"], t["value"], color=colors[p2], ls="--" if p2 == 0 else "-", zorder=2)
            s = rows(tab, kind="simulation", c2=c2, p2=p2)
            points(ax, s["m"], s["value"], yerr=2 * s["se"], color=colors[p2])
        ax.axvline(N, color="grey", ls=":", lw=0.8, zorder=0)
        ax.text(N * 1.1, 0.04, "m = n", transform=ax.get_xaxis_transform(), fontsize=6.5, color="0.35")
        ax.set_title(f"c² = {c2:g}")
        ax.grid(True, which="major")
        ax.set_ylim(np.min(tab["value"]) / 1.12, 1.25 * top)  # the whole double-descent peak is shown
        ax.set_xlim(0.8, 4e3)
        log_axis(ax, "x")
        log_axis(ax, "y")
    label_grid(axes, "model size m (random features)", "test error (excess risk)")
    handles = [Line2D([], [], color=colors[p2], ls="--" if p2 == 0 else "-",
                      label="p₂ = 0 (real only)" if p2 == 0 else f"p₂ = {p2:g}") for p2 in p2s]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"),
                Line2D([], [], ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4,
                       label="simulation ± 2 SE")]
    shared_legend(fig, handles, ncols=len(handles), column_ncols=3)


FIGURE = Figure(
    id="smc_model_size",
    title="Test error against model size m for several synthetic fractions p2 (SMC Figs. 4-5)",
    caption=("Random projections f(x) = vᵀSx, isotropic d = 300, n = 100, λ = 1e-3, r² = 1, σ₁ = σ₂ = 0.5, "
             "p₂ ∈ {0 (dashed black), 0.1, 0.2, 0.5} (darker = more synthetic), one panel per c² ∈ {0.1, 1, 5}. Lines: deterministic "
             "(Marchenko–Pastur) theory ρ + B + V + ζ; points: simulation mean ± 2 SE (12 draws of S and X). "
             "Below m = n a larger model amplifies collapse (the error rises to the double-descent peak); above "
             "it a larger model mitigates it, but the synthetic floor remains for every p₂ > 0."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
