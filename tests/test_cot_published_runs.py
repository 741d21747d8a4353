"""The exact Gaussian laws against the "Collapse or Thrive?" authors' own published runs (d = 1, MLE, σ² = 1).

Data: the package's copy of the authors' summary (``model_collapse.data.cot_gaussian_runs``; provenance in
``collapse/data/README.md``): per workflow, n ∈ {10, 32, 100, 316} and iteration 1..100, the mean and SE over the
authors' seeds (100, or 99/45/44 for some n) of ‖μ̂ − μ₀‖² and tr Σ̂/tr Σ₀.

Measured (the numbers printed by :func:`test_fraction_within_the_authors_standard_errors`): the theory is
within one SE at 85.6 % (mean error) and 86.9 % (trace ratio) of the 800 points, within two SE at 96.5 % and
92.4 %. Every accumulate point is within 1.3 SE. The misses are replace points at small n and late
iterations, e.g. replace n = 10 trace ratio (31 % within one SE, theory up to 19 SE above the data). This is
a named finite-sample effect, not a disagreement: under replace σ̂_t² = σ₀²·∏_{k≤t} χ²_{n−1}/n, whose log
has variance t·ψ₁((n−1)/2) (25 at n = 10, t = 100), so the expectation (1 − 1/n)^t is carried by runs far
rarer than 1 in 100 and a 100-seed mean (and its SE) typically falls far below it.
:func:`test_replace_misses_are_the_heavy_tail_of_100_seed_means` proves it by simulating 200 copies of the
authors' 100-seed experiment under the exact law: their published means lie inside the central 99 % of the
simulated 100-seed means at every point, and most simulated experiments undershoot the expectation in the
same way.
"""

from __future__ import annotations

import numpy as np
import pytest
from model_collapse.data import cot_gaussian_runs
from model_collapse.figures._base import rows
from model_collapse.montecarlo import gaussian_workflow as mc
from model_collapse.theory import gaussian_workflow as th

DATA = cot_gaussian_runs()

METRICS = (("mean_sq_error", "sq_err_mean"), ("cov_trace_ratio", "trace_ratio"))
GROUPS = [(wf, n) for wf in ("replace", "accumulate") for n in (10, 32, 100, 316)]


def theory_at(workflow: str, n: int, iterations, quantity: str) -> np.ndarray:
    return np.asarray(getattr(th.predict(n, 1, iterations, workflow=workflow, estimator="mle", variance=1.0), quantity))


def z_scores() -> dict:
    """(workflow, n, quantity) -> z = (authors' mean − theory)/authors' SE at each published iteration."""
    out = {}
    for wf, n in GROUPS:
        sel = rows(DATA, workflow=wf, n=n)
        for q, col in METRICS:
            out[(wf, n, q)] = (sel[f"{col}_mean"] - theory_at(wf, n, sel["iteration"], q)) / sel[f"{col}_se"]
    return out


def test_data_shape_and_iteration_one_is_shared():
    assert len(DATA["n"]) == 800 and set(DATA["workflow"].tolist()) == {"replace", "accumulate"}
    for n in (10, 32, 100, 316):  # iteration 1 is the real-data fit: the two workflows share their seeds
        r, a = rows(DATA, workflow="replace", n=n, iteration=1), rows(DATA, workflow="accumulate", n=n, iteration=1)
        if r["runs"][0] == a["runs"][0]:
            assert r["sq_err_mean_mean"][0] == pytest.approx(a["sq_err_mean_mean"][0], rel=1e-5)


def test_fraction_within_the_authors_standard_errors():
    z = z_scores()
    report = []
    for q, _ in METRICS:
        allz = np.concatenate([z[(wf, n, q)] for wf, n in GROUPS])
        within1, within2 = np.mean(np.abs(allz) <= 1), np.mean(np.abs(allz) <= 2)
        report.append(f"{q}: {within1:.1%} within 1 SE, {within2:.1%} within 2 SE of {allz.size} points")
        assert within1 >= 0.75 and within2 >= 0.9, report[-1]  # "the large majority of points"
    for wf, n in GROUPS:
        report.append(f"  {wf:>10} n={n:<4}" + "".join(
            f"  {q}: {np.mean(np.abs(z[(wf, n, q)]) <= 1):.0%} (max |z| {np.max(np.abs(z[(wf, n, q)])):.1f})"
            for q, _ in METRICS))
    print("\n".join(report))


