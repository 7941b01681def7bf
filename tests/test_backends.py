"""The two dynamics backends (float64 batch, mpmath row) on the same cases, diverging rows included.

Both implement :class:`gmmsym.dynamics.protocol.Backend`; the update rules are shared, so the
two precisions must agree on labels and steps taken, and on the state to float64 accuracy
(tolerance ``STATE_TOL``: the measured max difference, relative to max(1, |x|), is 9.6e-15
over these cases and 20 steps; 1e-12 leaves two decades of margin).
"""

from __future__ import annotations

import numpy as np
import pytest

import gmmsym
from gmmsym.dynamics.float64 import Float64Backend
from gmmsym.dynamics.mpmath import MpBackend
from gmmsym.dynamics.protocol import Backend

NU = (-0.5, 0.5)
#: rows: an ordinary one, one diverged at t = 0 (|mu| > 1e3), one pushed past the bound at step 1
MU0 = [[0.1, 0.4], [0.0, 2000.0], [-2.5, 2.5]]
ELL0 = [[-1.0, 0.0, 1.0, 2.0], [-1.0, 0.0, 1.0, 2.0], [-3.0, -1.0, 2.0, 4.0]]
STATE_TOL = 1e-12


def test_both_backends_implement_the_protocol():
    assert isinstance(Float64Backend(np.zeros(2), np.zeros(2)), Backend)
    assert isinstance(MpBackend((0, 0), 30), Backend)


def _run(dynamics: str, precision, eta: float):
    return gmmsym.simulate(NU, MU0, ELL0, dynamics=dynamics, eta=eta, k=2, steps=20, precision=precision)


@pytest.mark.parametrize("dynamics", gmmsym.DYNAMICS)
@pytest.mark.parametrize("eta", [0.1, 1e4])
def test_float64_and_mpmath_agree_including_diverging_rows(dynamics, eta):
    f = _run(dynamics, "float64", eta)
    m = _run(dynamics, 30, eta)  # used to raise TypeError: 'mpf' object is not subscriptable
    assert f.label[1] == m.label[1] == "diverged" and f.steps_taken[1] == m.steps_taken[1] == 0
    assert f.label.tolist() == m.label.tolist()
    assert f.steps_taken.tolist() == m.steps_taken.tolist()
    for a, b in ((f.mu, m.mu), (f.ell, m.ell)):
        fin = np.isfinite(a)
        assert (fin == np.isfinite(b)).all()
        assert np.allclose(a[fin], b[fin], rtol=STATE_TOL, atol=STATE_TOL)


def test_a_row_diverging_mid_run_is_frozen_on_both_backends():
    for precision in ("float64", 30):
        res = _run("simultaneous", precision, 1e4)
        assert res.label[2] == "diverged" and res.steps_taken[2] == 1
