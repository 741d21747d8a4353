"""The registry's types: a parameter declared once (:class:`Param`), a runnable thing (:class:`Family`) and a
function named by its import path (:class:`LazyFunction`).

A :class:`Param` is one entry of a family's setting table: its name (the keyword of the theory function and the
key of a sweep spec), its constraint, its default and its help text. Everything else is derived from it by one
rule: the command-line flag is ``"--" + name`` with ``_`` spelled ``-`` (``generator_samples`` ->
``--generator-samples``), ``--help`` shows the default, a CLI string is parsed by the constraint's own
``parse``, a value from Python or a TOML spec is checked by the same constraint, and a refusal names the
parameter as the caller spelled it (:meth:`model_collapse.validation.InvalidParameterError.render`).

A constraint of ``None`` means: the constraint of the theory function's keyword of that name (its ``@validate``
declaration), read when the value is checked. So a number that the theory function validates is declared once,
there, and the registry reads it.

This module is part of the core layer: it imports nothing from theory/, montecarlo/ or the shell.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from model_collapse.validation import Interval, InvalidParameterError, Options, SeedLike

__all__ = ["REQUIRED", "MAX_INT", "Switch", "Parsed", "Param", "LazyFunction", "parse_text", "describe"]

#: Integers typed on the command line or in a spec are limited to 2⁵³ (exactly representable in float64; a
#: larger size cannot be computed on any machine anyway). A seed may be any non-negative integer.
MAX_INT = 2**53


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a parameter that must be given.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Switch:
    """An on/off option (a flag without a value on the command line; ``true``/``false`` in a spec)."""

    def describe(self) -> str:
        return "true or false"

    def bad_element(self, value: Any) -> tuple[bool, Any]:
        return (not isinstance(value, bool)), value


@dataclass(frozen=True)
class Parsed:
    """A value written as text and parsed by ``parse`` (a spectrum, blob centres, a count or ``inf``).

    ``parse(text)`` returns the value or raises ``ValueError`` / ``InvalidParameterError``; ``accepts(value)``
    says whether an already-parsed value (from Python) is of the right kind."""

    parse_text: Callable[[str], Any]
    description: str
    accepts: Callable[[Any], bool] = lambda value: False

    def describe(self) -> str:
        return self.description

    def bad_element(self, value: Any) -> tuple[bool, Any]:
        return (not self.accepts(value)), value


Constraint = Interval | Options | SeedLike | Switch | Parsed


def describe(constraint: Constraint) -> str:
    """What a constraint allows, as the refusal says it (integers also "at most 2^53")."""
    text = constraint.describe()
    if isinstance(constraint, Interval) and constraint.kind is Integral and constraint.high is None:
        text += " (at most 2^53)"
    return text


def parse_text(constraint: Constraint, text: str) -> Any:
    """The value that the text ``text`` stands for under ``constraint`` (not yet range-checked).

    Raises ``ValueError`` when the text is not of the constraint's kind at all."""
    text = text.strip()
    if isinstance(constraint, Parsed):
        return constraint.parse_text(text)
    if isinstance(constraint, Options):
        return text
    if isinstance(constraint, Switch):
        low = text.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ValueError(text)
    if isinstance(constraint, SeedLike) or (isinstance(constraint, Interval) and constraint.kind is Integral):
        return int(text.replace("_", ""), 10)
    if isinstance(constraint, Interval) and constraint.kind is Real:
        try:  # an integer stays an integer (a sample count typed as 1000 is echoed as 1000)
            return int(text.replace("_", ""), 10)
        except ValueError:
            return float(text)
    raise ValueError(text)  # pragma: no cover - every constraint kind is handled above


