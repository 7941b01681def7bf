"""The error types of gmmsym.

:class:`GmmsymError` is the base of every error that is the *user's*, not a bug:

- :class:`InputError`: a bad argument value or type; the message names the argument.  It also
  subclasses ``ValueError`` and ``TypeError`` so that callers catching either keep working.
- :class:`FileError`: a file, path or database problem (missing, unwritable, not a directory,
  not a gmmsym database, ...); the message starts with the option or argument name, e.g.
  ``"--db: ..."``.  It also subclasses ``OSError``.

The command line reports *only* :class:`GmmsymError` as a one-line usage error (exit status 2),
so a ``TypeError``, ``ValueError`` or ``OSError`` raised by a bug still shows its traceback.
"""

from __future__ import annotations

__all__ = ["GmmsymError", "InputError", "FileError"]


class GmmsymError(Exception):
    """Base of the errors that are the user's (bad input, bad files); the message names the argument."""


class InputError(GmmsymError, ValueError, TypeError):
    """Bad input to a gmmsym function or command; the message names the argument."""


class FileError(GmmsymError, OSError):
    """A file, path or database problem; the message starts with the option name (``"--db: ..."``)."""
