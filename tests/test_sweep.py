"""Sweeps: determinism (chunking, workers, executors), resume after SIGKILL / Ctrl-C, idempotence, export."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from gmmsym.dynamics import draw_ell0, simulate
from gmmsym.experiments.store import RUN_COLUMNS, RunStore
from gmmsym.experiments.sweep import Cell, expand_grid, initial_discriminators, sweep
from gmmsym.outcomes import LABELS

# A small grid exercising every code path: two first-order engines (k matters for alternating
# only), the optimal engine (one run per cell), several cells per engine.
GRID = {
    "dynamics": ["simultaneous", "alternating", "optimal"],
    "k": [2],
    "steps": 40,
    "mu_grid": [-1.0, 1.0, 3],
    "runs": 5,
    "seed": 3,
}
GRID_RUNS = 9 * 5 * 2 + 9


def _key(v):
    """Comparable form of a stored value (NaN equals NaN, floats compared bitwise)."""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else v.hex()
    if isinstance(v, dict):
        return tuple(sorted((k, _key(x)) for k, x in v.items()))
    return v


def runs_of(db: Path) -> list[tuple]:
    with RunStore(db, readonly=True) as store:
        return [tuple(_key(r[c]) for c in RUN_COLUMNS) for r in store.iter_runs()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The grid swept once, serially, with automatic chunks."""
    db = tmp_path_factory.mktemp("ref") / "ref.db"
    res = sweep(GRID, db=db, progress=False)
    assert res.computed == res.runs == GRID_RUNS
    return db


def test_initial_discriminators_do_not_depend_on_the_range():
    full = initial_discriminators(12345, 0, 50)
    assert full.shape == (50, 4)
    assert (np.diff(full, axis=1) >= 0).all()
    assert (full >= -2).all() and (full <= 2).all()
    for i in (0, 7, 49):  # the engine's per-row convention, run index = row index
        np.testing.assert_array_equal(full[i], draw_ell0(12345, [i])[0])
    for a, b in [(0, 1), (7, 19), (49, 50), (13, 13)]:
        np.testing.assert_array_equal(initial_discriminators(12345, a, b), full[a:b])
    assert not np.array_equal(initial_discriminators(12346, 0, 50), full)


def test_cells_are_normalised_and_hashed_canonically():
    a = Cell("simultaneous", eta=0.1, k=5, steps=10, mu0=(0, 1), runs=3)
    b = Cell("simultaneous", eta=0.1, eta_d=0.1, k=1, steps=10, mu0=(0.0, 1.0), runs=8)
    assert a.k == 1 and a.eta_d == 0.1
    assert a.hash == b.hash  # k unused by simultaneous, eta_d None = eta, runs not hashed
    assert a.init_seed == b.init_seed
    alt = [Cell("alternating", k=k, steps=10, mu0=(0, 1)) for k in (1, 5)]
    assert alt[0].hash != alt[1].hash
    assert alt[0].init_seed == a.init_seed  # same discriminators for every dynamics in a cell
    assert Cell("simultaneous", steps=10, mu0=(0, 1), seed=1).init_seed != a.init_seed
    assert Cell("simultaneous", steps=10, mu0=(1, 0)).init_seed != a.init_seed
    assert Cell("optimal", runs=100).runs == 1
    cells = expand_grid(GRID)
    assert len(cells) == 27 and sum(c.runs for c in cells) == GRID_RUNS
    assert len({c.hash for c in cells}) == 27
    with pytest.raises(ValueError, match="unknown keys"):
        expand_grid({"dynamic": "simultaneous"})
    with pytest.raises(ValueError, match="dynamics"):
        Cell("gradient")


