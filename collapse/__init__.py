"""model_collapse: closed forms (``model_collapse.theory``) and simulators (``model_collapse.montecarlo``)
for model collapse, the figures that regenerate the papers (``model_collapse.figures``) and the ``collapse``
command line. The family registry (:mod:`model_collapse.families`) lists every model family with its theory
function, simulator, CLI word, figures, reference setting and stated tolerance.
"""

from importlib import metadata

from model_collapse.validation import InvalidParameterError

try:
    __version__ = metadata.version("model-collapse")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
    __version__ = "0+unknown"

__all__ = ["InvalidParameterError", "__version__"]
