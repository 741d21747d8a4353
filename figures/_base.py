"""The figure contract: compute numbers through theory/ and montecarlo/, then only draw, at the printed size.

A figure module defines ``FIGURE = Figure(id, title, caption, compute, plot, layout=Layout(...))``:

- ``compute(quick: bool, seed: int) -> Table``: every plotted number, as equal-length named columns
  (a long-format table; string columns such as ``kind`` = ``theory``/``simulation`` are allowed).
  ``quick=True`` is a smaller configuration used by the tests (seconds).
- ``plot(table, fig)``: draws the table on a matplotlib ``Figure`` that already has its printed size; no
  numerics beyond selecting rows. Make the panels with :func:`grid` (``grid(fig, LAYOUT, sharey=True)``):
  the number of columns follows the width (one column of panels at ``--width column``, ``page_cols`` at page
  width). Put the key in one :func:`shared_legend` below the panels (or a legend per panel, outside its data).
  Do not set font sizes: the shared style (:mod:`model_collapse.figures.style`) sets them; no suptitle (the
  caption says it); short panel titles.
- ``layout``: a :class:`Layout` (how many panels, columns at page/column width, the panel aspect, the legend
  rows) — never inches: :meth:`Figure.size` derives the figure size from the printed width.
- ``shows`` (optional): ``("theory", "simulation")`` or a subset; by default read from the table's ``kind``
  column. The legibility check then asks for a legend key of each.

:func:`render` draws at a width (``"column"`` = 3.4 in, ``"page"`` = 7 in, or inches), under the shared style,
and writes ``<id>.pdf|svg|png`` (the formats asked for; PNG at 300 dpi), ``<id>.csv`` (the table) and
``<id>.json`` (caption, seed, quick flag, width, library versions, compute time, and the problems the
legibility check found — an empty list for a legible figure) into one folder, each file atomically.
:func:`draw` is the same drawing without files (the tests and :func:`model_collapse.figures.legibility.check`
use it).

Legibility (:mod:`model_collapse.figures.legibility`): at the printed width no text under 6 pt, no two text
boxes overlapping, no text outside the figure, no legend over data, a label on every axis with tick labels
(colour bars included), a key for theory and for simulation when the figure shows both (and, where it shows
simulation only, a text on the panel saying why there is no theory), and a height of at most one page
(9 in). ``tests/test_figure_legibility.py`` runs it over every registered figure at both widths.

A legacy ``figsize=(w, h)`` (inches) is still accepted and read as an aspect (h / w at any width).

Drawing helpers shared by the figure modules: :func:`grid` (panels by width), :func:`sequential_colors` (steps
of a perceptual colour map), :data:`~model_collapse.figures.style.PALETTE` (Okabe–Ito), :func:`log_axis` (plain
tick labels on a log axis, whatever its span), :func:`points` (markers with their error bars drawn on top),
:func:`shared_legend` (one legend per figure, outside the axes) and :func:`note` (a small text on a panel).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from model_collapse.figures.style import SMALL_PT, parse_width, style

Table = dict[str, np.ndarray]

__all__ = ["Figure", "Layout", "Table", "render", "draw", "table", "rows", "grid", "subpanels", "label_grid", "note",
           "sequential_colors", "log_axis", "points", "shared_legend", "FORMATS", "PAGE_HEIGHT"]

FORMATS = ("pdf", "svg", "png")
PNG_DPI = 300
PAGE_HEIGHT = 9.0  # inches: the text height of a journal page; a taller figure must be split
LINE_IN = 0.155  # inches per legend row at 7 pt
MAX_PANEL_WIDTH = 3.5  # inches: the panel height stops growing with the width here


@dataclass(frozen=True)
class Layout:
    """How a figure's panels are arranged; the figure size follows from the printed width.

    ``panels`` panels in ``page_cols`` columns at page width (default: all in one row, at most 4) and
    ``column_cols`` columns at column width (default 1: stacked); each panel ``aspect`` = height / width (its
    axes with tick and axis labels; ``column_aspect`` at column width, default the same); ``legend_rows`` rows
    of figure legend below the panels at page width (``column_legend_rows`` at column width, default twice);
    ``panel_legend_rows`` rows of legend under each panel (:func:`subpanels`, a legend per panel;
    ``column_panel_legend_rows`` at column width).
    """

    panels: int = 1
    page_cols: int | None = None
    column_cols: int = 1
    aspect: float = 0.75
    column_aspect: float | None = None
    legend_rows: float = 1.0
    column_legend_rows: float | None = None
    panel_legend_rows: float = 0.0
    column_panel_legend_rows: float | None = None

    def cols(self, width: float) -> int:
        if width < 5.0:
            return max(1, min(self.column_cols, self.panels))
        return max(1, min(self.page_cols or min(self.panels, 4), self.panels))

    def size(self, width: float) -> tuple[float, float]:
        cols = self.cols(width)
        nrows = -(-self.panels // cols)
        column = width < 5.0
        aspect = self.column_aspect if (column and self.column_aspect is not None) else self.aspect
        legend = self.column_legend_rows if column and self.column_legend_rows is not None else (
            2 * self.legend_rows if column else self.legend_rows)
        panel_w = min(width / cols, MAX_PANEL_WIDTH)  # wider panels keep the height of a 3.5 in one
        per_panel = (self.column_panel_legend_rows if column and self.column_panel_legend_rows is not None
                     else self.panel_legend_rows)
        height = (nrows * (panel_w * aspect + per_panel * LINE_IN + (0.08 if per_panel else 0.0))
                  + legend * LINE_IN + (0.1 if legend else 0.0))
        return width, round(height, 3)


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    caption: str
    compute: Callable[[bool, int], Table]
    plot: Callable[[Table, MplFigure], None]
    layout: Layout = Layout()
    figsize: tuple[float, float] | None = None  # legacy: read as the aspect h / w
    shows: tuple[str, ...] | None = None

    def size(self, width: float | str = "page") -> tuple[float, float]:
        """(width, height) in inches at the printed ``width`` ("column", "page" or inches)."""
        w = parse_width(width)
        if self.figsize is not None and self.layout == Layout():
            return w, round(w * self.figsize[1] / self.figsize[0], 3)
        return self.layout.size(w)

    def shown(self, tab: Table) -> tuple[str, ...]:
        """What the figure shows of ("theory", "simulation"): :attr:`shows`, else from the table's ``kind``."""
        if self.shows is not None:
            return tuple(self.shows)
        kinds = set(np.asarray(tab.get("kind", [])).astype(str).tolist())
        out = []
        if kinds & {"theory", "exact"}:
            out.append("theory")
        if kinds & {"simulation", "measured"}:
            out.append("simulation")
        return tuple(out)


