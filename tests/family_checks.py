"""The check suite every registered family must pass (in the spirit of scikit-learn's ``parametrize_with_checks``).

Each ``check_*`` takes a :class:`model_collapse.families.Family` and raises AssertionError when the entry
breaks the contract stated in :mod:`model_collapse.families`. ``tests/test_family_contract.py`` runs every
check over every registry entry, and also over deliberately broken entries to show that each check fails.
"""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
from _check import agrees, assert_agrees
from model_collapse.families import STANDARD_SIMULATOR_KEYWORDS, Family
from model_collapse.montecarlo.trials import MCEstimate, execution
from model_collapse.validation import Interval, InvalidParameterError, Options, SeedLike

__all__ = ["CHECKS", "invalid_values"]


def _params(fn) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(fn).parameters)


def check_same_keywords(fam: Family) -> None:
    """The simulator takes the theory's keywords (same defaults) plus n_trials, seed, method, progress."""
    th, mc = _params(fam.predict), _params(fam.simulate)
    missing = set(th) - set(mc) - set(fam.theory_options)
    assert not missing, f"{fam.name}: simulator lacks the theory keywords {sorted(missing)}"
    extra = set(mc) - set(th) - STANDARD_SIMULATOR_KEYWORDS - set(fam.simulator_options)
    assert not extra, f"{fam.name}: simulator has undeclared keywords {sorted(extra)}"
    for name in set(th) & set(mc):
        assert th[name].default == mc[name].default or (
            th[name].default is inspect.Parameter.empty and mc[name].default is inspect.Parameter.empty
        ), f"{fam.name}: keyword {name!r} defaults differ ({th[name].default!r} vs {mc[name].default!r})"
        assert th[name].kind == mc[name].kind, f"{fam.name}: keyword {name!r} is positional in one twin only"
    assert {"n_trials", "seed"} <= set(mc), f"{fam.name}: simulator must take n_trials and seed"
    if fam.methods:
        assert "method" in mc, f"{fam.name}: methods declared but the simulator has no 'method'"
        assert mc["method"].default == fam.methods[0], (
            f"{fam.name}: the simulator's default method {mc['method'].default!r} is not the first declared "
            f"({fam.methods[0]!r}; the CLI shows the first as the default)")
    assert not fam.predict.__name__.startswith("test"), f"{fam.name}: a library function named test_* is collected"


def _simulate(fam: Family, setting: dict | None = None, **kw):
    s = fam.reference_setting() if setting is None else setting
    return fam.simulate(**s, n_trials=kw.pop("n_trials", fam.n_trials), seed=kw.pop("seed", 0), **kw)


def _theory_at_simulated(fam: Family, est) -> object:
    """The theory at the setting actually simulated (round(p2 n)/n synthetic rows where that applies)."""
    s = fam.reference_setting()
    if hasattr(est, "p2_realised"):
        s["p2"] = est.p2_realised
    return fam.predict(**s)


def check_same_fields(fam: Family) -> None:
    """Both return frozen dataclasses; every compared field is in both; simulation fields are MCEstimates."""
    res = fam.predict(**fam.reference_setting())
    est = _simulate(fam, n_trials=4)
    for obj, who in ((res, "theory"), (est, "simulator")):
        assert dataclasses.is_dataclass(obj), f"{fam.name}: {who} result is not a dataclass"
        assert obj.__dataclass_params__.frozen, f"{fam.name}: {who} result is not frozen"
    th_fields = {f.name for f in dataclasses.fields(res)}
    mc_fields = {f.name for f in dataclasses.fields(est)}
    for name in fam.fields:
        assert name in th_fields, f"{fam.name}: theory result has no field {name!r}"
        assert name in mc_fields, f"{fam.name}: simulator result has no field {name!r}"
        assert isinstance(getattr(est, name), MCEstimate), f"{fam.name}: simulated {name!r} is not an MCEstimate"
    th_dict, mc_dict = res.as_dict(), est.as_dict()
    json.dumps(th_dict, allow_nan=False)
    json.dumps(mc_dict, allow_nan=False)
    simulated = mc_fields - {"n_trials", "n", "n2"} - set(fam.diagnostics)
    assert simulated <= th_fields, f"{fam.name}: simulated fields {sorted(simulated - th_fields)} have no theory twin"
    assert set(th_dict) <= th_fields and set(mc_dict) <= mc_fields, f"{fam.name}: as_dict keys are not fields"
    for name in fam.fields:
        assert set(mc_dict[name]) == {"mean", "se"}, f"{fam.name}: simulated {name!r} is not {{mean, se}}"
        assert np.shape(th_dict[name]) == np.shape(mc_dict[name]["mean"]), f"{fam.name}: {name!r} shapes differ"


