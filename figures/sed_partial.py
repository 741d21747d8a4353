"""How Bad is Training on Synthetic Data? Figs. 3–4: partially synthetic retraining, Theorem 2 and the drift.

The paper's law (s = 600, s̃ = 52, canonical geometric law). Panels: Theorem 2 (corrected sign) for N = 100 real
tokens and n ∈ {10, 100, 1000} synthetic ones (the paper's Fig. 3); the drift E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ of the same runs
with its exact law (the per-token count chain, :func:`theory.lm_drift.drift`) and the Jensen upper bound
Σ_i √E(D_i)²; the paper's Fig. 4 (n = 10, N = 100, S₀ ∈ {0.05, 0.1, 0.3, 0.6}) with the same laws. The numbers
are computed in :func:`figures.sed_collapse.compute_partial`.
"""

from __future__ import annotations

from model_collapse.figures._base import Figure
from model_collapse.figures.sed_collapse import LAYOUT_PARTIAL, compute_partial, plot_partial

FIGURE = Figure(
    id="sed_partial",
    title="Partially synthetic retraining of the statistical language model: Theorem 2 and the drift (SED Figs. 3–4)",
    caption=("The paper's law (s = 600, support 52, canonical geometric law), N = 100 real tokens kept at every "
             "generation. Left: S_m for n = 10, 100, 1000 synthetic tokens, Theorem 2 with the corrected '+' sign, "
             "S₀ = 0.1. Middle: the drift E‖p⁽ᵐ⁾ − p⁽¹⁾‖₁ of the same runs: exact law from each token's count chain "
             "(solid) and the upper bound Σ_i √E(p_i⁽ᵐ⁾ − p_i⁽¹⁾)² (dashed; Jensen per token). Right: the paper's "
             "Fig. 4, n = 10, N = 100, S₀ = 0.05 … 0.6: the drift falls as S₀ grows, as the paper observed, and the "
             "exact law follows it. Points: simulation, 100 runs, mean ± 2 SE (every third generation)."),
    compute=compute_partial,
    plot=plot_partial,
    layout=LAYOUT_PARTIAL,
)
