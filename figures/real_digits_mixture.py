"""Strong Model Collapse on real digits: measured held-out error against the empirical-spectrum theory.

Data: scikit-learn's 1,797 8x8 digits, pixels / 16, centred (d = 61 non-constant directions); target the
parity (+1 even, −1 odd). Teacher: the least-squares fit on all 1,797 rows (r² = 0.708, residual variance
σ² = 0.292). Generator: ridge (λ₀ = 1e-3) on n₀ = 100 real rows; synthetic rows are real images labelled by
it (noise-free). Model: ridge λ = 1e-3 on n₁ real + n₂ = p₂n synthetic rows; error = held-out MSE on every
remaining real row (1,697 − n) minus σ² (the excess over the label noise), mean ± 2 SE over resampled splits.
Theory: :func:`theory.real_data.mixture_test_error` on the empirical eigenvalues with the data's teacher and
shift (solid); dashed: the same on an isotropic spectrum of the same trace (:func:`theory.real_data.isotropic_twin`);
dotted: the n → ∞ floor at this λ (:func:`theory.real_data.mixture_floor`; p₂²c² at λ → 0).
Simulation: :func:`montecarlo.real_data.simulate_mixture`.
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
    log_axis,
    points,
    rows,
    sequential_colors,
    shared_legend,
)
from model_collapse.figures._base import table as make_table
from model_collapse.montecarlo import real_data as mr
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import real_data as tr

SPECTRUM = "data:digits"
TARGET = "parity"
N0, LAM0 = 100, 1e-3
LAM = 1e-3
P2S = (0.0, 0.25, 0.6)
SIM_N = (80, 120, 200, 350, 600, 1000)
N_FIXED = 1000
SIM_P2 = (0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.0)


def _theory(problem, n, p2, eigs=None, teacher=None, shift=None):
    w = problem.eigenvalues if eigs is None else eigs
    a = problem.teacher if teacher is None else teacher
    b = problem.shift if shift is None else shift
    return tr.mixture_test_error(n, p2, LAM, w, a, b, sigma=np.sqrt(problem.sigma2), sigma2=0.0).total


def compute(quick: bool, seed: int) -> Table:
    problem = mr.mixture_problem(SPECTRUM, TARGET, n0=N0, lam0=LAM0, seed=point_seed(seed, 0))
    twin = tr.isotropic_twin(problem.eigenvalues, problem.teacher, problem.shift)
    trials = 10 if quick else 40
    sim_n = SIM_N[::2] if quick else SIM_N
    sim_p2 = SIM_P2[::3] if quick else SIM_P2
    n_grid = np.unique(np.round(np.logspace(np.log10(70), np.log10(1150), 60)))
    p2_grid = np.linspace(0.0, 1.0, 51)
    parts: list[Table] = []

    def add(panel, kind, n, p2, value, se):
        k = len(value)
        parts.append(make_table(panel=[panel] * k, kind=[kind] * k, n=np.broadcast_to(n, (k,)).astype(float),
                                p2=np.broadcast_to(p2, (k,)).astype(float), value=value, se=se))

    for j, p2 in enumerate(P2S):
        add("n", "theory", n_grid, p2, _theory(problem, n_grid, p2), np.zeros(n_grid.size))
        add("n", "isotropic", n_grid, p2, _theory(problem, n_grid, p2, *twin), np.zeros(n_grid.size))
        add("n", "floor", np.nan, p2, [float(tr.mixture_floor(p2, LAM, problem.eigenvalues, problem.teacher,
                                                               problem.shift))], [0.0])
        for k, n in enumerate(sim_n):
            est = mr.simulate_mixture(problem, n, p2, LAM, n_trials=trials,
                                      seed=point_seed(seed, 1, j, k)).test_error
            add("n", "measured", n, p2, [est.mean - problem.sigma2], [est.sem])
    add("p2", "theory", N_FIXED, p2_grid, _theory(problem, N_FIXED, p2_grid), np.zeros(p2_grid.size))
    add("p2", "isotropic", N_FIXED, p2_grid, _theory(problem, N_FIXED, p2_grid, *twin), np.zeros(p2_grid.size))
    add("p2", "floor", np.nan, p2_grid, tr.mixture_floor(p2_grid, LAM, problem.eigenvalues, problem.teacher,
                                                         problem.shift), np.zeros(p2_grid.size))
    add("p2", "floor0", np.nan, p2_grid, p2_grid**2 * problem.c2, np.zeros(p2_grid.size))
    for k, p2 in enumerate(sim_p2):
        est = mr.simulate_mixture(problem, N_FIXED, p2, LAM, n_trials=trials,
                                  seed=point_seed(seed, 2, k)).test_error
        add("p2", "measured", N_FIXED, p2, [est.mean - problem.sigma2], [est.sem])
    add("meta", "c2", np.nan, np.nan, [problem.c2], [0.0])
    add("meta", "c2_heldout", np.nan, np.nan, [problem.c2_heldout], [0.0])
    add("meta", "sigma2", np.nan, np.nan, [problem.sigma2], [0.0])
    return concat(parts)


LAYOUT = Layout(panels=2, page_cols=2, aspect=0.8, column_aspect=0.72, legend_rows=5, column_legend_rows=7)


def plot(tab: Table, fig) -> None:
    ax1, ax2 = grid(fig, LAYOUT)
    colors = {0.0: "black", **sequential_colors([p for p in P2S if p > 0], reverse=True)}
    c2 = float(rows(tab, panel="meta", kind="c2")["value"][0])
    c2h = float(rows(tab, panel="meta", kind="c2_heldout")["value"][0])
    s2 = float(rows(tab, panel="meta", kind="sigma2")["value"][0])
    for p2 in P2S:
        t = rows(tab, panel="n", kind="theory", p2=p2)
        ax1.plot(t["n"], t["value"], color=colors[p2], zorder=2)
        t = rows(tab, panel="n", kind="isotropic", p2=p2)
        ax1.plot(t["n"], t["value"], color=colors[p2], lw=0.8, ls="--", zorder=2)
        if p2 > 0:
            ax1.axhline(rows(tab, panel="n", kind="floor", p2=p2)["value"][0], color=colors[p2], ls=":", lw=0.8,
                        zorder=1)
        s = rows(tab, panel="n", kind="measured", p2=p2)
        points(ax1, s["n"], s["value"], yerr=2 * s["se"], color=colors[p2])
    ax1.set_xlim(65, 1250)
    ax1.set_ylim(5e-3, 0.8)
    log_axis(ax1, "x")
    log_axis(ax1, "y")
    ax1.set_xlabel("training rows n (real + synthetic)")
    ax1.set_ylabel("held-out MSE − σ²")
    ax1.set_title(f"(a) against n, λ = {LAM:g}")
    # (b) one curve of each kind, against p₂ (the colours of (a) are p₂ values, so (b) is drawn in black)
    t = rows(tab, panel="p2", kind="theory")
    ax2.plot(t["p2"], t["value"], color="black")
    t = rows(tab, panel="p2", kind="isotropic")
    ax2.plot(t["p2"], t["value"], color="black", lw=0.8, ls="--")
    t = rows(tab, panel="p2", kind="floor")
    ax2.plot(t["p2"], t["value"], color="black", lw=0.8, ls=":")
    t = rows(tab, panel="p2", kind="floor0")
    ax2.plot(t["p2"], t["value"], color="grey", lw=0.8, ls="-.")
    s = rows(tab, panel="p2", kind="measured")
    points(ax2, s["p2"], s["value"], yerr=2 * s["se"], color="white")
    ax2.set_xlim(-0.02, 1.02)
    ax2.set_ylim(0, None)
    ax2.set_xlabel("synthetic fraction p₂")
    ax2.set_ylabel("held-out MSE − σ²")
    ax2.set_title(f"(b) against p₂, n = {N_FIXED}")
    for ax in (ax1, ax2):
        ax.grid(True, which="major")
    handles = [Line2D([], [], color=colors[p], label="p₂ = 0 (real only)" if p == 0 else f"(a) p₂ = {p:g}")
               for p in P2S]
    handles += [Line2D([], [], color="0.3", label="theory (empirical Σ)"),
                Line2D([], [], color="0.3", lw=0.8, ls="--", label="theory (isotropic Σ)"),
                Line2D([], [], color="0.3", lw=0.8, ls=":", label="floor at this λ"),
                Line2D([], [], color="grey", lw=0.8, ls="-.", label="p₂²c² (λ → 0 floor)"),
                Line2D([], [], ls="none", marker="o", ms=3.5, mfc="white", mec="black", mew=0.4,
                       label="measured ± 2 SE")]
    shared_legend(fig, handles, ncols=4, column_ncols=2,
                  title=f"parity of 8×8 digits, d = 61:\ngenerator c² = {c2:.3g} (held-out {c2h:.3g}), σ² = {s2:.3g}")


FIGURE = Figure(
    id="real_digits_mixture",
    title="Strong Model Collapse on scikit-learn's digits: measured against the empirical-spectrum theory",
    caption=("1,797 real 8x8 digits (pixels/16, centred, d = 61), target parity ±1; teacher = least squares on "
             "all rows; generator = ridge on 100 real rows (its excess error c² printed); ridge λ = 1e-3 on n "
             "rows, a fraction p₂ labelled by the generator. Points: held-out MSE on the remaining real rows "
             "(1,697 − n) minus the label-noise variance σ², mean ± 2 SE over resampled splits; solid: theory "
             "from the empirical spectrum, teacher and shift; dashed: an isotropic spectrum of the same trace; "
             "dotted: the n → ∞ floor at this λ (≈ p₂²c², dash-dotted); the isotropic spectrum has the same trace."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
