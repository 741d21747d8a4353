"""The legibility check (figures/legibility.py): every registered figure passes it at column and page width
(quick configurations), and each of its rules fails on a figure drawn to break that rule."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from model_collapse.figures import registry
from model_collapse.figures._base import Figure, Layout, draw, grid, shared_legend, table
from model_collapse.figures.legibility import check
from model_collapse.figures.style import parse_width, style

REG = registry()
#: figures whose quick compute takes about a minute (cot_kde: the finite-n KDE theory at every point): their
#: check runs with the slow-marked tests (CI runs those too), not in the default run
SLOW_COMPUTE = {"cot_kde"}
FIGURE_IDS = [pytest.param(f, marks=pytest.mark.slow) if f in SLOW_COMPUTE else f for f in sorted(REG)]


@pytest.fixture(scope="module")
def tables():
    cache: dict[str, dict] = {}

    def get(fig_id):
        if fig_id not in cache:
            cache[fig_id] = REG[fig_id].compute(True, 0)
        return cache[fig_id]

    return get


@pytest.mark.parametrize("width", ["column", "page"])
@pytest.mark.parametrize("fig_id", FIGURE_IDS)
def test_every_figure_is_legible(fig_id, width, tables):
    spec = REG[fig_id]
    tab = tables(fig_id)
    fig = draw(spec, tab, width)
    w, h = fig.get_size_inches()
    assert w == pytest.approx(parse_width(width)) and w <= 7.0
    assert check(fig, shows=spec.shown(tab)) == []
    # log axes label values near 1 as plain numbers, never as "2×10⁰"
    for ax in fig.get_axes():
        for label in ax.get_yticklabels() + ax.get_xticklabels():
            assert not re.search(r"times10\^\{(-1|0|1)\}", label.get_text()), (fig_id, label.get_text())


# ------------------------------------------------------------------ each rule fails on a figure that breaks it


def _fig(width=3.4, height=2.6):
    with style():
        fig = MplFigure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
    return fig


def _good(fig, *, legend_inside=False, label=True, small=False, key=True):
    with style():
        ax = fig.subplots()
        x = np.linspace(0, 1, 30)
        ax.plot(x, x, label="theory" if key else "curve")
        ax.plot(x[::5], x[::5], "o", label="simulation")
        if label:
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        if small:
            ax.tick_params(labelsize=4)
        if legend_inside:
            ax.legend(loc="center")
        else:
            shared_legend(fig, ax.get_lines())
    return fig, ax


def test_a_plain_legible_figure_passes():
    fig, _ = _good(_fig())
    assert check(fig, shows=("theory", "simulation")) == []


def test_small_text_fails():
    fig, _ = _good(_fig(), small=True)
    assert any("pt (< 6 pt)" in p for p in check(fig))
    # the same figure shrunk at print: 7 pt ticks on a 7 in figure printed 3.4 in wide are 3.4 pt
    fig2, _ = _good(_fig(7.0, 4.0))
    assert any("pt (< 6 pt)" in p for p in check(fig2, width=3.4))
    assert check(fig2) == []


def test_overlapping_text_fails():
    fig, ax = _good(_fig())
    with style():
        ax.text(0.5, 0.5, "a note", transform=ax.transAxes)
        ax.text(0.52, 0.5, "another note", transform=ax.transAxes)
    assert any("overlap" in p for p in check(fig))


def test_crowded_tick_labels_fail():
    fig, ax = _good(_fig(2.5, 2.0))
    with style():
        ax.set_xticks(np.linspace(0, 1, 25))
    assert any("overlap" in p for p in check(fig))


def test_overlapping_legends_fail():
    fig, ax = _good(_fig())
    with style():
        fig.legend(ax.get_lines(), ["theory", "simulation"], loc="outside lower center")
    assert any("two legends overlap" in p for p in check(fig))


def test_text_outside_the_figure_fails():
    fig, ax = _good(_fig())
    with style():
        ax.text(1.3, 0.5, "far right", transform=ax.transAxes)
    assert any("outside the figure" in p for p in check(fig))


def test_legend_over_data_fails():
    fig, _ = _good(_fig(), legend_inside=True)
    assert any("legend covers" in p for p in check(fig))


def test_legend_over_an_image_fails():
    fig = _fig()
    with style():
        ax = fig.subplots()
        mesh = ax.pcolormesh(np.arange(5), np.arange(5), np.arange(16.0).reshape(4, 4))
        ax.plot([], [], label="theory")
        ax.legend(loc="center")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        fig.colorbar(mesh, ax=ax, label="value")
    assert any("covers the image" in p for p in check(fig))


def test_missing_axis_label_fails():
    fig, _ = _good(_fig(), label=False)
    problems = check(fig)
    assert any("x axis" in p and "no label" in p for p in problems)
    assert any("y axis" in p and "no label" in p for p in problems)


def test_unlabelled_colour_bar_fails():
    fig = _fig()
    with style():
        ax = fig.subplots()
        mesh = ax.pcolormesh(np.arange(5), np.arange(5), np.arange(16.0).reshape(4, 4))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        fig.colorbar(mesh, ax=ax)
    assert any("colour bar" in p for p in check(fig))


def test_missing_theory_key_fails():
    fig, _ = _good(_fig(), key=False)
    assert any("names the theory" in p for p in check(fig, shows=("theory", "simulation")))
    assert any("why there is no theory" in p for p in check(fig, shows=("simulation",)))


def test_too_tall_fails_and_layout_heights_stay_within_a_page():
    fig, _ = _good(_fig(3.4, 9.6))
    assert any("exceeds a page" in p for p in check(fig))
    lay = Layout(panels=3, page_cols=3, aspect=0.8)
    assert lay.size(3.4)[1] < 9.0 and lay.cols(3.4) == 1 and lay.cols(7.0) == 3


def test_grid_follows_the_width_and_draw_sizes_from_the_layout():
    lay = Layout(panels=3, page_cols=3, aspect=0.7, legend_rows=1)

    def plot(tab, fig):
        axes = grid(fig, lay, sharey=True)
        assert len(axes) == 3
        for ax in axes:
            ax.plot(tab["x"], tab["x"], label="theory")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        shared_legend(fig, axes[0].get_lines())

    spec = Figure("toy", "toy", "toy", lambda q, s: table(x=np.arange(3.0)), plot, layout=lay)
    col = draw(spec, spec.compute(True, 0), "column")
    page = draw(spec, spec.compute(True, 0), "page")
    assert col.get_size_inches()[0] == 3.4 and page.get_size_inches()[0] == 7.0
    assert col.get_size_inches()[1] > page.get_size_inches()[1]  # stacked at column width
    xs = {round(ax.get_position().x0, 3) for ax in col.get_axes()}
    assert len(xs) == 1  # one column
    assert check(col) == [] and check(page) == []


@pytest.mark.parametrize("bad", ["narrow", "0", "13", "nan", ""])
def test_width_refused_with_one_line(bad):
    with pytest.raises(ValueError, match="'--width' parameter must be"):
        parse_width(bad)


# ------------------------------------------------------- the committed renders' full data, at both widths
def _committed_table(fig_id: str) -> dict:
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "figures" / f"{fig_id}.csv"
    with open(path) as fh:
        rows = list(csv.reader(fh))
    cols = {}
    for j, name in enumerate(rows[0]):
        vals = [r[j] for r in rows[1:]]
        try:
            cols[name] = np.array([float(v) if v != "" else np.nan for v in vals])
        except ValueError:
            cols[name] = np.array(vals)
    return cols


@pytest.mark.slow
@pytest.mark.parametrize("width", ["column", "page"])
@pytest.mark.parametrize("fig_id", sorted(REG))
def test_committed_full_figures_are_legible(fig_id, width):
    # the full configurations (docs/figures/*.csv, what `collapse figures` draws), not only the quick ones
    spec = REG[fig_id]
    tab = _committed_table(fig_id)
    fig = draw(spec, tab, width)
    assert fig.get_size_inches()[0] == pytest.approx(parse_width(width))
    assert check(fig, shows=spec.shown(tab)) == []
