"""Architecture: the package's modules form layers without import cycles, and no module is too long.

Read from the source files with the standard library only (ast, pathlib): nothing is imported. The folders
collapse/, theory/, montecarlo/ and figures/ are the packages model_collapse, model_collapse.theory,
model_collapse.montecarlo and model_collapse.figures (pyproject.toml, package-dir).

Layers, from the bottom:

- core: the modules of collapse/ that are not the shell (validation, numerics, arrays, data_spectra, ...);
  they import nothing above them, not even lazily inside a function;
- theory/ (closed forms) on core; montecarlo/ (simulators) on core and theory;
- the shell: the command line (cli, cli_*, _args, __main__), the sweep, the family registry and the
  figures. Nothing below imports it.

Every import statement counts, at module level and inside functions: a function-level import postpones a
dependency, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {  # folder -> import name of the package it holds
    "collapse": "model_collapse",
    "theory": "model_collapse.theory",
    "montecarlo": "model_collapse.montecarlo",
    "figures": "model_collapse.figures",
}
TOP = "model_collapse"
MAX_LINES = 600
SHELL = ("model_collapse.cli", "model_collapse._args", "model_collapse.__main__", "model_collapse.sweep",
         "model_collapse.families", "model_collapse.figures")


def source_files() -> dict[str, Path]:
    """Module name -> source file, for every .py file of the package (a package's __init__ is the package)."""
    out: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = path
    return out


MODULES = source_files()


def _packages() -> set[str]:
    return {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _resolve(name: str) -> str | None:
    """The module an imported dotted name loads: itself if a module of the package, else its longest prefix
    that is one (``from model_collapse.x import f`` loads model_collapse.x); None outside the package."""
    if name != TOP and not name.startswith(TOP + "."):
        return None
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in MODULES else None


def _run_at_import(tree: ast.Module) -> set[int]:
    """ids of the import statements executed when the module is imported (not inside a function body)."""
    out: set[int] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.add(id(node))
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                todo.append(child)
    return out


def imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import statement of ``module`` into the package."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    top_level = _run_at_import(tree)
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package of this module, level − 1 steps up
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from p import a, b`: the submodules a, b where they are modules, else the module p itself
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                out.append((resolved, node.lineno, id(node) in top_level))
    return out


GRAPH = {module: imports(module) for module in MODULES}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), those with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the first module of a strongly connected component (breadth-first: a shortest one)."""
    inside = set(component)
    start = component[0]
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & inside):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if child not in parent:
                parent[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a component has one


def test_no_import_cycle():
    assert {"model_collapse", "model_collapse.validation", "model_collapse.theory.ridge",
            "model_collapse.montecarlo.trials", "model_collapse.figures"} <= set(MODULES)
    assert ("model_collapse.validation", True) in {(t, top) for t, _, top in GRAPH["model_collapse.theory.ridge"]}
    graph = {module: {target for target, _, _ in edges} for module, edges in GRAPH.items()}
    cycles = [a_cycle(graph, component) for component in strongly_connected(graph)]
    shown = []
    for cycle in cycles:
        steps = []
        for a, b in zip(cycle, cycle[1:], strict=False):
            line = min(ln for target, ln, _ in GRAPH[a] if target == b)
            steps.append(f"{a} -> {b} ({_where(a, line)})")
        shown.append(f"{cycle}:\n    " + "\n    ".join(steps))
    assert not cycles, f"{len(cycles)} import cycle(s) among the package's modules:\n  " + "\n  ".join(shown)


def is_shell(module: str) -> bool:
    return any(module == s or module.startswith(s + ".") for s in SHELL) or module.startswith("model_collapse.cli_")


def layer(module: str) -> str:
    if is_shell(module):
        return "shell"
    for name in ("theory", "montecarlo"):
        package = f"{TOP}.{name}"
        if module == package or module.startswith(package + "."):
            return name
    return "core"


#: What each layer may not import (at any level, module or function).
FORBIDDEN = {
    "core": {"shell", "theory", "montecarlo"},
    "theory": {"shell", "montecarlo"},
    "montecarlo": {"shell"},
}


def test_layers():
    assert {layer(m) for m in (TOP, "model_collapse.validation", "model_collapse.data_spectra")} == {"core"}
    assert layer("model_collapse.cli") == layer("model_collapse.cli_kde") == layer("model_collapse._args") == "shell"
    assert layer("model_collapse.sweep.spec") == layer("model_collapse.families") == "shell"
    assert layer("model_collapse.figures._base") == layer("model_collapse.__main__") == "shell"
    assert layer("model_collapse.theory.ridge") == "theory"
    assert layer("model_collapse.montecarlo.trials") == "montecarlo"
    bad = []
    for module, edges in sorted(GRAPH.items()):
        own = layer(module)
        for target, line, top_level in edges:
            if layer(target) in FORBIDDEN.get(own, ()):
                where = "module level" if top_level else "inside a function"
                bad.append(f"{own} {module} imports {layer(target)} {target} ({_where(module, line)}, {where})")
    head = f"{len(bad)} import(s) across the layers (core < theory < montecarlo < shell):"
    assert not bad, "\n  ".join([head, *bad])


def test_no_module_over_600_lines():
    long = {}
    for path in sorted(set(MODULES.values())):
        with path.open(encoding="utf-8") as fh:
            count = sum(1 for _ in fh)
        if count > MAX_LINES:
            long[str(path.relative_to(ROOT))] = count
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"
