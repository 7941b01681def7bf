"""The command line's contract: errors before any work, one vocabulary, honest outputs.

In-process (``gmmsym.cli.main.main(argv)`` with capsys); a subprocess only for
``python -m gmmsym``.  "Before any work" is shown by replacing the work function with one that
fails the test if it is called.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmmsym.cli.main import build_parser, main, version

MU = ["--mu", "0.2", "0.9"]
_NOT_WRITABLE = "/proc/gmmsym-test/x"  # /proc takes no new entries, not even root's


def _one_line_error(capsys, command: str, option: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith(f"gmmsym {command}: error: {option}"), err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def no_work(monkeypatch):
    """Make the work functions of every command fail the test if called."""

    def forbid(name):
        def fail(*args, **kwargs):
            raise AssertionError(f"{name} ran although the command line should have failed first")

        return fail

    import gmmsym.proofs.verify

    import gmmsym.cli.accuracy
    import gmmsym.codegen
    import gmmsym.dynamics

    monkeypatch.setattr(gmmsym.dynamics, "simulate", forbid("simulate"))
    monkeypatch.setattr(gmmsym.proofs.verify, "verify", forbid("verify"))
    monkeypatch.setattr(gmmsym.cli.accuracy, "measure", forbid("measure"))
    monkeypatch.setattr(gmmsym.codegen, "write", forbid("codegen.write"))


# --- item 10: python -m gmmsym, --version -------------------------------------------------


def test_version(capsys):

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"gmmsym {version()}"


def test_version_falls_back_to_the_package_attribute(monkeypatch):
    from importlib import metadata

    import gmmsym

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert version() == gmmsym.__version__


def test_package_version_matches_pyproject():
    import re

    import gmmsym

    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', text, re.M)[1] == gmmsym.__version__


def test_python_dash_m_gmmsym():
    out = subprocess.run([sys.executable, "-m", "gmmsym", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("gmmsym ")
    bad = subprocess.run(
        [sys.executable, "-m", "gmmsym", "derive", "--sections", "nope"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("gmmsym derive: error: --sections")


# --- item 2: every output location checked before any work --------------------------------


@pytest.mark.parametrize(
    "argv, command, option",
    [
        (["simulate", *MU, "--json", _NOT_WRITABLE], "simulate", "--json"),
        (["simulate", *MU, "--plot", _NOT_WRITABLE + ".png"], "simulate", "--plot"),
        (["simulate", *MU, "--json", "{tmp}"], "simulate", "--json"),  # a directory
        (["simulate", *MU, "--json", "{tmp}/file/x.json"], "simulate", "--json"),  # below a file
        (["simulate", *MU, "--json", ""], "simulate", "--json"),
        (
            ["simulate", *MU, "--json", "{tmp}/a.json", "--plot", "{tmp}/a.json"],
            "simulate",
            "--json and --plot",
        ),
        (["verify", "--quick", "--out", "/proc/rep"], "verify", "--out"),
        (["verify", "--quick", "--out", "{tmp}/file"], "verify", "--out"),
        (["accuracy", "--points", "10", "--json", _NOT_WRITABLE], "accuracy", "--json"),
        (["codegen", "--out", ""], "codegen", "--out"),
        (["codegen", "--out", "{tmp}/file/sub"], "codegen", "--out"),
        (["codegen", "--check", "--out", "{tmp}/missing"], "codegen", "--out"),
    ],
)
def test_bad_locations_fail_before_any_work(tmp_path, capsys, no_work, argv, command, option):
    (tmp_path / "file").write_text("not a directory")
    before = sorted(tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    _one_line_error(capsys, command, option)
    assert sorted(tmp_path.rglob("*")) == before  # nothing half-written, no probe left


def test_write_failures_after_the_work_are_one_line_errors(tmp_path, capsys, monkeypatch):
    import errno

    import gmmsym.cli.simulate as cli_simulate

    def disk_full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cli_simulate, "atomic_write_text", disk_full)
    assert main(["simulate", *MU, "--steps", "3", "--json", str(tmp_path / "r.json")]) == 2
    err = _one_line_error(capsys, "simulate", "--json")
    assert "No space left" in err


def test_verify_write_failure_names_out(tmp_path, capsys, monkeypatch):
    import gmmsym.proofs.verify as pv

    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "report.json"))

    monkeypatch.setattr(pv, "write_report", unwritable)
    monkeypatch.setattr(pv, "verify", lambda ids, budget, **kw: [])
    assert main(["verify", "--quick", "--only", "C1", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "verify", "--out")


def test_a_bug_raising_oserror_keeps_its_traceback(monkeypatch):
    """Only GmmsymError is the user's: a plain OSError from the work itself is not swallowed."""
    import gmmsym.dynamics

    def bug(**kwargs):
        raise FileNotFoundError("internal file missing")

    monkeypatch.setattr(gmmsym.dynamics, "simulate", bug)
    with pytest.raises(FileNotFoundError):
        main(["simulate", *MU])


