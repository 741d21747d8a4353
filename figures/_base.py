"""The figure contract: compute numbers through theory/ and montecarlo/, then only draw.

A figure module defines ``FIGURE = Figure(id, title, caption, compute, plot)``:

- ``compute(quick: bool, seed: int) -> Table``: every plotted number, as equal-length named columns
  (a long-format table; string columns such as ``kind`` = ``theory``/``simulation`` are allowed).
  ``quick=True`` is a smaller configuration used by the tests.
- ``plot(table, fig)``: draws the table on a matplotlib ``Figure``; no numerics beyond selecting rows.

:func:`render` writes ``<id>.png``, ``<id>.csv`` (the table) and ``<id>.json`` (caption, seed, quick
flag, library versions, compute time) into one folder.

Drawing helpers shared by the figure modules (legibility at PNG size): :func:`sequential_colors` (steps of a
perceptual colour map), :func:`log_axis` (plain tick labels on a log axis, whatever its span),
:func:`points` (markers with their error bars drawn on top) and :func:`shared_legend` (one legend per
figure, outside the axes).
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
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D

Table = dict[str, np.ndarray]

__all__ = ["Figure", "Table", "render", "table", "rows", "sequential_colors", "log_axis", "points", "shared_legend"]


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    caption: str
    compute: Callable[[bool, int], Table]
    plot: Callable[[Table, MplFigure], None]
    figsize: tuple[float, float] = (10.0, 4.5)


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

    Over many decades: one tick per decade (or per few decades), labelled 10^k; over 2.5 decades or less:
    ticks at 1, 2, 5 × 10^k (evenly spaced values below 0.6 decades), labelled as plain numbers — never "2×10⁰".
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    lo, hi = sorted(ax.get_ylim() if which == "y" else ax.get_xlim())
    decades = np.log10(hi / lo)
    if decades <= 0.6:  # less than a factor 4: evenly spaced plain values (0.8, 0.9, 1, ... or 1.2, 1.4, ...)
        axis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    else:
        subs = (1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)
        axis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs, numticks=12))
    axis.set_major_formatter(ticker.FuncFormatter(_plain_label if decades <= 2.5 else _power_label))
    axis.set_minor_locator(ticker.LogLocator(base=10.0, subs=np.arange(1.0, 10.0), numticks=12)
                           if decades <= 12 else ticker.NullLocator())
    axis.set_minor_formatter(ticker.NullFormatter())


def points(ax, x, y, *, yerr=None, xerr=None, color="black", marker: str = "o", ms: float = 5.5,
           bar_color: str = "black", label: str | None = None, zorder: float = 3.0) -> None:
    """Markers with error bars drawn ABOVE them (a bar shorter than the marker still shows its caps)."""
    ax.plot(x, y, ls="none", marker=marker, ms=ms, mfc=color, mec="black", mew=0.5, zorder=zorder, label=label)
    if yerr is not None or xerr is not None:
        ax.errorbar(x, y, yerr=yerr, xerr=xerr, fmt="none", ecolor=bar_color, elinewidth=1.1, capsize=2.5,
                    capthick=1.1, zorder=zorder + 0.5)


def shared_legend(fig, handles, labels=None, *, ncols: int | None = None, loc: str = "outside lower center",
                  fontsize: float = 9.0, title: str | None = None):
    """One legend for the whole figure, outside the axes (constrained layout makes room for it).

    Entries fill the legend row by row (``ncols`` per row; matplotlib itself fills column by column).
    """
    handles = list(handles)
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


def merge_legends(fig, tagged_axes, *, ncols: int = 4, fontsize: float = 8.0):
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


def render(figure: Figure, out_dir: str | Path, *, quick: bool = False, seed: int = 0) -> list[Path]:
    """Compute ``figure``'s table, draw it, and write PNG, CSV and JSON into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tab = figure.compute(quick, seed)
    elapsed = time.perf_counter() - t0
    # A bare matplotlib Figure draws with the Agg canvas: no pyplot, no global backend selection.
    fig = MplFigure(figsize=figure.figsize, layout="constrained")
    figure.plot(tab, fig)
    png = out / f"{figure.id}.png"
    _atomic(png, lambda tmp: fig.savefig(tmp, dpi=130, format="png"))
    csv_path = out / f"{figure.id}.csv"
    _atomic(csv_path, lambda tmp: write_csv(tab, tmp))
    meta = {
        "id": figure.id,
        "title": figure.title,
        "caption": figure.caption,
        "quick": quick,
        "seed": seed,
        "compute_seconds": round(elapsed, 3),
        "versions": _versions(),
    }
    json_path = out / f"{figure.id}.json"
    _atomic(json_path, lambda tmp: tmp.write_text(json.dumps(meta, indent=2) + "\n"))
    return [png, csv_path, json_path]
