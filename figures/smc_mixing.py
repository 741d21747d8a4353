"""Mixing strategies (SMC §5): the weight of the synthetic loss, and iterative mixing over rounds.

Setting (chosen; the paper's exact values were not available): isotropic Σ = I, d = 50, ridgeless (λ = 0),
r² = 1, σ₁ = σ₂ = 1.

- Panel (a): single-step weighted mixing, p₂ = 0.5, c² = 1, error against the weight a of the synthetic loss
  for n ∈ {200, 500, 2000, 10000}; theory :func:`theory.mixing.predict` on a grid of a, the optimum a*
  (:func:`theory.mixing.best_weight`) marked, simulation points :func:`montecarlo.mixing.simulate`; the
  pooling weight a = p₂ is the dotted vertical line. a* → 0 like σ₁²d/(p₁c²n).
- Panel (b): iterative mixing, n = 200 (φ = 0.25), start c² = 4, error against the round t for pooled
  p₂ ∈ {0.3, 0.6, 0.9} and for p₂ = 0.9 with weight a = 0.3; dashed: the fixed points
  (:func:`theory.mixing.fixed_point`); round 0 is the generator's own error c².
"""

from __future__ import annotations

import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    log_axis,
    points,
    rows,
    sequential_colors,
    shared_legend,
    subpanels,
    table,
)
from model_collapse.figures.style import PALETTE
from model_collapse.montecarlo import mixing as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import mixing as th

D = 50
SIGMA = 1.0
P2_A = 0.5
C2_A = 1.0
NS = (200, 500, 2000, 10000)
SIM_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
N_B = 200
C2_B = 4.0
ROUNDS = 20
CURVES_B = ((0.3, None), (0.6, None), (0.9, None), (0.9, 0.3))  # (p2, weight)


def _label_b(p2, weight):
    return f"p₂ = {p2:g}, pooled" if weight is None else f"p₂ = {p2:g}, a = {weight:g}"


def compute(quick: bool, seed: int) -> Table:
    w = np.ones(D)
    parts: list[Table] = []
    grid = np.linspace(0.0, 1.0, 41 if quick else 201)
    ns = NS[::2] if quick else NS
    trials = 8 if quick else 60
    for i, n in enumerate(ns):
        t = th.predict(n, P2_A, 0.0, w, weight=grid, c2=C2_A, sigma=SIGMA)
        k = grid.size
        parts.append(table(panel=["a"] * k, kind=["theory"] * k, series=[str(n)] * k, x=grid, value=t.total,
                           se=np.zeros(k)))
        best = th.best_weight(n, P2_A, 0.0, w, c2=C2_A, sigma=SIGMA)
        parts.append(table(panel=["a"], kind=["best"], series=[str(n)], x=[best.weight], value=[best.total], se=[0.0]))
        for j, a in enumerate(SIM_WEIGHTS if not quick else SIM_WEIGHTS[::2]):
            est = mc.simulate(n, P2_A, 0.0, w, weight=a, c2=C2_A, sigma=SIGMA, n_trials=trials,
                              seed=point_seed(seed, 0, i, j))
            parts.append(table(panel=["a"], kind=["simulation"], series=[str(n)], x=[a], value=[est.total.mean],
                               se=[est.total.sem]))
    rounds = np.arange(1, (6 if quick else ROUNDS) + 1)
    for i, (p2, weight) in enumerate(CURVES_B):
        lab = _label_b(p2, weight)
        t = th.predict(N_B, p2, 0.0, w, weight=weight, rounds=rounds, c2=C2_B, sigma=SIGMA)
        x = np.concatenate([[0.0], rounds.astype(float)])
        v = np.concatenate([[C2_B], t.total])
        parts.append(table(panel=["b"] * x.size, kind=["theory"] * x.size, series=[lab] * x.size, x=x, value=v,
                           se=np.zeros(x.size)))
        fp = float(th.fixed_point(N_B, p2, 0.0, w, weight=weight, c2=C2_B, sigma=SIGMA))
        parts.append(table(panel=["b"], kind=["fixed_point"], series=[lab], x=[np.nan], value=[fp], se=[0.0]))
        est = mc.simulate(N_B, p2, 0.0, w, weight=weight, rounds=rounds, c2=C2_B, sigma=SIGMA, n_trials=trials,
                          seed=point_seed(seed, 1, i))
        k = rounds.size
        parts.append(table(panel=["b"] * k, kind=["simulation"] * k, series=[lab] * k, x=rounds.astype(float),
                           value=est.total.mean, se=est.total.sem))
    return concat(parts)


LAYOUT = Layout(panels=2, page_cols=2, aspect=0.8, column_aspect=0.72, legend_rows=0, panel_legend_rows=4,
                column_panel_legend_rows=4)
