"""The authors' scikit-learn KDE loop ("Collapse or Thrive?", KDE part) re-run at their settings, against
``collapse predict kde --n 100`` (theory.kde_workflow.predict, finite n).

Their procedure: data from scikit-learn's generators (make_circles(noise=0.05, factor=0.8), make_moons(noise=0.05),
make_blobs, 500 test points from a second call), ``KernelDensity(kernel="gaussian", bandwidth=h).fit(X)``,
NLL = −mean ``score_samples(test)``, next data = ``kde.sample(n)``; replace fits the newest n points,
accumulate all of them. Seeds 0..S−1 (``random_state``); everything else is scikit-learn's own randomness,
so this is independent of the project's simulator. Prints, per setting and t, the loop's mean ± SE, the
prediction, its regime and the deviation in SE. Run: ``python benchmarks/bench_kde_sklearn_loop.py [seeds]``.
"""

from __future__ import annotations

import sys

import numpy as np
from model_collapse.theory import kde_workflow as th
from sklearn.datasets import make_circles, make_moons
from sklearn.neighbors import KernelDensity

T_SHOW = (1, 2, 5, 10, 30)


def data(dataset: str, m: int, seed: int) -> np.ndarray:
    if dataset == "circles":
        return make_circles(n_samples=m, noise=0.05, factor=0.8, random_state=seed)[0]
    return make_moons(n_samples=m, noise=0.05, random_state=seed)[0]


def loop(dataset: str, workflow: str, h: float, n: int, t_max: int, seed: int) -> np.ndarray:
    X = data(dataset, n, seed)
    test = data(dataset, 500, 10_000 + seed)
    pool, out = X, []
    rng = np.random.RandomState(seed)
    for _ in range(t_max):
        kde = KernelDensity(kernel="gaussian", bandwidth=h).fit(pool if workflow == "accumulate" else X)
        out.append(-kde.score_samples(test).mean())
        new = kde.sample(n, random_state=rng)
        if workflow == "accumulate":
            pool = np.concatenate([pool, new])
        X = new
    return np.array(out)


def main(seeds: int = 20) -> None:
    t = np.array(T_SHOW)
    for dataset in ("circles", "moons"):
        for workflow in ("replace", "accumulate"):
            for h in (0.1, 0.5, 1.0):
                runs = np.array([loop(dataset, workflow, h, 100, int(t.max()), s) for s in range(seeds)])[:, t - 1]
                mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(seeds)
                p = th.predict(t, workflow=workflow, dataset=dataset, h=h, n=100)
                for i, s in enumerate(t):
                    print(f"{dataset:8s} {workflow:10s} h={h:<4} t={s:<3} loop={mean[i]:.4f}±{se[i]:.4f} "
                          f"predict={p.nll[i]:.4f} ({p.nll_regime[i]}, allowance {p.nll_allowance[i]:.4f}) "
                          f"z={(mean[i] - p.nll[i]) / se[i]:+.2f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
