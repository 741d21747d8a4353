"""Benchmark (prints numbers; not a test): `collapse sweep` end to end (issues 14 and 23).

1. Predict: a 10⁴-point sweep of the ridge mixture at d = 1000 (power-law spectrum; grid n × p2 × lam × sigma,
   10 values each). Target < 5 s end to end: the command line in a fresh interpreter (imports, spec
   validation of every point through the registry (``families.resolve`` and ``families.prepare``), the theory
   in vectorised groups (``Family.broadcast``), 32 Parquet parts, manifest), and the same in-process
   (``run_sweep``; validation alone printed too).
2. Simulate: 100 points × 100 trials of the Gaussian workflows (replace / accumulate × n × d, t = 1..100
   per iteration) serially in-process (the default, no Dask) and on a local Dask cluster of 1 and of 2 worker
   processes. Target: 2 workers ≥ 1.7× the speed of 1 (on an idle machine), or the serial default where
   Dask cannot win. Printed: end to end (cluster start included) and the compute phase alone (from the first
   submitted chunk to the last part written), best of ``repeats`` runs.

Issue 23: the in-process predict sweep against its floor, measured in the same process: one broadcast theory
call over all 10⁴ points plus the Parquet write of a table of that shape. Target: the sweep ≤ 10× the floor.

Run: python benchmarks/bench_sweep.py [repeats]   (default 2). The machine is shared: the numbers vary
with the load (the script prints ``os.getloadavg()`` before each measurement).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREDICT_SPEC = """
family = "ridge"
mode = "predict"
[fixed]
d = 1000
spectrum = "powerlaw:1.5"
c2 = 1.0
[grid]
n = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
p2 = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
lam = [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
sigma = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
"""

SIMULATE_SPEC = """
family = "gaussian"
mode = "both"
trials = 100
seed = 0
[fixed]
t = 100
per_iteration = true
[grid]
workflow = ["replace", "accumulate"]
n = [20, 50, 100, 200, 400]
d = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
"""


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _floor(spec, tmp: Path) -> tuple[float, float]:
    """The floor of the predict sweep, measured here: one broadcast theory call over every point (the grid's
    axes as arrays) and the Parquet write of a table of the sweep's shape built from those arrays."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from model_collapse import families

    fam = families.family(spec.family)
    first = spec.points[0].predict_setting
    axes = sorted(k for k in fam.broadcast if k in first and k in spec.points[0].params)
    kw = {k: v for k, v in first.items() if k not in axes}
    kw.update({k: np.array([p.predict_setting[k] for p in spec.points]) for k in axes})
    t0 = time.perf_counter()
    res = fam.predict(**kw)
    t_call = time.perf_counter() - t0
    cols = {"point": np.arange(len(spec.points))}
    cols.update({k: np.array([p.params[k] for p in spec.points], dtype=float) for k in spec.columns
                 if spec.columns[k] in ("int", "float")})
    cols.update({f: np.broadcast_to(np.asarray(getattr(res, f), dtype=float), (len(spec.points),))
                 for f in fam.fields})
    t0 = time.perf_counter()
    # from numpy buffers (pa.array would import pandas, 0.7 s or more, which the sweep does not)
    table = pa.Table.from_arrays([pa.Array.from_buffers(pa.float64() if v.dtype.kind == "f" else pa.int64(), v.size,
                                                        [None, pa.py_buffer(np.ascontiguousarray(v))])
                                  for v in cols.values()], names=list(cols))
    pq.write_table(table, tmp / "floor.parquet", compression="zstd")
    return t_call, time.perf_counter() - t0


def _extras_seconds(spec) -> float:
    """The family's per-point ``extras`` hook (``Hooks.extras``) alone, over every point (0 if it has none)."""
    from model_collapse import families

    fam = families.family(spec.family)
    if fam.hooks.extras is None:
        return 0.0
    t0 = time.perf_counter()
    for p in spec.points:
        fam.hooks.extras(p.predict_values, p.predict_setting, {})
    return time.perf_counter() - t0


def predict_benchmark(repeat: int, tmp: Path, cli: bool = True) -> None:
    from model_collapse.sweep import load_spec, run_sweep

    spec_path = tmp / "ridge.toml"
    spec_path.write_text(PREDICT_SPEC)
    cli_times, api_times, load_times, floors, extras = [], [], [], [], []
    for i in range(repeat):
        print(f"  ({_load()})")
        if cli:
            out = tmp / f"ridge-cli-{i}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "model_collapse", "sweep", str(spec_path), "--out", str(out)],
                           check=True, capture_output=True)
            cli_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        spec = load_spec(spec_path)  # every point resolved and prepared through the registry
        load_times.append(time.perf_counter() - t0)
        res = run_sweep(spec, tmp / f"ridge-api-{i}")
        api_times.append(time.perf_counter() - t0)
        floors += [_floor(spec, tmp), _floor(spec, tmp)]  # the floor's best of two
        extras.append(_extras_seconds(spec))
    api, load, ext = min(api_times), min(load_times), min(extras)
    call, write = min(f[0] for f in floors), min(f[1] for f in floors)
    floor = call + write
    ratio = api / floor
    print(f"predict ridge, {res.points} points, d = 1000, in-process: {api:.3f} s (validation {load:.3f} s, run "
          f"{api - load:.3f} s; best of {repeat})")
    print(f"  floor: one broadcast call {call:.4f} s + Parquet write {write:.4f} s = {floor:.4f} s")
    flag = "ok" if ratio <= 10 else "OVER TARGET"
    print(f"  ratio sweep / floor: {ratio:.1f}x ({flag}; target <= 10x)")
    print(f"  of the sweep: the family's per-point extras hook (Hooks.extras, ridge 'convention'/'variance_exact') "
          f"{ext:.3f} s = {ext / floor:.1f}x the floor; without it the sweep would be {(api - ext) / floor:.1f}x")
    if cli_times:
        flag = "ok" if min(cli_times) < 5 else "OVER TARGET"
        print(f"  command line (fresh interpreter, imports included): {min(cli_times):.2f} s (best; median "
              f"{sorted(cli_times)[len(cli_times) // 2]:.2f} s; {flag}; target < 5 s)")


