"""Hypothesis strategies for the GMM-GAN model (public API, used by ``proofs/`` and the tests).

Every strategy draws values that satisfy the model's input contract (docs/model.md section 1,
``docs/design.md``), so a property test never needs ``assume``:

* :func:`true_means` / :func:`generator_means`: a ``K``-tuple ``(m1, ..., mK)`` of finite floats
  in a box ``[low, high]``, optionally pairwise at least ``min_separation`` apart
  (``|m_i - m_j| >= min_separation`` holds in float64), and for the generator optionally at
  least ``min_distance`` from given true means in the label-invariant distance of
  docs/model.md section 5.  With ``min_separation = 0`` Hypothesis draws exactly equal means
  (the invariant diagonal ``mu1 = mu2``) often, about half the time for pairs; pass a small
  positive ``min_separation`` for generic means.
* :func:`discriminators`: ordered ``(l1, r1, ..., lM, rM)`` with optional infinite endpoints and
  collapsed intervals (``l_j == r_j``).
* :func:`mean_batches`, :func:`discriminator_batches`, :func:`states`: float64 arrays of shape
  ``(N, K)`` / ``(N, 2M)`` (batches share ``N``), the layout of the batched dynamics.

Every strategy takes ``model=`` (a :class:`~gmmsym.model.spec.ModelSpec`, default the paper's,
``K = M = 2``), checked at construction; only ``K`` and ``M`` shape the draws.  For ``K = 2``
(means) and ``M = 2`` (discriminators) the strategies draw exactly as before the model family,
so the same Hypothesis seed gives the same examples.

All floats are finite unless an infinite endpoint is asked for; NaN is never drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import as_points, check_bool, check_int, check_positive, check_real, show

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
    gaps: int = 1,
) -> tuple[float, float, float]:
    """Checked at construction (never at draw time): finite reals, ``low <= high``, separation fits.

    ``gaps``: how many separations must fit in the box (``K - 1`` for ``K`` means).
    """
    low, high = check_real(names[0], low), check_real(names[1], high)
    sep = check_positive(names[2], min_separation, allow_zero=True)
    if low > high:
        raise InputError(f"{names[0]}, {names[1]}: need {names[0]} <= {names[1]}, got [{low}, {high}]")
    if not math.isfinite(high - low):
        which = names[0] if names[0] == names[1] else f"{names[0]}, {names[1]}"
        raise InputError(f"{which}: the box [{low}, {high}] is too wide (high - low overflows)")
    if sep * gaps > high - low:
        what = f"separation {sep} does" if gaps == 1 else f"{gaps} separations of {sep} do"
        raise InputError(f"{names[2]}, {names[0]}, {names[1]}: {what} not fit the box [{low}, {high}]")
    return low, high, sep


def _check_sizes(min_size: object, max_size: object) -> tuple[int, int]:
    lo = check_int("min_size", min_size, minimum=1, maximum=MAX_BATCH)
    hi = check_int("max_size", max_size, minimum=1, maximum=MAX_BATCH)
    if hi < lo:
        raise InputError(f"max_size must be >= min_size, got min_size={lo}, max_size={hi}")
    return lo, hi


def _check_collapsed(collapsed: object, M: int = 2) -> tuple[bool, ...] | None:
    if collapsed is None:
        return None
    if isinstance(collapsed, (bool, np.bool_)):
        return (bool(collapsed),) * M
    if isinstance(collapsed, (str, bytes)) or not isinstance(collapsed, Sequence) or len(collapsed) != M:
        raise InputError(
            f"collapsed must be None, a bool or a sequence of M={M} bools, got {show(collapsed)}"
        )
    return tuple(check_bool(f"collapsed[{j}]", c) for j, c in enumerate(collapsed))


#: Largest batch size (rows) a strategy draws: Hypothesis examples must stay small.
MAX_BATCH = 10_000


def label_invariant_distance(mu: Sequence[float], nu: Sequence[float], *, model: ModelSpec = PAPER) -> float:
    """The label-invariant distance of docs/model.md section 5 of one point (``K`` means each).

    :func:`gmmsym.outcomes.dist` with ``model=model`` (relabellings that keep the weights).
    """
    from gmmsym.outcomes import dist

    kw = {"allow_inf": True, "allow_nan": True}
    model = check_model(model)
    return float(dist(as_points("mu", mu, model.K, **kw), as_points("nu", nu, model.K, **kw), model=model))


def _floats(low: float, high: float) -> SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def means(
    low: float = -3.0, high: float = 3.0, *, min_separation: float = 0.0, model: ModelSpec = PAPER
) -> SearchStrategy[tuple[float, ...]]:
    """``K``-tuples ``(m1, ..., mK)`` in ``[low, high]^K`` with ``|m_i - m_j| >= min_separation``.

    Parameters
    ----------
    low, high : float
        The box (finite, ``low <= high``).
    min_separation : float
        Minimum ``|m_i - m_j|`` over pairs (checked in float64); with ``0``, equal means are
        frequent (Hypothesis repeats values on purpose).  ``K - 1`` of them must fit in the box.
    model : ModelSpec
        Gives ``K`` (default the paper's, ``K = 2``).

    Returns
    -------
    SearchStrategy[tuple[float, ...]]
        Any order (for ``K = 2``, ``m1 > m2`` as often as ``m1 < m2``).
    """
    K = check_model(model).K
    low, high, sep = _check_box(low, high, min_separation, gaps=max(K - 1, 1))
    if sep == 0:
        # Hypothesis draws equal floats often on its own (about half of the pairs in practice):
        # the diagonal is well covered; use min_separation > 0 for generic pairs.
        return st.tuples(*[_floats(low, high)] * K)
    if K == 1:
        return st.tuples(_floats(low, high))
    if K == 2:

        @st.composite
        def separated(draw) -> tuple[float, float]:
            a = draw(_floats(low, high - sep))
            b = draw(_floats(min(a + sep, high), high))
            return (b, a) if draw(st.booleans()) else (a, b)

        return separated().filter(lambda p: abs(p[0] - p[1]) >= sep)

    @st.composite
    def chain(draw) -> tuple[float, ...]:
        # ascending, each at least sep above the previous and leaving room for the rest
        out = [draw(_floats(low, max(low, high - (K - 1) * sep)))]
        for i in range(1, K):
            lo = min(out[-1] + sep, high)
            out.append(draw(_floats(lo, max(lo, high - (K - 1 - i) * sep))))
        order = draw(st.permutations(range(K)))
        return tuple(out[i] for i in order)

    return chain().filter(lambda p: min(abs(x - y) for i, x in enumerate(p) for y in p[i + 1 :]) >= sep)


def true_means(
    low: float = -3.0, high: float = 3.0, *, min_separation: float = 0.0, model: ModelSpec = PAPER
) -> SearchStrategy[tuple[float, ...]]:
    """True means ``nu = (nu1, ..., nuK)``: :func:`means` (the paper's theorem needs them separated)."""
    return means(low, high, min_separation=min_separation, model=model)


def generator_means(
    low: float = -3.0,
    high: float = 3.0,
    *,
    min_separation: float = 0.0,
    nu: Sequence[float] | None = None,
    min_distance: float = 0.0,
    model: ModelSpec = PAPER,
) -> SearchStrategy[tuple[float, ...]]:
    """Generator means ``mu = (mu1, ..., muK)`` in a box, separated, optionally away from ``nu``.

    Parameters
    ----------
    low, high, min_separation, model
        As in :func:`means`.
    nu : sequence of K floats, optional
        True means; with ``min_distance > 0`` only ``mu`` with
        ``label_invariant_distance(mu, nu) >= min_distance`` are drawn (by filtering: keep the
        excluded region a small part of the box).
    min_distance : float
        See ``nu``.
    """
    base = means(low, high, min_separation=min_separation, model=model)
    d = check_positive("min_distance", min_distance, allow_zero=True)
    if d == 0:
        return base
    if nu is None:
        raise InputError("nu: min_distance > 0 needs the true means nu")
    from gmmsym.model.validate import as_points

    nu_a = as_points("nu", nu, model.K)
    if nu_a.ndim != 1:
        raise InputError(f"nu must be one {model.K}-vector of numbers, got shape {nu_a.shape}")
    nu_t = tuple(float(v) for v in nu_a)
    _check_reachable(float(low), float(high), nu_t, d, model)
    return base.filter(lambda mu: label_invariant_distance(mu, nu_t, model=model) >= d)


def _check_reachable(low: float, high: float, nu: tuple[float, ...], d: float, model: ModelSpec) -> None:
    """Refuse at construction a ``min_distance`` the filter would almost never satisfy.

    On a 33 x 33 grid of the box (``K = 2``; for other ``K``, 4096 seeded uniform points of the
    box), at least 5% of the points must be at distance ``>= d`` (otherwise Hypothesis' filter
    fails at draw time with ``Unsatisfiable``).
    """
    from gmmsym.outcomes import dist

    K = len(nu)
    if K == 2:
        axis = np.linspace(low, high, 33)
        grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    else:
        grid = np.random.default_rng(0).uniform(low, high, (4096, K))
    share = float(np.mean(dist(grid, np.asarray(nu), model=model) >= d))
    if share < 0.05:
        raise InputError(
            f"min_distance: only {share:.0%} of the box [{low}, {high}]^{K} is at distance >= {d} from nu; "
            "the filter would fail (use a larger box or a smaller min_distance)"
        )


def discriminators(
    low: float = -6.0,
    high: float = 6.0,
    *,
    allow_infinite: bool = True,
    collapsed: bool | None | Sequence[bool] = None,
    model: ModelSpec = PAPER,
) -> SearchStrategy[tuple[float, ...]]:
    """Ordered discriminators ``(l1, r1, ..., lM, rM)``.

    Parameters
    ----------
    low, high : float
        Box of the finite endpoints.
    allow_infinite : bool
        Endpoints may be ``-inf``/``+inf`` (in order).
    collapsed : None, bool or sequence of M bools
        ``None``: each interval collapsed (``r_j = l_j``) or not at random; ``True``/``False``:
        all collapsed / none forced; a sequence: force per interval (``False`` leaves that one
        to the draw, which may still produce equal endpoints).
    model : ModelSpec
        Gives ``M`` (default the paper's, ``M = 2``).

    Returns
    -------
    SearchStrategy[tuple[float, ...]]
        Always ``l1 <= r1 <= ... <= lM <= rM``.
    """
    M = check_model(model).M
    low, high, _ = _check_box(low, high, 0.0)
    endpoint = _floats(low, high)
    if check_bool("allow_infinite", allow_infinite):
        endpoint = st.one_of(endpoint, endpoint, endpoint, st.sampled_from([-math.inf, math.inf]))
    flags = _check_collapsed(collapsed, M)
    force = st.tuples(*[st.booleans()] * M) if flags is None else st.just(flags)

    @st.composite
    def build(draw) -> tuple[float, ...]:
        e = sorted(draw(st.lists(endpoint, min_size=2 * M, max_size=2 * M)))
        for j, flag in enumerate(draw(force)):
            if flag:
                e[2 * j + 1] = e[2 * j]
        return tuple(e)

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
    model: ModelSpec = PAPER,
) -> SearchStrategy[np.ndarray]:
    """Arrays ``(N, K)`` of means (:func:`means`)."""
    return batches(
        means(low, high, min_separation=min_separation, model=model), min_size=min_size, max_size=max_size
    )


def discriminator_batches(
    low: float = -6.0,
    high: float = 6.0,
    *,
    allow_infinite: bool = True,
    collapsed: bool | None | Sequence[bool] = None,
    min_size: int = 1,
    max_size: int = 16,
    model: ModelSpec = PAPER,
) -> SearchStrategy[np.ndarray]:
    """Arrays ``(N, 2M)`` of ordered discriminators (:func:`discriminators`)."""
    return batches(
        discriminators(low, high, allow_infinite=allow_infinite, collapsed=collapsed, model=model),
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
    collapsed: bool | None | Sequence[bool] = None,
    min_size: int = 1,
    max_size: int = 16,
    model: ModelSpec = PAPER,
) -> SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batched states ``(nu (N, K), mu (N, K), ell (N, 2M))`` with a common ``N``.

    Means lie in ``[-box, box]``; endpoints in ``[-ell_box, ell_box]`` (or infinite).
    """
    model = check_model(model)
    box = check_positive("box", box)
    ell_box = check_positive("ell_box", ell_box)
    min_size, max_size = _check_sizes(min_size, max_size)
    # Build once here so that impossible parameters fail now, naming the argument, not at draw time.
    gaps = max(model.K - 1, 1)
    _check_box(-box, box, nu_separation, ("box", "box", "nu_separation"), gaps)
    _check_box(-box, box, mu_separation, ("box", "box", "mu_separation"), gaps)
    _check_box(-ell_box, ell_box, 0.0, ("ell_box", "ell_box", "ell_box"))
    discriminators(-ell_box, ell_box, allow_infinite=allow_infinite, collapsed=collapsed, model=model)

    @st.composite
    def build(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = draw(st.integers(min_size, max_size))
        size = {"min_size": n, "max_size": n, "model": model}
        nu = draw(mean_batches(-box, box, min_separation=nu_separation, **size))
        mu = draw(mean_batches(-box, box, min_separation=mu_separation, **size))
        ell = draw(
            discriminator_batches(
                -ell_box, ell_box, allow_infinite=allow_infinite, collapsed=collapsed, **size
            )
        )
        return nu, mu, ell

    return build()
