"""SMC Fig. 2 (random projections): ρ, B, V, ζ and the total against ψ = m/n for two quality levels.

Setting (chosen; the paper's exact values were not available): isotropic Σ = I, n = 100, d = 300 (> n, so the
threshold m = n exists), λ = 10⁻³, r² = 1, σ₁ = σ₂ = 0.5, p₂ = 0.2, c² ∈ {0.1 (high quality), 5 (low)}.
Theory: :func:`theory.random_projections.test_error`; simulation: :func:`montecarlo.random_projections.simulate`.
"""

from __future__ import annotations

import numpy as np
from model_collapse.figures._base import Figure, Table, concat, rows, table
from model_collapse.montecarlo import random_projections as mc
from model_collapse.montecarlo.trials import point_seed
from model_collapse.theory import random_projections as th
from model_collapse.theory.spectrum import eigenvalues

N, D, LAM, SIGMA, P2 = 100, 300, 1e-3, 0.5, 0.2
C2S = (0.1, 5.0)
PARTS = ("rho", "bias", "variance", "zeta", "total")
SIM_M = (30, 60, 200, 500)


def compute(quick: bool, seed: int) -> Table:
    w = eigenvalues("isotropic", D)
    m_grid = np.unique(np.round(np.logspace(0, np.log10(20 * N), 40 if quick else 160)))
    sim_m = SIM_M[1:3] if quick else SIM_M
    trials = 6 if quick else 12
    parts: list[Table] = []
    for i, c2 in enumerate(C2S):
        res = th.predict(N, m_grid, P2, LAM, w, c2=c2, sigma=SIGMA)
        for part in PARTS:
            k = m_grid.size
            parts.append(table(kind=["theory"] * k, c2=np.full(k, c2), part=[part] * k, psi=m_grid / N,
                               value=getattr(res, part), se=np.zeros(k)))
        for q, m in enumerate(sim_m):
            est = mc.simulate(N, m, P2, LAM, w, c2=c2, sigma=SIGMA, n_trials=trials, seed=point_seed(seed, i, q))
            for part in PARTS:
                e = getattr(est, part)
                parts.append(table(kind=["simulation"], c2=[c2], part=[part], psi=[m / N], value=[e.mean],
                                   se=[e.sem]))
    return concat(parts)


COLORS = {"rho": "tab:green", "bias": "tab:blue", "variance": "tab:orange", "zeta": "tab:red", "total": "black"}
LABELS = {"rho": "ρ (approximation)", "bias": "B", "variance": "V", "zeta": "ζ (synthetic)", "total": "total"}


def plot(tab: Table, fig) -> None:
    axes = fig.subplots(1, len(C2S), sharey=True, squeeze=False)[0]
    for ax, c2 in zip(axes, C2S, strict=True):
        for part in PARTS:
            t = rows(tab, kind="theory", c2=c2, part=part)
            ax.plot(t["psi"], t["value"], color=COLORS[part], lw=2.0 if part == "total" else 1.4,
                    label=LABELS[part])
            s = rows(tab, kind="simulation", c2=c2, part=part)
            ax.errorbar(s["psi"], s["value"], yerr=2 * s["se"], fmt="o", ms=4, color=COLORS[part], capsize=2)
        ax.axvline(1.0, color="grey", ls="--", lw=1)
        ax.text(1.0, 0.97, " m = n", transform=ax.get_xaxis_transform(), fontsize=8, va="top", color="grey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 30)
        ax.set_xlabel("ψ = m/n")
        ax.set_title(f"c² = {c2:g}")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("test error and its parts")
    axes[-1].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Decomposition E = ρ + B + V + ζ: lines theory, points simulation (±2 SE)  [n = {N}, d = {D}, "
                 f"p₂ = {P2:g}, λ = {LAM:g}, σ = {SIGMA:g}]", fontsize=10)


FIGURE = Figure(
    id="smc_decomposition",
    title="Bias, variance, synthetic term and approximation error against m/n (SMC Fig. 2)",
    caption=("Random projections, isotropic d = 300, n = 100, p₂ = 0.2, λ = 1e-3, r² = 1, σ₁ = σ₂ = 0.5, "
             "c² ∈ {0.1, 5}. Lines: deterministic theory; points: simulation mean ± 2 SE (12 draws of S and X). "
             "The variance V and the synthetic term ζ both peak at the threshold m = n; "
             "ρ falls with m and vanishes at m = d = 3n (log axis: the line drops off)."),
    compute=compute,
    plot=plot,
    figsize=(12.0, 4.6),
)