@dataclass(frozen=True)
class Param:
    """One parameter of a family's setting, declared once.

    ``name``: the keyword, sweep key and (with ``-`` for ``_``) the flag. ``constraint``: what is allowed
    (``None``: the theory function's ``@validate`` constraint of the keyword ``name``). ``default``:
    :data:`REQUIRED`, ``None`` (optional, absent by default) or a value. ``keywords``: the library keywords
    this parameter becomes (default ``(name,)``; e.g. ``spectrum`` becomes ``eigenvalues``): a refusal of one
    of them is reported under this parameter's name. ``group``: parameters sharing a group are alternatives
    (exactly one must be given, e.g. a fixed bandwidth or a bandwidth rule). ``metavar``: the placeholder shown
    in ``--help``. ``aliases``: deprecated spellings of the name, accepted (with a note) for one release.
    """

    name: str
    constraint: Constraint | None
    help: str
    default: Any = REQUIRED
    keywords: tuple[str, ...] = ()
    group: str | None = None
    metavar: str | None = None
    aliases: tuple[str, ...] = ()  # deprecated spellings (flags and spec keys), accepted for one release

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def switch(self) -> bool:
        return isinstance(self.constraint, Switch)

    def all_keywords(self) -> tuple[str, ...]:
        return (self.name, *self.keywords)

    def help_text(self) -> str:
        """The help with the default said once (``%`` escaped for argparse by the caller)."""
        if self.required:
            return f"{self.help} (required)" if self.group is None else self.help
        if self.switch or self.default is None:
            return self.help
        return f"{self.help} (default: {_show_default(self.default)})"


def _show_default(v: Any) -> str:
    return getattr(v, "text", None) or str(v)


def check_value(param: Param, constraint: Constraint | None, value: Any, where: str | None = None) -> Any:
    """``value`` if it satisfies the constraint, else :class:`InvalidParameterError` about ``param``."""
    if constraint is None or value is None:
        return value
    if isinstance(constraint, Interval) and constraint.kind is Integral and not isinstance(value, bool):
        try:
            too_big = abs(int(value)) > MAX_INT if float(value).is_integer() else False
        except (TypeError, ValueError, OverflowError):
            too_big = False
        if too_big:
            raise InvalidParameterError.of(param.name, where, f"must be {describe(constraint)}. Got {value} instead.")
    bad, elem = constraint.bad_element(value)
    if not bad and isinstance(constraint, Interval) and constraint.kind is Integral and isinstance(value, float):
        return int(value)  # 3.0 from a spec or a caller: the integer 3 (an integer type reaches the functions)
    if bad:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            shown = repr(value) if isinstance(value, str) else value  # the value as given (0, not 0.0)
        else:
            shown = repr(elem) if not isinstance(elem, int | float) else elem
        raise InvalidParameterError.of(param.name, where, f"must be {describe(constraint)}. Got {shown} instead.")
    return value


class LazyFunction:
    """A function named by ``"package.module:function"``, imported on first use.

    It is called like the function, ``inspect.signature`` sees the function's signature, and any attribute
    (e.g. ``parameter_constraints``) is the function's. ``__module__`` and ``__name__`` are known without the
    import, so a registry can list thousands of them for free."""

    def __init__(self, path: str):
        module, _, name = path.partition(":")
        if not module or not name:
            raise ValueError(f"LazyFunction needs 'module:function', got {path!r}")
        self.path = path
        self.__module__ = module
        self.__name__ = self.__qualname__ = name
        self._target: Callable | None = None

    def resolve(self) -> Callable:
        if self._target is None:
            self._target = getattr(importlib.import_module(self.__module__), self.__name__)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name not in ("__wrapped__", "__doc__"):
            raise AttributeError(name)
        return getattr(self.resolve(), name)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.resolve())

    def __repr__(self) -> str:
        return f"LazyFunction({self.path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyFunction) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


def lazy(target: Callable | str | None) -> Callable | None:
    """A callable: ``target`` itself, or a :class:`LazyFunction` for a ``"module:function"`` path."""
    return LazyFunction(target) if isinstance(target, str) else target


