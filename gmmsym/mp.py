"""``gmmsym.mp`` is :mod:`gmmsym.kernels.mp` (mpmath evaluation at one point).

The same module object (an alias in ``sys.modules``), not a copy: patching one patches both.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("gmmsym.kernels.mp")
