"""`collapse sweep`: one model family over a grid of settings, theory and/or simulation, into a tidy Parquet table.

A sweep is a TOML spec (docs/sweep.md)::

    family = "ridge"            # a registry name (ridge_mixture) or the CLI word (ridge)
    mode = "both"               # predict | simulate | both (default predict)
    trials = 100                # simulation trials per point (default 100)
    seed = 0                    # the spec's seed (default 0)

    [fixed]                     # one value each: the family's CLI setting flags, underscored
    d = 1000
    spectrum = "powerlaw:1.5"

    [grid]                      # lists: the cross product is swept (the last key varies fastest)
    n = [1000, 10000]
    p2 = [0.0, 0.1, 0.5]

    [zip]                       # lists of one length, swept together as one axis ([[zip]]: several axes)
    lam = [1e-3, 1e-2]
    sigma = [0.5, 1.0]

Spec keys are the family's command-line flags (``--generator-samples`` is ``generator_samples``; a flag
without a value is ``true``/``false``), turned into keywords by the family's CLI module (``setting(args)``),
so every registered family works without sweep code, and every value is checked exactly as
``collapse predict|simulate WORD`` checks it. The whole grid is validated before any work: a bad spec is one
line naming the key and what is allowed (the CLI prints it and exits with code 2).

Output at ``--out DIR``: ``part-NNNNNN.parquet`` files (one per chunk of points, each written to a temporary
name and renamed, so a killed sweep leaves only whole files) and ``_manifest.json`` (spec, versions, seed,
counts, timing, warnings); ``pandas.read_parquet(DIR)`` reads the table: one row per point (per iteration when
the family returns per-iteration arrays), with ``point``, the spec's parameters, the theory fields and, for
simulation, ``FIELD_mean``, ``FIELD_se`` and (mode both) ``FIELD_z = (mean − theory)/se``. The table holds no
timings, hosts or worker ids. Each point's simulation seed is
``SeedSequence(seed, spawn_key=digest(point's parameters))``: the same point gives the same numbers in any
grid, on any number of workers, in any order, resumed or not.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import itertools
import json
import math
import os
import re
import struct
import sys
import time
import tomllib
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from model_collapse import __version__, resources
from model_collapse.montecarlo.trials import execution, point_seed
from model_collapse.validation import InvalidParameterError, check_param

__all__ = ["SweepSpec", "SweepPoint", "SweepResult", "load_spec", "parse_spec", "run_sweep", "read_sweep",
           "MODES", "MANIFEST"]

MODES = ("predict", "simulate", "both")
MANIFEST = "_manifest.json"
FORMAT = "model_collapse.sweep/1"
TOP_KEYS = ("family", "mode", "trials", "seed", "chunk", "fixed", "grid", "zip")
#: flags that are not setting parameters (``trials`` and ``seed`` are top-level keys of the spec)
RESERVED = frozenset({"help", "json", "progress", "trials", "seed"})
MAX_POINTS = 1_000_000
MAX_CHUNK = 100_000
#: columns the sweep adds itself (a result field of the same name gets the suffix ``_theory``)
OWN_COLUMNS = ("point", "iteration", "element")
EXTRA_HINT = 'pip install "model-collapse[sweep]"'


class SpecError(InvalidParameterError):
    """A sweep spec that cannot run: one line naming the key and what is allowed."""


# --------------------------------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class SweepPoint:
    """One grid point: its id (position in the grid), its spec parameters and the parsed flags."""

    id: int
    params: dict                          # spec key -> value as written in the spec
    predict_args: argparse.Namespace | None
    simulate_args: argparse.Namespace | None
    key: tuple[int, ...]                  # spawn key of its seed: a digest of its canonical parameters
    # the keyword settings computed when the spec was validated (arrays shared between points); not sent to
    # Dask workers, which recompute them from the flags
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


def _models():
    from model_collapse import cli

    return cli._models()


def _family_and_module(name: str):
    from model_collapse.families import family

    fam = family(name)
    mod = next((m for m in _models() if getattr(m, "FAMILY", None) == fam.name), None)
    return fam, mod


def _resolve_family(value: Any, src: str):
    from model_collapse.families import FAMILIES

    allowed = ", ".join(f"{f.name} ({f.cli})" for f in FAMILIES)
    if not isinstance(value, str):
        raise SpecError(f"{src}: family = {_show(value)}: must be a registered family, one of {allowed}")
    for fam in FAMILIES:
        if value in (fam.name, fam.cli):
            _, mod = _family_and_module(fam.name)
            if mod is None:
                raise SpecError(f"{src}: family = {_show(value)} has no command-line module (model_collapse.cli.MODELS)"
                                " to read its parameters from")
            return fam, mod
    raise SpecError(f"{src}: family = {_show(value)} is not a registered family; allowed: {allowed}")


def _show(v: Any) -> str:
    """A value as TOML writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{...}"
    return repr(v)


def _raise_argparse(message: str):
    raise _ArgError(message)


class _ArgError(Exception):
    pass


