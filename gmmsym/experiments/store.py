"""SQLite store of sweep results: one row per run, resumable, written only by the parent process.

The tables and the row schema are in :mod:`gmmsym.experiments.schema` (re-exported here); this
module opens, checks, writes and reads the database.

Opening (:class:`RunStore`) refuses, before anything is written, a path that is not a gmmsym
database: a directory, a file that is not SQLite, a corrupt file, or a SQLite database without
gmmsym's marker (``PRAGMA application_id``) that already holds tables -- a foreign database is
never modified.  An empty file or a missing path becomes a new database.  Every such problem,
and every SQLite or OS failure while reading or writing, raises
:class:`~gmmsym.errors.FileError` whose message starts with the option name (``db`` by
default, ``--db`` from the command line).

Integrity: every run carries the SHA-256 of its canonical row (``checksum``); a sweep verifies
the stored runs it would reuse (:meth:`RunStore.check_runs`): a row that fails (modified
outside gmmsym) is reported, deleted and recomputed, never silently reused; readers
(:meth:`RunStore.iter_runs`) refuse it.

Durability: the database is in WAL mode with ``synchronous=FULL``, and every chunk (its runs
and its log entry) is written in a single ``BEGIN IMMEDIATE ... COMMIT`` transaction, so a
Ctrl-C or a SIGKILL loses at most the chunks that were not yet committed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from gmmsym.errors import FileError, InputError
from gmmsym.experiments.schema import (
    APPLICATION_ID,
    FINAL_COLUMNS,
    FLOAT_COLUMNS,
    INITIAL_COLUMNS,
    RUN_COLUMNS,
    SCHEMA_VERSION,
    STATE_COLUMNS,
    Layout,
    check_database,
    check_file,
    check_marker,
    decode_row,
    layout,
    row_checksum,
    row_values,
    rows_of,
    sqlite_errors,
    values_of,
)
from gmmsym.model.spec import PAPER, ModelSpec, check_model

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "RUN_COLUMNS",
    "FLOAT_COLUMNS",
    "STATE_COLUMNS",
    "INITIAL_COLUMNS",
    "FINAL_COLUMNS",
    "RunStore",
    "TamperedRow",
    "Layout",
    "layout",
    "check_database",
    "rows_of",
]


class TamperedRow(FileError):
    """A stored run whose checksum does not match its values."""


class RunStore:
    """A sweep database (SQLite, WAL mode, gmmsym's marker; see the module docstring).

    Parameters
    ----------
    path : path-like
        Database file; created (with its parent directory) if missing or empty.
    readonly : bool, default False
        Open without creating or writing (for readers while a sweep is running).
    create : bool, default True
        Create the database if missing; if False, a missing or empty file is an error.
    option : str, default "db"
        Name that starts every :class:`~gmmsym.errors.FileError` message (``"--db"`` from the CLI).
    model : ModelSpec, optional
        The model of the runs.  A new database records it (default :data:`~gmmsym.PAPER`); an
        existing one must have been started with it (else :class:`~gmmsym.errors.InputError`
        naming ``model_option``).  None: the database's own model.
    model_option : str, default "model"
        Name of ``model`` in that error (``"--model"`` from the CLI).

    Attributes
    ----------
    model : ModelSpec
        The model of the database's runs.
    layout : Layout
        Its columns (:func:`gmmsym.experiments.schema.layout`).

    Raises
    ------
    FileError
        ``path`` is not a gmmsym database (see the module docstring), is missing (``readonly``),
        or cannot be opened or written.

    Notes
    -----
    Use as a context manager or call :meth:`close`.  Only one process should write (the
    sweep's parent process); readers may open the file concurrently (WAL).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        create: bool = True,
        option: str = "db",
        model: ModelSpec | None = None,
        model_option: str = "model",
    ) -> None:
        if model is not None:
            check_model(model, model_option)
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InputError(f"{option}: expected a database path, got {path!r}")
        self.path, self.option, self._create = Path(path), option, create and not readonly
        new = check_file(self.path, option, not self._create)
        with sqlite_errors(option, self.path):
            if readonly:
                uri = f"file:{self.path.resolve()}?mode=ro"
                self._con = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            try:
                self._open(new, readonly, model, model_option)
            except BaseException:
                self._con.close()
                raise

    def _open(self, new: bool, readonly: bool, model: ModelSpec | None, model_option: str) -> None:
        if not new:
            new = check_marker(self._con, self.path, self.option, not self._create)
        self.model = (model or PAPER) if new else self._stored_model(model, model_option)
        self.layout: Layout = layout(self.model)
        if readonly:
            return
        mode = self._con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - only on file systems without WAL support
            raise FileError(f"{self.option}: could not switch {self.path} to WAL mode (got {mode!r})")
        self._con.execute("PRAGMA synchronous=FULL")
        if new:
            self._con.executescript(
                f"BEGIN IMMEDIATE; PRAGMA application_id = {APPLICATION_ID}; "
                f"PRAGMA user_version = {SCHEMA_VERSION}; {self.layout.sql}"
                f"INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}'); "
                f"INSERT INTO meta VALUES ('model', '{self.model.text()}'); COMMIT;"
            )

    def _stored_model(self, model: ModelSpec | None, model_option: str) -> ModelSpec:
        """The model recorded in ``meta``; ``model`` (if given) must be it."""
        row = self._con.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
        if row is None:
            raise FileError(f"{self.option}: {self.path} records no model (meta); sweep into a new database")
        stored = ModelSpec.parse(row[0])
        if model is not None and model != stored:
            raise InputError(
                f"{model_option}: {self.path} holds runs of the model {stored.text()}, not {model.text()}; "
                "use that model or sweep into a new database"
            )
        return stored

    # -- life cycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with sqlite_errors(self.option, self.path):
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    # -- writing ----------------------------------------------------------------------------
    def add_configs(self, configs: Mapping[str, str]) -> None:
        """Record ``{hash: canonical JSON}`` (existing hashes are kept), in one transaction."""
        with self._transaction():
            self._con.executemany(
                "INSERT OR IGNORE INTO configs (hash, config) VALUES (?, ?)", sorted(configs.items())
            )

    def write_chunk(
        self, rows: Sequence[Mapping[str, Any]], *, engine: str, seconds: float, cpu_seconds: float = math.nan
    ) -> int:
        """Insert the runs of one chunk (with their checksums) and its log entry in one transaction.

        Parameters
        ----------
        rows : sequence of mapping
            One mapping per run with every key of :data:`RUN_COLUMNS` (``flags`` a dict), as
            built by :func:`rows_of`.
        engine : str
            Description of the engine parameters (for the ``chunks`` log).
        seconds, cpu_seconds : float
            Compute (wall) and CPU time of the chunk in its worker.

        Returns
        -------
        int
            Number of rows inserted (rows already present are left unchanged).
        """
        values = [row_values(r, self.layout) for r in rows]
        columns = (*self.layout.run, "checksum")
        sql = f"INSERT OR IGNORE INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._transaction():
            before = self._con.total_changes
            self._con.executemany(sql, values)
            inserted = self._con.total_changes - before
            self._con.execute(
                "INSERT INTO chunks (engine, rows, seconds, cpu_seconds, committed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (engine, len(values), float(seconds), float(cpu_seconds), time.time()),
            )
        return inserted

    def write_replays(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert (or replace) replay results, in one transaction."""
        cols = self.layout.replay
        sql = f"INSERT OR REPLACE INTO replays ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        values = [values_of(r, cols) for r in rows]
        with self._transaction():
            self._con.executemany(sql, values)

    def delete_runs(self, keys: Iterable[tuple[str, int]]) -> None:
        """Delete the runs ``(config_hash, run)`` (e.g. rows failing their checksum), in one transaction."""
        with self._transaction():
            self._con.executemany("DELETE FROM runs WHERE config_hash = ? AND run = ?", list(keys))

    # -- reading ----------------------------------------------------------------------------
    def _select(self, where: str, params: Sequence[Any], columns: str) -> Iterator[tuple[Any, ...]]:
        sql = (
            f"SELECT {columns} FROM runs"
            + (f" WHERE {where}" if where else "")
            + " ORDER BY config_hash, run"
        )
        with sqlite_errors(self.option, self.path):
            yield from self._con.execute(sql, tuple(params))

    def _by_hashes(self, hashes: Iterable[str] | None, columns: str) -> Iterator[tuple[Any, ...]]:
        if hashes is None:
            yield from self._select("", (), columns)
            return
        wanted = sorted(set(hashes))
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            yield from self._select(f"config_hash IN ({', '.join('?' * len(part))})", part, columns)

    def check_runs(
        self, hashes: Iterable[str] | None = None
    ) -> tuple[dict[str, set[int]], list[tuple[str, int]]]:
        """Stored runs that pass their checksum, and those that do not.

        Returns
        -------
        done : dict
            ``{config_hash: {run indices present and intact}}``, optionally restricted to ``hashes``.
        bad : list of (str, int)
            ``(config_hash, run)`` of the rows whose checksum does not match their values.
        """
        done: dict[str, set[int]] = {}
        bad: list[tuple[str, int]] = []
        for *values, checksum in self._by_hashes(hashes, ", ".join((*self.layout.run, "checksum"))):
            if row_checksum(values) == checksum:
                done.setdefault(values[0], set()).add(int(values[1]))
            else:
                bad.append((values[0], int(values[1])))
        return done, bad

    def done_runs(self, hashes: Iterable[str] | None = None) -> dict[str, set[int]]:
        """``{config_hash: {run indices present and intact}}``, optionally restricted to ``hashes``."""
        return self.check_runs(hashes)[0]

    def label_counts(self, hashes: Iterable[str]) -> dict[str, int]:
        """``{label: number of stored runs}`` over the given configuration hashes."""
        counts: dict[str, int] = {}
        for (label,) in self._by_hashes(hashes, "label"):
            counts[label] = counts.get(label, 0) + 1
        return dict(sorted(counts.items()))

    def count(self) -> int:
        """Number of stored runs."""
        with sqlite_errors(self.option, self.path):
            return int(self._con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def configs(self) -> dict[str, dict[str, Any]]:
        """``{hash: config dict}`` of every recorded configuration."""
        with sqlite_errors(self.option, self.path):
            cur = self._con.execute("SELECT hash, config FROM configs ORDER BY hash")
            return {h: json.loads(c) for h, c in cur}

    def iter_runs(self, where: str = "", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Yield stored runs as dicts (``flags`` decoded, NULL floats as NaN), ordered by key.

        Parameters
        ----------
        where : str, optional
            An SQL condition on the ``runs`` columns (with ``?`` placeholders).
        params : sequence
            Values of the placeholders.

        Raises
        ------
        TamperedRow
            A row's checksum does not match its values (it was modified outside gmmsym).
        """
        lay = self.layout
        for *values, checksum in self._select(where, params, ", ".join((*lay.run, "checksum"))):
            if row_checksum(values) != checksum:
                raise TamperedRow(
                    f"{self.option}: run {values[0]}:{values[1]} of {self.path} fails its checksum "
                    "(modified outside gmmsym); re-run the sweep to recompute it"
                )
            yield decode_row(values, lay.run, lay.floats)

    def runs_for(self, hashes: Iterable[str]) -> list[dict[str, Any]]:
        """Stored runs of the given configuration hashes (ordered by hash, run)."""
        wanted = sorted(set(hashes))
        out: list[dict[str, Any]] = []
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out.extend(self.iter_runs(f"config_hash IN ({', '.join('?' * len(part))})", part))
        return out

    def replays(self, precision: str | None = None) -> dict[tuple[str, int], dict[str, Any]]:
        """Stored replays ``{(config_hash, run): row}`` (at one precision if given)."""
        cols = self.layout.replay
        sql = f"SELECT {', '.join(cols)} FROM replays"
        params: tuple[Any, ...] = () if precision is None else (precision,)
        if precision is not None:
            sql += " WHERE precision = ?"
        with sqlite_errors(self.option, self.path):
            rows = [decode_row(v, cols, self.layout.floats) for v in self._con.execute(sql, params)]
        return {(r["config_hash"], int(r["run"])): r for r in rows}

    def chunk_log(self) -> list[dict[str, Any]]:
        """The ``chunks`` log (engine, rows, seconds, cpu_seconds, committed_at), in commit order."""
        keys = ("engine", "rows", "seconds", "cpu_seconds", "committed_at")
        with sqlite_errors(self.option, self.path):
            return [
                dict(zip(keys, v))
                for v in self._con.execute(f"SELECT {', '.join(keys)} FROM chunks ORDER BY id")
            ]

    # -- export (gmmsym.experiments.export) ----------------------------------------------------
    def to_pandas(self, hashes: Iterable[str] | None = None) -> Any:
        """The stored runs as a ``pandas.DataFrame`` (:func:`gmmsym.experiments.export.to_pandas`)."""
        from gmmsym.experiments.export import to_pandas

        return to_pandas(self, hashes)

    def export(self, fmt: str, path: str | os.PathLike[str], *, option: str = "path") -> Path:
        """Write every stored run to ``path`` as csv or json (:func:`gmmsym.experiments.export.export`)."""
        from gmmsym.experiments.export import export

        return export(self, fmt, path, option=option)