def table(**columns) -> Table:
    """Build a :data:`Table`, checking that all columns have the same length."""
    out = {k: np.asarray(v) for k, v in columns.items()}
    lengths = {len(v) for v in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"table columns differ in length: { {k: len(v) for k, v in out.items()} }")
    return out


def concat(tables: list[Table]) -> Table:
    """Row-wise concatenation of tables with the same columns."""
    keys = list(tables[0])
    return {k: np.concatenate([np.asarray(t[k]) for t in tables]) for k in keys}


def rows(tab: Table, **where) -> Table:
    """The rows of ``tab`` whose columns equal the given values (for plotting only)."""
    n = len(next(iter(tab.values())))
    mask = np.ones(n, dtype=bool)
    for key, value in where.items():
        col = tab[key]
        if col.dtype.kind in "fc":
            mask &= np.isclose(col, value, rtol=1e-12, atol=0.0)
        else:
            mask &= col == value
    return {k: v[mask] for k, v in tab.items()}


# ---------------------------------------------------------------------------------------------- drawing helpers


def grid(fig, layout: Layout, **subplot_kw) -> list:
    """The ``layout.panels`` axes of ``fig``, row by row, in as many columns as the figure's width allows
    (:meth:`Layout.cols`); cells left over in the last row are removed."""
    cols = layout.cols(root_width(fig))
    nrows = -(-layout.panels // cols)
    axes = list(np.asarray(fig.subplots(nrows, cols, squeeze=False, **subplot_kw)).ravel())
    for extra in axes[layout.panels:]:
        extra.remove()
    return axes[:layout.panels]


def subpanels(fig, layout: Layout) -> list:
    """One subfigure per panel, arranged like :func:`grid`, for panels that carry their own legend
    (``shared_legend(subfig, ...)`` puts it under that panel); left-over cells stay empty."""
    cols = layout.cols(root_width(fig))
    nrows = -(-layout.panels // cols)
    subs = list(np.asarray(fig.subfigures(nrows, cols, squeeze=False)).ravel())
    return subs[:layout.panels]


def label_grid(axes, xlabel: str | None = None, ylabel: str | None = None, *, outer: bool = True) -> None:
    """Axis labels on the outer panels of a :func:`grid`: ``xlabel`` on the lowest panel of each column,
    ``ylabel`` on the first panel of each row; with ``outer`` the inner panels' shared tick labels hidden."""
    cells = {ax: ax.get_subplotspec() for ax in axes}
    for ax, spec in cells.items():
        col, row = spec.colspan.start, spec.rowspan.stop
        lowest = not any(o.colspan.start == col and o.rowspan.start >= row for o in cells.values())
        first = spec.colspan.start == 0
        if outer:
            shared_x = len(ax.get_shared_x_axes().get_siblings(ax)) > 1
            shared_y = len(ax.get_shared_y_axes().get_siblings(ax)) > 1
            if shared_x and not lowest:
                ax.tick_params(labelbottom=False)
            if shared_y and not first:
                ax.tick_params(labelleft=False)
        if xlabel is not None and lowest:
            ax.set_xlabel(xlabel)
        if ylabel is not None and first:
            ax.set_ylabel(ylabel)


def root_width(fig) -> float:
    """The printed width (inches) of the figure that ``fig`` (a Figure or a SubFigure) belongs to."""
    root = getattr(fig, "figure", None) or fig
    return float(root.get_figwidth())


def note(ax, text: str, *, x: float = 0.03, y: float = 0.04, ha: str = "left", va: str = "bottom", **kw):
    """A small note on a panel (axes coordinates), on a white box so that it stays readable over grid lines."""
    kw.setdefault("fontsize", SMALL_PT - 0.5)
    return ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, zorder=6,
                   bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="0.75", lw=0.4, alpha=0.9), **kw)


