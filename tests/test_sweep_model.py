"""Sweeps, the store and replays of a model other than the paper's; ``--model`` on the command line.

The database records its model (schema version 3: ``meta.model`` and a ``model`` column of every
run, columns ``nu1..nuK``, ``mu0_*``, ``l0_j/r0_j``, ``mu*``, ``l_j/r_j`` of that model); resuming
with another model is refused, an older (version 2) file is refused with a one-line error.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from gmmsym.dynamics import simulate
from gmmsym.errors import FileError, InputError
from gmmsym.experiments.grid import Cell, expand_grid
from gmmsym.experiments.replay import replay
from gmmsym.experiments.schema import layout
from gmmsym.experiments.store import RunStore
from gmmsym.experiments.sweep import sweep
from gmmsym.model.spec import PAPER, ModelSpec

MODEL3 = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
TEXT3 = MODEL3.text()
GRID3 = {
    "dynamics": ["simultaneous", "optimal"],
    "nu": [-1.5, 0.0, 1.5],
    "mu0": [[0.0, 0.1, 0.2], [1.0, 2.0, 3.0]],
    "runs": 3,
    "steps": 20,
}


@pytest.fixture(scope="module")
def swept3(tmp_path_factory):
    db = tmp_path_factory.mktemp("sweep3") / "k3.db"
    summary = sweep(GRID3, db=db, model=MODEL3, progress=False)
    return db, summary


def test_store_round_trip_with_model(swept3):
    """Every stored run equals a direct simulate of its cell's model, row by row (bitwise)."""
    db, summary = swept3
    assert summary.model == TEXT3 and summary.as_dict()["model"] == TEXT3 and summary.computed == 8
    lay = layout(MODEL3)
    with RunStore(db, readonly=True) as store:
        assert store.model == MODEL3 and store.layout == lay
        rows = list(store.iter_runs())
    assert len(rows) == 8 and {r["model"] for r in rows} == {TEXT3}
    for r in rows:
        ell0 = None if r["dynamics"] == "optimal" else [r[c] for c in lay.initial[3:]]
        mu0 = [r[c] for c in lay.initial[:3]]
        res = simulate([r[c] for c in lay.nu], mu0, ell0, dynamics=r["dynamics"], steps=20, model=MODEL3)
        np.testing.assert_array_equal(res.mu[0], [r[c] for c in lay.final[:3]])
        np.testing.assert_array_equal(res.ell[0], [r[c] for c in lay.final[3:]])
        assert res.label[0] == r["label"]


def test_resume_is_bitwise_and_refuses_another_model(swept3, tmp_path):
    db, _ = swept3
    again = sweep(GRID3, db=db, model=MODEL3, progress=False)
    assert again.computed == 0 and again.skipped == 8
    for other in (PAPER, ModelSpec.parse("K=3,M=3")):
        with pytest.raises(
            InputError, match=r"^model: .* holds runs of the model K=3,M=3,weights=1/4"
        ) as info:
            sweep(GRID3 if other.K == 3 else {"steps": 1, "runs": 1}, db=db, model=other, progress=False)
        assert "\n" not in str(info.value)
    paper_db = tmp_path / "paper.db"
    sweep({"steps": 1, "runs": 1, "mu0": [0.0, 0.5]}, db=paper_db, progress=False)
    with pytest.raises(InputError, match="^model: .* holds runs of the model K=2,M=2"):
        sweep(GRID3, db=paper_db, model=MODEL3, progress=False)
    with RunStore(paper_db, readonly=True) as store:
        assert store.model == PAPER and next(store.iter_runs())["model"] == PAPER.text()


def test_tampered_model_column_is_caught(swept3, tmp_path):
    db = tmp_path / "copy.db"
    db.write_bytes(swept3[0].read_bytes())
    con = sqlite3.connect(db)
    con.execute("UPDATE runs SET model = 'K=3,M=3' WHERE run = 0")
    con.commit()
    con.close()
    with RunStore(db, readonly=True) as store:
        _, bad = store.check_runs()
    assert len(bad) == 4  # run 0 of each of the four cells


def test_schema_v2_file_is_refused(tmp_path):
    db = tmp_path / "v2.db"
    sweep({"steps": 1, "runs": 1, "mu0": [0.0, 0.5]}, db=db, progress=False)
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    with pytest.raises(FileError, match="schema version 2, expected 3 .*sweep into a new database") as info:
        RunStore(db)
    assert "\n" not in str(info.value)


def test_export_and_pandas_carry_the_model(swept3, tmp_path):
    db, _ = swept3
    with RunStore(db, readonly=True) as store:
        doc = json.loads(store.export("json", tmp_path / "out.json").read_text())
        store.export("csv", tmp_path / "out.csv")
    assert doc["model"] == TEXT3 and doc["schema"] == 3 and "r3" in doc["columns"]
    header = (tmp_path / "out.csv").read_text().splitlines()[0].split(",")
    assert {"model", "nu3", "mu0_3", "l0_3", "r0_3", "mu3", "l3", "r3"} <= set(header)


