"""Sphinx configuration of the model-collapse documentation site (built offline).

Build: ``python3 -m pip install -e ".[docs]" && python3 -m sphinx -W --keep-going -b html docs docs/_build/html``.

Stack: Sphinx + pydata-sphinx-theme; MyST (myst-nb) for the Markdown pages and the executed tutorials
(notebooks run at every build, in a temporary folder, an error fails the build); autodoc + napoleon for the API
reference (the docstrings are reStructuredText prose with plain-text formulas; their few "Parameters" sections
read ``name : description``, which numpydoc and napoleon would misread as ``name : type``, so
``docs/_ext/collapse_docs.py`` renders that layout itself); MathJax 3 served from the site itself
(sphinx-mathjax-offline: no CDN, no network). The generated pages (family parameter tables, CLI reference,
gallery, API) come from ``docs/_ext/collapse_docs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from model_collapse import __version__  # noqa: E402

project = "model-collapse"
author = "the model-collapse authors"
copyright = "2024–2026, the model-collapse authors"
release = __version__
version = __version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx-mathjax-offline",
    "collapse_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
smartquotes = False  # flags such as --spectrum stay two hyphens (not an en dash) in generated tables
exclude_patterns = ["_build", "**.ipynb_checkpoints", "figures/*.md", "tutorial-sweep", "jupyter_execute"]
html_static_path = ["_static"]

# --- MyST -----------------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 4
myst_url_schemes = {"http": None, "https": None, "mailto": None, "project": None}
myst_dmath_double_inline = True

# --- notebooks: executed at every build --------------------------------------------------------------------------
nb_execution_mode = "force"
nb_execution_in_temp = True
nb_execution_raise_on_error = True
nb_execution_timeout = 180
nb_execution_show_tb = True
nb_merge_streams = True

# --- API ------------------------------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

# --- warnings: everything is an error under -W; a broken internal link is a warning -----------------------------
nitpicky = False  # the docstrings name modules by short paths (theory.ridge); those are prose, not links
# The hand-written pages choose their heading levels freely (docs/kde.md starts at H2); that is not a defect of
# the site, so only this one MyST check is silenced. Broken links, missing images, bad cross-references,
# docstring markup errors and notebook errors all stay errors.
suppress_warnings = ["myst.header"]

# --- HTML -----------------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"model-collapse {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_css_files = ["collapse.css"]
html_favicon = "_static/favicon.svg"  # also spares the browser a request for /favicon.ico (a 404)
html_last_updated_fmt = None
