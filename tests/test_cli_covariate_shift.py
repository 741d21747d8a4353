"""`collapse predict|simulate ridge --spectrum2 SPEC`: covariate shift from the command line (cli.run)."""

import json

import numpy as np
import pytest
from model_collapse.cli import run
from model_collapse.theory import ridge_mixture as th
from model_collapse.theory.spectrum import eigenvalues

BASE = ["--n", "300", "--d", "100", "--p2", "0.3", "--c2", "1", "--lam", "0.01", "--sigma", "0.5"]
KW = dict(c2=1.0, sigma=0.5)


def run_json(argv):
    res = run(argv)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_predict_spectrum2_matches_the_library():
    out = run_json(["predict", "ridge", *BASE, "--spectrum2", "powerlaw:1", "--json"])
    assert list(out) == ["bias", "variance", "zeta", "total", "kappa", "u", "convention", "setting"]
    assert out.pop("setting")["spectrum2"] == "powerlaw:1"
    assert out.pop("convention") == "asymptotic"  # covariate shift: no exact finite-n law
    ref = th.predict(300, 0.3, 0.01, np.ones(100), eigenvalues2=eigenvalues("powerlaw:1", 100), **KW)
    for key, value in out.items():
        assert value == pytest.approx(float(getattr(ref, key)), rel=1e-14)
    shifted_back = run_json(["predict", "ridge", *BASE, "--spectrum", "powerlaw:1", "--spectrum2", "isotropic",
                             "--json"])
    assert shifted_back["total"] != pytest.approx(out["total"], rel=1e-3)


def test_spectrum2_defaults_to_spectrum():
    plain = run_json(["predict", "ridge", *BASE, "--spectrum", "powerlaw:1.5", "--json"])
    same = run_json(["predict", "ridge", *BASE, "--spectrum", "powerlaw:1.5", "--spectrum2", "powerlaw:1.5", "--json"])
    assert "spectrum2" not in plain.pop("setting") and same.pop("setting")["spectrum2"] == "powerlaw:1.5"
    assert plain == same
    sim = run_json(["simulate", "ridge", *BASE, "--trials", "6", "--seed", "2", "--json"])
    sim_same = run_json(["simulate", "ridge", *BASE, "--spectrum2", "isotropic", "--trials", "6", "--seed", "2",
                         "--json"])
    sim.pop("setting"), sim_same.pop("setting")
    assert sim == sim_same  # the same random numbers, the same experiment


def test_simulate_spectrum2_agrees_with_predict():
    argv = [*BASE, "--spectrum2", "powerlaw:0.5"]
    th_out = run_json(["predict", "ridge", *argv, "--json"])
    mc_out = run_json(["simulate", "ridge", *argv, "--trials", "30", "--seed", "1", "--json"])
    assert list(mc_out) == ["bias", "variance", "zeta", "total", "setting"]
    tol = 4 * mc_out["total"]["se"] + 2 * (1 / 200 + 1 / 100) * th_out["total"]  # tests/test_covariate_shift.py
    assert abs(mc_out["total"]["mean"] - th_out["total"]) <= tol


@pytest.mark.parametrize("command", ["predict", "simulate"])
@pytest.mark.parametrize("value", ["banana", "powerlaw:x", "powerlaw:-1"])
def test_bad_spectrum2_one_line_exit_2(command, value):
    res = run([command, "ridge", *BASE, "--spectrum2", value])
    assert res.exit_code == 2
    assert res.stderr.startswith("collapse: error: The '--spectrum2' parameter must be isotropic, powerlaw:BETA")
    assert f"Got {value!r} instead" in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
