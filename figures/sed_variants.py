"""How Bad is Training on Synthetic Data? Figs. 1 and 6, and the workflows compared (exact S_m).

Panels: S_m under fully synthetic, partially synthetic, accumulate and accumulate-subsample at N = n = 10 with
their limits; the paper's Fig. 6 variants (10 tokens per generation for 500 generations: the last K = 1, 2, 5
models, or a random past model; exact Gram recursion); the paper's Fig. 1 (81 contexts on s = 3 tokens, 12
tokens each per generation, fully synthetic) on the simplex with the collapsed fraction against the exact
chains' expectation. The numbers are computed in :func:`figures.sed_collapse.compute_variants`.
"""

from __future__ import annotations

from model_collapse.figures._base import Figure
from model_collapse.figures.sed_collapse import LAYOUT_VARIANTS, compute_variants, plot_variants

FIGURE = Figure(
    id="sed_variants",
    title="Workflows and the paper's variants of the statistical language model (SED Figs. 1 and 6)",
    caption=("Left: exact S_m (lines; dotted: the limit m → ∞) at N = n = 10, S₀ = 0.1, for four workflows; "
             "accumulate converges below 1 (no collapse) and accumulate-subsample lies between it and fully "
             "synthetic. Middle: the paper's Fig. 6, 10 tokens per generation for 500 generations, fresh tokens "
             "from the last K = 1, 2, 5 models (model 0 = the truth) or from a uniformly drawn past model; exact "
             "Gram recursion: the window delays collapse, a random past model avoids it. Right: the paper's Fig. 1, "
             "81 contexts on s = 3 tokens (laws from Dirichlet(1, 1, 1)), 12 tokens each per generation, fully "
             "synthetic, every context's law at m = 0, 10, …, 40 (darker = later): they drift to the vertices; "
             "the collapsed fraction at m = 40 against the exact chains' expectation. Points: simulation, 100 "
             "runs, mean ± 2 SE."),
    compute=compute_variants,
    plot=plot_variants,
    layout=LAYOUT_VARIANTS,
)
