"""A sweep spec: TOML (or a dict) -> :class:`SweepSpec`, every point checked before any work.

Spec keys are the family's declared parameter names (:class:`model_collapse.params.Param`; ``-`` is accepted
for ``_``). Each value is checked by :func:`model_collapse.families.resolve` for every command of the mode (a
string for a numeric parameter is parsed as on the command line, a number is checked directly), then every
point is prepared with :func:`model_collapse.families.prepare` (memory check, joint checks, keywords) and its
keywords are checked against the theory's / simulator's declared constraints. A refusal is one line naming the
spec key (:meth:`model_collapse.validation.InvalidParameterError.render` with :func:`spec_key`).

A point's identity is the canonical JSON of its checked values that differ from the declared defaults (numbers
written as the parameter's kind: a float parameter given ``1`` is ``1.0``); its sha256 gives the spawn key of
the point's seed, so the same point has the same random numbers in any grid.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
from model_collapse import families, resources
from model_collapse.params import Family, Param
from model_collapse.spectra_named import shared as shared_spectra
from model_collapse.sweep.canonical import canonical, freeze, is_number, json_default, jsonable, same, show, spawn_key
from model_collapse.validation import Interval, InvalidParameterError, check_param, is_sealed, seal

__all__ = ["SpecError", "SweepPoint", "SweepSpec", "load_spec", "parse_spec", "spec_params", "spec_key", "refusal",
           "MODES", "TOP_KEYS", "MAX_POINTS", "MAX_CHUNK"]

MODES = ("predict", "simulate", "both")
TOP_KEYS = ("family", "mode", "trials", "seed", "chunk", "fixed", "grid", "zip")
#: declared parameters that are top-level keys of the spec, not [fixed]/[grid]/[zip] keys
TOP_LEVEL = ("trials", "seed")
MAX_POINTS = 1_000_000
MAX_CHUNK = 100_000


class SpecError(InvalidParameterError):
    """A sweep spec that cannot run: one line naming the key and what is allowed."""


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: its id (position in the grid), its spec parameters and their checked values."""

    id: int
    params: dict                                 # spec key -> value as written in the spec
    predict_values: argparse.Namespace | None    # families.resolve(fam, "predict", ...) (prepared)
    simulate_values: argparse.Namespace | None   # families.resolve(fam, "simulate", ...) with trials and seed
    key: tuple[int, ...]                         # spawn key of its seed: a digest of its canonical parameters
    # the keyword settings computed when the spec was validated (arrays shared between points); not sent to
    # Dask workers, which recompute them with families.prepare
    predict_setting: dict | None = field(default=None, repr=False, compare=False)
    simulate_setting: dict | None = field(default=None, repr=False, compare=False)
    work: float = field(default=0.0, compare=False)  # estimated floating-point operations

    def bare(self) -> SweepPoint:
        """The point without its cached settings (what a remote worker receives)."""
        return replace(self, predict_setting=None, simulate_setting=None)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the family, what to compute, and every point (all checked before any work)."""

    family: str                           # registry name
    cli: str                              # CLI word
    mode: str
    trials: int
    seed: int
    chunk: int                            # points per chunk (part file)
    source: str                           # where the spec came from (for messages)
    raw: dict                             # the spec as written (JSON-able), keys normalised
    digest: str                           # sha256 of the canonical spec
    columns: dict                         # spec parameter -> column type ("int", "float", "bool", "string")
    points: tuple[SweepPoint, ...] = field(repr=False)
    work: float = 0.0                     # estimated floating-point operations of the whole sweep

    @property
    def n_chunks(self) -> int:
        return -(-len(self.points) // self.chunk)

    def chunk_points(self, k: int) -> tuple[SweepPoint, ...]:
        return self.points[k * self.chunk:(k + 1) * self.chunk]


# ------------------------------------------------------------------------------------------------- naming
def spec_params(fam: Family, command: str) -> dict[str, Param]:
    """The parameters a spec's tables may set for ``command`` (its declared parameters but trials and seed)."""
    return {p.name: p for p in families.command_params(fam, command) if p.name not in TOP_LEVEL}


