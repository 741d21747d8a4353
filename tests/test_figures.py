"""Figures: test the data, not the pixels (quick configs), plus one render smoke test per figure."""

import json
import re

import numpy as np
import pytest
from _check import assert_agrees
from model_collapse.figures import registry, render
from model_collapse.figures._base import rows
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

REG = registry()


def test_registry_lists_the_strong_collapse_figure():
    assert "strong_collapse" in REG


@pytest.fixture(scope="module")
def strong_collapse_table():
    return REG["strong_collapse"].compute(True, 0)


def test_strong_collapse_columns_and_simulation_agreement(strong_collapse_table):
    tab = strong_collapse_table
    assert set(tab) == {"kind", "c2", "p2", "n", "value", "se"}
    sim = rows(tab, kind="simulation")
    assert len(sim["n"]) >= 10
    w = eigenvalues("isotropic", 100)
    for c2, p2, n, v, se in zip(sim["c2"], sim["p2"], sim["n"], sim["value"], sim["se"], strict=True):
        theory = float(th.predict(n, p2, 0.0, w, c2=c2, sigma=1.0).total)
        # finite-size allowance as in tests/test_ridge_mixture_mc.py: 2(1/|n−d| + 1/d)
        assert_agrees(theory, v, se, finite_rtol=2 * (1 / abs(n - 100) + 1 / 100), label=f"c2={c2} p2={p2} n={n}")


def test_strong_collapse_floors_are_p2_squared_c2(strong_collapse_table):
    f = rows(strong_collapse_table, kind="floor")
    np.testing.assert_allclose(f["value"], f["p2"] ** 2 * f["c2"], rtol=1e-14)
    # every theory curve stays above its floor and ends, at n = 1e10 ≫ d, above it by the OLS variance σ²d/(n − d)
    # plus ζ's finite-n excess c²p₂(1 − p₂)d/(n − d) (leading order in d/n; the bias is 0 for n > d)
    for c2, p2, floor in zip(f["c2"], f["p2"], f["value"], strict=True):
        t = rows(strong_collapse_table, kind="theory", c2=c2, p2=p2)
        assert np.all(t["value"] >= floor)
        n_last = t["n"][-1]
        excess = (1 + c2 * p2 * (1 - p2)) * 100 / (n_last - 100)
        assert t["value"][-1] - floor == pytest.approx(excess, rel=1e-3), (c2, p2)


# cot_kde's quick compute takes ~30 s (the finite-n KDE theory at every point): rendered in the slow run
@pytest.mark.parametrize("fig_id", [pytest.param(f, marks=pytest.mark.slow) if f == "cot_kde" else f
                                    for f in sorted(REG)])
def test_render_writes_pdf_png_csv_json(fig_id, tmp_path):
    # the legibility check itself runs in tests/test_figure_legibility.py (here: the files only)
    paths = render(REG[fig_id], tmp_path, quick=True, seed=0, formats=("pdf", "png"), width="column", check=False)
    pdf, png, csv_path, meta = paths
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    import csv

    with open(csv_path) as fh:
        lines = list(csv.reader(fh))
    header, data = lines[0], lines[1:]
    assert len(header) >= 2 and len(set(header)) == len(header)
    assert len(data) > 1 and all(len(r) == len(header) for r in data)
    info = json.loads(meta.read_text())
    assert info["id"] == fig_id and info["quick"] is True and "numpy" in info["versions"]
    assert info["width_in"] == 3.4 and info["formats"] == ["pdf", "png"]
    assert info["legibility_problems"] == []  # not checked here (check=False)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_log_axis_labels_follow_the_span():
    from matplotlib.figure import Figure as MplFigure
    from model_collapse.figures._base import log_axis

    fig = MplFigure()
    narrow, wide = fig.subplots(1, 2)
    narrow.set_ylim(0.8, 1.05)
    log_axis(narrow)
    wide.set_ylim(1e-12, 2.0)
    log_axis(wide)
    fig.canvas.draw()
    lo, hi = narrow.get_ylim()
    shown = [t.get_text() for t in narrow.get_yticklabels() if lo <= t.get_position()[1] <= hi]
    assert shown and all(re.fullmatch(r"[0-9.]+", s) for s in shown)
    assert all(s.startswith("$10^{") for s in (t.get_text() for t in wide.get_yticklabels()) if s)
