"""The registry: everything a user can run, one entry each, and the contract every model family obeys.

Every module of this package (other than those starting with ``_`` and :mod:`.common`) declares one entry as
``FAMILY`` (a :class:`model_collapse.params.Family`); the registry is the set of those modules, found at import,
plus whatever :func:`register` adds. There is no other list: the command line (``collapse predict|simulate
WORD``), ``--help``, ``collapse sweep``, ``collapse figures`` (each entry names its figures), the contract
suite (tests/test_family_contract.py) and :func:`run` (the same call from Python) all read it.

A model family is a theory function (closed forms, ``model_collapse.theory.<module>.predict``) and its simulator
twin (``model_collapse.montecarlo.<module>.simulate``) with

- **the same keywords**: the simulator takes exactly the theory function's keywords, plus ``n_trials``,
  ``seed`` (an int ≥ 0 or a ``numpy.random.SeedSequence``), ``method`` where there is more than one, and
  ``progress``; any other difference is declared (``theory_options``: numerical options of the closed form
  with no simulation meaning; ``simulator_options``: experiment options with no closed-form meaning);
- **the same field names**: both return frozen result objects; the theory's fields are numbers or arrays, the
  simulator's are :class:`model_collapse.montecarlo.trials.MCEstimate` (``mean``, ``sem``/``se``);
  ``as_dict()`` gives plain JSON-able values (simulation: ``{"mean", "se"}`` per field);
- **declarative validation**: bad parameters raise :class:`model_collapse.InvalidParameterError` naming the
  parameter and the allowed range (the constraints are attached to both functions).

Each entry declares its setting once, as a table of :class:`model_collapse.params.Param` (name, constraint,
default, help); the flags, ``--help``, the sweep keys and the refusals all come from it. It also names a small
reference setting at which the simulation runs in about a second, the stated tolerance there (``|mean −
theory| ≤ z·se + allowance·|theory|``; allowance 0 for exact laws) and a *perturbed* setting: the theory
evaluated there expresses a plausible formula mistake and must fail the same check.

**Adding a family touches three files** (plus its figure and docs): ``theory/NAME.py``, ``montecarlo/NAME.py``
and ``collapse/families/NAME.py`` (its ``FAMILY`` entry). ``tests/test_registry.py`` registers a toy family
with :func:`register` and shows that it gets its CLI words, ``--help``, sweep support and the contract suite
with no other file touched.

Listing the registry imports no theory or simulator code: ``predict``/``simulate`` are named by import path
and imported on first use, so ``collapse predict ridge`` imports only what the ridge family needs.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Mapping
from typing import Any

from model_collapse import resources
from model_collapse.params import (
    Family,
    Hooks,
    Param,
    check_value,
    parse_text,
)
from model_collapse.validation import POSITIVE_INT, SEED, InvalidParameterError, Options

__all__ = ["Family", "Hooks", "Param", "FAMILIES", "STANDARD_SIMULATOR_KEYWORDS", "entries", "family", "by_cli",
           "register", "unregister", "command_params", "resolve", "keywords", "run", "predict", "simulate",
           "constraint_of", "figure_ids"]

#: Simulator keywords every family may add to its theory function's keywords.
STANDARD_SIMULATOR_KEYWORDS = frozenset({"n_trials", "seed", "method", "progress"})

_REGISTRY: dict[str, Family] = {}
_SKIP = {"common"}


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _SKIP:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        register(mod.FAMILY)


def register(fam: Family) -> Family:
    """Add ``fam`` to the registry (its name and CLI word must be new). Returns it."""
    for other in _REGISTRY.values():
        if fam.name == other.name or fam.cli == other.cli:
            raise ValueError(f"family {fam.name!r} (CLI word {fam.cli!r}) is registered already")
    _REGISTRY[fam.name] = fam
    return fam


def unregister(name: str) -> None:
    """Remove the entry called ``name`` (tests that register a toy family clean up with it)."""
    _REGISTRY.pop(name, None)


def entries() -> tuple[Family, ...]:
    """Every registered entry (model families and theory-only commands), in registration order."""
    return tuple(_REGISTRY.values())


def family(name: str) -> Family:
    """The registry entry called ``name`` (module name, e.g. ``"ridge_mixture"``)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no family {name!r}; registered: {', '.join(_REGISTRY)}") from None


def by_cli(word: str) -> Family:
    """The registry entry whose CLI word is ``word`` (e.g. ``"ridge"``)."""
    for fam in _REGISTRY.values():
        if fam.cli == word:
            return fam
    raise KeyError(f"no family with CLI word {word!r}")


