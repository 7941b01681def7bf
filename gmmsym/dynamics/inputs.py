"""Input checks and initial rows of :func:`gmmsym.dynamics.engine.simulate` (one-line errors).

Also :func:`draw_ell0`, the seeded random initial discriminators (one stream per row).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import NOT_NUMBERS, as_rows, check_dps, check_int, check_max_abs, check_ordered

__all__ = ["draw_ell0", "MAX_STEPS", "MAX_RECORDED_STATES"]

#: Largest ``steps`` of one ``simulate`` call: even one row costs at least a Python-level loop
#: iteration per step (docs/performance.md), so 10^9 steps already take hours; a larger value
#: is a typo and would never return.
MAX_STEPS = 10**9
#: Largest number of recorded states ``(steps // record_every + 1) * N`` of a trajectory
#: (4.8 GB for the paper's model, 8 (K + 2M) bytes per state).
MAX_RECORDED_STATES = 10**8


def _match_rows(name: str, arr: np.ndarray, n: int) -> np.ndarray:
    if arr.shape[0] not in (1, n):
        raise InputError(f"{name} has {arr.shape[0]} rows, mu0 has {n}")
    return np.broadcast_to(arr, (n, arr.shape[1]))


def resolve_seed(seed: object) -> int | None:
    """The int seed of ``seed`` (a Generator draws one int key once); None stays None."""
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, NOT_NUMBERS) or not isinstance(seed, numbers.Integral):
        raise InputError(f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    if int(seed) < 0:
        raise InputError(f"seed must be >= 0, got {seed}")
    return int(seed)


def draw_ell0(seed: int, rows: ArrayLike, *, model: ModelSpec = PAPER) -> np.ndarray:
    """Random initial discriminators, one independent stream per row.

    Row ``i`` draws ``u ~ U[-2, 2]^(2M)`` from ``numpy.random.default_rng([seed, i])`` and
    returns ``sort(u)``, so the draw depends only on ``(seed, i)`` (not on the batch).  For the
    paper's model (``M = 2``) these are the four endpoints of every earlier release.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    rows : array_like of int
        Row indices ``i``.
    model : ModelSpec
        Its ``M`` sets the number ``2M`` of endpoints.

    Returns
    -------
    ndarray, shape (len(rows), 2M)
    """
    model = check_model(model)
    seed = resolve_seed(seed)
    if seed is None:
        raise InputError("seed must be an int or a numpy.random.Generator, got None")
    idx = [check_int("rows", int(i) if isinstance(i, np.integer) else i, minimum=0) for i in np.ravel(rows)]
    width = 2 * model.M
    out = np.empty((len(idx), width))
    for j, i in enumerate(idx):
        out[j] = np.sort(np.random.default_rng([seed, i]).uniform(-2.0, 2.0, width))
    return out


def check_precision(precision: object) -> str | int:
    """``"float64"`` or an int number of decimal digits."""
    if isinstance(precision, str):
        if precision != "float64":
            raise InputError(f"precision must be 'float64' or an int number of digits, got {precision!r}")
        return precision
    return check_dps("precision", precision)


def _check_optimal_range(mu0: np.ndarray, nu: np.ndarray, precision: str | int) -> None:
    """Supported means of the optimal discriminator (issue 11): float64 MAX_ABS_MEAN, mpmath 10^(dps/2).

    The float64 bound is that of :func:`gmmsym.optimal_discriminator`, for every model.
    """
    from gmmsym.discriminator.optimal import MAX_ABS_MEAN

    bound = MAX_ABS_MEAN if precision == "float64" else 10.0 ** (int(precision) / 2)
    why = "the optimal discriminator is not accurate beyond; see docs/reliability.md"
    check_max_abs("mu0", mu0, bound, why)
    check_max_abs("nu", nu, bound, why)


def check_size(
    dynamics: str, mu0_a, nu_a, precision, steps: int, record_every: int | None, model: ModelSpec
) -> None:
    """The supported range of the means (optimal dynamics) and of the recorded trajectory."""
    n = mu0_a.shape[0]
    if dynamics == "optimal":
        _check_optimal_range(mu0_a, nu_a, precision)
    if record_every is not None and (steps // record_every + 1) * n > MAX_RECORDED_STATES:
        raise InputError(
            f"record_every: {steps // record_every + 1} records x {n} rows exceed {MAX_RECORDED_STATES:.0e} "
            f"recorded states ({8 * (model.K + 2 * model.M)} bytes each); record less often"
        )


def initial_rows(nu, mu0, ell0, dynamics: str, seed_used: int | None, model: ModelSpec):
    """Rows of ``simulate``: ``(nu as given, nu (N, K), mu0 (N, K), ell0 as given or None, ell0 (N, 2M))``."""
    K, width = model.K, 2 * model.M
    mu0_a = as_rows("mu0", mu0, K)
    n = mu0_a.shape[0]
    nu_in = as_rows("nu", nu, K)
    nu_a = np.ascontiguousarray(_match_rows("nu", nu_in, n))
    ell_in = None
    if ell0 is not None:
        ell_in = as_rows("ell0", ell0, width, allow_inf=True)
        check_ordered("ell0", ell_in)
        ell0_a = np.ascontiguousarray(_match_rows("ell0", ell_in, n))
    elif dynamics == "optimal":
        ell0_a = np.full((n, width), np.nan)  # unused: ell*(mu0) is computed
    else:
        if seed_used is None:
            raise InputError("seed: required (int or numpy.random.Generator) when ell0 is None")
        ell0_a = draw_ell0(seed_used, np.arange(n), model=model)
    return nu_in, nu_a, mu0_a, ell_in, ell0_a


def make_config(nu_in: np.ndarray, mu0_a: np.ndarray, ell_in: np.ndarray | None, **options) -> dict:
    """``SimulationResult.config``: the options, then the rows as given (JSON-serialisable)."""
    rows = {"nu": nu_in.tolist(), "mu0": mu0_a.tolist()}  # nu as given: one row (broadcast) or N
    return {**options, **rows, "ell0": None if ell_in is None else ell_in.tolist()}
