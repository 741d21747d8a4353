"""Simulators, one per theory module and of the same name. No closed forms live here.

Each simulator takes the same keyword arguments as its theory twin plus ``n_trials`` and ``seed`` and
returns :class:`montecarlo._estimate.MCEstimate` values (mean, sem, n_trials).
"""

from montecarlo._estimate import MCEstimate

__all__ = ["MCEstimate"]
