"""Hypothesis profiles for the test suite.

* ``dev``  (default locally): 50 examples, no deadline (first calls compile/load kernels).
* ``ci``   (when ``CI`` is set; replaces Hypothesis' built-in ``ci``): derandomized, no
  database, 50 examples, so CI runs are reproducible and bounded in time.
* ``thorough``: 1000 examples, for a long local run (``HYPOTHESIS_PROFILE=thorough``).

Kernel cache: the suite never touches the user's cache of generated kernels.  At import time
(before gmmsym is used) ``GMMSYM_CACHE_DIR`` is pointed at a fresh temporary directory for the
session (removed at exit); subprocesses inherit it through the environment, and pytest-xdist
workers reuse their controller's directory (``GMMSYM_TEST_SESSION_CACHE``).  Kernels of non-paper
models are therefore generated once per session.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

if not os.environ.get("GMMSYM_TEST_SESSION_CACHE"):
    _CACHE = tempfile.mkdtemp(prefix="gmmsym-test-cache-")
    os.environ["GMMSYM_CACHE_DIR"] = os.environ["GMMSYM_TEST_SESSION_CACHE"] = _CACHE
    atexit.register(functools.partial(shutil.rmtree, _CACHE, ignore_errors=True))
else:
    os.environ["GMMSYM_CACHE_DIR"] = os.environ["GMMSYM_TEST_SESSION_CACHE"]

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
