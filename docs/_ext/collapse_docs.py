"""Sphinx extension: the site's generated pages, each from the project's one declaration of the thing.

- **Family parameter tables** from the registry (:mod:`model_collapse.families`: each entry's ``Param``
  table, its output fields, methods, figures and stated tolerance). An entry whose narrative page exists
  (``NARRATIVE`` below) gets its table appended to that page when Sphinx reads it (the page's file is not
  changed); any other entry (including one added later) gets a generated page ``generated/families/CLI.md``.
- **CLI reference** from the argparse parser (:func:`model_collapse.cli.build_parser`).
- **Gallery** from the figure registry (:func:`model_collapse.figures.registry`): id, title, caption, the
  committed render ``docs/figures/ID.png`` (a build warning, hence an error under ``-W``, when it is missing),
  the PDF and CSV where present, and the figure module's source.
- **API reference**: one page per module of ``model_collapse`` (autodoc of the docstrings).

Everything generated goes to ``docs/generated/`` (git-ignored), rewritten on every build.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import shutil
from pathlib import Path

from sphinx.util import logging

LOG = logging.getLogger(__name__)
DOCS = Path(__file__).resolve().parents[1]
GEN = DOCS / "generated"

#: registry name -> the hand-written page (docs/NAME.md) that explains the family; its table is appended there.
NARRATIVE = {
    "ridge_mixture": "ridge_mixture",
    "mixing": "mixing",
    "random_projections": "random_projections",
    "gaussian_workflow": "workflows",
    "linreg_workflow": "workflows",
    "iterative_retraining": "retrain",
    "kde_workflow": "kde",
    "language_model": "lm",
}

#: the API reference's sections: (title, package, what it holds)
API_SECTIONS = (
    ("Closed forms", "model_collapse.theory", "closed forms only (no sampling)"),
    ("Simulators", "model_collapse.montecarlo", "Monte-Carlo twins, one per theory module, same keywords and fields"),
    ("Figures", "model_collapse.figures", "one module per regenerated figure"),
    ("Registry, command line and helpers", "model_collapse", "the family registry, the CLI, validation, sweeps"),
)


def _esc(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("*", "\\*").replace("$", "\\$")


def _default(p) -> str:
    from model_collapse.params import REQUIRED

    if p.default is REQUIRED:
        return "required" if p.group is None else f"one of group `{p.group}`"
    if p.default is None:
        return "—"
    text = getattr(p.default, "text", None) or p.default
    return f"`{text}`"


def _constraint(fam, p, command: str) -> str:
    from model_collapse import families
    from model_collapse.params import describe

    c = families.constraint_of(fam, p, command)
    return _esc(describe(c)) if c is not None else "checked by the function"


def _param_table(fam, params, command: str) -> list[str]:
    rows = ["| parameter (Python) | flag (CLI) | default | meaning; *allowed values* |", "| --- | --- | --- | --- |"]
    for p in params:
        keys = ", ".join(f"`{k}`" for k in p.all_keywords())
        rows.append(f"| {keys} | `{p.flag}` | {_default(p)} | {_esc(p.help)}; *{_constraint(fam, p, command)}* |")
    return rows


def family_section(fam, level: str = "##") -> str:
    """The generated reference of one registry entry (Markdown)."""
    from model_collapse import families

    out = [f"{level} `{fam.cli}`: {_esc(fam.help)}", ""]
    out.append(f"Registry name `{fam.name}`; theory `{fam.predict.__module__}.{fam.predict.__name__}`"
               + (f", simulator `{fam.simulate.__module__}.{fam.simulate.__name__}`" if fam.simulate else
                  " (theory only)") + f". Python: `families.predict(\"{fam.cli}\", ...)`; command line: "
               f"`collapse predict {fam.cli} ...`" + (f", `collapse simulate {fam.cli} ...`" if fam.simulate else "")
               + ".")
    out.append("")
    out += [f"{level}# Setting (shared by predict and simulate)", "", *_param_table(fam, fam.params, "predict"), ""]
    if fam.predict_params:
        out += [f"{level}# Options of predict only", "", *_param_table(fam, fam.predict_params, "predict"), ""]
    if fam.simulate is not None:
        extra = [p for p in families.command_params(fam, "simulate") if p not in fam.params]
        out += [f"{level}# Options of simulate only", "", *_param_table(fam, extra, "simulate"), ""]
    if fam.fields or fam.extra_keys:
        out += [f"{level}# Output", ""]
        if fam.fields:
            out.append("Fields (theory: numbers or arrays; simulation: mean ± standard error): "
                       + ", ".join(f"`{f}`" for f in fam.fields) + ".")
        if fam.extra_keys:
            out.append("Extra keys of predict: " + ", ".join(f"`{k}`" for k in fam.extra_keys) + ".")
        out.append("")
    if fam.contract and fam.simulate is not None:
        out += [f"{level}# Stated tolerance (the contract suite)", "",
                f"At the reference setting ({_esc(', '.join(f'{k}={_short(v)}' for k, v in fam.reference.items()))}"
                f"; {fam.n_trials} trials): |simulation − theory| ≤ {fam.z:g}·SE + {fam.allowance:g}·|theory|"
                + (" (an exact law: no allowance)." if fam.allowance == 0 else " (the stated finite-size allowance).")
                + (f" Perturbed formula that must fail: {_esc(fam.perturbed_note)}." if fam.perturbed_note else ""),
                ""]
    if fam.figures:
        out += [f"{level}# Figures", "", ", ".join(f"{{ref}}`{f} <fig-{f.replace('_', '-')}>`"
                                                  for f in fam.figures), ""]
    return "\n".join(out)


def _short(v) -> str:
    import numpy as np

    if isinstance(v, np.ndarray):
        return f"array of {v.size}"
    return str(v)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # unchanged files keep Sphinx's cache
        path.write_text(text, encoding="utf-8")


# --- families -------------------------------------------------------------------------------------------------

def _families_pages() -> list[str]:
    from model_collapse import families

    rows = ["# Families", "",
            "Every entry of the registry `model_collapse.families` (one `Param` declaration each, in "
            "`collapse/families/NAME.py`). The parameter tables below each page are generated from that "
            "declaration at build time: they list exactly what `--help`, sweeps and `families.predict` accept.",
            "", "| CLI word | registry name | what | page |", "| --- | --- | --- | --- |"]
    pages = []
    for fam in families.entries():
        page = NARRATIVE.get(fam.name)
        if page is None:
            page = f"generated/families/{fam.cli}"
            body = family_section(fam, level="#").split("\n", 2)[2]  # without its own title line
            _write(DOCS / f"{page}.md", f"# `{fam.cli}`\n\n{fam.help}\n\n{body}\n")
            pages.append(page)
        elif page not in pages:
            pages.append(page)
        rows.append(f"| `{fam.cli}` | `{fam.name}` | {_esc(fam.help)} | [{page.split('/')[-1]}](project:/{page}.md) |")
    extra = ["covariate_shift", "accumulate_subsample", "real_data", "sweep"]
    rows += ["", "Further pages: " + ", ".join(f"[{p}](project:/{p}.md)" for p in extra) + ".", "",
             "```{toctree}", ":maxdepth: 1", ":hidden:", "", *[f"/{p}" for p in pages + extra], "```", ""]
    _write(GEN / "families.md", "\n".join(rows))
    return pages


def _append_tables(app, docname: str, source: list[str]) -> None:
    from model_collapse import families

    names = [fam for fam in families.entries() if NARRATIVE.get(fam.name) == docname]
    if names:
        app.env.note_dependency(__file__)  # re-read the page when this generator changes
        text = ["", "", "## Parameters (generated from the registry)", "",
                "These tables are generated at build time from the family's one `Param` declaration "
                "(`collapse/families/`); they are what `--help`, sweeps and `families.predict` accept.", ""]
        for fam in names:
            text.append(family_section(fam, level="###"))
        source[0] += "\n".join(text) + "\n"


# --- CLI ------------------------------------------------------------------------------------------------------

def _cli_actions(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | default | meaning |", "| --- | --- | --- |"]
    n = 0
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction | argparse._HelpAction):
            continue
        name = ", ".join(act.option_strings) or act.dest
        if act.metavar and act.option_strings:
            name += f" {act.metavar}"
        default = act.default
        shown = "—" if default in (None, False, argparse.SUPPRESS) or act.required else f"`{default}`"
        if act.required:
            shown = "required"
        rows.append(f"| `{_esc(name)}` | {shown} | {_esc((act.help or '').replace('%%', '%'))} |")
        n += 1
    return rows if n else []


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for act in parser._actions:
        if isinstance(act, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in act._choices_actions}
            for word, sub in act.choices.items():  # a subcommand's page text: its description, else its help
                sub.description = sub.description or helps.get(word)
            return dict(act.choices)
    return {}


def _cli_page() -> None:
    from model_collapse.cli import build_parser

    top = build_parser(None)
    out = ["# Command-line reference", "",
           "Generated at build time from the argparse parser (`model_collapse.cli.build_parser`), which is "
           "built from the registry: every flag below is a family's `Param` declaration. "
           "`python3 -m model_collapse` is the same command as `collapse`.", "",
           "```text", top.format_usage().strip(), "```", "", *_cli_actions(top), ""]
    for cmd, sub in _subparsers(top).items():
        out += [f"## `collapse {cmd}`", "", _esc(sub.description or ""), ""]
        words = _subparsers(sub)
        if not words:
            out += ["```text", sub.format_usage().strip(), "```", "", *_cli_actions(sub), ""]
        for word, p in words.items():
            out += [f"### `collapse {cmd} {word}`", "", _esc(p.description or ""), "",
                    "```text", p.format_usage().strip(), "```", "", *_cli_actions(p), ""]
    _write(GEN / "cli.md", "\n".join(out))


# --- gallery --------------------------------------------------------------------------------------------------

def _gallery_page() -> None:
    from model_collapse.figures import registry

    figdir = DOCS / "figures"
    out = ["# Gallery", "",
           "Every registered figure (`model_collapse.figures.registry()`, in the order `collapse figures` draws "
           "them), with the committed render, the plotted numbers as CSV and the module that makes it. "
           "Regenerate them all with `collapse figures --out DIR` (or one with `--only ID`).", ""]
    for fid, fig in registry().items():
        png = figdir / f"{fid}.png"
        out += [f"({'fig-' + fid.replace('_', '-')})=", f"## `{fid}`", "", f"**{_esc(fig.title)}**", ""]
        if png.exists():
            out += [f"```{{figure}} /figures/{fid}.png", f":alt: {_esc(fig.title)}", f":name: png-{fid}", "",
                    fig.caption.strip(), "```", ""]
        else:
            LOG.warning("gallery: registered figure %r has no committed render docs/figures/%s.png", fid, fid)
            out += [fig.caption.strip(), ""]
        files = [f"{{download}}`{fid}.{ext} </figures/{fid}.{ext}>`" for ext in ("pdf", "csv", "json")
                 if (figdir / f"{fid}.{ext}").exists()]
        if files:
            out += ["Files: " + ", ".join(files) + ".", ""]
        src = DOCS.parent / "figures" / f"{fid}.py"  # the checkout's module (what the package installs)
        if not src.exists():
            LOG.warning("gallery: registered figure %r has no module figures/%s.py in the checkout", fid, fid)
        rel = Path("..") / ".." / "figures" / src.name  # from docs/generated/
        out += [f"```{{literalinclude}} {rel.as_posix()}", ":language: python",
                f":caption: figures/{src.name} (`collapse figures --only {fid}`)", "```", ""]
    text = "\n".join(out)
    _write(GEN / "gallery.md", text)


# --- API ------------------------------------------------------------------------------------------------------

def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    if package == "model_collapse":  # the top package: its own modules and non-theory subpackages
        skip = {"model_collapse.theory", "model_collapse.montecarlo", "model_collapse.figures"}
    else:
        skip = set()
    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + "."):
        if any(info.name == s or info.name.startswith(s + ".") for s in skip):
            continue
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(dict.fromkeys(names))


def _api_pages() -> None:
    out = ["# API reference", "",
           "Generated from the docstrings (autodoc). Every public function states its formula, its conventions "
           "and the paper and equation it implements; a theory function and its simulator twin take the same "
           "keywords and return the same field names.", ""]
    toc = []
    for title, package, what in API_SECTIONS:
        mods = _modules(package)
        out += [f"## {title}", "", f"`{package}`: {what}.", ""]
        for mod in mods:
            page = f"api/{mod}"
            toc.append(page)
            first = (importlib.import_module(mod).__doc__ or "").strip().split("\n")[0]
            out.append(f"- [`{mod}`](project:{page}.rst): {_esc(first)}")
            underline = "=" * (len(mod) + 4)
            _write(GEN / f"{page}.rst", f"``{mod}``\n{underline}\n\n.. automodule:: {mod}\n   :members:\n"
                   "   :show-inheritance:\n")
        out.append("")
    out += ["```{toctree}", ":hidden:", ":maxdepth: 1", "", *toc, "```", ""]
    _write(GEN / "api.md", "\n".join(out))
    keep = {f"{p}.rst" for p in toc}
    for old in (GEN / "api").glob("*.rst"):
        if f"api/{old.name}" not in keep:
            old.unlink()


# --- docstrings -----------------------------------------------------------------------------------------------
#
# The docstrings are reStructuredText prose with plain-text formulas (Σ, κ², ‖·‖) and, in a few functions, a
# "Parameters" section whose entries read ``name[, name] : description`` (a description, not a type). numpydoc
# and napoleon read the text after " : " as a *type*, so they would render every description as a type; this
# hook renders the project's layout instead, with three mechanical reST fixes that need no change to the
# sources: the section becomes a rubric and a definition list, a line that returns to a smaller indent after an
# indented line gets the blank line reST requires, and a "|" in running text (|x|, sup|f''|) is escaped so it is
# not read as a substitution reference.

_ENTRY = re.compile(r"^(\s*)([A-Za-z_][\w, ]*?) : (.*)$")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _escape_pipes(line: str) -> str:
    if line.lstrip().startswith("|"):
        return line
    parts = _LITERAL.split(line)
    return "".join(part if i % 2 else part.replace("|", "\\|") for i, part in enumerate(parts))


_ITEM = re.compile(r"^(\s*)([-*•]|\d+\.|\([a-z0-9]+\))\s+")


def render_docstring(lines: list[str]) -> list[str]:
    """The project's docstring layout as valid reStructuredText (see the comment above)."""
    out: list[str] = []
    keep: set[int] = set()  # indices of generated definition lines (left as they are)
    i, section = 0, None
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() == "Parameters" and set(nxt.strip()) == {"-"}:
            section = _indent(line)
            out += [" " * section + ".. rubric:: Parameters", ""]
            i += 2
            continue
        if section is not None:
            m = _ENTRY.match(line)
            if not line.strip():
                section = None
            elif m and _indent(line) == section:
                ind, names, desc = m.groups()
                keep.update((len(out), len(out) + 1))
                out += [ind + ", ".join(f"``{n.strip()}``" for n in names.split(",")), ind + "    " + desc]
                i += 1
                continue
            else:
                keep.add(len(out))
        out.append(line)
        i += 1
    # an indented block after a paragraph that ends with ":" is a formula display: a literal block (alignment kept)
    literal_from: int | None = None
    for k, line in enumerate(out):
        if literal_from is not None:
            if line.strip() and _indent(line) <= literal_from:
                literal_from = None
            else:
                keep.add(k)
                continue
        if line.rstrip().endswith(":") and not line.rstrip().endswith("::") and k + 2 < len(out) \
                and not out[k + 1].strip() and out[k + 2].strip() and _indent(out[k + 2]) > _indent(line) \
                and k not in keep:
            out[k] = line.rstrip() + ":"
            literal_from = _indent(line)
    fixed: list[str] = []
    base = 0  # the indent of the first line of the current block (after a blank line)
    item_indent: int | None = None  # the content indent of the list item the block is in
    for k, line in enumerate(out):
        prev = fixed[-1] if fixed else ""
        if k in keep or not line.strip() or not prev.strip() or prev.rstrip().endswith("::"):
            if not prev.strip() and line.strip():
                base = _indent(line)
            m = _ITEM.match(line)
            item_indent = len(m.group(0)) if m else (item_indent if line.strip() == "" or k in keep else None)
            fixed.append(line if k in keep else _escape_pipes(line))
            continue
        ind, m = _indent(line), _ITEM.match(line)
        if m and not _ITEM.match(prev) and ind == _indent(prev) and item_indent is None:
            fixed.append("")  # a list right after a paragraph line: reST needs a blank line
        elif ind > _indent(prev) and not (item_indent is not None and ind == item_indent):
            fixed.append("")  # an indented line inside a paragraph: a block quote of its own
        elif _indent(prev) > ind <= base:
            fixed.append("")  # back at the block's own indent after an indented line
        if fixed[-1] == "":
            base = ind
        item_indent = len(m.group(0)) if m else (item_indent if ind >= (item_indent or 0) and item_indent else None)
        fixed.append(_escape_pipes(line))
    return fixed


def _process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    lines[:] = render_docstring(lines)


def generate(app) -> None:
    if (GEN / "families").exists():
        shutil.rmtree(GEN / "families")
    _families_pages()
    _cli_page()
    _gallery_page()
    _api_pages()


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("source-read", _append_tables)
    app.connect("autodoc-process-docstring", _process_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
