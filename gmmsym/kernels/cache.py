"""Disk cache of the generated kernels of models other than the paper's (no SymPy on a hit).

Location: ``$GMMSYM_CACHE_DIR`` if set (and not empty), else ``$XDG_CACHE_HOME/gmmsym`` (if that
is an absolute path), else ``~/.cache/gmmsym``.  One file per model and target, named
:func:`~gmmsym.kernels.loader.module_name` (``numpy_k3m3_<hash of the model>.py``).  A file is the
generator's module text (its provenance header: generator version, SymPy version, source-sha256,
spec, target) below four cache lines: a marker line, then

* ``# cache-key:`` SHA-256 of generator version, generator sources, SymPy version, target, spec;
* ``# generator-sources:`` SHA-256 of ``gmmsym/symbolic/*.py`` and ``gmmsym/codegen/*.py``;
* ``# body-sha256:`` SHA-256 of the rest of the file (the module text).

Before a file is executed, its body checksum (a truncated or edited file is ``corrupt``), its
key and the provenance lines of its body (another generator version, generator source, SymPy,
spec or target is ``stale``) are checked, as bytes, without SymPy.  A file that fails a check,
or is missing, is regenerated (:func:`gmmsym.codegen.doprint`, imported only then) and replaced
atomically (:func:`gmmsym.io.atomic_write_text`), so two processes generating at once each write
a complete file and the last rename wins.  The directory is checked first (it must be, or be
creatable as, a writable directory): otherwise a one-line :class:`~gmmsym.errors.FileError`
naming ``GMMSYM_CACHE_DIR`` (or the default directory) before any work.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import types
from dataclasses import dataclass
from pathlib import Path

from gmmsym.io import atomic_write_text, check_output_dir, file_errors
from gmmsym.kernels.loader import (
    GENERATOR_VERSION,
    check_generation_size,
    check_target,
    load,
    module_name,
    parse_header,
)
from gmmsym.model.spec import ModelSpec, check_model

__all__ = [
    "CACHE_ENV",
    "Entry",
    "cache_dir",
    "cache_path",
    "inspect",
    "cached_kernels",
    "refresh",
    "entry_text",
    "forget",
]

#: the environment variable that chooses the cache directory
CACHE_ENV = "GMMSYM_CACHE_DIR"
FORMAT = "1"
_MAGIC = "# gmmsym kernel cache entry: checked before use, regenerated when a check fails; do not edit."
_FIELDS = ("cache-key", "generator-sources", "body-sha256")
_LINE_RE = re.compile(r"# (cache-key|generator-sources|body-sha256): ([0-9a-f]{64})")
_PACKAGE = Path(__file__).resolve().parent.parent
_MODULES: dict[tuple[Path, ModelSpec, str], types.ModuleType] = {}


def cache_dir() -> tuple[Path, str]:
    """``(directory, name)``: the cache directory and how errors name it (module docstring)."""
    env = os.environ.get(CACHE_ENV, "")
    if env.strip():
        return Path(env).expanduser().absolute(), CACHE_ENV
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "gmmsym", f"kernel cache directory ({CACHE_ENV} not set)"


def cache_path(spec: ModelSpec, target: str = "numpy") -> Path:
    """Where the cached module of ``spec``/``target`` lives (nothing is checked or created)."""
    return cache_dir()[0] / f"{module_name(spec, target)}.py"


@functools.cache
def generator_sources() -> str:
    """SHA-256 of the generator's sources (``gmmsym/symbolic``, ``gmmsym/codegen``), read as bytes."""
    h = hashlib.sha256()
    for folder in ("symbolic", "codegen"):
        for path in sorted((_PACKAGE / folder).glob("*.py")):
            h.update(f"{folder}/{path.name}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


@functools.cache
def sympy_version() -> str:
    """The installed SymPy's version, read from ``sympy/release.py`` without importing SymPy."""
    spec = importlib.util.find_spec("sympy")
    origin = getattr(spec, "origin", None)
    try:
        text = (Path(origin).parent / "release.py").read_text(encoding="utf-8")  # type: ignore[arg-type]
    except (OSError, TypeError):
        return "unknown"
    found = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    return found.group(1) if found else "unknown"


def cache_key(spec: ModelSpec, target: str) -> str:
    """SHA-256 of what the cached text depends on: generator version and sources, SymPy, target, spec."""
    material = (
        f"gmmsym-kernel-cache|{FORMAT}|generator={GENERATOR_VERSION}|sources={generator_sources()}"
        f"|sympy={sympy_version()}|target={target}|spec={spec.describe()}"
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_text(body: str, spec: ModelSpec, target: str) -> str:
    """The cache file for the module text ``body`` (from :func:`gmmsym.codegen.doprint`)."""
    values = (cache_key(spec, target), generator_sources(), _sha256(body))
    return "\n".join([_MAGIC, *(f"# {k}: {v}" for k, v in zip(_FIELDS, values))]) + "\n" + body


@dataclass(frozen=True)
class Entry:
    """What :func:`inspect` found: ``status`` ``"valid"``, ``"missing"``, ``"corrupt"`` or ``"stale"``."""

    path: Path
    status: str
    detail: str = ""
    text: str | None = None  # the whole file, when it could be read as UTF-8
    body: str | None = None  # the module text below the cache lines, when they parse

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def _expected(spec: ModelSpec, target: str) -> dict[str, str]:
    """The provenance lines a valid body has now (SymPy's only when its version could be read)."""
    want = {"generator": GENERATOR_VERSION, "spec": spec.describe(), "target": target}
    if sympy_version() != "unknown":
        want["sympy"] = sympy_version()
    return want


def _stale_detail(body: str, spec: ModelSpec, target: str) -> str:
    """Why a checksummed body does not fit the current generator, SymPy, spec or target ("" if it does)."""
    head = parse_header(body)
    for key, want in _expected(spec, target).items():
        if head.get(key) != want:
            return f"{key} {head.get(key)!r} in the file, {want!r} now"
    return ""


def _checksum_ok(fields: dict[str, str], body: str) -> bool:
    """Whether ``body`` has the SHA-256 its ``body-sha256`` cache line records."""
    return fields["body-sha256"] == _sha256(body)


def inspect(spec: ModelSpec, target: str = "numpy") -> Entry:
    """Check the cached file of ``spec``/``target`` as text; never executes it, never imports SymPy."""
    path = cache_path(spec, target)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return Entry(path, "missing", "no cached file")
    except UnicodeDecodeError:
        return Entry(path, "corrupt", "not UTF-8 text")
    except OSError as exc:  # a directory or an unreadable file in its place
        return Entry(path, "corrupt", f"cannot read it ({exc.strerror or exc})")
    lines = text.split("\n", len(_FIELDS) + 1)
    found = [_LINE_RE.fullmatch(ln) for ln in lines[1 : len(_FIELDS) + 1]]
    if len(lines) < len(_FIELDS) + 2 or lines[0] != _MAGIC or not all(found):
        return Entry(path, "corrupt", "cache lines missing or damaged", text)
    fields = {m.group(1): m.group(2) for m in found if m}
    body = lines[-1]
    if list(fields) != list(_FIELDS):
        return Entry(path, "corrupt", "cache lines out of order", text)
    if not _checksum_ok(fields, body):
        return Entry(path, "corrupt", "body checksum mismatch (truncated or edited)", text)
    detail = _stale_detail(body, spec, target)
    if not detail and fields["generator-sources"] != generator_sources():
        detail = "generated by other generator sources (gmmsym/symbolic, gmmsym/codegen)"
    if not detail and fields["cache-key"] != cache_key(spec, target):
        detail = "cache key differs"
    return Entry(path, "stale" if detail else "valid", detail, text, body)


def usable_dir() -> Path:
    """The cache directory, checked: it is, or can be created as, a writable directory (else FileError)."""
    directory, name = cache_dir()
    return check_output_dir(directory, name)


def refresh(spec: ModelSpec, target: str = "numpy") -> tuple[Path, str]:
    """Generate the module of ``spec``/``target`` now and write it into the cache atomically.

    Returns ``(path, text)``.  Imports the generator (and SymPy).
    """
    check_model(spec)
    check_target(target)
    check_generation_size(spec)
    usable_dir()
    from gmmsym.codegen.generator import doprint  # build time: imports SymPy (a cache miss only)

    text = entry_text(doprint(spec, target), spec, target)
    path = cache_path(spec, target)
    with file_errors(cache_dir()[1], path):  # e.g. a directory in the file's place
        atomic_write_text(path, text)
    return path, text


def cached_kernels(spec: ModelSpec, target: str = "numpy") -> types.ModuleType:
    """The kernel module of ``spec``/``target`` from the cache, generated there first if needed.

    A valid file (:func:`inspect`) is compiled without SymPy; a missing, corrupt or stale one is
    regenerated (:func:`refresh`) and the new text loaded.  Loaded once per process and directory.
    """
    check_model(spec)
    check_target(target)
    memo = (cache_dir()[0], spec, target)
    if memo in _MODULES:
        return _MODULES[memo]
    check_generation_size(spec)
    usable_dir()
    entry = inspect(spec, target)
    if entry.ok and entry.text is not None:
        path, text = entry.path, entry.text
    else:
        path, text = refresh(spec, target)
    mod = load(text, spec=spec, target=target, filename=str(path))
    _MODULES[memo] = mod
    return mod


def forget() -> None:
    """Drop the modules loaded in this process (the next :func:`cached_kernels` reads the disk again)."""
    _MODULES.clear()
