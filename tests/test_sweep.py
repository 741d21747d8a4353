"""`collapse sweep` (issue 14): any registered entry over a grid, tidy Parquet, reproducible and resumable.

- Every registry entry sweeps through its declared parameters alone (the spec keys are ``Param.name``): the
  theory columns are what ``collapse predict WORD --json`` prints at that point, the simulation columns what
  the simulator gives with the point's own seed ``point_seed(seed, *key)``.
- Points evaluated together (``Family.broadcast``) get exactly the numbers of one-by-one calls.
- Equal work gives equal tables: serial, a Dask cluster (``--scheduler``; slow: ``--workers 1`` vs ``2``
  processes and ``dask scheduler``/``dask worker`` subprocesses), resumed after lost chunks, and after a
  SIGKILL of the running command.
- A bad spec is one line naming the spec key (never a flag or a library keyword), exit 2, and nothing is
  written; an occupied ``--out`` is refused.
- The sweep package does not import the command line (no import cycle).
- (slow) The tutorial notebook runs from a temporary folder with nbclient.
"""

from __future__ import annotations

import ast
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from model_collapse import cli, families, sweep
from model_collapse.families import FAMILIES
from model_collapse.montecarlo.trials import point_seed

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = families.entries()


def _number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _reference_spec(fam, mode: str = "both", trials: int = 8) -> tuple[dict, str]:
    """A spec from the entry's CLI reference setting (``Family.cli_reference``), swept over its first integer
    parameter (v, v + 1) and, where it has one, the per-iteration switch (false, true). Returns (spec, the swept
    key). An entry without a simulator is swept in mode predict."""
    flags = fam.cli_reference
    fixed, i = {}, 0
    while i < len(flags):
        key = flags[i][2:].replace("-", "_")
        if i + 1 < len(flags) and not flags[i + 1].startswith("--"):
            fixed[key], i = _number(flags[i + 1]), i + 2
        else:
            fixed[key], i = True, i + 1
    key = next(k for k, v in fixed.items() if isinstance(v, int) and not isinstance(v, bool))
    v = fixed.pop(key)
    grid = {key: [v, v + 1]}
    spec = dict(family=fam.cli, mode=mode if fam.simulate is not None else "predict", trials=trials, seed=3,
                fixed=fixed, grid=grid)
    names = {p.name for p in families.command_params(fam, "predict")}
    for switch in ("per_iteration", "per_generation"):
        if switch in names:
            grid[switch] = [False, True]
    return spec, key


def _argv(params: dict) -> list[str]:
    argv = []
    for k, v in params.items():
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            argv += [flag] if v else []
        else:
            argv += [flag, str(v)]
    return argv


