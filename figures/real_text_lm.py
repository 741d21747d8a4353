"""The statistical language model on real text: the first generation from real (bursty) text, then retraining.

Corpus: the words of the Python Language Reference shipped with CPython (:func:`montecarlo.real_data.word_tokens`,
64,285 words, 3,118 types; the corpus law p has S₀ = ‖p‖² = 0.0105). One context (a unigram model), every model
the empirical law of its training tokens (docs/theory.md §6). Generation 1: N real tokens, either a contiguous
block of the text at a random offset (real text) or N iid draws from p (the theory's assumption).
(a) S₁ − S₀ against N: theory (1 − S₀)/N (iid) against both samplings; (b) fully synthetic and (c) partially
synthetic chains, N = n = 300: theory from the corpus law (:func:`theory.language_model.sq_norm`, solid) and
given the measured first generation (:func:`theory.language_model.sq_norm_given_first`, dashed), measured
points (:func:`montecarlo.real_data.simulate_text_chain`), mean ± 2 SE.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from model_collapse.figures._base import Figure, Layout, Table, concat, grid, log_axis, points, rows, shared_legend
from model_collapse.figures._base import table as make_table
from model_collapse.figures.style import PALETTE
from model_collapse.montecarlo import real_data as mr
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import language_model as th
from model_collapse.theory import real_data as tr

SIZES = (30, 100, 300, 1000, 3000, 10000, 30000)
N = 300
M = 400
SHOW_M = (1, 2, 5, 10, 20, 50, 100, 200, 400)
WORKFLOWS = ("fully-synthetic", "partially-synthetic")
SAMPLING = ("contiguous", "iid")


def compute(quick: bool, seed: int) -> Table:
    tok = mr.word_tokens()
    sizes = SIZES[::2] if quick else SIZES
    m_max = 50 if quick else M
    show = np.array([m for m in SHOW_M if m <= m_max])
    trials = 10 if quick else 60
    parts: list[Table] = []

    def add(panel, kind, sampling, x, value, se):
        k = len(value)
        parts.append(make_table(panel=[panel] * k, kind=[kind] * k, sampling=[sampling] * k,
                                x=np.asarray(x, dtype=float), value=np.asarray(value, dtype=float),
                                se=np.asarray(se, dtype=float)))

    s0 = None
    for j, smp in enumerate(SAMPLING):
        vals, ses = [], []
        for k, n in enumerate(sizes):
            e = mr.simulate_text_chain(tok, n, 1, 1, sampling=smp, n_trials=200 if not quick else 40,
                                       seed=point_seed(seed, 0, j, k))
            s0 = e.s0
            vals.append(e.first_sq_norm.mean - e.s0)
            ses.append(e.first_sq_norm.sem)
        add("first", "measured", smp, sizes, vals, ses)
        add("first", "n_eff", smp, sizes, tr.effective_tokens(np.array(vals) + s0, s0), np.zeros(len(sizes)))
    grid = np.logspace(np.log10(20), np.log10(50000), 40)
    add("first", "theory", "iid", grid, (1.0 - s0) / grid, np.zeros(grid.size))
    gens = np.arange(1, m_max + 1)
    for i, wf in enumerate(WORKFLOWS):
        add(wf, "theory", "iid", gens, th.sq_norm(wf, N, N, gens, s0), np.zeros(gens.size))
        for j, smp in enumerate(SAMPLING):
            e = mr.simulate_text_chain(tok, N, N, m_max, workflow=wf, sampling=smp, n_trials=trials,
                                       seed=point_seed(seed, 1, i, j))
            add(wf, "measured", smp, show, e.sq_norm.mean[show - 1], e.sq_norm.sem[show - 1])
            given = th.sq_norm_given_first(wf, N, N, gens, float(e.first_sq_norm.mean))
            add(wf, "given_first", smp, gens, given, np.zeros(gens.size))
    add("meta", "s0", "", [0.0], [s0], [0.0])
    return concat(parts)


COLORS = {"contiguous": PALETTE["vermillion"], "iid": PALETTE["blue"]}
MARKERS = {"contiguous": "s", "iid": "o"}
LAYOUT = Layout(panels=3, page_cols=3, aspect=0.95, column_aspect=0.7, legend_rows=3.5, column_legend_rows=6)


def plot(tab: Table, fig) -> None:
    axes = grid(fig, LAYOUT)
    s0 = float(rows(tab, panel="meta")["value"][0])
    ax = axes[0]
    t = rows(tab, panel="first", kind="theory")
    ax.plot(t["x"], t["value"], color="black")
    for smp in SAMPLING:
        s = rows(tab, panel="first", kind="measured", sampling=smp)
        points(ax, s["x"], s["value"], yerr=2 * s["se"], color=COLORS[smp], marker=MARKERS[smp])
        if smp == "contiguous":
            ne = rows(tab, panel="first", kind="n_eff", sampling=smp)
            for x, y, v in zip(s["x"][1::2], s["value"][1::2], ne["value"][1::2], strict=True):
                ax.annotate(f"$N_{{eff}}$ ≈ {v:.0f}", (x, y), textcoords="offset points", xytext=(-4, 5),
                            fontsize=6.5, ha="right", color=COLORS[smp])
    ax.set_xlim(20, 50000)
    ax.set_ylim(1.5e-5, 0.1)
    log_axis(ax, "x")
    log_axis(ax, "y")
    ax.set_xlabel("real tokens N in the first model")
    ax.set_ylabel("S₁ − S₀ = E‖p⁽¹⁾‖² − ‖p‖²")
    ax.set_title("(a) the first generation")
    for ax, wf in zip(axes[1:], WORKFLOWS, strict=True):
        t = rows(tab, panel=wf, kind="theory")
        ax.plot(t["x"], t["value"], color="black")
        for smp in SAMPLING:
            g = rows(tab, panel=wf, kind="given_first", sampling=smp)
            ax.plot(g["x"], g["value"], color=COLORS[smp], lw=0.8, ls="--")
            s = rows(tab, panel=wf, kind="measured", sampling=smp)
            points(ax, s["x"], s["value"], yerr=2 * s["se"], color=COLORS[smp], marker=MARKERS[smp])
        ax.set_xlim(0.8, t["x"].max() * 1.25)
        log_axis(ax, "x")
        ax.set_xlabel("generation m")
        ax.set_ylabel(r"$S_m = \mathrm{E}\,\|p^{(m)}\|^2$")
        ax.set_title(f"({'b' if wf == WORKFLOWS[0] else 'c'}) {wf.replace('-', ' ')}")
        ax.grid(True, which="major")
    axes[2].set_ylim(0.012, 0.025)
    axes[0].grid(True, which="major")
    handles = [Line2D([], [], color="black", label=f"theory, corpus law (iid, S₀ = {s0:.4f})"),
               Line2D([], [], color="0.4", lw=0.8, ls="--", label="theory given the measured first model"),
               Line2D([], [], ls="none", marker="s", ms=3.5, mfc=COLORS["contiguous"], mec="black", mew=0.4,
                      label="measured: real contiguous text ± 2 SE"),
               Line2D([], [], ls="none", marker="o", ms=3.5, mfc=COLORS["iid"], mec="black", mew=0.4,
                      label="measured: iid tokens from the corpus ± 2 SE")]
    shared_legend(fig, handles, ncols=2, column_ncols=1,
                  title=f"unigram word model of CPython's Language Reference;\n(b, c): N = n = {N}")


FIGURE = Figure(
    id="real_text_lm",
    title="The statistical language model on real text: bursty first generation, exact retraining",
    caption=("Unigram word model of the Python Language Reference shipped with CPython (64,285 words, 3,118 "
             "types). (a) The first model fitted on N real tokens: contiguous text is more concentrated than N iid "
             "draws (the theory's assumption) — it acts like N_eff iid tokens. (b, c) Retraining from there "
             "(N = n = 300): the corpus-law theory is exact for iid first generations; for real text the theory "
             "given the measured first model is exact, the corpus-law one misses by the burstiness (lasting in "
             "the partially synthetic chain, forgotten by the fully synthetic one)."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
