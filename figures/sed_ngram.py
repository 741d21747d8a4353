"""How Bad is Training on Synthetic Data? Fig. 5 without a GPU: a character n-gram model of real text.

The paper's statistical model is one next-token law per context, fitted by frequencies; here it is fitted
on real text (the Python Language Reference shipped with CPython, :func:`montecarlo.language_model.
default_text`; 90 % training, 10 % held out), context = the previous 2 characters (a character trigram
model: 2,676 contexts, 103 characters), and retrained on its own samples context by context, with as many
synthetic tokens per context as the real text had (n_j = N_j). Panels against the generation m:

(a) the ℓ₂² drift Σ_j w_j ‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₂² (w_j = the context's share of the text), exact given the text
    (:func:`theory.lm_drift.ngram_drift`; = Σ_j w_j E[‖p_j⁽ᵐ⁾‖² | text] − ‖p_j⁽¹⁾‖², whose first term is also in
    the table as ``sq_norm``), on a log scale;
(b) drift from the real-text model, Σ_j w_j ‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁ (the paper's Fig. 5 top left), with the Jensen
    upper bound (no closed form for the ℓ₁ drift of 2,676 contexts: the exact count chains cost Σ_j N_j²);
(c) held-out cross-entropy in nats per character (add-0.01 smoothing; the paper's validation loss) with its
    exact lower bound, the loss of the mean model E[p⁽ᵐ⁾ | text] (Jensen);
(d) fully synthetic: fraction of the real model's (context, character) pairs that have disappeared, by
    their count in the real text: the tails go first.
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
    log_axis,
    note,
    points,
    rows,
    shared_legend,
    subpanels,
    table,
)
from model_collapse.figures.style import PALETTE
from model_collapse.montecarlo import language_model as mc
from model_collapse.montecarlo import lm_drift as drift_mc
from model_collapse.theory import language_model as th
from model_collapse.theory import lm_drift as drift_th

ORDER = 2
WORKFLOWS = ("fully-synthetic", "partially-synthetic", "accumulate")
M_FULL, M_QUICK = 30, 8


def _part(kind, quantity, workflow, label, x, value, se=None) -> Table:
    x = np.asarray(x, dtype=float)
    k = x.size
    se = np.zeros(k) if se is None else np.asarray(se, dtype=float)
    return table(kind=[kind] * k, quantity=[quantity] * k, workflow=[workflow] * k, label=[label] * k, x=x,
                 value=np.asarray(value, dtype=float), se=se)


def _bin_label(lo, hi) -> str:
    if hi is None:
        return f"≥ {lo}"
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def compute(quick: bool, seed: int) -> Table:
    m = M_QUICK if quick else M_FULL
    runs = 2 if quick else 5
    tab = mc.ngram_table(order=ORDER)
    gens = np.arange(1, m + 1)
    parts: list[Table] = []
    for j, wf in enumerate(WORKFLOWS):
        ss = np.random.SeedSequence(seed, spawn_key=(j,))
        e = mc.ngram_experiment(tab, t=m, workflow=wf, n_trials=runs, seed=ss)
        w = e.real_counts / e.real_counts.sum()
        theory = np.zeros(m)
        for k in range(w.size):
            theory += w[k] * th.sq_norm_given_first(wf, int(e.real_counts[k]), int(e.synthetic_counts[k]), gens,
                                                    float(e.first_sq_norms[k]))
        parts.append(_part("theory", "sq_norm", wf, "", gens, theory))
        laws = drift_th.ngram_drift(tab, t=m, workflow=wf)
        parts.append(_part("theory", "deviation_sq", wf, "", gens, laws.deviation_sq))
        parts.append(_part("bound_upper", "deviation", wf, "", gens, laws.deviation_upper))
        parts.append(_part("bound_lower", "heldout_loss", wf, "", gens, laws.heldout_loss_lower))
        d = drift_mc.ngram_drift(tab, t=m, workflow=wf, n_trials=runs, seed=ss)  # the same runs, draw for draw
        parts.append(_part("simulation", "deviation_sq", wf, "", gens, d.deviation_sq.mean, d.deviation_sq.sem))
        for q in ("sq_norm", "deviation", "heldout_loss", "types_lost"):
            est = getattr(e, q)
            parts.append(_part("simulation", q, wf, "", gens, est.mean, est.sem))
        if wf == "fully-synthetic":
            for b, (lo, hi) in enumerate(mc.COUNT_BINS):
                parts.append(_part("simulation", "lost_by_count", wf, _bin_label(lo, hi), gens,
                                   e.lost_by_count.mean[b], e.lost_by_count.sem[b]))
    return concat(parts)


COLORS = {"fully-synthetic": PALETTE["vermillion"], "partially-synthetic": PALETTE["blue"],
          "accumulate": PALETTE["green"]}
NAMES = {"fully-synthetic": "fully synthetic", "partially-synthetic": "partially synthetic",
         "accumulate": "accumulate"}
LAYOUT = Layout(panels=4, page_cols=2, column_cols=1, aspect=0.62, column_aspect=0.5, legend_rows=0,
                panel_legend_rows=3, column_panel_legend_rows=3)


def _handles(extra):
    keys = [Line2D([], [], color=COLORS[wf], label=NAMES[wf]) for wf in WORKFLOWS]
    return keys + extra + [Line2D([], [], ls="none", marker="o", ms=3.5, mfc="0.6", mec="black", mew=0.4,
                                  label="simulation ± 2 SE")]


def plot(tab: Table, fig) -> None:
    sub = subpanels(fig, LAYOUT)
    ax = [f.subplots() for f in sub]
    a, b, c, d = ax
    for wf in WORKFLOWS:
        col = COLORS[wf]
        t = rows(tab, kind="theory", quantity="deviation_sq", workflow=wf)
        s = rows(tab, kind="simulation", quantity="deviation_sq", workflow=wf)
        a.plot(t["x"][1:], t["value"][1:], color=col)
        points(a, s["x"][1:], s["value"][1:], yerr=2 * s["se"][1:], color=col, ms=3.0)
        ub = rows(tab, kind="bound_upper", quantity="deviation", workflow=wf)
        s = rows(tab, kind="simulation", quantity="deviation", workflow=wf)
        b.plot(ub["x"], ub["value"], color=col, ls="--", lw=0.9)
        points(b, s["x"], s["value"], yerr=2 * s["se"], color=col, ms=3.0)
        lb = rows(tab, kind="bound_lower", quantity="heldout_loss", workflow=wf)
        s = rows(tab, kind="simulation", quantity="heldout_loss", workflow=wf)
        c.plot(lb["x"], lb["value"], color=col, ls="--", lw=0.9)
        points(c, s["x"], s["value"], yerr=2 * s["se"], color=col, ms=3.0)
    a.set(xlabel="generation m", ylabel="Σ_j w_j E‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₂²", title="ℓ₂² drift from the text's model")
    vals = rows(tab, quantity="deviation_sq")
    vals = vals["value"][vals["x"] > 1]
    a.set_ylim(vals.min() / 2, vals.max() * 2)
    log_axis(a, "y")
    shared_legend(sub[0], _handles([Line2D([], [], color="0.3", label="exact law (given the text)")]), ncols=2,
                  column_ncols=2)
    b.set(xlabel="generation m", ylabel="Σ_j w_j ‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁", title="ℓ₁ drift (the paper's Fig. 5)")
    b.set_ylim(0, None)
    shared_legend(sub[1], _handles([Line2D([], [], color="0.3", ls="--", lw=0.9, label="upper bound Σ√E D²")]),
                  ncols=2, column_ncols=2)
    c.set(xlabel="generation m", ylabel="held-out loss (nats/char)", title="held-out cross-entropy")
    shared_legend(sub[2], _handles([Line2D([], [], color="0.3", ls="--", lw=0.9,
                                           label="lower bound (Jensen, exact)")]), ncols=2, column_ncols=2)
    labels = list(dict.fromkeys(rows(tab, quantity="lost_by_count")["label"].tolist()))
    shades = {lab: colormaps["Greys"](0.35 + 0.65 * i / max(len(labels) - 1, 1)) for i, lab in enumerate(labels)}
    for lab in labels:
        s = rows(tab, quantity="lost_by_count", label=lab)
        d.plot(s["x"], s["value"], color=shades[lab], lw=0.8)
        points(d, s["x"], s["value"], yerr=2 * s["se"], color=shades[lab], ms=3.0, marker="s")
    d.set_ylim(-0.02, 1.0)
    d.set(xlabel="generation m", ylabel="fraction with count 0", title="fully synthetic: pairs lost")
    note(d, "simulation only: no closed form\n(P(count = 0) needs the chain)", x=0.97, y=0.96, ha="right", va="top")
    shared_legend(sub[3], [Line2D([], [], color=shades[lab], marker="s", ms=3.5, mec="black", mew=0.4,
                                  label=f"real count {lab}") for lab in labels], ncols=3, column_ncols=2,
                  title="(context, character) pairs by real count; simulated")
    for x in ax:
        x.grid(True)


FIGURE = Figure(
    id="sed_ngram",
    title="A real-text n-gram language model retrained on its own samples (Fig. 5 analogue)",
    caption=("Character trigram model (context = 2 characters; 2,676 contexts, 103 characters) of the Python "
             "Language Reference text that ships with CPython (pydoc_data.topics; 90 % training, 10 % held "
             "out), retrained context by context on as many synthetic tokens as the real text had: fully "
             "synthetic, partially synthetic (the real tokens plus as many synthetic ones) and accumulate. "
             "(a) The context-weighted ℓ₂² drift from the text's model, exact law E[σ_m | text] − ‖p⁽¹⁾‖² "
             "(lines, log scale: it separates partially synthetic from accumulate, whose ‖p⁽ᵐ⁾‖² differ by < 0.001); "
             "(b) the ℓ₁ drift (the paper's Fig. 5) with the Jensen upper bound Σ_i √E(D_i)² (dashed); (c) held-out "
             "cross-entropy with add-0.01 smoothing and its exact lower bound, the loss of the mean model "
             "E p⁽ᵐ⁾ (Jensen; dashed); (d) pairs of the real model lost under fully synthetic retraining, by real "
             "count: rare pairs disappear first (simulation only). Points: 5 runs, mean ± 2 SE."),
    compute=compute,
    plot=plot,
    layout=LAYOUT,
)
