"""Hypothesis profiles for the test suite.

* ``dev``  (default locally): 50 examples, no deadline (first calls compile/load kernels).
* ``ci``   (when ``CI`` is set; replaces Hypothesis' built-in ``ci``): derandomized, no
  database, 50 examples, so CI runs are reproducible and bounded in time.
* ``thorough``: 1000 examples, for a long local run (``HYPOTHESIS_PROFILE=thorough``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
