"""`collapse predict|simulate gaussian|linreg`, through collapse.cli.main: keys, values, bad input."""

import json

import numpy as np
import pytest
from model_collapse.cli import main
from model_collapse.theory import gaussian_workflow as gw
from model_collapse.theory import linreg_workflow as lw

GAUSS = ["--n", "10", "--d", "3", "--t", "20"]
LIN = ["--n", "1000", "--d", "100", "--t", "100", "--sigma", "1"]


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("workflow", ["replace", "accumulate"])
@pytest.mark.parametrize("estimator", ["mle", "unbiased"])
def test_predict_gaussian_reproduces_the_closed_forms(capsys, workflow, estimator):
    argv = ["predict", "gaussian", "--workflow", workflow, *GAUSS, "--estimator", estimator, "--variance", "2",
            "--json"]
    out = run_json(capsys, argv)
    assert list(out) == ["mean_sq_error", "cov_trace_ratio", "cov_det_ratio"] + (
        ["log_det_ratio"] if workflow == "replace" else []) + ["setting"]
    ref = gw.predict(10, 3, 20, workflow=workflow, estimator=estimator, variance=2.0)
    setting = out.pop("setting")
    for key, value in out.items():
        assert value == pytest.approx(getattr(ref, key), rel=1e-15)
    assert {k: setting[k] for k in ("workflow", "n", "d", "t", "estimator", "variance")} == {
        "workflow": workflow, "n": 10, "d": 3, "t": 20, "estimator": estimator, "variance": 2}


def test_predict_gaussian_limits_and_per_iteration(capsys):
    out = run_json(capsys, ["predict", "gaussian", "--workflow", "accumulate", *GAUSS, "--limits", "--json"])
    assert list(out) == ["mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "mean_sq_error_limit",
                         "cov_trace_ratio_limit", "cov_det_ratio_limit", "mean_sq_error_bound", "log_det_decay_rate",
                         "trace_log_rate", "setting"]
    assert out["setting"]["limits"] is True and out["setting"]["estimator"] == "mle"  # the default, echoed
    assert out["cov_trace_ratio_limit"] == pytest.approx(np.sin(np.pi / np.sqrt(10)) / (np.pi / np.sqrt(10)), rel=1e-14)
    assert out["mean_sq_error_bound"] == pytest.approx(np.pi**2 / 6 * 3 / 10, rel=1e-15)
    assert out["log_det_decay_rate"] == 0.0
    rep = run_json(capsys, ["predict", "gaussian", "--workflow", "replace", *GAUSS, "--limits", "--json"])
    assert rep["log_det_decay_rate"] == pytest.approx(gw.log_det_decay_rate(10, 3), rel=1e-15)
    assert rep["log_det_decay_rate"] < 0
    assert out["trace_log_rate"] == 0.0 and rep["trace_log_rate"] == pytest.approx(gw.trace_log_rate(10, 3), rel=1e-15)
    per = run_json(capsys, ["predict", "gaussian", "--workflow", "replace", *GAUSS, "--per-iteration", "--json"])
    np.testing.assert_allclose(per["cov_trace_ratio"], 0.9 ** np.arange(1, 21), rtol=1e-14)


