"""One module per regenerated paper figure; :data:`REGISTRY` maps figure id to its :class:`Figure`.

Figure modules ask theory/ and montecarlo/ for numbers and only draw (see ``figures/_base.py``).
"""

from __future__ import annotations

import importlib

from model_collapse.figures._base import Figure, render

# Module names of the registered figures, in the order `collapse figures` regenerates them.
_MODULES = [
    "model_collapse.figures.strong_collapse",
    "model_collapse.figures.cot_gaussian",
    "model_collapse.figures.cot_linreg",
    "model_collapse.figures.smc_model_size",
    "model_collapse.figures.smc_decomposition",
    "model_collapse.figures.smc_pareto",
    "model_collapse.figures.mcd_scaling",
    "model_collapse.figures.cot_kde",
    "model_collapse.figures.sed_collapse",
    "model_collapse.figures.sed_ngram",
    "model_collapse.figures.smc_synthetic_budget",
    "model_collapse.figures.smc_mixing",
    "model_collapse.figures.real_digits_mixture",
    "model_collapse.figures.real_digits_retraining",
    "model_collapse.figures.real_text_lm",
    "model_collapse.figures.smc_covariate_shift",
]


def registry() -> dict[str, Figure]:
    """Figure id -> Figure, importing each registered module."""
    out: dict[str, Figure] = {}
    for name in _MODULES:
        fig = importlib.import_module(name).FIGURE
        out[fig.id] = fig
    return out


__all__ = ["Figure", "registry", "render"]