def spec_key(fam: Family, name: str) -> str:
    """The spec key of a parameter or library keyword: the declared parameter that owns it
    (``eigenvalues2`` -> ``spectrum2``), ``trials`` for ``n_trials``, else the name itself."""
    owner = fam.owner(name)
    if owner is not None:
        return owner.name
    return "trials" if name == "n_trials" else name


def refusal(fam: Family, exc: Exception) -> str:
    """The first line of a refusal, every parameter named by its spec key."""
    text = exc.render(lambda k: spec_key(fam, k)) if isinstance(exc, InvalidParameterError) else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def describe(params: dict) -> str:
    return ", ".join(f"{k}={show(v)}" for k, v in params.items())


# ----------------------------------------------------------------------------------------------- loading
def parse_spec(text: str, source: str = "spec") -> SweepSpec:
    """Validate a TOML spec given as text; see :func:`load_spec`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {str(exc).splitlines()[0]}") from None
    return _validate(raw, source)


def load_spec(spec: str | os.PathLike | Mapping) -> SweepSpec:
    """Read and validate a sweep spec: a TOML file's path, or the same content as a dict.

    Every point is checked before anything runs: unknown family or key, a value the family's declared
    parameter refuses or its theory/simulator constraints refuse, a missing required parameter, an empty grid,
    zipped lists of different lengths, duplicate points, a run too large for this machine's memory. Each
    raises :class:`SpecError` (an :class:`InvalidParameterError`) with one line naming the key.
    """
    if isinstance(spec, Mapping):
        try:
            plain = json.loads(json.dumps(dict(spec), default=json_default))
        except (TypeError, ValueError) as exc:
            raise SpecError(f"spec: values must be numbers, strings, booleans, lists and tables ({exc})") from None
        return _validate(plain, "spec")
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the spec ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a text file (a TOML spec is UTF-8 text)") from None
    return parse_spec(text, str(path))


def _resolve_family(value: Any, src: str) -> Family:
    allowed = ", ".join(f"{f.name} ({f.cli})" for f in families.entries())
    if not isinstance(value, str):
        raise SpecError(f"{src}: family = {show(value)}: must be a registered family, one of {allowed}")
    for fam in families.entries():
        if value in (fam.name, fam.cli):
            return fam
    raise SpecError(f"{src}: family = {show(value)} is not a registered family; allowed: {allowed}")


def _top_level(raw: dict, src: str) -> tuple[Family, str, int, int, int | None]:
    unknown = [k for k in raw if k not in TOP_KEYS]
    if unknown:
        raise SpecError(f"{src}: unknown top-level key '{unknown[0]}'; allowed: {', '.join(TOP_KEYS)}")
    if "family" not in raw:
        allowed = ", ".join(f"{f.name} ({f.cli})" for f in families.entries())
        raise SpecError(f"{src}: missing 'family' (one of {allowed})")
    fam = _resolve_family(raw["family"], src)
    mode = raw.get("mode", "predict")
    if mode not in MODES:
        raise SpecError(f"{src}: mode = {show(mode)}: must be one of {', '.join(MODES)}")
    if mode != "predict" and fam.simulate is None:
        raise SpecError(f"{src}: mode = {show(mode)}: {fam.cli} has no simulator (a theory-only entry); use "
                        'mode = "predict"')
    trials = raw.get("trials", 100)
    if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 2**53:
        raise SpecError(f"{src}: trials = {show(trials)}: must be a positive integer (at most 2^53)")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"{src}: seed = {show(seed)}: must be a non-negative integer")
    chunk = raw.get("chunk")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= MAX_CHUNK):
        raise SpecError(f"{src}: chunk = {show(chunk)}: must be an integer in [1, {MAX_CHUNK}] (points per part file)")
    return fam, mode, trials, seed, chunk


def _table(spec: dict, name: str, src: str) -> dict:
    value = spec.get(name, {})
    if not isinstance(value, dict):
        raise SpecError(f"{src}: '{name}' must be a table ([{name}] followed by key = value lines)")
    return value


def _normalise_keys(table: dict, where: str, src: str) -> dict:
    out: dict = {}
    for k, v in table.items():
        key = k.replace("-", "_")
        if key in out:
            raise SpecError(f"{src}: [{where}] {k}: given twice (as {key} and {k})")
        out[key] = v
    return out


def _current_names(fam: Family, table: dict, where: str, src: str) -> dict:
    """The table with deprecated spellings of parameter names (``Param.aliases``) replaced by the current
    names, each noted once (accepted for one release; docs/theory.md §0)."""
    import warnings

    from model_collapse.resources import Note

    out: dict = {}
    for k, v in table.items():
        owner = fam.owner(k)
        key = owner.name if owner is not None and k in owner.aliases else k
        if key != k:
            warnings.warn(f"{src}: [{where}] '{k}' is deprecated and will be removed in the next release: it is now "
                          f"'{key}'", Note, stacklevel=2)
        if key in out:
            raise SpecError(f"{src}: [{where}] {k}: given twice (as {key} and {k})")
        out[key] = v
    return out


def _column_type(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "string"


# ------------------------------------------------------------------------------------------------ tables
def _axes(fam: Family, cmds: tuple[str, ...], fixed: dict, grid: dict, zips: list[dict], src: str
          ) -> tuple[list[tuple[tuple[str, ...], list[tuple]]], dict[str, str]]:
    """The grid's axes ((keys, value tuples) each) and the table each key is in; every key checked."""
    names = {cmd: spec_params(fam, cmd) for cmd in cmds}
    allowed = list(dict.fromkeys(k for cmd in cmds for k in names[cmd]))
    other = {cmd: spec_params(fam, cmd) for cmd in ("predict", "simulate")
             if cmd not in cmds and (cmd == "predict" or fam.simulate is not None)}
    seen: dict[str, str] = {}

    def check_key(key: str, where: str) -> None:
        if key in seen:
            raise SpecError(f"{src}: {key} is in both [{seen[key]}] and [{where}]; give it once")
        seen[key] = where
        if key in TOP_LEVEL:
            raise SpecError(f"{src}: [{where}] {key}: set it at the top level of the spec ({key} = ...)")
        if key in allowed:
            return
        for cmd, params in other.items():
            if key in params:
                need = "simulate or both" if cmd == "simulate" else "predict or both"
                raise SpecError(f"{src}: [{where}] {key}: only with mode = {need} (a '{cmd}' option)")
        owner = fam.owner(key)
        hint = f" ('{key}' is the library keyword of the parameter '{owner.name}')" if owner is not None else ""
        raise SpecError(f"{src}: [{where}] {key}: unknown parameter of {fam.name}{hint}; allowed: {', '.join(allowed)}")

    for k, v in fixed.items():
        check_key(k, "fixed")
        if isinstance(v, list | dict):
            raise SpecError(f"{src}: [fixed] {k} = {show(v)}: must be a single value (sweep lists in [grid])")
    axes: list[tuple[tuple[str, ...], list[tuple]]] = []
    for k, v in grid.items():
        check_key(k, "grid")
        if not isinstance(v, list):
            raise SpecError(f"{src}: [grid] {k} = {show(v)}: must be a list of values (single values go in [fixed])")
        if not v:
            raise SpecError(f"{src}: [grid] {k} = []: an empty list sweeps nothing; give at least one value")
        axes.append(((k,), [(x,) for x in v]))
    for z in zips:
        if not z:
            raise SpecError(f"{src}: [zip] is empty; give lists of equal length to sweep together")
        lengths = {}
        for k, v in z.items():
            check_key(k, "zip")
            if not isinstance(v, list):
                raise SpecError(f"{src}: [zip] {k} = {show(v)}: must be a list of values (zipped with the others)")
            if not v:
                raise SpecError(f"{src}: [zip] {k} = []: an empty list sweeps nothing; give at least one value")
            lengths[k] = len(v)
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise SpecError(f"{src}: [zip] lists must have equal lengths ({shown} values)")
        keys = tuple(z)
        axes.append((keys, list(zip(*(z[k] for k in keys), strict=True))))
    if not axes:
        raise SpecError(f"{src}: the grid is empty: give [grid] (or [zip]) lists to sweep (one setting is "
                        f"'collapse {'simulate' if cmds == ('simulate',) else 'predict'} {fam.cli}')")
    n_points = math.prod(len(vals) for _, vals in axes)
    if n_points > MAX_POINTS:
        raise SpecError(f"{src}: the grid has {n_points} points; at most {MAX_POINTS} per sweep (split it)")
    for k, v in list(fixed.items()) + [(k, x) for keys, vals in axes for t in vals
                                       for k, x in zip(keys, t, strict=True)]:
        if not isinstance(v, bool | str | int | float):
            raise SpecError(f"{src}: {k} = {show(v)}: each value must be a single number, string or boolean")
    _check_required(fam, cmds, seen, src)
    return axes, seen


