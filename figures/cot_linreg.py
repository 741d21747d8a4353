"""Collapse or Thrive? Fig. 4 (linear regression): test error against iteration for the three workflows.

Setting (one slice of the authors' sweep): d = 10 features, σ² = 1, n ∈ {32, 100, 316, 1000} samples per
iteration (n = 10 = d has an infinite expected error: every run is finite, the mean is not; left out),
iterations 1..100 (1 = the real-data fit), test MSE on 1000 fixed noiseless test points as the authors.
Top row: test error; lines exact theory (:mod:`theory.linreg_workflow`: replace t·σ²d/(n − d − 1),
accumulate H_t⁽²⁾·σ²d/(n − d − 1)), none for accumulate-subsample; bands simulation ± 2 SE
(:mod:`montecarlo.linreg_workflow`, 200 runs). Bottom row: the same divided by the theoretical real-data
error σ²d/(n − d − 1): theory collapses every n onto t (replace) and H_t⁽²⁾ ↑ π²/6 (accumulate).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    grid,
    label_grid,
    log_axis,
    note,
    points,
    rows,
    sequential_colors,
    shared_legend,
    table,
)
from model_collapse.figures.style import is_column
from model_collapse.montecarlo import linreg_workflow as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import linreg_workflow as th

D = 10
SIGMA = 1.0
N_TEST = 1000
NS = (32, 100, 316, 1000)
WORKFLOWS = ("replace", "accumulate-subsample", "accumulate")
T_FULL, T_QUICK = 100, 20


def _part(kind, quantity, workflow, n, iteration, value, se, runs) -> Table:
    k = len(iteration)
    return table(kind=[kind] * k, quantity=[quantity] * k, workflow=[workflow] * k, n=np.full(k, n),
                 iteration=np.asarray(iteration), value=np.asarray(value, dtype=float),
                 se=np.asarray(se, dtype=float), runs=np.full(k, runs))


def compute(quick: bool, seed: int) -> Table:
    t_max = T_QUICK if quick else T_FULL
    ns = (32, 316) if quick else NS
    trials = 30 if quick else 200
    it = np.arange(1, t_max + 1)
    parts: list[Table] = []
    for n_idx, n in enumerate(ns):
        base = float(th.predict(n, D, 1, workflow="replace", sigma=SIGMA).test_error)  # σ²d/(n − d − 1)
        for w_idx, wf in enumerate(WORKFLOWS):
            if wf != "accumulate-subsample":
                value = th.predict(n, D, it, workflow=wf, sigma=SIGMA).test_error
                parts.append(_part("theory", "test_error", wf, n, it, value, np.zeros(t_max), 0))
                parts.append(_part("theory", "ratio", wf, n, it, value / base, np.zeros(t_max), 0))
            sim = mc.simulate(n, D, it, workflow=wf, sigma=SIGMA, n_test=N_TEST, n_trials=trials,
                              seed=point_seed(seed, n_idx, w_idx)).test_error
            parts.append(_part("simulation", "test_error", wf, n, it, sim.mean, sim.sem, trials))
            parts.append(_part("simulation", "ratio", wf, n, it, sim.mean / base, sim.sem / base, trials))
    bound = np.pi**2 / 6.0
    parts.append(_part("bound", "ratio", "accumulate", 0, [1, t_max], [bound, bound], [0.0, 0.0], 0))
    return concat(parts)


POINTS_EVERY = 10  # bottom row: simulated means ± 2 SE at every 10th iteration, side by side for the n
YLABELS = {"test_error": "test MSE", "ratio": "MSE / real-data MSE"}
LAYOUT = Layout(panels=6, page_cols=3, column_cols=2, aspect=0.8, column_aspect=0.95, legend_rows=3,
                column_legend_rows=8)


def _top(ax, tab: Table, wf: str, ns, colors) -> None:
    for n in ns:
        s = rows(tab, kind="simulation", quantity="test_error", workflow=wf, n=n)
        ax.fill_between(s["iteration"], s["value"] - 2 * s["se"], s["value"] + 2 * s["se"], color=colors[n],
                        alpha=0.25, lw=0, zorder=1)
        t = rows(tab, kind="theory", quantity="test_error", workflow=wf, n=n)
        if len(t["value"]):
            ax.plot(t["iteration"], t["value"], color=colors[n], lw=1.8, zorder=2)
        else:  # no closed form (accumulate-subsample): the simulated mean, thinner
            ax.plot(s["iteration"], s["value"], color=colors[n], lw=0.7, zorder=2)
    log_axis(ax, "y")
    if not len(rows(tab, kind="theory", quantity="test_error", workflow=wf)["value"]):
        note(ax, "no closed form:\nsimulated means", x=0.97, y=0.04, ha="right")


def _bottom(ax, tab: Table, wf: str, ns, colors) -> None:
    t = rows(tab, kind="theory", quantity="ratio", workflow=wf, n=ns[0])  # the same curve for every n
    if len(t["value"]):
        ax.plot(t["iteration"], t["value"], color="black", lw=1.2, zorder=2)
    b = rows(tab, kind="bound", quantity="ratio", workflow=wf)
    if len(b["value"]):
        ax.axhline(b["value"][0], color="black", ls="--", lw=0.8, zorder=1)
    width = 0.3 * POINTS_EVERY
    for k, n in enumerate(ns):
        s = rows(tab, kind="simulation", quantity="ratio", workflow=wf, n=n)
        if not len(t["value"]):
            ax.plot(s["iteration"], s["value"], color=colors[n], lw=0.6, alpha=0.7, zorder=1.5)
        pick = s["iteration"] % POINTS_EVERY == 0
        dodge = (k - (len(ns) - 1) / 2) * width / max(len(ns) - 1, 1)
        points(ax, s["iteration"][pick] + dodge, s["value"][pick], yerr=2 * s["se"][pick], color=colors[n], ms=3)
    lo = np.min([np.min(r["value"] - 2 * r["se"]) for r in (rows(tab, quantity="ratio", workflow=wf),)])
    hi = np.max([np.max(r["value"] + 2 * r["se"]) for r in (rows(tab, quantity="ratio", workflow=wf),)])
    lo = max(lo, 0.5)
    ax.set_ylim(lo / 10**0.03, hi * 10**0.03)
    log_axis(ax, "y")


def plot(tab: Table, fig) -> None:
    ns = sorted(set(rows(tab, kind="simulation")["n"].tolist()))
    colors = sequential_colors(ns)
    axes = grid(fig, LAYOUT, sharex=True)
    column = is_column(fig)  # column width: a row per workflow (error, ratio); page: a column per workflow
    for c, wf in enumerate(WORKFLOWS):
        top, bottom = (axes[2 * c], axes[2 * c + 1]) if column else (axes[c], axes[3 + c])
        _top(top, tab, wf, ns, colors)
        _bottom(bottom, tab, wf, ns, colors)
        top.set_title(wf)
        if column:
            bottom.set_title(wf)
        for ax, q in ((top, "test_error"), (bottom, "ratio")):
            ax.grid(True, which="major")
            ax.set_ylabel(YLABELS[q])
    label_grid(axes, "model-fitting iteration t")
    handles = [Line2D([], [], color=colors[n], lw=1.5, label=f"n = {n}") for n in ns]
    handles += [Line2D([], [], color="black", lw=1.2, label="exact theory"),
                Patch(color="black", alpha=0.25, lw=0, label="simulation mean ± 2 SE"),
                Line2D([], [], color="black", lw=0.7, label="simulated mean (no closed form)"),
                Line2D([], [], ls="none", marker="o", ms=3, mfc="white", mec="black", mew=0.4,
                       label=f"simulation ± 2 SE, every {POINTS_EVERY}th t"),
                Line2D([], [], color="black", ls="--", lw=0.8, label="π²/6 bound")]
    shared_legend(fig, handles, ncols=3, column_ncols=1)


FIGURE = Figure(
    id="cot_linreg",
    title="Linear regression under replace, accumulate-subsample and accumulate (Collapse or Thrive?)",
    caption=("Fixed Gaussian design (d = 10, n rows), labels refreshed by the latest OLS fit plus N(0, σ²) noise, "
             "σ² = 1; iteration 1 = the fit on real labels; test MSE on 1000 fixed noiseless test points. Lines: "
             "exact expectations t·σ²d/(n−d−1) (replace) and Σ_{i≤t}1/i²·σ²d/(n−d−1) (accumulate, below π²/6 "
             "times the real-data error); accumulate-subsample has no closed form. Bands: 200 simulated runs, "
             "mean ± 2 SE (accumulate-subsample: with the simulated mean as a thin line). Bottom: divided by the "
             "real-data error σ²d/(n − d − 1), every n falls on the same t or H_t⁽²⁾ curve (black); simulated means "
             "± 2 SE at every 10th iteration, the n side by side. Page width: a column per workflow (top: error, "
             "bottom: ratio); column width: a row per workflow (left: error, right: ratio)."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
