"""Collapse or Thrive? KDE figure: NLL against iteration at the authors' n = 100, theory beside simulation.

Rows 1–4 (the authors' datasets: blobs with fixed centres, circles, moons, swiss roll; noise 0.05): held-out
NLL (nats per point, 500 test points) against iteration for h ∈ {0.1, 0.5, 1}, columns replace,
accumulate-subsample, accumulate. Lines: :func:`theory.kde_workflow.predict` at n = 100 — solid where it is
the finite-n expansion (pair genealogy of the fitted points, 1/n term ≤ 0.1 nats), dashed where the expansion
cannot hold (h small against the spacing of the fitted points, replace at large t) or is not derived
(accumulate-subsample at t ≥ 2), and the line is then a proven lower bound (nearest-neighbour bound for
blobs, Jensen for the curves). Bands: simulation at n = 100, 10 runs, mean ± 2 SE.
Row 5: (a) NLL at t = t_max against h (gaussian N(0, I₂), n = 100) per workflow, with scikit-learn's
scott/silverman rules as markers; (b) variance growth E A_t against t for scott (n = 100, D = 2): accumulate
converges to its limit c·S(α) (dashed), replace and accumulate-subsample grow linearly (CoT Theorem 7's
criterion Σ h_j²/j < ∞); (c) the kernel-count law P(K_100 = k) (Stirling numbers) against the ancestry
counts of the simulated points. Simulation seeds: ``SeedSequence(seed, spawn_key=(panel, i, j, k))``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from model_collapse.figures._base import Figure, Layout, Table, concat, grid, log_axis, rows, shared_legend, table
from model_collapse.figures.style import PALETTE, is_column
from model_collapse.montecarlo import kde_workflow as mc
from model_collapse.theory import kde_workflow as th

DATASETS = ("blobs", "circles", "moons", "swiss-roll")
WORKFLOWS = ("replace", "accumulate-subsample", "accumulate")
HS = (0.1, 0.5, 1.0)
#: Fixed blob centres (drawn once uniformly in [−10, 10]², as make_blobs does, and frozen here).
CENTERS = np.array([[-5.2, 8.6], [7.3, -1.9], [-2.6, -6.0]])
N = 100
T_FULL, T_QUICK = 100, 12
THEORY_T = np.array([1, 2, 3, 4, 6, 8, 11, 16, 22, 32, 45, 64, 80, 100])
H_SWEEP = np.logspace(-2, 2, 17)


def _part(**cols) -> Table:
    k = max(np.size(v) for v in cols.values())
    full = {key: (np.atleast_1d(np.asarray(v)) if np.size(v) == k else np.full(k, v)) for key, v in cols.items()}
    base = dict(kind="", panel="", dataset="", workflow="", rule="", regime="", h=np.nan, x=np.nan, value=np.nan,
                se=np.nan)
    base = {key: np.full(k, v) for key, v in base.items()}
    base.update(full)
    return table(**base)


def _seed(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=key)


def compute(quick: bool, seed: int) -> Table:
    t_max = T_QUICK if quick else T_FULL
    # the test configuration (quick) needs 40 runs: under replace the per-run NLL is heavy-tailed at later t, and
    # 4 runs put the band 3-5 "SE" below the mean (circles, h = 1, t = 12: 4.15 ± 0.06 against 4.36 ± 0.04 from 60
    # runs, theory 4.36); the full figure keeps the authors' 10 runs (its caption says so)
    trials = 40 if quick else 10
    theory_t = THEORY_T[THEORY_T <= t_max] if not quick else np.array([1, 2, 4, 8, 12])
    parts: list[Table] = []
    # ---- rows 1–4: NLL against iteration
    for di, ds in enumerate(DATASETS):
        blobs = dict(centers=CENTERS) if ds == "blobs" else {}
        for hi, h in enumerate(HS):
            for wi, wf in enumerate(WORKFLOWS):
                if not (quick and ds == "swiss-roll" and wf != "replace"):
                    p = th.predict(theory_t, workflow=wf, dataset=ds, h=h, n=N, **blobs)
                    parts.append(_part(kind="theory", panel="nll_t", dataset=ds, workflow=wf, h=h, x=theory_t,
                                       value=p.nll, regime=np.asarray(p.nll_regime).astype(str), se=0.0))
                    parts.append(_part(kind="limit", panel="nll_t", dataset=ds, workflow=wf, h=h, x=theory_t,
                                       value=p.nll_limit, se=0.0))
                est = mc.simulate(
                    np.arange(1, t_max + 1), workflow=wf, dataset=ds, h=h, n=N, n_test=500, n_trials=trials,
                                  seed=_seed(seed, 0, di, hi, wi), **blobs).nll
                parts.append(_part(kind="simulation", panel="nll_t", dataset=ds, workflow=wf, h=h,
                                   x=np.arange(1, t_max + 1), value=est.mean, se=est.sem))
    # ---- row 5a: NLL at t_max against h, gaussian D = 2
    hs_sim = H_SWEEP[::8] if quick else H_SWEEP[::4]
    for wi, wf in enumerate(WORKFLOWS):
        ps = [th.predict(t_max, workflow=wf, h=float(h), n=N) for h in H_SWEEP]
        parts.append(_part(kind="theory", panel="nll_h", dataset="gaussian", workflow=wf, x=H_SWEEP, h=H_SWEEP,
                           value=np.array([p.nll for p in ps]), regime=np.array([p.nll_regime for p in ps]),
                           se=0.0))
        for hi, h in enumerate(hs_sim):
            est = mc.simulate(np.arange(1, t_max + 1), workflow=wf, h=float(h), n=N, n_test=500, n_trials=trials,
                              seed=_seed(seed, 1, wi, hi)).nll
            parts.append(_part(kind="simulation", panel="nll_h", dataset="gaussian", workflow=wf, h=h, x=h,
                               value=est.mean[-1], se=est.sem[-1]))
        for ri, rule in enumerate(th.BANDWIDTH_RULES):
            h_rule = th.bandwidth_schedule(t_max, workflow=wf, bandwidth=rule, n=N)[-1]
            p = th.predict(t_max, workflow=wf, bandwidth=rule, n=N)
            parts.append(_part(kind="theory", panel="nll_h", dataset="gaussian", workflow=wf, rule=rule, h=h_rule,
                               x=h_rule, value=p.nll, regime=p.nll_regime, se=0.0))
            est = mc.simulate(
                np.arange(1, t_max + 1), workflow=wf, bandwidth=rule, n=N, n_test=200 if not quick else 50,
                              n_trials=4 if quick else 6, seed=_seed(seed, 2, wi, ri)).nll
            parts.append(_part(kind="simulation", panel="nll_h", dataset="gaussian", workflow=wf, rule=rule,
                               h=h_rule, x=h_rule, value=est.mean[-1], se=est.sem[-1]))
    # ---- row 5b: variance growth with scott (the shrinking-bandwidth criterion)
    t_var = 60 if quick else 400
    it = np.arange(1, t_var + 1)
    for wi, wf in enumerate(WORKFLOWS):
        parts.append(_part(kind="theory", panel="variance", dataset="gaussian", workflow=wf, rule="scott", x=it,
                           value=th.variance_growth(it, workflow=wf, bandwidth="scott", n=N), se=0.0))
        lim = th.variance_growth_limit(workflow=wf, bandwidth="scott", n=N)
        parts.append(_part(kind="limit", panel="variance", dataset="gaussian", workflow=wf, rule="scott",
                           x=float(t_var), value=lim, se=0.0))
        est = mc.simulate(
            np.arange(1, t_var + 1), workflow=wf, bandwidth="scott", n=N if wf != "accumulate" else 20, n_test=1,
                          n_trials=trials, seed=_seed(seed, 3, wi)) if wf != "accumulate" else None
        if est is not None:
            keep = np.unique(np.round(np.logspace(0, np.log10(t_var), 14)).astype(int)) - 1
            parts.append(_part(kind="simulation", panel="variance", dataset="gaussian", workflow=wf, rule="scott",
                               x=it[keep], value=est.variance_growth.mean[keep], se=est.variance_growth.sem[keep]))
    t_acc = 40 if quick else 120  # accumulate with a rule rescoring the pool: a shorter run (n_test = 1)
    est = mc.simulate(np.arange(1, t_acc + 1), workflow="accumulate", bandwidth="scott", n=N, n_test=1, n_trials=trials,
                      seed=_seed(seed, 3, 9))
    keep = np.unique(np.round(np.logspace(0, np.log10(t_acc), 12)).astype(int)) - 1
    parts.append(_part(kind="simulation", panel="variance", dataset="gaussian", workflow="accumulate", rule="scott",
                       x=np.arange(1, t_acc + 1)[keep], value=est.variance_growth.mean[keep],
                       se=est.variance_growth.sem[keep]))
    # ---- row 5c: the kernel-count law at t_max (accumulate, h = 0.5)
    k = np.arange(t_max + 1)
    parts.append(_part(kind="theory", panel="kernel_count", dataset="gaussian", workflow="accumulate", h=0.5, x=k,
                       value=th.kernel_count_pmf(t_max), se=0.0))
    est = mc.simulate(np.arange(1, t_max + 1), workflow="accumulate", h=0.5, n=N, n_test=1, n_trials=4 * trials,
                      seed=_seed(seed, 4)).kernel_count
    parts.append(_part(kind="simulation", panel="kernel_count", dataset="gaussian", workflow="accumulate", h=0.5,
                       x=k, value=est.mean, se=est.sem))
    return concat(parts)


def _theory_line(ax, tr, color, lw=1.2):
    """Solid where the prediction is the finite-n expansion, dashed where it is a lower bound."""
    x, y, reg = tr["x"], tr["value"], tr["regime"]
    exp = reg == "expansion"
    if exp.any():
        ax.plot(np.where(exp, x, np.nan), np.where(exp, y, np.nan), color=color, lw=lw, zorder=4)
    if (~exp).any():
        low = ~exp | np.r_[~exp[1:], False] | np.r_[False, ~exp[:-1]]  # join at the switch
        ax.plot(np.where(low, x, np.nan), np.where(low, y, np.nan), color=color, lw=lw, ls=(0, (3, 1.5)), zorder=4)


def plot(tab: Table, fig) -> None:
    colors = {0.1: PALETTE["vermillion"], 0.5: PALETTE["blue"], 1.0: PALETTE["green"]}
    wcolors = dict(zip(WORKFLOWS, (PALETTE["purple"], PALETTE["orange"], PALETTE["black"]), strict=True))
    axes = grid(fig, LAYOUT)
    ncol = len(WORKFLOWS)
    column = is_column(fig)
    t_max = float(np.max(rows(tab, kind="simulation", panel="nll_t")["x"]))
    for r, ds in enumerate(DATASETS):
        for c, wf in enumerate(WORKFLOWS):
            ax = axes[r * ncol + c]
            for h in HS:
                s = rows(tab, kind="simulation", panel="nll_t", dataset=ds, workflow=wf, h=h)
                floor = 0.8 * np.min(s["value"])  # a band reaching ≤ 0 is drawn down to the panel floor
                ax.fill_between(s["x"], np.maximum(s["value"] - 2 * s["se"], floor), s["value"] + 2 * s["se"],
                                color=colors[h], alpha=0.3, lw=0)
                tr = rows(tab, kind="theory", panel="nll_t", dataset=ds, workflow=wf, h=h)
                if tr["x"].size:
                    _theory_line(ax, tr, colors[h])
            ax.set_xscale("log")
            ax.set_xlim(1, t_max)
            log_axis(ax, "y")  # at n = 100 the small-h runs sit orders of magnitude above the n → ∞ law
            ax.grid(True, which="major", alpha=0.3)
            if r == len(DATASETS) - 1:
                ax.set_xlabel("iteration t")
            else:
                ax.tick_params(labelbottom=False)  # the same t axis in every row of a column
            if r == 0:
                ax.set_title(wf if not column else wf.replace("accumulate-", "acc.-"))
            short = {"swiss-roll": "swiss", "circles": "circles", "moons": "moons", "blobs": "blobs"}[ds]
            ax.set_ylabel(f"{short}: NLL" if c == 0 else "NLL")
    ax = axes[-3]
    for wf in WORKFLOWS:
        tr = rows(tab, kind="theory", panel="nll_h", workflow=wf, rule="")
        _theory_line(ax, tr, wcolors[wf])
        s = rows(tab, kind="simulation", panel="nll_h", workflow=wf, rule="")
        ax.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=2.5, color=wcolors[wf], elinewidth=0.8)
        for rule, marker in (("scott", "s"), ("silverman", "^")):
            tr = rows(tab, kind="theory", panel="nll_h", workflow=wf, rule=rule)
            sr = rows(tab, kind="simulation", panel="nll_h", workflow=wf, rule=rule)
            ax.plot(tr["x"], tr["value"], marker, mfc="none", mec=wcolors[wf], ms=6)
            ax.errorbar(sr["x"], sr["value"], yerr=2 * sr["se"], fmt=marker, ms=2.5, color=wcolors[wf],
                        elinewidth=0.8)
    ax.set_xscale("log")
    log_axis(ax, "y")
    ax.set_xlabel("bandwidth h")
    ax.set_ylabel("NLL, gaussian" if column else "gaussian: NLL at t_max")
    ax.grid(True, alpha=0.3)
    ax = axes[-2]
    for wf in WORKFLOWS:
        tr = rows(tab, kind="theory", panel="variance", workflow=wf)
        ax.plot(tr["x"], tr["value"], color=wcolors[wf], lw=1.2)
        s = rows(tab, kind="simulation", panel="variance", workflow=wf)
        ax.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=2.5, color=wcolors[wf], elinewidth=0.8)
        lim = rows(tab, kind="limit", panel="variance", workflow=wf)
        if np.all(np.isfinite(lim["value"])):
            ax.axhline(lim["value"][0], color=wcolors[wf], ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("t (scott)" if column else "iteration t (scott)")
    ax.set_ylabel("E A_t" if column else "variance growth E A_t")
    ax.grid(True, alpha=0.3)
    ax = axes[-1]
    tr = rows(tab, kind="theory", panel="kernel_count")
    s = rows(tab, kind="simulation", panel="kernel_count")
    ax.bar(tr["x"], tr["value"], color=PALETTE["sky"], alpha=0.6)
    ax.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=2.5, color="black", elinewidth=0.8)
    ax.set_xlim(0, 15)
    ax.set_xlabel("K" if column else "kernel draws K (accumulate)")
    ax.set_ylabel("P(K = k)" if column else "P(K = k) at t_max")
    handles = [Line2D([], [], color=colors[h], lw=1.5, label=f"h = {h}") for h in HS]
    handles += [Line2D([], [], color="grey", lw=1.2, label="theory n = 100: finite-n expansion"),
                Line2D([], [], color="grey", lw=1.2, ls=(0, (3, 1.5)),
                       label="theory: lower bound (expansion cannot hold)"),
                Patch(color="grey", alpha=0.3, label="simulation n = 100, ± 2 SE (band)")]
    handles += [Line2D([], [], color=wcolors[wf], lw=1.5, label=f"{wf} (bottom row)") for wf in WORKFLOWS]
    handles += [Line2D([], [], color="grey", ls=":", label="E A_t limit t → ∞"),
                Line2D([], [], marker="s", mfc="none", mec="grey", ls="none", label="scott"),
                Line2D([], [], marker="^", mfc="none", mec="grey", ls="none", label="silverman"),
                Patch(color=PALETTE["sky"], alpha=0.6, label="Stirling law c(t, k)/t!"),
                Line2D([], [], marker="o", color="black", ls="none", ms=2.5, label="simulation ± 2 SE (points)")]
    shared_legend(fig, handles, ncols=3, column_ncols=1)
    if not column:
        fig.suptitle("KDE refitted on its own samples (n = 100): theory lines, simulation bands", fontsize=8)


LAYOUT = Layout(panels=15, page_cols=3, column_cols=3, aspect=0.62, column_aspect=0.8, legend_rows=5,
                column_legend_rows=14)


FIGURE = Figure(
    id="cot_kde",
    title="Kernel density estimation under replace, accumulate-subsample and accumulate (Collapse or Thrive?)",
    caption=("Gaussian-kernel KDE, iteration 1 = the KDE of the n = 100 real points, 500 held-out real test points. "
             "Rows 1–4: NLL against iteration for h ∈ {0.1, 0.5, 1} on blobs (fixed centres), circles, moons and "
             "swiss roll (noise 0.05). Lines: the finite-n prediction at n = 100 — solid: the expansion "
             "NLL_∞ + (1/2)E_x[Var S/μ²] from the pair genealogy of the fitted points (within 3 SE + 2.5·term² of "
             "the simulation, measured); dashed: where the expansion cannot hold (h small against the spacing of "
             "the fitted points: blobs and swiss roll at small h, replace at large t) or is not derived "
             "(accumulate-subsample at t ≥ 2), a proven lower bound (nearest-neighbour union bound for blobs, "
             "Jensen's annealed NLL for the curves). Bands: simulation ± 2 SE over 10 runs (the authors' count; "
             "under replace at later t the per-run NLL is heavy-tailed, so a 10-run band can sit below the mean). "
             "The n → ∞ law is in the CSV "
             "(kind = limit). Row 5: NLL at the last iteration against h with scikit-learn's scott/silverman "
             "rules; the variance growth for scott (accumulate converges, Σ h_j²/j < ∞; replace and "
             "accumulate-subsample diverge); the Stirling law of the kernel count against the simulated ancestry."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