def _check_required(fam: Family, cmds: tuple[str, ...], seen: dict, src: str) -> None:
    """Every required parameter given, and exactly one of each group of alternatives."""
    for cmd in cmds:
        groups: dict[str, list[str]] = {}
        for p in spec_params(fam, cmd).values():
            if p.group is not None:
                groups.setdefault(p.group, []).append(p.name)
            elif p.required and p.name not in seen:
                raise SpecError(f"{src}: missing parameter '{p.name}' (required by 'collapse {cmd} {fam.cli}'); "
                                "put it in [fixed] or [grid]")
        for members in groups.values():
            chosen = [m for m in members if m in seen]
            if not chosen:
                raise SpecError(f"{src}: missing parameter: one of {', '.join(members)} is required (by 'collapse "
                                f"{cmd} {fam.cli}'); put it in [fixed] or [grid]")
            if len(chosen) > 1:
                raise SpecError(f"{src}: {', '.join(chosen)}: give only one of them (alternatives of 'collapse {cmd} "
                                f"{fam.cli}')")


# ---------------------------------------------------------------------------------------------- checking
class _Values:
    """The checked values of the points for one command: each distinct spec value is checked once by
    :func:`families.resolve` (a parameter's checked value depends on its own value only)."""

    def __init__(self, fam: Family, cmd: str, mode: str, first: dict, extra: dict, where: dict, src: str):
        self.fam, self.cmd, self.mode, self.where, self.src = fam, cmd, mode, where, src
        names = spec_params(fam, cmd)
        self.keys = [k for k in first if k in names]
        self.given = {**{k: first[k] for k in self.keys}, **extra}
        self.cache: dict = {}
        try:
            self.base = families.resolve(fam, cmd, self.given)
        except InvalidParameterError as exc:
            key = exc.parameter if exc.parameter in self.keys else None
            if key is None:
                raise SpecError(f"{src}: point 0 ({describe(first)}): {refusal(fam, exc)}") from None
            raise self._error(key, first[key], exc) from None
        for k in self.keys:
            self.cache[(k, type(first[k]), first[k])] = getattr(self.base, k)

    def _error(self, key: str, value: Any, exc: InvalidParameterError) -> SpecError:
        msg = f"{self.src}: [{self.where[key]}] {key} = {show(value)}: {refusal(self.fam, exc)}"
        if self.mode == "both" and self.cmd == "simulate" and key in spec_params(self.fam, "predict"):
            msg += f" (for 'collapse simulate {self.fam.cli}': mode = both needs a value both commands accept)"
        return SpecError(msg)

    def value(self, key: str, v: Any) -> Any:
        ck = (key, type(v), v)
        if ck not in self.cache:
            try:
                self.cache[ck] = getattr(families.resolve(self.fam, self.cmd, {**self.given, key: v}), key)
            except InvalidParameterError as exc:
                raise self._error(key, v, exc) from None
        return self.cache[ck]

    def of(self, params: dict) -> argparse.Namespace:
        """The point's checked values (a fresh namespace: preparing it fills in derived values such as d)."""
        ns = argparse.Namespace(**vars(self.base))
        for k in self.keys:
            setattr(ns, k, self.value(k, params[k]))
        return ns


