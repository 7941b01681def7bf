"""The row schema of the sweep store: columns, SQL tables, row building, per-row checksums.

Owned by the store (:mod:`gmmsym.experiments.store`, which re-exports the public names): the
sweep hands it engine results and cells, and it alone decides what a stored run looks like.

Tables
------
``meta(key, value)``
    ``schema_version`` and ``model`` (``ModelSpec.text()`` of the model every run was computed
    for: a database holds the runs of one model, and its column set follows that model).  The
    file also carries ``PRAGMA application_id`` = :data:`APPLICATION_ID` and
    ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`: the marker by which a database is
    recognised as gmmsym's before anything is written to it.
``configs(hash, config)``
    The canonical JSON of every cell configuration (:class:`gmmsym.experiments.grid.Cell`).
``runs``
    One row per finished run, primary key ``(config_hash, run)``: the configuration (repeated
    as columns for easy querying, ``model`` included), the cell ``seed`` of the discriminator initialisations
    (run ``i`` starts from ``gmmsym.dynamics.draw_ell0(seed, [i])``), the initial state
    (:data:`INITIAL_COLUMNS`; for ``optimal`` the ``ell0`` columns hold ``ell*(mu0)`` as
    reported by the engine), the final state (:data:`FINAL_COLUMNS`), the primary ``label``,
    the ``flags`` (a JSON object ``{name: bool}``, docs/model.md section 5) and ``checksum``:
    SHA-256 of the canonical row (:func:`row_checksum`), verified whenever a stored run is reused.
``chunks``
    Log of committed chunks (engine parameters, rows, compute seconds).  Informational: it is
    not part of the results and differs between interrupted and uninterrupted sweeps.
``replays``
    Re-runs of stored runs at higher precision (:mod:`gmmsym.experiments.replay`), primary key
    ``(config_hash, run, precision)``.

Columns follow the model (:func:`layout`): ``nu1 .. nuK``, ``mu0_1 .. mu0_K``, ``l0_1, r0_1 ..
l0_M, r0_M``, ``mu1 .. muK``, ``l1, r1 .. lM, rM``; the module constants (:data:`RUN_COLUMNS`
...) are those of the paper's model, whose column names are those of schema version 2.

Recognition (:func:`check_file`, :func:`check_marker`, :func:`check_database`): what makes a file
a gmmsym database, checked before anything is written to it.

Floats are stored as SQLite REAL (IEEE double, exact).  SQLite has no NaN: NaN is stored as
NULL and read back as NaN; infinities are stored as such.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gmmsym.errors import FileError
from gmmsym.io import check_output_file, file_errors
from gmmsym.model.spec import PAPER, ModelSpec

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "INITIAL_COLUMNS",
    "FINAL_COLUMNS",
    "STATE_COLUMNS",
    "RUN_COLUMNS",
    "FLOAT_COLUMNS",
    "REPLAY_COLUMNS",
    "SCHEMA_SQL",
    "Layout",
    "layout",
    "rows_of",
    "row_values",
    "row_checksum",
    "decode_row",
    "check_database",
    "check_file",
    "check_marker",
    "sqlite_errors",
]

#: ``PRAGMA application_id`` of a gmmsym database: the ASCII bytes ``gmms``.
APPLICATION_ID = int.from_bytes(b"gmms", "big")
#: ``PRAGMA user_version`` and ``meta.schema_version`` (2: per-row checksums; 3: the model).
SCHEMA_VERSION = 3

_TABLES_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE configs (hash TEXT PRIMARY KEY, config TEXT NOT NULL);
CREATE TABLE runs (
    config_hash TEXT NOT NULL, run INTEGER NOT NULL, seed INTEGER NOT NULL,
    dynamics TEXT NOT NULL, eta REAL, eta_d REAL, k INTEGER NOT NULL, steps INTEGER NOT NULL,
    tol REAL NOT NULL, precision TEXT NOT NULL, model TEXT NOT NULL, {nu}, {state},
    label TEXT NOT NULL, flags TEXT NOT NULL, checksum TEXT NOT NULL,
    PRIMARY KEY (config_hash, run)
) WITHOUT ROWID;
CREATE INDEX runs_label ON runs (label);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, engine TEXT NOT NULL, rows INTEGER NOT NULL,
    seconds REAL NOT NULL, cpu_seconds REAL NOT NULL, committed_at REAL NOT NULL
);
CREATE TABLE replays (
    config_hash TEXT NOT NULL, run INTEGER NOT NULL, precision TEXT NOT NULL, {final},
    label TEXT NOT NULL, flags TEXT NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (config_hash, run, precision)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Layout:
    """The columns of the runs of one model (see the module docstring).

    Attributes
    ----------
    model : ModelSpec
    nu, initial, final : tuple of str
        ``nu1 .. nuK``; ``mu0_*`` then ``l0_1, r0_1, ...``; ``mu*`` then ``l1, r1, ...``.
    """

    model: ModelSpec
    nu: tuple[str, ...]
    initial: tuple[str, ...]
    final: tuple[str, ...]

    @property
    def state(self) -> tuple[str, ...]:
        """Initial and final state columns (float64), in storage order."""
        return self.initial + self.final

    @property
    def run(self) -> tuple[str, ...]:
        """Every data column of ``runs``, in storage order (the ``checksum`` column covers them)."""
        config = ("dynamics", "eta", "eta_d", "k", "steps", "tol", "precision", "model", *self.nu)
        return ("config_hash", "run", "seed", *config, *self.state, "label", "flags")

    @property
    def floats(self) -> frozenset[str]:
        """Columns holding floats (NULL <-> NaN)."""
        return frozenset({"eta", "eta_d", "tol", *self.nu, *self.state})

    @property
    def replay(self) -> tuple[str, ...]:
        """Columns of ``replays``."""
        return ("config_hash", "run", "precision", *self.final, "label", "flags", "seconds")

    @property
    def sql(self) -> str:
        """The tables (run once on a new database, inside its first transaction)."""

        def real(cols: tuple[str, ...]) -> str:
            return ", ".join(f"{c} REAL" for c in cols)

        return _TABLES_SQL.format(nu=real(self.nu), state=real(self.state), final=real(self.final))


@cache
def layout(model: ModelSpec = PAPER) -> Layout:
    """The :class:`Layout` of ``model``'s runs."""
    K, ell = model.K, model.ell_names
    return Layout(
        model,
        nu=tuple(f"nu{i + 1}" for i in range(K)),
        initial=(*(f"mu0_{i + 1}" for i in range(K)), *(f"{e[0]}0_{e[1:]}" for e in ell)),
        final=(*(f"mu{i + 1}" for i in range(K)), *ell),
    )


