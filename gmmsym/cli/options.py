"""The one vocabulary of the commands: help formatting, dynamics names, ``-k/--k``, integers.

Every command builds its parser with :data:`FORMATTER` (each option's help ends with its
default) and takes these spellings:

- ``--dynamics NAME``: one of :data:`gmmsym.dynamics.DYNAMICS`, or a panel name as the outputs
  print it, ``alternating-k5`` (= ``--dynamics alternating -k 5``): :func:`dynamics_type`;
- ``-k K`` / ``--k K`` (the same option): discriminator steps per generator step, which only
  applies to alternating dynamics; given with any other dynamics it is an error, not ignored
  (:func:`resolve_dynamics` for one run, :func:`expand_dynamics` for a grid).

Argparse ``type=`` functions raise ``argparse.ArgumentTypeError`` (argparse prints its message);
checks that combine options raise :class:`~gmmsym.errors.InputError` naming the options.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence

from gmmsym.errors import InputError

__all__ = [
    "FORMATTER",
    "HelpFormatter",
    "positive_int",
    "nonnegative_int",
    "parse_dynamics",
    "dynamics_type",
    "add_k_option",
    "resolve_dynamics",
    "expand_dynamics",
    "K_OPTION",
    "in_cli_terms",
    "model_type",
    "add_model_option",
]

#: How errors name the k option (both spellings are accepted everywhere).
K_OPTION = "-k/--k"
_PANEL = re.compile(r"(?P<dynamics>[a-z]+)-k(?P<k>[0-9]+)")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that ends every option with ``(default: X)``; lists print space-separated.

    Options whose help already says ``default`` (an explicit text, for defaults computed at run
    time), flags, required options and positionals are left as written; a ``None`` default shows as ``none``.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        flag = action.nargs == 0  # store_true/store_false/version/help
        if "default" in text or flag or action.required or not action.option_strings:
            return text
        if action.default is argparse.SUPPRESS:
            return text
        if action.default is None:  # an optional output or filter: not used unless given
            return f"{text} (default: none)"
        value = action.default
        if isinstance(value, (list, tuple)):
            value = " ".join(str(v) for v in value)
        return f"{text} (default: {str(value).replace('%', '%%')})"


FORMATTER = HelpFormatter


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    """An int >= 1 (argparse type)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """An int >= 0 (argparse type)."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _uses_k() -> tuple[str, ...]:
    from gmmsym.experiments.grid import USES_K

    return USES_K


def parse_dynamics(text: str) -> tuple[str, int | None]:
    """``"alternating-k5"`` -> ``("alternating", 5)``; ``"simultaneous"`` -> ``("simultaneous", None)``.

    Raises
    ------
    InputError
        An unknown name, a ``-kN`` suffix on dynamics that take no k, or ``N < 1``.
    """
    from gmmsym.dynamics import DYNAMICS

    if text in DYNAMICS:
        return text, None
    m = _PANEL.fullmatch(text)
    uses_k = _uses_k()
    if m is not None and m["dynamics"] in uses_k and int(m["k"]) >= 1:
        return m["dynamics"], int(m["k"])
    panels = ", ".join(f"{d}-kN" for d in uses_k)
    raise InputError(
        f"--dynamics: unknown dynamics {text!r}; choose from {', '.join(DYNAMICS)} or {panels} (N >= 1)"
    )


def dynamics_type(text: str) -> tuple[str, int | None]:
    """:func:`parse_dynamics` as an argparse type (the message is argparse's usage error)."""
    try:
        return parse_dynamics(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--dynamics: ")) from None


def add_k_option(p: argparse.ArgumentParser, *, nargs: str | None = None) -> argparse.Action:
    """Add ``-k K`` / ``--k K`` (dest ``k``, default None meaning "not given", i.e. 1)."""
    what = "one or more; " if nargs else ""
    return p.add_argument(
        "-k",
        "--k",
        dest="k",
        type=positive_int,
        nargs=nargs,
        default=None,
        metavar="K",
        help=f"discriminator steps per generator step, alternating dynamics only ({what}default: 1)",
    )


def resolve_dynamics(dynamics: tuple[str, int | None] | str, k: int | None) -> tuple[str, int]:
    """``(dynamics, k)`` of one run from ``--dynamics`` (parsed or a name) and ``-k`` (None: not given).

    Raises
    ------
    InputError
        ``-k`` with dynamics that take no k, or ``-k`` contradicting a panel name's ``-kN``.
    """
    name, k_name = parse_dynamics(dynamics) if isinstance(dynamics, str) else dynamics
    if k is not None and k_name is not None and k != k_name:
        raise InputError(f"{K_OPTION}: {k} contradicts --dynamics {name}-k{k_name}")
    k_eff = k_name if k_name is not None else k
    if k_eff is not None and name not in _uses_k():
        raise InputError(
            f"{K_OPTION}: only applies to --dynamics {' or '.join(_uses_k())}, not {name} (got k = {k_eff})"
        )
    return name, 1 if k_eff is None else k_eff


def expand_dynamics(
    dynamics: Sequence[tuple[str, int | None] | str], ks: Sequence[int] | None
) -> list[tuple[str, int]]:
    """The ``(dynamics, k)`` pairs of a grid: ``--dynamics A [B ...]`` with ``--k K [K ...]``.

    A panel name (``alternating-k5``) gives its own k; a plain ``alternating`` takes every value
    of ``ks`` (default ``[1]``); dynamics without k get ``k = 1``.  Order kept, duplicates dropped.

    Raises
    ------
    InputError
        ``--k`` given but no plain name that takes k (it would be ignored).
    """
    parsed = [parse_dynamics(d) if isinstance(d, str) else d for d in dynamics]
    uses_k = _uses_k()
    if ks is not None and not any(name in uses_k and kn is None for name, kn in parsed):
        raise InputError(
            f"{K_OPTION}: only applies to --dynamics {' or '.join(uses_k)} (no such plain name in --dynamics)"
        )
    out: list[tuple[str, int]] = []
    for name, k_name in parsed:
        if k_name is not None:
            pairs = [(name, k_name)]
        elif name in uses_k:
            pairs = [(name, k) for k in (ks or [1])]
        else:
            pairs = [(name, 1)]
        out += [p for p in pairs if p not in out]
    return out


@contextlib.contextmanager
def in_cli_terms(options: Mapping[str, str]) -> Iterator[None]:
    """Re-word an :class:`InputError` of a library call in the terms of the command line.

    ``options`` maps a library argument name to its option (``{"mu0": "--mu"}``); a message that
    starts with such a name (``"eta must be > 0"``, ``"mu0: ..."``) is re-raised as
    ``"--eta: must be > 0"``.  Other errors pass unchanged.
    """
    try:
        yield
    except InputError as exc:
        msg = str(exc)
        for name in sorted(options, key=len, reverse=True):
            if msg.startswith(name) and msg[len(name) : len(name) + 1] in (" ", ":"):
                rest = msg[len(name) :].lstrip(": ")
                raise InputError(f"{options[name]}: {rest}") from exc
        raise


def model_type(text: str):
    """A :class:`~gmmsym.model.spec.ModelSpec` from ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1`` (argparse)."""
    from gmmsym.model.spec import ModelSpec

    try:
        return ModelSpec.parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_model_option(p: argparse.ArgumentParser) -> argparse.Action:
    """``--model SPEC``: the model to compute for (default: the paper's, :data:`~gmmsym.PAPER`)."""
    from gmmsym.model.spec import PAPER

    return p.add_argument(
        "--model",
        type=model_type,
        default=PAPER,
        metavar="SPEC",
        help="the model: K=..,M=..,weights=w1:w2:..,sigma=.. or 'paper' "
        f"(default: the paper's, {PAPER.text()})",
    )