def _subparser(root: argparse.ArgumentParser, command: str, word: str) -> argparse.ArgumentParser:
    for a in root._actions:
        if isinstance(a, argparse._SubParsersAction):
            for b in a.choices[command]._actions:
                if isinstance(b, argparse._SubParsersAction):
                    sp = b.choices[word]
                    sp.error = _raise_argparse  # an exception instead of exit(2): the spec names the key
                    return sp
    raise KeyError(word)  # pragma: no cover


def _actions(sp: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in sp._actions if a.option_strings and a.dest not in RESERVED}


def _is_flag(action: argparse.Action) -> bool:
    return action.nargs == 0


def _convert(action: argparse.Action, value: Any, where: str) -> Any:
    """The spec value as the flag's parsed value (the same type function and choices as the CLI)."""
    if _is_flag(action):
        if not isinstance(value, bool):
            raise SpecError(f"{where}: must be true or false (the flag {action.option_strings[0]})")
        return action.const if value else action.default
    if isinstance(value, bool) or isinstance(value, list | dict) or not isinstance(value, str | int | float):
        raise SpecError(f"{where}: must be a single number or string (as after {action.option_strings[0]})")
    text = value if isinstance(value, str) else repr(value)
    parsed: Any = text
    if action.type is not None:
        try:
            parsed = action.type(text)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            msg = re.sub(r";? got .*$", "", str(exc).splitlines()[0] if str(exc) else "invalid value")
            raise SpecError(f"{where}: {msg}") from None
    if action.choices is not None and parsed not in action.choices:
        raise SpecError(f"{where}: must be one of {', '.join(map(str, action.choices))}")
    return parsed


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):  # a parsed flag value (e.g. a SpectrumSpec)
        return {"__type__": type(v).__name__, **{k: _jsonable(x) for k, x in dataclasses.asdict(v).items()}}
    return v


def _json_default(v: Any) -> Any:
    """``json.dumps(default=...)``: numpy values and tuples as plain values; anything else is refused."""
    out = _jsonable(v)
    if out is v:
        raise TypeError(f"a {type(v).__name__} value")
    return out


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=True)


def _spawn_key(identity: str) -> tuple[int, ...]:
    """Four 32-bit words of sha256(canonical JSON of the point's parameters): a stable, salt-free spawn key."""
    digest = hashlib.sha256(identity.encode()).digest()
    return struct.unpack(">4I", digest[:16])