def sequential_colors(values, cmap: str = "viridis", lo: float = 0.0, hi: float = 0.85,
                      reverse: bool = False) -> dict:
    """Value -> colour, evenly spaced steps of a perceptual colour map (``hi`` < 1 avoids viridis's pale yellow).

    With ``reverse`` the first value gets the light end (e.g. darker = more synthetic data).
    """
    values = list(values)
    cm = colormaps[cmap]
    steps = np.linspace(lo, hi, len(values)) if len(values) > 1 else np.array([lo])
    if reverse:
        steps = steps[::-1]
    return {v: cm(float(s)) for v, s in zip(values, steps, strict=True)}


def _power_label(x: float, _pos=None) -> str:
    """10⁻⁵, 3×10⁻⁸: powers of ten (used when an axis spans many decades)."""
    if x <= 0 or not np.isfinite(x):
        return ""
    exponent = int(np.floor(np.log10(x) + 1e-9))
    mantissa = x / 10.0**exponent
    if abs(mantissa - 1.0) < 1e-6:
        return f"$10^{{{exponent}}}$"
    return f"${mantissa:.2g}\\times10^{{{exponent}}}$"


def _plain_label(x: float, _pos=None) -> str:
    """Plain numbers (0.2, 1, 50) between 10⁻³ and 10⁴ (axes spanning a few decades), powers of ten outside."""
    if x <= 0 or not np.isfinite(x):
        return ""
    return f"{x:g}" if 1e-3 <= x < 1e4 else _power_label(x)


