"""``gmmsym.certified`` is :mod:`gmmsym.references.certified` (certified ball references).

The same module object (an alias in ``sys.modules``), not a copy: patching one patches both.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("gmmsym.references.certified")
