"""Hypothesis strategies for the GMM-GAN model (public API, used by ``proofs/`` and the tests).

Every strategy draws values that satisfy the model's input contract (docs/model.md section 1,
``docs/design.md``), so a property test never needs ``assume``:

* :func:`true_means` / :func:`generator_means`: a pair ``(m1, m2)`` of finite floats in a box
  ``[low, high]``, optionally at least ``min_separation`` apart (``|m1 - m2| >= min_separation``
  holds in float64), and for the generator optionally at least ``min_distance`` from given
  true means in the label-invariant distance of docs/model.md section 5.  With
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
from gmmsym.model.validate import check_bool, check_int, check_positive, check_real, show

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


def _check_box(
    low: object,
    high: object,
    min_separation: object,
    names: tuple[str, str, str] = ("low", "high", "min_separation"),
) -> tuple[float, float, float]:
    """Checked at construction (never at draw time): finite reals, ``low <= high``, separation fits."""
    low, high = check_real(names[0], low), check_real(names[1], high)
    sep = check_positive(names[2], min_separation, allow_zero=True)
    if low > high:
        raise InputError(f"{names[0]}, {names[1]}: need {names[0]} <= {names[1]}, got [{low}, {high}]")
    if not math.isfinite(high - low):
        raise InputError(
            f"{names[0]}, {names[1]}: the box [{low}, {high}] is too wide (high - low overflows)"
        )
    if sep > high - low:
        raise InputError(
            f"{names[2]}, {names[0]}, {names[1]}: separation {sep} does not fit the box [{low}, {high}]"
        )
    return low, high, sep


def _check_sizes(min_size: object, max_size: object) -> tuple[int, int]:
    lo = check_int("min_size", min_size, minimum=1, maximum=MAX_BATCH)
    hi = check_int("max_size", max_size, minimum=1, maximum=MAX_BATCH)
    if hi < lo:
        raise InputError(f"max_size must be >= min_size, got min_size={lo}, max_size={hi}")
    return lo, hi


def _check_collapsed(collapsed: object) -> tuple[bool, bool] | None:
    if collapsed is None:
        return None
    if isinstance(collapsed, (bool, np.bool_)):
        return (bool(collapsed), bool(collapsed))
    if isinstance(collapsed, (str, bytes)) or not isinstance(collapsed, Sequence) or len(collapsed) != 2:
        raise InputError(f"collapsed must be None, a bool or a pair of bools, got {show(collapsed)}")
    return (check_bool("collapsed[0]", collapsed[0]), check_bool("collapsed[1]", collapsed[1]))


#: Largest batch size (rows) a strategy draws: Hypothesis examples must stay small.
MAX_BATCH = 10_000


def label_invariant_distance(mu: Sequence[float], nu: Sequence[float]) -> float:
    """The label-invariant distance of docs/model.md section 5: :func:`gmmsym.outcomes.dist` of one point."""
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
    d = check_positive("min_distance", min_distance, allow_zero=True)
    if d == 0:
        return base
    if nu is None:
        raise InputError("nu: min_distance > 0 needs the true means nu")
    from gmmsym.model.validate import as_points

    nu_a = as_points("nu", nu, 2)
    if nu_a.ndim != 1:
        raise InputError(f"nu must be one pair of numbers, got shape {nu_a.shape}")
    nu_t = (float(nu_a[0]), float(nu_a[1]))
    _check_reachable(float(low), float(high), nu_t, d)
    return base.filter(lambda mu: label_invariant_distance(mu, nu_t) >= d)


def _check_reachable(low: float, high: float, nu: tuple[float, float], d: float) -> None:
    """Refuse at construction a ``min_distance`` the filter would almost never satisfy.

    On a 33 x 33 grid of the box, at least 5% of the points must be at distance ``>= d``
    (otherwise Hypothesis' filter fails at draw time with ``Unsatisfiable``).
    """
    from gmmsym.outcomes import dist

    axis = np.linspace(low, high, 33)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    share = float(np.mean(dist(grid, np.asarray(nu)) >= d))
    if share < 0.05:
        raise InputError(
            f"min_distance: only {share:.0%} of the box [{low}, {high}]^2 is at distance >= {d} from nu; "
            "the filter would fail (use a larger box or a smaller min_distance)"
        )


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
    if check_bool("allow_infinite", allow_infinite):
        endpoint = st.one_of(endpoint, endpoint, endpoint, st.sampled_from([-math.inf, math.inf]))
    pair = _check_collapsed(collapsed)
    force = st.tuples(st.booleans(), st.booleans()) if pair is None else st.just(pair)

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
    if not isinstance(elements, SearchStrategy):
        raise InputError(f"elements must be a Hypothesis strategy, got {type(elements).__name__}")
    min_size, max_size = _check_sizes(min_size, max_size)
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

    box = check_positive("box", box)
    ell_box = check_positive("ell_box", ell_box)
    min_size, max_size = _check_sizes(min_size, max_size)
    # Build once here so that impossible parameters fail now, naming the argument, not at draw time.
    _check_box(-box, box, nu_separation, ("box", "box", "nu_separation"))
    _check_box(-box, box, mu_separation, ("box", "box", "mu_separation"))
    discriminators(-ell_box, ell_box, allow_infinite=allow_infinite, collapsed=collapsed)

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

    return build()
