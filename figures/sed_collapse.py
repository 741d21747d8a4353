"""How Bad is Training on Synthetic Data? Figs. 2–3 set-ups: collapse of the statistical language model.

The paper's law (Figs. 2–4 and 6): vocabulary s = 600, support s̃ = 52, S₀ = 0.1 (here the canonical
geometric law with those values, :func:`montecarlo.language_model.law`). Panels:

(a) fully synthetic, N = n = 50: S_m (Theorem 1) and the bounds on P(collapsed by m), against the
    simulated mean σ_m and collapsed fraction;
(b) fully synthetic, E[T] against n = N ∈ {10, 50, 100, …, 400} (the paper's Fig. 2 sweep): Theorem 1's
    lower bound (the paper's red dashed line) and upper bound, the Wright–Fisher approximation for this
    law, and simulated collapse times (100 runs, mean ± 2 SE);
(c) partially synthetic, N = 100 real tokens, n ∈ {10, 100, 1000} synthetic tokens, 50 generations, 100
    runs (the paper's Fig. 3): Theorem 2 (corrected sign) against simulated σ_m;
(d) the four workflows at N = n = 10: exact S_m (accumulate converges below 1: it never collapses;
    accumulate-subsample lies in between);
(e) the simulated drift E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ of panel (c)'s runs (no closed form; it grows with n);
(f) the paper's Fig. 6 variants, 10 tokens per generation for 500 generations: ⌊10/K⌋ fresh tokens from
    each of the last K ∈ {1, 2, 5} models (model 0 = the truth), or from a uniformly drawn past model
    (exact S_m by the Gram recursion; the window delays collapse, random past models avoid it);
(g) the paper's Fig. 1: 81 contexts on s = 3 tokens (laws drawn from Dirichlet(1, 1, 1)), 12 tokens each
    per generation (n = 1000 in total), fully synthetic: snapshots on the simplex at m = 0, 10, …, 40 and the
    collapsed fraction against the exact chain's expectation;
(h) the paper's Fig. 4: partially synthetic, n = 10, N = 100, S₀ ∈ {0.05, 0.1, 0.3, 0.6}: the drift.
Lines are theory (:mod:`theory.language_model`), points simulation (:mod:`montecarlo.language_model`).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.lines import Line2D
from model_collapse.figures._base import (
    Figure,
    Layout,
    Table,
    concat,
    note,
    points,
    rows,
    shared_legend,
    subpanels,
    table,
)
from model_collapse.figures.style import PALETTE
from model_collapse.montecarlo import language_model as mc
from model_collapse.theory import language_model as th
from model_collapse.theory import lm_drift as drift

VOCAB, SUPPORT, S0 = 600, 52, 0.1
PANEL_A_N, PANEL_A_M = 50, 300
PANEL_B_NS = (10, 50, 100, 150, 200, 250, 300, 350, 400)
PANEL_C_REAL, PANEL_C_NS, PANEL_C_M = 100, (10, 100, 1000), 50
PANEL_D_N, PANEL_D_M = 10, 60
PANEL_D_WORKFLOWS = ("fully-synthetic", "partially-synthetic", "accumulate", "accumulate-subsample")
PANEL_F_TOTAL, PANEL_F_M = 10, 500  # the paper's Fig. 6: n = 10 tokens per generation, 500 generations
PANEL_F_CASES = (("recent-window", 1), ("recent-window", 2), ("recent-window", 5), ("random-past", None))
PANEL_G_CONTEXTS, PANEL_G_TOKENS, PANEL_G_M = 81, 12, 40  # the paper's Fig. 1: s = 3, c = 81, n = 1000 ≈ 81·12
PANEL_G_SNAPSHOTS = (0, 10, 20, 30, 40)
PANEL_H_REAL, PANEL_H_N, PANEL_H_M, PANEL_H_S0 = 100, 10, 50, (0.05, 0.1, 0.3, 0.6)  # the paper's Fig. 4


def _part(panel, kind, quantity, workflow, n, x, value, se=None, item=-1) -> Table:
    x = np.atleast_1d(np.asarray(x, dtype=float))
    k = x.size
    value = np.broadcast_to(np.asarray(value, dtype=float), (k,))
    se = np.zeros(k) if se is None else np.broadcast_to(np.asarray(se, dtype=float), (k,))
    return table(panel=[panel] * k, kind=[kind] * k, quantity=[quantity] * k, workflow=[workflow] * k,
                 n=np.full(k, n), x=x, value=value, se=se, item=np.broadcast_to(np.asarray(item), (k,)))


def compute_fully(quick: bool, seed: int) -> Table:
    """Panels a (S_m, P(collapsed)) and b (E[T]) of the fully synthetic chain (figure ``sed_collapse``)."""
    runs = 30 if quick else 100
    parts: list[Table] = []
    p = mc.law(S0, SUPPORT, VOCAB)
    # (a) fully synthetic S_m and collapse probability
    m_a = PANEL_A_M // 3 if quick else PANEL_A_M
    n = PANEL_A_N
    gens = np.arange(1, m_a + 1)
    pred = th.predict("fully-synthetic", n, n, gens, S0, SUPPORT, VOCAB)
    parts += [_part("a", "theory", "sq_norm", "fully-synthetic", n, gens, pred.sq_norm),
              _part("a", "bound_lower", "collapse_prob", "fully-synthetic", n, gens, pred.collapse_prob_lower),
              _part("a", "bound_upper", "collapse_prob", "fully-synthetic", n, gens, pred.collapse_prob_upper)]
    est = mc.simulate("fully-synthetic", n, n, np.arange(1, m_a + 1), S0, SUPPORT, VOCAB, n_trials=runs,
                      seed=np.random.SeedSequence(seed, spawn_key=(0,)))
    step = max(1, m_a // 30)
    sel = slice(0, m_a, step)
    parts += [_part("a", "simulation", "sq_norm", "fully-synthetic", n, gens[sel], est.sq_norm.mean[sel],
                    est.sq_norm.sem[sel]),
              _part("a", "simulation", "collapse_prob", "fully-synthetic", n, gens[sel],
                    est.collapse_prob.mean[sel], est.collapse_prob.sem[sel])]
    # (b) expected collapse time against n = N
    ns = PANEL_B_NS[:3] if quick else PANEL_B_NS
    for j, n in enumerate(ns):
        lo, hi = th.collapse_time_bounds(n, n, S0, SUPPORT, VOCAB)
        wf = th.collapse_time_wright_fisher(p, n, n)
        parts += [_part("b", "bound_lower", "collapse_time", "fully-synthetic", n, n, lo),
                  _part("b", "bound_upper", "collapse_time", "fully-synthetic", n, n, hi),
                  _part("b", "wright_fisher", "collapse_time", "fully-synthetic", n, n, wf)]
        e = mc.simulate("fully-synthetic", n, n, np.arange(1, 1 + 1), S0, SUPPORT, VOCAB, n_trials=runs,
                        seed=np.random.SeedSequence(seed, spawn_key=(1, j)))
        t = e.collapse_time
        parts.append(_part("b", "simulation", "collapse_time", "fully-synthetic", n, n, t.mean, t.sem))
    return concat(parts)


def compute_partial(quick: bool, seed: int) -> Table:
    """Panels c (Theorem 2), e (ℓ₁ drift of c's runs) and h (the paper's Fig. 4) (figure ``sed_partial``), with
    the exact ℓ₁ drift and its Jensen upper bound (:func:`theory.lm_drift.drift`)."""
    runs = 30 if quick else 100
    parts: list[Table] = []
    p = mc.law(S0, SUPPORT, VOCAB)
    # (c) partially synthetic, Theorem 2
    gens = np.arange(1, PANEL_C_M + 1)
    for j, n in enumerate(PANEL_C_NS[:2] if quick else PANEL_C_NS):
        s_m = th.sq_norm("partially-synthetic", PANEL_C_REAL, n, gens, S0)
        parts.append(_part("c", "theory", "sq_norm", "partially-synthetic", n, gens, s_m))
        e = mc.simulate(
            "partially-synthetic", PANEL_C_REAL, n, np.arange(1, PANEL_C_M + 1), S0, SUPPORT, VOCAB, n_trials=runs,
                        seed=np.random.SeedSequence(seed, spawn_key=(2, j)))
        parts.append(_part("c", "simulation", "sq_norm", "partially-synthetic", n, gens, e.sq_norm.mean,
                           e.sq_norm.sem))
        parts.append(_part("c", "simulation", "deviation", "partially-synthetic", n, gens, e.deviation.mean,
                           e.deviation.sem))
        dr = drift.drift(p, PANEL_C_REAL, n, gens, workflow="partially-synthetic")
        parts.append(_part("c", "exact", "deviation", "partially-synthetic", n, gens, dr.deviation))
        parts.append(_part("c", "bound_upper", "deviation", "partially-synthetic", n, gens, dr.deviation_upper))
    # (h) the paper's Fig. 4: partially synthetic, n = 10, N = 100, varying S0
    gens = np.arange(1, PANEL_H_M + 1)
    for j, s0 in enumerate(PANEL_H_S0[::2] if quick else PANEL_H_S0):
        e = mc.simulate(
            "partially-synthetic", PANEL_H_REAL, PANEL_H_N, np.arange(1, PANEL_H_M + 1), s0, SUPPORT, VOCAB,
            n_trials=runs,
                        seed=np.random.SeedSequence(seed, spawn_key=(6, j)))
        parts.append(_part("h", "simulation", "deviation", "partially-synthetic", PANEL_H_N, gens, e.deviation.mean,
                           e.deviation.sem, item=j))
        parts.append(_part("h", "simulation", "sq_norm", "partially-synthetic", PANEL_H_N, gens, e.sq_norm.mean,
                           e.sq_norm.sem, item=j))
        parts.append(_part("h", "theory", "sq_norm", "partially-synthetic", PANEL_H_N, gens,
                           th.sq_norm("partially-synthetic", PANEL_H_REAL, PANEL_H_N, gens, s0), item=j))
        dr = drift.drift(mc.law(s0, SUPPORT, VOCAB), PANEL_H_REAL, PANEL_H_N, gens, workflow="partially-synthetic")
        parts.append(_part("h", "exact", "deviation", "partially-synthetic", PANEL_H_N, gens, dr.deviation, item=j))
        parts.append(_part("h", "bound_upper", "deviation", "partially-synthetic", PANEL_H_N, gens,
                           dr.deviation_upper, item=j))
        parts.append(_part("h", "setting", "s0", "partially-synthetic", PANEL_H_N, 0, s0, item=j))
    return concat(parts)


def compute_variants(quick: bool, seed: int) -> Table:
    """Panels d (four workflows), f (the paper's Fig. 6) and g (the paper's Fig. 1) (figure ``sed_variants``)."""
    runs = 30 if quick else 100
    parts: list[Table] = []
    p = mc.law(S0, SUPPORT, VOCAB)
    # (d) the three workflows at N = n
    n = PANEL_D_N
    gens = np.arange(1, PANEL_D_M + 1)
    for j, wf in enumerate(PANEL_D_WORKFLOWS):
        parts.append(_part("d", "theory", "sq_norm", wf, n, gens, th.sq_norm(wf, n, n, gens, S0)))
        if wf != "accumulate-subsample":  # no closed-form limit (it converges too; see docs/lm.md)
            parts.append(_part("d", "limit", "sq_norm", wf, n, PANEL_D_M, th.sq_norm_limit(wf, n, n, S0)))
        e = mc.simulate(wf, n, n, np.arange(1, PANEL_D_M + 1), S0, SUPPORT, VOCAB, n_trials=runs,
                        seed=np.random.SeedSequence(seed, spawn_key=(3, j)))
        sel = slice(0, PANEL_D_M, 3)
        parts.append(_part("d", "simulation", "sq_norm", wf, n, gens[sel], e.sq_norm.mean[sel], e.sq_norm.sem[sel]))
    # (f) the paper's Fig. 6 variants: ⌊10/K⌋ fresh tokens from each of the last K models; random past model
    m_f = PANEL_F_M // 5 if quick else PANEL_F_M
    gens = np.arange(1, m_f + 1)
    for j, (wf, K) in enumerate(PANEL_F_CASES):
        k = PANEL_F_TOTAL // K if K else PANEL_F_TOTAL
        label = f"{wf} K={K}" if K else wf
        parts.append(_part("f", "theory", "sq_norm", label, k, gens, th.sq_norm(wf, k, k, gens, S0, window=K)))
        e = mc.simulate(wf, k, k, np.arange(1, m_f + 1), S0, SUPPORT, VOCAB, window=K, n_trials=runs,
                        seed=np.random.SeedSequence(seed, spawn_key=(4, j)))
        sel = slice(0, m_f, max(1, m_f // 25))
        parts.append(_part("f", "simulation", "sq_norm", label, k, gens[sel], e.sq_norm.mean[sel], e.sq_norm.sem[sel]))
    # (g) the paper's Fig. 1: 81 contexts on s = 3 tokens, ~12 tokens each per generation, fully synthetic
    contexts = 27 if quick else PANEL_G_CONTEXTS
    laws = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(5,))).dirichlet(np.ones(3), size=contexts)
    k, mg = PANEL_G_TOKENS, PANEL_G_M
    collapsed = np.zeros(mg)
    exact = np.zeros(mg)
    for j, p in enumerate(laws):
        tr = mc.trajectories(p, k, k, mg, n_trials=1, seed=np.random.SeedSequence(seed, spawn_key=(5, j)),
                             keep_models=True)
        path = np.vstack([p, tr["models"][0]])  # generation 0 (the truth), 1..mg
        snaps = np.array(PANEL_G_SNAPSHOTS)
        for c in range(3):
            parts.append(_part("g", "simulation", f"simplex_p{c + 1}", "fully-synthetic", k, snaps, path[snaps, c],
                               item=j))
        collapsed += tr["collapsed"][0]
        exact += th.exact_chain(p, k, k, np.arange(1, mg + 1)).collapse_prob
    parts.append(_part("g", "simulation", "collapsed_fraction", "fully-synthetic", k, np.arange(1, mg + 1),
                       collapsed / contexts))
    parts.append(_part("g", "exact", "collapsed_fraction", "fully-synthetic", k, np.arange(1, mg + 1),
                       exact / contexts))
    return concat(parts)


def compute(quick: bool, seed: int) -> Table:
    """Every panel a–h of the three figures ``sed_collapse``, ``sed_partial`` and ``sed_variants`` in one table."""
    return concat([compute_fully(quick, seed), compute_partial(quick, seed), compute_variants(quick, seed)])


SIM = PALETTE["vermillion"]  # sed_collapse: simulation points
THEORY = PALETTE["blue"]  # sed_collapse: exact laws
N_COLORS = {10: PALETTE["blue"], 100: PALETTE["green"], 1000: PALETTE["purple"]}  # sed_partial: synthetic tokens n
S0_COLORS = {0.05: PALETTE["orange"], 0.1: PALETTE["sky"], 0.3: PALETTE["vermillion"], 0.6: PALETTE["black"]}
WF_COLORS = {"fully-synthetic": PALETTE["vermillion"], "partially-synthetic": PALETTE["blue"],
             "accumulate": PALETTE["green"], "accumulate-subsample": PALETTE["orange"],
             "recent-window K=1": PALETTE["vermillion"], "recent-window K=2": PALETTE["purple"],
             "recent-window K=5": PALETTE["sky"], "random-past": PALETTE["black"]}
WF_NAMES = {"fully-synthetic": "fully synthetic", "partially-synthetic": "partially synthetic",
            "accumulate": "accumulate", "accumulate-subsample": "accumulate-subsample",
            "recent-window K=1": "last K = 1 (fully synth.)", "recent-window K=2": "last K = 2 models",
            "recent-window K=5": "last K = 5 models", "random-past": "random past model"}


def _sim_handle(color="0.6", label="simulation ± 2 SE"):
    return Line2D([], [], ls="none", marker="o", ms=3.5, mfc=color, mec="black", mew=0.4, label=label)


def _line_handle(color, label, ls="-", lw=1.2):
    return Line2D([], [], color=color, ls=ls, lw=lw, label=label)


def _sims(ax, s, color, every=1):
    points(ax, s["x"][::every], s["value"][::every], yerr=2 * s["se"][::every], color=color, ms=3.0)


LAYOUT_FULLY = Layout(panels=3, page_cols=3, aspect=0.85, column_aspect=0.55, legend_rows=0, panel_legend_rows=4,
                      column_panel_legend_rows=2)


def plot_fully(tab: Table, fig) -> None:
    sub = subpanels(fig, LAYOUT_FULLY)
    ax = [f.subplots() for f in sub]
    n_a = int(rows(tab, panel="a", kind="theory")["n"][0])
    # S_m
    a = ax[0]
    t = rows(tab, panel="a", kind="theory", quantity="sq_norm")
    a.plot(t["x"], t["value"], color=THEORY)
    _sims(a, rows(tab, panel="a", kind="simulation", quantity="sq_norm"), SIM)
    a.set(xlabel="generation m", ylabel="$S_m$ = E‖p⁽ᵐ⁾‖²", ylim=(0, 1.02), title=f"second moment, N = n = {n_a}")
    shared_legend(sub[0], [_line_handle(THEORY, "Theorem 1 (exact law)"), _sim_handle(SIM)], ncols=1, column_ncols=2)
    # P(collapsed)
    b = ax[1]
    lo = rows(tab, panel="a", kind="bound_lower", quantity="collapse_prob")
    hi = rows(tab, panel="a", kind="bound_upper", quantity="collapse_prob")
    b.fill_between(lo["x"], lo["value"], hi["value"], color=PALETTE["sky"], alpha=0.35, lw=0)
    b.plot(lo["x"], lo["value"], color="black", ls="--", lw=0.9)
    b.plot(hi["x"], hi["value"], color="black", ls=":", lw=0.9)
    _sims(b, rows(tab, panel="a", kind="simulation", quantity="collapse_prob"), SIM)
    b.set(xlabel="generation m", ylabel="P(collapsed by m)", ylim=(0, 1.02), title=f"collapse, N = n = {n_a}")
    shared_legend(sub[1], [_line_handle("black", "Theorem 1 lower bound", "--"),
                           _line_handle("black", "Theorem 1 upper bound", ":"), _sim_handle(SIM)],
                  ncols=1, column_ncols=2)
    # E[T]
    c = ax[2]
    for kind, ls in (("bound_lower", "--"), ("bound_upper", ":")):
        r = rows(tab, panel="b", kind=kind)
        c.plot(r["x"], r["value"], color="black", ls=ls, lw=0.9)
    r = rows(tab, panel="b", kind="wright_fisher")
    c.plot(r["x"], r["value"], color=PALETTE["orange"])
    s = rows(tab, panel="b", kind="simulation")
    _sims(c, s, SIM)
    top = 1.4 * max(r["value"].max(), s["value"].max())
    c.set(xlabel="n = N (tokens per generation)", ylabel="E[T] (generations)", ylim=(0, top),
          title="collapse time")
    note(c, "upper bound ~n²:\nleaves the axis", x=0.97, y=0.04, ha="right")
    shared_legend(sub[2], [_line_handle("black", "Theorem 1 lower bound", "--"),
                           _line_handle("black", "upper bound", ":"),
                           _line_handle(PALETTE["orange"], "Wright–Fisher approx."), _sim_handle(SIM)],
                  ncols=1, column_ncols=2)
    for x in ax:
        x.grid(True)


LAYOUT_PARTIAL = Layout(panels=3, page_cols=3, aspect=0.85, column_aspect=0.55, legend_rows=0, panel_legend_rows=7,
                        column_panel_legend_rows=4)


def plot_partial(tab: Table, fig) -> None:
    sub = subpanels(fig, LAYOUT_PARTIAL)
    ax = [f.subplots() for f in sub]
    ns = sorted({int(v) for v in rows(tab, panel="c", kind="theory")["n"]})
    a, b, c = ax
    for n in ns:
        col = N_COLORS[n]
        t = rows(tab, panel="c", kind="theory", quantity="sq_norm", n=n)
        a.plot(t["x"], t["value"], color=col)
        _sims(a, rows(tab, panel="c", kind="simulation", quantity="sq_norm", n=n), col, every=3)
        ex = rows(tab, panel="c", kind="exact", quantity="deviation", n=n)
        ub = rows(tab, panel="c", kind="bound_upper", quantity="deviation", n=n)
        if len(ex["x"]):
            b.plot(ex["x"], ex["value"], color=col)
        b.plot(ub["x"], ub["value"], color=col, ls="--", lw=0.9)
        _sims(b, rows(tab, panel="c", kind="simulation", quantity="deviation", n=n), col, every=3)
    a.set(xlabel="generation m", ylabel="$S_m$ = E‖p⁽ᵐ⁾‖²", title=f"Theorem 2, N = {PANEL_C_REAL}")
    b.set(xlabel="generation m", ylabel="E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁", title=f"drift from p⁽¹⁾, N = {PANEL_C_REAL}")
    b.set_ylim(0, None)
    keys = [_line_handle(N_COLORS[n], f"n = {n}") for n in ns]
    shared_legend(sub[0], keys + [_line_handle("0.3", "Theorem 2, + (exact)"), _sim_handle()], ncols=1, column_ncols=2)
    shared_legend(sub[1], keys + [_line_handle("0.3", "exact law (count chain)"),
                                  _line_handle("0.3", "upper bound Σ√E D²", "--", 0.9), _sim_handle()],
                  ncols=1, column_ncols=2)
    settings = rows(tab, panel="h", kind="setting")
    hk = []
    for item, s0 in zip(settings["item"], settings["value"], strict=True):
        col = S0_COLORS[round(float(s0), 6)]
        ex = rows(tab, panel="h", kind="exact", quantity="deviation", item=item)
        ub = rows(tab, panel="h", kind="bound_upper", quantity="deviation", item=item)
        c.plot(ex["x"], ex["value"], color=col)
        c.plot(ub["x"], ub["value"], color=col, ls="--", lw=0.9)
        _sims(c, rows(tab, panel="h", kind="simulation", quantity="deviation", item=item), col, every=3)
        hk.append(_line_handle(col, f"S₀ = {float(s0):g}"))
    c.set(xlabel="generation m", ylabel="E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁", title=f"Fig. 4: n = {PANEL_H_N}, N = {PANEL_H_REAL}")
    c.set_ylim(0, None)
    shared_legend(sub[2], hk + [_line_handle("0.3", "exact law"), _line_handle("0.3", "upper bound", "--", 0.9),
                                _sim_handle()], ncols=1, column_ncols=2)
    for x in ax:
        x.grid(True)


LAYOUT_VARIANTS = Layout(panels=3, page_cols=3, aspect=0.85, column_aspect=0.6, legend_rows=0, panel_legend_rows=7,
                         column_panel_legend_rows=4)


def plot_variants(tab: Table, fig) -> None:
    sub = subpanels(fig, LAYOUT_VARIANTS)
    d, f = sub[0].subplots(), sub[1].subplots()
    g = sub[2].subplots()
    wfs = [w for w in PANEL_D_WORKFLOWS if len(rows(tab, panel="d", kind="theory", workflow=w)["x"])]
    for wf in wfs:
        col = WF_COLORS[wf]
        t = rows(tab, panel="d", kind="theory", workflow=wf)
        d.plot(t["x"], t["value"], color=col)
        lim = rows(tab, panel="d", kind="limit", workflow=wf)
        if len(lim["value"]):
            d.axhline(lim["value"][0], color=col, lw=0.8, ls=":")
        _sims(d, rows(tab, panel="d", kind="simulation", workflow=wf), col, every=2)
    n_d = int(rows(tab, panel="d", kind="theory")["n"][0])
    d.set(xlabel="generation m", ylabel="$S_m$ = E‖p⁽ᵐ⁾‖²", ylim=(0, 1.02), title=f"workflows, N = n = {n_d}")
    shared_legend(sub[0], [_line_handle(WF_COLORS[w], WF_NAMES[w]) for w in wfs]
                  + [_line_handle("0.3", "exact law"), _line_handle("0.3", "limit m → ∞", ":", 0.8), _sim_handle()],
                  ncols=1, column_ncols=2)
    labels_f = list(dict.fromkeys(rows(tab, panel="f", kind="theory")["workflow"].tolist()))
    for lab in labels_f:
        col = WF_COLORS[lab]
        t = rows(tab, panel="f", kind="theory", workflow=lab)
        f.plot(t["x"], t["value"], color=col)
        _sims(f, rows(tab, panel="f", kind="simulation", workflow=lab), col)
    f.set(xlabel="generation m", ylabel="$S_m$ = E‖p⁽ᵐ⁾‖²", ylim=(0, 1.02), title="Fig. 6: 10 tokens per generation")
    shared_legend(sub[1], [_line_handle(WF_COLORS[w], WF_NAMES[w]) for w in labels_f]
                  + [_line_handle("0.3", "exact (Gram recursion)"), _sim_handle()], ncols=1, column_ncols=2)
    # the paper's Fig. 1 on the simplex
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    g.plot(*np.vstack([corners, corners[:1]]).T, color="0.4", lw=0.8)
    for (x, y), lab, dx, dy, ha, va in zip(corners, ("token 1", "token 2", "token 3"), (0.0, 0.0, 0.05),
                                           (-0.03, -0.03, 0.0), ("center", "center", "left"),
                                           ("top", "top", "center"), strict=True):
        g.text(x + dx, y + dy, lab, ha=ha, va=va)
    snaps = sorted(set(rows(tab, panel="g", quantity="simplex_p1")["x"].tolist()))
    greys = {m: colormaps["Greys"](0.3 + 0.7 * i / max(len(snaps) - 1, 1)) for i, m in enumerate(snaps)}
    gk = []
    for m in snaps:
        pts = [rows(tab, panel="g", quantity=f"simplex_p{c}", x=m)["value"] for c in (1, 2, 3)]
        xy = np.stack(pts, axis=1) @ corners
        g.scatter(xy[:, 0], xy[:, 1], s=6, color=greys[m], edgecolors="none")
        gk.append(Line2D([], [], ls="none", marker="o", ms=3, color=greys[m], label=f"m = {int(m)}"))
    sim = rows(tab, panel="g", kind="simulation", quantity="collapsed_fraction")
    ex = rows(tab, panel="g", kind="exact", quantity="collapsed_fraction")
    g.set_aspect("equal")
    g.set_xlim(-0.2, 1.2)
    g.set_ylim(-0.1, 0.95)
    g.set_xticks([])
    g.set_yticks([])
    g.set_axis_off()
    contexts = len(rows(tab, panel="g", quantity="simplex_p1", x=0)["x"])
    g.set_title(f"Fig. 1: {contexts} contexts, s = 3")
    note(g, f"collapsed by m = {int(sim['x'][-1])}:\n{sim['value'][-1]:.2f} simulated\n"
         f"{ex['value'][-1]:.2f} exact chain", x=0.0, y=1.0, ha="left", va="top")
    shared_legend(sub[2], gk, ncols=3, column_ncols=3, title="simulated laws at generation m")
    for x in (d, f):
        x.grid(True)


FIGURE = Figure(
    id="sed_collapse",
    title="Fully synthetic retraining of the statistical language model: Theorem 1 (SED Figs. 2 and the collapse)",
    caption=("The paper's law: s = 600 tokens, support 52, S₀ = 0.1 (canonical geometric law), fully synthetic. "
             "Left: S_m = 1 − (1 − 1/n)^m(1 − S₀) at N = n = 50. Middle: Theorem 1's lower and upper bounds on "
             "P(collapsed by m) (lower clipped at 0) and the simulated collapsed fraction. Right: E[T] against n = N "
             "(the paper's Fig. 2 sweep): Theorem 1 bounds (the upper one, of order n², leaves the axis), the "
             "Wright–Fisher approximation −2nΣ(1 − p_i)ln(1 − p_i), and the simulated mean collapse time. Points: "
             "100 runs, mean ± 2 SE."),
    compute=compute_fully,
    plot=plot_fully,
    layout=LAYOUT_FULLY,
)