def invalid_values(constraint) -> list:
    """Values outside ``constraint`` (NaN, text, just past each bound, non-integers for ints)."""
    if isinstance(constraint, Options):
        return ["definitely-not-an-option"]
    if isinstance(constraint, SeedLike):
        return [-1, 1.5, "text"]
    vals: list = [np.nan, "text"]
    if constraint.low is not None:
        vals.append(constraint.low - 1.0 if constraint.closed in ("both", "left") else constraint.low)
    # just past a finite upper bound (a relative step: 1e150 + 1 is 1e150 in float64)
    if constraint.high is not None and np.isfinite(constraint.high):
        vals.append(constraint.high + max(1.0, abs(constraint.high)) if constraint.closed in ("both", "right")
                    else constraint.high)
    if constraint.kind.__name__ == "Integral":
        vals.append((constraint.low or 0) + 1.5)
    return vals


def check_invalid_parameters_refused(fam: Family) -> None:
    """Every value outside a declared constraint is refused by both twins, naming the parameter."""
    twins = ((fam.predict, {}), (fam.simulate, {"n_trials": 2, "seed": 0}))
    for fn, extra in twins if fam.contract else twins[:1]:  # a theory-only entry: its theory function
        constraints = getattr(fn, "parameter_constraints", None)
        assert constraints, f"{fam.name}: {fn.__module__}.{fn.__name__} has no declarative constraints"
        for pname, constraint in constraints.items():
            if constraint is None or not isinstance(constraint, Interval | Options | SeedLike):
                continue
            for bad in invalid_values(constraint):
                args = {**fam.reference_setting(), **extra, pname: bad}
                if pname not in _params(fn):
                    continue
                try:
                    fn(**args)
                except InvalidParameterError as exc:
                    assert f"'{pname}'" in str(exc) and "\n" not in str(exc), (
                        f"{fam.name}: refusal of {pname}={bad!r} does not name it in one line: {exc}"
                    )
                else:
                    raise AssertionError(f"{fam.name}: {fn.__name__} accepted {pname}={bad!r}")


def _flat(est, fields) -> np.ndarray:
    return np.concatenate([np.ravel(getattr(est, f).mean) for f in fields]
                          + [np.ravel(getattr(est, f).sem) for f in fields])


def check_reproducible(fam: Family) -> None:
    """Same seed -> bit-identical numbers; another seed -> different numbers; a SeedSequence is accepted."""
    a = _flat(_simulate(fam, n_trials=6, seed=11), fam.fields)
    b = _flat(_simulate(fam, n_trials=6, seed=11), fam.fields)
    c = _flat(_simulate(fam, n_trials=6, seed=12), fam.fields)
    d = _flat(_simulate(fam, n_trials=6, seed=np.random.SeedSequence(11)), fam.fields)
    np.testing.assert_array_equal(a, b, err_msg=f"{fam.name}: same seed, different numbers")
    np.testing.assert_array_equal(a, d, err_msg=f"{fam.name}: SeedSequence(s) and s differ")
    assert not np.array_equal(a, c), f"{fam.name}: seeds 11 and 12 give the same numbers"


