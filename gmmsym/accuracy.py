"""``gmmsym.accuracy`` is :mod:`gmmsym.references.accuracy` (the accuracy report).

The same module object (an alias in ``sys.modules``), not a copy: patching one patches both.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("gmmsym.references.accuracy")
