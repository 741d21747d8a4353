"""Output folders given on the command line (``collapse figures --out``, ``collapse sweep --out``).

Part of the core layer: it imports only :mod:`model_collapse.validation`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from model_collapse.validation import InvalidParameterError

__all__ = ["check_out_dir"]


def check_out_dir(text: str, flag: str = "--out") -> Path:
    """The folder ``text`` as a path, refused (naming ``flag``) when it cannot be an output folder: empty, under
    an existing file, a dangling symbolic link, or in a place where no folder can be made (a read-only or virtual
    file system such as /proc). Nothing is left behind: the probe folder is removed at once."""
    if not text.strip():
        raise InvalidParameterError.of(flag, None, "must be a folder name. Got '' instead.")
    path = Path(text)
    for parent in (path, *path.parents):
        if parent.is_symlink() and not parent.exists():
            raise InvalidParameterError.of(
                flag, None, f"must be a folder (or a new path). Got {text!r} instead ({str(parent)!r} is a "
                "symbolic link to a missing target).")
        if parent.exists() and not parent.is_dir():
            raise InvalidParameterError.of(
                flag, None, f"must be a folder (or a new path) not under a file. Got {text!r} "
                f"instead ({str(parent)!r} is a file).")
    if path.is_dir():
        return path
    anchor = next((p for p in path.parents if p.is_dir()), Path("."))
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".collapse-probe-", dir=anchor))
    except OSError as exc:
        raise InvalidParameterError.of(
            flag, None, f"must be a folder that can be created. Got {text!r} instead (no folder can be made in "
            f"{str(anchor)!r}: {exc.strerror or type(exc).__name__}).") from None
    return path