def check_batching_invariant(fam: Family) -> None:
    """One trial per batch, one worker, two workers: the same numbers as the default execution."""
    ref = _flat(_simulate(fam, n_trials=6, seed=3), fam.fields)
    with execution(batch_floats=1, workers=1):
        one = _flat(_simulate(fam, n_trials=6, seed=3), fam.fields)
    with execution(workers=2):
        two = _flat(_simulate(fam, n_trials=6, seed=3), fam.fields)
    np.testing.assert_array_equal(ref, one, err_msg=f"{fam.name}: batching changes the numbers")
    np.testing.assert_array_equal(ref, two, err_msg=f"{fam.name}: worker count changes the numbers")


def _agreement(fam: Family, res, est) -> list[tuple[str, bool]]:
    out = []
    for name in fam.fields:
        e = getattr(est, name)
        out.append((name, agrees(getattr(res, name), e.mean, e.sem, finite_rtol=fam.allowance, z=fam.z, atol=1e-12)))
    return out


def check_theory_matches_simulation(fam: Family) -> None:
    """At the reference setting, every field agrees within z·se + allowance·|theory|."""
    est = _simulate(fam)
    res = _theory_at_simulated(fam, est)
    for name in fam.fields:
        e = getattr(est, name)
        assert_agrees(getattr(res, name), e.mean, e.sem, finite_rtol=fam.allowance, z=fam.z, atol=1e-12,
                      label=f"{fam.name}.{name}")


def check_perturbed_formula_fails(fam: Family) -> None:
    """The theory at the perturbed setting (a formula mistake) fails the same check on some field."""
    est = _simulate(fam)
    s = fam.reference_setting()
    if hasattr(est, "p2_realised"):
        s["p2"] = est.p2_realised
    wrong = fam.predict(**fam.perturbed(s))
    verdicts = _agreement(fam, wrong, est)
    assert not all(ok for _, ok in verdicts), (
        f"{fam.name}: the perturbed formula ({fam.perturbed_note}) passes the check: it has no power here"
    )


def check_cli_prints_theory_fields(fam: Family) -> None:
    """`collapse predict WORD --json` at the family's CLI reference prints exactly the theory's fields, the
    declared extras and the setting it used (every declared parameter's value, defaults included)."""
    from model_collapse import cli, families

    args = list(fam.cli_reference)
    assert args, f"{fam.name}: no CLI reference arguments in the registry entry (cli_reference)"
    out = cli.run(["predict", fam.cli, *args, "--json"])
    assert out.exit_code == 0, f"{fam.name}: collapse predict {fam.cli} failed: {out.stderr}"
    printed = json.loads(out.stdout)
    setting = cli.setting_from_args(fam, ["predict", fam.cli, *args])
    res = fam.predict(**setting)
    expected = res.as_dict() if hasattr(res, "as_dict") else dict(res)
    assert set(printed) >= set(expected), f"{fam.name}: CLI keys {sorted(printed)} lack {sorted(expected)}"
    extra = set(printed) - set(expected) - set(fam.extra_keys) - {"warnings", "setting"}
    assert not extra, f"{fam.name}: CLI prints undeclared keys {sorted(extra)}"
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(printed[key], dtype=float), np.asarray(value, dtype=float),
                                   rtol=1e-12, err_msg=f"{fam.name}: CLI {key} differs from theory")
    declared = {p.name for p in families.command_params(fam, "predict")}
    echoed = set(printed.get("setting", {}))
    assert echoed <= declared, f"{fam.name}: the echoed setting has undeclared keys {sorted(echoed - declared)}"
    defaults = {p.name for p in families.command_params(fam, "predict") if p.default is not None and not p.required}
    assert defaults <= echoed, f"{fam.name}: defaults {sorted(defaults - echoed)} are not echoed in --json"


CHECKS = (
    check_same_keywords,
    check_same_fields,
    check_invalid_parameters_refused,
    check_reproducible,
    check_batching_invariant,
    check_theory_matches_simulation,
    check_perturbed_formula_fails,
    check_cli_prints_theory_fields,
)
