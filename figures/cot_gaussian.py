"""Collapse or Thrive? Fig. 1/4 (Gaussian): fitted-mean error, trace and determinant ratios against iteration.

Setting (the authors' sweep): truth N(0, I_d), MLE covariance, n ∈ {10, 32, 100, 316, 1000} samples per
iteration, d ∈ {1, 10}, iterations 1..100 (1 = the real-data fit), workflows replace, accumulate and
accumulate-subsample. Lines: exact expectations (:mod:`theory.gaussian_workflow`; for accumulate-subsample
from :mod:`theory.accumulate_subsample`, whose determinant has no closed form for 2 ≤ d < n). Bands:
simulation mean ± 2 SE (:mod:`montecarlo.gaussian_workflow`, 200 runs).
Points: the authors' published d = 1 runs (mean ± 1 SE over their seeds), read by
:func:`model_collapse.data.cot_gaussian_runs` (package data, present in every installation).
Layout: a d = 1 block (mean error, variance ratio) above a d = 10 block (mean error, trace, determinant);
columns are the workflows; one legend for the figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from model_collapse.data import cot_gaussian_runs
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
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import gaussian_workflow as th

NS = (10, 32, 100, 316, 1000)
DS = (1, 10)
WORKFLOWS = ("replace", "accumulate-subsample", "accumulate")
QUANTITIES = ("mean_sq_error", "cov_trace_ratio", "cov_det_ratio")
LABELS = {
    "mean_sq_error": r"$\|\hat\mu_t - \mu_0\|^2$",
    "cov_trace_ratio": r"$\mathrm{tr}\,\hat\Sigma_t \,/\, \mathrm{tr}\,\Sigma_0$",
    "cov_det_ratio": r"$\det\hat\Sigma_t \,/\, \det\Sigma_0$",
}
T_FULL, T_QUICK = 100, 20


def _part(kind, quantity, workflow, d, n, iteration, value, se, runs) -> Table:
    k = len(iteration)
    return table(kind=[kind] * k, quantity=[quantity] * k, workflow=[workflow] * k, d=np.full(k, d),
                 n=np.full(k, n), iteration=np.asarray(iteration), value=np.asarray(value, dtype=float),
                 se=np.asarray(se, dtype=float), runs=np.full(k, runs))


def compute(quick: bool, seed: int, ds: tuple[int, ...] = DS) -> Table:
    """Both blocks (d = 1 and d = 10), or those in ``ds``; the same numbers whichever are asked for."""
    t_max = T_QUICK if quick else T_FULL
    ns = (10, 100) if quick else NS
    trials = 30 if quick else 200
    it = np.arange(1, t_max + 1)
    parts: list[Table] = []
    for d_idx, d in enumerate(DS):
        if d not in ds:
            continue
        for n_idx, n in enumerate(ns):
            for w_idx, wf in enumerate(WORKFLOWS):
                pred = th.predict(n, d, it, workflow=wf)
                for q in QUANTITIES:
                    if getattr(pred, q) is not None:  # accumulate-subsample: no closed-form det for 2 <= d < n
                        parts.append(_part("theory", q, wf, d, n, it, getattr(pred, q), np.zeros(t_max), 0))
                sim = mc.simulate(n, d, it, workflow=wf, n_trials=trials,
                                  seed=point_seed(seed, d_idx, n_idx, w_idx))
                for q in QUANTITIES:
                    est = getattr(sim, q)
                    parts.append(_part("simulation", q, wf, d, n, it, est.mean, est.sem, trials))
    data = cot_gaussian_runs()
    for wf in ("replace", "accumulate") if 1 in ds else ():
        for n in sorted(set(data["n"].tolist())):
            sel = rows(data, workflow=wf, n=n)
            keep = sel["iteration"] <= t_max
            for q, col in (("mean_sq_error", "sq_err_mean"), ("cov_trace_ratio", "trace_ratio")):
                parts.append(_part("authors", q, wf, 1, n, sel["iteration"][keep], sel[f"{col}_mean"][keep],
                                   sel[f"{col}_se"][keep], int(sel["runs"][0])))
    return concat(parts)


DET_FLOOR = 1e-12  # determinant axes stop here; curves that fall below are named in a note
AUTHORS_EVERY = 9  # the authors' runs are drawn at every 9th iteration (all are in the table)
ROWS = {1: ("mean_sq_error", "cov_trace_ratio"), 10: QUANTITIES}  # d = 1: det = trace, one row for both
ROW_LABELS = {(1, "cov_trace_ratio"): r"$\hat\sigma^2_t \,/\, \sigma^2_0$"}
SHORT = {"replace": "replace", "accumulate-subsample": "accumulate-\nsubsample", "accumulate": "accumulate"}


def layout(d: int) -> Layout:
    """Rows: the quantities of block d; columns: the workflows (shared y per row), at both widths."""
    return Layout(panels=len(ROWS[d]) * len(WORKFLOWS), page_cols=3, column_cols=3, aspect=0.62,
                  column_aspect=0.95, legend_rows=2 if d == 1 else 3, column_legend_rows=5 if d == 1 else 6)


def _limits(panel: Table, floor: float) -> tuple[float, float]:
    """y-range of one row of panels: the means, the log-scale band edges and the authors' points, padded by 8 %
    of the span in decades (at least 0.03 decades); never below ``floor``."""
    v, se = panel["value"], panel["se"]
    pos = v > 0
    lo_band, hi_band = _band(v[pos], se[pos])
    low = np.concatenate([v[pos], lo_band])
    low = low[low > floor]
    if low.size == 0:
        return (floor or 0.1), 10.0
    lo, hi = low.min(), max(np.max(hi_band, initial=0.0), np.max(v))
    pad = max(0.08 * np.log10(hi / lo), 0.03)
    return max(lo / 10**pad, floor), hi * 10**pad


def _band(mean: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ±2 SE band on a log axis: exp(log m ± 2·SE/m), the delta-method interval of log m (always > 0, so
    no edge is clipped; to first order the same as m ± 2 SE where SE ≪ m)."""
    rel = np.divide(2 * se, mean, out=np.zeros_like(mean, dtype=float), where=mean > 0)
    return mean * np.exp(-rel), mean * np.exp(rel)


