"""Strong model collapse under covariate shift: the synthetic rows' covariance Σ₂ moves the error and its floor.

Setting (chosen): real rows isotropic Σ₁ = I, d = 100, ridge λ = 1e-3 (nearly ridgeless), r² = 1, c² = 1,
σ₁ = σ₂ = 0.5; synthetic rows with Σ₂ ∈ {I (no shift), powerlaw:0.5, powerlaw:1, 4·I}; one panel per synthetic
fraction p₂ ∈ {0.1, 0.5}. Theory: :func:`theory.ridge_mixture.predict` with ``eigenvalues2`` (which delegates to
:mod:`theory.covariate_shift`) on a log grid of n; dotted: the same theory at n = 10¹⁴, i.e. the n → ∞ floor
λ²·tr ΓΣ₁(Σ_p + λ)⁻² + p₂²·tr ΔΣ₁Σ₂²(Σ_p + λ)⁻² with Σ_p = p₁Σ₁ + p₂Σ₂ (μ → λ, α₂ → p₂, y → 0);
simulation: :func:`montecarlo.ridge_mixture.simulate` with ``eigenvalues2`` (exact conditional expectation given
the design) at n where p₂n is an integer.
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
from model_collapse.figures.style import PALETTE
from model_collapse.montecarlo import ridge_mixture as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

D = 100
LAM = 1e-3
SIGMA = 0.5
C2 = 1.0
P2S = (0.1, 0.5)
SHIFTS = ("isotropic", "powerlaw:0.5", "powerlaw:1", "4 x isotropic")
LABELS = {"isotropic": "Σ₂ = Σ₁ = I (no covariate shift)", "powerlaw:0.5": "Σ₂ = powerlaw:0.5 (j^-0.5)",
          "powerlaw:1": "Σ₂ = powerlaw:1 (j^-1)", "4 x isotropic": "Σ₂ = 4·I"}
SIM_N = (30, 60, 200, 500, 1000, 3000, 10000, 30000)
FLOOR_N = 1e14


def spectrum2(name: str) -> np.ndarray:
    return 4.0 * eigenvalues("isotropic", D) if name == "4 x isotropic" else eigenvalues(name, D)


def compute(quick: bool, seed: int) -> Table:
    w1 = eigenvalues("isotropic", D)
    n_grid = np.unique(np.round(np.logspace(1, 5, 25 if quick else 120)))
    sim_n = SIM_N[::3] if quick else SIM_N
    trials = 6 if quick else 40
    kw = dict(c2=C2, sigma=SIGMA)
    parts: list[Table] = []
    for j, name in enumerate(SHIFTS):
        w2 = spectrum2(name)
        theory = th.predict(n_grid[:, None], np.array(P2S)[None, :], LAM, w1, eigenvalues2=w2, **kw)
        floor = th.predict(FLOOR_N, np.array(P2S), LAM, w1, eigenvalues2=w2, **kw).total
        for i, p2 in enumerate(P2S):
            m = n_grid.size
            parts.append(table(kind=["theory"] * m, sigma2_spectrum=[name] * m, p2=np.full(m, p2), n=n_grid,
                               value=theory.total[:, i], se=np.zeros(m)))
            parts.append(table(kind=["floor"], sigma2_spectrum=[name], p2=[p2], n=[FLOOR_N], value=[floor[i]],
                               se=[0.0]))
            for k, n in enumerate(sim_n):
                if abs(p2 * n - round(p2 * n)) > 1e-9:
                    continue  # only where the simulated fraction round(p₂n)/n is exactly p₂
                est = mc.simulate(n, p2, LAM, w1, eigenvalues2=w2, n_trials=trials, seed=point_seed(seed, i, j, k),
                                  **kw)
                parts.append(table(kind=["simulation"], sigma2_spectrum=[name], p2=[p2], n=[float(n)],
                                   value=[est.total.mean], se=[est.total.sem]))
    return concat(parts)


LAYOUT = Layout(panels=2, page_cols=2, aspect=0.78, column_aspect=0.72, legend_rows=2, column_legend_rows=4)
# categories, not an order: Okabe–Ito colours, and a marker per covariance as well
COLORS = {"isotropic": PALETTE["black"], "powerlaw:0.5": PALETTE["blue"], "powerlaw:1": PALETTE["vermillion"],
          "4 x isotropic": PALETTE["green"]}
MARKERS = dict(zip(SHIFTS, ("o", "s", "D", "^"), strict=True))


def plot(tab: Table, fig) -> None:
    p2s = sorted(set(tab["p2"].tolist()))
    axes = grid(fig, LAYOUT, sharey=True, sharex=True)
    for ax, p2 in zip(axes, p2s, strict=True):
        for name in SHIFTS:
            t = rows(tab, kind="theory", sigma2_spectrum=name, p2=p2)
            ax.plot(t["n"], t["value"], color=COLORS[name], ls="--" if name == "isotropic" else "-", zorder=2)
            f = rows(tab, kind="floor", sigma2_spectrum=name, p2=p2)
            ax.axhline(f["value"][0], color=COLORS[name], ls=":", lw=0.8, zorder=1)
            s = rows(tab, kind="simulation", sigma2_spectrum=name, p2=p2)
            points(ax, s["n"], s["value"], yerr=2 * s["se"], color=COLORS[name], marker=MARKERS[name])
        ax.axvline(D, color="grey", lw=0.6, alpha=0.6, zorder=0)
        ax.text(D * 1.1, 0.97, "n = d", transform=ax.get_xaxis_transform(), fontsize=6.5, va="top", color="0.35")
        ax.set_xlim(10, 1e5)
        ax.set_ylim(1e-4, 30)
        log_axis(ax, "x")
        log_axis(ax, "y")
        ax.set_title(f"p₂ = {p2:g} synthetic")
        ax.grid(True, which="major")
    label_grid(axes, "total sample size n", "test error on real data")
    handles = [Line2D([], [], color=COLORS[name], ls="--" if name == "isotropic" else "-",
                      marker=MARKERS[name], ms=3.5, mfc=COLORS[name], mec="black", mew=0.4, label=LABELS[name])
               for name in SHIFTS]
    handles += [Line2D([], [], color="0.3", label="theory (lines)"),
                Line2D([], [], ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4,
                       label="simulation ± 2 SE"),
                Line2D([], [], color="0.3", ls=":", lw=0.8, label="floor (theory at n = 10¹⁴)")]
    shared_legend(fig, handles, ncols=4, column_ncols=2)


FIGURE = Figure(
    id="smc_covariate_shift",
    title="Test error against n when the synthetic rows have another covariance (covariate shift)",
    caption=("Real rows isotropic (Σ₁ = I, d = 100), synthetic rows Σ₂ ∈ {I, powerlaw:0.5, powerlaw:1, 4·I}, "
             "one panel per synthetic fraction p₂ ∈ {0.1, 0.5}, λ = 1e-3, c² = 1 (label shift energy on the real distribution), σ₁ = σ₂ = 0.5, r² = 1. Lines: "
             "deterministic-equivalent theory (theory.covariate_shift); points: simulation mean ± 2 SE (40 designs, "
             "exact conditional expectation given X); dotted: the n → ∞ floors, ≈ p₂²·tr ΔΣ₁Σ₂²(p₁Σ₁ + "
             "p₂Σ₂)⁻² for small λ. The floor depends on Σ₂: synthetic rows with little variance in a direction "
             "carry little of the shift there, and stronger synthetic rows (4·I) pull the fit further toward the "
             "shifted teacher."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
