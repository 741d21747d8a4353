"""One module per regenerated paper figure, ``model_collapse.figures.<id>``, each defining ``FIGURE``.

The figures are not listed here: every registry entry (:mod:`model_collapse.families`) names its figures, and
:func:`registry` imports those modules in registry order (the order `collapse figures` regenerates them).
Figure modules ask theory/ and montecarlo/ for numbers and only draw (see ``figures/_base.py``).
"""

from __future__ import annotations

import importlib

from model_collapse.figures._base import Figure, render


def registry() -> dict[str, Figure]:
    """Figure id -> Figure, for every figure a registry entry names."""
    from model_collapse import families

    out: dict[str, Figure] = {}
    for fid in families.figure_ids():
        fig = importlib.import_module(f"{__name__}.{fid}").FIGURE
        if fig.id != fid:  # pragma: no cover - a programming error in a figure module
            raise ValueError(f"figure module {fid} defines FIGURE.id = {fig.id!r}")
        out[fig.id] = fig
    return out


__all__ = ["Figure", "registry", "render"]