def figure_ids() -> tuple[str, ...]:
    """Every figure that an entry names, in registry order (the order `collapse figures` draws them)."""
    return tuple(dict.fromkeys(f for fam in _REGISTRY.values() for f in fam.figures))


# --- the parameters of a command ------------------------------------------------------------------------------

TRIALS = Param("trials", POSITIVE_INT, "number of independent trials", default=100, keywords=("n_trials",))
SEED_PARAM = Param("seed", SEED, "seed of numpy's SeedSequence", default=0)


def _method_param(fam: Family) -> Param | None:
    """``method``: one of ``fam.methods``, the first being the simulator's default (the contract checks it)."""
    if not fam.methods:
        return None
    return Param("method", Options(fam.methods), f"simulation method (see {fam.simulate.__module__})",
                 default=fam.methods[0])


def command_params(fam: Family, command: str) -> tuple[Param, ...]:
    """Every declared parameter of ``collapse COMMAND WORD`` (and of a sweep point in that mode)."""
    if command == "predict":
        return fam.params_for("predict")
    method = _method_param(fam)
    return (*fam.params_for("simulate"), TRIALS, SEED_PARAM, *((method,) if method else ()))


def constraint_of(fam: Family, param: Param, command: str):
    """The constraint of ``param``: its own, or the theory (simulator) function's ``@validate`` constraint of
    the keyword of the same name (None when neither declares one: the function checks it itself)."""
    if param.constraint is not None:
        return param.constraint
    funcs = [fam.predict] + ([fam.simulate] if fam.simulate is not None else [])
    if command == "simulate":  # the simulator's own constraint first (e.g. an integer sample count)
        funcs.reverse()
    for func in funcs:
        found = getattr(func, "parameter_constraints", {}).get(param.name)
        if found is not None:
            return found
    return None


def _parse(fam: Family, param: Param, constraint, raw: Any) -> Any:
    """A value from its text (the command line, or a string in a spec for a non-text parameter)."""
    try:
        return parse_text(constraint, raw)
    except InvalidParameterError as exc:  # a parser's own refusal (e.g. the spectrum grammar): about this param
        raise InvalidParameterError.of(param.name, None, exc.requirement or str(exc), refs=exc.refs) from None
    except (ValueError, OverflowError):
        from model_collapse.params import describe

        raise InvalidParameterError.of(param.name, None, f"must be {describe(constraint)}. Got {raw!r} instead."
                                       ) from None


def resolve(fam: Family, command: str, given: Mapping[str, Any]) -> argparse.Namespace:
    """The checked values of every declared parameter of ``command``, defaults filled in.

    ``given`` maps parameter names to values or to the text typed for them (a string is parsed by the
    parameter's constraint; ``None`` = not given). Unknown names, missing required parameters, values outside
    their constraint and a group with not exactly one member given are refused
    with :class:`InvalidParameterError` naming the parameter."""
    params = command_params(fam, command)
    given = _renamed(params, given)
    known = {p.name for p in params}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise InvalidParameterError.of(unknown[0], None, f"is not a parameter of {command} {fam.cli}: its "
                                       f"parameters are {', '.join(sorted(known))}.")
    values: dict[str, Any] = {}
    groups: dict[str, list[Param]] = {}
    for p in params:
        if p.group is not None:
            groups.setdefault(p.group, []).append(p)
        raw = given.get(p.name)
        if raw is None:
            if p.required and p.group is None:
                raise InvalidParameterError.of(p.name, None, f"is required ({p.help}).")
            values[p.name] = None if p.required else p.default
            continue
        constraint = constraint_of(fam, p, command)
        if constraint is None:  # the function checks it itself; text cannot be passed on unparsed
            if isinstance(raw, str):
                raise TypeError(f"family {fam.name}: parameter {p.name!r} declares no constraint to parse text")
            values[p.name] = raw
            continue
        if isinstance(raw, str):  # typed text (the command line, or a string in a spec): parse it
            raw = raw.strip() if isinstance(constraint, Options) else _parse(fam, p, constraint, raw)
        values[p.name] = check_value(p, constraint, raw)
    for members in groups.values():
        chosen = [p for p in members if given.get(p.name) is not None]
        if len(chosen) != 1:
            first, *rest = members
            raise InvalidParameterError.of(first.name, None, "or " + " or ".join("{" + r.name + "}" for r in rest)
                                           + f" must be given, exactly one ({first.help}).",
                                           refs=tuple(r.name for r in rest))
    return argparse.Namespace(**values, command=command)


