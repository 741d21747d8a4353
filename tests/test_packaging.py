"""The installed package: one top-level import name, the CLI entry points, package data, README examples.

- ``python -m model_collapse`` is the ``collapse`` command; from outside the checkout ``import theory``
  fails (only ``model_collapse`` is installed) and the published runs load from package data.
- Every ```python block of README.md runs, as written, in a fresh interpreter whose working directory is
  outside the repository.
- (slow) The wheel holds exactly one top-level package, ``model_collapse``, with the published runs inside,
  and the MIT LICENSE file; its metadata carries the SPDX licence expression, classifiers, keywords and the
  papers' arXiv pages as project URLs.
- The citation files agree with the package: CITATION.cff's version is the package version, and the README's
  Citing section (also the site's page) names the four papers by arXiv identifier, with BibTeX entries.
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


PAPERS = {"2410.04840": "Strong Model Collapse", "2402.07712": "Model Collapse Demystified",
          "2410.16713": "Collapse or Thrive?", "2404.05090": "How Bad is Training on Synthetic Data?"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (path,) = out.glob("model_collapse-*.whl")
    return path


@pytest.mark.slow
def test_wheel_carries_the_license_and_citable_metadata(wheel):
    z = zipfile.ZipFile(wheel)
    licenses = [n for n in z.namelist() if n.endswith("LICENSE") and ".dist-info/" in n]
    assert licenses, z.namelist()
    assert z.read(licenses[0]).decode() == (ROOT / "LICENSE").read_text(encoding="utf-8")
    (meta_name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
    meta = z.read(meta_name).decode()
    assert "License-Expression: MIT" in meta
    assert "Classifier: Intended Audience :: Science/Research" in meta
    assert "Keywords:" in meta and "model collapse" in meta
    for arxiv in PAPERS:
        assert f"https://arxiv.org/abs/{arxiv}" in meta, arxiv


def test_citation_files_agree_with_the_package():
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(version)}$", cff, flags=re.M), "CITATION.cff version"
    citing = README.split("<!-- citing-start -->")[1].split("<!-- citing-end -->")[0]
    for arxiv, title in PAPERS.items():
        assert f"arXiv:{arxiv}" in citing and title in citing, arxiv
        assert f"eprint        = {{{arxiv}}}" in citing, arxiv
        assert arxiv in cff, arxiv
    assert re.search(rf"version = \{{{re.escape(version)}\}}", citing), "BibTeX version of the package"
    assert "## Changelog" not in README and (ROOT / "CHANGELOG.md").exists()
    assert f"## {version}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_wheel_has_one_top_level_package_with_the_published_runs(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"model_collapse"}
    assert "model_collapse/data/cot_gaussian_d1_runs_summary.csv" in names
    assert "model_collapse/data/README.md" in names