def _panel(ax, tab: Table, q: str, wf: str, d: int, ns, colors, lo: float) -> list[tuple[str, str]]:
    """Draws one panel; returns its notes (workflow, text) (curves not drawn or leaving the axis)."""
    for n in ns:
        s = rows(tab, kind="simulation", quantity=q, workflow=wf, d=d, n=n)
        ok = s["value"] > 0
        band_lo, band_hi = _band(s["value"], s["se"])
        ax.fill_between(s["iteration"], band_lo, band_hi, where=ok, color=colors[n], alpha=0.25, lw=0, zorder=1)
        th_rows = rows(tab, kind="theory", quantity=q, workflow=wf, d=d, n=n)
        if len(th_rows["value"]):
            pos = th_rows["value"] > 0
            ax.plot(th_rows["iteration"][pos], th_rows["value"][pos], color=colors[n], lw=1.1, zorder=2)
        else:  # no closed form (the accumulate-subsample determinant for 2 <= d < n): the simulated mean, thinner
            ax.plot(s["iteration"][ok], s["value"][ok], color=colors[n], lw=0.6, zorder=2)
        a = rows(tab, kind="authors", quantity=q, workflow=wf, d=d, n=n)
        if len(a["iteration"]):
            pick = (a["iteration"] - 1) % AUTHORS_EVERY == AUTHORS_EVERY // 2
            points(ax, a["iteration"][pick], a["value"][pick], yerr=a["se"][pick], color=colors[n], ms=2.8,
                   marker="D")
    ax.grid(True, which="major")
    notes = []
    zero = [n for n in ns if q == "cov_det_ratio" and np.all(rows(tab, kind="simulation", quantity=q, workflow=wf,
                                                                   d=d, n=n)["value"] == 0)]
    if zero:
        notes.append((wf, f"det = 0 for n = {', '.join(map(str, zero))} ≤ d (not drawn)"))
    if q == "cov_det_ratio":
        for n in ns:
            th_rows = rows(tab, kind="theory", quantity=q, workflow=wf, d=d, n=n)
            v = th_rows["value"]
            if v.size and 0 < v[-1] < lo:
                notes.append((wf, f"n = {n}: det ratio {_short(v[-1])} at t = {int(th_rows['iteration'][-1])} "
                                  "(below the axis)"))
    if any(not len(rows(tab, kind="theory", quantity=q, workflow=wf, d=d, n=n)["value"]) for n in ns):
        note(ax, "no closed form", x=0.96, y=0.04, ha="right", va="bottom")
    return notes


