"""model_collapse: closed forms (``model_collapse.theory``) and simulators (``model_collapse.montecarlo``)
for model collapse, the figures that regenerate the papers (``model_collapse.figures``) and the ``collapse``
command line. The registry (:mod:`model_collapse.families`) lists everything a user can run: every model
family with its declared parameters, theory function, simulator, CLI word, figures, reference setting and
stated tolerance.

``InvalidParameterError`` and ``__version__`` are loaded on first use, so that ``collapse --help`` imports no
numerics.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InvalidParameterError", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "InvalidParameterError":
        from model_collapse.validation import InvalidParameterError

        return InvalidParameterError
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("model-collapse")
        except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
            return "0+unknown"
    raise AttributeError(f"module 'model_collapse' has no attribute {name!r}")
