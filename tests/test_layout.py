"""The package layout (issue 12): installed packages, public names, aliases."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import gmmsym

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_lists_every_package_and_maps_proofs():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gmmsym").rglob("__init__.py")}
    proofs = {
        ".".join(("gmmsym", *q.parent.relative_to(ROOT).parts))
        for q in (ROOT / "proofs").rglob("__init__.py")
    }
    assert set(tool["packages"]) == folders | proofs
    assert tool["package-dir"] == {"gmmsym.proofs": "proofs"}
    assert not any(p == "proofs" or p.startswith("proofs.") for p in tool["packages"])


@pytest.mark.parametrize("name", gmmsym.__all__)
def test_every_public_name_resolves(name):
    assert getattr(gmmsym, name) is not None


@pytest.mark.parametrize(
    ("alias", "real"),
    [
        ("gmmsym.mp", "gmmsym.kernels.mp"),
        ("gmmsym.certified", "gmmsym.references.certified"),
        ("gmmsym.accuracy", "gmmsym.references.accuracy"),
        ("gmmsym._special", "gmmsym.kernels.special"),
    ],
)
def test_public_module_aliases_are_the_same_module(alias, real):
    assert importlib.import_module(alias) is importlib.import_module(real)
    assert getattr(gmmsym, alias.split(".")[1]) is importlib.import_module(real)


def test_claims_load_under_the_installed_name():
    from gmmsym.proofs.framework import all_claim_ids, load_claim

    assert load_claim(all_claim_ids()[0]).__name__ == "gmmsym.proofs.c01_closed_form"