def _close(a, b) -> bool:
    return a == b or (a is None and b is None) or (isinstance(a, float) and isinstance(b, float)
                                                   and np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("fam", ENTRIES, ids=lambda f: f.name)
def test_every_entry_sweeps_through_its_declared_params(fam, tmp_path):
    spec, _ = _reference_spec(fam)
    res = sweep.run_sweep(spec, tmp_path / "out")
    df = res.table()
    loaded = sweep.load_spec(spec)
    simulated = spec["mode"] == "both"
    assert res.points == len(loaded.points) == 2 * (2 if len(spec["grid"]) > 1 else 1)
    assert df["point"].nunique() == res.points and len(df) == res.rows
    for f in fam.fields:
        assert ({f, f"{f}_mean", f"{f}_se", f"{f}_z"} if simulated else {f}) <= set(df.columns), f
    point = loaded.points[-1]  # the last point: per-iteration where the family has it
    theory = json.loads(cli.run(["predict", fam.cli, *_argv(point.params), "--json"]).stdout)
    rows = df[df["point"] == point.id]
    for f in fam.fields:
        want = theory[f] if isinstance(theory[f], list) else [theory[f]]
        got = [None if np.isnan(x) else x for x in rows[f].tolist()]
        assert got == [None if x is None else float(x) for x in want], f
    if not simulated:
        assert not [c for c in df.columns if c.endswith(("_mean", "_se", "_z"))]
        return
    setting = cli.setting_from_args(fam, ["simulate", fam.cli, *_argv(point.params)])
    est = fam.simulate(**setting, n_trials=spec["trials"], seed=point_seed(spec["seed"], *point.key))
    est = est.as_dict() if hasattr(est, "as_dict") else est  # synthetic-budget's simulate returns a dict
    for f in fam.fields:
        mean = est[f]["mean"] if isinstance(est[f]["mean"], list) else [est[f]["mean"]]
        assert rows[f"{f}_mean"].tolist() == mean, f
    if "iteration" in df.columns and len(rows) > 1:
        assert rows["iteration"].tolist() == list(range(1, len(rows) + 1))


def test_a_plain_dict_simulator_gives_mean_and_se_columns(tmp_path):
    # synthetic-budget's simulate returns {"best_n_synthetic": k, FIELD: {"mean", "se"}, "gain": {...}}
    spec = dict(family="synthetic-budget", mode="simulate", trials=4, fixed=dict(d=20, c2=1, lam=0.01,
                                                                                  max_synthetic=200),
                grid=dict(n_real=[30, 60]))
    df = sweep.run_sweep(spec, tmp_path / "out").table()
    assert {"real_only_total_mean", "real_only_total_se", "best_total_mean", "gain_mean", "gain_se",
            "best_n_synthetic_sim"} <= set(df.columns)
    assert df["gain_mean"].dtype == float and len(df) == 2


def test_z_is_mean_minus_theory_over_se(tmp_path):
    spec, _ = _reference_spec(families.family("ridge_mixture"))
    df = sweep.run_sweep(spec, tmp_path / "out").table()
    z = (df["total_mean"] - df["total"]) / df["total_se"]
    assert np.array_equal(z.to_numpy(), df["total_z"].to_numpy())


def _mixed_ridge_spec(chunk: int | None = None) -> dict:
    spec = dict(family="ridge_mixture", mode="predict",
                fixed=dict(d=200, c2=1.0, spectrum="powerlaw:1.2"),
                grid=dict(n=[50, 199, 200, 1000], p2=[0.0, 0.3, 1.0], lam=[0.0, 1e-3, 0.5]),
                zip=[dict(sigma=[0.5, 1.0], sigma2=[0.0, 2.0])])
    if chunk:
        spec["chunk"] = chunk
    return spec


@pytest.mark.filterwarnings("ignore:ridgeless fit")
@pytest.mark.parametrize("fam", [f for f in FAMILIES if f.broadcast], ids=lambda f: f.name)
def test_points_evaluated_together_get_exactly_the_per_point_numbers(fam):
    spec = _mixed_ridge_spec() if fam.name == "ridge_mixture" else _reference_spec(fam, "predict")[0]
    import dataclasses

    loaded = sweep.load_spec(spec)
    f = families.family(loaded.family)
    calls = []
    counted = dataclasses.replace(f, predict=lambda **kw: calls.append(1) or f.predict(**kw))
    values = [p.predict_values for p in loaded.points]
    together = sweep.predict_points(counted, values)
    alone = [sweep.predict_points(f, [v])[0] for v in values]
    assert together == alone  # dict equality: every float identical (inf included)
    assert len(calls) < len(values)  # the grid's points really shared calls
    # the settings cached at validation are the ones families.prepare makes
    assert sweep.predict_points(f, values, [p.predict_setting for p in loaded.points]) == together


def test_the_same_point_has_the_same_seed_in_any_grid(tmp_path):
    base = dict(family="gaussian", mode="simulate", trials=16, seed=5, fixed=dict(workflow="replace", d=2, t=3))
    small = sweep.run_sweep({**base, "grid": {"n": [10, 20]}}, tmp_path / "a").table()
    large = sweep.run_sweep({**base, "grid": {"n": [5, 20, 40, 10]}}, tmp_path / "b").table()
    keep = [c for c in small.columns if c != "point"]
    a = small.set_index("n")[keep[1:]].sort_index()
    b = large[large["n"].isin([10, 20])].set_index("n")[keep[1:]].sort_index()
    pd.testing.assert_frame_equal(a, b)
    assert small.loc[0, "mean_sq_error_mean"] != small.loc[1, "mean_sq_error_mean"]
    # the key is a digest of the parameters, not the position; the default value is the same as omitting it
    s1 = sweep.load_spec({**base, "grid": {"n": [10]}})
    s2 = sweep.load_spec({**base, "grid": {"n": [10]}, "fixed": {**base["fixed"], "estimator": "mle"}})
    assert s1.points[0].key == s2.points[0].key and len(s1.points[0].key) == 4


GAUSS = dict(family="gaussian", mode="both", trials=20, seed=11, chunk=2,
             fixed=dict(t=4, per_iteration=True, d=2),
             grid=dict(workflow=["replace", "accumulate"], n=[5, 8, 13]))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for col in a.columns:  # byte for byte
        if a[col].dtype.kind in "fiub":
            assert a[col].to_numpy().tobytes() == b[col].to_numpy().tobytes(), col


def test_equal_tables_serial_cluster_and_resumed(tmp_path):
    pytest.importorskip("distributed")
    import logging

    from dask.distributed import LocalCluster

    serial = sweep.run_sweep(GAUSS, tmp_path / "serial")
    table = serial.table()
    assert serial.rows == 6 * 4 and list(table["point"].unique()) == list(range(6))
    # lose two chunks (a run stopped half way: whole part files only), then resume
    resumed_dir = tmp_path / "resumed"
    shutil.copytree(tmp_path / "serial", resumed_dir)
    for k in (0, 2):
        (resumed_dir / f"part-{k:06d}.parquet").unlink()
    res = sweep.run_sweep(GAUSS, resumed_dir, resume=True)
    assert (res.computed, res.skipped) == (4, 2)
    _same(table, res.table())
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        on_cluster = sweep.run_sweep(GAUSS, tmp_path / "cluster", scheduler=cluster.scheduler_address)
    _same(table, on_cluster.table())
    manifest = json.loads((tmp_path / "cluster" / sweep.MANIFEST).read_text())
    assert manifest["status"] == "complete" and manifest["runs"][-1]["scheduler"] == cluster.scheduler_address
    # the table holds the data only: no timing, host or worker columns
    assert not {c for c in table.columns if any(w in c for w in ("time", "second", "host", "worker"))}
    assert pd.read_parquet(tmp_path / "cluster").shape == table.shape


def test_chunking_does_not_change_the_table(tmp_path):
    a = sweep.run_sweep(_mixed_ridge_spec(chunk=1), tmp_path / "a").table()
    b = sweep.run_sweep(_mixed_ridge_spec(chunk=1000), tmp_path / "b").table()
    _same(a, b)
    assert len(a) == 4 * 3 * 3 * 2 and a["total"].dtype == float


def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    spec = dict(family="gaussian", mode="simulate", trials=800, seed=2, chunk=1,
                fixed=dict(workflow="replace", d=3, t=30, per_iteration=True),
                grid=dict(n=list(range(5, 25))))
    path = tmp_path / "spec.toml"
    path.write_text(_toml(spec))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "model_collapse", "sweep", str(path), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(list(out.glob("part-*.parquet"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before it could be killed; make the spec longer"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    import pyarrow.parquet as pq

    parts = sorted(out.glob("part-*.parquet"))
    assert 3 <= len(parts) < 20
    for p in parts:  # only whole files
        assert pq.read_metadata(p).num_rows == 30
    assert json.loads((out / sweep.MANIFEST).read_text())["status"] == "running"
    refused = cli.run(["sweep", str(path), "--out", str(out)])
    assert refused.exit_code == 2 and "--resume" in refused.stderr
    done = cli.run(["sweep", str(path), "--out", str(out), "--resume"])
    assert done.exit_code == 0, done.stderr
    assert not list(out.glob(".*.tmp"))
    whole = sweep.run_sweep(path, tmp_path / "whole")
    _same(whole.table(), sweep.read_sweep(out))


def _toml(spec: dict) -> str:
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {val(v)}" for k, v in spec.items() if not isinstance(v, dict | list)]
    for table in ("fixed", "grid"):
        if table in spec:
            lines += [f"[{table}]"] + [f"{k} = {val(v)}" for k, v in spec[table].items()]
    for z in spec.get("zip", []):
        lines += ["[[zip]]"] + [f"{k} = {val(v)}" for k, v in z.items()]
    return "\n".join(lines) + "\n"


RIDGE = 'family = "ridge"\n[fixed]\nd = 10\nc2 = 1\nlam = 0.1\nsigma = 1\n'
BAD_SPECS = [
    ('family = "nope"\n[grid]\nn = [1]\n', "family", "ridge_mixture (ridge)"),
    (RIDGE + "[grid]\nn = [10]\np2 = [0.5, 2]\n", "p2", "[0, 1]"),
    (RIDGE + "bogus = 3\n[grid]\nn = [10]\np2 = [0.5]\n", "bogus", "allowed: n, d, p2"),
    (RIDGE + "p2 = 0.5\n[grid]\nn = []\n", "n", "at least one value"),
    (RIDGE + "p2 = 0.5\n", "grid", "[grid]"),
    (RIDGE + "[zip]\nn = [10, 20]\np2 = [0.5]\n", "zip", "equal lengths"),
    (RIDGE + "[fixed\n", "TOML", "line"),
    ('family = "ridge"\n[fixed]\nd = 10\nlam = 0.1\nsigma = 1\np2 = 0.1\n[grid]\nn = [10, 20]\n', "'c2'", "required"),
    (RIDGE + "p2 = 0.1\nmethod = \"sample\"\n[grid]\nn = [10]\n", "method", "mode = simulate or both"),
    (RIDGE + "p2 = 0.1\n[grid]\nn = [10, 10]\n", "points 0 and 1", "same setting"),
    (RIDGE + "p2 = [0.1]\n[grid]\nn = [10]\n", "p2", "[grid]"),
    (RIDGE + "p2 = 0.1\n[grid]\nn = 10\n", "n", "list"),
    (RIDGE + "p2 = 0.1\n[grid]\nn = [10]\n[zip]\nn = [10]\n", "n", "give it once"),
    ('mode = "guess"\n' + RIDGE + "p2 = 0.1\n[grid]\nn = [10]\n", "mode", "predict, simulate, both"),
    ('trials = 0\n' + RIDGE + "p2 = 0.1\n[grid]\nn = [10]\n", "trials", "positive integer"),
    ('seed = -1\n' + RIDGE + "p2 = 0.1\n[grid]\nn = [10]\n", "seed", "non-negative"),
    ('typo = 1\n' + RIDGE + "p2 = 0.1\n[grid]\nn = [10]\n", "typo", "allowed: family"),
    (RIDGE + "p2 = 0.1\nmse = 1\n[grid]\nn = [10]\n", "mse", "true or false"),
    (RIDGE + "p2 = 0.1\nspectrum = \"powerlaw:abc\"\n[grid]\nn = [10]\n", "spectrum", "powerlaw"),
    (RIDGE.replace("d = 10", "d = 100000000") + "p2 = 0.1\n[grid]\nn = [10]\n", "'d'", "too large"),
    ('family = "kde"\n[fixed]\nworkflow = "replace"\n[grid]\nt = [1, 2]\n', "h, bandwidth", "required"),
    ('family = "lm"\n[fixed]\nreal = 10\nsynthetic = 10\ns0 = 0.1\nworkflow = "recent-window"\n'
     '[grid]\ngenerations = [1, 2]\n', "'window'", "required"),
    ('family = "rp"\n[fixed]\nc2 = 1\np2 = 0.1\nform = "annealed"\n[grid]\nn = [10]\nm = [5]\n',
     "'form'", "'deterministic', 'quenched'"),
    ('family = "gaussian"\nmode = "simulate"\n[fixed]\nworkflow = "sideways"\nd = 2\nt = 3\n[grid]\nn = [10]\n',
     "workflow", "'replace', 'accumulate'"),
    ('family = "gaussian"\n[fixed]\nworkflow = "replace"\nd = 2\nt = 3\ntrials = 5\n[grid]\nn = [10]\n',
     "trials", "top level"),
    ('family = "gaussian"\nmode = "simulate"\n[fixed]\nworkflow = "replace"\nd = 2\nt = 3\nlimits = true\n'
     '[grid]\nn = [10]\n', "limits", "only with mode = predict or both"),
    # a library keyword is not a spec key: refused naming it (and the parameter it belongs to)
    (RIDGE + "p2 = 0.1\neigenvalues = 1\n[grid]\nn = [10]\n", "eigenvalues", "unknown parameter of ridge_mixture"),
    (RIDGE + "p2 = 0.1\neigenvalues = 1\n[grid]\nn = [10]\n", "eigenvalues", "'spectrum'"),
    # a refusal of the library keyword eigenvalues2 (by the theory's covariate-shift check) names the spec key
    (RIDGE + 'p2 = 0.1\nspectrum = "powerlaw:1"\nspectrum2 = "data:digits"\n[grid]\nn = [10]\n', "'spectrum2'",
     "shape"),
    # a string for a numeric parameter is parsed as on the command line, and refused naming the key
    (RIDGE + 'p2 = "abc"\n[grid]\nn = [10]\n', "[fixed] p2", "must be a float"),
    ('mode = "both"\n' + RIDGE + "p2 = 0.1\n[grid]\nn = [10, 10.5]\n", "[grid] n = 10.5",
     "'n' parameter must be an int"),
    ('family = "kde"\n[fixed]\nworkflow = "replace"\nh = 0.5\nbandwidth = "scott"\nn = 10\n[grid]\nt = [1, 2]\n',
     "h, bandwidth", "only one"),
    ('family = "scaling"\nmode = "both"\n[fixed]\nsource_r = 0.5\n[grid]\nbeta = [2, 3]\n', "mode", "no simulator"),
    ('family = "scaling"\n[fixed]\nsource_r = 1\n[grid]\nbeta = [2, 3]\n', "'source_r'", "differ from 1"),
    ('family = "synthetic-budget"\n[fixed]\nc2 = 1\nspectrum = "data:digits"\nd = 7\n[grid]\nn_real = [10]\n',
     "'d'", "omitted or equal"),
]


@pytest.mark.parametrize("text,names,allowed", BAD_SPECS, ids=[b[1] + ":" + b[2] for b in BAD_SPECS])
def test_a_bad_spec_is_one_line_naming_the_key_and_nothing_is_written(text, names, allowed, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = cli.run(["sweep", str(path), "--out", str(tmp_path / "out")])
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert names in lines[0] and allowed in lines[0] and lines[0].startswith("collapse: error: "), lines[0]
    assert "--" not in lines[0] and "eigenvalues2" not in lines[0], lines[0]  # spec keys, not flags or keywords
    assert not (tmp_path / "out").exists()


def test_an_occupied_out_folder_is_refused(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(RIDGE + "p2 = 0.1\n[grid]\nn = [10, 20]\n")
    other = tmp_path / "o.toml"
    other.write_text(RIDGE + "p2 = 0.2\n[grid]\nn = [10, 20]\n")
    out = tmp_path / "out"
    assert cli.run(["sweep", str(spec), "--out", str(out)]).exit_code == 0
    for argv, words in ((["sweep", str(spec), "--out", str(out)], "--resume"),
                        (["sweep", str(other), "--out", str(out)], "different sweep"),
                        (["sweep", str(other), "--out", str(out), "--resume"], "different sweep")):
        res = cli.run(argv)
        assert res.exit_code == 2 and words in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    again = cli.run(["sweep", str(spec), "--out", str(out), "--resume"])
    assert again.exit_code == 0 and "0 points computed, 2 already done" in again.stdout
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    res = cli.run(["sweep", str(spec), "--out", str(junk)])
    assert res.exit_code == 2 and "not empty" in res.stderr and (junk / "notes.txt").read_text() == "mine"
    res = cli.run(["sweep", str(spec), "--out", str(out / "x"), "--workers", "2", "--scheduler", "tcp://x:1"])
    assert res.exit_code == 2 and "exclude each other" in res.stderr


def test_a_point_refused_mid_run_leaves_nothing_behind(tmp_path, monkeypatch):
    # Issue 24: the refusal of point 1 left _manifest.json and point 0's part in --out.
    spec = tmp_path / "s.toml"
    spec.write_text('family = "linreg"\nmode = "predict"\n[fixed]\nd = 10\nt = 3\nworkflow = "replace"\n'
                    "[grid]\nn = [50, 5]\n")
    out = tmp_path / "new"
    res = cli.run(["sweep", str(spec), "--out", str(out)])
    assert res.exit_code == 2 and "stopped at point 1" in res.stderr, res.stderr
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.run(["sweep", str(spec), "--out", str(empty)]).exit_code == 2
    assert empty.exists() and not any(empty.iterdir())
    monkeypatch.chdir(tmp_path)
    res = cli.run(["sweep", str(spec), "--out", ""])
    assert res.exit_code == 2 and "'--out'" in res.stderr and "Got ''" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "s.toml"]


def test_without_the_extra_it_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    spec = tmp_path / "s.toml"
    spec.write_text(RIDGE + "p2 = 0.1\n[grid]\nn = [10, 20]\n")
    res = cli.run(["sweep", str(spec), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and 'pip install "model-collapse[sweep]"' in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_manifest_and_a_stopping_point(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(RIDGE.replace("sigma = 1", "sigma = 1e200") + "p2 = 0.1\n[grid]\nn = [10, 20]\n")
    res = cli.run(["sweep", str(spec), "--out", str(tmp_path / "out")])
    # outside the declared range of sigma (its square must stay in float64): refused before any work
    assert res.exit_code == 2 and "[fixed] sigma = 1e+200" in res.stderr and "'sigma'" in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()
    # refused by the computation itself (no declaration states it: the best amount of perfect synthetic data
    # is unbounded, so there is no k* to simulate): one line naming the point and the spec key
    stop = tmp_path / "stop.toml"
    stop.write_text('family = "synthetic-budget"\nmode = "simulate"\ntrials = 2\n[fixed]\nd = 10\nc2 = 0\n'
                    'lam = 0.01\n[grid]\nn_real = [100]\n')
    res = cli.run(["sweep", str(stop), "--out", str(tmp_path / "stop")])
    assert res.exit_code == 2 and "stopped at point 0" in res.stderr and "'max_synthetic'" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    good = tmp_path / "g.toml"
    good.write_text(RIDGE + "p2 = 0.1\n[grid]\nn = [10, 20]\n")
    assert cli.run(["sweep", str(good), "--out", str(tmp_path / "good")]).exit_code == 0
    m = json.loads((tmp_path / "good" / sweep.MANIFEST).read_text())
    assert m["format"] == sweep.FORMAT and m["points"] == 2 and m["status"] == "complete" and m["rows"] == 2
    assert m["spec"]["family"] == "ridge_mixture" and m["package_version"] and m["seed"] == 0
    assert {"started", "seconds", "points_computed"} <= set(m["runs"][0])


def test_spec_keys_are_the_declared_parameters():
    ridge = families.family("ridge_mixture")
    assert set(sweep.spec_params(ridge, "simulate")) == {p.name for p in families.command_params(ridge, "simulate")
                                                         } - {"trials", "seed"}
    # '-' for '_', a TOML string parsed like the command line, a number checked directly: the same values
    a = sweep.load_spec(dict(family="rp", fixed={"p2": "0.3", "c2": 1.0, "projection-seed": 2, "m": 20},
                             grid={"n": [30, 40]}))
    b = sweep.load_spec(dict(family="random_projections", fixed={"p2": 0.3, "c2": "1", "projection_seed": "2",
                                                                 "m": "20"}, grid={"n": ["30", 40]}))
    assert [p.key for p in a.points] == [p.key for p in b.points]
    assert vars(a.points[1].predict_values) == vars(b.points[1].predict_values)
    assert a.points[0].predict_values.projection_seed == 2 and a.points[0].predict_values.d == 1000
    # a point's identity leaves out values at their declared default (writing one is the same as omitting it)
    c = sweep.load_spec(dict(family="rp", fixed={"p2": 0.3, "c2": 1, "projection_seed": 2, "m": 20, "lam": 1e-3,
                                                 "spectrum": "isotropic"}, grid={"n": [30, 40]}))
    assert [p.key for p in c.points] == [p.key for p in a.points]


def test_the_sweep_package_does_not_import_the_command_line():
    for path in (ROOT / "collapse" / "sweep").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not [n for n in names if n == "model_collapse.cli" or n.startswith("model_collapse.cli.")], path
    code = "import sys, model_collapse.sweep; print('model_collapse.cli' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_one_and_two_worker_processes_give_the_same_table(tmp_path):
    one = sweep.run_sweep(GAUSS, tmp_path / "one", workers=1).table()
    two = sweep.run_sweep(GAUSS, tmp_path / "two", workers=2).table()
    _same(one, two)
    _same(one, sweep.run_sweep(GAUSS, tmp_path / "serial").table())


@pytest.mark.slow
def test_scheduler_and_worker_started_as_commands(tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    sched = subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--nworkers", "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        spec = tmp_path / "g.toml"
        spec.write_text(_toml(GAUSS))
        res = cli.run(["sweep", str(spec), "--out", str(tmp_path / "remote"), "--scheduler", address])
        assert res.exit_code == 0, res.stderr
        _same(sweep.read_sweep(tmp_path / "remote"), sweep.run_sweep(GAUSS, tmp_path / "local").table())
    finally:
        for p in (worker, sched):
            p.terminate()
        for p in (worker, sched):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_tutorial_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    took = time.perf_counter() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert (tmp_path / "tutorial-sweep" / sweep.MANIFEST).exists()
    assert took < 60, took


# --- what makes a sweep cost what it computes (issue 23): each shortcut gives exactly the plain path's answer
def test_a_sealed_array_is_checked_once_and_cannot_change():
    from model_collapse.validation import POSITIVE, InvalidParameterError, check_param, seal

    calls = []

    class Counting(type(POSITIVE)):
        def bad_element(self, value):
            calls.append(1)
            return super().bad_element(value)

    c = Counting(POSITIVE.kind, POSITIVE.low, POSITIVE.high, POSITIVE.closed)
    a = seal(np.ones(5))
    check_param("w", a, c, "f")
    check_param("w", a, c, "f")
    assert len(calls) == 1 and not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = -1.0  # nothing can change what was checked
    plain = np.ones(5)  # an ordinary (writeable) array is checked every time, and a bad one is refused
    check_param("w", plain, c, "f")
    plain[0] = -1.0
    with pytest.raises(InvalidParameterError, match="'w'"):
        check_param("w", plain, c, "f")
    bad = seal(np.array([1.0, -1.0]))
    for _ in range(2):  # a refusal is never remembered as a pass
        with pytest.raises(InvalidParameterError):
            check_param("w", bad, c, "f")


def test_shared_spectra_build_each_spectrum_once_and_only_inside():
    from model_collapse import spectra_named

    outside = spectra_named.eigenvalues("powerlaw:1.5", 50)
    assert outside.flags.writeable and outside is not spectra_named.eigenvalues("powerlaw:1.5", 50)
    with spectra_named.shared():
        a, b = spectra_named.eigenvalues("powerlaw:1.5", 50), spectra_named.eigenvalues("powerlaw:1.5", 50)
        assert a is b and not a.flags.writeable and np.array_equal(a, outside)
        assert spectra_named.eigenvalues("powerlaw:1.5", 60) is not a
    assert spectra_named.eigenvalues("powerlaw:1.5", 50).flags.writeable
    import threading

    seen = []
    with spectra_named.shared():  # another thread (e.g. a simulator's) is not inside the block
        t = threading.Thread(target=lambda: seen.append(spectra_named.eigenvalues("isotropic", 3).flags.writeable))
        t.start()
        t.join()
    assert seen == [True]


def test_the_quick_validate_path_checks_and_binds_like_inspect():
    from model_collapse.validation import POSITIVE, InvalidParameterError, validate

    @validate(x=POSITIVE, y=POSITIVE)
    def f(x, y=2.0, *, z=None):
        return (x, y, z)

    assert f(1.0) == (1.0, 2.0, None) and f(1.0, 3.0, z=4) == (1.0, 3.0, 4) and f(y=5.0, x=1.0) == (1.0, 5.0, None)
    for call in (lambda: f(-1.0), lambda: f(1.0, y=-2.0), lambda: f(1.0, -2.0)):
        with pytest.raises(InvalidParameterError, match="must be a float in the range"):
            call()
    for call in (lambda: f(), lambda: f(1.0, x=2.0), lambda: f(1.0, w=2.0), lambda: f(1.0, 2.0, 3.0)):
        with pytest.raises(TypeError):  # a call that does not bind is refused as before
            call()


def test_arrow_columns_from_buffers_equal_pyarrow_arrays():
    pa = pytest.importorskip("pyarrow")
    from model_collapse.sweep.storage import _array

    cases = [([1, None, 3], pa.int64()), ([1.5, None, float("nan"), float("inf")], pa.float64()),
             (["a", None, "ü", ""], pa.string()), ([True, None, False] * 5, pa.bool_()), ([None, None], pa.null()),
             ([2**62, -1], pa.int64()), ([], pa.float64()), ([], pa.string())]
    for values, typ in cases:
        got, want = _array(pa, values, typ), pa.array(values, type=typ)
        got.validate(full=True)
        assert got.type == want.type and got.null_count == want.null_count and got.to_pylist().__repr__() == \
            want.to_pylist().__repr__()


def test_identity_members_assemble_the_canonical_json(monkeypatch):
    from model_collapse.sweep import spec as spec_module
    from model_collapse.sweep.canonical import canonical

    raw = {"family": "ridge", "mode": "both", "fixed": {"d": 20, "spectrum": "powerlaw:1.5"},
           "grid": {"n": [100, 200], "p2": [0.0, 0.5], "lam": [1e-3, 1], "c2": [0, 1.0], "spectrum2": ["isotropic"]}}
    fast = [p.key for p in sweep.load_spec(raw).points]

    def one_json(self, params):  # the identity as one canonical JSON text of the non-default parts
        parts = {k: self.part(k, params[k]) for k in self.keys}
        return canonical({k: v for k, v in parts.items() if v is not spec_module._DEFAULT})

    monkeypatch.setattr(spec_module._Identity, "of", one_json)
    assert [p.key for p in sweep.load_spec(raw).points] == fast and len(set(fast)) == len(fast)