def _kinds(fam: Family, cmds: tuple[str, ...], keys: list[str]) -> dict[str, type | None]:
    """Per spec key, the kind of number (Real or Integral) its identity is written in: that of the simulator's
    constraint where the family has one (so that a point's seed does not depend on the mode), else the theory's."""
    out: dict[str, type | None] = {}
    for key in keys:
        cmd = "simulate" if fam.simulate is not None and key in spec_params(fam, "simulate") else (
            "predict" if key in spec_params(fam, "predict") else cmds[0])
        param = spec_params(fam, cmd)[key]
        c = families.constraint_of(fam, param, cmd)
        out[key] = c.kind if isinstance(c, Interval) else None
    return out


def _as_kind(v: Any, kind: type | None) -> Any:
    if kind is Real and is_number(v):
        return float(v)
    if kind is Integral and is_number(v) and float(v).is_integer():
        return int(v)
    return v


class _Identity:
    """A point's identity: the canonical JSON of its checked values that differ from the declared defaults.
    Each key's part depends on its own value only, so it is computed once per distinct value."""

    def __init__(self, fam: Family, checkers: dict[str, _Values], keys: list[str], kinds: dict):
        self.keys, self.kinds, self.parts, self.texts = keys, kinds, {}, {}
        self.sorted_keys = sorted(keys)
        self.source = {}  # key -> (checker, its declared default): the first command that takes the key
        for cmd, checker in checkers.items():
            params = spec_params(fam, cmd)
            for k in keys:
                if k in params and k not in self.source:
                    self.source[k] = (checker, _as_kind(params[k].default, kinds[k]))

    def part(self, key: str, v: Any) -> Any:
        ck = (key, type(v), v)
        if ck not in self.parts:
            checker, default = self.source[key]
            value = _as_kind(checker.value(key, v), self.kinds[key])
            self.parts[ck] = _DEFAULT if same(value, default) else jsonable(value)
        return self.parts[ck]

    def text(self, key: str, v: Any) -> str | None:
        """The key's member of the canonical JSON object (``"key":VALUE``), None at the default; once per value."""
        ck = (key, type(v), v)
        if ck not in self.texts:
            part = self.part(key, v)
            self.texts[ck] = None if part is _DEFAULT else canonical({key: part})[1:-1]
        return self.texts[ck]

    def of(self, params: dict) -> str:
        """``canonical({key: part, ...})`` (sorted keys, no spaces), assembled from the members of each value."""
        members = [self.text(k, params[k]) for k in self.sorted_keys]
        return "{" + ",".join(m for m in members if m is not None) + "}"


