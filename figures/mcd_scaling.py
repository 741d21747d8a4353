"""MCD Fig. 1 and the crossover: iterative retraining, theory lines and simulation points (docs/theory.md §4).

Settings (chosen; the paper's exact values were not available):

(a) Σ = I, d = 100, T₀ = 200, σ = σ₀ = 0.5, n ∈ {0, 1, 4}, T ∈ {60, 300}: test error against λ (log), the
    U-shaped curves, their minima (:func:`theory.iterative_retraining.best_lambda`) marked.
(b) ω_j = j^−2 (β = 2), source r = 0.5, d = 1000, T₀ = 2000 (φ₀ = 0.5), σ = 0, σ₀ = 0.5, λ = T^−ℓ_crit
    (ℓ_crit = 2/3): error against T for n ∈ {0, 1, 2, 4, 8}; the fitted slope of each theory curve
    (T = 10..500) is printed beside the predicted −2βr/(2βr + 1) = −2/3.
(c) Same spectrum and teacher, σ₀ = 0.03: ridgeless (λ = 0) against adaptive λ = c_n·T^−ℓ_crit (c_n from the
    best λ at T = 100, then only the T^−ℓ_crit scaling), n ∈ {0, 1, 4}:
    the fast rate T^−2 (n = 0), the collapse floor (β − 1)nσ₀²φ₀/(1 − φ₀) for n ≥ 1, the crossover T*
    (:func:`scaling_law`, dotted) where the floor takes over, and the slow rate T^−2/3 restored by adaptive λ.

Simulation points: :func:`montecarlo.iterative_retraining.simulate` (conditional estimator, mean ± 2 SE), one
``SeedSequence(seed, spawn_key=(panel, i, j))`` per point.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    log_axis,
    note,
    points,
    rows,
    sequential_colors,
    shared_legend,
    subpanels,
    table,
)
from model_collapse.montecarlo import iterative_retraining as mc
from model_collapse.theory import iterative_retraining as th

A_D, A_T0, A_SIG = 100, 200, 0.5
A_T = (60, 300)
A_N = (0, 1, 4)
BETA, R, P_D, P_T0 = 2.0, 0.5, 1000, 2000
B_N = (0, 1, 2, 4, 8)
B_SIG0 = 0.5
C_N = (0, 1, 4)
C_SIG0 = 0.03
C_TUNE = 100
SPEC = f"powerlaw:{BETA:g}"


def _rows(panel, kind, series, n, t, lam, value, se):
    k = len(np.atleast_1d(value))
    full = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (k,)).copy()  # noqa: E731
    return table(panel=[panel] * k, kind=[kind] * k, series=[series] * k, n=full(n), T=full(t), lam=full(lam),
                 value=full(value), se=full(se))


def _sim(panel, key, seed, trials, **setting):
    ss = np.random.SeedSequence(seed, spawn_key=key)
    return mc.simulate(**setting, n_trials=trials, seed=ss).total


def compute(quick: bool, seed: int) -> Table:
    parts: list[Table] = []
    trials = 6 if quick else 8
    # (a) U-shaped curves against λ.
    lam_grid = np.logspace(-4, 2, 40 if quick else 120)
    sim_lam = (1e-3, 1e-1, 10.0) if quick else (1e-3, 1e-2, 1e-1, 1.0, 10.0)
    for i, t in enumerate(A_T):
        for j, n in enumerate(A_N):
            kw = dict(sigma=A_SIG, sigma0=A_SIG)
            p = th.predict(n, t, A_T0, A_D, lam=lam_grid, **kw)
            parts.append(_rows("a", "theory", f"T={t}", n, t, lam_grid, p.total, 0.0))
            best = th.best_lambda(n, t, A_T0, A_D, **kw)
            parts.append(_rows("a", "minimum", f"T={t}", n, t, best.lam, best.total, 0.0))
            for q, lam in enumerate(sim_lam):
                e = _sim(0, (0, i, j, q), seed, 2 * trials, generations=n, samples=t, generator_samples=A_T0, d=A_D,
                         lam=lam, **kw)
                parts.append(_rows("a", "simulation", f"T={t}", n, t, lam, e.mean, e.sem))
    law = th.scaling_law(BETA, R)
    t_grid = np.logspace(1, np.log10(500), 20 if quick else 50)
    sim_t = (10, 80) if quick else (10, 40, 160)
    # (b) power law, adaptive λ = T^-ell_crit.
    pb = th.predict(np.asarray(B_N)[:, None], t_grid, P_T0, P_D, sigma=0.0, sigma0=B_SIG0, lam=t_grid**-law.ell_crit,
                    spectrum=SPEC, source_r=R)
    for j, n in enumerate(B_N):
        parts.append(_rows("b", "theory", "adaptive", n, t_grid, t_grid**-law.ell_crit, pb.total[j], 0.0))
        slope = float(np.polyfit(np.log(t_grid), np.log(pb.total[j]), 1)[0])
        parts.append(_rows("b", "slope", "fitted", n, np.nan, np.nan, slope, 0.0))
        parts.append(_rows("b", "slope", "predicted", n, np.nan, np.nan, law.exponent, 0.0))
        if n in (0, 1, 4):
            for q, t in enumerate(sim_t):
                e = _sim(1, (1, j, q), seed, trials, generations=n, samples=t, generator_samples=P_T0, d=P_D,
                         sigma=0.0, sigma0=B_SIG0, lam=t**-law.ell_crit, spectrum=SPEC, source_r=R)
                parts.append(_rows("b", "simulation", "adaptive", n, t, t**-law.ell_crit, e.mean, e.sem))
    # (c) crossover: ridgeless against adaptive.
    for j, n in enumerate(C_N):
        # adaptive λ = c_n·T^-ell_crit, the constant tuned once at T = C_TUNE (best λ there), then only scaled
        best = th.best_lambda(n, C_TUNE, P_T0, P_D, sigma=0.0, sigma0=C_SIG0, spectrum=SPEC, source_r=R)
        c_n = best.lam * C_TUNE**law.ell_crit
        for series, lam in (("ridgeless", np.zeros_like(t_grid)), ("adaptive", c_n * t_grid**-law.ell_crit)):
            p = th.predict(n, t_grid, P_T0, P_D, sigma=0.0, sigma0=C_SIG0, lam=lam, spectrum=SPEC, source_r=R)
            parts.append(_rows("c", "theory", series, n, t_grid, lam, p.total, 0.0))
        if n > 0:
            cl = th.scaling_law(BETA, R, generations=n, sigma0=C_SIG0, phi0=P_D / P_T0)
            parts.append(_rows("c", "crossover", "closed form", n, cl.crossover, 0.0, cl.floor, 0.0))
        for q, t in enumerate(sim_t):
            e = _sim(2, (2, j, q), seed, trials, generations=n, samples=t, generator_samples=P_T0, d=P_D, sigma=0.0,
                     sigma0=C_SIG0, lam=0.0, spectrum=SPEC, source_r=R)
            parts.append(_rows("c", "simulation", "ridgeless", n, t, 0.0, e.mean, e.sem))
    return concat(parts)


N_ALL = sorted(set(A_N) | set(B_N) | set(C_N))
#: one colour per number of synthetic generations n, the same in every panel (viridis steps)
N_COLORS = sequential_colors(N_ALL, "viridis", 0.0, 0.85)
LAYOUT = Layout(panels=3, page_cols=3, aspect=0.9, column_aspect=0.62, legend_rows=0, panel_legend_rows=7,
                column_panel_legend_rows=4)
LAM_TEX = r"$\lambda = T^{-\ell_{\mathrm{crit}}}$"


def _n_handles(ns):
    return [Line2D([], [], color=N_COLORS[n], label=f"n = {n}") for n in ns]


def _sim_handle():
    return Line2D([], [], ls="none", marker="o", ms=3.5, mfc="0.6", mec="black", mew=0.4, label="simulation ± 2 SE")


def plot(tab: Table, fig) -> None:
    sub = subpanels(fig, LAYOUT)
    ax_a, ax_b, ax_c = (f.subplots() for f in sub)
    for t, ls in zip(A_T, ("-", "--"), strict=True):
        for n in A_N:
            th_rows = rows(tab, panel="a", kind="theory", series=f"T={t}", n=n)
            ax_a.plot(th_rows["lam"], th_rows["value"], ls=ls, color=N_COLORS[n])
            m = rows(tab, panel="a", kind="minimum", series=f"T={t}", n=n)
            ax_a.plot(m["lam"], m["value"], marker="*", ms=7, mfc=N_COLORS[n], mec="black", mew=0.4, ls="none")
            s = rows(tab, panel="a", kind="simulation", series=f"T={t}", n=n)
            points(ax_a, s["lam"], s["value"], yerr=2 * s["se"], color=N_COLORS[n], ms=3.0)
    ax_a.set(xlabel="ridge λ", ylabel="test error ‖ŵ − w₀‖²_Σ", title=f"Σ = I, d = {A_D}, T₀ = {A_T0}")
    log_axis(ax_a, "x")
    log_axis(ax_a, "y")
    shared_legend(sub[0], _n_handles(A_N) + [
        Line2D([], [], color="0.3", label=f"theory, T = {A_T[0]}"),
        Line2D([], [], color="0.3", ls="--", label=f"theory, T = {A_T[1]}"),
        Line2D([], [], ls="none", marker="*", ms=7, mfc="0.6", mec="black", mew=0.4, label="best λ (theory)"),
        _sim_handle()], ncols=1, column_ncols=2)

    for n in B_N:
        t = rows(tab, panel="b", kind="theory", n=n)
        ax_b.plot(t["T"], t["value"], color=N_COLORS[n])
        s = rows(tab, panel="b", kind="simulation", n=n)
        if len(s["T"]):
            points(ax_b, s["T"], s["value"], yerr=2 * s["se"], color=N_COLORS[n], ms=3.0)
    pred = float(rows(tab, panel="b", kind="slope", series="predicted", n=B_N[0])["value"][0])
    fitted = [float(rows(tab, panel="b", kind="slope", series="fitted", n=n)["value"][0]) for n in B_N]
    ax_b.set(xlabel="downstream samples T", ylabel="test error ‖ŵ − w₀‖²_Σ",
             title=f"ω_j = j⁻², r = {R:g}, σ₀ = {B_SIG0:g}, " + LAM_TEX)
    log_axis(ax_b, "x")
    log_axis(ax_b, "y")
    note(ax_b, f"fitted slopes {min(fitted):.2f} to {max(fitted):.2f}\npredicted {pred:.3f}", x=0.97, y=0.96,
         ha="right", va="top")
    shared_legend(sub[1], _n_handles(B_N) + [Line2D([], [], color="0.3", label="theory"),
                                            _sim_handle()], ncols=1, column_ncols=2)

    for n in C_N:
        for series, ls in (("ridgeless", "-"), ("adaptive", "--")):
            t = rows(tab, panel="c", kind="theory", series=series, n=n)
            ax_c.plot(t["T"], t["value"], ls=ls, color=N_COLORS[n])
        s = rows(tab, panel="c", kind="simulation", n=n)
        points(ax_c, s["T"], s["value"], yerr=2 * s["se"], color=N_COLORS[n], ms=3.0)
        c = rows(tab, panel="c", kind="crossover", n=n)
        if len(c["T"]):
            ax_c.axvline(c["T"][0], color=N_COLORS[n], ls=":", lw=0.9)
            ax_c.axhline(c["value"][0], color=N_COLORS[n], ls=":", lw=0.7)
    ax_c.set(xlabel="downstream samples T", ylabel="test error ‖ŵ − w₀‖²_Σ", title=f"crossover, σ₀ = {C_SIG0:g}")
    log_axis(ax_c, "x")
    log_axis(ax_c, "y")
    shared_legend(sub[2], _n_handles(C_N) + [
        Line2D([], [], color="0.3", label="theory, ridgeless λ = 0"),
        Line2D([], [], color="0.3", ls="--", label=r"theory, $\lambda = c_n T^{-\ell_{\mathrm{crit}}}$"),
        Line2D([], [], color="0.3", ls=":", lw=0.9, label="closed form: T*, floor"),
        _sim_handle()], ncols=1, column_ncols=2)
    for ax in (ax_a, ax_b, ax_c):
        ax.grid(True, which="major")


FIGURE = Figure(
    id="mcd_scaling",
    title="Iterative retraining: U-shaped curves, power-law scaling with adaptive λ, and the fast-to-slow crossover",
    caption=("(a) Σ = I, d = 100, T₀ = 200, σ = σ₀ = 0.5: error against λ for n ∈ {0, 1, 4} synthetic generations, "
             "minima starred; more generations move the best λ up. (b) ω_j = j^-2, source r = 0.5, d = 1000, "
             "T₀ = 2000, σ = 0, σ₀ = 0.5, λ = T^-2/3: all n fall at the slow rate T^-2/3 (fitted slopes beside the "
             "predicted), the constant grows with n. (c) σ₀ = 0.03: ridgeless fitting falls at the fast rate T^-2 "
             "until the crossover T* (dotted), then sits on the collapse floor (β−1)nσ₀²φ₀/(1−φ₀); adaptive "
             "λ = c_n·T^-2/3 (c_n tuned at T = 100) restores the slow rate. "
             "Points: simulation of the chain (conditional estimator), mean ± 2 SE."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
