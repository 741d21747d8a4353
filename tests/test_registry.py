"""The registry is the only list, and a new family is cheap (issue 19).

A toy family — the mean of n coin flips of bias p, scaled — is declared in this file only: a theory function,
a simulator, and one :class:`model_collapse.params.Family` with its parameter table. Registered with
:func:`model_collapse.families.register`, it gets its CLI words, ``--help`` with defaults, refusals naming its
flags, Python calls through the registry, sweep support and the whole contract suite, with no other file touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from numbers import Integral
from types import MappingProxyType

import numpy as np
import pytest
from family_checks import CHECKS, check_perturbed_formula_fails, check_theory_matches_simulation
from model_collapse import cli, families
from model_collapse.montecarlo.trials import MCEstimate, estimate, trial_generators
from model_collapse.params import Family, Param, Switch
from model_collapse.validation import PROBABILITY, SCALE, Interval, InvalidParameterError, validate

COUNT = Interval(Integral, 1, 10**6, closed="both")


@dataclass(frozen=True)
class CoinMean:
    """E[scale · (heads / n)] = scale · p (exact)."""

    mean: float

    def as_dict(self) -> dict:
        return {"mean": float(self.mean)}


@dataclass(frozen=True)
class CoinMeanEstimate:
    mean: MCEstimate
    n_trials: int

    def as_dict(self) -> dict:
        return {"mean": self.mean.as_dict()}


@validate(n=COUNT, p=PROBABILITY, scale=SCALE)
def coin_predict(n, p, *, scale=1.0) -> CoinMean:
    return CoinMean(scale * np.asarray(p, dtype=float) + 0.0 * n)


@validate(n=COUNT, p=PROBABILITY, scale=SCALE)
def coin_simulate(n, p, *, scale=1.0, n_trials=100, seed=0, progress=None) -> CoinMeanEstimate:
    gens = trial_generators(seed, n_trials)
    draws = np.array([g.binomial(int(n), float(p)) / int(n) * scale for g in gens])
    return CoinMeanEstimate(estimate(draws), int(n_trials))


def _keywords(values) -> dict:
    return {"n": values.n, "p": 1 - values.p if values.flip else values.p, "scale": values.scale}


TOY = Family(
    name="toy_coin",
    cli="toy-coin",
    help="the mean of n coin flips (a registry test)",
    predict=coin_predict,
    simulate=coin_simulate,
    params=(
        Param("n", None, "number of flips"),
        Param("p", None, "probability of heads"),
        Param("scale", None, "multiplies the mean", default=1.0),
        Param("flip", Switch(), "count tails instead of heads (a switch)", default=False),
    ),
    hooks=families.Hooks(keywords=_keywords),
    fields=("mean",),
    reference=MappingProxyType(dict(n=50, p=0.3, scale=2.0)),
    n_trials=400,
    allowance=0.0,
    perturbed=lambda s: {**s, "p": 1 - s["p"]},
    perturbed_note="tails for heads",
    figures=(),
    signed_keys=frozenset({"mean"}),
    cli_reference=("--n", "50", "--p", "0.3", "--scale", "2"),
)


@pytest.fixture
def toy():
    families.register(TOY)
    try:
        yield TOY
    finally:
        families.unregister(TOY.name)


def test_a_registered_family_has_its_cli_words_and_help(toy):
    out = cli.run(["predict", "toy-coin", "--n", "50", "--p", "0.3", "--json"])
    assert out.exit_code == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed["mean"] == pytest.approx(0.3)
    assert printed["setting"] == {"n": 50, "p": 0.3, "scale": 1.0, "flip": False}  # defaults echoed
    help_text = cli.run(["simulate", "toy-coin", "--help"]).stdout
    for needle in ("--n", "--p", "--scale", "multiplies the mean (default: 1.0)", "--flip", "--trials", "--seed"):
        assert needle in help_text
    sim = json.loads(cli.run(["simulate", "toy-coin", "--n", "50", "--p", "0.3", "--flip", "--trials", "300",
                              "--json"]).stdout)
    assert abs(sim["mean"]["mean"] - 0.7) <= 4 * sim["mean"]["se"]  # exact law: no finite-size allowance


@pytest.mark.parametrize("argv,flag", [
    (["--n", "0", "--p", "0.3"], "'--n'"),
    (["--n", "5", "--p", "1.5"], "'--p'"),
    (["--n", "5", "--p", "0.3", "--scale", "x"], "'--scale'"),
    (["--p", "0.3"], "'--n' parameter is required"),
])
def test_a_registered_family_refuses_naming_the_flag(toy, argv, flag):
    out = cli.run(["predict", "toy-coin", *argv])
    assert out.exit_code == 2 and flag in out.stderr and out.stderr.count("\n") == 1


def test_a_registered_family_is_callable_from_python_like_the_cli(toy):
    assert families.predict("toy-coin", n=50, p=0.3) == {"mean": pytest.approx(0.3)}
    argv = ["simulate", "toy-coin", "--n", "50", "--p", "0.3", "--trials", "20", "--seed", "1", "--json"]
    printed = json.loads(cli.run(argv).stdout)
    assert families.simulate("toy_coin", n=50, p=0.3, trials=20, seed=1) == {"mean": printed["mean"]}
    with pytest.raises(InvalidParameterError, match="'p' parameter"):
        families.predict("toy-coin", n=50, p=2.0)
    with pytest.raises(InvalidParameterError, match="'q' parameter .* not a parameter"):
        families.predict("toy-coin", n=50, p=0.3, q=1)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_registered_family_gets_the_whole_contract_suite(toy, check):
    check(toy)


def test_the_contract_suite_has_teeth_on_the_toy_family(toy):
    import dataclasses

    with pytest.raises(AssertionError, match="disagree"):
        check_theory_matches_simulation(dataclasses.replace(toy, predict=lambda **s: coin_predict(
            **{**s, "p": 1 - s["p"]})))
    with pytest.raises(AssertionError, match="no power"):
        check_perturbed_formula_fails(dataclasses.replace(toy, perturbed=lambda s: dict(s)))


def test_a_registered_family_sweeps(toy, tmp_path):
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from model_collapse import sweep

    spec = {"family": "toy-coin", "mode": "both", "trials": 200, "fixed": {"n": 40}, "grid": {"p": [0.2, 0.7]}}
    df = sweep.run_sweep(spec, tmp_path / "out").table()
    assert list(df["p"]) == [0.2, 0.7]
    np.testing.assert_allclose(df["mean"], [0.2, 0.7])
    assert (abs(df["mean_mean"] - df["mean"]) <= 4 * df["mean_se"]).all()
    with pytest.raises(InvalidParameterError, match="'p'"):
        sweep.load_spec({**spec, "grid": {"p": [0.2, 1.7]}})


def test_the_registry_is_the_only_list():
    """Every CLI word, figure and contract family comes from the registry: no module keeps its own list."""
    import model_collapse.figures as figs

    words = {f.cli for f in families.entries()}
    assert words == {"ridge", "rp", "mixing", "synthetic-budget", "gaussian", "linreg", "kde", "lm", "retrain",
                     "scaling"}
    assert not hasattr(cli, "MODELS") and not hasattr(figs, "_MODULES")
    assert set(figs.registry()) == set(families.figure_ids())
    assert {f.name for f in families.FAMILIES} == {f.name for f in families.entries() if f.contract}
