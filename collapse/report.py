"""What the command line prints: a result as aligned text or strict JSON (RFC 8259).

An infinite value is written as ``null`` in JSON and named, with its reason, in a ``warnings`` list; the text
output prints ``inf`` and the reason once on stderr. A NaN is never printed: it is reported as an internal error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

__all__ = ["print_result", "echo"]


def echo(values: argparse.Namespace) -> dict:
    """The setting a run used, defaults included, as plain values (``--json`` prints it as ``setting``)."""
    out = {}
    for k, v in vars(values).items():
        if k == "command" or v is None:
            continue
        text = getattr(v, "text", None)
        if isinstance(v, float) and not np.isfinite(v):  # an input such as max_synthetic = inf: not a result
            text = str(v)
        out[k] = text if isinstance(text, str) else v.tolist() if isinstance(v, np.ndarray) else v
    return out


def _walk(value, path: str, found: list[tuple[str, float]]):
    """Replace non-finite floats by None (strict JSON), recording (path, value)."""
    if isinstance(value, dict):
        return {k: _walk(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        found.append((path, float(value)))
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _non_finite(result: dict) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    _walk(result, "", found)
    return found


def _top(found: list[tuple[str, float]]) -> list[str]:
    return list(dict.fromkeys(p.split(".")[0].split("[")[0] for p, _ in found))


def _reason(name: str, messages: list[str]) -> str:
    """The reason for field ``name``: warnings starting "name:" are its own; other warnings are general."""
    own = [m[len(name) + 1:].strip() for m in messages if m.startswith(f"{name}:")]
    general = [m for m in messages if ":" not in m.split(" ")[0]]
    chosen = own or general
    if chosen:
        return "; ".join(dict.fromkeys(chosen))
    if name.endswith(("_limit", "_bound")):  # an infinite limit or bound is an answer, not a singularity
        return "the quantity grows without bound as the iterations go on (no finite value; see docs/theory.md)"
    return "no finite value at this setting (see docs/theory.md)"


def _reasons(found: list[tuple[str, float]], messages: list[str]) -> list[str]:
    """One warning per non-finite field: the field, its value and the reason the computation gave."""
    return [f"{name} is {'inf' if any(v > 0 for p, v in found if p.startswith(name)) else '-inf'}: "
            f"{_reason(name, messages)}" for name in _top(found)]


def _format_value(v) -> str:
    if isinstance(v, dict) and set(v) == {"mean", "se"}:
        if isinstance(v["mean"], list):
            return "\n" + "\n".join(
                f"    [{i}] {m:.6g} ± {s:.2g}" for i, (m, s) in enumerate(zip(v["mean"], v["se"], strict=True))
            )
        return f"{v['mean']:.6g} ± {v['se']:.2g}"
    if isinstance(v, list):
        return "[" + ", ".join(_format_value(x) for x in v) + "]"
    if isinstance(v, float | np.floating):
        return f"{float(v):.6g}"
    return str(v)


def print_result(result: dict, as_json: bool, messages: list[str]) -> None:
    found = _non_finite(result)
    nan = [p for p, v in found if math.isnan(v)]
    if nan:  # never print a NaN: it is a bug, say so
        raise RuntimeError(f"internal error: NaN in {', '.join(nan)}")
    reasons = _reasons(found, messages) if found else []
    if as_json:
        clean = _walk(result, "", [])
        if reasons:
            clean["warnings"] = reasons
        print(json.dumps(clean, indent=2, allow_nan=False))
    if found:  # each reason once, naming the infinite fields it explains
        by_reason: dict[str, list[str]] = {}
        for name in _top(found):
            by_reason.setdefault(_reason(name, messages), []).append(name)
        for reason, names in by_reason.items():
            sys.stderr.write(f"collapse: warning: infinite {', '.join(names)}: {reason}\n")
    if as_json:
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {_format_value(value)}")
