"""File output shared by every command: path preflight, atomic writes and strict JSON.

Preflight (:func:`check_output_file`, :func:`check_output_dir`, :func:`check_input_file`): a
command checks every location it will read or write *before any work*; a problem raises
:class:`~gmmsym.errors.FileError` whose message starts with the option name (``"--out: ..."``),
which the command line reports as one line, exit status 2.  Writability is probed by creating
(and removing) a file, since ``os.access`` says yes to root on any path.

Atomic: write to a temporary file in the target directory, fsync, ``os.replace``.  A reader
(or a crash) therefore sees either the old file or the complete new one, never a partial file.
Used for every file gmmsym writes (generated kernels, exports, figures, summaries, reports).
Temporary files are named ``.<name>.<pid>.<random>.gmmsym-tmp``; a write into a directory first
removes the temporaries there whose process is no longer alive (:func:`remove_stale_temps`),
the leftovers of an interrupted run.

Strict JSON (:func:`json_text`): non-finite floats, which JSON cannot represent, become the
strings ``"inf"``, ``"-inf"`` (infinite interval endpoints are meaningful) and ``null`` (NaN);
NumPy scalars and arrays become Python numbers and lists.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from gmmsym.errors import FileError

__all__ = [
    "check_output_file",
    "check_output_dir",
    "check_input_file",
    "file_errors",
    "remove_stale_temps",
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
    remove_stale_temps(dest.parent)
    tmp = _make_temp(dest.parent, dest.name)
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


TEMP_SUFFIX = ".gmmsym-tmp"
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX) + "$")


def _make_temp(directory: Path, name: str) -> Path:
    """Create an empty ``.<name>.<pid>.<random>.gmmsym-tmp`` file in ``directory``."""
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.{os.getpid()}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    return Path(tmp_name)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on Windows, where ``os.kill`` would end it: always True)."""
    if sys.platform == "win32" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def remove_stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries of interrupted atomic writes in ``directory``; return the removed paths.

    A temporary (``.<name>.<pid>.<random>.gmmsym-tmp``) is stale when its process ``pid`` is no
    longer alive; those of running processes (a concurrent writer) are kept.  Errors (a missing
    or unreadable directory, a file removed meanwhile) are ignored: cleaning is best effort.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or _pid_alive(int(m["pid"])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _probe_writable(directory: Path, option: str, what: str) -> None:
    """Create and remove a temporary file in ``directory``; FileError if that fails."""
    try:
        _make_temp(directory, "probe").unlink()
    except OSError as exc:
        raise FileError(f"{option}: cannot write to {what} ({directory}: {_reason(exc)})") from None


def _nearest_existing(path: Path, option: str) -> Path:
    """The nearest existing ancestor of ``path`` (itself included), which must be a directory."""
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            raise FileError(f"{option}: {probe} is a dangling symbolic link")
        probe = probe.parent
    if not probe.is_dir():
        raise FileError(f"{option}: {probe} is not a directory (in the path {path})")
    return probe


def _as_path(path: str | os.PathLike[str], option: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise FileError(f"{option}: expected a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or text.strip() == "":
        raise FileError(f"{option}: expected a path, got {text!r}")
    return Path(text)


def check_output_file(
    path: str | os.PathLike[str], option: str, *, allow_stdout: bool = False, parents: bool = False
) -> Path:
    """Check, before any work, that a file can be written at ``path``; return it as a ``Path``.

    Parameters
    ----------
    path : path-like
        The output file.  ``""`` is refused; ``"-"`` is refused unless ``allow_stdout`` (the
        command documents ``-`` as standard output), in which case ``Path("-")`` is returned.
    option : str
        The option or argument name that starts the error message (``"--json"``).
    allow_stdout : bool, default False
        Accept ``"-"``.
    parents : bool, default False
        Accept a missing parent directory (created when writing) if its nearest existing
        ancestor is a writable directory; otherwise the parent directory must exist.

    Raises
    ------
    FileError
        The path is empty, ``-`` (not allowed), an existing directory, or its directory does not
        exist, is not a directory or is not writable.  Nothing is left behind.
    """
    p = _as_path(path, option)
    if os.fspath(path) == "-":
        if allow_stdout:
            return p
        raise FileError(f"{option}: '-' (standard output) is not supported here; give a file name")
    if p.is_dir():
        raise FileError(f"{option}: {p} is a directory; expected a file name")
    parent = p.parent
    if parents:
        parent = _nearest_existing(parent, option)
    elif not parent.exists():
        raise FileError(f"{option}: directory {parent} does not exist")
    elif not parent.is_dir():
        raise FileError(f"{option}: {parent} is not a directory")
    _probe_writable(parent, option, f"{p}")
    return p


def check_output_dir(path: str | os.PathLike[str], option: str) -> Path:
    """Check, before any work, that ``path`` is or can become a writable directory; return it.

    ``path`` is an existing writable directory, or does not exist and its nearest existing
    ancestor is a writable directory (no file on the way).  Nothing is created: the directory is
    made when the command writes into it.

    Raises
    ------
    FileError
        The path is empty, is a file, lies below a file, or cannot be written.
    """
    p = _as_path(path, option)
    existing = _nearest_existing(p, option)
    _probe_writable(existing, option, f"{p}")
    return p


def check_input_file(path: str | os.PathLike[str], option: str) -> Path:
    """Check, before any work, that ``path`` is an existing readable file; return it.

    Raises
    ------
    FileError
        The path is empty, does not exist, is a directory, or cannot be opened for reading.
    """
    p = _as_path(path, option)
    if not p.exists():
        raise FileError(f"{option}: {p} does not exist")
    if p.is_dir():
        raise FileError(f"{option}: {p} is a directory; expected a file")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise FileError(f"{option}: cannot read {p} ({_reason(exc)})") from None
    return p


@contextlib.contextmanager
def file_errors(option: str, path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Turn an ``OSError`` raised in the block into :class:`FileError` naming ``option``.

    For the expected failures of reading and writing a user-given location (disk full, a
    directory removed meanwhile, permissions); an error that is already a ``FileError`` passes.
    """
    try:
        yield
    except FileError:
        raise
    except OSError as exc:
        where = f" {path}" if path is not None else (f" {exc.filename}" if exc.filename else "")
        raise FileError(f"{option}: cannot access{where} ({_reason(exc)})") from exc


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
