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
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Table,
    concat,
    log_axis,
    points,
    rows,
    sequential_colors,
    shared_legend,
    table,
)
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


def plot(tab: Table, fig) -> None:
    ax_a, ax_b = fig.subplots(1, 2)
    a_series = [s for s in dict.fromkeys(rows(tab, panel="a", kind="theory")["series"].tolist())]
    colors_a = sequential_colors(a_series)
    for s in a_series:
        t = rows(tab, panel="a", kind="theory", series=s)
        ax_a.plot(t["x"], t["value"], color=colors_a[s], lw=1.8, zorder=2)
        b = rows(tab, panel="a", kind="best", series=s)
        ax_a.plot(b["x"], b["value"], marker="*", ms=13, mfc=colors_a[s], mec="black", mew=0.7, ls="none", zorder=4)
        p = rows(tab, panel="a", kind="simulation", series=s)
        points(ax_a, p["x"], p["value"], yerr=2 * p["se"], color=colors_a[s])
    ax_a.axvline(P2_A, color="grey", ls=":", lw=1.2, zorder=1)
    ax_a.set_xlim(-0.02, 1.02)
    vals = rows(tab, panel="a", kind="theory")["value"]
    ax_a.set_ylim(0.5 * float(np.min(vals)), 2.0 * float(np.max(vals)))
    log_axis(ax_a, "y")
    ax_a.set_xlabel("weight a of the synthetic loss")
    ax_a.set_ylabel("test error (excess risk)")
    ax_a.set_title(f"(a) weighted mixing, p₂ = {P2_A:g}, c² = {C2_A:g}", fontsize=11)
    ax_a.grid(True, which="major", alpha=0.3)

    b_series = [s for s in dict.fromkeys(rows(tab, panel="b", kind="theory")["series"].tolist())]
    colors_b = sequential_colors(b_series, cmap="cividis", lo=0.05, hi=0.9)
    for s in b_series:
        t = rows(tab, panel="b", kind="theory", series=s)
        ax_b.plot(t["x"], t["value"], color=colors_b[s], lw=1.8, zorder=2)
        f = rows(tab, panel="b", kind="fixed_point", series=s)
        if np.isfinite(f["value"][0]):
            ax_b.axhline(f["value"][0], color=colors_b[s], ls="--", lw=1.1, zorder=1)
        p = rows(tab, panel="b", kind="simulation", series=s)
        points(ax_b, p["x"], p["value"], yerr=2 * p["se"], color=colors_b[s], marker="s", ms=5)
    vb = rows(tab, panel="b", kind="theory")["value"]
    ax_b.set_xlim(-0.3, float(np.max(rows(tab, panel="b", kind="theory")["x"])) + 0.3)
    ax_b.set_ylim(0.5 * float(np.min(vb)), 1.6 * float(np.max(vb)))
    log_axis(ax_b, "y")
    ax_b.set_xlabel("round t (0 = the generator, 1 = single-step mixing)")
    ax_b.set_ylabel("test error of round t")
    ax_b.set_title(f"(b) iterative mixing, n = {N_B}, φ = {D / N_B:g}, E₀ = c² = {C2_B:g}", fontsize=11)
    ax_b.grid(True, which="major", alpha=0.3)

    handles = [Line2D([], [], color=colors_a[s], lw=1.8, label=f"(a) n = {s}") for s in a_series]
    handles += [Line2D([], [], color=colors_b[s], lw=1.8, label=f"(b) {s}") for s in b_series]
    handles += [Line2D([], [], ls="none", marker="*", ms=11, mfc="white", mec="black", label="(a) optimum a*"),
                Line2D([], [], color="grey", ls=":", lw=1.2, label="(a) pooling a = p₂"),
                Line2D([], [], ls="none", marker="o", mfc="white", mec="black", label="simulation ± 2 SE"),
                Line2D([], [], color="grey", ls="--", lw=1.1, label="(b) fixed point")]
    shared_legend(fig, handles, ncols=6, fontsize=8.5)
    fig.suptitle(f"Mixing strategies: lines theory, points simulation [isotropic d = {D}, ridgeless, σ = {SIGMA:g}, "
                 "r² = 1]", fontsize=11)


FIGURE = Figure(
    id="smc_mixing",
    title="Weighted and iterative mixing of real and synthetic data (Strong Model Collapse §5)",
    caption=("Isotropic d = 50, ridgeless, r² = 1, σ₁ = σ₂ = 1. (a) Single-step weighted mixing at p₂ = 0.5, c² = 1: "
             "error against the weight a of the synthetic loss; stars the optimum a* (closed form), which moves to "
             "0 like σ₁²d/(p₁c²n); dotted the pooling weight a = p₂. (b) Iterative mixing at n = 200: round t's "
             "synthetic labels come from round t − 1's model; round 0 is the generator (c² = 4); dashed the fixed "
             "points. Points: simulation mean ± 2 SE (60 trials, exact conditional expectations given the designs)."),
    compute=compute,
    plot=plot,
    figsize=(13.0, 5.4),
)
