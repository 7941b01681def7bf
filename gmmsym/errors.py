"""The one input-error type of gmmsym.

Every check of a user-supplied argument raises :class:`InputError`, whose message names the
argument.  It subclasses both ``ValueError`` and ``TypeError`` so that callers catching either
keep working; the command line reports *only* this type as a usage error (exit status 2), so a
``TypeError`` or ``ValueError`` raised by a bug still shows its traceback.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError, TypeError):
    """Bad input to a gmmsym function or command; the message names the argument."""
