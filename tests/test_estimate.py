"""MCEstimate: mean and standard error, including values that would underflow when squared."""

import numpy as np
from model_collapse.montecarlo.trials import estimate, trial_generators


def test_mean_and_sem_match_numpy():
    y = np.random.default_rng(0).normal(size=(50, 3))
    e = estimate(y)
    np.testing.assert_allclose(e.mean, y.mean(0), rtol=1e-14)
    np.testing.assert_allclose(e.sem, y.std(0, ddof=1) / np.sqrt(50), rtol=1e-14)


def test_tiny_values_keep_a_nonzero_standard_error():
    e = estimate(np.array([1e-230, 3e-230, 2e-230]))
    assert e.mean == np.float64(2e-230) or abs(e.mean / 2e-230 - 1) < 1e-14
    assert abs(e.sem / (1e-230 / np.sqrt(3)) - 1) < 1e-12


def test_generators_are_reproducible_and_independent():
    a = [g.standard_normal() for g in trial_generators(5, 4)]
    b = [g.standard_normal() for g in trial_generators(5, 4)]
    assert a == b and len(set(a)) == 4