def test_cells_of_a_model():
    cell = Cell("simultaneous", nu=(-1.5, 0.0, 1.5), mu0=(0, 1, 2), model=MODEL3)
    assert cell.config()["model"] == TEXT3 and cell.engine["model"] == TEXT3
    assert "uniform(-2, 2, 6)" in cell.config()["init"]
    paper = Cell("simultaneous")
    assert "model" not in paper.config() and "uniform(-2, 2, 4)" in paper.config()["init"]
    same = Cell("simultaneous", nu=(-1.5, 0.0, 1.5), mu0=(0, 1, 2), model=ModelSpec.parse("K=3,M=3"))
    assert same.hash != cell.hash  # the model is part of the configuration
    with pytest.raises(InputError, match=r"^nu must be K=3 numbers"):
        Cell("simultaneous", model=MODEL3)
    with pytest.raises(InputError, match="^config_grid: give nu and mu0"):
        expand_grid({"dynamics": "simultaneous"}, model=MODEL3)
    with pytest.raises(InputError, match="^model: a cell has the model"):
        expand_grid([paper], model=MODEL3)
    with pytest.raises(InputError, match="^model must be a gmmsym.ModelSpec"):
        sweep({"steps": 1}, db="unused.db", model="K=3")


def test_replay_uses_the_recorded_model(swept3):
    db, _ = swept3
    rep = replay(db, sample=1, precision=20, dynamics=["simultaneous"], progress=False)
    assert rep.model == TEXT3 and rep.as_dict()["model"] == TEXT3 and rep.agree == 1
    assert rep.rows[0]["max_dmu"] < 1e-12
    with pytest.raises(InputError, match="^model: .* holds runs of the model"):
        replay(db, sample=1, model=PAPER, progress=False)


def _cli(*args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "gmmsym", *args], capture_output=True, text=True)
    assert (proc.returncode == 0) == ok, proc.stderr
    return proc


def test_cli_model_end_to_end(tmp_path):
    db, out = tmp_path / "c3.db", tmp_path / "sim.json"
    _cli("simulate", "--model", TEXT3, "--nu", "-1.5", "0", "1.5", "--mu", "0", "0.1", "0.2",
         "--steps", "5", "--json", str(out))  # fmt: skip
    doc = json.loads(out.read_text())
    assert doc["config"]["model"] == TEXT3 and len(doc["ell_final"][0]) == 6
    _cli("sweep", "--db", str(db), "--model", TEXT3, "--dynamics", "simultaneous", "--nu", "-1.5", "0",
         "1.5", "--mu0", "0", "0.1", "0.2", "--runs", "2", "--steps", "5", "--no-progress")  # fmt: skip
    with RunStore(db, readonly=True) as store:
        assert store.model == MODEL3 and store.count() == 2
    bad = _cli("sweep", "--db", str(db), "--dynamics", "simultaneous", "--mu0", "0", "1", "--runs", "1",
               "--steps", "1", "--no-progress", ok=False)  # fmt: skip
    assert "--model: " in bad.stderr and "holds runs of the model" in bad.stderr
    rep = tmp_path / "rep.json"
    _cli("replay", "--db", str(db), "--sample", "1", "--precision", "16", "--no-progress", "--json", str(rep))
    assert json.loads(rep.read_text())["model"] == TEXT3


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--model", "K=x"], "--model: model: K must be an integer"),
        (["--model", "K=3,M=3,weights=1/2:1/2"], "weights must have K=3 entries"),
        (["--model", "K=3,M=0"], "M must be >= 1"),
        (["--model", "K=2,sigma=-1"], "sigma must be positive"),
        (["--model", "K=2,colour=red"], "expected KEY=VALUE"),
        (["--model", "K=3", "--mu", "0", "1"], "--nu: required for a model with K=3"),
        (["--model", "K=3", "--nu", "0", "1", "2", "--mu", "0", "1"], "--mu: expected K=3 numbers"),
        (
            ["--model", "K=3,M=1", "--nu", "0", "1", "2", "--mu", "0", "1", "2", "--ell", "0", "1", "2", "3"],
            "--ell: expected 2M=2 numbers",
        ),
        (
            ["--model", "K=3,M=1", "--nu", "0", "1", "2", "--mu", "0", "1", "2", "--plot", "never.png"],
            "--plot: only for models with K = M = 2",
        ),
    ],
)
def test_cli_hostile_model_one_line(args, match):
    base = ["simulate", "--steps", "1"] + (["--mu", "0", "1"] if "--mu" not in args else [])
    proc = _cli(*base, *args, ok=False)
    err = proc.stderr.strip()
    assert match in err and len(err.splitlines()) == 1 and "Traceback" not in err