_DEFAULT = object()


def _intern(s: dict, interned: dict) -> dict:
    """The setting with each array replaced by one shared, read-only copy of equal arrays (a 10⁴-point grid
    at d = 1000 holds one spectrum, not 10⁴)."""
    out = {}
    for k, v in s.items():
        if isinstance(v, np.ndarray) and not is_sealed(v):  # (a sealed one, e.g. from shared spectra, is kept)
            fk = freeze(v)
            if fk not in interned:
                interned[fk] = seal(v)  # read-only and checked once by each constraint
            v = interned[fk]
        out[k] = v
    return out


def _check_keywords(fam: Family, cmd: str, setting: dict, checked: set) -> None:
    """The theory's (simulator's) declared constraints on the keywords (scalars checked once per value)."""
    func = fam.predict if cmd == "predict" else fam.simulate
    for name, c in getattr(func, "parameter_constraints", {}).items():
        value = setting.get(name)
        if c is None or value is None:
            continue
        if type(value) in (int, float, str, bool):
            ck = (cmd, name, type(value).__name__, repr(value))
            if ck not in checked:
                check_param(name, value, c, cmd)
                checked.add(ck)
        else:
            check_param(name, value, c, cmd)


def _validate(raw: dict, src: str) -> SweepSpec:
    fam, mode, trials, seed, chunk = _top_level(raw, src)
    fixed = _normalise_keys(_table(raw, "fixed", src), "fixed", src)
    grid = _normalise_keys(_table(raw, "grid", src), "grid", src)
    zraw = raw.get("zip", [])
    zips_in = [zraw] if isinstance(zraw, dict) else zraw
    if not isinstance(zips_in, list) or not all(isinstance(z, dict) for z in zips_in):
        raise SpecError(f"{src}: 'zip' must be a table ([zip]) or an array of tables ([[zip]]) of equal-length lists")
    zips = [_normalise_keys(z, "zip", src) for z in zips_in]
    fixed, grid = _current_names(fam, fixed, "fixed", src), _current_names(fam, grid, "grid", src)
    zips = [_current_names(fam, z, "zip", src) for z in zips]
    cmds = tuple(c for c in ("predict", "simulate") if mode in (c, "both"))
    axes, where = _axes(fam, cmds, fixed, grid, zips, src)

    keys_in_order = [k for keys, _ in axes for k in keys] + list(fixed)
    columns = {}
    for k in keys_in_order:
        vals = [fixed[k]] if k in fixed else [t[keys.index(k)] for keys, vals in axes if k in keys for t in vals]
        columns[k] = _column_type(vals)
    kinds = _kinds(fam, cmds, keys_in_order)

    def params_of(combo: tuple) -> dict:
        params = {k: x for (keys, _), t in zip(axes, combo, strict=True) for k, x in zip(keys, t, strict=True)}
        params.update(fixed)
        return {k: params[k] for k in keys_in_order}

    first = params_of(tuple(vals[0] for _, vals in axes))
    checkers = {cmd: _Values(fam, cmd, mode, first, {"trials": trials, "seed": seed} if cmd == "simulate" else {},
                             where, src) for cmd in cmds}
    identity = _Identity(fam, checkers, keys_in_order, kinds)
    checked: set = set()
    interned: dict = {}
    points = []
    identities: dict[str, int] = {}
    total_work = 0.0
    with shared_spectra():  # each (spectrum, d) built and checked once, shared by the points
        for pid, combo in enumerate(itertools.product(*(vals for _, vals in axes))):
            params = params_of(combo)
            values = [checkers[c].of(params) if c in checkers else None for c in ("predict", "simulate")]
            text = identity.of(params)
            if text in identities:
                raise SpecError(f"{src}: points {identities[text]} and {pid} are the same setting "
                                f"({describe(params)}); remove the repeated value")
            identities[text] = pid
            settings: list[dict | None] = [None, None]
            work = 0.0
            try:
                for j, cmd in enumerate(("predict", "simulate")):
                    if values[j] is not None:
                        setting, flops = families.prepare(fam, values[j])
                        settings[j] = _intern(setting, interned)
                        _check_keywords(fam, cmd, settings[j], checked)
                        work += flops
            except InvalidParameterError as exc:
                raise SpecError(f"{src}: point {pid} ({describe(params)}): {refusal(fam, exc)}") from None
            total_work += work
            points.append(SweepPoint(pid, params, values[0], values[1], spawn_key(text), settings[0], settings[1],
                                     work))

    if chunk is None:
        per_point = total_work / len(points) / resources.FLOPS_PER_SECOND
        chunk = int(min(1000, max(1, math.ceil(1.0 / max(per_point, 1e-9))), max(1, math.ceil(len(points) / 32))))
    norm = {"family": fam.name, "mode": mode, "trials": trials, "seed": seed, "fixed": fixed, "grid": grid,
            "zip": zips}
    if "chunk" in raw:
        norm["chunk"] = raw["chunk"]
    return SweepSpec(family=fam.name, cli=fam.cli, mode=mode, trials=trials, seed=seed, chunk=int(chunk),
                     source=src, raw=norm, digest=hashlib.sha256(canonical(norm).encode()).hexdigest(),
                     columns=columns, points=tuple(points), work=total_work)
