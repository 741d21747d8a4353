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
from model_collapse.figures._base import Figure, Table, concat, merge_legends, rows, table
from model_collapse.montecarlo import language_model as mc
from model_collapse.theory import language_model as th

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


def compute(quick: bool, seed: int) -> Table:
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
        parts.append(_part("h", "setting", "s0", "partially-synthetic", PANEL_H_N, 0, s0, item=j))
    return concat(parts)


def plot(tab: Table, fig) -> None:
    cmap = colormaps["viridis"]
    ax = fig.subplots(2, 4).ravel()
    # (a)
    a = ax[0]
    th_sq = rows(tab, panel="a", kind="theory", quantity="sq_norm")
    lo = rows(tab, panel="a", kind="bound_lower", quantity="collapse_prob")
    hi = rows(tab, panel="a", kind="bound_upper", quantity="collapse_prob")
    a.plot(th_sq["x"], th_sq["value"], color=cmap(0.15), lw=1.6, label="theory (line)")
    a.fill_between(lo["x"], lo["value"], hi["value"], color=cmap(0.7), alpha=0.3, lw=0,
                   label="Theorem 1 bounds on P(collapsed)")
    for q, col in (("sq_norm", cmap(0.15)), ("collapse_prob", cmap(0.7))):
        s = rows(tab, panel="a", kind="simulation", quantity=q)
        a.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=3, color=col, mec="black", mew=0.3,
                   elinewidth=0.7, label="simulation ± 2 SE (points)" if q == "sq_norm" else None)
    a.text(0.97, 0.05, "S_m (upper curve)\nP(collapsed by m)\n(band: bounds)", transform=a.transAxes, ha="right",
           va="bottom", fontsize=7)
    a.set_xlabel("generation m")
    a.set_ylabel("S_m = E‖p⁽ᵐ⁾‖²   /   P(collapsed)")
    n_a = int(th_sq["n"][0])
    a.set_title(f"(a) fully synthetic, N = n = {n_a}", fontsize=9)
    a.set_ylim(0, 1.02)
    # (b)
    b = ax[1]
    for kind, style, label in (("bound_lower", "--", "Theorem 1 lower bound"),
                               ("bound_upper", ":", "Theorem 1 upper bound"),
                               ("wright_fisher", "-", "Wright–Fisher approximation")):
        r = rows(tab, panel="b", kind=kind)
        b.plot(r["x"], r["value"], style, color=cmap(0.45 if kind == "wright_fisher" else 0.85), lw=1.4,
               label=label)
    s = rows(tab, panel="b", kind="simulation")
    b.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=3.5, color=cmap(0.15), mec="black", mew=0.3,
               elinewidth=0.7)
    top = 1.5 * max(rows(tab, panel="b", kind="wright_fisher")["value"].max(), s["value"].max())
    b.set_ylim(0, top)
    b.set_xlabel("n = N (tokens per generation)")
    b.set_ylabel("E[T], generations to total collapse")
    b.set_title("(b) collapse time (upper bound leaves the axis)", fontsize=9)
    b.legend(fontsize=7, loc="upper left")
    # (c)
    c = ax[2]
    ns = sorted(set(rows(tab, panel="c", kind="theory")["n"].tolist()))
    for i, n in enumerate(ns):
        col = cmap(0.1 + 0.75 * i / max(len(ns) - 1, 1))
        t = rows(tab, panel="c", kind="theory", quantity="sq_norm", n=n)
        c.plot(t["x"], t["value"], color=col, lw=1.4, label=f"n = {n}")
        s = rows(tab, panel="c", kind="simulation", quantity="sq_norm", n=n)
        c.errorbar(s["x"][::2], s["value"][::2], yerr=2 * s["se"][::2], fmt="o", ms=2.5, color=col, mec="black",
                   mew=0.3, elinewidth=0.6)
    c.set_xlabel("generation m")
    c.set_ylabel("S_m = E‖p⁽ᵐ⁾‖²")
    c.set_title(f"(c) partially synthetic, N = {PANEL_C_REAL}: Theorem 2 (+ sign)", fontsize=9)
    c.legend(fontsize=7, loc="lower right", title="synthetic tokens", title_fontsize=7)
    # (d)
    d = ax[3]
    wfs = [w for w in PANEL_D_WORKFLOWS if len(rows(tab, panel="d", kind="theory", workflow=w)["x"])]
    for i, wf in enumerate(wfs):
        col = cmap(0.1 + 0.75 * i / max(len(wfs) - 1, 1))
        t = rows(tab, panel="d", kind="theory", workflow=wf)
        d.plot(t["x"], t["value"], color=col, lw=1.4, label=wf)
        lim = rows(tab, panel="d", kind="limit", workflow=wf)
        if len(lim["value"]):
            d.axhline(lim["value"][0], color=col, lw=0.8, ls="--")
        s = rows(tab, panel="d", kind="simulation", workflow=wf)
        d.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=2.5, color=col, mec="black", mew=0.3,
                   elinewidth=0.6)
    d.set_xlabel("generation m")
    d.set_ylabel("S_m = E‖p⁽ᵐ⁾‖²")
    n_d = int(rows(tab, panel="d", kind="theory")["n"][0])
    d.set_title(f"(d) workflows, N = n = {n_d} (dashed: m → ∞)", fontsize=9)
    d.set_yscale("log")
    d.set_ylim(0.1, 1.1)
    d.legend(fontsize=7, loc="center right")
    # (e) deviation from the first model (simulation only: Theorem 3 gives an m-independent upper bound)
    e = ax[4]
    for i, n in enumerate(ns):
        col = cmap(0.1 + 0.75 * i / max(len(ns) - 1, 1))
        s = rows(tab, panel="c", kind="simulation", quantity="deviation", n=n)
        e.errorbar(s["x"][::2], s["value"][::2], yerr=2 * s["se"][::2], fmt="o-", ms=2.5, lw=0.6, color=col,
                   mec="black", mew=0.3, elinewidth=0.6, label=f"n = {n}")
    e.set_xlabel("generation m")
    e.set_ylabel("E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ (simulation)")
    e.set_title(f"(e) partially synthetic, N = {PANEL_C_REAL}: drift from generation 1", fontsize=9)
    e.legend(fontsize=7, loc="upper left", title="synthetic tokens", title_fontsize=7)
    # (f) Fig. 6 variants
    f = ax[5]
    labels_f = list(dict.fromkeys(rows(tab, panel="f", kind="theory")["workflow"].tolist()))
    for i, lab in enumerate(labels_f):
        col = cmap(0.1 + 0.75 * i / max(len(labels_f) - 1, 1))
        t = rows(tab, panel="f", kind="theory", workflow=lab)
        f.plot(t["x"], t["value"], color=col, lw=1.4, label=lab.replace("recent-window ", "last K models, "))
        s = rows(tab, panel="f", kind="simulation", workflow=lab)
        f.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=2.5, color=col, mec="black", mew=0.3,
                   elinewidth=0.6)
    f.set_xlabel("generation m")
    f.set_ylabel("S_m = E‖p⁽ᵐ⁾‖²")
    f.set_title("(f) Fig. 6 variants, 10 tokens per generation", fontsize=9)
    f.set_ylim(0, 1.02)
    f.legend(fontsize=7, loc="center right")
    # (g) Fig. 1: simplex trajectories (barycentric projection of (p1, p2, p3))
    g = ax[6]
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    g.plot(*np.vstack([corners, corners[:1]]).T, color="0.4", lw=0.8)
    snaps = sorted(set(rows(tab, panel="g", quantity="simplex_p1")["x"].tolist()))
    for i, m in enumerate(snaps):
        pts = [rows(tab, panel="g", quantity=f"simplex_p{c}", x=m)["value"] for c in (1, 2, 3)]
        xy = np.stack(pts, axis=1) @ corners
        g.scatter(xy[:, 0], xy[:, 1], s=9, color=cmap(i / max(len(snaps) - 1, 1)), label=f"p⁽{int(m)}⁾",
                  edgecolors="none", alpha=0.85)
    sim = rows(tab, panel="g", kind="simulation", quantity="collapsed_fraction")
    ex = rows(tab, panel="g", kind="exact", quantity="collapsed_fraction")
    g.text(0.02, 0.98, f"collapsed by m = {int(sim['x'][-1])}: {sim['value'][-1]:.2f} of the contexts\n"
           f"(exact chain: {ex['value'][-1]:.2f} expected)", transform=g.transAxes, va="top", fontsize=7)
    g.set_aspect("equal")
    g.set_axis_off()
    g.legend(fontsize=7, loc="center right", title="generation", title_fontsize=7)
    k_g = int(sim["n"][0])
    g.set_title(f"(g) Fig. 1: s = 3, {len(rows(tab, panel='g', quantity='simplex_p1', x=0)['x'])} contexts, "
                f"{k_g} tokens each", fontsize=9)
    # (h) Fig. 4: drift for several S0
    h = ax[7]
    settings = rows(tab, panel="h", kind="setting")
    for i, (item, s0) in enumerate(zip(settings["item"], settings["value"], strict=True)):
        col = cmap(0.1 + 0.75 * i / max(len(settings["item"]) - 1, 1))
        d_ = rows(tab, panel="h", quantity="deviation", item=item)
        h.errorbar(d_["x"][::2], d_["value"][::2], yerr=2 * d_["se"][::2], fmt="o-", ms=2.5, lw=0.6, color=col,
                   mec="black", mew=0.3, elinewidth=0.6, label=f"S₀ = {s0:g}")
    h.set_xlabel("generation m")
    h.set_ylabel("E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ (simulation)")
    h.set_title(f"(h) Fig. 4: partially synthetic, n = {PANEL_H_N}, N = {PANEL_H_REAL}: drift falls as S₀ grows",
                fontsize=9)
    h.legend(fontsize=7, loc="lower right")
    merge_legends(fig, [(f"({k})", axis) for k, axis in zip("abcdefgh", ax, strict=False)], ncols=4)
    fig.suptitle(f"Statistical language model on its own samples (s = {VOCAB}, s̃ = {SUPPORT}, S₀ = {S0}): "
                 "lines theory, points simulation", fontsize=10)