def _column_type(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "string"


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


def parse_spec(text: str, source: str = "spec") -> SweepSpec:
    """Validate a TOML spec given as text; see :func:`load_spec`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {str(exc).splitlines()[0]}") from None
    return _validate(raw, source)


def load_spec(spec: str | os.PathLike | Mapping) -> SweepSpec:
    """Read and validate a sweep spec: a TOML file's path, or the same content as a dict.

    Every point is checked before anything runs: unknown family or key, a value the family's CLI flag
    refuses or its theory/simulator constraints refuse, a missing required parameter, an empty grid,
    zipped lists of different lengths, duplicate points, a run too large for this machine's memory. Each
    raises :class:`SpecError` (an :class:`InvalidParameterError`) with one line naming the key.
    """
    if isinstance(spec, Mapping):
        try:
            plain = json.loads(json.dumps(dict(spec), default=_json_default))
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


def _validate(raw: dict, src: str) -> SweepSpec:
    unknown = [k for k in raw if k not in TOP_KEYS]
    if unknown:
        raise SpecError(f"{src}: unknown top-level key '{unknown[0]}'; allowed: {', '.join(TOP_KEYS)}")
    if "family" not in raw:
        from model_collapse.families import FAMILIES

        raise SpecError(f"{src}: missing 'family' (one of {', '.join(f'{f.name} ({f.cli})' for f in FAMILIES)})")
    fam, mod = _resolve_family(raw["family"], src)
    mode = raw.get("mode", "predict")
    if mode not in MODES:
        raise SpecError(f"{src}: mode = {_show(mode)}: must be one of {', '.join(MODES)}")
    trials = raw.get("trials", 100)
    if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 2**53:
        raise SpecError(f"{src}: trials = {_show(trials)}: must be a positive integer (at most 2^53)")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"{src}: seed = {_show(seed)}: must be a non-negative integer")
    chunk = raw.get("chunk")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= MAX_CHUNK):
        raise SpecError(f"{src}: chunk = {_show(chunk)}: must be an integer in [1, {MAX_CHUNK}] (points per part file)")

    fixed = _normalise_keys(_table(raw, "fixed", src), "fixed", src)
    grid = _normalise_keys(_table(raw, "grid", src), "grid", src)
    zraw = raw.get("zip", [])
    zips_in = [zraw] if isinstance(zraw, dict) else zraw
    if not isinstance(zips_in, list) or not all(isinstance(z, dict) for z in zips_in):
        raise SpecError(f"{src}: 'zip' must be a table ([zip]) or an array of tables ([[zip]]) of equal-length lists")
    zips = [_normalise_keys(z, "zip", src) for z in zips_in]

    # which flags exist, per command
    from model_collapse import cli

    root = cli.build_parser()
    parsers = {}
    if mode in ("predict", "both"):
        parsers["predict"] = _subparser(root, "predict", fam.cli)
    if mode in ("simulate", "both"):
        parsers["simulate"] = _subparser(root, "simulate", fam.cli)
    acts = {cmd: _actions(sp) for cmd, sp in parsers.items()}
    allowed = list(dict.fromkeys(k for a in acts.values() for k in a))
    other = {}
    for cmd in ("predict", "simulate"):
        if cmd not in parsers:
            other[cmd] = _actions(_subparser(root, cmd, fam.cli))

    seen: dict[str, str] = {}

    def check_key(key: str, where: str) -> None:
        if key in seen:
            raise SpecError(f"{src}: {key} is in both [{seen[key]}] and [{where}]; give it once")
        seen[key] = where
        if key in ("trials", "seed"):
            raise SpecError(f"{src}: [{where}] {key}: set it at the top level of the spec ({key} = ...)")
        if key not in allowed:
            for cmd, a in other.items():
                if key in a:
                    need = "simulate or both" if cmd == "simulate" else "predict or both"
                    raise SpecError(f"{src}: [{where}] {key}: only with mode = {need} (a '{cmd}' option)")
            raise SpecError(f"{src}: [{where}] {key}: unknown parameter of {fam.name}; allowed: {', '.join(allowed)}")

    for k, v in fixed.items():
        check_key(k, "fixed")
        if isinstance(v, list | dict):
            raise SpecError(f"{src}: [fixed] {k} = {_show(v)}: must be a single value (sweep lists in [grid])")
    axes: list[tuple[tuple[str, ...], list[tuple]]] = []
    for k, v in grid.items():
        check_key(k, "grid")
        if not isinstance(v, list):
            raise SpecError(f"{src}: [grid] {k} = {_show(v)}: must be a list of values (single values go in [fixed])")
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
                raise SpecError(f"{src}: [zip] {k} = {_show(v)}: must be a list of values (zipped with the others)")
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
                        f"'collapse {'simulate' if mode == 'simulate' else 'predict'} {fam.cli}')")
    n_points = math.prod(len(vals) for _, vals in axes)
    if n_points > MAX_POINTS:
        raise SpecError(f"{src}: the grid has {n_points} points; at most {MAX_POINTS} per sweep (split it)")
    for k, v in list(fixed.items()) + [(k, x) for keys, vals in axes for t in vals for k, x in zip(keys, t,
                                                                                                    strict=True)]:
        if isinstance(v, list | dict):
            raise SpecError(f"{src}: {k} = {_show(v)}: each value must be a single number, string or boolean")

    for cmd, a in acts.items():
        for dest, action in a.items():
            if action.required and dest not in seen:
                raise SpecError(f"{src}: missing parameter '{dest}' (required by 'collapse {cmd} {fam.cli}'); "
                                "put it in [fixed] or [grid]")

    keys_in_order = [k for keys, _ in axes for k in keys] + list(fixed)
    where_of = {k: seen[k] for k in keys_in_order}
    columns = {}
    for k in keys_in_order:
        vals = [fixed[k]] if k in fixed else [t[keys.index(k)] for keys, vals in axes if k in keys for t in vals]
        columns[k] = _column_type(vals)

    # parse each distinct (key, value) once per command, then each distinct set of present flags once
    cache: dict = {}

    def parsed(cmd: str, key: str, value: Any) -> Any:
        ck = (cmd, key, type(value), value)
        if ck not in cache:
            action = acts[cmd].get(key)
            try:
                cache[ck] = _convert(action, value, f"{src}: [{where_of[key]}] {key} = {_show(value)}") \
                    if action is not None else _MISSING
            except SpecError as exc:
                if mode != "both":
                    raise
                raise SpecError(f"{exc} (for 'collapse {cmd} {fam.cli}': mode = both needs a value both commands "
                                "accept)") from None
        return cache[ck]

    bases: dict = {}

    def base_namespace(cmd: str, params: dict) -> argparse.Namespace:
        present = []
        for k, v in params.items():
            action = acts[cmd].get(k)
            if action is None or (_is_flag(action) and not v):
                continue
            present.append(k)
        pk = (cmd, tuple(present))
        if pk not in bases:
            argv = []
            for k in present:
                action = acts[cmd][k]
                argv += [action.option_strings[0]] if _is_flag(action) else [action.option_strings[0],
                                                                             _argv_text(params[k])]
            try:
                bases[pk] = parsers[cmd].parse_args(argv)
            except _ArgError as exc:
                raise SpecError(f"{src}: {_spec_words(str(exc), allowed)}") from None
        return bases[pk]

    defaults = {cmd: {dest: sp.get_default(dest) for dest in acts[cmd]} for cmd, sp in parsers.items()}
    constraints = {"predict": getattr(fam.predict, "parameter_constraints", {}),
                   "simulate": getattr(fam.simulate, "parameter_constraints", {})}
    checked: set = set()
    interned: dict = {}
    points = []
    identities: dict[str, int] = {}
    total_work = 0.0
    for pid, combo in enumerate(itertools.product(*(vals for _, vals in axes))):
        params = {k: x for (keys, _), t in zip(axes, combo, strict=True) for k, x in zip(keys, t, strict=True)}
        params.update(fixed)
        params = {k: params[k] for k in keys_in_order}
        nss: dict[str, argparse.Namespace | None] = {"predict": None, "simulate": None}
        identity: dict = {}
        for cmd in parsers:
            vals = {k: parsed(cmd, k, v) for k, v in params.items()}
            base = base_namespace(cmd, params)
            ns = argparse.Namespace(**{**vars(base), **{k: v for k, v in vals.items() if v is not _MISSING}})
            if cmd == "simulate":
                ns.trials, ns.seed = trials, seed
            nss[cmd] = ns
            for k, v in vals.items():
                if v is not _MISSING and k not in identity and not _same(v, defaults[cmd].get(k)):
                    identity[k] = _jsonable(v)
        text = _canonical(identity)
        if text in identities:
            raise SpecError(f"{src}: points {identities[text]} and {pid} are the same setting "
                            f"({_describe(params)}); remove the repeated value")
        identities[text] = pid
        try:
            work, settings = _check_point(fam, mod, nss, constraints, checked, interned)
        except InvalidParameterError as exc:
            raise SpecError(f"{src}: point {pid} ({_describe(params)}): "
                            f"{_spec_words(str(exc).splitlines()[0], allowed)}") from None
        total_work += work
        points.append(SweepPoint(pid, params, nss["predict"], nss["simulate"], _spawn_key(text),
                                 settings.get("predict"), settings.get("simulate"), work))

    if chunk is None:
        per_point = total_work / len(points) / resources.FLOPS_PER_SECOND
        chunk = int(min(1000, max(1, math.ceil(1.0 / max(per_point, 1e-9))), max(1, math.ceil(len(points) / 32))))
    norm = {"family": fam.name, "mode": mode, "trials": trials, "seed": seed, "fixed": fixed, "grid": grid,
            "zip": zips}
    if "chunk" in raw:
        norm["chunk"] = raw["chunk"]
    return SweepSpec(family=fam.name, cli=fam.cli, mode=mode, trials=trials, seed=seed, chunk=int(chunk),
                     source=src, raw=norm, digest=hashlib.sha256(_canonical(norm).encode()).hexdigest(),
                     columns=columns, points=tuple(points), work=total_work)


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    """Equal parsed values (arrays element by element)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and bool(np.all(a == b))
    return type(a) is type(b) and a == b


def _argv_text(v: Any) -> str:
    return v if isinstance(v, str) else repr(v)


def _describe(params: dict) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in params.items())


