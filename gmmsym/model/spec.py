"""Model specification: how many components, intervals, which weights and which sigma.

The paper's model (docs/model.md section 1) is ``K = M = 2``, ``w = (1/2, 1/2)``, ``sigma = 1``;
:data:`PAPER` is that specification and the default everywhere.  Pure Python: no SymPy here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Rational, Real

from gmmsym.errors import InputError
from gmmsym.model.validate import show

__all__ = ["ModelSpec", "PAPER", "check_model"]


def _exact(name: str, value: object) -> Fraction:
    """An exact rational: ints and fractions as they are, strings parsed, floats by their repr.

    Canonical form (issue 11): ``0.5``, ``"1/2"`` and ``Fraction(1, 2)`` all become
    ``Fraction(1, 2)``, so equal specifications generate equal code (and get the same tag).
    A float is read as the shortest decimal that round-trips to it (``0.1`` -> ``1/10``, what
    the user wrote); ``float(result) == value`` always holds.
    """
    dtype_kind = getattr(getattr(value, "dtype", None), "kind", "")  # numpy registers timedelta64 as Integral
    if isinstance(value, bool) or not isinstance(value, (Real, str)) or dtype_kind in ("b", "m", "M"):
        raise InputError(f"{name} must be a real number, got {type(value).__name__}")
    if not isinstance(value, (Rational, str)) and not math.isfinite(value):
        raise InputError(f"{name} must be finite, got {value!r}")
    try:
        if isinstance(value, Integral):
            return Fraction(int(value))
        if isinstance(value, Rational):
            return Fraction(int(value.numerator), int(value.denominator))
        return Fraction(value if isinstance(value, str) else repr(float(value)))
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise InputError(
            f"{name} must be a number or a fraction like '1/3', got {show(value)} ({exc})"
        ) from None


def _sequence(value: object, K: int) -> tuple:
    """``weights`` read once as a tuple; strings, bytes, scalars and 0-d arrays are refused."""
    bad = isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable)
    if not bad:
        try:
            return tuple(value)  # type: ignore[arg-type]
        except TypeError:  # e.g. a 0-d numpy array
            pass
    raise InputError(f"weights must be a sequence of K={K} numbers, got {type(value).__name__} {show(value)}")


@dataclass(frozen=True)
class ModelSpec:
    """A GMM-GAN model: ``K`` unit-weight-known components, ``M`` discriminator intervals.

    Parameters
    ----------
    K : int
        Number of Gaussian components of the truth and of the generator.
    M : int
        Number of discriminator intervals ``[l_j, r_j]``.
    weights : tuple
        Known mixture weights ``w_i``, summing to 1 (to ``1e-12``); stored as exact
        ``Fraction`` (floats by their shortest decimal repr, see :func:`_exact`).
    sigma : number
        Common known standard deviation of every component; stored as an exact ``Fraction``.

    Notes
    -----
    Equality, the :attr:`tag` and the generated code all follow the stored exact values, so
    two specs are equal exactly when they generate the same code.
    """

    K: int = 2
    M: int = 2
    weights: tuple = (Fraction(1, 2), Fraction(1, 2))
    sigma: Fraction = Fraction(1)

    def __post_init__(self) -> None:
        for name in ("K", "M"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise InputError(f"{name} must be an int, got {type(v).__name__}")
            if v < 1:
                raise InputError(f"{name} must be >= 1, got {v}")
        w = tuple(_exact(f"weights[{i}]", x) for i, x in enumerate(_sequence(self.weights, self.K)))
        if len(w) != self.K:
            raise InputError(f"weights must have K={self.K} entries, got {len(w)}")
        if any(x <= 0 for x in w):
            raise InputError(f"weights must be positive, got {self.weights!r}")
        if abs(float(sum(w)) - 1.0) > 1e-12:
            raise InputError(f"weights must sum to 1, got {float(sum(w))!r}")
        s = _exact("sigma", self.sigma)
        if s <= 0:
            raise InputError(f"sigma must be positive, got {self.sigma!r}")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "sigma", s)

    @property
    def tag(self) -> str:
        """Short identifier used in generated module names, e.g. ``k2m2``."""
        if self == PAPER:
            return f"k{self.K}m{self.M}"
        digest = hashlib.sha256(self.describe().encode()).hexdigest()[:8]
        return f"k{self.K}m{self.M}_{digest}"

    @property
    def mean_names(self) -> tuple[str, ...]:
        return tuple(f"mu{i + 1}" for i in range(self.K))

    @property
    def true_names(self) -> tuple[str, ...]:
        return tuple(f"nu{i + 1}" for i in range(self.K))

    @property
    def ell_names(self) -> tuple[str, ...]:
        """Endpoint names in state order ``l1, r1, l2, r2, ...``."""
        return tuple(n for j in range(self.M) for n in (f"l{j + 1}", f"r{j + 1}"))

    def describe(self) -> str:
        w = ", ".join(str(x) for x in self.weights)
        return f"K={self.K}, M={self.M}, w=({w}), sigma={self.sigma}"

    def text(self) -> str:
        """The command-line spelling, e.g. ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1``.

        ``ModelSpec.parse(spec.text()) == spec`` for every spec (exact fractions).
        """
        w = ":".join(str(x) for x in self.weights)
        return f"K={self.K},M={self.M},weights={w},sigma={self.sigma}"

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """A spec from its command-line spelling (see :meth:`text`); ``"paper"`` is :data:`PAPER`.

        Keys ``K``, ``M``, ``weights`` (``:``-separated numbers or fractions) and ``sigma``, comma
        separated, each at most once; a missing key takes the paper's value, except that a
        missing ``weights`` with ``K != 2`` means equal weights ``1/K``.
        """
        if not isinstance(text, str):
            raise InputError(
                f"model must be a string like 'K=3,M=3,weights=1/4:1/4:1/2,sigma=1', got {show(text)}"
            )
        if text.strip().lower() == "paper":
            return PAPER
        fields: dict[str, str] = {}
        for item in text.split(","):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not eq or key not in _KEYS or not value.strip():
                raise InputError(
                    f"model: expected KEY=VALUE with KEY in {_KEYS}, got {item.strip()!r} in {text!r}"
                )
            if key in fields:
                raise InputError(f"model: {key} given twice in {text!r}")
            fields[key] = value.strip()
        K = _parse_int("K", fields.get("K", "2"))
        M = _parse_int("M", fields.get("M", "2"))
        if "weights" in fields:
            weights = tuple(x.strip() for x in fields["weights"].split(":"))
        else:
            weights = (Fraction(1, K),) * K
        return cls(K, M, weights, fields.get("sigma", "1"))


_KEYS = ("K", "M", "weights", "sigma")


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"model: {name} must be an integer, got {text!r}") from None


PAPER = ModelSpec()


def check_model(model: object, name: str = "model") -> ModelSpec:
    """``model`` itself if it is a :class:`ModelSpec`, else a one-line :class:`~gmmsym.errors.InputError`.

    Every numeric entry point with a ``model=`` keyword calls this before any work.
    """
    if not isinstance(model, ModelSpec):
        raise InputError(
            f"{name} must be a gmmsym.ModelSpec (e.g. ModelSpec.parse('K=3,M=3,weights=1/4:1/4:1/2')), "
            f"got {type(model).__name__} {show(model)}"
        )
    return model