# --- item 4: one vocabulary -----------------------------------------------------------------


def _simulate_json(tmp_path, *extra):
    path = tmp_path / "run.json"
    assert main(["simulate", *MU, "--steps", "5", "--json", str(path), *extra]) == 0
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "extra",
    [
        ["--dynamics", "alternating", "-k", "5"],
        ["--dynamics", "alternating", "--k", "5"],
        ["--dynamics", "alternating-k5"],
        ["--dynamics", "alternating-k5", "-k", "5"],
    ],
)
def test_k_spellings_and_panel_names_agree(tmp_path, capsys, extra):
    cfg = _simulate_json(tmp_path, *extra)["config"]
    assert (cfg["dynamics"], cfg["k"]) == ("alternating", 5)


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--dynamics", "simultaneous", "-k", "5"], "-k/--k"),
        (["--dynamics", "simultaneous", "--k", "1"], "-k/--k"),
        (["--dynamics", "alternating-k5", "-k", "3"], "-k/--k"),
        (["--ell", "-1", "0", "0", "1", "--seed", "3"], "--seed"),
        (["--dynamics", "optimal", "--ell", "-1", "0", "0", "1"], "--ell"),
    ],
)
def test_options_that_would_be_ignored_are_errors(capsys, no_work, extra, option):
    assert main(["simulate", *MU, *extra]) == 2
    _one_line_error(capsys, "simulate", option)


@pytest.mark.parametrize("name", ["bogus", "simultaneous-k5", "alternating-k0", "alternating-kx"])
def test_unknown_dynamics_is_a_usage_error_listing_the_choices(capsys, no_work, name):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", *MU, "--dynamics", name])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--dynamics" in err and "alternating-kN" in err and "simultaneous" in err


def test_simulate_default_seed_is_zero_and_documented(tmp_path, capsys):
    from gmmsym.dynamics import draw_ell0

    doc = _simulate_json(tmp_path)
    assert doc["config"]["seed"] == 0
    assert doc["ell0"] == draw_ell0(0, [0]).tolist()  # the drawn initial discriminator is recorded
    assert _simulate_json(tmp_path, "--seed", "0")["mu_final"] == doc["mu_final"]
    assert _simulate_json(tmp_path, "--seed", "4")["ell0"] == draw_ell0(4, [0]).tolist()
    help_text = _help("simulate")
    assert "default: 0 when --ell is not given" in " ".join(help_text.split())


def test_options_module_expand_dynamics():
    from gmmsym.cli.options import expand_dynamics, resolve_dynamics
    from gmmsym.errors import InputError

    assert expand_dynamics(["simultaneous", "alternating", "alternating-k20"], [1, 5]) == [
        ("simultaneous", 1),
        ("alternating", 1),
        ("alternating", 5),
        ("alternating", 20),
    ]
    assert expand_dynamics(["optimal", "alternating"], None) == [("optimal", 1), ("alternating", 1)]
    with pytest.raises(InputError, match="^-k/--k: only applies"):
        expand_dynamics(["simultaneous", "alternating-k5"], [3])
    assert resolve_dynamics("alternating-k3", None) == ("alternating", 3)
    assert resolve_dynamics("extragradient", None) == ("extragradient", 1)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _help(command: str) -> str:
    return _subparsers(build_parser())[command].format_help()


