"""The mutation gate: every catalogued bug is caught (``gmmsym.proofs.mutants``).

For each bug, only its first (cheapest) designated killer claim runs, at the quick budget: it
must fail under the bug and pass without it (the unpatched claims run once, cached).  The full
kill matrix (every claim under every bug) is ``gmmsym verify --mutants``.
"""

from __future__ import annotations

import functools

import pytest
from gmmsym.proofs import _fig2
from gmmsym.proofs.framework import all_claim_ids, run_claim
from gmmsym.proofs.mutants import MUTANTS, planted, resolve_target

#: The bugs the mutation gate must hold (issue table and the named additions).
REQUIRED = {
    "no-collapse-label",
    "frozen-discriminator",
    "flip-dl-sign",
    "first-crossing-only",
    "projection-tie-rule",
    "optimal-ascends",
    "mp-15-digits",
    "danskin-1pc",
    "k-ignored",
    "swapped-truth",
    "off-by-one-steps",
    "weights-ignored",
}


@functools.cache
def unpatched(claim_id: str):
    _fig2.figure2_runs.cache_clear()
    return run_claim(claim_id, "quick", seed=0)


def test_catalogue_is_complete_and_well_formed():
    assert len(MUTANTS) >= 12 and REQUIRED <= set(MUTANTS)
    for m in MUTANTS.values():
        assert m.description and m.targets and m.killers
        assert set(m.killers) <= set(all_claim_ids()), m.name
        assert not any("judge" in t for t in m.targets), "the judge is never a mutation target"


@pytest.mark.parametrize("name", list(MUTANTS))
def test_targets_exist_and_patches_restore(name):
    m = MUTANTS[name]
    for t in m.targets:
        resolve_target(t)  # raises if the path is stale
    before = [resolve_target(t) for t in m.targets]
    with planted(name):
        during = [resolve_target(t) for t in m.targets]
    after = [resolve_target(t) for t in m.targets]
    assert any(b is not d for b, d in zip(before, during)), "the bug patches none of its targets"
    assert all(b is a for b, a in zip(before, after)), "a patch was not undone"


def test_planted_restores_even_on_error():
    (target,) = MUTANTS["frozen-discriminator"].targets  # where the rules look _ascend up
    orig = resolve_target(target)
    with pytest.raises(RuntimeError), planted("frozen-discriminator"):
        assert resolve_target(target) is not orig
        raise RuntimeError
    assert resolve_target(target) is orig
    with pytest.raises(ValueError, match="unknown mutant"), planted("no-such-bug"):
        pass


@pytest.mark.parametrize("name", list(MUTANTS))
def test_bug_is_caught_by_its_cheapest_killer(name):
    killer = MUTANTS[name].killers[0]
    clean = unpatched(killer)
    assert clean.status == "pass", (killer, clean.key_figure)
    with planted(name):
        ev = run_claim(killer, "quick", seed=0)
    assert ev.status == "fail", (name, killer, ev.status, ev.key_figure, ev.details.get("error"))


def test_verify_mutants_cli_writes_the_matrix_and_fails_on_survivors(tmp_path, monkeypatch, capsys):
    import json

    from gmmsym.proofs import mutants

    from gmmsym.cli import main

    rc = main(["verify", "--mutants", "--only", "C15", "--out", str(tmp_path)])
    doc = json.loads((tmp_path / "mutants.json").read_text())
    assert rc == 1 and "no-collapse-label" in doc["survivors"]  # C15 alone does not catch it
    assert doc["matrix"]["frozen-discriminator"]["C15"] == "fail"
    assert "frozen-discriminator" not in doc["survivors"] and doc["versions"]["gmmsym"]
    assert "| frozen-discriminator |" in (tmp_path / "mutants.md").read_text()
    assert "survives" in capsys.readouterr().out
    monkeypatch.setattr(mutants, "mutant_names", lambda: ["frozen-discriminator", "k-ignored"])
    assert main(["verify", "--mutants", "--only", "C15", "--out", str(tmp_path)]) == 0


def test_weights_ignored_is_invisible_on_the_paper_model():
    """Only the K = 3 runs catch this bug: the paper's model (equal weights) passes under it."""
    from gmmsym.model.spec import PAPER

    with planted("weights-ignored"):
        ev = run_claim("C4", "quick", seed=0, model=PAPER)
    assert ev.status == "pass", ev.key_figure
