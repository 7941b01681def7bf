"""``ModelSpec.parse`` / ``ModelSpec.text``: the command-line spelling of a model (``--model``)."""

from __future__ import annotations

import argparse
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gmmsym.cli.options import model_type
from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec


@st.composite
def specs(draw):
    K = draw(st.integers(1, 5))
    raw = draw(st.lists(st.integers(1, 9), min_size=K, max_size=K))
    weights = tuple(Fraction(x, sum(raw)) for x in raw)
    sigma = draw(st.fractions(min_value=Fraction(1, 10), max_value=10))
    return ModelSpec(K, draw(st.integers(1, 5)), weights, sigma)


@given(specs())
def test_round_trip(spec):
    assert ModelSpec.parse(spec.text()) == spec


def test_issue_spelling():
    spec = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
    assert spec == ModelSpec(3, 3, (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), 1)
    assert ModelSpec.parse("paper") is PAPER
    assert ModelSpec.parse(PAPER.text()) == PAPER
    assert ModelSpec.parse("K=3") == ModelSpec(3, 2, (Fraction(1, 3),) * 3, 1)
    assert ModelSpec.parse(" M = 3 , sigma = 0.5 ") == ModelSpec(2, 3, PAPER.weights, Fraction(1, 2))


@pytest.mark.parametrize(
    "text, words",
    [
        ("K=x", "K must be an integer"),
        ("foo=1", "KEY=VALUE"),
        ("K=3,K=2", "K given twice"),
        ("K=3,weights=1:2", "K=3 entries"),
        ("weights=1/2:1/3", "sum to 1"),
        ("sigma=0", "sigma must be positive"),
        ("K=2,", "KEY=VALUE"),
        ("", "KEY=VALUE"),
    ],
)
def test_refused(text, words):
    with pytest.raises(InputError, match=words):
        ModelSpec.parse(text)
    with pytest.raises(argparse.ArgumentTypeError, match=words):
        model_type(text)


@pytest.mark.parametrize("bad", ["K=3", None, 3, (3, 3)])
def test_check_model_refuses(bad):
    from gmmsym.model.spec import check_model

    with pytest.raises(InputError, match="model must be a gmmsym.ModelSpec"):
        check_model(bad)
    assert check_model(PAPER) is PAPER
