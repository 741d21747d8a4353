"""The figure contract: compute numbers through theory/ and montecarlo/, then only draw.

A figure module defines ``FIGURE = Figure(id, title, caption, compute, plot)``:

- ``compute(quick: bool, seed: int) -> Table``: every plotted number, as equal-length named columns
  (a long-format table; string columns such as ``kind`` = ``theory``/``simulation`` are allowed).
  ``quick=True`` is a smaller configuration used by the tests.
- ``plot(table, fig)``: draws the table on a matplotlib ``Figure``; no numerics beyond selecting rows.

:func:`render` writes ``<id>.png``, ``<id>.csv`` (the table) and ``<id>.json`` (caption, seed, quick
flag, library versions, compute time) into one folder.
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
from matplotlib.figure import Figure as MplFigure

Table = dict[str, np.ndarray]

__all__ = ["Figure", "Table", "render", "table", "rows"]


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
