"""An objective legibility check of a drawn figure, from the text extents matplotlib reports after a draw.

:func:`check` returns the list of problems (an empty list for a legible figure). At the printed size
(``width`` inches, default: the figure's own width; text scales with width / figure width):

1. **size**: no drawn text under :data:`~model_collapse.figures.style.MIN_PT` = 6 pt;
2. **overlap**: no two drawn text boxes (tick labels, axis labels, titles, legend entries, notes) overlap by
   more than ``tol_pt`` = 0.5 pt in both directions, no two legends overlap, and no text sticks out of the
   figure;
3. **legend over data**: no legend box (figure- or axes-level) contains a data point of any axes: line
   vertices and the points along drawn line segments (every ~1 pt), markers, scatter/error-bar points and
   image/mesh cells (only points inside their axes count, as the rest is clipped);
4. **axis labels**: every axis whose tick labels are drawn has a label (colour bars included); a figure- or
   subfigure-level ``supxlabel``/``supylabel`` labels all its x / y axes;
5. **key**: when ``shows`` has both "theory" and "simulation", the legends name each (a legend text matching
   :data:`THEORY_KEY` and one matching :data:`SIMULATION_KEY`); with "simulation" only, some text on the
   figure says why there is no theory (matching :data:`NO_THEORY`);
6. **height**: the printed figure is at most one page (:data:`~model_collapse.figures._base.PAGE_HEIGHT`) tall.

Only what is drawn is checked: invisible artists, empty strings and ticks outside the view limits are skipped.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection, QuadMesh
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from model_collapse.figures.style import MIN_PT, style

__all__ = ["check", "THEORY_KEY", "SIMULATION_KEY", "NO_THEORY"]

THEORY_KEY = re.compile(r"theory|closed form|exact|predict|formula|deterministic equivalent|law", re.I)
SIMULATION_KEY = re.compile(r"simulat|measured|monte carlo", re.I)
NO_THEORY = re.compile(r"no (closed form|theory|closed-form)|without (a )?closed form", re.I)


def _drawn_texts(artist, out: list[Text]) -> None:
    if not artist.get_visible():
        return
    if isinstance(artist, Axis):
        for tick in artist._update_ticks():  # the ticks inside the view limits: the ones drawn
            for lab in (tick.label1, tick.label2):
                if lab.get_visible() and lab.get_text().strip():
                    out.append(lab)
        for lab in (artist.label, artist.offsetText):
            if lab.get_visible() and lab.get_text().strip():
                out.append(lab)
        return
    if isinstance(artist, Text):
        if artist.get_text().strip():
            out.append(artist)
        return
    for child in artist.get_children():
        _drawn_texts(child, out)


def _all_axes(fig) -> list[Axes]:
    return [a for a in fig.findobj(Axes) if a.get_visible()]


def _legends(fig) -> list[Legend]:
    return [lg for lg in fig.findobj(Legend) if lg.get_visible()]


def _axis_has_drawn_ticklabels(axis: Axis) -> bool:
    return any((t.label1.get_visible() and t.label1.get_text().strip())
               or (t.label2.get_visible() and t.label2.get_text().strip()) for t in axis._update_ticks())


def _densify(xy: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` display units along the polyline ``xy`` (its vertices included)."""
    if len(xy) < 2:
        return xy
    seg = np.diff(xy, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    ok = np.isfinite(length)
    pieces = [xy[:1]]
    for (x0, y0), (dx, dy), n_len, good in zip(xy[:-1], seg, length, ok, strict=True):
        if not good:
            continue
        k = int(min(max(np.ceil(n_len / step), 1), 4000))
        t = np.arange(1, k + 1) / k
        pieces.append(np.column_stack([x0 + t * dx, y0 + t * dy]))
    return np.concatenate(pieces)


def _data_points(ax: Axes, step: float) -> np.ndarray:
    """Display coordinates of the data drawn in ``ax`` and inside its box (the rest is clipped)."""
    pts: list[np.ndarray] = []
    for line in ax.lines:
        if not line.get_visible() or line.get_label() == "_nolegend_grid":
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        drawn_line = line.get_linestyle() not in ("None", "none", "", " ") and line.get_linewidth() > 0
        pts.append(_densify(xy, step) if drawn_line else xy)
    for coll in ax.collections:
        if not coll.get_visible() or isinstance(coll, PolyCollection | QuadMesh):
            continue  # filled bands are areas, not points (meshes are checked as images)
        if isinstance(coll, LineCollection):  # error bars, vlines/hlines
            trans = coll.get_transform()
            for seg in coll.get_segments():
                if len(seg):
                    pts.append(_densify(trans.transform(np.asarray(seg, dtype=float)), step))
        else:  # scatter markers
            offsets = np.asarray(coll.get_offsets(), dtype=float)
            if offsets.size:
                pts.append(coll.get_offset_transform().transform(offsets))
    if not pts:
        return np.empty((0, 2))
    allp = np.concatenate(pts)
    allp = allp[np.all(np.isfinite(allp), axis=1)]
    box = ax.get_window_extent()
    inside = ((allp[:, 0] >= box.x0) & (allp[:, 0] <= box.x1) & (allp[:, 1] >= box.y0) & (allp[:, 1] <= box.y1))
    return allp[inside]


def _images(ax: Axes, renderer) -> list:
    """The boxes (inside the axes) of the images and colour meshes drawn in ``ax``."""
    box = ax.get_window_extent()
    return [Bbox.intersection(im.get_window_extent(renderer), box)
            for im in ax.get_children() if isinstance(im, AxesImage | QuadMesh) and im.get_visible()]


def _name(t: Text) -> str:
    s = t.get_text().replace("\n", " ")
    return repr(s if len(s) <= 40 else s[:37] + "...")


def check(fig, *, width: float | None = None, shows: tuple[str, ...] | list[str] = (), min_pt: float = MIN_PT,
          tol_pt: float = 0.5, page_height: float | None = None) -> list[str]:
    """The legibility problems of ``fig`` printed ``width`` inches wide (module docstring); [] when legible."""
    from model_collapse.figures._base import PAGE_HEIGHT

    with style():
        if not hasattr(fig.canvas, "get_renderer"):
            FigureCanvasAgg(fig)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        problems: list[str] = []
        fig_w, fig_h = fig.get_size_inches()
        scale = 1.0 if width is None else float(width) / float(fig_w)
        pt = 72.0 / fig.dpi  # points per display unit at the figure's size
        limit_h = PAGE_HEIGHT if page_height is None else page_height
        if fig_h * scale > limit_h + 1e-9:
            problems.append(f"height {fig_h * scale:.2f} in exceeds a page ({limit_h:g} in): split the figure")

        texts: list[Text] = []
        _drawn_texts(fig, texts)
        boxes = []
        fbox = fig.bbox
        slack = 1.0 / pt  # 1 pt
        for t in texts:
            size = t.get_fontsize() * scale
            if size < min_pt - 1e-9:
                problems.append(f"text {_name(t)} is {size:.1f} pt (< {min_pt:g} pt)")
            bb = t.get_window_extent(renderer)
            boxes.append(bb)
            if (bb.x0 < fbox.x0 - slack or bb.y0 < fbox.y0 - slack or bb.x1 > fbox.x1 + slack
                    or bb.y1 > fbox.y1 + slack):
                problems.append(f"text {_name(t)} runs outside the figure")
        tol = tol_pt / pt
        if boxes:
            arr = np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes])
            for i in range(len(arr)):
                ox = np.minimum(arr[i, 2], arr[i + 1:, 2]) - np.maximum(arr[i, 0], arr[i + 1:, 0])
                oy = np.minimum(arr[i, 3], arr[i + 1:, 3]) - np.maximum(arr[i, 1], arr[i + 1:, 1])
                for j in np.nonzero((ox > tol) & (oy > tol))[0]:
                    problems.append(f"texts {_name(texts[i])} and {_name(texts[i + 1 + j])} overlap")

        legends = _legends(fig)
        lboxes = [lg.get_window_extent(renderer) for lg in legends]
        for i in range(len(lboxes)):
            for j in range(i + 1, len(lboxes)):
                ov = Bbox.intersection(lboxes[i], lboxes[j])
                if ov is not None and ov.width > tol and ov.height > tol:
                    problems.append("two legends overlap")
        axes = _all_axes(fig)
        step = 1.0 / pt
        for lg in _legends(fig):
            lb = lg.get_window_extent(renderer)
            for ax in axes:
                if ax.get_label() == "<colorbar>":
                    continue
                p = _data_points(ax, step)
                hit = ((p[:, 0] > lb.x0) & (p[:, 0] < lb.x1) & (p[:, 1] > lb.y0) & (p[:, 1] < lb.y1))
                if hit.any():
                    problems.append(f"a legend covers {int(hit.sum())} data points of the axes titled "
                                    f"{ax.get_title()!r}")
                for ib in _images(ax, renderer):
                    if ib is not None and ib.width > tol and ib.height > tol:
                        ov = Bbox.intersection(lb, ib)
                        if ov is not None and ov.width > tol and ov.height > tol:
                            problems.append(f"a legend covers the image of the axes titled {ax.get_title()!r}")

        for ax in axes:
            if not ax.axison:
                continue
            owner = ax.get_figure(root=False)
            for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                if not _axis_has_drawn_ticklabels(axis) or axis.label.get_text().strip():
                    continue
                sup = _sup_label(owner, name)
                if not sup:
                    what = "colour bar" if ax.get_label() == "<colorbar>" else f"{name} axis"
                    problems.append(f"the {what} of the axes titled {ax.get_title()!r} has no label")

        shown = set(shows)
        keys = [t.get_text() for lg in _legends(fig) for t in lg.get_texts()]
        if {"theory", "simulation"} <= shown:
            if not any(THEORY_KEY.search(k) for k in keys):
                problems.append("the figure shows theory and simulation but no legend entry names the theory")
            if not any(SIMULATION_KEY.search(k) for k in keys):
                problems.append("the figure shows theory and simulation but no legend entry names the simulation")
        elif shown == {"simulation"} and not any(NO_THEORY.search(t.get_text()) for t in texts):
            problems.append("the figure shows simulation only and no text says why there is no theory")
    return problems


def _sup_label(owner, name: str) -> bool:
    """Whether ``owner`` (a Figure or SubFigure) or a figure above it has a sup{x,y}label."""
    while owner is not None:
        lab = getattr(owner, f"_sup{name}label", None)
        if lab is not None and lab.get_visible() and lab.get_text().strip():
            return True
        parent = getattr(owner, "_parent", None)
        owner = parent if parent is not owner else None
    return False