def _short(x: float) -> str:
    """3.3×10⁻⁸⁵ (mathtext) for a note."""
    e = int(np.floor(np.log10(x)))
    return f"${x / 10.0**e:.1f}\\times10^{{{e}}}$"


def plot_block(tab: Table, fig, d: int) -> None:
    """One block (all quantities of dimension d): a row per quantity, a column per workflow."""
    ns = sorted(set(rows(tab, kind="simulation", d=d)["n"].tolist()))
    colors = sequential_colors(ns)
    quantities = ROWS[d]
    axes = grid(fig, layout(d), sharex=True, sharey="row")
    notes: list[tuple[str, str]] = []
    for r, q in enumerate(quantities):
        floor = DET_FLOOR if q == "cov_det_ratio" else 0.0
        lo, hi = _limits(rows(tab, quantity=q, d=d), floor)
        for c, wf in enumerate(WORKFLOWS):
            ax = axes[r * len(WORKFLOWS) + c]
            notes += _panel(ax, tab, q, wf, d, ns, colors, lo)
            ax.set_ylim(lo, hi)
            if r == 0:
                ax.set_title(SHORT[wf] if is_column(fig) else wf)
        axes[r * len(WORKFLOWS)].set_ylabel(ROW_LABELS.get((d, q), LABELS[q]))
        log_axis(axes[r * len(WORKFLOWS)], "y")
    label_grid(axes, "iteration t")
    handles = [Line2D([], [], color=colors[n], lw=1.5, label=f"n = {n}") for n in ns]
    handles += [Line2D([], [], color="black", lw=1.1, label="exact theory"),
                Patch(color="black", alpha=0.25, lw=0, label="simulation ± 2 SE")]
    if d == 10:
        handles.append(Line2D([], [], color="black", lw=0.6, label="simulated mean (no theory)"))
    if d == 1:
        handles.append(Line2D([], [], ls="none", marker="D", ms=2.8, mfc="white", mec="black", mew=0.4,
                              label="authors' runs ± 1 SE"))
    shared_legend(fig, handles, ncols=4, column_ncols=2)
    if notes:  # what the axes cannot show, above the panels (a note shared by every workflow said once)
        texts = list(dict.fromkeys(t for _, t in notes))
        where = {t: [w for w, u in notes if u == t] for t in texts}
        notes = [f"{t} in every workflow" if len(where[t]) == len(WORKFLOWS) else f"{', '.join(where[t])}: {t}"
                 for t in texts]
        blank = Line2D([], [], ls="none")
        fig.legend([blank] * len(notes), notes, loc="outside upper center", ncols=1, handlelength=0,
                   handletextpad=0)


def plot(tab: Table, fig) -> None:
    plot_block(tab, fig, 1)


CAPTION_COMMON = (
    "Truth N(0, I_d), MLE covariance, n samples per iteration, iteration 1 = the real-data fit; a column per "
    "workflow, a row per quantity (shared y axis per row). Lines: exact expectations (replace: (1 − 1/n)^t trace "
    "and a bounded mean error; accumulate: Euler product and the π²/6 bound; accumulate-subsample: the exact "
    "products of docs/theory.md §5.5, whose determinant has no closed form for 2 ≤ d < n). Bands: 200 simulated "
    "runs, mean ± 2 SE, drawn on the log axis as exp(log m ± 2 SE/m) (the delta-method interval of log m: "
    "always positive, so no band edge is clipped into a spike; the same as m ± 2 SE to first order where "
    "SE ≪ m). Under replace the fitted variance is a product of independent χ² factors: its mean is carried "
    "by rare runs, so finite-run averages (and their SE) typically fall below the expectation.")

FIGURE = Figure(
    id="cot_gaussian",
    title="Gaussian fitting, d = 1, under replace, accumulate-subsample and accumulate (Collapse or Thrive?)",
    caption=(CAPTION_COMMON + " This figure: d = 1 (the variance ratio is both the trace and the determinant "
             "ratio); diamonds: the authors' published d = 1 runs, mean ± 1 SE over their seeds (shipped with the "
             "package; every 9th iteration drawn, all in the CSV). d = 10: figure cot_gaussian_d10."),
    compute=lambda quick, seed: compute(quick, seed, (1,)),
    plot=plot,
    layout=layout(1),
)
