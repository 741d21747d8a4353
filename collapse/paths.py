"""Output folders given on the command line (``collapse figures --out``, ``collapse sweep --out``).

Part of the core layer: it imports only :mod:`model_collapse.validation`.
"""

from __future__ import annotations

from pathlib import Path

from model_collapse.validation import InvalidParameterError

__all__ = ["check_out_dir"]


def check_out_dir(text: str, flag: str = "--out") -> Path:
    """The folder ``text`` as a path, refused (naming ``flag``) when empty or under an existing file."""
    if not text.strip():
        raise InvalidParameterError.of(flag, None, "must be a folder name. Got '' instead.")
    path = Path(text)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise InvalidParameterError.of(
                flag, None, f"must be a folder (or a new path) not under a file. Got {text!r} "
                f"instead ({str(parent)!r} is a file).")
    return path
