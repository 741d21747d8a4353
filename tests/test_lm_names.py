"""The language model's iteration index is ``t`` (issue 19 item 4, docs/theory.md §0 "Names"): SED's generation m,
t = 1 the fit on the N real tokens, as in the workflows. The old keyword ``generations`` (and the flags
``--generations`` / ``--per-generation``) are accepted for one release with a deprecation warning or note."""

from __future__ import annotations

import dataclasses
import inspect
import json
import warnings

import numpy as np
import pytest
from model_collapse import cli, families
from model_collapse.montecarlo import language_model as mc
from model_collapse.montecarlo import real_data as mr
from model_collapse.theory import language_model as th
from model_collapse.theory import lm_chain, lm_collapse
from model_collapse.validation import InvalidParameterError

P = np.array([0.5, 0.3, 0.2])
T_ARRAY = np.array([1, 3, 6])


def _table():
    return mc.ngram_table("the cat sat on the mat; a bat ate the rat. " * 8, order=1)


def _tokens():
    return np.random.default_rng(0).integers(0, 12, 400)


# (function, positional arguments, other keywords, the value of t)
CASES = {
    "theory.language_model.predict": (th.predict, ("fully-synthetic", 10, 20), dict(s0=0.3, support=5), T_ARRAY),
    "theory.lm_chain.sq_norm": (lm_chain.sq_norm, ("partially-synthetic", 10, 20), dict(s0=0.3), T_ARRAY),
    "theory.lm_chain.sq_norm_given_first": (lm_chain.sq_norm_given_first, ("accumulate", 10, 20), dict(first=0.4),
                                            T_ARRAY),
    "theory.lm_chain.partial_recursion": (lm_chain.partial_recursion, (10, 20), dict(s0=0.3), 6),
    "theory.lm_chain.pool_recursion": (lm_chain.pool_recursion, (10, 20), dict(s0=0.3, subsample=True), 6),
    "theory.lm_chain.gram_recursion": (lm_chain.gram_recursion, (10, 20), dict(s0=0.3, scheme="random"), 6),
    "theory.lm_collapse.collapse_prob_bounds": (lm_collapse.collapse_prob_bounds, (10, 20), dict(s0=0.3, support=5),
                                                T_ARRAY),
    "theory.lm_collapse.exact_chain": (lm_collapse.exact_chain, (P, 4, 4), {}, T_ARRAY),
    "montecarlo.language_model.trajectories": (mc.trajectories, (P, 5, 5), dict(n_trials=5, seed=1), 6),
    "montecarlo.language_model.simulate": (mc.simulate, ("partially-synthetic", 5, 5),
                                           dict(s0=0.3, support=5, n_trials=5, seed=1), T_ARRAY),
    "montecarlo.language_model.ngram_experiment": (mc.ngram_experiment, (None,), dict(n_trials=2, seed=0), 4),
    "montecarlo.real_data.simulate_text_chain": (mr.simulate_text_chain, (None, 20, 20),
                                                 dict(sampling="iid", n_trials=3, seed=0), 5),
}


def _args(name, args):
    if name.endswith("ngram_experiment"):
        return (_table(),)
    if name.endswith("simulate_text_chain"):
        return (_tokens(), *args[1:])
    return args


