"""The claims C1..C16 (``proofs/``) and ``gmmsym verify``.

Every claim runs once at the quick budget (module-level cache shared by the tests below) and
must pass; deliberately broken kernels must make the claims that guard them fail.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from gmmsym.proofs import framework
from gmmsym.proofs.framework import METHODS, Checks, Claim, Evidence, all_claim_ids, load_claim, run_claim

from gmmsym.kernels.float64 import PAPER_KERNELS


@functools.cache
def quick(claim_id: str) -> Evidence:
    """One quick run per claim for the whole module (seed 0)."""
    return run_claim(claim_id, "quick", seed=0)


@pytest.mark.parametrize("claim_id", all_claim_ids())
def test_claim_passes_at_quick_budget(claim_id):
    ev = quick(claim_id)
    failed = [c for c in ev.details.get("checks", []) if not c["passed"]]
    assert ev.status == "pass", (ev.key_figure, ev.details.get("error"), failed)
    assert ev.details["checks"], "a claim must run at least one check"
    json.dumps(ev.as_dict(), allow_nan=False)  # strictly JSON-serialisable
    assert ev.key_figure and "\n" not in ev.key_figure


@pytest.mark.parametrize("claim_id", all_claim_ids())
def test_claim_metadata(claim_id):
    module = load_claim(claim_id)
    claim = module.CLAIM
    assert isinstance(claim, Claim) and claim.id == claim_id
    assert claim.method in METHODS
    assert "as numbered in the paper" in claim.source or "stated in the paper's abstract" in claim.source
    assert module.__doc__ and "Pass criterion" in module.__doc__


def test_claim_list_is_c1_to_c16():
    assert all_claim_ids() == [f"C{i}" for i in range(1, 17)]


def test_general_claims_cover_both_models_and_specific_ones_say_why():
    from gmmsym.proofs import _lib
    from gmmsym.proofs.framework import is_general, specific_reason

    general = [cid for cid in all_claim_ids() if is_general(cid)]
    assert general == ["C1", "C2", "C3", "C4", "C5", "C10", "C11"]
    for cid in general:  # the default (quick) run checks the second model too
        assert _lib.SECOND.text() in quick(cid).details["models"], cid
    assert _lib.CROSSINGS_ONLY.text() in quick("C3").details["models"]
    for cid in set(all_claim_ids()) - set(general):
        assert specific_reason(cid)
    with pytest.raises(ValueError, match="paper's model only"):
        run_claim("C6", "quick", model=_lib.SECOND)


def test_c16_unequal_weights_observation():
    ev = quick("C16")
    assert load_claim("C16").CLAIM.kind == framework.OBSERVATION
    names = [c["check"] for c in ev.details["checks"]]
    assert any("not every diagonal start ends in mode collapse" in n for n in names)


def test_c16_fails_when_the_weights_are_lost(monkeypatch):
    """With dL/dmu_i computed for equal weights the diagonal stays invariant: C16 must fail."""
    from gmmsym.proofs import c16_unequal_weights as c16

    from gmmsym.kernels.float64 import Kernels
    from gmmsym.model.spec import ModelSpec

    equal = Kernels(ModelSpec.parse("K=2,M=2,weights=1/2:1/2,sigma=1")).raw
    weighted = Kernels(c16.WEIGHTED).raw
    monkeypatch.setattr(weighted, "gradients", equal.gradients)
    ev = run_claim("C16", "quick")
    assert ev.status == "fail", ev.key_figure


@pytest.mark.parametrize("claim_id", all_claim_ids())
def test_claim_names_its_judge_and_kind(claim_id):
    claim = load_claim(claim_id).CLAIM
    assert claim.judge.strip() and claim.kind in framework.KINDS
    assert quick(claim_id).judge == claim.judge


def test_project_observations_are_labelled():
    kinds = {cid: load_claim(cid).CLAIM.kind for cid in all_claim_ids()}
    assert kinds["C11"] == kinds["C13"] == framework.OBSERVATION
    assert kinds["C12"] == kinds["C3"] == framework.PAPER_CLAIM
    with pytest.raises(ValueError, match="project observation"):
        Claim(
            "C99",
            "t",
            "s",
            "Lemma 4.3 as numbered in the paper",
            METHODS[0],
            "c",
            "judge",
            framework.OBSERVATION,
        )


def _flipped(fn, which=None):
    def wrapper(*args):
        out = fn(*args)
        if which is None:
            return tuple(-np.asarray(x) for x in out)
        return tuple(-np.asarray(x) if k in which else x for k, x in enumerate(out))

    return wrapper


def test_sign_flipped_gradient_kernel_fails_c2_and_c4(monkeypatch):
    raw = PAPER_KERNELS.raw
    monkeypatch.setattr(raw, "gradients", _flipped(raw.gradients))
    for claim_id in ("C2", "C4"):
        ev = run_claim(claim_id, "quick")
        assert ev.status == "fail", (claim_id, ev.key_figure)


def test_one_wrong_component_fails_c2(monkeypatch):
    raw = PAPER_KERNELS.raw
    monkeypatch.setattr(raw, "gradients", _flipped(raw.gradients, which={0}))  # dL/dmu1 only
    ev = run_claim("C2", "quick")
    assert ev.status == "fail"
    kernel_check = [c for c in ev.details["checks"] if c["check"].startswith("float64 kernel")][0]
    assert not kernel_check["passed"]


def test_sign_flipped_advantage_kernel_fails_c4(monkeypatch):
    raw = PAPER_KERNELS.raw
    orig = raw.advantage
    monkeypatch.setattr(raw, "advantage", lambda *a: -np.asarray(orig(*a)))
    assert run_claim("C4", "quick").status == "fail"


def test_crashing_claim_is_an_error_not_an_exception(monkeypatch):
    module = load_claim("C10")

    def boom(budget, *, seed=0):
        raise RuntimeError("deliberate")

    monkeypatch.setattr(module, "run", boom)
    ev = run_claim("C10", "quick")
    assert ev.status == "error" and "deliberate" in ev.details["error"]


def test_checks_and_evidence():
    c = Checks(seed=1)
    assert c.evidence("nothing ran").status == "fail"  # no check: not a pass
    c.add("ok", True, x=np.float64(1.5))
    c.add("bad", np.bool_(False), y=np.array([1.0, np.inf]))
    ev = c.evidence("fig")
    assert ev.status == "fail" and "bad" in ev.key_figure
    assert json.loads(json.dumps(ev.as_dict()))["details"]["checks"][1]["y"] == [1.0, "inf"]
    with pytest.raises(ValueError):
        Evidence("maybe", "x")
    with pytest.raises(ValueError):
        Claim("C99", "t", "s", "no citation here", METHODS[0], "c", "judge")
    with pytest.raises(ValueError):
        Claim("C99", "t", "s", "Lemma 4.3 as numbered in the paper", "vibes", "c", "judge")
    with pytest.raises(ValueError):
        framework.sized("huge", 1, 2, 3)


def test_property_check_reports_counterexample():
    from hypothesis import strategies as st

    res = framework.property_check(
        st.integers(0, 100), lambda x: (x < 50, {"x": x}), max_examples=200, seed=3
    )
    assert not res["passed"] and res["counterexample"]["example"] >= 50
    ok = framework.property_check(st.integers(0, 10), lambda x: (True, {}), max_examples=20, seed=3)
    assert ok["passed"] and ok["examples"] > 0


def test_verify_cli_writes_report(tmp_path, capsys):
    from gmmsym.cli import main

    out = tmp_path / "rep"
    rc = main(["verify", "--quick", "--only", "c10,C13", "--out", str(out), "--seed", "0"])
    assert rc == 0
    doc = json.loads((out / "report.json").read_text())
    assert [c["id"] for c in doc["claims"]] == ["C10", "C13"]
    assert doc["budget"] == "quick" and doc["passed"] and doc["versions"]["gmmsym"]
    assert all(c["status"] == "pass" and "key_figure" in c["evidence"] for c in doc["claims"])
    md = (out / "report.md").read_text()
    assert "| C10 |" in md
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    # provenance: version, commit (a checkout here), UTC time, dependency versions
    assert doc["commit"] != "unknown" and len(doc["commit"].split("-")[0]) == 40
    assert doc["time_utc"].endswith("+00:00")
    for dist in ("numpy", "scipy", "sympy", "mpmath", "python-flint", "hypothesis", "python"):
        assert doc["versions"][dist]
    # every measured value of every check is in report.md in full (nothing cut mid-value)
    for c in doc["claims"]:
        for chk in c["evidence"]["details"]["checks"]:
            assert framework.measured_text(chk) in md


def test_verify_exit_status_on_failure(tmp_path, monkeypatch):
    from gmmsym.cli import main

    module = load_claim("C10")
    monkeypatch.setattr(module, "run", lambda budget, *, seed=0: Checks().evidence("no checks"))
    rc = main(["verify", "--quick", "--only", "C10", "--out", str(tmp_path)])
    assert rc == 1
    assert json.loads((tmp_path / "report.json").read_text())["claims"][0]["status"] == "fail"


def test_verify_rejects_unknown_ids(tmp_path, capsys):
    from gmmsym.cli import main

    assert main(["verify", "--quick", "--only", "C99", "--out", str(tmp_path)]) == 2
    assert "C99" in capsys.readouterr().err


def test_measured_values_are_never_cut():
    long = {"check": "c", "passed": True, "values": list(range(400)), "x": 1.5}
    text = framework.measured_text(long)
    assert str(399) in text and "..." not in text and "x=1.5" in text
    assert framework.check_line(long).startswith("- PASS: c")


def test_notebook_views_of_evidence_and_report():
    from gmmsym.proofs.verify import Report, _markdown

    c = Checks()
    c.add("a check", True, worst=1e-3)
    ev = c.evidence("max 1e-3")
    view = ev._repr_markdown_()
    assert "**pass**" in view and "a check" in view and "worst=0.001" in view
    doc = Report(
        claims=[{**load_claim("C10").CLAIM.as_dict(), "status": ev.status, "evidence": ev.as_dict()}],
        budget="quick",
        seed=0,
        versions={"gmmsym": "x"},
        commit="unknown",
        time_utc="t",
        seconds=1.0,
        passed=True,
        command="gmmsym verify",
    )
    assert doc._repr_markdown_() == _markdown(doc) and "a check" in doc._repr_markdown_()


def test_verify_description_cites_docs_model_md():
    import argparse

    from gmmsym.proofs import verify

    sub = argparse.ArgumentParser().add_subparsers()
    p = verify.add_parser(sub)
    # the only model document it cites is the repository's own (report.md is an output it writes)
    cited = {w.strip(".,;:()`'\"") for w in p.description.split() if w.strip(".,;:()`'\"").endswith(".md")}
    assert cited - {"report.md"} == {"docs/model.md"}


def test_c09_band_test_is_exact_on_the_grid():
    c9 = load_claim("C9")
    h0, n = 0.1, 20
    edges = [-c9.BOX + i * h0 for i in range(n + 1)]
    diag = [(edges[i], edges[i + 1], edges[i], edges[i + 1]) for i in range(n)]
    # the float widths of the diagonal boxes straddle delta: a strict float test splits them
    widths = {e[1] - e[0] for e in diag}
    assert any(w < c9.DELTA for w in widths) and any(w > c9.DELTA for w in widths)
    assert all(c9._outside(b, c9.NU, c9.DELTA) for b in diag)  # every diagonal box is dropped
    near = [(edges[i + 1], edges[i + 2], edges[i], edges[i + 1]) for i in range(n - 1)]
    assert not any(c9._outside(b, c9.NU, c9.DELTA) for b in near)
    assert not c9._outside((0.0, 0.1 + 1e-9, 0.0, 0.1), (5.0, 6.0), c9.DELTA)  # beyond the tolerance


def test_c09_figure_has_a_legend_and_no_diagonal_box():
    c9 = load_claim("C9")
    cover = c9.certified_cover(box=0.3, h0=0.1, max_depth=0, half=False)
    assert not [b for b, _, _ in cover.boxes if b[0] == b[2] and b[1] == b[3]]
    fig = c9._figure(cover, points=21)
    assert all(ax.get_legend() is not None for ax in fig.axes if ax.get_label() != "<colorbar>")


def test_verify_model_runs_general_claims_and_lists_the_skipped(tmp_path, capsys):
    from gmmsym.cli import main

    spec = "K=3,M=3,weights=1/4:1/4:1/2,sigma=1"
    rc = main(["verify", "--quick", "--only", "C10,C6", "--model", spec, "--out", str(tmp_path)])
    doc = json.loads((tmp_path / "report.json").read_text())
    assert rc == 0 and doc["model"] == spec and doc["passed"]
    assert [c["id"] for c in doc["claims"]] == ["C10"]
    assert doc["claims"][0]["evidence"]["details"]["models"] == [spec]
    assert [s["id"] for s in doc["skipped"]] == ["C6"] and doc["skipped"][0]["reason"]
    assert f"--model {spec}" in doc["command"]
    out = capsys.readouterr().out
    assert "skipped C6" in out
    assert "skipped" in (tmp_path / "report.md").read_text()
