"""``gmmsym._special`` is :mod:`gmmsym.kernels.special` (special functions).

The checked-in generated kernels import this name; keeping it keeps their text bitwise.

The same module object (an alias in ``sys.modules``), not a copy: patching one patches both.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("gmmsym.kernels.special")