def _plain(x):
    """A result as nested lists/dicts of plain numbers (dataclasses, dicts, tuples, arrays, floats)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, str):
        return x
    return np.asarray(x).tolist()


@pytest.mark.parametrize("name", list(CASES))
def test_t_and_the_deprecated_generations_give_identical_results(name):
    fn, args, kw, t = CASES[name]
    args = _args(name, args)
    assert "t" in inspect.signature(fn).parameters and "generations" not in inspect.signature(fn).parameters
    assert fn.renamed_keywords == {"generations": "t"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the new spelling warns about nothing deprecated
        new = fn(*args, t=t, **kw)
    with pytest.warns(DeprecationWarning, match="'generations' is deprecated, use 't'"):
        old = fn(*args, generations=t, **kw)
    assert _plain(new) == _plain(old)
    with pytest.raises(InvalidParameterError, match="'generations' parameter .*'t'"):
        fn(*args, t=t, generations=t, **kw)


def test_the_re_exports_are_the_renamed_functions():
    for name in ("sq_norm", "sq_norm_given_first", "partial_recursion", "pool_recursion", "gram_recursion",
                 "collapse_prob_bounds", "exact_chain"):
        assert getattr(th, name).renamed_keywords == {"generations": "t"}


def test_refusals_name_t():
    with pytest.raises(InvalidParameterError, match="'t' parameter of sq_norm"):
        th.sq_norm("fully-synthetic", 10, 10, 0, 0.3)
    with pytest.raises(InvalidParameterError, match="'t' parameter of sq_norm"):
        th.sq_norm("random-past", 10, 10, th.MAX_POOL_GENERATIONS + 1, 0.3)
    with pytest.raises(InvalidParameterError, match="'t' parameter of trajectories"):
        mc.trajectories(P, 5, 5, np.array([1, 2]))
    with pytest.raises(InvalidParameterError, match="'t' parameter of predict"):
        th.predict("fully-synthetic", 10, 10, np.array([1, 0]), 0.3)


def test_result_fields_are_t():
    assert list(th.exact_chain(P, 4, 4, t=np.array([1, 2])).as_dict())[0] == "t"
    e = mc.ngram_experiment(_table(), t=3, n_trials=1, seed=0)
    assert e.t.tolist() == [1, 2, 3]


# ---------------------------------------------------------------- the command line

BASE = ["--workflow", "fully-synthetic", "--real", "10", "--synthetic", "20", "--s0", "0.3", "--vocab", "20", "--json"]


def _json(run):
    out = json.loads(run.stdout)
    out.pop("setting", None)
    return out


@pytest.mark.parametrize("command,extra", [("predict", []), ("simulate", ["--trials", "20", "--seed", "3"])])
def test_cli_old_flag_equals_t(command, extra):
    new = cli.run([command, "lm", *BASE, "--t", "5", *extra])
    old = cli.run([command, "lm", *BASE, "--generations", "5", *extra])
    assert new.exit_code == old.exit_code == 0
    assert _json(new) == _json(old)
    assert "deprecated" in old.stderr and "--t" in old.stderr and "--generations" in old.stderr
    assert "deprecated" not in new.stderr


def test_cli_old_per_generation_equals_per_iteration():
    new = cli.run(["predict", "lm", *BASE, "--t", "4", "--per-iteration"])
    old = cli.run(["predict", "lm", *BASE, "--t", "4", "--per-generation"])
    assert new.exit_code == old.exit_code == 0
    assert _json(new) == _json(old) and len(_json(new)["sq_norm"]) == 4
    assert "deprecated" in old.stderr and "--per-iteration" in old.stderr


def test_cli_refuses_both_spellings():
    both = cli.run(["predict", "lm", *BASE, "--t", "5", "--generations", "5"])
    assert both.exit_code == 2 and "'--generations'" in both.stderr and "--t" in both.stderr


# ---------------------------------------------------------------- the registry entry

def test_registry_entry_declares_t_and_no_generations():
    fam = families.by_cli("lm")
    names = {p.name for p in fam.all_params()}
    assert {"t", "per_iteration"} <= names and not names & {"generations", "per_generation"}
    owner = {p.name: p for p in fam.all_params()}
    assert owner["t"].aliases == ("generations",) and owner["per_iteration"].aliases == ("per_generation",)
    assert "t" in fam.reference and "generations" not in fam.reference
    assert "--t" in fam.cli_reference and "--generations" not in fam.cli_reference
    assert "max_generations" in names  # a stopping-rule count, not the index: unchanged


def test_python_registry_call_accepts_the_old_name():
    kw = dict(workflow="fully-synthetic", real=10, synthetic=20, s0=0.3, vocab=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = families.predict("lm", generations=5, **kw)
    new = families.predict("lm", t=5, **kw)
    old.pop("setting", None)
    new.pop("setting", None)
    assert old == new
