"""Estimate the memory and time a command needs before allocating anything, and refuse what cannot fit.

Each registry entry's cost hook (``Hooks.cost``) lists its big allocations as ``(parameter, bytes)`` pairs and
its work in floating-point operations; :func:`check` refuses a setting whose largest allocation exceeds the
memory budget (half of this machine's physical memory) with one line naming the parameter and how much it
would need, and :func:`note_time` says on stderr when a run will take more than ~10 s.
"""

from __future__ import annotations

import os
import sys

from model_collapse.validation import InvalidParameterError

__all__ = ["Note", "memory_budget", "check", "note_time", "human_bytes"]


class Note(UserWarning):
    """Information for the user (printed once on stderr by the CLI after a successful run)."""

FLOPS_PER_SECOND = 2.0e10  # measured 1.6e10-4e10 on this 2-core machine for the simulators' dense kernels


def memory_budget() -> float:
    """Half of the physical memory (bytes); 4 GiB if it cannot be read."""
    try:
        return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4.0 * 2**30


def human_bytes(x: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if x < 1024 or unit == "EiB":
            return f"{x:.3g} {unit}"
        x /= 1024
    return f"{x:.3g} EiB"  # pragma: no cover


def check(items: list[tuple[str, float]]) -> None:
    """Raise :class:`InvalidParameterError` about the parameter of the first allocation that cannot fit.

    ``items``: ``(parameter name, bytes)`` pairs (a family's cost hook); the command line names the flag."""
    budget = memory_budget()
    total = sum(b for _, b in items)
    for name, need in sorted(items, key=lambda it: -it[1]):
        if need > budget or total > budget:
            raise InvalidParameterError.of(
                name, None, f"is too large for this machine: the run would need {human_bytes(max(need, total))} of "
                f"memory (limit {human_bytes(budget)}, half of the physical memory).")


def note_time(flops: float) -> None:
    """A one-line note on stderr when the estimated run time exceeds ten seconds."""
    seconds = flops / FLOPS_PER_SECOND
    if seconds > 10:
        if seconds < 3600:
            shown = f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"
        elif seconds < 86400 * 365:
            shown = f"{seconds / 3600:.1f} h"
        else:
            shown = f"{seconds / (86400 * 365):.2g} years"
        # said at once (not after the run) so that a long run is never silent
        sys.stderr.write(f"collapse: note: this run will take about {shown} on this machine (reduce --trials or "
                         "the sizes for a quicker answer)\n")
        sys.stderr.flush()