B_COLORS = (PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], PALETTE["purple"])  # categories (b)
SIM_KEY = dict(ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4, label="simulation ± 2 SE")


def plot(tab: Table, fig) -> None:
    sub_a, sub_b = subpanels(fig, LAYOUT)
    ax_a, ax_b = sub_a.subplots(), sub_b.subplots()
    a_series = [s for s in dict.fromkeys(rows(tab, panel="a", kind="theory")["series"].tolist())]
    colors_a = sequential_colors(a_series)
    for s in a_series:
        t = rows(tab, panel="a", kind="theory", series=s)
        ax_a.plot(t["x"], t["value"], color=colors_a[s], zorder=2)
        b = rows(tab, panel="a", kind="best", series=s)
        ax_a.plot(b["x"], b["value"], marker="*", ms=7, mfc=colors_a[s], mec="black", mew=0.4, ls="none", zorder=4)
        p = rows(tab, panel="a", kind="simulation", series=s)
        points(ax_a, p["x"], p["value"], yerr=2 * p["se"], color=colors_a[s])
    ax_a.axvline(P2_A, color="grey", ls=":", lw=0.8, zorder=1)
    ax_a.set_xlim(-0.02, 1.02)
    vals = rows(tab, panel="a", kind="theory")["value"]
    ax_a.set_ylim(0.5 * float(np.min(vals)), 2.0 * float(np.max(vals)))
    log_axis(ax_a, "y")
    ax_a.set_xlabel("weight a of the synthetic loss")
    ax_a.set_ylabel("test error")
    ax_a.set_title(f"(a) weighted mixing, p₂ = {P2_A:g}, c² = {C2_A:g}")
    ax_a.grid(True, which="major")
    handles = [Line2D([], [], color=colors_a[s], label=f"n = {s}") for s in a_series]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"), Line2D([], [], **SIM_KEY),
                Line2D([], [], ls="none", marker="*", ms=7, mfc="white", mec="black", mew=0.4, label="optimum a*"),
                Line2D([], [], color="grey", ls=":", lw=0.8, label="pooling a = p₂")]
    shared_legend(sub_a, handles, ncols=2, column_ncols=2)

    b_series = [s for s in dict.fromkeys(rows(tab, panel="b", kind="theory")["series"].tolist())]
    colors_b = dict(zip(b_series, B_COLORS, strict=False))
    for s in b_series:
        t = rows(tab, panel="b", kind="theory", series=s)
        ax_b.plot(t["x"], t["value"], color=colors_b[s], zorder=2)
        f = rows(tab, panel="b", kind="fixed_point", series=s)
        if np.isfinite(f["value"][0]):
            ax_b.axhline(f["value"][0], color=colors_b[s], ls="--", lw=0.8, zorder=1)
        p = rows(tab, panel="b", kind="simulation", series=s)
        points(ax_b, p["x"], p["value"], yerr=2 * p["se"], color=colors_b[s])
    vb = rows(tab, panel="b", kind="theory")["value"]
    ax_b.set_xlim(-0.3, float(np.max(rows(tab, panel="b", kind="theory")["x"])) + 0.3)
    ax_b.xaxis.set_major_locator(ticker.MaxNLocator(nbins="auto", integer=True))  # rounds are integers
    ax_b.set_ylim(0.5 * float(np.min(vb)), 1.6 * float(np.max(vb)))
    log_axis(ax_b, "y")
    ax_b.set_xlabel("round t (0: the generator)")
    ax_b.set_ylabel("test error of round t")
    ax_b.set_title(f"(b) iterative mixing, n = {N_B}, E₀ = c² = {C2_B:g}")
    ax_b.grid(True, which="major")
    handles = [Line2D([], [], color=colors_b[s], label=s) for s in b_series]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"), Line2D([], [], **SIM_KEY),
                Line2D([], [], color="grey", ls="--", lw=0.8, label="fixed point")]
    shared_legend(sub_b, handles, ncols=2, column_ncols=2)


FIGURE = Figure(
    id="smc_mixing",
    title="Weighted and iterative mixing of real and synthetic data (Strong Model Collapse §5)",
    caption=("Isotropic d = 50, ridgeless, r² = 1, σ₁ = σ₂ = 1. (a) Single-step weighted mixing at p₂ = 0.5, c² = 1: "
             "error against the weight a of the synthetic loss; stars the optimum a* (closed form), which moves to "
             "0 like σ₁²d/(p₁c²n); dotted the pooling weight a = p₂. (b) Iterative mixing at n = 200: round t's "
             "synthetic labels come from round t − 1's model (φ = d/n = 0.25); round 0 is the generator (c² = 4); "
             "integer rounds; dashed the fixed "
             "points. Points: simulation mean ± 2 SE (60 trials, exact conditional expectations given the designs)."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
