"""Figure 2 reproduction (tiny run) and 50-digit replays."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gmmsym.dynamics import simulate
from gmmsym.experiments.figure2 import FIGURE2_NAMES, figure2_cells, reproduce_figure2
from gmmsym.experiments.replay import replay, select_sample
from gmmsym.experiments.store import RunStore
from gmmsym.experiments.sweep import dynamics_name, sweep
from gmmsym.outcomes import LABELS

TINY = {"runs_per_cell": 2, "steps": 30, "grid": 3}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("fig2")
    summary = reproduce_figure2(out, **TINY, workers=1, replay=2, progress=False)
    return out, summary


def test_figure2_writes_every_file(tiny):
    out, summary = tiny
    names = {p.name for p in out.iterdir()}
    expected = {f"heatmap_{n}.png" for n in FIGURE2_NAMES} | {"outcomes.png", "summary.json", "summary.md"}
    assert expected <= names
    assert not [n for n in names if n.endswith(".tmp")]  # atomic writes leave no temporaries
    import matplotlib.image

    for n in expected:
        if n.endswith(".png"):
            assert (out / n).read_bytes()[:8] == PNG_MAGIC
            img = matplotlib.image.imread(out / n)
            assert img.ndim == 3 and min(img.shape[:2]) > 200
    assert json.loads((out / "summary.json").read_text()) == summary


def test_summary_schema_and_values_match_the_database(tiny):
    out, summary = tiny
    assert list(summary) == list(FIGURE2_NAMES)
    cells = figure2_cells(runs_per_cell=TINY["runs_per_cell"], steps=TINY["steps"], grid=TINY["grid"])
    with RunStore(out / "figure2.db", readonly=True) as store:
        rows = store.runs_for(c.hash for c in cells)
    for name, s in summary.items():
        assert {"success", "success_offdiag", "labels"} <= set(s)
        assert list(s["labels"]) == list(LABELS)
        assert math.isclose(sum(s["labels"].values()), 1.0)
        mine = [r for r in rows if dynamics_name(r["dynamics"], r["k"]) == name]
        per_cell = 1 if name == "optimal" else TINY["runs_per_cell"]
        assert s["runs"] == len(mine) == TINY["grid"] ** 2 * per_cell
        ok = [r["label"] == "converged" for r in mine]
        off = [r["label"] == "converged" for r in mine if r["mu0_1"] != r["mu0_2"]]
        assert s["success"] == sum(ok) / len(ok)
        assert s["success_offdiag"] == sum(off) / len(off)
        assert len(off) == (TINY["grid"] ** 2 - TINY["grid"]) * per_cell
        for lab in LABELS:
            assert s["labels"][lab] == sum(r["label"] == lab for r in mine) / len(mine)
    # the first-order panels share their discriminator initialisations cell by cell
    init = {}
    for r in rows:
        if r["dynamics"] != "optimal":
            init.setdefault((r["mu0_1"], r["mu0_2"], r["run"]), set()).add(
                (r["l0_1"], r["r0_1"], r["l0_2"], r["r0_2"])
            )
    assert init and all(len(v) == 1 for v in init.values())


def test_summary_markdown_and_rerun_reuses_runs(tiny):
    out, summary = tiny
    md = (out / "summary.md").read_text()
    for name in FIGURE2_NAMES:
        assert f"| {name} |" in md and f"heatmap_{name}.png" in md
    assert "one run per cell" in md and "50-digit replay" in md
    meta = json.loads((out / "meta.json").read_text())
    assert meta["replay"]["n"] == 2 and f"{meta['replay']['agree']} of 2" in md
    again = reproduce_figure2(out, **TINY, workers=1, replay=2, progress=False)
    assert again == {n: {**s, "compute_seconds": 0.0, "cpu_seconds": 0.0} for n, s in summary.items()}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["sweep"]["computed"] == 0 and all(r["cached"] for r in meta["replay"]["rows"])


def test_cli_reproduce_figure2(tmp_path, capsys):
    from gmmsym.cli import main

    args = ["reproduce", "figure2", "--out", str(tmp_path), "--runs-per-cell", "1", "--steps", "5"]
    assert main(args + ["--grid", "2", "--workers", "2", "--replay", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FIGURE2_NAMES)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert list(summary) == list(FIGURE2_NAMES)
    assert "No replay was run" in (tmp_path / "summary.md").read_text()


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("replay") / "r.db"
    grid = {
        "dynamics": ["simultaneous", "alternating"],
        "k": 2,
        "steps": 40,
        "mu_grid": [-1, 1, 3],
        "runs": 2,
    }
    sweep(grid, db=db, progress=False)
    return db


def test_select_sample_puts_failures_first_and_is_seeded(small_db):
    with RunStore(small_db, readonly=True) as store:
        rows = list(store.iter_runs())
    labels = [r["label"] == "converged" for r in rows]
    assert 0 < sum(labels) < len(rows), "the test grid needs both successes and failures"
    sample = select_sample(rows, len(rows), seed=1)
    assert sorted((r["config_hash"], r["run"]) for r in sample) == sorted(
        (r["config_hash"], r["run"]) for r in rows
    )
    flags = [r["label"] == "converged" for r in sample]
    assert flags == sorted(flags)  # all failures before any success
    assert select_sample(rows, 5, seed=1) == sample[:5]
    assert select_sample(rows, len(rows), seed=2) != sample
    only = select_sample(rows, 100, dynamics=["alternating-k2"])
    assert only and all(r["dynamics"] == "alternating" for r in only)
    assert select_sample(rows, 100, max_evaluations=40) == select_sample(rows, 100, dynamics=["simultaneous"])


def test_replay_matches_direct_mpmath_runs_and_is_cached(small_db, capsys):
    rep = replay(small_db, sample=3, seed=0, precision=30, progress=False)
    assert rep.n == 3
    with RunStore(small_db, readonly=True) as store:
        rows = {(r["config_hash"], r["run"]): r for r in store.iter_runs()}
        stored = store.replays("30")
    assert len(stored) == 3
    for entry in rep.rows:
        r = rows[(entry["config_hash"], entry["run"])]
        ell0 = [r["l0_1"], r["r0_1"], r["l0_2"], r["r0_2"]]
        res = simulate(
            (r["nu1"], r["nu2"]),
            (r["mu0_1"], r["mu0_2"]),
            ell0,
            dynamics=r["dynamics"],
            k=r["k"],
            steps=40,
            precision=30,
        )
        assert entry["label_mp"] == res.label[0] == stored[(r["config_hash"], r["run"])]["label"]
        assert entry["agree"] == (res.label[0] == r["label"])
        assert entry["max_dmu"] == np.max(np.abs(res.mu[0] - [r["mu1"], r["mu2"]]))
        assert not entry["cached"]
    assert rep.agree == sum(e["agree"] for e in rep.rows)
    again = replay(small_db, sample=3, seed=0, precision=30, progress=False)
    assert [e["cached"] for e in again.rows] == [True] * 3
    assert [e["label_mp"] for e in again.rows] == [e["label_mp"] for e in rep.rows]

    from gmmsym.cli import main

    assert main(["replay", "--db", str(small_db), "--sample", "3", "--precision", "30", "--no-progress"]) == 0
    assert f"{rep.agree}/3 runs keep their label at 30 digits" in capsys.readouterr().out


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path):
    """A kill while figures are written leaves a temporary; the next run removes it."""
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)  # a process that has exited
    stale = tmp_path / f".heatmap_optimal.png.{pid}.abc123.gmmsym-tmp"
    stale.write_bytes(b"half a png")
    reproduce_figure2(tmp_path, runs_per_cell=1, steps=2, grid=2, workers=1, replay=0, progress=False)
    assert not stale.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".gmmsym-tmp")]


def test_unwritable_out_is_found_before_any_run(tmp_path, monkeypatch):
    from gmmsym.errors import FileError
    from gmmsym.experiments import figure2

    def no_sweep(*args, **kwargs):
        raise AssertionError("the sweep ran before the output check")

    monkeypatch.setattr(figure2, "sweep", no_sweep)
    (tmp_path / "file").write_text("x")
    for out in ("/proc/gmmsym-fig2", tmp_path / "file", tmp_path / "file" / "below"):
        with pytest.raises(FileError, match="^out: "):
            reproduce_figure2(out, **TINY, workers=1, replay=0, progress=False)
    with pytest.raises(FileError, match="^db: "):
        reproduce_figure2(tmp_path / "o", db="/proc/x.db", **TINY, workers=1, replay=0, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