def log_axis(ax, which: str = "y") -> None:
    """Log scale with readable ticks for the axis's current limits (call after setting them).

    Over many decades: one tick per decade, or per few decades when the printed axis is short (matplotlib
    picks the stride at draw time from the axis length and the tick font), labelled 10^k; over 2.5 decades
    or less: ticks at 1, 2, 5 × 10^k (evenly spaced values below 0.6 decades), labelled as plain numbers —
    never "2×10⁰".
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    lo, hi = sorted(ax.get_ylim() if which == "y" else ax.get_xlim())
    decades = np.log10(hi / lo)
    if decades <= 0.6:  # less than a factor 4: evenly spaced plain values (0.8, 0.9, 1, ... or 1.2, 1.4, ...)
        axis.set_major_locator(ticker.MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10]))
    else:
        subs = (1.0, 2.0, 5.0) if decades <= 1.6 else ((1.0, 3.0) if decades <= 2.5 else (1.0,))
        axis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs, numticks="auto"))
    axis.set_major_formatter(ticker.FuncFormatter(_plain_label if decades <= 2.5 else _power_label))
    axis.set_minor_locator(ticker.LogLocator(base=10.0, subs=np.arange(1.0, 10.0), numticks=12)
                           if decades <= 12 else ticker.NullLocator())
    axis.set_minor_formatter(ticker.NullFormatter())


def points(ax, x, y, *, yerr=None, xerr=None, color="black", marker: str = "o", ms: float = 3.5,
           bar_color: str = "black", label: str | None = None, zorder: float = 3.0) -> None:
    """Markers with error bars drawn ABOVE them (a bar shorter than the marker still shows its caps)."""
    ax.plot(x, y, ls="none", marker=marker, ms=ms, mfc=color, mec="black", mew=0.4, zorder=zorder, label=label)
    if yerr is not None or xerr is not None:
        ax.errorbar(x, y, yerr=yerr, xerr=xerr, fmt="none", ecolor=bar_color, elinewidth=0.7, capsize=1.5,
                    capthick=0.7, zorder=zorder + 0.5)


def shared_legend(fig, handles, labels=None, *, ncols: int | None = None, loc: str = "outside lower center",
                  fontsize: float | None = None, title: str | None = None, column_ncols: int | None = None):
    """One legend for the whole figure, outside the axes (constrained layout makes room for it).

    Entries fill the legend row by row (``ncols`` per row at page width, ``column_ncols`` (default: half,
    at least 1) at column width; matplotlib itself fills column by column). ``fontsize`` None: the style's.
    """
    from model_collapse.figures.style import is_column

    handles = list(handles)
    if is_column(fig):
        ncols = column_ncols or max(1, -(-(ncols or len(handles)) // 2))
    labels = [h.get_label() for h in handles] if labels is None else list(labels)
    ncols = ncols or len(handles)
    nrows = -(-len(handles) // ncols)
    if nrows > 1:
        blank = Line2D([], [], ls="none")
        grid_h = handles + [blank] * (nrows * ncols - len(handles))
        grid_l = labels + [""] * (nrows * ncols - len(labels))
        order = [r * ncols + c for c in range(ncols) for r in range(nrows)]
        handles, labels = [grid_h[i] for i in order], [grid_l[i] for i in order]
    return fig.legend(handles, labels, loc=loc, ncols=ncols, fontsize=fontsize, frameon=False, title=title,
                      title_fontsize=fontsize)


def merge_legends(fig, tagged_axes, *, ncols: int = 4, fontsize: float | None = None):
    """Replace the per-panel legends by one figure legend: each entry prefixed by its panel's tag ("(a) ", ...),
    an entry repeated in several panels listed once."""
    for old in list(fig.legends):
        old.remove()
    handles, labels, seen = [], [], set()
    for tag, ax in tagged_axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab.startswith("_") or lab in seen:
                continue
            seen.add(lab)
            handles.append(h)
            labels.append(f"{tag} {lab}" if tag else lab)
    return shared_legend(fig, handles, labels, ncols=ncols, fontsize=fontsize)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("model-collapse", "numpy", "scipy", "matplotlib", "mpmath", "scikit-learn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def write_csv(tab: Table, path: Path) -> None:
    keys = list(tab)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(keys)
        for i in range(len(tab[keys[0]])):
            writer.writerow([_cell(tab[k][i]) for k in keys])


def _cell(x) -> str:
    if isinstance(x, float | np.floating):
        return repr(float(x))
    return str(x)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary name in the same folder and rename: never a partial file at ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def draw(figure: Figure, tab: Table, width: float | str = "page") -> MplFigure:
    """``figure`` drawn from ``tab`` at the printed ``width`` under the shared style (no files written).

    A bare matplotlib Figure on an explicit Agg canvas: no pyplot, no global backend selection. Save it (or
    check it) inside :func:`model_collapse.figures.style.style` to keep the style's output settings."""
    with style():
        fig = MplFigure(figsize=figure.size(width), layout="constrained")
        FigureCanvasAgg(fig)
        figure.plot(tab, fig)
        fig.canvas.draw()
    return fig