def test_accumulate_points_all_agree():
    """Accumulate (bounded, light-tailed): every published point within 3 of the authors' SE."""
    z = z_scores()
    for n in (10, 32, 100, 316):
        for q, _ in METRICS:
            assert np.max(np.abs(z[("accumulate", n, q)])) <= 3.0, (n, q)


@pytest.fixture(scope="module")
def replica_means():
    if DATA is None:
        pytest.skip("the authors' runs are not available")
    """For each replace n: 200 simulated copies of the authors' experiment (their seed count per copy)."""
    out = {}
    for n in (10, 32, 100, 316):
        runs = int(rows(DATA, workflow="replace", n=n)["runs"][0])
        tr = mc.trajectories(n, 1, 100, workflow="replace", n_trials=200 * runs, seed=4000 + n)
        out[n] = {q: tr[q].reshape(200, runs, 100).mean(axis=1) for q, _ in METRICS}
    return out


def test_replace_misses_are_the_heavy_tail_of_100_seed_means(replica_means):
    for n in (10, 32, 100, 316):
        sel = rows(DATA, workflow="replace", n=n)
        it = sel["iteration"]
        for q, col in METRICS:
            means = replica_means[n][q][:, it - 1]
            lo, hi = np.quantile(means, [0.005, 0.995], axis=0)
            inside = np.mean((sel[f"{col}_mean"] >= lo) & (sel[f"{col}_mean"] <= hi))
            assert inside >= 0.95, (n, q, inside)
    # the mechanism: at n = 10, t = 100 most 100-seed experiments undershoot E tr Σ̂_t/tr Σ₀ = 0.9^100
    final = replica_means[10]["cov_trace_ratio"][:, -1]
    expected = float(th.cov_trace_ratio(10, 1, 100, workflow="replace"))
    assert np.mean(final < expected) >= 0.8
    assert np.median(final) < 0.2 * expected


def test_twins_perturbed_laws_are_rejected_by_the_authors_runs():
    """The same data reject natural wrong laws: the unbiased-estimator replace law (E tr Σ̂_t = tr Σ₀, i.e.
    MLE and unbiased swapped) and an accumulate variance factor with 1/k in place of 1/k²."""
    replace_unbiased, acc_harmonic = [], []
    for n in (10, 32, 100, 316):
        r = rows(DATA, workflow="replace", n=n)
        replace_unbiased.append((r["trace_ratio_mean"] - 1.0) / r["trace_ratio_se"])
        a = rows(DATA, workflow="accumulate", n=n)
        wrong = np.cumprod(1 - 1 / (n * np.arange(1, 101)))[a["iteration"] - 1]
        acc_harmonic.append((a["trace_ratio_mean"] - wrong) / a["trace_ratio_se"])
    for label, z in (("replace, unbiased law", replace_unbiased), ("accumulate, 1/k factor", acc_harmonic)):
        z = np.concatenate(z)
        assert np.mean(np.abs(z) <= 2) < 0.6, label  # against 92.4 % for the right laws


# ---------------------------------------------------------------- the figures built on these data


def test_gaussian_figure_table_overlays_the_published_runs():
    from model_collapse.figures import cot_gaussian

    tab = cot_gaussian.compute(True, 0)
    assert set(tab) == {"kind", "quantity", "workflow", "d", "n", "iteration", "value", "se", "runs"}
    sim = rows(tab, kind="simulation", quantity="cov_trace_ratio", workflow="accumulate", d=10, n=100)
    ref = th.cov_trace_ratio(100, 10, sim["iteration"])
    np.testing.assert_allclose(rows(tab, kind="theory", quantity="cov_trace_ratio", workflow="accumulate", d=10,
                                    n=100)["value"], ref, rtol=1e-15)
    assert np.all(np.abs(sim["value"] - ref) <= 4 * sim["se"])
    authors = rows(tab, kind="authors")
    if DATA is None:
        assert len(authors["value"]) == 0
    else:
        one = rows(tab, kind="authors", quantity="mean_sq_error", workflow="replace", n=32, iteration=7)
        src = rows(DATA, workflow="replace", n=32, iteration=7)
        assert one["value"][0] == src["sq_err_mean_mean"][0] and one["se"][0] == src["sq_err_mean_se"][0]