def test_stored_runs_match_direct_simulation(reference):
    """Every stored row is what simulate gives for the stored initial state and parameters."""
    with RunStore(reference, readonly=True) as store:
        rows = list(store.iter_runs())
    assert len(rows) == GRID_RUNS
    for dyn, k in [("simultaneous", 1), ("alternating", 2), ("optimal", 1)]:
        group = [r for r in rows if r["dynamics"] == dyn]
        assert {r["k"] for r in group} == {k}
        mu0 = np.array([[r["mu0_1"], r["mu0_2"]] for r in group])
        ell0 = np.array([[r["l0_1"], r["r0_1"], r["l0_2"], r["r0_2"]] for r in group])
        res = simulate((-0.5, 0.5), mu0, None if dyn == "optimal" else ell0, dynamics=dyn, k=k, steps=40)
        np.testing.assert_array_equal(res.mu, [[r["mu1"], r["mu2"]] for r in group])
        np.testing.assert_array_equal(res.ell, [[r["l1"], r["r1"], r["l2"], r["r2"]] for r in group])
        assert res.label.tolist() == [r["label"] for r in group]
        assert all(set(r["flags"]) == set(LABELS) and r["flags"][r["label"]] for r in group)
        if dyn != "optimal":  # the draws of the documented stream, run by run
            for r in group:
                expect = initial_discriminators(r["seed"], r["run"], r["run"] + 1)[0]
                np.testing.assert_array_equal([r["l0_1"], r["r0_1"], r["l0_2"], r["r0_2"]], expect)


def test_chunk_size_and_workers_do_not_change_results(reference, tmp_path):
    res = sweep(GRID, db=tmp_path / "a.db", chunk_size=7, workers=2, progress=False)
    assert res.computed == GRID_RUNS and res.chunks > 10
    assert runs_of(tmp_path / "a.db") == runs_of(reference)
    with ThreadPoolExecutor(max_workers=2) as ex:  # any concurrent.futures executor
        sweep(GRID, db=tmp_path / "b.db", chunk_size=11, executor=ex, progress=False)
    assert runs_of(tmp_path / "b.db") == runs_of(reference)


def test_rerun_skips_everything_and_more_runs_extend(reference, tmp_path):
    db = tmp_path / "r.db"
    sweep(GRID, db=db, progress=False)
    with RunStore(db, readonly=True) as store:
        log = store.chunk_log()
    again = sweep(GRID, db=db, progress=False)
    assert (again.computed, again.skipped, again.chunks) == (0, GRID_RUNS, 0)
    with RunStore(db, readonly=True) as store:
        assert store.chunk_log() == log
    more = sweep({**GRID, "runs": 7}, db=db, progress=False)
    assert (more.computed, more.skipped) == (9 * 2 * 2, GRID_RUNS)
    rows = runs_of(db)
    assert set(runs_of(reference)) <= set(rows)
    # the two new runs per first-order cell equal those of a fresh 7-run sweep
    fresh = tmp_path / "fresh.db"
    sweep({**GRID, "runs": 7}, db=fresh, chunk_size=13, progress=False)
    assert runs_of(fresh) == rows


