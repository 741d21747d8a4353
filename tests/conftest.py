"""Hypothesis profiles: ``deterministic`` (default: derandomized, no example database, no deadline) and
``explore`` (random search, more examples). Pick one with COLLAPSE_HYPOTHESIS_PROFILE=explore."""

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore",
    derandomize=False,
    deadline=None,
    max_examples=500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("COLLAPSE_HYPOTHESIS_PROFILE", "deterministic"))
