"""Hypothesis strategies for the GMM-GAN model (public API, used by ``proofs/`` and the tests).

Every strategy draws values that satisfy the model's input contract (MODEL.md section 1,
``docs/design.md``), so a property test never needs ``assume``:

* :func:`true_means` / :func:`generator_means`: a pair ``(m1, m2)`` of finite floats in a box
  ``[low, high]``, optionally at least ``min_separation`` apart (``|m1 - m2| >= min_separation``
  holds in float64), and for the generator optionally at least ``min_distance`` from given
  true means in the label-invariant distance of MODEL.md section 5.  With
  ``min_separation = 0`` Hypothesis draws exactly equal pairs (the invariant diagonal
  ``mu1 = mu2``) often, about half the time; pass a small positive ``min_separation`` for
  generic pairs.
* :func:`discriminators`: ordered ``(l1, r1, l2, r2)`` with optional infinite endpoints and
  collapsed intervals (``l_j == r_j``).
* :func:`mean_batches`, :func:`discriminator_batches`, :func:`states`: float64 arrays of shape
  ``(N, 2)`` / ``(N, 4)`` (batches share ``N``), the layout of the batched dynamics.

All floats are finite unless an infinite endpoint is asked for; NaN is never drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from gmmsym.errors import InputError

__all__ = [
    "label_invariant_distance",
    "means",
    "true_means",
    "generator_means",
    "discriminators",
    "batches",
    "mean_batches",
    "discriminator_batches",
    "states",
]


def _check_box(low: float, high: float, min_separation: float) -> tuple[float, float, float]:
    low, high, sep = float(low), float(high), float(min_separation)
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise InputError(f"box must be finite with low <= high, got [{low}, {high}]")
    if not math.isfinite(sep) or sep < 0:
        raise InputError(f"min_separation must be finite and >= 0, got {min_separation!r}")
    if sep > high - low:
        raise InputError(f"min_separation {sep} does not fit in the box [{low}, {high}]")
    return low, high, sep


def label_invariant_distance(mu: Sequence[float], nu: Sequence[float]) -> float:
    """The label-invariant distance of MODEL.md section 5: :func:`gmmsym.outcomes.dist` of one point."""
    from gmmsym.outcomes import dist

    return float(dist(mu, nu))


def _floats(low: float, high: float) -> SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def means(
    low: float = -3.0, high: float = 3.0, *, min_separation: float = 0.0
) -> SearchStrategy[tuple[float, float]]:
    """Pairs ``(m1, m2)`` in ``[low, high]^2`` with ``|m1 - m2| >= min_separation``.

    Parameters
    ----------
    low, high : float
        The box (finite, ``low <= high``).
    min_separation : float
        Minimum ``|m1 - m2|`` (checked in float64); with ``0``, equal means are frequent
        (Hypothesis repeats values on purpose).  Must fit in the box.

    Returns
    -------
    SearchStrategy[tuple[float, float]]
        Either order (``m1 > m2`` as often as ``m1 < m2``).
    """
    low, high, sep = _check_box(low, high, min_separation)
    if sep == 0:
        # Hypothesis draws equal floats often on its own (about half of the pairs in practice):
        # the diagonal is well covered; use min_separation > 0 for generic pairs.
        return st.tuples(_floats(low, high), _floats(low, high))

    @st.composite
    def separated(draw) -> tuple[float, float]:
        a = draw(_floats(low, high - sep))
        b = draw(_floats(min(a + sep, high), high))
        return (b, a) if draw(st.booleans()) else (a, b)

    return separated().filter(lambda p: abs(p[0] - p[1]) >= sep)


def true_means(
    low: float = -3.0, high: float = 3.0, *, min_separation: float = 0.0
) -> SearchStrategy[tuple[float, float]]:
    """True means ``nu = (nu1, nu2)``: :func:`means` (the paper's theorem needs them separated)."""
    return means(low, high, min_separation=min_separation)


def generator_means(
    low: float = -3.0,
    high: float = 3.0,
    *,
    min_separation: float = 0.0,
    nu: Sequence[float] | None = None,
    min_distance: float = 0.0,
) -> SearchStrategy[tuple[float, float]]:
    """Generator means ``mu = (mu1, mu2)`` in a box, separated, optionally away from ``nu``.

    Parameters
    ----------
    low, high, min_separation
        As in :func:`means`.
    nu : pair of float, optional
        True means; with ``min_distance > 0`` only ``mu`` with
        ``label_invariant_distance(mu, nu) >= min_distance`` are drawn (by filtering: keep the
        excluded squares a small part of the box).
    min_distance : float
        See ``nu``.
    """
    base = means(low, high, min_separation=min_separation)
    d = float(min_distance)
    if not math.isfinite(d) or d < 0:
        raise InputError(f"min_distance must be finite and >= 0, got {min_distance!r}")
    if d == 0:
        return base
    if nu is None:
        raise InputError("min_distance > 0 needs the true means nu")
    nu_t = (float(nu[0]), float(nu[1]))
    return base.filter(lambda mu: label_invariant_distance(mu, nu_t) >= d)


def discriminators(
    low: float = -6.0,
    high: float = 6.0,
    *,
    allow_infinite: bool = True,
    collapsed: bool | None | tuple[bool, bool] = None,
) -> SearchStrategy[tuple[float, float, float, float]]:
    """Ordered discriminators ``(l1, r1, l2, r2)``.

    Parameters
    ----------
    low, high : float
        Box of the finite endpoints.
    allow_infinite : bool
        Endpoints may be ``-inf``/``+inf`` (in order).
    collapsed : None, bool or (bool, bool)
        ``None``: each interval collapsed (``r_j = l_j``) or not at random; ``True``/``False``:
        both collapsed / none forced; a pair: force per interval (``False`` leaves that one to
        the draw, which may still produce equal endpoints).

    Returns
    -------
    SearchStrategy[tuple[float, float, float, float]]
        Always ``l1 <= r1 <= l2 <= r2``.
    """
    low, high, _ = _check_box(low, high, 0.0)
    endpoint = _floats(low, high)
    if allow_infinite:
        endpoint = st.one_of(endpoint, endpoint, endpoint, st.sampled_from([-math.inf, math.inf]))
    if collapsed is None:
        force = st.tuples(st.booleans(), st.booleans())
    elif isinstance(collapsed, bool):
        force = st.just((collapsed, collapsed))
    else:
        force = st.just((bool(collapsed[0]), bool(collapsed[1])))

    @st.composite
    def build(draw) -> tuple[float, float, float, float]:
        e = sorted(draw(st.lists(endpoint, min_size=4, max_size=4)))
        for j, flag in enumerate(draw(force)):
            if flag:
                e[2 * j + 1] = e[2 * j]
        return (e[0], e[1], e[2], e[3])

    return build()


def batches(elements: SearchStrategy, *, min_size: int = 1, max_size: int = 16) -> SearchStrategy[np.ndarray]:
    """Float64 arrays of shape ``(N, width)`` whose rows are drawn from ``elements`` (tuples)."""
    if min_size < 1 or max_size < min_size:
        raise InputError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    return st.lists(elements, min_size=min_size, max_size=max_size).map(
        lambda rows: np.array(rows, dtype=np.float64)
    )


def mean_batches(
    low: float = -3.0,
    high: float = 3.0,
    *,
    min_separation: float = 0.0,
    min_size: int = 1,
    max_size: int = 16,
) -> SearchStrategy[np.ndarray]:
    """Arrays ``(N, 2)`` of mean pairs (:func:`means`)."""
    return batches(means(low, high, min_separation=min_separation), min_size=min_size, max_size=max_size)


def discriminator_batches(
    low: float = -6.0,
    high: float = 6.0,
    *,
    allow_infinite: bool = True,
    collapsed: bool | None | tuple[bool, bool] = None,
    min_size: int = 1,
    max_size: int = 16,
) -> SearchStrategy[np.ndarray]:
    """Arrays ``(N, 4)`` of ordered discriminators (:func:`discriminators`)."""
    return batches(
        discriminators(low, high, allow_infinite=allow_infinite, collapsed=collapsed),
        min_size=min_size,
        max_size=max_size,
    )


def states(
    *,
    box: float = 3.0,
    nu_separation: float = 0.0,
    mu_separation: float = 0.0,
    ell_box: float = 6.0,
    allow_infinite: bool = True,
    collapsed: bool | None | tuple[bool, bool] = None,
    min_size: int = 1,
    max_size: int = 16,
) -> SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batched states ``(nu (N, 2), mu (N, 2), ell (N, 4))`` with a common ``N``.

    Means lie in ``[-box, box]``; endpoints in ``[-ell_box, ell_box]`` (or infinite).
    """

    @st.composite
    def build(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = draw(st.integers(min_size, max_size))
        size = {"min_size": n, "max_size": n}
        nu = draw(mean_batches(-box, box, min_separation=nu_separation, **size))
        mu = draw(mean_batches(-box, box, min_separation=mu_separation, **size))
        ell = draw(
            discriminator_batches(
                -ell_box, ell_box, allow_infinite=allow_infinite, collapsed=collapsed, **size
            )
        )
        return nu, mu, ell

    if min_size < 1 or max_size < min_size:
        raise InputError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    return build()