def test_predict_gaussian_text_output(capsys):
    assert main(["predict", "gaussian", "--workflow", "accumulate", *GAUSS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == ["mean_sq_error", "cov_trace_ratio", "cov_det_ratio"]


@pytest.mark.parametrize("workflow", ["replace", "accumulate", "accumulate-subsample"])
def test_simulate_gaussian_keys_reproducibility_and_agreement(capsys, workflow):
    argv = ["simulate", "gaussian", "--workflow", workflow, "--n", "20", "--d", "2", "--t", "5", "--trials", "400",
            "--seed", "4", "--json"]
    out = run_json(capsys, argv)
    assert list(out) == ["mean_sq_error", "cov_trace_ratio", "cov_det_ratio", "log_det_ratio", "setting"]
    assert (out["setting"]["trials"], out["setting"]["seed"]) == (400, 4)
    assert run_json(capsys, argv) == out
    out.pop("setting")
    assert all(set(v) == {"mean", "se"} and isinstance(v["mean"], float) for v in out.values())
    if workflow != "accumulate-subsample":
        ref = gw.predict(20, 2, 5, workflow=workflow)
        for key, v in out.items():
            if getattr(ref, key) is not None:  # log_det_ratio has a closed form under replace only
                assert abs(v["mean"] - getattr(ref, key)) <= 4 * v["se"]
    per = run_json(capsys, [*argv, "--per-iteration"])
    assert per.pop("setting")["per_iteration"] is True
    assert all(len(v["mean"]) == len(v["se"]) == 5 for v in per.values())
    assert per["cov_trace_ratio"]["mean"][-1] == out["cov_trace_ratio"]["mean"]


@pytest.mark.parametrize("workflow", ["replace", "accumulate"])
def test_predict_linreg_reproduces_the_laws(capsys, workflow):
    out = run_json(capsys, ["predict", "linreg", "--workflow", workflow, *LIN, "--limits", "--json"])
    assert list(out) == ["test_error", "test_error_limit", "test_error_bound", "setting"] + (
        ["warnings"] if workflow == "replace" else [])  # replace: the t → ∞ limit is inf (null + a warning)
    ref = lw.predict(1000, 100, 100, workflow=workflow).test_error
    assert out["test_error"] == pytest.approx(ref, rel=1e-15)
    assert out["test_error_bound"] == pytest.approx(np.pi**2 / 6 * 100 / 899, rel=1e-15)
    noisy = run_json(capsys, ["predict", "linreg", "--workflow", workflow, *LIN, "--test-labels", "noisy", "--json"])
    assert noisy["test_error"] == pytest.approx(out["test_error"] + 1.0, rel=1e-15)


def test_predict_linreg_infinite_expectation_is_printed_and_warned(capsys):
    assert main(["predict", "linreg", "--workflow", "accumulate", "--n", "11", "--d", "10", "--t", "3", "--sigma", "1",
                 "--json"]) == 0
    cap = capsys.readouterr()
    printed = json.loads(cap.out)  # strict JSON: an infinite value is null, named in "warnings"
    assert printed["test_error"] is None and any(w.startswith("test_error is inf") for w in printed["warnings"])
    assert "infinite" in cap.err and len(cap.err.strip().splitlines()) == 1


@pytest.mark.parametrize("workflow", ["replace", "accumulate", "accumulate-subsample"])
def test_simulate_linreg(capsys, workflow):
    argv = ["simulate", "linreg", "--workflow", workflow, "--n", "40", "--d", "5", "--t", "6", "--sigma", "0.5",
            "--trials", "300", "--json"]
    out = run_json(capsys, argv)
    assert list(out) == ["test_error", "setting"] and set(out["test_error"]) == {"mean", "se"}
    assert out["setting"]["sigma"] == 0.5 and out["setting"]["trials"] == 300
    if workflow != "accumulate-subsample":
        ref = float(lw.predict(40, 5, 6, workflow=workflow, sigma=0.5).test_error)
        assert abs(out["test_error"]["mean"] - ref) <= 4 * out["test_error"]["se"]
    finite_test = run_json(capsys, [*argv, "--n-test", "1000", "--per-iteration"])
    assert len(finite_test["test_error"]["mean"]) == 6


INT = "an int in the range [1, inf) (at most 2^53)"


@pytest.mark.parametrize("argv,needles", [
    (["predict", "gaussian", "--workflow", "accumulate", "--n", "1", "--d", "2", "--t", "3"],          # n ≥ 2
     ["'--n' parameter must be an int in the range [2, inf)"]),
    (["predict", "gaussian", "--workflow", "replace", "--n", "5", "--d", "2", "--t", "0"],
     [f"'--t' parameter must be {INT}"]),
    (["predict", "gaussian", "--workflow", "replace", "--n", "5", "--d", "2", "--t", "3", "--variance", "-1"],
     ["'--variance' parameter must be a float in the range (0, inf)"]),
    # the deprecated spelling (--sigma2) is named as typed
    (["predict", "gaussian", "--workflow", "replace", "--n", "5", "--d", "2", "--t", "3", "--sigma2", "-1"],
     ["'--sigma2' parameter must be a float in the range (0, inf)"]),
    (["predict", "gaussian", "--workflow", "replace", "--n", "5", "--d", "2", "--t", "3", "--estimator", "ols"],
     ["'--estimator' parameter must be one of 'mle', 'unbiased'", "ols"]),
    (["predict", "gaussian", "--workflow", "copy", "--n", "5", "--d", "2", "--t", "3"],
     ["'--workflow' parameter must be one of 'replace', 'accumulate', 'accumulate-subsample'", "copy"]),
    (["predict", "gaussian", "--n", "5", "--d", "2", "--t", "3"], ["The '--workflow' parameter is required"]),
    (["simulate", "gaussian", "--workflow", "replace", "--n", "5", "--d", "2", "--t", "3", "--trials", "0"],
     [f"'--trials' parameter must be {INT}"]),
    (["simulate", "gaussian", "--workflow", "accumulate-subsample", "--n", "5", "--d", "2", "--t", "3", "--method",
      "sufficient"], ["'--method' parameter must be 'samples' or 'auto' for accumulate-subsample", "'sufficient'"]),
    (["predict", "linreg", "--workflow", "replace", "--n", "9", "--d", "10", "--t", "3", "--sigma", "1"],  # n < d
     ["'--n' parameter must be at least d = 10", "Got 9 instead"]),
    (["predict", "linreg", "--workflow", "replace", "--n", "90", "--d", "10", "--t", "3", "--sigma", "nan"],
     ["'--sigma' parameter must be a float in the range [0, inf)", "Got nan instead"]),
    (["simulate", "linreg", "--workflow", "accumulate", "--n", "90", "--d", "10", "--t", "3", "--sigma", "1",
      "--n-test", "0"], [f"'--n-test' parameter must be {INT}"]),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("collapse: error: The '--")
    for needle in needles:
        assert needle in err[0]


def test_linreg_sigma_defaults_to_1_and_is_echoed(capsys):
    out = run_json(capsys, ["predict", "linreg", "--workflow", "replace", "--n", "90", "--d", "10", "--t", "3",
                            "--json"])
    assert out["setting"]["sigma"] == 1.0
    assert out["test_error"] == pytest.approx(float(lw.predict(90, 10, 3, workflow="replace", sigma=1.0).test_error),
                                              rel=1e-15)


def test_predict_gaussian_accumulate_subsample_has_its_closed_form(capsys):
    """Exact since issue 12 (theory.accumulate_subsample); the determinant has no closed form for 2 <= d < n."""
    out = run_json(capsys, ["predict", "gaussian", "--workflow", "accumulate-subsample", "--n", "10", "--d", "10",
                            "--t", "100", "--json"])
    assert out["mean_sq_error"] == pytest.approx(2.5887, abs=5e-5) and "cov_det_ratio" in out
    two = run_json(capsys, ["predict", "gaussian", "--workflow", "accumulate-subsample", "--n", "5", "--d", "2",
                            "--t", "3", "--json"])
    assert list(two) == ["mean_sq_error", "cov_trace_ratio", "setting"]


def test_an_infinite_limit_is_explained_as_divergence_not_singularity():
    """Replace with the unbiased estimator: the mean error has no finite limit; the warning says it grows."""
    from model_collapse.cli import run

    out = run(["predict", "gaussian", "--workflow", "replace", "--n", "10", "--d", "3", "--t", "20", "--estimator",
               "unbiased", "--limits", "--json"])
    printed = json.loads(out.stdout)
    assert out.exit_code == 0 and printed["mean_sq_error_limit"] is None
    reason = "mean_sq_error_limit is inf: the quantity grows without bound"
    assert any(w.startswith(reason) for w in printed["warnings"])
    assert "singular" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