def _spec_words(msg: str, keys: list[str]) -> str:
    """Name spec keys instead of flags and library keywords: '--generator-samples' -> 'generator_samples'."""
    from model_collapse.cli import _FLAG_OF

    def flag(m):
        key = m.group(1).replace("-", "_")
        return f"'{key}'" if key in keys else m.group(0)

    msg = re.sub(r"the arguments ((?:--[a-z0-9\-]+ ?)+)", lambda m: "the parameters " + ", ".join(
        f.replace("-", "_") for f in m.group(1).replace("--", " ").split()) + " ", msg)
    msg = re.sub(r"'--([A-Za-z0-9\-]+)'", flag, msg)
    msg = re.sub(r"(?<![\w'])--([a-z0-9][a-z0-9\-]*)", lambda m: m.group(1).replace("-", "_")
                 if m.group(1).replace("-", "_") in keys else m.group(0), msg)
    m = re.match(r"The '([A-Za-z0-9_]+)' parameter of [A-Za-z_]+", msg)
    if m:
        name = m.group(1)
        key = _FLAG_OF.get(name, "--" + name)[2:].replace("-", "_")
        if key in keys:
            msg = msg.replace(m.group(0), f"The '{key}' parameter", 1)
    return msg


def _intern(s: dict, interned: dict) -> dict:
    """The setting with each array replaced by one shared, read-only copy of equal arrays (a 10⁴-point grid
    at d = 1000 holds one spectrum, not 10⁴)."""
    out = {}
    for k, v in s.items():
        if isinstance(v, np.ndarray):
            fk = _freeze(v)
            if fk not in interned:
                a = v.copy()
                a.flags.writeable = False
                interned[fk] = a
            v = interned[fk]
        out[k] = v
    return out


def _check_point(fam, mod, nss: dict, constraints: dict, checked: set, interned: dict) -> tuple[float, dict]:
    """Every check the CLI makes before computing (and the theory's/simulator's declared constraints); the
    estimated work in floating-point operations and the keyword settings."""
    work = 0.0
    settings = {}
    for cmd, ns in nss.items():
        if ns is None:
            continue
        simulate = cmd == "simulate"
        if hasattr(mod, "resources"):
            resources.check(mod.resources(ns, simulate))
        if not simulate and hasattr(mod, "check_predict"):
            mod.check_predict(ns)
        s = settings[cmd] = _intern(mod.setting(ns), interned)
        if simulate and hasattr(mod, "simulate_options"):
            mod.simulate_options(ns)
        where = "predict" if not simulate else "simulate"
        for name, c in constraints[cmd].items():
            value = s.get(name)
            if c is None or value is None:
                continue
            if type(value) in (int, float, str, bool):
                ck = (cmd, name, type(value).__name__, repr(value))
                if ck in checked:
                    continue
                check_param(name, value, c, where)
                checked.add(ck)
            else:
                check_param(name, value, c, where)
        if hasattr(mod, "work"):
            work += float(mod.work(ns, simulate))
    return work, settings


