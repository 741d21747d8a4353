"""One name, one meaning (issue 19, docs/theory.md §0 "Names"): renamed keywords and flags, and their old
spellings accepted for one release with a deprecation warning (Python) or a note (command line)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from model_collapse import cli, families
from model_collapse.montecarlo import gaussian_workflow as mgw
from model_collapse.montecarlo import iterative_retraining as mit
from model_collapse.theory import accumulate_subsample as tas
from model_collapse.theory import gaussian_workflow as tgw
from model_collapse.theory import iterative_retraining as tit
from model_collapse.validation import InvalidParameterError


def _deprecated(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught), f"{fn.__name__}: no DeprecationWarning"
    return out


@pytest.mark.parametrize("fn", [tgw.predict, tgw.mean_sq_error, tas.predict])
def test_gaussian_variance_old_spelling_is_deprecated_and_equal(fn):
    new = fn(10, 3, np.array([1, 5]), variance=2.5)
    old = _deprecated(fn, 10, 3, np.array([1, 5]), sigma2=2.5)
    np.testing.assert_array_equal(np.asarray(getattr(new, "mean_sq_error", new)),
                                  np.asarray(getattr(old, "mean_sq_error", old)))
    with pytest.raises(InvalidParameterError, match="'sigma2' parameter .*'variance'"):
        fn(10, 3, 2, variance=1.0, sigma2=2.0)


def test_gaussian_simulator_takes_variance_and_the_old_spelling():
    new = mgw.simulate(10, 2, 3, variance=2.0, n_trials=5, seed=1)
    old = _deprecated(mgw.simulate, 10, 2, 3, sigma2=2.0, n_trials=5, seed=1)
    assert new.as_dict() == old.as_dict()


def test_retraining_gamma_old_spelling_teacher():
    g = np.linspace(0.5, 1.5, 20) / 20
    kw = dict(lam=0.01, spectrum=np.ones(20))
    new = tit.predict(2, 100, 80, 20, gamma=g, **kw)
    old = _deprecated(tit.predict, 2, 100, 80, 20, teacher=g, **kw)
    assert new.as_dict() == old.as_dict()
    sim = _deprecated(mit.simulate, 2, 100, 80, 20, teacher=g, n_trials=3, seed=0, **kw)
    assert sim.as_dict() == mit.simulate(2, 100, 80, 20, gamma=g, n_trials=3, seed=0, **kw).as_dict()


def test_cli_old_flag_is_accepted_with_a_note_and_the_same_answer():
    base = ["predict", "gaussian", "--workflow", "replace", "--n", "10", "--d", "3", "--t", "4", "--json"]
    new = cli.run([*base, "--variance", "2"])
    old = cli.run([*base, "--sigma2", "2"])
    assert new.exit_code == old.exit_code == 0
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert "deprecated" in old.stderr and "--variance" in old.stderr and "deprecated" not in new.stderr
    both = cli.run([*base, "--variance", "2", "--sigma2", "2"])
    assert both.exit_code == 2 and "'--sigma2'" in both.stderr and "--variance" in both.stderr


def test_python_registry_call_accepts_the_old_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = families.predict("gaussian", workflow="replace", n=10, d=3, t=4, sigma2=2.0)
    assert old == families.predict("gaussian", workflow="replace", n=10, d=3, t=4, variance=2.0)


def test_no_name_means_two_things():
    """A declared parameter name has one help text across every registry entry that declares it, except where
    the entries document the difference in docs/theory.md §0 (the sample counts differ per model)."""
    per_name: dict[str, set[str]] = {}
    for fam in families.entries():
        for p in fam.all_params():
            per_name.setdefault(p.name, set()).add(fam.cli)
    # the old collision: 'sigma2' was a data variance (gaussian) and a noise standard deviation (ridge)
    gauss = {p.name for p in families.by_cli("gaussian").all_params()}
    assert "sigma2" not in gauss and "variance" in gauss
    ridge = {p.name for p in families.by_cli("ridge").all_params()}
    assert "sigma2" in ridge and "variance" not in ridge
    retrain_keywords = set(families.keywords(families.by_cli("retrain"), families.resolve(
        families.by_cli("retrain"), "predict", dict(generations=1, samples=100, generator_samples=80, d=10))))
    assert "teacher" not in retrain_keywords


def test_sweep_accepts_the_old_key_as_the_new_name():
    from model_collapse import sweep

    base = {"family": "gaussian", "fixed": {"workflow": "replace", "n": 10, "d": 2, "t": 3}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = sweep.load_spec({**base, "grid": {"sigma2": [1.0, 2.0]}})
    assert any("deprecated" in str(w.message) and "'variance'" in str(w.message) for w in caught)
    new = sweep.load_spec({**base, "grid": {"variance": [1.0, 2.0]}})
    assert [p.params for p in old.points] == [p.params for p in new.points]
    assert [p.key for p in old.points] == [p.key for p in new.points]  # the same seeds
