"""Closed forms only, no sampling. One concept per module; each has a simulator twin in montecarlo/."""

from model_collapse.validation import InvalidParameterError

__all__ = ["InvalidParameterError"]
