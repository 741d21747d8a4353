"""The one matplotlib style of every figure, and the printed widths it is drawn at.

Figures are drawn at their printed size (no scaling afterwards), so a point in the style is a point on paper:

- widths: ``column`` = 3.4 in (one journal column, 3.3–3.5 in), ``page`` = 7.0 in (a full text width,
  6.75–7 in), or any width in inches between :data:`MIN_WIDTH` and :data:`MAX_WIDTH` (:func:`parse_width`);
- text: sans-serif (DejaVu Sans, shipped with matplotlib, so every machine draws the same glyphs), 8 pt labels
  and titles, 7 pt ticks and legends; nothing below :data:`MIN_PT` = 6 pt (the legibility check's threshold);
- vector output: PDF with embedded TrueType (Type 42) fonts, SVG with text kept as text;
- colours: the Okabe–Ito colour-blind-safe qualitative palette (:data:`PALETTE`, also the default colour
  cycle) for categories, and viridis steps (``_base.sequential_colors``) for ordered values. Within a figure one
  colour means one thing in every panel (the figure modules pick colours from a value, never from a position).

:func:`style` is the ``rcParams`` context that :func:`model_collapse.figures.render` (and
:func:`model_collapse.figures._base.draw`) applies while a figure is created, drawn and saved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib as mpl

__all__ = ["WIDTHS", "MIN_WIDTH", "MAX_WIDTH", "MIN_PT", "FONT_PT", "SMALL_PT", "PALETTE", "RC", "parse_width",
           "style", "is_column"]

WIDTHS: dict[str, float] = {"column": 3.4, "page": 7.0}
MIN_WIDTH, MAX_WIDTH = 2.5, 12.0
MIN_PT = 6.0  # smallest text allowed at the printed size
FONT_PT = 8.0  # labels, titles
SMALL_PT = 7.0  # ticks, legends, notes on a panel

#: Okabe & Ito (2008), "Color universal design": distinguishable under the common colour-vision deficiencies.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
_CYCLE = [PALETTE[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky", "black", "yellow")]

RC: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "figure.titlesize": FONT_PT,
    "figure.labelsize": FONT_PT,
    "xtick.labelsize": SMALL_PT,
    "ytick.labelsize": SMALL_PT,
    "legend.fontsize": SMALL_PT,
    "legend.title_fontsize": SMALL_PT,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "legend.columnspacing": 1.2,
    "legend.borderaxespad": 0.3,
    "axes.linewidth": 0.6,
    "axes.prop_cycle": mpl.cycler(color=_CYCLE),
    "axes.titlepad": 3.0,
    "axes.labelpad": 2.0,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "xtick.major.size": 2.8,
    "ytick.major.size": 2.8,
    "xtick.minor.size": 1.6,
    "ytick.minor.size": 1.6,
    "xtick.major.pad": 2.0,
    "ytick.major.pad": 2.0,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "errorbar.capsize": 1.5,
    "figure.constrained_layout.h_pad": 0.02,
    "figure.constrained_layout.w_pad": 0.02,
    "figure.constrained_layout.hspace": 0.03,
    "figure.constrained_layout.wspace": 0.03,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "savefig.dpi": 300,
    "savefig.pad_inches": 0.02,
}


def parse_width(value: str | float) -> float:
    """``"column"`` → 3.4, ``"page"`` → 7.0, a number of inches in [2.5, 12] → itself (else ValueError naming
    what is allowed)."""
    if isinstance(value, str) and value.strip().lower() in WIDTHS:
        return WIDTHS[value.strip().lower()]
    try:
        inches = float(value)
    except (TypeError, ValueError):
        inches = float("nan")
    if not MIN_WIDTH <= inches <= MAX_WIDTH:  # also refuses NaN
        raise ValueError(f"The '--width' parameter must be 'column' (3.4 in), 'page' (7 in) or a number of inches "
                         f"in [{MIN_WIDTH:g}, {MAX_WIDTH:g}]. Got {value!r} instead.")
    return inches


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The shared ``rcParams`` (:data:`RC`), restored on exit."""
    with mpl.rc_context(RC):
        yield


def is_column(fig) -> bool:
    """Whether ``fig`` is drawn at a single-column width (under 5 in): the figure modules stack panels then."""
    root = getattr(fig, "figure", None) or fig
    return root.get_figwidth() < 5.0