MY_COMMANDS = ("derive", "codegen", "simulate", "accuracy", "verify")


@pytest.mark.parametrize("command", MY_COMMANDS)
def test_every_option_documents_its_default_and_commands_have_descriptions(command):
    p = _subparsers(build_parser())[command]
    assert p.description, f"{command} has no description"
    formatter = p._get_formatter()
    for action in p._actions:
        if not action.option_strings or action.nargs == 0 or action.required:
            continue
        shown = formatter._get_help_string(action)
        assert "default" in shown, f"{command} {action.option_strings}: no default shown ({shown!r})"


# --- item 8: simulate's outputs -------------------------------------------------------------


def test_simulate_json_records_trajectory_ell0_and_tv(tmp_path, capsys):
    from gmmsym import simulate, tv_distance

    doc = _simulate_json(tmp_path, "--mu", "-1", "1", "--seed", "3", "--record-every", "2")
    api = simulate([-0.5, 0.5], [[0.2, 0.9], [-1, 1]], seed=3, steps=5, record_every=2)
    traj = doc["trajectory"]
    assert traj["t"] == [0, 2, 4] and np.array(traj["mu"]).shape == (3, 2, 2)
    assert traj["mu"] == api.trajectory["mu"].tolist() and traj["ell"] == api.trajectory["ell"].tolist()
    assert traj["tv"] == tv_distance(api.trajectory["mu"], [-0.5, 0.5]).tolist()
    assert doc["ell0"] == api.ell0.tolist() and doc["mu0"] == api.mu0.tolist()
    assert doc["steps_taken"] == [5, 5]
    assert "trajectory" not in _simulate_json(tmp_path)  # recorded only when asked


