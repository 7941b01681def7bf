"""gmmsym.io: atomic writes and strict JSON."""

from __future__ import annotations

import json
import math

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
