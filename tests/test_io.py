"""gmmsym.io: atomic writes and strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gmmsym.io import json_clean, json_text


def test_atomic_writes_replace_whole_files_or_nothing(tmp_path):
    import os
    import stat

    from gmmsym.io import atomic_path, atomic_write_text

    path = tmp_path / "a.txt"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0o600
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and list(tmp_path.iterdir()) == [path]


def test_json_text_is_strict_and_keeps_infinite_endpoints():
    doc = {
        "ell": np.array([-np.inf, 0.5, 0.5, np.inf]),
        "x": np.float64(1.25),
        "bad": float("nan"),
        "n": np.int64(3),
    }
    text = json_text(doc)

    def refuse(token):
        raise ValueError(f"non-strict JSON token {token}")

    back = json.loads(text, parse_constant=refuse)
    assert back == {"ell": ["-inf", 0.5, 0.5, "inf"], "x": 1.25, "bad": None, "n": 3}
    assert [float(v) for v in back["ell"]][0] == -math.inf
    assert json_clean((1, [2.0, (math.inf,)])) == [1, [2.0, ["inf"]]]


def test_replay_report_json_uses_the_one_cleaner():
    """Replay rows are encoded like every other gmmsym JSON: NaN -> null, +-inf -> "inf"/"-inf"."""
    from gmmsym.experiments.replay import ReplayReport

    row = {"agree": True, "seconds": 0.5, "mu1": math.inf, "mu2": -math.inf, "l1": math.nan}
    doc = ReplayReport(precision=30, rows=[row]).as_dict()
    assert doc["rows"][0]["mu1"] == "inf" and doc["rows"][0]["mu2"] == "-inf" and doc["rows"][0]["l1"] is None
    assert doc == json.loads(json_text(doc))  # strict JSON round trip


# --- path preflight (gmmsym.io.check_*) and stale temporaries -------------------------------


def test_file_error_is_a_gmmsym_error_and_an_os_error():
    from gmmsym.errors import FileError, GmmsymError, InputError

    assert issubclass(FileError, GmmsymError) and issubclass(FileError, OSError)
    assert issubclass(InputError, GmmsymError)
    assert issubclass(InputError, ValueError) and issubclass(InputError, TypeError)
    assert str(FileError("--db: x")) == "--db: x"


def _unwritable_dir(tmp_path):
    """A directory no one (root included) can create files in: a read-only bind is not available,
    so use /proc, whose entries cannot be created, when present; else a chmod 0o500 directory."""
    import os
    import sys

    if sys.platform.startswith("linux") and os.path.isdir("/proc/self"):
        return Path("/proc")
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    return d


def test_check_output_file_accepts_a_writable_location_and_leaves_nothing(tmp_path):
    from gmmsym.io import check_output_file

    assert check_output_file(tmp_path / "out.json", "--json") == tmp_path / "out.json"
    assert list(tmp_path.iterdir()) == []  # the write probe is removed
    (tmp_path / "old.json").write_text("x")
    assert check_output_file(str(tmp_path / "old.json"), "--json") == tmp_path / "old.json"
    assert check_output_file("-", "--export", allow_stdout=True) == Path("-")
    deep = tmp_path / "a" / "b" / "c.png"
    assert check_output_file(deep, "--plot", parents=True) == deep
    assert not (tmp_path / "a").exists()  # nothing created


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda t: "", "expected a path"),
        (lambda t: "-", "standard output"),
        (lambda t: t, "is a directory"),
        (lambda t: t / "missing" / "x.json", "does not exist"),
        (lambda t: _unwritable_dir(t) / "x.json", "cannot write"),
    ],
)
def test_check_output_file_refuses_with_the_option_name(tmp_path, make, match):
    from gmmsym.errors import FileError
    from gmmsym.io import check_output_file

    with pytest.raises(FileError, match=f"^--json: .*{match}"):
        check_output_file(make(tmp_path), "--json")


def test_check_output_file_below_a_file_is_refused(tmp_path):
    from gmmsym.errors import FileError
    from gmmsym.io import check_output_file

    (tmp_path / "f").write_text("x")
    for parents in (False, True):
        with pytest.raises(FileError, match="^--plot: .*not a directory"):
            check_output_file(tmp_path / "f" / "x.png", "--plot", parents=parents)


def test_check_output_dir(tmp_path):
    from gmmsym.errors import FileError
    from gmmsym.io import check_output_dir

    assert check_output_dir(tmp_path, "--out") == tmp_path
    assert check_output_dir(tmp_path / "new" / "deeper", "--out") == tmp_path / "new" / "deeper"
    assert list(tmp_path.iterdir()) == []  # nothing created, probe removed
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileError, match="^--out: .*not a directory"):
        check_output_dir(tmp_path / "f", "--out")
    with pytest.raises(FileError, match="^--out: .*not a directory"):
        check_output_dir(tmp_path / "f" / "sub", "--out")
    with pytest.raises(FileError, match="^--out: cannot write"):
        check_output_dir(_unwritable_dir(tmp_path) / "rep", "--out")
    with pytest.raises(FileError, match="^--out: expected a path"):
        check_output_dir("", "--out")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileError, match="^--out: .*dangling"):
        check_output_dir(tmp_path / "dangling" / "x", "--out")


def test_check_input_file(tmp_path):
    from gmmsym.errors import FileError
    from gmmsym.io import check_input_file

    f = tmp_path / "c.json"
    f.write_text("{}")
    assert check_input_file(str(f), "--config") == f
    with pytest.raises(FileError, match="^--config: .*does not exist"):
        check_input_file(tmp_path / "nope.json", "--config")
    with pytest.raises(FileError, match="^--config: .*is a directory"):
        check_input_file(tmp_path, "--config")
    with pytest.raises(FileError, match="^--config: expected a path"):
        check_input_file(None, "--config")


def test_file_errors_turns_os_errors_into_one_line_file_errors(tmp_path):
    from gmmsym.errors import FileError
    from gmmsym.io import file_errors

    with pytest.raises(FileError, match=r"^--db: cannot access .*nope"):
        with file_errors("--db"):
            open(tmp_path / "nope")
    with pytest.raises(ZeroDivisionError):  # anything else is a bug and passes unchanged
        with file_errors("--db"):
            raise ZeroDivisionError


def _dead_pid():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_interrupted_atomic_writes_are_cleaned_on_the_next_write(tmp_path):
    import os

    from gmmsym.io import TEMP_SUFFIX, atomic_path, atomic_write_text, remove_stale_temps

    # the temp name carries the writer's pid and the recognisable suffix
    with atomic_path(tmp_path / "fig.png") as tmp:
        assert tmp.name.startswith(f".fig.png.{os.getpid()}.") and tmp.name.endswith(TEMP_SUFFIX)
        tmp.write_bytes(b"png")
    dead = tmp_path / f".fig.png.{_dead_pid()}.abc_12{TEMP_SUFFIX}"
    alive = tmp_path / f".fig.png.{os.getpid()}.zz9{TEMP_SUFFIX}"  # a concurrent writer's
    foreign = tmp_path / ".fig.png.123.tmp"  # not ours: never touched
    for f in (dead, alive, foreign):
        f.write_text("partial")
    atomic_write_text(tmp_path / "other.txt", "x")
    assert not dead.exists()
    assert alive.exists() and foreign.exists()
    assert remove_stale_temps(tmp_path) == []
    assert remove_stale_temps(tmp_path / "missing") == []
