"""The K = 3 counterpart of Figure 2 (gmmsym.experiments.figure2_k3, ``reproduce figure2-k3``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gmmsym.errors import InputError
from gmmsym.experiments.figure2_k3 import K3_DYNAMICS, SECOND_MODEL, Setting, markdown, run_k3, starts_slice
from gmmsym.outcomes import LABELS

SMALL = dict(starts=4, grid=2, inits=2, steps=10)


def test_small_run_writes_every_output_and_is_reproducible(tmp_path):
    doc = run_k3(Setting(**SMALL), tmp_path)
    assert list(doc["panels"]) == ["optimal", "simultaneous", "alternating-k1", "alternating-k5"]
    assert len(doc["panels"]) == len(K3_DYNAMICS)
    for name, p in doc["panels"].items():
        assert p["runs"] == 4 and set(p["labels"]) == set(LABELS)
        assert abs(sum(p["labels"].values()) - 1) < 1e-12
        assert p["success"] == p["labels"]["converged"]
        assert p["slice_runs"] == 4 * (1 if name == "optimal" else 2)
        assert (tmp_path / f"heatmap_{name}.png").stat().st_size > 0
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["setting"]["model"] == SECOND_MODEL.text() and saved["panels"] == doc["panels"]
    assert (tmp_path / "summary.md").read_text() == markdown(doc)
    again = run_k3(Setting(**SMALL))
    assert json.dumps(again) == json.dumps(doc)  # same seed: same results


def test_slice_cells_hold_the_other_means_at_the_truth():
    s = Setting(**SMALL)
    axis, mu0, ell0 = starts_slice(s)
    assert mu0.shape == (4 * 2, 3) and ell0.shape == (8, 6)
    assert np.all(mu0[:, 2] == s.nu[2]) and set(mu0[:, 0]) == set(axis)
    assert np.all(np.diff(ell0, axis=1) >= 0)


def test_bad_settings_are_one_line_errors():
    with pytest.raises(InputError, match="starts"):
        Setting(starts=0)
    with pytest.raises(ValueError, match="nu must have K=3"):
        Setting(nu=(0.0, 1.0))


def test_cli_reproduce_figure2_k3(tmp_path, capsys):
    from gmmsym.cli import main

    args = ["reproduce", "figure2-k3", "--out", str(tmp_path), "--starts", "3", "--grid", "2"]
    assert main([*args, "--inits", "1", "--steps", "10"]) == 0
    assert "success" in capsys.readouterr().out and (tmp_path / "summary.md").exists()
    assert main([*args, "--model", "paper"]) == 2
    assert "reproduce figure2" in capsys.readouterr().err