# ------------------------------------------------------------------------------------------------------ compute
@dataclass(frozen=True)
class _Task:
    family: str
    mode: str
    trials: int
    seed: int
    index: int
    points: tuple[SweepPoint, ...]
    threads: int | None  # simulator threads per point (1 on Dask workers: the cluster is the parallelism)


@dataclass(frozen=True)
class _ChunkResult:
    index: int
    rows: list
    warnings: dict  # message -> number of points (or vectorised calls) that warned


def _freeze(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, list | tuple):
        return ("seq", tuple(_freeze(x) for x in v))
    return (type(v).__name__, v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def _split(res: Any, size: int) -> list | None:
    """The per-point results of one vectorised call (None if its fields do not have the expected shape)."""
    import dataclasses

    if not dataclasses.is_dataclass(res):
        return None
    names = [f.name for f in dataclasses.fields(res) if f.init]
    values = {k: getattr(res, k) for k in names}
    for v in values.values():
        if isinstance(v, np.ndarray) and v.ndim and v.shape[0] != size:
            return None
        if isinstance(v, np.ndarray) and v.ndim > 1:
            return None
    return [replace(res, **{k: (v[j] if isinstance(v, np.ndarray) and v.ndim else v) for k, v in values.items()})
            for j in range(size)]


def predict_points(fam, mod, args_list: list[argparse.Namespace], settings: list[dict] | None = None) -> list[dict]:
    """``collapse predict`` on each namespace (the CLI's output dict), in one call per group of points that
    differ only in the family's broadcast keywords (``Family.broadcast``): exactly the per-point numbers.
    ``settings``: the namespaces' keyword settings when already computed (``mod.setting(args)``)."""
    if settings is None:
        settings = [mod.setting(a) for a in args_list]
    out: list[dict | None] = [None] * len(settings)
    groups: dict = {}
    for i, s in enumerate(settings):
        bkeys = tuple(sorted(k for k in fam.broadcast if k in s and _is_number(s[k])))
        rest = tuple((k, _freeze(v)) for k, v in s.items() if k not in bkeys)
        groups.setdefault((bkeys, rest) if bkeys else ("single", i), []).append(i)
    for gk, idx in groups.items():
        if len(idx) > 1:
            bkeys = gk[0]
            first = settings[idx[0]]
            kw = {k: v for k, v in first.items() if k not in bkeys}
            kw.update({k: np.array([settings[i][k] for i in idx]) for k in bkeys})
            try:
                parts = _split(fam.predict(**kw), len(idx))
            except InvalidParameterError:
                parts = None  # one point is refused: evaluate them one by one to name it
            if parts is not None:
                for j, i in enumerate(idx):
                    out[i] = parts[j].as_dict()
                continue
        for i in idx:
            out[i] = fam.predict(**settings[i]).as_dict()
    if hasattr(mod, "predict_extras"):
        for a, s, o in zip(args_list, settings, out, strict=True):
            mod.predict_extras(a, s, o)
    return out  # type: ignore[return-value]


def simulate_point(fam, mod, args: argparse.Namespace, trials: int, seed: int, key: tuple[int, ...],
                   setting: dict | None = None) -> dict:
    """``collapse simulate`` at one point, seeded by ``point_seed(seed, *key)`` (the point's own stream)."""
    kw: dict = dict(n_trials=trials, seed=point_seed(seed, *key))
    if fam.methods:
        kw["method"] = args.method
    if hasattr(mod, "simulate_options"):
        kw.update(mod.simulate_options(args))
    return fam.simulate(**(mod.setting(args) if setting is None else setting), **kw).as_dict()


def _run_chunk(task: _Task) -> _ChunkResult:
    """Compute one chunk of points (in-process or on a Dask worker): the rows of its part file."""
    fam, mod = _family_and_module(task.family)
    counts: dict[str, int] = {}
    pts = task.points
    need = (["predict"] if task.mode != "simulate" else []) + (["simulate"] if task.mode != "predict" else [])
    if any(getattr(p, f"{c}_setting") is None for p in pts for c in need):  # a remote worker: from the flags
        pts = tuple(replace(p, **{f"{c}_setting": mod.setting(getattr(p, f"{c}_args")) for c in need}) for p in pts)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"), \
            execution(workers=task.threads):
        warnings.simplefilter("always")
        theory: list = [None] * len(task.points)
        if task.mode in ("predict", "both"):
            try:
                theory = predict_points(fam, mod, [p.predict_args for p in pts], [p.predict_setting for p in pts])
            except InvalidParameterError:
                theory = []
                for p in pts:  # name the point that is refused
                    try:
                        theory += predict_points(fam, mod, [p.predict_args], [p.predict_setting])
                    except InvalidParameterError as exc:
                        raise _stopped(p, exc) from None
        rows = []
        for p, th in zip(pts, theory, strict=True):
            sim = None
            if task.mode in ("simulate", "both"):
                try:
                    sim = simulate_point(fam, mod, p.simulate_args, task.trials, task.seed, p.key, p.simulate_setting)
                except InvalidParameterError as exc:
                    raise _stopped(p, exc) from None
            rows += _rows(p, th, sim, p.simulate_setting if p.simulate_setting is not None else p.predict_setting)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning):
            msg = str(w.message).splitlines()[0] if str(w.message) else w.category.__name__
            counts[msg] = counts.get(msg, 0) + 1
    return _ChunkResult(task.index, rows, counts)


