"""The independent judge: a plain reference implementation of the GMM-GAN model for the claims.

Written from the model definitions alone (``docs/model.md``, sections 1-5), deliberately
simple, and sharing no code with gmmsym's numeric path (no generated kernels, no root
isolation from the optimal-discriminator module, no projection or outcome module of gmmsym;
``tests/test_judge.py`` parses these imports and fails if one appears):

* :mod:`.model` -- densities, the objective through ``scipy.special.ndtr``, the closed-form
  gradients of ``L`` through ``np.exp``, stacked over rows;
* :mod:`.tv` -- crossings of ``p* - p_mu`` from a dense sign scan with bisection, TV and the
  optimal set at high precision (mpmath), and a vectorised float64 TV for trajectories;
* :mod:`.projection` -- the projection onto ``l1 <= r1 <= l2 <= r2`` by the max-min formula of
  isotonic regression;
* :mod:`.dynamics` -- first-order (simultaneous, alternating) and optimal dynamics, stacked
  NumPy over thousands of runs;
* :mod:`.outcomes` -- its own label-invariant distance and classifier of the outcome labels.
"""

from __future__ import annotations

from .dynamics import first_order
from .model import gap, gradients, objective
from .outcomes import LABELS, classify, dist
from .projection import project
from .tv import crossings_mp, tv64, tv_mp, tv_set_mp, union_value_mp

__all__ = [
    "LABELS",
    "classify",
    "crossings_mp",
    "dist",
    "first_order",
    "gap",
    "gradients",
    "objective",
    "project",
    "tv64",
    "tv_mp",
    "tv_set_mp",
    "union_value_mp",
]
