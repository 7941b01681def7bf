"""The sweep store: foreign and broken files refused before any write, per-row checksums, to_pandas,
one-line errors of the experiment commands, replay errors and a replay of diverged runs."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path
from unittest import mock

import pytest

from gmmsym.errors import FileError, InputError
from gmmsym.experiments import schema
from gmmsym.experiments import store as store_mod
from gmmsym.experiments.replay import replay
from gmmsym.experiments.schema import APPLICATION_ID, SCHEMA_VERSION
from gmmsym.experiments.store import RUN_COLUMNS, RunStore, TamperedRow, check_database
from gmmsym.experiments.sweep import sweep

GRID = {"dynamics": ["simultaneous", "optimal"], "steps": 20, "mu_grid": [-1.0, 1.0, 2], "runs": 3, "seed": 1}
GRID_RUNS = 4 * 3 + 4


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("store") / "ref.db"
    assert sweep(GRID, db=db, progress=False).computed == GRID_RUNS
    return db


def _foreign(path: Path, sql: str) -> Path:
    con = sqlite3.connect(path)
    con.executescript(sql)
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO runs (note) VALUES ('mine');",
        "CREATE TABLE photos (id INTEGER PRIMARY KEY);",
    ],
    ids=["own-runs-table", "other-table"],
)
def test_foreign_sqlite_database_is_refused_and_left_unchanged(tmp_path, sql):
    db = _foreign(tmp_path / "foreign.db", sql)
    before = _digest(db)
    for call in (
        lambda: sweep(GRID, db=db, progress=False),
        lambda: RunStore(db),
        lambda: RunStore(db, readonly=True),
        lambda: check_database(db, "--db"),
        lambda: replay(db, sample=1, progress=False),
    ):
        with pytest.raises(FileError, match="not created by gmmsym"):
            call()
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]  # no -wal / -shm either


def test_not_sqlite_directory_and_corrupt_files_are_refused(tmp_path, swept):
    text = tmp_path / "notes.db"
    text.write_text("my thesis, do not overwrite\n")
    with pytest.raises(FileError, match=r"^db: .* is not a SQLite database"):
        sweep(GRID, db=text, progress=False)
    assert text.read_text() == "my thesis, do not overwrite\n"
    with pytest.raises(FileError, match="is a directory"):
        RunStore(tmp_path)
    corrupt = tmp_path / "corrupt.db"
    data = bytearray(swept.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # header intact, schema page destroyed
    corrupt.write_bytes(bytes(data))
    with pytest.raises(FileError, match=r"^db: .*corrupt"):
        RunStore(corrupt)
    with pytest.raises(FileError, match="--db"):
        check_database(corrupt, "--db")


def test_other_gmmsym_schema_versions_and_extra_tables_are_refused(tmp_path):
    old = _foreign(tmp_path / "old.db", f"PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;")
    with pytest.raises(FileError, match=f"schema version 1, expected {SCHEMA_VERSION}"):
        RunStore(old)
    legacy = _foreign(tmp_path / "v1.db", "".join(f"CREATE TABLE {t} (a);" for t in schema.TABLES))
    with pytest.raises(FileError, match="older gmmsym .*schema version 1"):
        RunStore(legacy)
    db = tmp_path / "x.db"
    RunStore(db).close()
    _foreign(db, "CREATE TABLE extra (a);")
    with pytest.raises(FileError, match="tables gmmsym does not own"):
        RunStore(db)


def test_missing_empty_and_unwritable_paths(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(FileError, match="no such database"):
        RunStore(missing, readonly=True)
    with pytest.raises(FileError, match="no such database"):
        RunStore(missing, create=False)
    with pytest.raises(FileError, match="^--db: no such database"):
        replay(missing, sample=2, progress=False, db_option="--db")
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with RunStore(empty) as store:  # an empty file becomes a database
        assert store.count() == 0
    with pytest.raises(FileError, match="^--db: "):
        check_database("/proc/gmmsym-test.db", "--db")
    with pytest.raises(FileError, match=r"^db\b"):
        sweep(GRID, db="/proc/gmmsym-test.db", progress=False)


def test_new_database_carries_the_marker(tmp_path):
    db = tmp_path / "new.db"
    RunStore(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def _tamper(db: Path, sql: str) -> None:
    con = sqlite3.connect(db)
    con.execute(sql)
    con.commit()
    con.close()


def test_tampered_row_is_reported_and_recomputed(tmp_path, swept):
    db = tmp_path / "t.db"
    db.write_bytes(swept.read_bytes())
    with RunStore(swept, readonly=True) as ref:
        want = list(ref.iter_runs())
        key = (want[5]["config_hash"], want[5]["run"])
    _tamper(db, f"UPDATE runs SET mu1 = mu1 + 1e-12 WHERE config_hash = '{key[0]}' AND run = {key[1]}")
    with RunStore(db, readonly=True) as store:
        with pytest.raises(TamperedRow, match=f"{key[0]}:{key[1]} .* fails its checksum"):
            list(store.iter_runs())
        assert store.check_runs()[1] == [key]
    with pytest.raises(TamperedRow):  # replay refuses to start from a tampered row
        replay(db, sample=GRID_RUNS, progress=False)
    res = sweep(GRID, db=db, progress=False)
    assert res.tampered == [key] and res.computed == 1
    with RunStore(db, readonly=True) as store:
        got = list(store.iter_runs())
    assert [[r[c] for c in RUN_COLUMNS if c != "eta_d"] for r in got] == [
        [r[c] for c in RUN_COLUMNS if c != "eta_d"] for r in want
    ]
    # a label edit is caught too; and the check is what catches it (a constant checksum would not)
    _tamper(db, "UPDATE runs SET label = 'converged' WHERE label != 'converged'")
    with RunStore(db, readonly=True) as store:
        assert store.check_runs()[1]
    with mock.patch.object(store_mod, "row_checksum", lambda values: "0" * 64):
        with RunStore(db, readonly=True) as store:
            assert len(store.check_runs()[1]) == GRID_RUNS  # every row "fails": the comparison is real


def test_to_pandas_matches_the_stored_runs(swept, tmp_path):
    pd = pytest.importorskip("pandas")
    with RunStore(swept, readonly=True) as store:
        runs = list(store.iter_runs())
        frame = store.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == GRID_RUNS
    assert list(frame["run"]) == [r["run"] for r in runs]
    assert frame["mu1"].tolist() == [r["mu1"] for r in runs]
    assert frame["flag_converged"].dtype == bool
    assert frame["flag_converged"].tolist() == [r["flags"]["converged"] for r in runs]
    res = sweep({**GRID, "dynamics": "optimal"}, db=swept, progress=False)
    assert len(res.to_pandas()) == 4  # only the sweep's own grid
    with mock.patch.dict(sys.modules, {"pandas": None}):
        with RunStore(swept, readonly=True) as store, pytest.raises(ImportError, match="pip install pandas"):
            store.to_pandas()


# -- replay -----------------------------------------------------------------------------------------


def test_replay_selection_errors(swept):
    with pytest.raises(InputError, match="unknown dynamics 'simultanous'"):
        replay(swept, sample=2, dynamics=["simultanous"], progress=False)
    with pytest.raises(InputError, match="unknown dynamics 'alternating'"):
        replay(swept, sample=2, dynamics=["alternating"], progress=False)
    with pytest.raises(
        InputError, match=r"no stored run .* matches .*holds 16 runs \(optimal, simultaneous\)"
    ):
        replay(swept, sample=2, dynamics=["alternating-k5"], progress=False)
    with pytest.raises(InputError, match="no stored run"):
        replay(swept, sample=2, max_evaluations=1, progress=False)
    assert replay(swept, sample=0, progress=False).n == 0  # an explicit empty sample is fine


def test_replay_of_diverged_runs(tmp_path):
    """Issue 11.7: runs that diverge in float64 replay at 20 digits (first order and optimal)."""
    db = tmp_path / "div.db"
    sweep(
        {"dynamics": "simultaneous", "eta": 1e5, "steps": 5, "mu0": (0.3, -0.2), "runs": 2},
        db=db,
        progress=False,
    )
    sweep({"dynamics": "optimal", "eta": 1e4, "steps": 5, "mu0": (0.3, -0.2)}, db=db, progress=False)
    with RunStore(db, readonly=True) as store:
        labels = [r["label"] for r in store.iter_runs()]
    assert labels.count("diverged") >= 2, labels
    rep = replay(db, sample=3, precision=20, progress=False)
    assert rep.n == 3
    assert sum(r["label64"] == "diverged" for r in rep.rows) >= 2
    assert all(r["agree"] for r in rep.rows if r["label64"] == "diverged")


# -- command line -----------------------------------------------------------------------------------


def _cli(args, capsys) -> tuple[int, str]:
    from gmmsym.cli import main

    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


def test_cli_replay_mistakes_are_errors(tmp_path, swept, capsys):
    missing = tmp_path / "nonexist.db"
    code, err = _cli(["replay", "--db", str(missing), "--sample", "2", "--no-progress"], capsys)
    assert code == 2 and "--db: no such database" in err and len(err.splitlines()) == 1
    assert not missing.exists()
    code, err = _cli(["replay", "--db", str(swept), "--dynamics", "nope", "--no-progress"], capsys)
    assert code == 2 and "unknown dynamics 'nope'" in err
    code, err = _cli(["replay", "--db", str(swept), "--dynamics", "alternating-k5", "--no-progress"], capsys)
    assert code == 2 and "no stored run" in err
    code, err = _cli(["replay", "--db", str(swept), "--json", "/proc/gmmsym.json", "--no-progress"], capsys)
    assert code == 2 and "--json: " in err and len(err.splitlines()) == 1


def test_cli_file_errors_come_before_any_work(tmp_path, capsys):
    foreign = _foreign(tmp_path / "f.db", "CREATE TABLE runs (a);")
    base = [
        "sweep",
        "--dynamics",
        "simultaneous",
        "--steps",
        "5",
        "--mu0",
        "0",
        "0",
        "--runs",
        "1",
        "--no-progress",
    ]
    cases = [
        (base + ["--db", str(foreign)], "--db: "),
        (base + ["--db", str(tmp_path / "a.db"), "--export", "csv", "/proc/x.csv"], "--export: "),
        (["sweep", "--db", str(tmp_path / "b.db"), "--config", str(tmp_path / "none.json")], "--config: "),
        (["reproduce", "figure2", "--out", "/proc/fig2", "--grid", "2", "--no-progress"], "--out: "),
    ]
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    cases.append((["sweep", "--db", str(tmp_path / "c.db"), "--config", str(bad_json)], "--config: "))
    for args, option in cases:
        code, err = _cli(args, capsys)
        assert code == 2, (args, err)
        assert option in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "f.db"]  # nothing created


def test_sweep_arguments_are_checked_before_the_database_is_created(tmp_path):
    db = tmp_path / "never.db"
    with pytest.raises(InputError, match="^engine: "):
        sweep(GRID, db=db, engine="x", progress=False)
    with pytest.raises(InputError, match="^executor: "):
        sweep(GRID, db=db, executor="pool", progress=False)
    with pytest.raises(InputError, match="^chunk_seconds"):
        sweep(GRID, db=db, chunk_seconds=0, progress=False)
    with pytest.raises(InputError, match=r"^db\b"):
        sweep(GRID, db=None, progress=False)
    assert not db.exists()