def simulate_benchmark(repeat: int, tmp: Path) -> None:
    from model_collapse.sweep import load_spec, run_sweep

    path = tmp / "gaussian.toml"
    path.write_text(SIMULATE_SPEC)
    spec = load_spec(path)
    result = {}
    for workers in (None, 1, 2):  # None: the default, in-process and serial (no Dask)
        ends, computes = [], []
        for i in range(repeat):
            print(f"  ({_load()})")
            out = tmp / f"gauss-{workers}-{i}"
            t0 = time.perf_counter()
            run_sweep(spec, out, workers=workers)
            ends.append(time.perf_counter() - t0)
            run = json.loads((out / "_manifest.json").read_text())["runs"][-1]
            computes.append(run["compute_seconds"])
        result[workers] = (min(ends), min(computes))
        print(f"simulate gaussian, {len(spec.points)} points x {spec.trials} trials, "
              f"{'serial, no Dask' if workers is None else f'{workers} Dask worker(s)'}: "
              f"end to end {min(ends):.2f} s, compute {min(computes):.2f} s (best of {repeat})")
    (e0, _c0), (e1, c1), (e2, c2) = result[None], result[1], result[2]
    flag = "ok" if c1 / c2 >= 1.7 else "UNDER TARGET"
    print(f"speed-up 2 workers vs 1: compute {c1 / c2:.2f}x, end to end {e1 / e2:.2f}x ({flag}; target >= 1.7x)")
    winner = "Dask wins" if e2 < e0 else "serial wins"
    print(f"2 Dask workers vs the serial default, end to end: {e0 / e2:.2f}x ({winner}; {_load()})")


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print(f"machine: {os.cpu_count()} cores; best of {repeat}")
    with tempfile.TemporaryDirectory() as d:
        predict_benchmark(repeat, Path(d))
        simulate_benchmark(repeat, Path(d))


if __name__ == "__main__":
    main()
