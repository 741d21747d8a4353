"""How Bad is Training on Synthetic Data? Fig. 5 without a GPU: a character n-gram model of real text.

The paper's statistical model is one next-token law per context, fitted by frequencies; here it is fitted
on real text (the Python Language Reference shipped with CPython, :func:`montecarlo.language_model.
default_text`; 90 % training, 10 % held out), context = the previous 2 characters (a character trigram
model: 2,676 contexts, 103 characters), and retrained on its own samples context by context, with as many
synthetic tokens per context as the real text had (n_j = N_j). Panels against the generation m:

(a) Σ_j w_j ‖p_j⁽ᵐ⁾‖² (w_j = the context's share of the text): exact theory lines
    (:func:`theory.language_model.sq_norm_given_first` per context) and simulation points;
(b) drift from the real-text model, Σ_j w_j ‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁ (the paper's Fig. 5 top left);
(c) held-out cross-entropy in nats per character (add-0.01 smoothing; the paper's validation loss);
(d) fully synthetic: fraction of the real model's (context, character) pairs that have disappeared, by
    their count in the real text: the tails go first.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from model_collapse.figures._base import Figure, Table, concat, merge_legends, rows, table
from model_collapse.montecarlo import language_model as mc
from model_collapse.theory import language_model as th

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
        e = mc.ngram_experiment(tab, t=m, workflow=wf, n_trials=runs,
                                seed=np.random.SeedSequence(seed, spawn_key=(j,)))
        w = e.real_counts / e.real_counts.sum()
        theory = np.zeros(m)
        for k in range(w.size):
            theory += w[k] * th.sq_norm_given_first(wf, int(e.real_counts[k]), int(e.synthetic_counts[k]), gens,
                                                    float(e.first_sq_norms[k]))
        parts.append(_part("theory", "sq_norm", wf, "", gens, theory))
        for q in ("sq_norm", "deviation", "heldout_loss", "types_lost"):
            est = getattr(e, q)
            parts.append(_part("simulation", q, wf, "", gens, est.mean, est.sem))
        if wf == "fully-synthetic":
            for b, (lo, hi) in enumerate(mc.COUNT_BINS):
                parts.append(_part("simulation", "lost_by_count", wf, _bin_label(lo, hi), gens,
                                   e.lost_by_count.mean[b], e.lost_by_count.sem[b]))
    return concat(parts)


def plot(tab: Table, fig) -> None:
    cmap = colormaps["viridis"]
    colors = {wf: cmap(0.1 + 0.4 * i) for i, wf in enumerate(WORKFLOWS)}
    ax = fig.subplots(1, 4)
    titles = {"sq_norm": "(a) Σ_j w_j‖p_j⁽ᵐ⁾‖² (lines: exact theory)",
              "deviation": "(b) drift Σ_j w_j‖p_j⁽ᵐ⁾ − p_j⁽¹⁾‖₁",
              "heldout_loss": "(c) held-out cross-entropy (nats/char)"}
    for a, q in zip(ax[:3], ("sq_norm", "deviation", "heldout_loss"), strict=True):
        for wf in WORKFLOWS:
            s = rows(tab, kind="simulation", quantity=q, workflow=wf)
            a.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o", ms=3, color=colors[wf], mec="black", mew=0.3,
                       elinewidth=0.7, label=wf if q == "sq_norm" else None)
            t = rows(tab, kind="theory", quantity=q, workflow=wf)
            if len(t["x"]):
                a.plot(t["x"], t["value"], color=colors[wf], lw=1.4)
        a.set_title(titles[q], fontsize=9)
        a.set_xlabel("generation m")
        a.grid(True, alpha=0.3)
    d = ax[3]
    labels = list(dict.fromkeys(rows(tab, quantity="lost_by_count")["label"].tolist()))
    for i, lab in enumerate(labels):
        s = rows(tab, quantity="lost_by_count", label=lab)
        d.errorbar(s["x"], s["value"], yerr=2 * s["se"], fmt="o-", ms=3, lw=0.8,
                   color=colormaps["cividis"](i / max(len(labels) - 1, 1)), label=f"real count {lab}")
    d.set_ylim(-0.02, 1.0)
    d.set_title("(d) fully synthetic: (context, char) pairs lost", fontsize=9)
    d.set_xlabel("generation m")
    d.set_ylabel("fraction of the real model's pairs with count 0")
    d.legend(fontsize=7, loc="upper left")
    d.grid(True, alpha=0.3)
    merge_legends(fig, [(f"({k})", axis) for k, axis in zip("abcd", ax, strict=False)], ncols=4)
    fig.suptitle("Character trigram model of the Python Language Reference, retrained on its own samples "
                 "(points: simulation mean ± 2 SE)", fontsize=10)


FIGURE = Figure(
    id="sed_ngram",
    title="A real-text n-gram language model retrained on its own samples (Fig. 5 analogue)",
    caption=("Character trigram model (context = 2 characters; 2,676 contexts, 103 characters) of the Python "
             "Language Reference text that ships with CPython (pydoc_data.topics; 90 % training, 10 % held "
             "out), retrained context by context on as many synthetic tokens as the real text had: fully "
             "synthetic, partially synthetic (the real tokens plus as many synthetic ones) and accumulate. "
             "(a) exact theory (lines) and simulation of the context-weighted ‖p⁽ᵐ⁾‖²; (b) drift from the "
             "real-text model; (c) held-out cross-entropy with add-0.01 smoothing; (d) pairs of the real model "
             "lost under fully synthetic retraining, by real count: rare pairs disappear first. 5 runs."),
    compute=compute,
    plot=plot,
    figsize=(20.0, 5.0),
)
