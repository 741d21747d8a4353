"""Computing a sweep's points: theory in vectorised groups, simulation with each point's own seed, table rows.

:func:`predict_points` and :func:`simulate_point` are the registry's generic path
(:func:`model_collapse.families.run`) applied to a sweep's points; :func:`run_chunk` turns one chunk of points
into the rows of its part file, in-process or on a Dask worker (which recomputes the keyword settings with
:func:`model_collapse.families.prepare`: the registry is found by the family's name in any process).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from model_collapse import families, resources
from model_collapse.montecarlo.trials import execution, point_seed
from model_collapse.params import Family
from model_collapse.spectra_named import shared as shared_spectra
from model_collapse.sweep.canonical import freeze, is_number
from model_collapse.sweep.spec import SweepPoint, describe, refusal
from model_collapse.validation import InvalidParameterError

__all__ = ["predict_points", "simulate_point", "run_chunk", "Task", "ChunkResult", "OWN_COLUMNS"]

#: columns the sweep adds itself (a result field of the same name gets the suffix ``_theory``)
OWN_COLUMNS = ("point", "iteration", "element")


@dataclass(frozen=True)
class Task:
    """One chunk of points to compute (what a Dask worker receives: plain data and the family's name)."""

    family: str
    mode: str
    index: int
    points: tuple[SweepPoint, ...]
    threads: int | None  # simulator threads per point (1 on Dask workers: the cluster is the parallelism)


@dataclass(frozen=True)
class ChunkResult:
    index: int
    rows: list
    warnings: dict  # message -> number of points (or vectorised calls) that warned


def _plain(res: Any) -> dict:
    """A result object as plain values (``as_dict()``; a dict as it is)."""
    return res.as_dict() if hasattr(res, "as_dict") else dict(res)


def _split(res: Any, size: int) -> list | None:
    """The per-point results of one vectorised call (None if its fields do not have the expected shape)."""
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


def _prepared(fam: Family, values: argparse.Namespace) -> dict:
    """The theory keywords of checked values (:func:`families.prepare` on a copy: it fills in derived values)."""
    return families.prepare(fam, copy.copy(values))[0]


def predict_points(fam: Family, values_list: list[argparse.Namespace], settings: list[dict] | None = None
                   ) -> list[dict]:
    """``collapse predict`` at each point's checked values (the ``--json`` fields and the family's extras), in
    one call per group of points that differ only in the family's broadcast keywords (``Family.broadcast``):
    exactly the per-point numbers. ``settings``: the points' theory keywords when already prepared."""
    if settings is None:
        settings = [_prepared(fam, v) for v in values_list]
    out: list[dict | None] = [None] * len(settings)
    groups: dict = {}
    frozen: dict[int, tuple] = {}  # id -> freeze(array), once per array object (points share their arrays)
    broadcast = sorted(fam.broadcast)

    def frozen_value(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            if id(v) not in frozen:
                frozen[id(v)] = (v, freeze(v))  # v kept: its id stays its own during the call
            return frozen[id(v)][1]
        return freeze(v)

    for i, s in enumerate(settings):
        bkeys = tuple(k for k in broadcast if k in s and is_number(s[k]))
        rest = tuple((k, frozen_value(v)) for k, v in s.items() if k not in bkeys)
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
                    out[i] = _plain(parts[j])
                continue
        for i in idx:
            out[i] = _plain(fam.predict(**settings[i]))
    if fam.hooks.extras is not None:
        for v, s, o in zip(values_list, settings, out, strict=True):
            fam.hooks.extras(v, s, o)
    return out  # type: ignore[return-value]


def simulate_point(fam: Family, values: argparse.Namespace, key: tuple[int, ...], setting: dict | None = None
                   ) -> dict:
    """``collapse simulate`` at one point's checked values (``trials`` and ``seed`` among them), seeded by
    ``point_seed(values.seed, *key)`` (the point's own stream); the simulator's fields as ``{"mean", "se"}``."""
    point = copy.copy(values)
    point.seed = point_seed(values.seed, *key)
    if setting is None:
        setting = _prepared(fam, values)
    return families.run(fam, point, setting=setting)


def run_chunk(task: Task) -> ChunkResult:
    """Compute one chunk of points (in-process or on a Dask worker): the rows of its part file."""
    fam = families.family(task.family)
    counts: dict[str, int] = {}
    pts = task.points
    predict, simulate = task.mode in ("predict", "both"), task.mode in ("simulate", "both")
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"), \
            execution(workers=task.threads):
        warnings.simplefilter("always")
        if any((predict and p.predict_setting is None) or (simulate and p.simulate_setting is None) for p in pts):
            # a remote worker: the settings from the checked values
            with shared_spectra():  # each (spectrum, d) built and checked once
                pts = tuple(replace(p, predict_setting=_prepared(fam, p.predict_values) if predict else None,
                                    simulate_setting=_prepared(fam, p.simulate_values) if simulate else None)
                            for p in pts)
        theory: list = [None] * len(pts)
        if predict:
            try:
                theory = predict_points(fam, [p.predict_values for p in pts], [p.predict_setting for p in pts])
            except InvalidParameterError:
                theory = []
                for p in pts:  # name the point that is refused
                    try:
                        theory += predict_points(fam, [p.predict_values], [p.predict_setting])
                    except InvalidParameterError as exc:
                        raise _stopped(fam, p, exc) from None
        rows = []
        for p, th in zip(pts, theory, strict=True):
            sim = None
            if simulate:
                try:
                    sim = simulate_point(fam, p.simulate_values, p.key, p.simulate_setting)
                except InvalidParameterError as exc:
                    raise _stopped(fam, p, exc) from None
            rows += _rows(p, th, sim, p.simulate_setting if p.simulate_setting is not None else p.predict_setting)
    for w in caught:
        if not issubclass(w.category, DeprecationWarning | resources.Note):  # notes are for a single run
            msg = str(w.message).splitlines()[0] if str(w.message) else w.category.__name__
            counts[msg] = counts.get(msg, 0) + 1
    return ChunkResult(task.index, rows, counts)


def _stopped(fam: Family, p: SweepPoint, exc: Exception) -> InvalidParameterError:
    """A point refused by the computation itself (a cross-parameter limit no declaration states): one line
    naming the point and the spec key."""
    return InvalidParameterError(f"the sweep stopped at point {p.id} ({describe(p.params)}): {refusal(fam, exc)}")


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
    """The point's table rows: one, or one per element of its per-iteration arrays. A simulated field is a
    ``{"mean", "se"}`` dict (``as_dict()`` of the simulator's result, or a plain dict such as synthetic-budget's);
    any other simulated value becomes the column ``FIELD_sim``."""
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