FIGURE = Figure(
    id="sed_collapse",
    title="Collapse of the statistical language model (How Bad is Training on Synthetic Data?)",
    caption=("The paper's law: s = 600 tokens, support 52, S₀ = 0.1 (canonical geometric law). (a) Fully synthetic, "
             "N = n = 50: S_m = 1 − (1 − 1/n)^m(1 − S₀) and the Theorem 1 band for P(collapsed by m) (lower bound "
             "clipped at 0), with simulated σ_m and collapsed fraction. (b) E[T] against n: Theorem 1 bounds, the "
             "Wright–Fisher approximation −2nΣ(1 − p_i)ln(1 − p_i), simulated mean collapse time (100 runs). "
             "(c) Partially synthetic, N = 100: Theorem 2 with the corrected sign, simulated σ_m (100 runs, 50 "
             "generations). (d) Exact S_m under the four workflows at N = n = 10 with their limits "
             "(accumulate-subsample: exact pool recursion). (e) The drift ‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ of (c)'s runs "
             "(simulation only). (f) The "
             "paper's Fig. 6 variants (10 tokens per generation, 500 generations): last K = 1, 2, 5 models, or a "
             "random past model; exact Gram recursion. (g) Fig. 1: 81 three-token contexts drifting to the "
             "vertices (12 tokens each per generation). (h) Fig. 4: drift for several S₀ (n = 10, N = 100). "
             "Points: mean ± 2 SE."),
    compute=compute,
    plot=plot,
    figsize=(22.0, 10.0),
)
