"""Simulators, one per theory module and of the same name. No closed forms live here.

Each simulator takes the same keyword arguments as its theory twin plus ``n_trials`` and ``seed`` and
returns :class:`model_collapse.montecarlo.trials.MCEstimate` values (mean, sem, n_trials).
"""

from model_collapse.montecarlo.trials import MCEstimate

__all__ = ["MCEstimate"]
