"""Input checks shared by every public numeric function.

Every check raises ``ValueError`` (bad value or shape) or ``TypeError`` (bad type) with a
message that starts with the argument's name, so a user sees at once which input is wrong.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from gmmsym.errors import InputError

__all__ = [
    "as_points",
    "check_ordered",
    "broadcast_leading",
    "check_positive",
    "check_int",
    "check_choice",
    "as_batch",
    "as_rows",
]


def as_points(
    name: str, value: object, width: int, *, allow_inf: bool = False, allow_nan: bool = False
) -> np.ndarray:
    """Return ``value`` as a float64 array of shape ``(..., width)``.

    ``allow_nan`` is for states that may have diverged (outcome classification); inputs to the
    kernels and dynamics never allow it.

    Raises
    ------
    TypeError
        If ``value`` is not numeric (strings, objects, complex).
    ValueError
        If the last axis is not ``width`` long, a value is NaN, or a value is infinite while
        ``allow_inf`` is False.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested sequences
        raise InputError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(f"{name} must be real, got complex dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != width:
        raise InputError(f"{name} must have shape (..., {width}), got shape {arr.shape}")
    if not allow_nan and np.isnan(arr).any():
        raise InputError(f"{name} contains NaN")
    if not allow_inf and np.isinf(arr).any():
        raise InputError(f"{name} must be finite, got an infinite value")
    return arr


def as_rows(
    name: str, value: object, width: int, *, allow_inf: bool = False, allow_nan: bool = False
) -> np.ndarray:
    """``value`` as float64 of shape ``(N, width)``; a single ``(width,)`` row becomes ``(1, width)``.

    Checks as :func:`as_points`; raises :class:`~gmmsym.errors.InputError` for other ranks.
    """
    arr = as_points(name, value, width, allow_inf=allow_inf, allow_nan=allow_nan)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise InputError(f"{name} must have shape (N, {width}) or ({width},), got shape {arr.shape}")
    return arr


def check_ordered(name: str, ell: np.ndarray) -> None:
    """Require ``l1 <= r1 <= l2 <= r2 <= ...`` along the last axis of ``ell``."""
    bad = ell[..., 1:] < ell[..., :-1]  # not np.diff: inf - inf would warn
    if bad.any():
        idx = np.argwhere(bad)[0]
        row, k = tuple(int(i) for i in idx[:-1]), int(idx[-1])
        names = _endpoint_names(ell.shape[-1])
        where = f" at row {row}" if row else ""
        raise InputError(
            f"{name} must be ordered l1 <= r1 <= l2 <= r2 ...: {names[k]} > {names[k + 1]}{where} "
            f"({float(ell[tuple(idx[:-1])][k])!r} > {float(ell[tuple(idx[:-1])][k + 1])!r})"
        )


def _endpoint_names(n: int) -> list[str]:
    return [f"{'lr'[k % 2]}{k // 2 + 1}" for k in range(n)]


def broadcast_leading(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    """Broadcast the leading axes (all but the last) of several ``(..., n)`` arrays together."""
    try:
        lead = np.broadcast_shapes(*(a.shape[:-1] for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise InputError(f"leading shapes do not broadcast: {shapes}") from None
    return {k: np.broadcast_to(a, lead + a.shape[-1:]) for k, a in arrays.items()}


def as_batch(mu: object, ell: object, nu: object, K: int = 2, M: int = 2) -> tuple[np.ndarray, ...]:
    """Validate a ``(mu, ell, nu)`` triple and broadcast it to common leading axes."""
    mu_a = as_points("mu", mu, K)
    nu_a = as_points("nu", nu, K)
    ell_a = as_points("ell", ell, 2 * M, allow_inf=True)
    check_ordered("ell", ell_a)
    out = broadcast_leading(mu=mu_a, ell=ell_a, nu=nu_a)
    return out["mu"], out["ell"], out["nu"]


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite real number ``> 0`` (or ``>= 0`` when ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """An integer (not bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {v}")
    return v


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """One of a fixed set of names."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise InputError(f"{name} must be a str, one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise InputError(f"{name} must be one of {choices}, got {value!r}")
    return value