@dataclass(frozen=True)
class Hooks:
    """What a family adds to the generic predict/simulate path (every hook is optional).

    All take ``values``: the setting as a namespace of declared parameter values (defaults filled in), plus
    ``trials`` and ``method`` when simulating.

    - ``keywords(values) -> dict``: the theory function's keywords (default: the values of the parameters
      that are keywords of the theory function);
    - ``check(values, command)``: joint checks that no single constraint expresses;
    - ``cost(values, command) -> (items, flops)``: the largest allocations ``[(param name, bytes)]`` and the
      work in floating-point operations, known before anything is allocated;
    - ``extras(values, keywords, out)``: extra outputs of predict (keys listed in the family's ``extra_keys``);
    - ``simulator_keywords(values) -> dict``: simulator-only keywords (default: the values of the
      simulate-only parameters);
    - ``notes(values)``: information for stderr (``warnings.warn(..., resources.Note)``).
    """

    keywords: Callable | None = None
    check: Callable | None = None
    cost: Callable | None = None
    extras: Callable | None = None
    simulator_keywords: Callable | None = None
    notes: Callable | None = None


@dataclass(frozen=True)
class Family:
    """One entry of the registry: a model family (theory and simulator twins) or a theory-only command.

    The generic checks (tests/family_checks.py) read ``fields``, ``reference``, ``n_trials``, ``allowance``,
    ``perturbed`` and the other contract fields; the command line, sweeps and :func:`model_collapse.families.run`
    read ``params`` (the setting, shared by predict and simulate), ``predict_params`` / ``simulate_params``
    (options of one command only) and ``hooks``. ``predict`` and ``simulate`` are callables or
    ``"module:function"`` paths (imported on first use, so that listing the registry imports no theory code).
    A family without a simulator has ``simulate=None``; ``contract=False`` keeps a theory-only command out of
    the twin checks.
    """

    name: str
    cli: str
    help: str
    predict: Callable
    simulate: Callable | None
    params: tuple[Param, ...]
    fields: tuple[str, ...] = ()
    reference: Mapping = field(default_factory=dict)
    n_trials: int = 100
    allowance: float = 0.0
    perturbed: Callable[[dict], dict] | None = None
    perturbed_note: str = ""
    figures: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # the simulator's methods, its default first
    theory_options: frozenset = frozenset()
    simulator_options: frozenset = frozenset()
    z: float = 4.0
    signed_keys: frozenset = frozenset()  # output keys that may be negative (all others are >= 0)
    diagnostics: frozenset = frozenset()  # result fields of one twin with no counterpart in the other
    note: str = ""
    # keywords over which ``predict`` broadcasts elementwise, giving each element exactly the number of a scalar
    # call (collapse sweep evaluates points that differ only in these in one call; tests/test_sweep.py checks it)
    broadcast: frozenset = frozenset()
    predict_params: tuple[Param, ...] = ()
    simulate_params: tuple[Param, ...] = ()
    hooks: Hooks = Hooks()
    extra_keys: tuple[str, ...] = ()  # outputs of predict beyond the theory result's fields
    cli_reference: tuple[str, ...] = ()  # the flags of a small setting (the contract's CLI check)
    contract: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "predict", lazy(self.predict))
        object.__setattr__(self, "simulate", lazy(self.simulate))
        names = [p.name for p in self.all_params()]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"family {self.name}: parameters declared twice: {sorted(dup)}")

    def reference_setting(self) -> dict:
        """A fresh copy of the reference setting (arrays copied)."""
        import numpy as np

        return {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in self.reference.items()}

    def all_params(self) -> tuple[Param, ...]:
        return (*self.params, *self.predict_params, *self.simulate_params)

    def params_for(self, command: str) -> tuple[Param, ...]:
        """The declared parameters of ``predict`` or ``simulate`` (the setting first)."""
        return (*self.params, *(self.predict_params if command == "predict" else self.simulate_params))

    def param(self, name: str) -> Param:
        for p in self.all_params():
            if p.name == name:
                return p
        raise KeyError(name)

    def owner(self, keyword: str) -> Param | None:
        """The declared parameter that the library keyword ``keyword`` comes from (None: none does)."""
        for p in self.all_params():
            if keyword in p.all_keywords() or keyword in p.aliases:
                return p
        return None
