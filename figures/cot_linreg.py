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
from matplotlib import colormaps
from model_collapse.figures._base import Figure, Table, concat, rows, table
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


def plot(tab: Table, fig) -> None:
    ns = sorted(set(rows(tab, kind="simulation")["n"].tolist()))
    cmap = colormaps["cool"]
    colors = {n: cmap(i / max(len(ns) - 1, 1)) for i, n in enumerate(ns)}
    axes = fig.subplots(2, len(WORKFLOWS), squeeze=False, sharex=True)
    for r, q in enumerate(("test_error", "ratio")):
        for c, wf in enumerate(WORKFLOWS):
            ax = axes[r][c]
            for n in ns:
                s = rows(tab, kind="simulation", quantity=q, workflow=wf, n=n)
                ax.fill_between(s["iteration"], s["value"] - 2 * s["se"], s["value"] + 2 * s["se"],
                                color=colors[n], alpha=0.3, lw=0)
                t = rows(tab, kind="theory", quantity=q, workflow=wf, n=n)
                ax.plot(t["iteration"], t["value"], color=colors[n], lw=1.4,
                        label=f"n = {n}" if (r == 0 and c == 0) else None)
            b = rows(tab, kind="bound", quantity=q, workflow=wf)
            if len(b["value"]):
                ax.axhline(b["value"][0], color="black", ls="--", lw=1, label="π²/6")
                ax.legend(fontsize=8, loc="lower right")
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
            if r == 0:
                ax.set_title(wf, fontsize=10)
            else:
                ax.set_xlabel("model-fitting iteration")
        axes[r][0].set_ylabel("test MSE (noiseless labels)" if q == "test_error"
                              else "test error / real-data error σ²d/(n−d−1)")
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Linear regression retrained on its own labels (d = {D}, σ² = {SIGMA**2:g}, {N_TEST} test points): "
                 "lines exact theory, bands simulation ± 2 SE", fontsize=10)


FIGURE = Figure(
    id="cot_linreg",
    title="Linear regression under replace, accumulate-subsample and accumulate (Collapse or Thrive?)",
    caption=("Fixed Gaussian design (d = 10, n rows), labels refreshed by the latest OLS fit plus N(0, σ²) noise, "
             "σ² = 1; iteration 1 = the fit on real labels; test MSE on 1000 fixed noiseless test points. Lines: "
             "exact expectations t·σ²d/(n−d−1) (replace) and Σ_{i≤t}1/i²·σ²d/(n−d−1) (accumulate, below π²/6 "
             "times the real-data error); accumulate-subsample has no closed form. Bands: 200 simulated runs, "
             "mean ± 2 SE. Bottom: divided by the real-data error, every n falls on the same t or H_t⁽²⁾ curve."),
    compute=compute,
    plot=plot,
    figsize=(15.0, 8.0),
)