def _stopped(p: SweepPoint, exc: Exception) -> InvalidParameterError:
    """A point refused by the computation itself (a cross-parameter limit no flag states): one line naming it."""
    text = _spec_words(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, list(p.params))
    return InvalidParameterError(f"the sweep stopped at point {p.id} ({_describe(p.params)}): {text}")


def _z(mean: Any, se: Any, theory: Any) -> float | None:
    """(mean − theory)/se; 0 where se = 0 and mean = theory, ±inf where se = 0 otherwise; None (null) where
    mean or theory is not a finite number (undefined)."""
    try:
        m, s, t = float(mean), float(se), float(theory)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(m) and math.isfinite(t) and math.isfinite(s)):
        return None
    if s == 0:
        return 0.0 if m == t else math.copysign(math.inf, m - t)
    return (m - t) / s


def _length(v: Any) -> int | None:
    if isinstance(v, list) and all(not isinstance(x, list | dict) for x in v):
        return len(v)
    return None


def _rows(p: SweepPoint, theory: dict | None, sim: dict | None, setting: dict) -> list[dict]:
    """The point's table rows: one, or one per element of its per-iteration arrays."""
    theory = theory or {}
    sim = sim or {}
    values: dict[str, Any] = {}
    for k, v in theory.items():
        name = f"{k}_theory" if k in p.params or k in OWN_COLUMNS else k
        values[name] = v
    for k, v in sim.items():
        if isinstance(v, dict) and set(v) == {"mean", "se"}:
            values[f"{k}_mean"], values[f"{k}_se"] = v["mean"], v["se"]
            if k in theory:
                values[f"{k}_z"] = ("z", v["mean"], v["se"], theory[k])
        else:
            values[f"{k}_sim"] = v
    lengths = [n for v in values.values() for n in ([_length(v)] if not isinstance(v, tuple) else
                                                      [_length(v[1])]) if n is not None]
    size = lengths[0] if lengths else None
    if size is None:
        row = {"point": p.id, **p.params}
        for k, v in values.items():
            row[k] = _z(*v[1:]) if isinstance(v, tuple) else _cell(v)
        return [row]
    iteration_key = next((k for k, v in setting.items() if isinstance(v, np.ndarray) and v.ndim == 1
                          and v.size == size and np.issubdtype(v.dtype, np.integer)), None)
    rows = []
    for j in range(size):
        row = {"point": p.id, **p.params}
        if iteration_key is not None:
            row["iteration"] = int(setting[iteration_key][j])
        else:
            row["element"] = j
        for k, v in values.items():
            if isinstance(v, tuple):
                m, s, t = (x[j] if _length(x) == size else x for x in v[1:])
                row[k] = _z(m, s, t)
            else:
                row[k] = _cell(v[j] if _length(v) == size else v)
        rows.append(row)
    return rows


def _cell(v: Any) -> Any:
    if isinstance(v, list | dict):
        return json.dumps(v, allow_nan=True)  # a field of another shape: kept as JSON text
    return v


