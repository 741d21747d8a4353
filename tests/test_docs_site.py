"""The documentation site's generators (docs/_ext/collapse_docs.py), without building the site.

- The gallery lists every registered figure and a registered figure without its committed PNG is a build
  warning (an error under ``sphinx-build -W``), not a silent gap; a missing PDF is tolerated.
- Every registry entry gets a parameter table that names each declared parameter and its flag.
- The docstring renderer turns the project's ``name : description`` Parameters layout into a definition list
  (not napoleon's ``name : type``) and gives reST the blank lines it needs; every docstring then parses
  without a docutils warning (roles aside, which Sphinx resolves).
"""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
collapse_docs = importlib.import_module("collapse_docs")


def test_gallery_has_every_figure_and_warns_on_a_missing_png(tmp_path, monkeypatch):
    from model_collapse.figures import registry

    ids = list(registry())
    figdir = tmp_path / "figures"
    figdir.mkdir()
    for fid in ids[1:]:
        (figdir / f"{fid}.png").write_bytes(b"png")
    (figdir / f"{ids[1]}.pdf").write_bytes(b"pdf")
    monkeypatch.setattr(collapse_docs, "DOCS", tmp_path)
    monkeypatch.setattr(collapse_docs, "GEN", tmp_path / "generated")
    warned = []
    monkeypatch.setattr(collapse_docs.LOG, "warning", lambda msg, *a: warned.append(msg % a))
    collapse_docs._gallery_page()
    text = (tmp_path / "generated" / "gallery.md").read_text(encoding="utf-8")
    for fid in ids:
        assert f"## `{fid}`" in text, fid
    assert f"/figures/{ids[1]}.pdf" in text and f"/figures/{ids[2]}.pdf" not in text
    assert len(warned) >= 1 and ids[0] in warned[0] and "no committed render" in warned[0]
    assert f"/figures/{ids[0]}.png" not in text


def test_every_registered_figure_has_a_committed_render():
    from model_collapse.figures import registry

    missing = [fid for fid in registry() if not (ROOT / "docs" / "figures" / f"{fid}.png").exists()]
    assert not missing, missing


def test_each_family_table_names_every_declared_parameter():
    from model_collapse import families

    for fam in families.entries():
        text = collapse_docs.family_section(fam)
        for p in fam.params:
            assert f"`{p.flag}`" in text and f"`{p.name}`" in text, (fam.name, p.name)


def test_docstring_layout_renders_as_restructuredtext():
    from docutils.core import publish_doctree

    lines = ["Intro with |x| and ``a|b``.", "", "Parameters", "----------", "n, m : sizes", "    more",
             "eigenvalues : the spectrum", "", "The setting plus", "- item", "  continued", "back", "", "Formula:",
             "", "    E = a", "      + b", "", "End."]
    out = collapse_docs.render_docstring(lines)
    assert ".. rubric:: Parameters" in out and "``n``, ``m``" in out and "    sizes" in out
    assert "Formula::" in out and r"\|x\|" in out[0] and "``a|b``" in out[0]
    err = io.StringIO()
    publish_doctree("\n".join(out), settings_overrides={"warning_stream": err, "report_level": 2})
    assert err.getvalue() == ""
    err = io.StringIO()
    publish_doctree("\n".join(lines), settings_overrides={"warning_stream": err, "report_level": 2})
    assert err.getvalue() != ""  # the raw layout is not valid reST: the renderer is needed