def _renamed(params: tuple[Param, ...], given: Mapping[str, Any]) -> dict:
    """``given`` with deprecated spellings (``Param.aliases``) mapped to the current names, with a note each."""
    out = dict(given)
    for p in params:
        for alias in p.aliases:
            if out.get(alias) is None:
                out.pop(alias, None)
                continue
            if out.get(p.name) is not None:
                raise InvalidParameterError.of(alias, None, f"is the deprecated spelling of {{{p.name}}}; give only "
                                               "one of them.", refs=(p.name,))
            warnings.warn(f"'{alias}' (--{alias.replace('_', '-')}) is deprecated and will be removed in the next "
                          f"release: it is now '{p.name}' ({p.flag})", resources.Note, stacklevel=3)
            out[p.name] = out.pop(alias)
    return out


def keywords(fam: Family, values: argparse.Namespace) -> dict:
    """The theory function's keywords for the checked ``values`` (the family's ``keywords`` hook, or the values
    of the declared setting parameters that are keywords of the theory function)."""
    if fam.hooks.keywords is not None:
        return fam.hooks.keywords(values)
    accepted = inspect.signature(fam.predict).parameters
    return {p.name: getattr(values, p.name) for p in fam.params if p.name in accepted}


def prepare(fam: Family, values: argparse.Namespace) -> tuple[dict, float]:
    """Check that the run fits in memory (refusing otherwise, naming the parameter that drives it), run the
    family's joint checks and build the theory keywords. Returns (keywords, estimated floating-point work)."""
    flops = 0.0
    if fam.hooks.cost is not None:
        items, flops = fam.hooks.cost(values, values.command)
        resources.check(items)
    if fam.hooks.check is not None:
        fam.hooks.check(values, values.command)
    return keywords(fam, values), float(flops)


def simulator_keywords(fam: Family, values: argparse.Namespace) -> dict:
    """The simulator-only keywords (the family's hook, or the values of its simulate-only parameters)."""
    if fam.hooks.simulator_keywords is not None:
        return fam.hooks.simulator_keywords(values)
    return {p.name: getattr(values, p.name) for p in fam.simulate_params}


def run(fam: Family, values: argparse.Namespace, *, progress=None, setting: dict | None = None) -> dict:
    """Predict or simulate (``values.command``) at the checked ``values``: the result as plain values.

    predict: the theory result's fields and the family's extras; simulate: the simulator's fields as
    ``{"mean", "se"}`` (or what a theory-only command's simulator returns). A long run is announced on stderr
    before it starts."""
    if setting is None:
        setting, flops = prepare(fam, values)
        resources.note_time(flops)
    if values.command == "predict":
        res = fam.predict(**setting)
        out = res.as_dict() if hasattr(res, "as_dict") else dict(res)
        if fam.hooks.extras is not None:
            fam.hooks.extras(values, setting, out)
        return out
    if fam.simulate is None:
        raise InvalidParameterError.of("command", None, f"must be predict for {fam.cli}: it has no simulator "
                                       f"({fam.note or fam.help}).")
    if fam.hooks.notes is not None:
        fam.hooks.notes(values)
    kw = dict(n_trials=values.trials, seed=values.seed, progress=progress, **simulator_keywords(fam, values))
    if fam.methods:
        kw["method"] = values.method
    res = fam.simulate(**setting, **kw)
    return res.as_dict() if hasattr(res, "as_dict") else dict(res)


def _call(word_or_family: str | Family, command: str, given: dict) -> dict:
    fam = word_or_family if isinstance(word_or_family, Family) else (
        _REGISTRY[word_or_family] if word_or_family in _REGISTRY else by_cli(word_or_family))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", resources.Note)
        return run(fam, resolve(fam, command, given))


def predict(word: str | Family, **given: Any) -> dict:
    """What ``collapse predict WORD --json`` prints, from Python: ``predict("ridge", n=1000, d=100, p2=0.1,
    c2=1.0)``. Parameters are the declared names (the flags without ``--``); defaults as on the command line."""
    return _call(word, "predict", given)


def simulate(word: str | Family, **given: Any) -> dict:
    """What ``collapse simulate WORD --json`` prints, from Python (``trials``, ``seed``, ``method`` included)."""
    return _call(word, "simulate", given)


_discover()

#: The model families (theory and simulator twins) in registry order: what the contract suite checks.
FAMILIES: tuple[Family, ...] = tuple(f for f in _REGISTRY.values() if f.contract)
