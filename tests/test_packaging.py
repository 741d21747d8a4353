"""The installed package: one top-level import name, the CLI entry points, package data, README examples.

- ``python -m model_collapse`` is the ``collapse`` command; from outside the checkout ``import theory``
  fails (only ``model_collapse`` is installed) and the published runs load from package data.
- Every ```python block of README.md runs, as written, in a fresh interpreter whose working directory is
  outside the repository.
- (slow) The wheel holds exactly one top-level package, ``model_collapse``, with the published runs inside.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs_outside_the_checkout(index, tmp_path):
    res = _run(BLOCKS[index], tmp_path)
    assert res.returncode == 0, f"README python block {index} failed:\n{BLOCKS[index]}\n--- stderr ---\n{res.stderr}"


def test_only_model_collapse_is_importable_outside_the_checkout(tmp_path):
    for name in ("theory", "montecarlo", "figures", "collapse"):
        res = _run(f"import {name}", tmp_path)
        assert res.returncode != 0 and "ModuleNotFoundError" in res.stderr, name
    res = _run("import model_collapse, model_collapse.theory, model_collapse.montecarlo, model_collapse.figures\n"
               "from model_collapse.data import cot_gaussian_runs\n"
               "print(len(cot_gaussian_runs()['n']))", tmp_path)
    assert res.returncode == 0 and int(res.stdout) == 800, res.stderr


def test_python_m_model_collapse_is_the_collapse_command(tmp_path):
    args = ["predict", "linreg", "--workflow", "accumulate", "--n", "20", "--d", "4", "--t", "3", "--sigma", "1",
            "--json"]
    a = subprocess.run([sys.executable, "-m", "model_collapse", *args], cwd=tmp_path, capture_output=True, text=True)
    from model_collapse.cli import run

    assert a.returncode == 0 and a.stdout == run(args).stdout


@pytest.mark.slow
def test_wheel_has_one_top_level_package_with_the_published_runs(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("model_collapse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"model_collapse"}
    assert "model_collapse/data/cot_gaussian_d1_runs_summary.csv" in names
    assert "model_collapse/data/README.md" in names
