"""`collapse figures --format/--width`: the files, their printed size, the refusals (one line, exit 2)."""

from __future__ import annotations

import json
import re

import pytest
from model_collapse.cli import main


def _pdf_inches(path) -> tuple[float, float]:
    box = re.search(rb"/MediaBox \[ *0 0 ([0-9.]+) ([0-9.]+) *\]", path.read_bytes())
    assert box is not None
    return float(box.group(1)) / 72.0, float(box.group(2)) / 72.0


@pytest.mark.parametrize(("width", "inches"), [("column", 3.4), ("page", 7.0), ("4.5", 4.5)])
def test_width_sets_the_printed_size(width, inches, tmp_path, capsys):
    assert main(["figures", "--only", "strong_collapse", "--quick", "--format", "pdf,svg", "--width", width,
                 "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"strong_collapse.pdf", "strong_collapse.svg", "strong_collapse.csv", "strong_collapse.json"}
    w, h = _pdf_inches(tmp_path / "strong_collapse.pdf")
    assert w == pytest.approx(inches, abs=1e-3) and 0.3 * inches < h <= 9.0
    svg = (tmp_path / "strong_collapse.svg").read_text()
    assert f'width="{inches * 72:g}pt"' in svg
    info = json.loads((tmp_path / "strong_collapse.json").read_text())
    assert info["width_in"] == pytest.approx(inches) and info["formats"] == ["pdf", "svg"]
    assert info["legibility_problems"] == []
    assert "legibility" not in capsys.readouterr().err


def test_default_is_pdf_and_png_at_page_width(tmp_path, capsys):
    assert main(["figures", "--only", "strong_collapse,smc_mixing", "--quick", "--out", str(tmp_path)]) == 0
    assert {p.suffix for p in tmp_path.iterdir()} == {".pdf", ".png", ".csv", ".json"}
    assert len(list(tmp_path.glob("*.pdf"))) == 2
    assert _pdf_inches(tmp_path / "smc_mixing.pdf")[0] == pytest.approx(7.0, abs=1e-3)


@pytest.mark.parametrize(("argv", "flag"), [
    (["--format", "eps"], "--format"), (["--format", ","], "--format"), (["--format", "pdf,jpg"], "--format"),
    (["--width", "narrow"], "--width"), (["--width", "1"], "--width"), (["--width", "nan"], "--width"),
    (["--width", "40"], "--width"), (["--only", "strong_collapse,nope"], "--only"),
])
def test_bad_flags_are_refused_in_one_line(argv, flag, tmp_path, capsys):
    assert main(["figures", "--quick", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"'{flag}'" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())
