"""Collapse or Thrive? Fig. 1/4 (Gaussian), the d = 10 block: fitted-mean error, trace and determinant ratios.

The numbers, the drawing and the conventions are those of :mod:`model_collapse.figures.cot_gaussian` (which
draws the d = 1 block); this module only registers the d = 10 block as its own figure, so that each fits a
page at column width. Determinants are exactly 0 when n ≤ d (not drawn); the determinant axis stops at 1e-12
and the curves that leave it are named, with their value at the last iteration, above the panels.
"""

from __future__ import annotations

from model_collapse.figures._base import Figure, Table
from model_collapse.figures.cot_gaussian import CAPTION_COMMON, compute, layout, plot_block


def plot(tab: Table, fig) -> None:
    plot_block(tab, fig, 10)


FIGURE = Figure(
    id="cot_gaussian_d10",
    title="Gaussian fitting, d = 10, under replace, accumulate-subsample and accumulate (Collapse or Thrive?)",
    caption=(CAPTION_COMMON + " This figure: d = 10 (mean error, trace ratio, determinant ratio). Determinants "
             "are exactly 0 when n ≤ d (not drawn); the determinant axis stops at 1e-12 and the curves that leave "
             "it are named above the panels with their value at the last iteration. d = 1 with the authors' runs: "
             "figure cot_gaussian."),
    compute=lambda quick, seed: compute(quick, seed, (10,)),
    plot=plot,
    layout=layout(10),
)