def render(figure: Figure, out_dir: str | Path, *, quick: bool = False, seed: int = 0,
           formats: tuple[str, ...] | list[str] = ("png",), width: float | str = "page",
           check: bool = True) -> list[Path]:
    """Compute ``figure``'s table, draw it at ``width`` and write ``<id>.<fmt>`` for each of ``formats``
    (of pdf, svg, png; PNG at 300 dpi), then CSV and JSON into ``out_dir``; returns the paths in that order.

    With ``check`` the JSON lists the problems :func:`model_collapse.figures.legibility.check` finds."""
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"The '--format' parameter must be a comma-separated list of {', '.join(FORMATS)}. "
                         f"Got {','.join(formats)!r} instead.")
    inches = parse_width(width)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tab = figure.compute(quick, seed)
    elapsed = time.perf_counter() - t0
    paths: list[Path] = []
    with style():
        fig = MplFigure(figsize=figure.size(inches), layout="constrained")
        FigureCanvasAgg(fig)
        figure.plot(tab, fig)
        fig.canvas.draw()
        problems: list[str] = []
        if check:
            from model_collapse.figures.legibility import check as legibility

            problems = legibility(fig, shows=figure.shown(tab))
        for fmt in dict.fromkeys(formats):
            path = out / f"{figure.id}.{fmt}"
            kw = {"dpi": PNG_DPI} if fmt == "png" else {"metadata": {"Creator": "model-collapse"}}
            if fmt == "pdf":
                kw["metadata"]["CreationDate"] = None  # reproducible bytes
            if fmt == "svg":
                kw["metadata"]["Date"] = None
            _atomic(path, lambda tmp, fmt=fmt, kw=kw: fig.savefig(tmp, format=fmt, **kw))
            paths.append(path)
    csv_path = out / f"{figure.id}.csv"
    _atomic(csv_path, lambda tmp: write_csv(tab, tmp))
    w, h = fig.get_size_inches()
    meta = {
        "id": figure.id,
        "title": figure.title,
        "caption": figure.caption,
        "quick": quick,
        "seed": seed,
        "width_in": round(float(w), 3),
        "height_in": round(float(h), 3),
        "formats": list(dict.fromkeys(formats)),
        "legibility_problems": problems,
        "compute_seconds": round(elapsed, 3),
        "versions": _versions(),
    }
    json_path = out / f"{figure.id}.json"
    _atomic(json_path, lambda tmp: tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n"))
    return [*paths, csv_path, json_path]
