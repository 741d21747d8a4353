"""Closed forms only, no sampling. One concept per module; each has a simulator twin in montecarlo/."""

from theory._validation import InvalidParameterError

__all__ = ["InvalidParameterError"]
