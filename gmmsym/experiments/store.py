"""SQLite store of sweep results: one row per run, resumable, written only by the parent process.

Tables
------
``configs(hash, config)``
    The canonical JSON of every cell configuration (see :class:`gmmsym.experiments.sweep.Cell`).
``runs``
    One row per finished run, primary key ``(config_hash, run)``: the configuration (repeated
    as columns for easy querying), the cell ``seed`` of the discriminator initialisations
    (run ``i`` starts from ``gmmsym.dynamics.draw_ell0(seed, [i])``), the initial state
    (``mu0_1, mu0_2, l0_1, r0_1, l0_2, r0_2``; for ``optimal`` the ``ell0`` columns hold
    ``ell*(mu0)`` as reported by the engine), the final state
    (``mu1, mu2, l1, r1, l2, r2``), the primary ``label`` and the ``flags`` (a JSON object
    ``{name: bool}``, MODEL.md section 5).
``chunks``
    Log of committed chunks (engine parameters, rows, compute seconds).  Informational: it is
    not part of the results and differs between interrupted and uninterrupted sweeps.
``replays``
    Re-runs of stored runs at higher precision (:mod:`gmmsym.experiments.replay`), primary key
    ``(config_hash, run, precision)``.

Durability: the database is in WAL mode with ``synchronous=FULL``, and every chunk (its runs
and its log entry) is written in a single ``BEGIN IMMEDIATE ... COMMIT`` transaction, so a
Ctrl-C or a SIGKILL loses at most the chunks that were not yet committed.

Floats are stored as SQLite REAL (IEEE double, exact).  SQLite has no NaN: NaN is stored as
NULL and read back as NaN; infinities are stored as such.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from gmmsym.errors import InputError
from gmmsym.io import atomic_write_text, json_text

__all__ = [
    "SCHEMA_VERSION",
    "RUN_COLUMNS",
    "FLOAT_COLUMNS",
    "STATE_COLUMNS",
    "RunStore",
]

SCHEMA_VERSION = 1

#: Final and initial state columns (float64), in storage order.
STATE_COLUMNS: tuple[str, ...] = (
    "mu0_1",
    "mu0_2",
    "l0_1",
    "r0_1",
    "l0_2",
    "r0_2",
    "mu1",
    "mu2",
    "l1",
    "r1",
    "l2",
    "r2",
)
#: Every column of ``runs``, in storage order.
RUN_COLUMNS: tuple[str, ...] = (
    "config_hash",
    "run",
    "seed",
    "dynamics",
    "eta",
    "eta_d",
    "k",
    "steps",
    "tol",
    "precision",
    "nu1",
    "nu2",
    *STATE_COLUMNS,
    "label",
    "flags",
)
#: Columns holding floats (NULL <-> NaN).
FLOAT_COLUMNS: frozenset[str] = frozenset({"eta", "eta_d", "tol", "nu1", "nu2", *STATE_COLUMNS})

_REPLAY_COLUMNS: tuple[str, ...] = (
    "config_hash",
    "run",
    "precision",
    "mu1",
    "mu2",
    "l1",
    "r1",
    "l2",
    "r2",
    "label",
    "flags",
    "seconds",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configs (hash TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    config_hash TEXT NOT NULL, run INTEGER NOT NULL, seed INTEGER NOT NULL,
    dynamics TEXT NOT NULL, eta REAL, eta_d REAL, k INTEGER NOT NULL, steps INTEGER NOT NULL,
    tol REAL NOT NULL, precision TEXT NOT NULL, nu1 REAL, nu2 REAL,
    {", ".join(f"{c} REAL" for c in STATE_COLUMNS)},
    label TEXT NOT NULL, flags TEXT NOT NULL,
    PRIMARY KEY (config_hash, run)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_label ON runs (label);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, engine TEXT NOT NULL, rows INTEGER NOT NULL,
    seconds REAL NOT NULL, cpu_seconds REAL NOT NULL, committed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS replays (
    config_hash TEXT NOT NULL, run INTEGER NOT NULL, precision TEXT NOT NULL,
    mu1 REAL, mu2 REAL, l1 REAL, r1 REAL, l2 REAL, r2 REAL,
    label TEXT NOT NULL, flags TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (config_hash, run, precision)
) WITHOUT ROWID;
"""


