"""Declarative parameter validation shared by theory/, montecarlo/ and the command line.

Constraints are data (:class:`Interval`, :class:`Options`); :func:`validate` attaches them to a public
function and checks every call, array-valued arguments element by element. A violation raises
:class:`InvalidParameterError` with one message template, e.g.::

    The 'p2' parameter of test_error must be a float in the range [0, 1]. Got 1.5 instead.

NaN is never inside an :class:`Interval`. The command line turns this error into one line on stderr and
exit code 2.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "InvalidParameterError",
    "Interval",
    "Options",
    "SeedLike",
    "validate",
    "renamed",
    "check_param",
    "seal",
    "is_sealed",
    "POSITIVE",
    "NONNEGATIVE",
    "PROBABILITY",
    "POSITIVE_INT",
    "NONNEGATIVE_INT",
    "SEED",
    "SCALE",
    "EXPONENT",
]


class InvalidParameterError(ValueError, TypeError):
    """A public function received a parameter outside its documented domain.

    The error carries what it is about as data: ``parameter`` (the keyword, or ``None`` for an error about no
    single parameter), ``where`` (the function that refused it, or ``None``) and ``requirement`` (the sentence
    after the parameter's name, e.g. ``"must be a float in the range [0, 1]. Got 1.5 instead."``). ``refs``
    names other parameters that ``requirement`` mentions as ``{name}`` placeholders. :meth:`render` writes
    the message with each name spelled as the caller typed it: the command line passes flags (``--p2``), a
    sweep its spec keys, Python the keywords (``str(error)``). Build one with :meth:`of`.
    """

    def __init__(self, message: str = "", *, parameter: str | None = None, where: str | None = None,
                 requirement: str | None = None, refs: tuple[str, ...] = ()):
        super().__init__(message)
        self.parameter, self.where, self.requirement, self.refs = parameter, where, requirement, tuple(refs)

    @classmethod
    def of(cls, parameter: str, where: str | None, requirement: str, *, refs: tuple[str, ...] = ()
           ) -> InvalidParameterError:
        """The error "The 'PARAMETER' parameter of WHERE REQUIREMENT" (``where`` None: no "of" clause)."""
        err = cls("", parameter=parameter, where=where, requirement=requirement, refs=refs)
        err.args = (err.render(),)
        return err

    def render(self, spell: Callable[[str], str] | None = None) -> str:
        """The message with every parameter name passed through ``spell`` (default: the keyword itself);
        with a ``spell`` the "of WHERE" clause is left out (the caller did not call WHERE by name)."""
        if self.parameter is None or self.requirement is None:
            return str(self.args[0]) if self.args else ""
        name = spell or (lambda k: k)
        text = self.requirement.format_map({r: name(r) for r in self.refs}) if self.refs else self.requirement
        where = f" of {self.where}" if self.where and spell is None else ""
        return f"The '{name(self.parameter)}' parameter{where} {text}"


@dataclass(frozen=True)
class Interval:
    """Numbers of type ``kind`` (``Real`` or ``Integral``) between ``low`` and ``high``.

    ``closed`` is one of ``"both"``, ``"left"``, ``"right"``, ``"neither"``; ``None`` bounds are infinite.
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def describe(self) -> str:
        noun = "an int" if self.kind is Integral else "a float"
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{noun} in the range {left}{lo}, {hi}{right}"

    def bad_element(self, value: Any) -> tuple[bool, Any]:
        """Return (is_bad, offending element) for a scalar or array ``value``."""
        if type(value) is float or (type(value) is int and -2**63 <= value < 2**63):
            return self._bad_number(float(value))
        if isinstance(value, bool | np.bool_):
            return True, value
        try:
            arr = np.asarray(value)
        except Exception:  # pragma: no cover - exotic objects
            return True, value
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or arr.size == 0:
            return True, value
        if np.iscomplexobj(arr):
            return True, value
        arr = arr.astype(float, copy=False).ravel()
        bad = ~np.isfinite(arr) & ~np.isinf(arr)  # NaN
        if self.kind is Integral:
            with np.errstate(invalid="ignore"):
                bad |= np.isfinite(arr) & (arr != np.round(arr))
        if self.low is not None:
            bad |= arr < self.low if self.closed in ("both", "left") else arr <= self.low
        else:
            bad |= np.isneginf(arr)
        if self.high is not None:
            bad |= arr > self.high if self.closed in ("both", "right") else arr >= self.high
        else:
            bad |= np.isposinf(arr)
        if bad.any():
            return True, arr[np.argmax(bad)]
        return False, None


    def _bad_number(self, x: float) -> tuple[bool, Any]:
        """:meth:`bad_element` of one Python int or float (as float ``x``), without numpy's per-call overhead."""
        finite = math.isfinite(x)
        bad = x != x  # NaN
        if self.kind is Integral and finite and not x.is_integer():
            bad = True
        if self.low is not None:
            bad |= x < self.low if self.closed in ("both", "left") else x <= self.low
        else:
            bad |= x == -math.inf
        if self.high is not None:
            bad |= x > self.high if self.closed in ("both", "right") else x >= self.high
        else:
            bad |= x == math.inf
        return (True, np.float64(x)) if bad else (False, None)


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def bad_element(self, value: Any) -> tuple[bool, Any]:
        return (value not in self.values), value


@dataclass(frozen=True)
class SeedLike:
    """A simulation seed: a non-negative int of any size, or a ``numpy.random.SeedSequence``."""

    def describe(self) -> str:
        return "a non-negative int or a numpy.random.SeedSequence"

    def bad_element(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, np.random.SeedSequence):
            return False, None
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
            return True, value
        return (int(value) < 0), value


def _fmt(x: float) -> str:
    if isinstance(x, int | np.integer):
        return str(int(x))
    return str(int(x)) if float(x).is_integer() and abs(float(x)) < 1e16 else repr(float(x))


def _describe_got(value: Any) -> str:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _fmt(value) if np.isfinite(value) else str(float(value))
    return repr(value)


#: id of a sealed array -> (a weak reference to it, the constraints it satisfies)
_SEALED: dict[int, tuple[Any, list]] = {}


def seal(value: np.ndarray) -> np.ndarray:
    """A read-only copy of ``value`` whose checks are remembered: :func:`check_param` checks it against a
    constraint once (it cannot change: nothing else holds a writeable view of the copy). A sweep seals the
    arrays its points share (one spectrum for 10⁴ points) so that they are checked once, not once a point."""
    import weakref

    out = np.array(value, copy=True)
    out.flags.writeable = False
    key = id(out)
    _SEALED[key] = (weakref.ref(out, lambda _ref, k=key: _SEALED.pop(k, None)), [])
    return out


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is an array made by :func:`seal` (read-only, nothing else can write to it)."""
    entry = _SEALED.get(id(value)) if isinstance(value, np.ndarray) else None
    return entry is not None and entry[0]() is value and not value.flags.writeable


def check_param(name: str, value: Any, constraint: Interval | Options | SeedLike, where: str) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` satisfies ``constraint`` (a :func:`seal`-ed array
    that satisfied it before is not checked again)."""
    sealed = _SEALED.get(id(value)) if isinstance(value, np.ndarray) else None
    if sealed is not None and sealed[0]() is value and not value.flags.writeable:
        if any(c == constraint for c in sealed[1]):
            return
    else:
        sealed = None
    bad, elem = constraint.bad_element(value)
    if not bad and sealed is not None:
        sealed[1].append(constraint)
    if bad:
        shown = _describe_got(elem)
        if np.ndim(value) > 0 and not isinstance(value, str):
            shown = f"an array containing {shown}"
        raise InvalidParameterError.of(name, where, f"must be {constraint.describe()}. Got {shown} instead.")


def validate(**constraints: Interval | Options | None) -> Callable:
    """Decorator: check the named arguments of every call against their constraints.

    A constraint of ``None`` documents that the argument is checked inside the function. Arguments
    passed as ``None`` (optional inputs) are not checked. The dict is attached as
    ``func.parameter_constraints`` for the generic invalid-input test.
    """

    def decorate(func: Callable) -> Callable:
        sig = inspect.signature(func)
        unknown = set(constraints) - set(sig.parameters)
        if unknown:  # pragma: no cover - programming error
            raise TypeError(f"validate: {func.__name__} has no parameters {sorted(unknown)}")

        # a call that binds plainly (no *args/**kwargs in the signature, every name known, nothing given twice,
        # every required argument given) is checked without inspect's binder (per call ~40 µs saved)
        plain = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in sig.parameters.values())
        positional = [n for n, p in sig.parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
        defaults = {n: p.default for n, p in sig.parameters.items() if p.default is not p.empty}
        required = frozenset(sig.parameters) - frozenset(defaults)
        known = frozenset(sig.parameters)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if plain and len(args) <= len(positional):
                given = dict(zip(positional, args, strict=False))
                if not (given.keys() & kwargs.keys()) and kwargs.keys() <= known:
                    given.update(kwargs)
                    if required <= given.keys():
                        for name, constraint in constraints.items():
                            value = given.get(name, defaults.get(name))
                            if constraint is None or value is None:
                                continue
                            check_param(name, value, constraint, func.__name__)
                        return func(*args, **kwargs)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, constraint in constraints.items():
                value = bound.arguments[name]
                if constraint is None or value is None:
                    continue
                check_param(name, value, constraint, func.__name__)
            return func(*bound.args, **bound.kwargs)

        wrapper.parameter_constraints = dict(constraints)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def renamed(**old_to_new: str) -> Callable:
    """Decorator: accept the deprecated keyword spellings ``old=...`` for one release.

    ``@renamed(sigma2="variance")`` maps a call's ``sigma2=`` to ``variance=`` with a ``DeprecationWarning``
    naming both; giving both is refused (:class:`InvalidParameterError`). Apply it outside ``@validate`` so that
    validation sees the new name. ``func.renamed_keywords`` records the mapping (docs/theory.md §0 lists them).
    """

    def decorate(func: Callable) -> Callable:
        import warnings

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise InvalidParameterError.of(old, func.__name__, f"is the deprecated spelling of '{new}'; "
                                                       "give only one of them.")
                    warnings.warn(f"{func.__name__}: the keyword '{old}' is deprecated, use '{new}' (it will be "
                                  "removed in the next release)", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.renamed_keywords = dict(old_to_new)  # type: ignore[attr-defined]
        return wrapper

    return decorate


# Frequently used constraints, named once.
POSITIVE = Interval(Real, 0, None, closed="neither")
NONNEGATIVE = Interval(Real, 0, None, closed="left")
PROBABILITY = Interval(Real, 0, 1, closed="both")
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NONNEGATIVE_INT = Interval(Integral, 0, None, closed="left")
SEED = SeedLike()
#: A noise level, signal energy or penalty whose square (and products of two of them) stays in float64.
SCALE = Interval(Real, 0, 1e150, closed="both")
#: A spectral or source exponent (beyond 1e3 every eigenvalue but the first underflows anyway).
EXPONENT = Interval(Real, 0, 1e3, closed="right")
