"""How a sweep writes values down: as TOML shows them (messages), as plain JSON (manifest, table cells) and as
the canonical JSON of a point's identity, whose sha256 is the spawn key of the point's seed.

The identity rules are fixed: changing them changes every sweep's random numbers. A parsed value that is a
dataclass (e.g. a :class:`model_collapse.data_spectra.SpectrumSpec`) is written as ``{"__type__": NAME,
FIELD: VALUE, ...}``; numpy scalars and arrays as plain numbers and lists; keys sorted; no spaces.
This module imports nothing else of the sweep package.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from typing import Any

import numpy as np

__all__ = ["show", "jsonable", "json_default", "canonical", "spawn_key", "same", "is_number", "freeze"]


def show(v: Any) -> str:
    """A value as TOML writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{...}"
    return repr(v)


def jsonable(v: Any) -> Any:
    """``v`` as plain JSON values (numpy values, tuples and parsed dataclass values converted)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):  # a parsed value (e.g. a SpectrumSpec)
        return {"__type__": type(v).__name__, **{k: jsonable(x) for k, x in dataclasses.asdict(v).items()}}
    return v


def json_default(v: Any) -> Any:
    """``json.dumps(default=...)``: numpy values and tuples as plain values; anything else is refused."""
    out = jsonable(v)
    if out is v:
        raise TypeError(f"a {type(v).__name__} value")
    return out


def canonical(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, no spaces; NaN and infinities allowed)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=json_default, allow_nan=True)


def spawn_key(identity: str) -> tuple[int, ...]:
    """Four 32-bit words of sha256(canonical JSON of the point's parameters): a stable, salt-free spawn key."""
    digest = hashlib.sha256(identity.encode()).digest()
    return struct.unpack(">4I", digest[:16])


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type (arrays element by element)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and bool(np.all(a == b))
    return type(a) is type(b) and a == b


def is_number(v: Any) -> bool:
    """A real number (not a boolean)."""
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def freeze(v: Any) -> Any:
    """A hashable stand-in for a keyword value (arrays by dtype, shape and bytes)."""
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, list | tuple):
        return ("seq", tuple(freeze(x) for x in v))
    return (type(v).__name__, v)
