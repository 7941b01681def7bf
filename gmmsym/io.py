"""File output shared by every command: atomic writes and strict JSON.

Atomic: write to a temporary file in the target directory, fsync, ``os.replace``.  A reader
(or a crash) therefore sees either the old file or the complete new one, never a partial file.
Used for every file gmmsym writes (generated kernels, exports, figures, summaries, reports).

Strict JSON (:func:`json_text`): non-finite floats, which JSON cannot represent, become the
strings ``"inf"``, ``"-inf"`` (infinite interval endpoints are meaningful) and ``null`` (NaN);
NumPy scalars and arrays become Python numbers and lists.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_path",
    "atomic_write_text",
    "atomic_write_bytes",
    "atomic_savefig",
    "json_clean",
    "json_text",
]


def _default_mode() -> int:
    """Permissions of a newly created file (``0o666`` minus the umask); mkstemp would give 0o600."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination.  Its parent directory is created if missing.

    Yields
    ------
    Path
        A fresh temporary file (same directory, same suffix) to write to.  It is fsynced, given
        the permissions of the file it replaces (or the umask default) and renamed onto ``path``
        when the block exits normally, and removed when it raises.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=f"{dest.suffix}.tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, dest.stat().st_mode & 0o7777 if dest.exists() else _default_mode())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _write(path: str | os.PathLike[str], mode: str, writer: Callable[[IO[Any]], None], **kw: Any) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, mode, **kw) as fh:
            writer(fh)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    return _write(path, "w", lambda fh: fh.write(text), encoding="utf-8", newline="")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    return _write(path, "wb", lambda fh: fh.write(data))


def atomic_savefig(fig: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """``fig.savefig`` into a temporary file, then rename it onto ``path`` (format from the suffix)."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **kwargs)
    return Path(path)


def json_clean(x: Any) -> Any:
    """``x`` with NumPy values converted and non-finite floats encoded (module docstring)."""
    if isinstance(x, dict):
        return {str(k): json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):  # numpy arrays and scalars
        return json_clean(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def json_text(x: Any, **kwargs: Any) -> str:
    """Strict JSON text of :func:`json_clean` ``(x)`` with a final newline."""
    return json.dumps(json_clean(x), allow_nan=False, **kwargs) + "\n"


def table_console(min_width: int = 110, **kwargs: Any) -> Any:
    """A ``rich`` console at least ``min_width`` columns wide (rich assumes 80 off a terminal)."""
    from rich.console import Console

    return Console(width=max(Console(**kwargs).width, min_width), **kwargs)
