"""How many synthetic samples to add to n₁ real ones: the theory version of "Collapse or Thrive?" §4's
real × synthetic proportion grid (its authors ran a Gemma SFT sweep; here it is the SMC closed form).

Setting (chosen): isotropic Σ = I, d = 100, λ = 1e-3, r² = 1, σ₁ = σ₂ = 1. Panels 1-3: test error after
adding k synthetic samples to n₁ ∈ {150, 500, 2000} real ones, one panel per quality c² ∈ {0.05, 0.2, 1};
theory lines (:func:`theory.synthetic_budget.error_curve`), the best k (star, :func:`synthetic_budget`), the
break-even count (open diamond) and simulation points (:func:`montecarlo.ridge_mixture.simulate`, exact
conditional expectation given X) at a few k. Panel 4: the (n₁, k) heat map of log₂ E(n₁, k)/E(n₁, 0) at
c² = 0.2 (blue: synthetic data helps; red: it hurts), with the best k and the break-even contour.
The k axes are symmetric-log (linear on [0, 1], logarithmic above), so k = 0 is drawn at 0 exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import ticker
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    _power_label,
    concat,
    grid,
    log_axis,
    points,
    rows,
    sequential_colors,
    shared_legend,
    table,
)
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import synthetic_budget as th
from model_collapse.theory.spectrum import eigenvalues

D = 100
LAM = 1e-3
SIGMA = 1.0
N_REAL = (150, 500, 2000)
C2S = (0.05, 0.2, 1.0)
HEAT_C2 = 0.2
K_MAX = 1e5


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    kw = dict(c2=0.0, sigma=SIGMA)
    k_line = np.concatenate([[0.0], np.geomspace(1, K_MAX, 30 if quick else 160)])
    sim_k = (0.0, 100.0, 1000.0, 10000.0) if not quick else (0.0, 1000.0)
    trials = 6 if quick else 40
    parts: list[Table] = []
    for i, c2 in enumerate(C2S):
        kw["c2"] = c2
        for j, n1 in enumerate(N_REAL):
            curve = th.error_curve(n1, k_line, LAM, w, **kw).total
            parts.append(table(kind=["theory"] * k_line.size, c2=np.full(k_line.size, c2),
                               n_real=np.full(k_line.size, n1), k=k_line, value=curve, se=np.zeros(k_line.size)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                best = th.synthetic_budget(n1, LAM, w, **kw, max_synthetic=K_MAX)
            for name, k in (("best", best.best_n_synthetic), ("break_even", best.break_even_n_synthetic)):
                value = float(th.error_curve(n1, k, LAM, w, **kw).total) if math.isfinite(k) else math.nan
                parts.append(table(kind=[name], c2=[c2], n_real=[n1], k=[k], value=[value], se=[0.0]))
            for m, k in enumerate(sim_k):
                n = int(n1 + k)
                est = mc.simulate(n, k / n, LAM, w, **kw, n_trials=trials, seed=point_seed(seed, i, j, m))
                parts.append(table(kind=["simulation"], c2=[c2], n_real=[n1], k=[k], value=[est.total.mean],
                                   se=[est.total.sem]))
    # heat map: 100 x 100 (n1, k) in one vectorised call
    n1_grid = np.unique(np.round(np.geomspace(110, 1e4, 40 if quick else 100)))
    k_grid = np.concatenate([[0.0], np.geomspace(1, K_MAX, 40 if quick else 99)])
    kw["c2"] = HEAT_C2
    heat = th.error_curve(n1_grid[:, None], k_grid[None, :], LAM, w, **kw).total
    ratio = np.log2(heat / heat[:, :1])
    nn, kk = np.meshgrid(n1_grid, k_grid, indexing="ij")
    parts.append(table(kind=["heat"] * nn.size, c2=np.full(nn.size, HEAT_C2), n_real=nn.ravel(), k=kk.ravel(),
                       value=ratio.ravel(), se=np.zeros(nn.size)))
    for n1 in n1_grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            best = th.synthetic_budget(n1, LAM, w, **kw, max_synthetic=K_MAX)
        parts.append(table(kind=["heat_best", "heat_break_even"], c2=[HEAT_C2] * 2, n_real=[n1] * 2,
                           k=[best.best_n_synthetic, best.break_even_n_synthetic], value=[math.nan] * 2,
                           se=[0.0, 0.0]))
    return concat(parts)


LAYOUT = Layout(panels=4, page_cols=2, aspect=0.72, column_aspect=0.56, legend_rows=2, column_legend_rows=4)


def _k_label(x: float, _pos=None) -> str:
    if x == 0:
        return "0"
    return _power_label(x) if x > 0 else ""


def _k_axis(ax, which: str = "x") -> None:
    """Symmetric-log k axis: linear on [0, 1] (k = 0 at 0, no fake position), logarithmic above; ticks 0, 10^j."""
    (ax.set_xscale if which == "x" else ax.set_yscale)("symlog", linthresh=1.0, linscale=0.6)
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xlim if which == "x" else ax.set_ylim)(-0.25, 1.3 * K_MAX)
    axis.set_major_locator(ticker.FixedLocator([0.0, *10.0 ** np.arange(0, 6, 2)]))
    axis.set_major_formatter(ticker.FuncFormatter(_k_label))
    axis.set_minor_locator(ticker.FixedLocator(10.0 ** np.arange(0, 6)))


def plot(tab: Table, fig) -> None:
    c2s = sorted(set(rows(tab, kind="theory")["c2"].tolist()))
    axes = grid(fig, LAYOUT)
    colors = sequential_colors(N_REAL)
    for ax, c2 in zip(axes[:-1], c2s, strict=True):
        for n1 in N_REAL:
            t = rows(tab, kind="theory", c2=c2, n_real=n1)
            ax.plot(t["k"], t["value"], color=colors[n1], zorder=2)
            s = rows(tab, kind="simulation", c2=c2, n_real=n1)
            points(ax, s["k"], s["value"], yerr=2 * s["se"], color=colors[n1])
            b = rows(tab, kind="best", c2=c2, n_real=n1)
            ax.plot(b["k"], b["value"], marker="*", ms=7, color=colors[n1], mec="black", mew=0.4, ls="none",
                    zorder=4)
            e = rows(tab, kind="break_even", c2=c2, n_real=n1)
            if np.isfinite(e["value"]).all():
                ax.plot(e["k"], e["value"], marker="D", ms=3.5, mfc="white", mec=colors[n1], mew=1.0,
                        ls="none", zorder=4)
        _k_axis(ax)
        log_axis(ax, "y")
        ax.set_xlabel("synthetic samples added, k")
        ax.set_ylabel("test error")
        ax.set_title(f"c² = {c2:g}")
        ax.grid(True, which="major")
    ax = axes[-1]
    h = rows(tab, kind="heat")
    n1s, ks = np.unique(h["n_real"]), np.unique(h["k"])
    z = h["value"].reshape(n1s.size, ks.size)
    lim = float(np.nanmax(np.abs(z[np.isfinite(z)])))
    norm = mcolors.TwoSlopeNorm(vmin=-lim, vcenter=0.0, vmax=lim)
    mesh = ax.pcolormesh(ks, n1s, z, cmap="RdBu_r", norm=norm, shading="nearest", rasterized=True)
    ax.contour(ks, n1s, z, levels=[0.0], colors="black", linewidths=0.9)
    hb = rows(tab, kind="heat_best")
    ax.plot(hb["k"], hb["n_real"], color="black", ls="--", lw=1.1)
    _k_axis(ax)
    ax.set_xlim(0.0, 1.3 * K_MAX)
    ax.set_ylim(n1s.min(), n1s.max())
    log_axis(ax, "y")
    ax.set_xlabel("synthetic samples added, k")
    ax.set_ylabel("real samples n₁")
    ax.set_title(f"theory map, c² = {HEAT_C2:g}")
    bar = fig.colorbar(mesh, ax=ax, pad=0.02, fraction=0.08)
    bar.set_label("log₂ E(n₁, k) / E(n₁, 0)")
    handles = [Line2D([], [], color=colors[n1], label=f"n₁ = {n1}") for n1 in N_REAL]
    handles += [Line2D([], [], color="0.3", label="theory E(k) (lines)"),
                Line2D([], [], ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4,
                       label="simulation ± 2 SE"),
                Line2D([], [], ls="none", marker="*", ms=7, color="0.6", mec="black", mew=0.4, label="best k"),
                Line2D([], [], ls="none", marker="D", ms=3.5, mfc="white", mec="0.4", label="break-even k"),
                Line2D([], [], color="black", ls="--", lw=1.1, label="best k (map)"),
                Line2D([], [], color="black", lw=0.9, label="break-even (map)")]
    shared_legend(fig, handles, ncols=5, column_ncols=2)


FIGURE = Figure(
    id="smc_synthetic_budget",
    title="Given n1 real samples, how many synthetic ones to add (Strong Model Collapse closed form)",
    caption=("Isotropic d = 100, λ = 1e-3, r² = 1, σ₁ = σ₂ = 1. Panels 1-3: test error after adding k synthetic "
             "samples of quality c² to n₁ real ones (lines: theory E(k) at n = n₁ + k, p₂ = k/n; points: simulation "
             "mean ± 2 SE, 40 designs, exact conditional expectation given X; the k axis is linear on [0, 1] and "
             "logarithmic above, so k = 0 sits at 0); star: the best k (searched on "
             "[0, 1e5]); open diamond: the largest k that does not hurt. Panel 4: log₂ of the error relative to "
             "real-only over a 100 x 100 (n₁, k) grid at c² = 0.2 — blue helps, red hurts; black: break-even; dashed: "
             "best k. Few real samples: add many synthetic ones; many: add few or none."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
