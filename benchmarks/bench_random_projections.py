"""Benchmark of the random-projections model (issue 3). Prints numbers; not a test.

    python benchmarks/bench_random_projections.py

1. Deterministic (Marchenko–Pastur) curve: 200 distinct widths m at d = 1000 (target < 1 s), cold (first call,
   quadratures built) and warm; also across the ridgeless threshold, and the best-model-size search.
2. Quenched form (exact reduction on one sampled S) per width at d = 1000.
3. Simulation per trial at d = 500, n = 500, m = 1000 (conditional and literal methods; isotropic and power-law Σ).
   This setting has rank min(m, d) = 500 = n: ridgeless, it sits exactly at the interpolation threshold (infinite
   expected error, heavy-tailed trials), so λ = 0 is timed but its values mean nothing; λ = 0.01 is finite.
0. Issue 23, in one run: ``predict`` over 1,000 widths at d = 1000 (isotropic Σ, the issue's setting, and a
   power-law Σ with 1,000 distinct eigenvalues), per width, as a ratio to the O(d) floor ``np.sum(w/(w+k))`` at
   d = 1000 timed in the same run (target ≤ 20×); the best-width search; calls of the validation wrapper per
   ``predict`` call. ``python benchmarks/bench_random_projections.py ratio`` runs only this part.
4. Speed under load (issue 8): the BLAS pools seen from inside a running simulation (capped at one thread by
   ``single_threaded_blas``), and ms / trial of a many-small-BLAS-calls setting with the cores idle and with
   one core kept busy by a background numpy loop (a subprocess, itself single-threaded).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
from model_collapse.montecarlo import random_projections as mc
from model_collapse.theory import model_size as ms
from model_collapse.theory import random_projections as rp


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def width_curve_ratio() -> None:
    """Issue 23: per-width cost of a 1,000-width curve against the O(d) floor, both timed here and now."""
    from model_collapse import validation

    d, n = 1000, 500
    widths = np.linspace(1.0, 1e4, 1000)
    kw = dict(c2=1.0, sigma=0.5)
    w_pl = np.arange(1, d + 1, dtype=float) ** -1.0
    floor, _ = timed(lambda: [np.sum(w_pl / (w_pl + 0.37)) for _ in range(1000)], repeat=5)
    floor /= 1000
    print(f"O(d) floor np.sum(w/(w+k)), d = {d}: {1e6 * floor:.2f} µs")
    for label, w in (("isotropic", np.ones(d)), ("powerlaw:1 (1,000 distinct eigenvalues)", w_pl)):
        for lam in (1e-3, 0.0):
            t, _ = timed(lambda w=w, lam=lam: rp.predict(n, widths, 0.2, lam, w, **kw), repeat=5)
            per = t / widths.size
            print(f"predict, 1,000 widths, d = {d}, {label}, lam = {lam:g}: {t:.3f} s, {1e6 * per:.1f} µs / width "
                  f"= {per / floor:.1f}x the O(d) floor (target <= 20x)")
        tb, ans = timed(lambda w=w: ms.best_model_size(n, 0.2, 1e-3, w, **kw), repeat=3)
        print(f"  best_model_size, {label}: {1e3 * tb:.1f} ms (best_m = {ans.best_m:g})")
    calls = [0]
    wrapped = validation.validate

    def counting(**spec):
        deco = wrapped(**spec)

        def apply(fn):
            inner = deco(fn)

            def f(*a, **k):
                calls[0] += 1
                return inner(*a, **k)
            return f
        return apply

    validation.validate = counting  # counts wrappers created from now on: re-import the module under test
    import importlib

    from model_collapse.theory import marchenko_pastur, ridge, ridge_mixture
    fresh = [importlib.reload(mod) for mod in (marchenko_pastur, ridge, ridge_mixture)]
    rp2 = importlib.reload(rp)
    calls[0] = 0
    rp2.predict(n, widths, 0.2, 1e-3, w_pl, **kw)
    print(f"validation-wrapper calls in one 1,000-width predict: {calls[0]}")
    validation.validate = wrapped
    for mod in (*fresh, rp2):
        importlib.reload(mod)


def main() -> None:
    d, n = 1000, 500
    w = np.ones(d)
    kw = dict(c2=1.0, sigma=0.5)
    widths = np.unique(np.round(np.logspace(1, np.log10(10 * d), 200)))
    widths = np.concatenate([widths, np.arange(1, 201 - widths.size) + 0.5])[:200]  # exactly 200 distinct m
    assert np.unique(widths).size == 200

    t0 = time.perf_counter()
    curve = rp.predict(n, widths, 0.2, 1e-3, w, **kw)
    cold = time.perf_counter() - t0
    warm, _ = timed(lambda: rp.predict(n, widths, 0.2, 1e-3, w, **kw))
    ridgeless, r0 = timed(lambda: rp.predict(n, widths, 0.2, 0.0, w, **kw))
    print(f"deterministic curve, 200 widths m in [1, 1e4], d = {d}, n = {n}, lam = 1e-3: "
          f"{cold:.3f} s cold, {warm:.3f} s warm (target < 1 s)")
    finite = np.where(np.isfinite(r0.total), r0.total, -1.0)
    print(f"  same, ridgeless (crossing m = n): {ridgeless:.3f} s; largest finite total {finite.max():.4g} "
          f"at m = {widths[np.argmax(finite)]:g} (inf at m = n)")
    print(f"  total at m = 10, 500 ± 1, 1e4: {float(curve.total[0]):.4g}, "
          f"{float(rp.predict(n, 499, 0.2, 1e-3, w, **kw).total):.4g}/"
          f"{float(rp.predict(n, 501, 0.2, 1e-3, w, **kw).total):.4g}, {float(curve.total[-1]):.4g}")
    tb, ans = timed(lambda: ms.best_model_size(n, 0.2, 1e-3, w, **kw), repeat=1)
    print(f"best_model_size (400-point log grid + refinement): {tb:.3f} s -> best_m = {ans.best_m:g}, "
          f"best_total = {ans.best_total:.4g}, limit = {ans.limit_total:.4g}")

    for m in (300, 1000, 2000):
        tq, _ = timed(lambda m=m: rp.predict(n, m, 0.2, 1e-3, w, form="quenched", projection_seed=0, **kw), repeat=1)
        print(f"quenched form, one width m = {m}, d = {d}: {tq:.3f} s (one SVD of the m x d projection)")

    d2, n2, m2 = 500, 500, 1000
    for spectrum in ("isotropic", "powerlaw:1.0"):
        w2 = np.ones(d2) if spectrum == "isotropic" else np.arange(1, d2 + 1, dtype=float) ** -1.0
        for method, trials in (("conditional", 6), ("sample", 6)):
            for lam in (1e-2, 0.0):
                t, est = timed(lambda w2=w2, method=method, trials=trials, lam=lam: mc.simulate(
                    n2, m2, 0.2, lam, w2, c2=1.0, sigma=0.5, n_trials=trials, seed=0, method=method), repeat=1)
                note = " [ridgeless at rank min(m, d) = n: infinite mean, timing only]" if lam == 0 else ""
                print(f"simulation d = {d2}, n = {n2}, m = {m2}, {spectrum}, {method}, lam = {lam:g}: "
                      f"{1e3 * t / trials:.0f} ms / trial (total {est.total.mean:.4g} ± {est.total.sem:.2g}){note}")


_BUSY_LOOP = "import numpy as np\na = np.ones((400, 400))\nwhile True:\n    a = np.tanh(a @ a / 400.0)\n"


def blas_threads_inside_simulation() -> list[int]:
    """num_threads of every BLAS/OpenMP pool, read from a progress callback while simulate() runs."""
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    mc.simulate(40, 60, 0.2, 1e-2, np.ones(50), n_trials=2, seed=0,
                progress=lambda done, total: seen.extend(p["num_threads"] for p in threadpool_info()))
    return sorted(set(seen))


def under_load(repeat: int = 3) -> None:
    """ms / trial with the cores idle and with one core busy (the shared machine is never fully idle)."""
    from threadpoolctl import threadpool_info

    pools = sorted({p["num_threads"] for p in threadpool_info()})
    print(f"BLAS pools outside a simulation: {pools} threads; inside simulate(): {blas_threads_inside_simulation()}")
    cases = [("small: d = 50, n = 40, m = 60 (many small BLAS calls)", (40, 60, 0.2, 1e-2, np.ones(50)), 100),
             ("medium: d = 200, n = 150, m = 300", (150, 300, 0.2, 1e-2, np.ones(200)), 10)]

    def per_trial(args, trials):
        t, _ = timed(lambda: mc.simulate(*args, n_trials=trials, seed=0), repeat=repeat)
        return 1e3 * t / trials

    idle = {label: per_trial(args, k) for label, args, k in cases}
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    busy = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP], env=env)
    try:
        time.sleep(1.0)
        loaded = {label: per_trial(args, k) for label, args, k in cases}
    finally:
        busy.kill()
        busy.wait()
    for label, _args, _k in cases:
        print(f"simulation {label}: {idle[label]:.2f} ms / trial idle, {loaded[label]:.2f} ms / trial with one "
              f"core busy (x{loaded[label] / idle[label]:.2f})")


if __name__ == "__main__":
    width_curve_ratio()
    if sys.argv[1:] != ["ratio"]:
        main()
        under_load()