_PAPER = layout(PAPER)
#: Initial state columns of the paper's model: ``mu0`` then ``ell0`` in the order ``l1, r1, l2, r2``.
INITIAL_COLUMNS: tuple[str, ...] = _PAPER.initial
#: Final state columns of the paper's model: ``mu`` then ``ell``.
FINAL_COLUMNS: tuple[str, ...] = _PAPER.final
#: Initial and final state columns (float64), in storage order.
STATE_COLUMNS: tuple[str, ...] = _PAPER.state
#: Every data column of ``runs`` (paper's model), in storage order.
RUN_COLUMNS: tuple[str, ...] = _PAPER.run
#: Columns holding floats (NULL <-> NaN), paper's model.
FLOAT_COLUMNS: frozenset[str] = _PAPER.floats
#: Columns of ``replays``, paper's model.
REPLAY_COLUMNS: tuple[str, ...] = _PAPER.replay
#: The tables of a database of the paper's model.
SCHEMA_SQL = _PAPER.sql
#: The tables a gmmsym database holds (anything else makes it foreign).
TABLES: frozenset[str] = frozenset({"meta", "configs", "runs", "chunks", "replays"})


def to_sql(value: Any) -> Any:
    """Python value for SQLite (NaN -> NULL, numpy scalars -> Python)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def from_sql(column: str, value: Any, floats: frozenset[str] = FLOAT_COLUMNS) -> Any:
    """The Python value of a stored column (NULL floats -> NaN)."""
    if column in floats:
        return math.nan if value is None else float(value)
    return value


def values_of(row: Mapping[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
    """SQL values of ``row`` in ``columns`` order (``flags`` as canonical JSON)."""
    return tuple(json.dumps(row[c], sort_keys=True) if c == "flags" else to_sql(row[c]) for c in columns)


def row_checksum(values: Sequence[Any]) -> str:
    """SHA-256 (hex) of the canonical text of a run's SQL values (:data:`RUN_COLUMNS` order).

    Floats enter as ``float.hex`` (exact), integers and text as themselves, NULL as ``null``;
    a changed value, column or row key changes the checksum.
    """
    canon = [v.hex() if isinstance(v, float) else v for v in values]
    return hashlib.sha256(json.dumps(canon, separators=(",", ":")).encode()).hexdigest()


def row_values(row: Mapping[str, Any], lay: Layout = _PAPER) -> tuple[Any, ...]:
    """SQL values of a run (``lay.run`` order) followed by its checksum."""
    values = values_of(row, lay.run)
    return (*values, row_checksum(values))


def decode_row(
    values: Sequence[Any], columns: Sequence[str] = RUN_COLUMNS, floats: frozenset[str] = FLOAT_COLUMNS
) -> dict[str, Any]:
    """A stored row as a dict (``flags`` decoded, NULL floats as NaN)."""
    row = {c: from_sql(c, v, floats) for c, v in zip(columns, values)}
    row["flags"] = json.loads(row["flags"])
    return row


def _cell_columns(c: Any) -> dict[str, Any]:
    return {
        "config_hash": c.hash,
        "seed": c.init_seed,
        "dynamics": c.dynamics,
        "eta": c.eta,
        "eta_d": math.nan if c.eta_d is None else c.eta_d,
        "k": c.k,
        "steps": c.steps,
        "tol": c.tol,
        "precision": "float64",
        "model": c.model.text(),
        **{f"nu{i + 1}": v for i, v in enumerate(c.nu)},
    }


def rows_of(segments: Sequence[Any], result: Mapping[str, Any], lay: Layout = _PAPER) -> list[dict[str, Any]]:
    """The stored rows of one engine result.

    Parameters
    ----------
    segments : sequence
        Objects with ``cell`` (a :class:`~gmmsym.experiments.grid.Cell` of the layout's model),
        ``start`` and ``stop``: runs ``start .. stop - 1`` of that cell, in the order of the
        result's rows.
    result : mapping
        ``mu0 (n, K)``, ``ell0 (n, 2M)``, ``mu (n, K)``, ``ell (n, 2M)``, ``label (n,)`` and
        ``flags {name: (n,) bool}`` (as returned by the sweep's worker).
    lay : Layout
        The columns of the model (:func:`layout`).

    Returns
    -------
    list of dict
        One mapping per run with every key of ``lay.run``.
    """
    mu0, ell0, mu, ell, label = (result[k] for k in ("mu0", "ell0", "mu", "ell", "label"))
    flags = result["flags"]
    K, n_ell = lay.model.K, 2 * lay.model.M
    rows, i = [], 0
    for seg in segments:
        if seg.cell.model != lay.model:
            raise RuntimeError(
                f"a cell of the model {seg.cell.model.text()} in a store of {lay.model.text()}"
            )
        fixed = _cell_columns(seg.cell)
        for run in range(seg.start, seg.stop):
            state = [*mu0[i, :K], *ell0[i, :n_ell], *mu[i, :K], *ell[i, :n_ell]]
            row = {**fixed, "run": run, **{c: float(v) for c, v in zip(lay.state, state)}}
            row["label"] = str(label[i])
            row["flags"] = {name: bool(v[i]) for name, v in flags.items()}
            rows.append(row)
            i += 1
    if i != len(mu):
        raise RuntimeError(f"engine returned {len(mu)} rows for a chunk of {i}")
    return rows


# -- recognising a gmmsym database ---------------------------------------------------------------

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _sql_error(option: str, path: Path, exc: sqlite3.Error) -> FileError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return FileError(f"{option}: cannot write to {path} (read-only database or directory)")
    if "malformed" in text or "not a database" in text:
        return FileError(f"{option}: {path} is corrupt or not a SQLite database ({text})")
    return FileError(f"{option}: cannot use the database {path} ({text})")


@contextlib.contextmanager
def sqlite_errors(option: str, path: Path) -> Iterator[None]:
    """SQLite and OS failures of the block as one-line :class:`FileError` naming ``option``."""
    try:
        with file_errors(option, path):
            yield
    except sqlite3.Error as exc:
        raise _sql_error(option, path, exc) from exc


def check_file(path: Path, option: str, readonly: bool) -> bool:
    """Check what is at ``path`` before connecting; return whether it is a new (empty) database."""
    if path.is_dir():
        raise FileError(f"{option}: {path} is a directory, not a database file")
    if not path.exists():
        if readonly:
            raise FileError(f"{option}: no such database {str(path)!r}")
        return True
    with file_errors(option, path), open(path, "rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if not head and not readonly:
        return True
    if head != _SQLITE_MAGIC:
        raise FileError(f"{option}: {path} is not a SQLite database (refusing to touch it)")
    return False


def check_marker(con: sqlite3.Connection, path: Path, option: str, readonly: bool) -> bool:
    """Check the gmmsym marker of an existing SQLite file; return whether it is still empty."""
    app = con.execute("PRAGMA application_id").fetchone()[0]
    version = con.execute("PRAGMA user_version").fetchone()[0]
    tables = sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    if app == 0 and not tables and not readonly:
        return True
    if app == 0 and set(tables) == TABLES:  # schema 1 had no marker and no checksums
        raise FileError(
            f"{option}: {path} was written by an older gmmsym (schema version 1, no per-row checksums); "
            "sweep into a new database"
        )
    if app != APPLICATION_ID:
        listed = ", ".join(tables) or "none"
        raise FileError(
            f"{option}: {path} is a SQLite database not created by gmmsym (tables: {listed}); "
            "refusing to modify it"
        )
    if version != SCHEMA_VERSION:
        why = " (written before runs recorded their model); sweep into a new database" if version == 2 else ""
        raise FileError(
            f"{option}: {path} has gmmsym schema version {version}, expected {SCHEMA_VERSION}{why}"
        )
    foreign = sorted(set(tables) - TABLES)
    if foreign:
        raise FileError(f"{option}: {path} holds tables gmmsym does not own ({', '.join(foreign)})")
    if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        raise FileError(f"{option}: {path} is corrupt (PRAGMA quick_check failed)")
    return False


def check_database(path: str | os.PathLike[str], option: str = "db", *, create: bool = True) -> Path:
    """Check, before any work and without creating or writing anything, that ``path`` can be opened.

    An existing file must be a gmmsym database (the checks of :class:`RunStore`) in a writable
    directory; a missing one (``create``) must be creatable.  Returns ``path`` as a ``Path``.

    Raises
    ------
    FileError
        As :class:`RunStore` would, naming ``option``.
    """
    p = Path(check_output_file(path, option, parents=True)) if create else Path(path)
    if check_file(p, option, not create):
        return p
    with sqlite_errors(option, p):
        con = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True, timeout=60)
        try:
            check_marker(con, p, option, not create)
        finally:
            con.close()
    if not create:
        check_output_file(p, option)
    return p
