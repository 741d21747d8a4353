"""Bad input: every validated public function rejects invalid values with one clear message.

Generic (as scikit-learn's test_public_functions): for each function carrying ``parameter_constraints``,
build invalid values from the constraints and check the message names the parameter and the range.
"""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from family_checks import invalid_values
from model_collapse import montecarlo, theory
from model_collapse.validation import Interval, InvalidParameterError, Options, SeedLike

CORE = ("model_collapse.spectra_named",)  # core modules whose validated functions the theory re-exports


def _public_validated():
    names = [f"{p.__name__}.{info.name}" for p in (theory, montecarlo) for info in pkgutil.iter_modules(p.__path__)]
    out = []
    for mod in map(importlib.import_module, (*names, *CORE)):
        for _name, fn in inspect.getmembers(mod, inspect.isfunction):
            if hasattr(fn, "parameter_constraints") and fn.__module__ == mod.__name__:
                out.append(fn)
    return out


FUNCS = _public_validated()


def valid_value(c):
    if isinstance(c, Options):
        return c.values[0]
    if isinstance(c, SeedLike):
        return 0
    if c.low is not None and c.high is not None:
        if c.high > 1e6:  # a wide range (e.g. SCALE up to 1e150): an ordinary value inside it
            return c.low + 1 if c.kind.__name__ == "Integral" else min(max(1.0, c.low), c.high)
        return (c.low + c.high) / 2 if c.kind.__name__ != "Integral" else int((c.low + c.high) // 2)
    if c.low is not None:
        return c.low + 2
    if c.high is not None:
        return c.high - 2
    return 1


def _placeholder(param, constraint):
    if param.default is not inspect.Parameter.empty and param.default is not None:
        return param.default
    if constraint is not None:
        return valid_value(constraint)
    return param.default if param.default is not inspect.Parameter.empty else 1


def test_there_are_validated_functions():
    names = {f.__name__ for f in FUNCS}
    assert {"kappa", "predict", "simulate", "collapse_floor"} <= names


@pytest.mark.parametrize("fn", FUNCS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_invalid_values_raise_named_error(fn):
    sig = inspect.signature(fn)
    for pname, constraint in fn.parameter_constraints.items():
        if constraint is None:
            continue
        for bad in invalid_values(constraint):
            # validation runs before the body, so the other arguments can be placeholders: their default,
            # or a value inside their own constraint, so that only the parameter under test is invalid
            args = {k: _placeholder(p, fn.parameter_constraints.get(k)) for k, p in sig.parameters.items()}
            args[pname] = bad
            with pytest.raises(InvalidParameterError, match=rf"The '{pname}' parameter of {fn.__name__} must be"):
                fn(**args)


def test_message_template_is_one_line_with_range_and_value():
    from model_collapse.theory.ridge_mixture import predict

    with pytest.raises(InvalidParameterError) as info:
        predict(100, 1.5, 0.1, np.ones(10))
    msg = str(info.value)
    assert msg == "The 'p2' parameter of predict must be a float in the range [0, 1]. Got 1.5 instead."
    with pytest.raises(InvalidParameterError, match="an array containing -1"):
        predict(np.array([10, -1]), 0.5, 0.1, np.ones(10))
    with pytest.raises(InvalidParameterError, match="'eigenvalues'"):
        predict(10, 0.5, 0.1, np.array([1.0, np.nan]))


def test_interval_describe():
    from numbers import Integral, Real

    assert Interval(Real, 0, None, closed="neither").describe() == "a float in the range (0, inf)"
    assert Interval(Integral, 1, None, closed="left").describe() == "an int in the range [1, inf)"