# -------------------------------------------------------------------------------------------------------- write
def _arrow_table(spec: SweepSpec, rows: list[dict]):
    import pyarrow as pa

    names = ["point", *spec.columns]
    rest: dict[str, None] = {}
    for r in rows:
        for k in r:
            if k not in rest and k not in names:
                rest[k] = None
    order = [k for k in ("iteration", "element") if k in rest] + [k for k in rest if k not in ("iteration",
                                                                                                 "element")]
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string()}
    arrays, fields = [], []
    for name in names + order:
        col = [r.get(name) for r in rows]
        if name == "point" or name in ("iteration", "element"):
            typ = pa.int64()
        elif name in spec.columns:
            typ = types[spec.columns[name]]
            if spec.columns[name] == "float":
                col = [None if v is None else float(v) for v in col]
            elif spec.columns[name] == "string":
                col = [None if v is None else (v if isinstance(v, str) else _show(v)) for v in col]
        else:
            present = [v for v in col if v is not None]
            if not present:
                typ = pa.null()
            elif all(isinstance(v, bool) for v in present):
                typ = pa.bool_()
            elif all(_is_number(v) for v in present):
                typ, col = pa.float64(), [None if v is None else float(v) for v in col]
            else:
                typ, col = pa.string(), [None if v is None else (v if isinstance(v, str) else json.dumps(v))
                                         for v in col]
        arrays.append(pa.array(col, type=typ))
        fields.append(pa.field(name, typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _part(out: Path, k: int) -> Path:
    return out / f"part-{k:06d}.parquet"


def _atomic(path: Path, write) -> None:
    """Write to a hidden temporary name in the same folder, then rename: never a partial file at ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    _atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _write_json(path: Path, obj: dict) -> None:
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=_json_default) + "\n", encoding="utf-8"))


def _finalise(out: Path, n_chunks: int, params: list[str]) -> int:
    """Give every part file one schema (columns a chunk never produced are added as nulls, in one order), so the
    folder reads as one table. Returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = [_part(out, k) for k in range(n_chunks)]
    schemas = [pq.read_schema(p) for p in parts]
    merged = pa.unify_schemas(schemas, promote_options="permissive")
    first = [n for n in ("point", *params, "iteration", "element") if n in merged.names]
    unified = pa.schema([merged.field(n) for n in first] + [f for f in merged if f.name not in first])
    rows = 0
    for p, schema in zip(parts, schemas, strict=True):
        meta = pq.read_metadata(p)
        rows += meta.num_rows
        if schema.equals(unified):
            continue
        table = pq.read_table(p)
        cols = [table.column(f.name).cast(f.type) if f.name in table.column_names else
                pa.nulls(table.num_rows, f.type) for f in unified]
        _write_table(p, pa.Table.from_arrays(cols, schema=unified))
    return rows


# ---------------------------------------------------------------------------------------------------------- run
@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` did: the folder, point counts (this run / already done), rows and wall time."""

    out: Path
    points: int
    computed: int
    skipped: int
    rows: int
    seconds: float
    warnings: dict

    def table(self):
        """The sweep's table as a pandas DataFrame (see :func:`read_sweep`)."""
        return read_sweep(self.out)


def read_sweep(out: str | os.PathLike):
    """The table at ``out`` (``pandas.read_parquet(out)``) sorted by point (and iteration), index 0..rows−1."""
    import pandas as pd

    df = pd.read_parquet(out)
    keys = [k for k in ("point", "iteration", "element") if k in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def _require_extra(dask: bool) -> None:
    need = ["pyarrow"] + (["dask", "distributed"] if dask else [])
    missing = [m for m in need if importlib.util.find_spec(m) is None]
    if missing:
        raise InvalidParameterError(f"collapse sweep needs the 'sweep' extra ({', '.join(missing)} missing): "
                                    f"{EXTRA_HINT}")


def _state(out: Path, spec: SweepSpec, resume: bool) -> dict | None:
    """The existing manifest when resuming this very sweep; None for a new folder. Refuses anything else."""
    from model_collapse.cli import _check_out_dir

    _check_out_dir(str(out))
    if not out.exists():
        return None
    entries = [e for e in out.iterdir() if not (e.name.startswith(".") and e.name.endswith(".tmp"))]
    if not entries:
        return None
    manifest = out / MANIFEST
    if not manifest.exists():
        raise InvalidParameterError(f"The '--out' folder {str(out)!r} is not empty and holds no sweep "
                                    f"({MANIFEST} is missing): choose a new or empty folder.")
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidParameterError(f"The '--out' folder {str(out)!r} has an unreadable {MANIFEST}: choose a new "
                                    "folder.") from None
    if old.get("spec_digest") != spec.digest:
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} holds a different sweep (family {old.get('spec', {}).get('family')}, "
            f"{old.get('points')} points, another spec): choose a new folder, or delete that one.")
    if old.get("package_version") != __version__:
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} was written by model_collapse {old.get('package_version')} (this is "
            f"{__version__}): resume with that version, or start a new folder.")
    if not resume:
        done = sum(1 for k in range(old.get("chunks", 0)) if _part(out, k).exists())
        raise InvalidParameterError(
            f"The '--out' folder {str(out)!r} already holds this sweep ({done} of {old.get('chunks')} chunks done, "
            f"status {old.get('status')}): pass --resume to finish it, or choose a new folder.")
    return old


def _seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _serial(tasks: list[_Task]) -> Iterator[_ChunkResult]:
    for t in tasks:
        yield _run_chunk(t)


def _worker_version() -> str:
    from model_collapse import __version__ as v

    return v


def _dask(tasks: list[_Task], workers: int | None, scheduler: str | None, info: dict) -> Iterator[_ChunkResult]:
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler is not None:
            try:
                client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InvalidParameterError(f"The '--scheduler' parameter: cannot connect to {scheduler!r} "
                                            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})."
                                            ) from None
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            client.wait_for_workers(1, timeout=60)
            theirs = client.submit(_worker_version, pure=False).result()
            if theirs != __version__:
                raise InvalidParameterError(f"The '--scheduler' parameter: the cluster's workers run model_collapse "
                                            f"{theirs} (this is {__version__}); install the same version there.")
            info["dask_workers"] = len(client.scheduler_info().get("workers", {}))
            info["_compute_start"] = time.perf_counter()
            # the largest chunks first (longest-processing-time order): no worker is left with a big one at the end
            ordered = sorted(tasks, key=lambda t: -sum(p.work for p in t.points))
            futures = [client.submit(_run_chunk, replace(t, points=tuple(p.bare() for p in t.points)), pure=False)
                       for t in ordered]
            try:
                for _fut, result in as_completed(futures, with_results=True):
                    yield result
            finally:
                client.cancel(futures)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def run_sweep(spec: SweepSpec | str | os.PathLike | Mapping, out: str | os.PathLike, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool | None = None) -> SweepResult:
    """Run a sweep into the folder ``out`` and return what was done.

    ``workers``: a local Dask cluster of that many processes (one thread each); ``scheduler``: the address of
    an existing Dask cluster; neither: in-process, serially. ``resume``: finish the sweep already in ``out``
    (its finished chunks are skipped). ``progress``: a tqdm bar over points on stderr (None: when stderr is a
    terminal). The table is the same for any of these choices.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if workers is not None and scheduler is not None:
        raise InvalidParameterError("The '--workers' and '--scheduler' parameters exclude each other: give one.")
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise InvalidParameterError(f"The '--workers' parameter must be a positive integer. Got {workers!r} instead.")
    use_dask = workers is not None or scheduler is not None
    _require_extra(dask=use_dask)
    out = Path(out)
    old = _state(out, spec, resume)
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    chunk = int(old["chunk_size"]) if old else spec.chunk
    if chunk != spec.chunk:
        spec = replace(spec, chunk=chunk)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp"):  # a killed run's temporary file
        stale.unlink()
    done = {k for k in range(spec.n_chunks) if _part(out, k).exists()}
    todo = [k for k in range(spec.n_chunks) if k not in done]
    skipped = sum(len(spec.chunk_points(k)) for k in done)
    remaining = len(spec.points) - skipped
    manifest = dict(old) if old else {
        "format": FORMAT, "spec": spec.raw, "spec_digest": spec.digest, "source": spec.source,
        "family": spec.family, "mode": spec.mode, "seed": spec.seed, "trials": spec.trials,
        "package_version": __version__, "points": len(spec.points), "chunks": spec.n_chunks, "chunk_size": chunk,
        "columns": {"point": "int", **spec.columns}, "created": started, "runs": [], "warnings": {},
    }
    parallel = workers or 1
    estimate = spec.work * (remaining / max(len(spec.points), 1)) / resources.FLOPS_PER_SECOND / parallel
    manifest.update(status="running", estimated_seconds=round(estimate, 3))
    _write_json(out / MANIFEST, manifest)
    force = bool(progress)
    if remaining and (estimate > 10 or force):
        where = f"{workers} workers" if workers else ("the cluster at " + scheduler if scheduler else "1 process")
        sys.stderr.write(f"collapse: note: sweep of {remaining} points ({skipped} already done) will take about "
                         f"{_seconds_text(estimate)} on {where} (estimate)\n")
        sys.stderr.flush()
    from tqdm import tqdm

    bar = tqdm(total=len(spec.points), initial=skipped, desc=f"sweep {spec.cli}", unit="point", file=sys.stderr,
               disable=not (force or (progress is None and sys.stderr.isatty())), mininterval=0.25, leave=False)
    info: dict = {}
    tasks = [_Task(spec.family, spec.mode, spec.trials, spec.seed, k, spec.chunk_points(k), 1 if use_dask else None)
             for k in todo]
    counts: dict[str, int] = dict(manifest.get("warnings", {}))
    computed = 0
    run_record = {"started": started, "workers": workers, "scheduler": scheduler}
    loop_start = time.perf_counter()
    try:
        results = _dask(tasks, workers, scheduler, info) if use_dask and tasks else _serial(tasks)
        for res in results:
            _write_table(_part(out, res.index), _arrow_table(spec, res.rows))
            n = len(spec.chunk_points(res.index))
            computed += n
            for msg, c in res.warnings.items():
                counts[msg] = counts.get(msg, 0) + c
            bar.update(n)
    finally:
        bar.close()
        now = time.perf_counter()
        compute_start = info.pop("_compute_start", loop_start)
        run_record.update(seconds=round(now - t0, 3), compute_seconds=round(now - compute_start, 3),
                          points_computed=computed, **info)
        manifest["runs"] = [*manifest.get("runs", []), run_record]
        manifest["warnings"] = dict(sorted(counts.items()))
        if computed + skipped < len(spec.points):
            _write_json(out / MANIFEST, manifest)
    rows = _finalise(out, spec.n_chunks, list(spec.columns))
    seconds = time.perf_counter() - t0
    manifest.update(status="complete", rows=rows, finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    seconds_total=round(sum(r.get("seconds", 0.0) for r in manifest["runs"]), 3))
    manifest["runs"][-1]["seconds"] = round(seconds, 3)
    _write_json(out / MANIFEST, manifest)
    return SweepResult(out, len(spec.points), computed, skipped, rows, seconds, dict(sorted(counts.items())))


def run_cli(args: argparse.Namespace) -> None:
    """``collapse sweep SPEC --out DIR [--workers K | --scheduler ADDRESS] [--resume] [--progress]``."""
    _require_extra(dask=args.workers is not None or args.scheduler is not None)
    spec = load_spec(args.spec)
    res = run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                    progress=True if args.progress else None)
    what = f"{res.computed} points computed" + (f", {res.skipped} already done" if res.skipped else "")
    print(f"sweep {spec.cli} ({spec.mode}): {res.points} points, {res.rows} rows in {res.out} ({what}; "
          f"{res.seconds:.1f} s)")
    if res.warnings:
        total = sum(res.warnings.values())
        first = next(iter(res.warnings))
        sys.stderr.write(f"collapse: warning: {total} warning(s) during the sweep, e.g. {first!r} (all in "
                         f"{Path(res.out) / MANIFEST})\n")
    return None