def test_simulate_plot_log_time(tmp_path, capsys):
    png = tmp_path / "p.png"
    assert main(["simulate", *MU, "--steps", "30", "--plot", str(png), "--log-time"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_plot_has_tv_and_phase_panels(tmp_path, monkeypatch):
    import gmmsym.cli.simulate_plot as sp_mod
    import gmmsym.io
    from gmmsym import simulate

    saved = {}
    monkeypatch.setattr(gmmsym.io, "atomic_savefig", lambda fig, path, **kw: saved.setdefault("fig", fig))
    res = simulate([-0.5, 0.5], [[0.2, 0.9]], seed=1, steps=20, record_every=1)
    sp_mod.plot(res, str(tmp_path / "x.png"), log_time=True)
    axes = saved["fig"].axes
    assert [ax.get_ylabel() for ax in axes][:4] == [
        "generator means mu_1, mu_2",
        "TV(P*, G_mu)",
        "discriminator endpoints l1, r1, l2, r2",
        "mu_2",
    ]
    tv_line = axes[1].get_lines()[0].get_ydata()
    np.testing.assert_array_equal(tv_line, sp_mod.trajectory_tv(res)[:, 0])
    stars = [ln for ln in axes[3].get_lines() if ln.get_marker() == "*"]
    assert sorted(zip(stars[0].get_xdata(), stars[0].get_ydata())) == [(-0.5, 0.5), (0.5, -0.5)]
    assert axes[0].get_xscale() == "symlog"
    assert saved["fig"].legends and saved["fig"].legends[0].get_texts()[0].get_fontsize() >= 9


def test_notebook_representations_and_pandas(monkeypatch):
    from gmmsym import classify, simulate

    res = simulate([-0.5, 0.5], [[0.2, 0.9], [5000.0, 0.0]], seed=1, steps=3, record_every=1)
    html = res._repr_html_()
    assert "simultaneous" in html and "diverged" in html and html.count("<tr>") >= 3
    out = classify(res.mu, res.ell, res.nu)
    assert "<table>" in out._repr_html_() and ">diverged</td><td>1<" in out._repr_html_()
    monkeypatch.setitem(sys.modules, "pandas", None)  # pandas not installed
    with pytest.raises(ImportError, match="needs pandas"):
        res.to_pandas()
    with pytest.raises(ImportError, match="needs pandas"):
        out.to_pandas()


def test_to_pandas():
    pytest.importorskip("pandas")
    from gmmsym import simulate

    res = simulate([-0.5, 0.5], [[0.2, 0.9], [-1, 1]], seed=1, steps=4, record_every=2)
    df = res.to_pandas()
    assert list(df["label"]) == res.label.tolist() and df["mu1"].tolist() == res.mu[:, 0].tolist()
    traj = res.to_pandas(trajectory=True)
    assert len(traj) == 3 * 2 and traj["r2"].tolist() == res.trajectory["ell"][:, :, 3].ravel().tolist()


# --- item 7: codegen acts on the source tree -------------------------------------------------


def _fake_checkout(root: Path) -> Path:
    (root / "gmmsym" / "kernels" / "_generated").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "gmmsym"\n')
    return root / "gmmsym" / "kernels" / "_generated"


def test_codegen_writes_into_the_checkout_not_the_installed_package(tmp_path, monkeypatch, capsys):
    import gmmsym.codegen.generator as gen
    from gmmsym.cli.core import codegen_target

    site = tmp_path / "site-packages" / "gmmsym" / "kernels" / "_generated"
    site.mkdir(parents=True)
    monkeypatch.setattr(gen, "GENERATED_DIR", site)  # as after a non-editable install
    target = _fake_checkout(tmp_path / "checkout")
    monkeypatch.chdir(target.parent)  # anywhere inside the checkout
    assert codegen_target(None)[0] == target
    assert main(["codegen"]) == 0
    out = capsys.readouterr().out
    assert f"folder: {target} (source tree of the checkout {tmp_path / 'checkout'})" in out
    assert "source: the SymPy model in" in out
    written = sorted(p.name for p in target.iterdir())
    assert written == ["mpmath_k2m2.py", "numpy_k2m2.py"] and list(site.iterdir()) == []
    for name in written:
        assert f"wrote {target / name}" in out
    assert main(["codegen", "--check"]) == 0
    checked = capsys.readouterr().out
    assert all(f"read  {target / n}: identical" in checked for n in written)
    monkeypatch.chdir(tmp_path)  # outside any checkout: the installed package, said so
    directory, why = codegen_target(None)
    assert directory == site and "installed package" in why


def test_codegen_out_is_normalised(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["codegen", "--out", "x/../y/z/../../q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q"]  # no x, y, y/z detours


def test_find_checkout():
    from gmmsym.cli.core import find_checkout

    repo = Path(__file__).resolve().parent.parent
    assert find_checkout(repo / "tests") == repo
    assert find_checkout("/") is None


def test_sweep_speaks_the_simulate_vocabulary(tmp_path, capsys):
    """``sweep`` takes panel names and ``-k`` like ``simulate``; ``-k`` without alternating is an error."""
    from gmmsym.cli.main import main

    db = str(tmp_path / "v.db")
    common = ["--steps", "20", "--runs", "2", "--mu0", "0.1", "0.5", "--no-progress"]
    assert main(["sweep", "--db", db, "--dynamics", "alternating-k5", "simultaneous", *common]) == 0
    assert main(["sweep", "--db", db, "--dynamics", "alternating", "-k", "5", *common]) == 0
    assert "0 computed in 0 chunk(s), 2 already in" in capsys.readouterr().out  # alternating-k5 == -k 5
    assert main(["sweep", "--db", db, "--dynamics", "simultaneous", "-k", "5", *common]) == 2
    assert "-k/--k" in capsys.readouterr().err


def test_sweep_export_to_stdout(tmp_path, capsys):
    """``--export csv -`` writes the CSV on stdout (the summary goes to stderr), no file named ``-``."""
    from gmmsym.cli.main import main

    db = str(tmp_path / "e.db")
    args = ["--dynamics", "simultaneous", "--steps", "10", "--runs", "2", "--mu0", "0.1", "0.5"]
    assert main(["sweep", "--db", db, *args, "--no-progress", "--export", "csv", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config_hash,run,") and len(out.splitlines()) == 3
    assert not (tmp_path / "-").exists() and not Path("-").exists()


# --- item 2/3 for the experiment commands: sweep, reproduce figure2, replay -------------------


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """A one-run sweep database (simultaneous, 5 steps)."""
    from gmmsym.experiments.sweep import sweep

    db = tmp_path_factory.mktemp("db") / "runs.db"
    grid = {"dynamics": ["simultaneous"], "steps": [5], "mu0": [(0.2, 0.9)], "runs": 1}
    sweep(grid, db=db, progress=False)
    return db


@pytest.fixture
def no_experiment_work(monkeypatch):
    """Make sweep, reproduce_figure2 and replay fail the test if called."""
    import gmmsym.experiments.figure2
    import gmmsym.experiments.replay
    import gmmsym.experiments.sweep

    def forbid(name):
        def fail(*args, **kwargs):
            raise AssertionError(f"{name} ran although the command line should have failed first")

        return fail

    monkeypatch.setattr(gmmsym.experiments.sweep, "sweep", forbid("sweep"))
    monkeypatch.setattr(gmmsym.experiments.figure2, "reproduce_figure2", forbid("reproduce_figure2"))
    monkeypatch.setattr(gmmsym.experiments.replay, "replay", forbid("replay"))


_GRID = ["--dynamics", "simultaneous", "--steps", "5", "--mu0", "0", "1", "--runs", "1", "--no-progress"]
_FIG2 = ["reproduce", "figure2", "--runs-per-cell", "1", "--grid", "2", "--steps", "5", "--replay", "0"]


@pytest.mark.parametrize(
    "argv, command, option",
    [
        (["sweep", "--db", _NOT_WRITABLE + ".db", *_GRID], "sweep", "--db"),
        (["sweep", "--db", "{tmp}", *_GRID], "sweep", "--db"),  # a directory
        (["sweep", "--db", "{tmp}/file", *_GRID], "sweep", "--db"),  # not a SQLite database
        (["sweep", "--db", "{tmp}/missing.db", "--export", "csv", "{tmp}/x.csv"], "sweep", "--db"),
        (["sweep", "--db", "{tmp}/new.db", "--config", "{tmp}/missing.json"], "sweep", "--config"),
        (["sweep", "--db", "{tmp}/new.db", "--config", "{tmp}"], "sweep", "--config"),
        (["sweep", "--db", "{tmp}/new.db", "--config", "{tmp}/file"], "sweep", "--config"),  # not JSON
        (["sweep", "--db", "{db}", "--export", "csv", _NOT_WRITABLE + ".csv"], "sweep", "--export"),
        (["sweep", "--db", "{db}", "--export", "csv", "{tmp}"], "sweep", "--export"),
        (["sweep", "--db", "{db}", "--export", "xml", "{tmp}/x.xml"], "sweep", "--export"),
        (["sweep", "--db", "{tmp}/new.db", "--dynamics", "simultaneous", "--k", "5"], "sweep", "-k/--k"),
        ([*_FIG2, "--out", "/proc/gmmsym-test-f2"], "reproduce", "--out"),
        ([*_FIG2, "--out", "{tmp}/file"], "reproduce", "--out"),
        ([*_FIG2, "--out", "{tmp}/f2", "--db", "{tmp}/file"], "reproduce", "--db"),
        ([*_FIG2, "--out", "{tmp}/f2", "--db", _NOT_WRITABLE + ".db"], "reproduce", "--db"),
        ([*_FIG2, "--out", "{tmp}/f2", "--replay-dynamics", "bogus"], "reproduce", "--replay-dynamics"),
        (["replay", "--db", "{tmp}/nonexist.db", "--sample", "2"], "replay", "--db"),
        (["replay", "--db", "{tmp}/file", "--sample", "2"], "replay", "--db"),
        (["replay", "--db", "{tmp}", "--sample", "2"], "replay", "--db"),
        (["replay", "--db", "{db}", "--json", _NOT_WRITABLE + ".json"], "replay", "--json"),
        (["replay", "--db", "{db}", "--json", "{tmp}"], "replay", "--json"),
        (["replay", "--db", "{db}", "--dynamics", "bogus"], "replay", "--dynamics"),
        (["replay", "--db", "{db}", "--dynamics", "alternating"], "replay", "--dynamics"),
    ],
)
def test_experiment_commands_fail_before_any_work(
    tmp_path, capsys, no_experiment_work, small_db, argv, command, option
):
    (tmp_path / "file").write_text("not a directory, not SQLite, not JSON")
    before = sorted(tmp_path.rglob("*"))
    db_before = small_db.read_bytes()
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{db}", str(small_db)) for a in argv]
    assert main(argv) == 2
    _one_line_error(capsys, command, option)
    assert sorted(tmp_path.rglob("*")) == before  # nothing created (no empty database, no OUT/)
    assert small_db.read_bytes() == db_before


def test_replay_selection_matching_nothing_is_an_error(small_db, capsys):
    assert main(["replay", "--db", str(small_db), "--dynamics", "extragradient", "--no-progress"]) == 2
    err = _one_line_error(capsys, "replay", "--db")
    assert "matches the selection" in err


def test_log_time_plot_records_every_step():
    from gmmsym.cli.simulate import _resolve

    parser = build_parser()
    plain = parser.parse_args(["simulate", *MU, "--steps", "3000", "--plot", "x.png"])
    log = parser.parse_args(["simulate", *MU, "--steps", "3000", "--plot", "x.png", "--log-time"])
    assert _resolve(plain)["record_every"] == 6  # steps / PLOT_RECORDS
    assert _resolve(log)["record_every"] == 1  # the early motion is drawn


@pytest.mark.parametrize(
    "argv, command, option",
    [
        (["simulate", *MU, "--steps", "-5"], "simulate", "--steps"),
        (["simulate", *MU, "--eta", "-1"], "simulate", "--eta"),
        (["simulate", *MU, "--eta-d", "-1"], "simulate", "--eta-d"),
        (["simulate", *MU, "--precision", "3"], "simulate", "--precision"),
        (["simulate", *MU, "--tol", "-1"], "simulate", "--tol"),
        (["simulate", *MU, "--ell", "1", "0", "0", "1"], "simulate", "--ell"),
        (["simulate", "--mu", "nan", "1"], "simulate", "--mu"),
        (["sweep", "--db", "{tmp}/new.db", *_GRID, "--eta", "-1"], "sweep", "--eta"),
        (["sweep", "--db", "{tmp}/new.db", *_GRID, "--tol", "0"], "sweep", "--tol"),
        (
            ["sweep", "--db", "{tmp}/new.db", "--dynamics", "optimal", "--mu-grid", "1", "-1", "0"],
            "sweep",
            "--mu-grid",
        ),
        (["sweep", "--db", "{tmp}/new.db", "--config", "{tmp}/bad.json"], "sweep", "--config"),
        (["replay", "--db", "{db}", "--precision", "3"], "replay", "--precision"),
    ],
)
def test_value_errors_are_in_the_terms_of_the_command_line(tmp_path, capsys, small_db, argv, command, option):
    """A bad value is reported under its option (``--mu``), not the library's name (``mu0``).

    The library's own checks raise these errors, so the real functions run here.
    """
    (tmp_path / "bad.json").write_text('{"dynamics": ["simultaneous"], "bogus": 1}')
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{db}", str(small_db)) for a in argv]
    assert main(argv) == 2
    _one_line_error(capsys, command, option)
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--mu", "x", "1"],
        ["simulate", "--mu", "0", "1", "--dynamics", "pool"],
        ["simulate", "--mu", "0", "1", "--steps", "1.5"],
        ["sweep", "--db", "x.db", "--dynamics", "bogus"],
        ["reproduce", "figure3"],
        ["no-such-command"],
        [],
    ],
)
def test_argparse_errors_are_one_line(argv, capsys):
    """Values argparse itself rejects give one line naming the option, exit 2 (no usage block)."""
    from gmmsym.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error:" in err and "usage:" not in err