def test_dask_executor(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        with distributed.Client(cluster) as client:
            sweep(GRID, db=tmp_path / "d.db", chunk_size=17, executor=client.get_executor(), progress=False)
    assert runs_of(tmp_path / "d.db") == runs_of(reference)


def test_export_csv_and_json(reference, tmp_path):
    with RunStore(reference, readonly=True) as store:
        rows = list(store.iter_runs())
        store.export("csv", tmp_path / "runs.csv")
        store.export("json", tmp_path / "runs.json")
        with pytest.raises(ValueError, match="csv or 'json'|'csv' or 'json'"):
            store.export("xml", tmp_path / "runs.xml")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with open(tmp_path / "runs.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    doc = json.loads((tmp_path / "runs.json").read_text())
    assert len(table) == len(doc["runs"]) == len(rows) == GRID_RUNS
    assert doc["columns"] == list(RUN_COLUMNS)
    floats = [
        "eta",
        "nu1",
        "nu2",
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
    ]
    for row, line, obj in zip(rows, table, doc["runs"]):
        assert (line["config_hash"], int(line["run"]), int(line["seed"])) == (
            row["config_hash"],
            row["run"],
            row["seed"],
        )
        assert (obj["config_hash"], obj["run"], obj["label"]) == (
            row["config_hash"],
            row["run"],
            row["label"],
        )
        assert line["label"] == row["label"] and obj["flags"] == row["flags"]
        for name in LABELS:
            assert int(line[f"flag_{name}"]) == int(row["flags"][name])
        for c in floats:
            want = row[c]
            got_csv = float(line[c])
            got_json = obj[c]
            if math.isnan(want):
                assert math.isnan(got_csv) and got_json is None
            elif math.isinf(want):
                assert got_csv == want and got_json == ("inf" if want > 0 else "-inf")
            else:
                assert got_csv == want and got_json == want  # exact round trip


def test_cli_sweep_and_export(reference, tmp_path, capsys):
    from gmmsym.cli import main

    db = tmp_path / "cli.db"
    args = ["sweep", "--db", str(db), "--dynamics", "simultaneous", "alternating", "optimal", "--k", "2"]
    args += ["--steps", "40", "--mu-grid", "-1", "1", "3", "--runs", "5", "--seed", "3", "--no-progress"]
    assert main(args + ["--export", "json", str(tmp_path / "x.json")]) == 0
    assert runs_of(db) == runs_of(reference)
    assert f"{GRID_RUNS} computed" in capsys.readouterr().out
    assert main(["sweep", "--db", str(db), "--export", "csv", str(tmp_path / "x.csv")]) == 0
    assert f"exported {GRID_RUNS} runs" in capsys.readouterr().out
    assert len((tmp_path / "x.csv").read_text().splitlines()) == GRID_RUNS + 1
    assert len(json.loads((tmp_path / "x.json").read_text())["runs"]) == GRID_RUNS
    assert main(["sweep", "--db", str(db)]) == 2  # no grid, no export: nothing to do
    assert "nothing to do" in capsys.readouterr().err


# -- interruption ---------------------------------------------------------------------------------

# Small chunks of a cheap engine: each chunk costs ~0.1-0.3 s, mostly per-step overhead.
KILL_GRID = ["--dynamics", "simultaneous", "--steps", "1500", "--mu-grid", "-1", "1", "4", "--runs", "6"]
KILL_CHUNK = 24
KILL_RUNS = 16 * 6


def _start(db: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gmmsym.cli", "sweep", "--db", str(db), *KILL_GRID]
    cmd += ["--chunk-size", str(KILL_CHUNK), "--no-progress", *extra]
    # A job started in the background by a shell without job control inherits SIGINT ignored,
    # and Python then installs no KeyboardInterrupt handler: restore the default, as a terminal has.
    return subprocess.Popen(
        cmd,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _interrupt_after_first_chunk(proc: subprocess.Popen, db: Path, sig: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = _stored(db)
        if n >= KILL_CHUNK:
            if sig == signal.SIGKILL:
                os.killpg(proc.pid, signal.SIGKILL)  # the sweep and any worker it started
            else:
                os.kill(proc.pid, sig)
            proc.wait(timeout=30)
            return n
        if proc.poll() is not None:
            pytest.fail(f"sweep ended before it could be interrupted: {proc.stderr.read().decode()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no chunk committed within 60 s")


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("kill") / "ref.db"
    grid = {"dynamics": "simultaneous", "steps": 1500, "mu_grid": [-1.0, 1.0, 4], "runs": 6}
    assert sweep(grid, db=db, progress=False).computed == KILL_RUNS
    return db


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_sweep_resumes_to_identical_results(kill_reference, tmp_path, sig):
    db = tmp_path / "k.db"
    extra = ("--workers", "2") if sig == signal.SIGINT else ()
    proc = _start(db, *extra)
    _interrupt_after_first_chunk(proc, db, sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, proc.stderr.read().decode()
        time.sleep(0.2)
        with pytest.raises(ProcessLookupError):  # no worker process left behind
            os.killpg(proc.pid, 0)
    else:
        assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    kept = _stored(db)
    assert KILL_CHUNK <= kept < KILL_RUNS, "interrupt came too late to test anything"
    assert kept % KILL_CHUNK == 0  # whole chunks only: each is one transaction
    partial = set(runs_of(db))
    assert partial <= set(runs_of(kill_reference))
    proc = _start(db)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert f"{KILL_RUNS - kept} computed" in out.decode() and f"{kept} already" in out.decode()
    assert runs_of(db) == runs_of(kill_reference)


@pytest.mark.parametrize("sig", [signal.SIGINT], ids=["SIGINT-one-worker"])
def test_ctrl_c_with_one_worker_keeps_finished_chunks(kill_reference, tmp_path, sig):
    db = tmp_path / "one.db"
    proc = _start(db, "--workers", "1")
    _interrupt_after_first_chunk(proc, db, sig)
    assert proc.returncode == 130, proc.stderr.read().decode()
    kept = _stored(db)
    assert KILL_CHUNK <= kept < KILL_RUNS and kept % KILL_CHUNK == 0
    assert set(runs_of(db)) <= set(runs_of(kill_reference))


# -- chunks sized by time ---------------------------------------------------------------------------


def test_chunk_seconds_do_not_change_results(reference, tmp_path, monkeypatch):
    from gmmsym.experiments import plan

    monkeypatch.setattr(plan, "MIN_ROWS_PER_OVERHEAD", 0.0)  # let tiny targets cut tiny chunks
    counts = []
    for i, seconds in enumerate((1e-9, 0.05, 1e3)):
        res = sweep(GRID, db=tmp_path / f"s{i}.db", chunk_seconds=seconds, progress=False)
        counts.append(res.chunks)
        assert runs_of(tmp_path / f"s{i}.db") == runs_of(reference)
    assert counts[0] == GRID_RUNS and counts[0] > counts[1] > counts[2] == 3  # 1 row each ... 1 per engine


def test_automatic_chunks_follow_the_time_target():
    """Figure 2's default grid: chunks near the target (or the overhead floor), progress at one worker."""
    from gmmsym.experiments import plan
    from gmmsym.experiments.figure2 import figure2_cells

    cells = figure2_cells()
    segments = [s for c in cells for s in plan.missing_segments(c, set())]
    for workers in (1, 2):
        chunks = plan.plan(segments, None, workers, plan.CHUNK_SECONDS)
        assert sum(c.rows for c in chunks) == sum(c.runs for c in cells)
        for c in chunks:
            floor = plan.rows_for_seconds(c.engine, 0.0)
            seconds = plan.chunk_seconds(c.engine, c.rows)
            assert c.rows <= plan.DEFAULT_CHUNK_SIZE
            assert seconds <= 1.25 * plan.CHUNK_SECONDS or c.rows <= floor, (c.engine, c.rows, seconds)
        by_engine = {}
        for c in chunks:
            by_engine.setdefault((c.engine["dynamics"], c.engine["k"]), []).append(c)
        assert len(by_engine[("alternating", 20)]) >= 3  # not one 160-second chunk
    one = plan.plan(segments, None, 1, 1e6)  # a huge target: one chunk per engine (10,000 rows: the cap)
    assert [c.rows for c in one] == [100, 10_000, 10_000, 10_000, 10_000]


# -- workers die with their parent ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_die_when_the_parent_is_killed(tmp_path):
    db = tmp_path / "orphans.db"
    cmd = [sys.executable, "-m", "gmmsym.cli", "sweep", "--db", str(db), "--dynamics", "simultaneous"]
    cmd += ["--steps", "200000", "--mu0", "0", "0", "--mu0", "0.5", "0", "--runs", "4", "--chunk-size", "2"]
    cmd += ["--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(proc.pid)) < 2:
            assert time.monotonic() < deadline, "no pool workers within 60 s"
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        time.sleep(0.5)  # the initializer has run
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, not its process group
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "pool workers outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
