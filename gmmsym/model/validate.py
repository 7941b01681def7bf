"""Input checks shared by every public function: the one place where user input is validated.

Every check raises :class:`~gmmsym.errors.InputError` (a ``ValueError`` and a ``TypeError``)
with a message that starts with the argument's name, so a user sees at once which input is
wrong.  Rules (issue 11):

* arrays are *real numbers only*: integer or floating dtypes; ``bool``, complex,
  ``datetime64``/``timedelta64``, bytes, str and object arrays are refused (``np.asarray`` would
  happily turn ``True`` into 1.0 or ``b'ab'`` into ``(97, 98)``);
* scalars are checked *before* conversion (``'0.1'`` and ``True`` are not numbers);
* iterables are materialised once (a one-shot iterator is read exactly once);
* bounds say what is supported and why (:data:`MAX_DPS`, the mean bounds of the discriminator).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from gmmsym.errors import InputError

__all__ = [
    "MAX_DPS",
    "show",
    "as_real_array",
    "as_points",
    "check_real",
    "check_path",
    "check_bool",
    "check_dps",
    "check_max_abs",
    "as_mpf_vector",
    "check_ordered",
    "broadcast_leading",
    "check_positive",
    "check_int",
    "check_choice",
    "as_batch",
    "as_rows",
]


#: Largest accepted number of decimal digits (``dps``, ``precision``) of the mpmath paths.
#: Why: the cost of mpmath arithmetic grows faster than linearly in the digits, and the optimal
#: discriminator may re-run with up to 4860 guard digits, so an unbounded ``dps`` (``10**9``)
#: never answers.  At 1000 digits (about 3300 bits; the references need ~50) ``tv_distance`` plus
#: ``tv_gradient`` take 1.6 s (measured, loaded 2-core machine); 10x more digits costs > 10x.
MAX_DPS = 1000


def show(value: object, width: int = 40) -> str:
    """A one-line, at most ``width``-character ``repr`` of ``value`` for error messages."""
    text = " ".join(repr(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


_REAL_KINDS = "iuf"  # signed, unsigned integer and floating dtypes; not b (bool), c, m, M, S, U, O, V
#: registered as numbers (``np.timedelta64`` is a ``numbers.Integral``) but not numbers to compute with
NOT_NUMBERS = (bool, np.bool_, np.timedelta64)


def as_real_array(name: str, value: object) -> np.ndarray:
    """``value`` as a NumPy array of a real-number dtype (integer or floating), not yet float64.

    Raises :class:`~gmmsym.errors.InputError` naming ``name`` for ragged nested sequences,
    one-shot iterators, and bool, complex, datetime/timedelta, bytes, str or object data.
    """
    if isinstance(value, (str, bytes, bytearray)):
        raise InputError(f"{name} must be a real numeric array, got {type(value).__name__} {show(value)}")
    if not isinstance(value, np.ndarray) and _is_iterator(value):
        raise InputError(f"{name} must be an array or a sequence, got a one-shot {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested sequences, objects numpy cannot read
        raise InputError(f"{name} cannot be read as a real array (ragged or mixed nesting?): {exc}") from None
    if arr.dtype.kind not in _REAL_KINDS:
        what = {"b": "bool", "c": "complex", "m": "timedelta", "M": "datetime"}.get(
            arr.dtype.kind, "non-numeric"
        )
        raise InputError(f"{name} must be a real numeric array, got {what} dtype {arr.dtype}")
    return arr


def _is_iterator(value: object) -> bool:
    return hasattr(value, "__next__") and iter(value) is value  # type: ignore[call-overload]


def as_points(
    name: str, value: object, width: int, *, allow_inf: bool = False, allow_nan: bool = False
) -> np.ndarray:
    """Return ``value`` as a float64 array of shape ``(..., width)``.

    ``allow_nan`` is for states that may have diverged (outcome classification); inputs to the
    kernels and dynamics never allow it.

    Raises
    ------
    InputError
        If ``value`` is not a real numeric array (see :func:`as_real_array`), the last axis is
        not ``width`` long, a value is NaN, or a value is infinite while ``allow_inf`` is False
        (also integers too large for float64).
    """
    arr = as_real_array(name, value)
    with np.errstate(over="ignore"):
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


def check_real(name: str, value: object) -> float:
    """A finite real number (Python or NumPy int/float, not bool, not str) as a float.

    Checked before conversion: ``'0.1'``, ``True``, ``np.bool_``, complex and ``None`` are refused.
    """
    if isinstance(value, NOT_NUMBERS) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a real number, got {type(value).__name__} {show(value)}")
    try:
        v = float(value)
    except OverflowError:
        v = float("inf")
    if not np.isfinite(v):
        raise InputError(f"{name} must be finite, got {show(value)}")
    return v + 0.0  # -0.0 -> 0.0


def check_bool(name: str, value: object) -> bool:
    """A bool (Python or NumPy); ``'yes'``, ``1`` and ``None`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be a bool, got {type(value).__name__} {show(value)}")
    return bool(value)


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite real number ``> 0`` (or ``>= 0`` when ``allow_zero``)."""
    if isinstance(value, NOT_NUMBERS) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:
        v = float("inf")
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def check_int(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not bool), in ``[minimum, maximum]`` when given."""
    if isinstance(value, NOT_NUMBERS) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise InputError(f"{name} must be <= {maximum}, got {v}")
    return v


def check_dps(name: str, value: object) -> int:
    """Decimal digits of an mpmath computation: an int in ``[15, MAX_DPS]`` (see :data:`MAX_DPS`)."""
    return check_int(name, value, minimum=15, maximum=MAX_DPS)


def check_max_abs(name: str, arr: np.ndarray, bound: float, why: str) -> None:
    """Require ``|arr| <= bound`` elementwise; the message states the supported range and ``why``."""
    big = np.abs(arr) > bound
    if big.any():
        v = float(np.asarray(arr)[big].flat[0])
        raise InputError(f"{name}: |{name}_i| must be <= {bound:.3g} ({why}), got {v!r}")


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """One of a fixed set of names."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise InputError(f"{name} must be a str, one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise InputError(f"{name} must be one of {choices}, got {value!r}")
    return value


def as_mpf_vector(name: str, values: object, width: int, *, allow_inf: bool = False) -> tuple:
    """Convert a length-``width`` sequence to a tuple of ``mpmath.mpf``, exactly.

    Floats, ints and exact fractions are converted exactly, ``mpf`` values are kept, strings are
    parsed at the current mpmath precision.  ``values`` is read once (a one-shot iterator is
    materialised here; callers pass the returned tuple on).  Refused, naming ``name``: bytes and
    str containers, bool and ``numpy.bool_`` entries, complex (Python, NumPy, ``mpc``) entries,
    NaN, a wrong length, and (unless ``allow_inf``) infinite values.
    """
    import mpmath

    if isinstance(values, (str, bytes, bytearray)) or isinstance(values, np.ndarray) and values.ndim != 1:
        raise InputError(
            f"{name} must be a sequence of {width} numbers, got {type(values).__name__} {show(values)}"
        )
    try:
        seq = list(values)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(
            f"{name} must be a sequence of {width} numbers, got {type(values).__name__}"
        ) from None
    if len(seq) != width:
        raise InputError(f"{name} must have {width} entries, got {len(seq)}")
    return tuple(_mpf_entry(f"{name}[{i}]", v, allow_inf, mpmath) for i, v in enumerate(seq))


def _mpf_entry(name: str, v: object, allow_inf: bool, mpmath):
    if isinstance(v, NOT_NUMBERS) or not isinstance(v, (numbers.Real, str, mpmath.mpf)):
        raise InputError(f"{name} must be a real number, got {type(v).__name__} {show(v)}")
    try:
        if isinstance(v, mpmath.mpf):
            x = mpmath.mpf(v)
        elif isinstance(v, numbers.Integral):
            x = mpmath.mpf(int(v))
        elif isinstance(v, numbers.Rational):
            x = mpmath.mpf(int(v.numerator)) / int(v.denominator)
        elif isinstance(v, str):
            x = mpmath.mpf(v.strip())
        else:
            x = mpmath.mpf(float(v))
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{name} is not a number: {show(v)}") from None
    if mpmath.isnan(x):
        raise InputError(f"{name} is NaN")
    if mpmath.isinf(x) and not allow_inf:
        raise InputError(f"{name} must be finite, got {show(v)}")
    return x


def check_path(name: str, value: object) -> str:
    """A file-system path (``str`` or ``os.PathLike``), non-empty, without NUL bytes."""
    import os

    if isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, os.PathLike)):
        raise InputError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    text = os.fspath(value)
    if not isinstance(text, str) or text == "" or "\x00" in text:
        raise InputError(f"{name} must be a non-empty path without NUL bytes, got {show(value)}")
    return text
