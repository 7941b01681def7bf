"""gmmsym.references.certified_bisect: certified crossings (python-flint balls) against the float64 solver."""

from __future__ import annotations

from fractions import Fraction
from unittest import mock

import numpy as np
import pytest

from gmmsym.discriminator.crossings import crossings, exponential_sum
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.references import certified_bisect as fcert

K3 = ModelSpec(K=3, M=3, weights=(Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)), sigma=1)


@pytest.mark.parametrize("spec", [PAPER, K3])
def test_float64_crossings_inside_certified_enclosures(spec):
    rng = np.random.default_rng(12)
    mu, nu = rng.uniform(-2, 2, (30, spec.K)), rng.uniform(-2, 2, (30, spec.K))
    x, count, _, _, _ = crossings(exponential_sum(mu, nu, spec))
    done = 0
    for i in range(30):
        ref = fcert.certified_crossings(mu[i], nu[i], spec)
        if not ref.complete:
            continue
        done += 1
        assert ref.count == count[i]
        for got, (lo, hi) in zip(x[: count[i], i], ref.enclosures):
            # measured: all inside [lo - 4e-16 |x|, hi + 4e-16 |x|]
            slack = 1e-14 * (1 + abs(got))
            assert lo - slack <= got <= hi + slack
    assert done >= 25  # ordinary instances are decided


def test_check_fails_when_derivative_test_is_wrong():
    """Treating every interval as monotone loses crossings: the comparison sees it."""
    mu, nu = (1.4, -1.9), (-1.2, 1.6)  # three crossings
    assert fcert.certified_crossings(mu, nu).count == 3
    real = fcert._eval

    def no_deriv(terms, y, deriv=False):
        return fcert.flint.arb(1) if deriv else real(terms, y)

    with mock.patch.object(fcert, "_eval", no_deriv):
        assert fcert.certified_crossings(mu, nu).count != 3