def _to_sql(value: Any) -> Any:
    """Python value for SQLite (NaN -> NULL, numpy scalars -> Python)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _from_sql(column: str, value: Any) -> Any:
    if column in FLOAT_COLUMNS:
        return math.nan if value is None else float(value)
    return value


class RunStore:
    """A sweep database (SQLite, WAL mode).

    Parameters
    ----------
    path : path-like
        Database file; created (with its parent directory) if missing.
    readonly : bool, default False
        Open without creating or writing (for readers while a sweep is running).

    Notes
    -----
    Use as a context manager or call :meth:`close`.  Only one process should write (the
    sweep's parent process); readers may open the file concurrently (WAL).
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise InputError(f"db: no such database {str(self.path)!r}")
            self._con = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=60, isolation_level=None
            )
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        mode = self._con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - only on file systems without WAL support
            raise RuntimeError(f"db: could not switch {self.path} to WAL mode (got {mode!r})")
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.executescript(_SCHEMA)
        row = self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise InputError(f"db: {self.path} has schema version {row[0]}, expected {SCHEMA_VERSION}")

    # -- life cycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        """Insert the runs of one chunk and its log entry in a single transaction.

        Parameters
        ----------
        rows : sequence of mapping
            One mapping per run with every key of :data:`RUN_COLUMNS` (``flags`` a dict).
        engine : str
            Description of the engine parameters (for the ``chunks`` log).
        seconds : float
            Compute (wall) time of the chunk in its worker.
        cpu_seconds : float
            CPU time of the worker process during the chunk.

        Returns
        -------
        int
            Number of rows inserted (rows already present are left unchanged).
        """
        values = [
            tuple(json.dumps(r[c], sort_keys=True) if c == "flags" else _to_sql(r[c]) for c in RUN_COLUMNS)
            for r in rows
        ]
        marks = ", ".join("?" * len(RUN_COLUMNS))
        sql = f"INSERT OR IGNORE INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({marks})"
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
        sql = (
            f"INSERT OR REPLACE INTO replays ({', '.join(_REPLAY_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_REPLAY_COLUMNS))})"
        )
        values = [
            tuple(
                json.dumps(r[c], sort_keys=True) if c == "flags" else _to_sql(r[c]) for c in _REPLAY_COLUMNS
            )
            for r in rows
        ]
        with self._transaction():
            self._con.executemany(sql, values)

    class _Txn:
        def __init__(self, con: sqlite3.Connection) -> None:
            self.con = con

        def __enter__(self) -> None:
            self.con.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            if exc_type is None:
                self.con.execute("COMMIT")
            else:
                self.con.execute("ROLLBACK")

    def _transaction(self) -> RunStore._Txn:
        return RunStore._Txn(self._con)

    # -- reading ----------------------------------------------------------------------------
    def done_runs(self, hashes: Iterable[str] | None = None) -> dict[str, set[int]]:
        """``{config_hash: {run indices present}}``, optionally restricted to ``hashes``."""
        done: dict[str, set[int]] = {}
        if hashes is None:
            cur = self._con.execute("SELECT config_hash, run FROM runs")
        else:
            wanted = sorted(set(hashes))
            if not wanted:
                return done
            self._con.execute("CREATE TEMP TABLE IF NOT EXISTS _want (hash TEXT PRIMARY KEY)")
            self._con.execute("DELETE FROM _want")
            self._con.executemany("INSERT INTO _want VALUES (?)", [(h,) for h in wanted])
            cur = self._con.execute(
                "SELECT config_hash, run FROM runs JOIN _want ON runs.config_hash = _want.hash"
            )
        for h, r in cur:
            done.setdefault(h, set()).add(int(r))
        return done

    def label_counts(self, hashes: Iterable[str]) -> dict[str, int]:
        """``{label: number of stored runs}`` over the given configuration hashes."""
        counts: dict[str, int] = {}
        wanted = sorted(set(hashes))
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ", ".join("?" * len(part))
            sql = f"SELECT label, COUNT(*) FROM runs WHERE config_hash IN ({marks}) GROUP BY label"
            for label, n in self._con.execute(sql, part):
                counts[label] = counts.get(label, 0) + int(n)
        return dict(sorted(counts.items()))

    def count(self) -> int:
        """Number of stored runs."""
        return int(self._con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def configs(self) -> dict[str, dict[str, Any]]:
        """``{hash: config dict}`` of every recorded configuration."""
        return {
            h: json.loads(c) for h, c in self._con.execute("SELECT hash, config FROM configs ORDER BY hash")
        }

    def iter_runs(self, where: str = "", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Yield stored runs as dicts (``flags`` decoded, NULL floats as NaN), ordered by key.

        Parameters
        ----------
        where : str, optional
            An SQL condition on the ``runs`` columns (with ``?`` placeholders).
        params : sequence
            Values of the placeholders.
        """
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"
        if where:
            sql += f" WHERE {where}"
        sql += " ORDER BY config_hash, run"
        for values in self._con.execute(sql, tuple(params)):
            row = {c: _from_sql(c, v) for c, v in zip(RUN_COLUMNS, values)}
            row["flags"] = json.loads(row["flags"])
            yield row

    def runs_for(self, hashes: Iterable[str]) -> list[dict[str, Any]]:
        """Stored runs of the given configuration hashes (ordered by hash, run)."""
        wanted = sorted(set(hashes))
        out: list[dict[str, Any]] = []
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out.extend(self.iter_runs(f"config_hash IN ({', '.join('?' * len(part))})", part))
        out.sort(key=lambda r: (r["config_hash"], r["run"]))
        return out

    def replays(self, precision: str | None = None) -> dict[tuple[str, int], dict[str, Any]]:
        """Stored replays ``{(config_hash, run): row}`` (at one precision if given)."""
        sql = f"SELECT {', '.join(_REPLAY_COLUMNS)} FROM replays"
        params: tuple[Any, ...] = ()
        if precision is not None:
            sql += " WHERE precision = ?"
            params = (precision,)
        out = {}
        for values in self._con.execute(sql, params):
            row = dict(zip(_REPLAY_COLUMNS, values))
            for c in ("mu1", "mu2", "l1", "r1", "l2", "r2"):
                row[c] = math.nan if row[c] is None else float(row[c])
            row["flags"] = json.loads(row["flags"])
            out[(row["config_hash"], int(row["run"]))] = row
        return out

    def chunk_log(self) -> list[dict[str, Any]]:
        """The ``chunks`` log (engine, rows, seconds, cpu_seconds, committed_at), in commit order."""
        keys = ("engine", "rows", "seconds", "cpu_seconds", "committed_at")
        cur = self._con.execute(f"SELECT {', '.join(keys)} FROM chunks ORDER BY id")
        return [dict(zip(keys, v)) for v in cur]

    # -- export -----------------------------------------------------------------------------
    def export(self, fmt: str, path: str | os.PathLike[str]) -> Path:
        """Write every stored run to ``path`` as ``csv`` or ``json`` (atomically).

        CSV: one line per run, the columns of :data:`RUN_COLUMNS` with ``flags`` expanded
        into one ``flag_<name>`` column (0/1) per flag; floats are written with ``repr``
        (exact round trip), NaN as ``nan`` and infinities as ``inf``/``-inf``.

        JSON: ``{"schema": 1, "columns": [...], "runs": [{column: value, ...}, ...]}``
        with ``flags`` an object; strict JSON, so NaN is ``null`` and infinities are the
        strings ``"inf"`` / ``"-inf"``.

        Returns
        -------
        Path
            ``path``.
        """
        fmt = fmt.lower()
        if fmt not in ("csv", "json"):
            raise InputError(f"export format must be 'csv' or 'json', got {fmt!r}")
        runs = list(self.iter_runs())
        if fmt == "csv":
            flag_names = sorted({name for r in runs for name in r["flags"]})
            header = [c for c in RUN_COLUMNS if c != "flags"] + [f"flag_{n}" for n in flag_names]
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(header)
            for r in runs:
                writer.writerow(
                    [repr(r[c]) if isinstance(r[c], float) else r[c] for c in RUN_COLUMNS if c != "flags"]
                    + [int(bool(r["flags"].get(n, False))) for n in flag_names]
                )
            return atomic_write_text(path, buf.getvalue())

        doc = {
            "schema": SCHEMA_VERSION,
            "columns": list(RUN_COLUMNS),
            "runs": [{c: r[c] for c in RUN_COLUMNS} for r in runs],
        }
        return atomic_write_text(path, json_text(doc, indent=1))
