"""Tables of the accuracy report (:mod:`gmmsym.references.accuracy`): ``rich`` and Markdown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rows' type only; accuracy re-exports this module's functions
    from gmmsym.references.accuracy import AccuracyRow

__all__ = ["format_table", "markdown_table", "print_table"]


def _fmt(v: float) -> str:
    if math.isinf(v):
        return "inf"
    if v == 0:
        return "0"
    if v >= 1e5 or v < 1e-3:
        return f"{v:.2e}"
    return f"{v:.3g}"


def _status(r: AccuracyRow) -> str:
    if r.n == 0:
        return "-"
    return "pass" if r.passed else "FAIL"


def _cells(r: AccuracyRow) -> list[str]:
    return [
        r.function,
        r.region,
        str(r.n),
        _fmt(r.max_abs_ulps),
        _fmt(r.max_rel_ulps),
        _fmt(r.worst_ratio) if r.rel_applies else f"({_fmt(r.worst_ratio)})",
        str(r.n_fail),
        _status(r),
    ]


_HEADERS = [
    "function",
    "region",
    "n",
    "max err [ulp of 1]",
    "max err [ulp of S]",
    "worst err / (4(1+a^2) ulp S)",
    "points failing",
    "status",
]


_SHORT_HEADERS = ["function", "a in", "n", "ulp 1", "ulp S", "ratio", "fails", "ok"]
_CAPTION = (
    "ulp 1 / ulp S: max |kernel - correctly rounded| in ulps of 1 (target <= 16) / of S; "
    "ratio: max err / (4(1+a^2) ulp S), target <= 1 where a <= 37 (in parentheses: not applied); "
    "fails: points missing a target"
)


def format_table(rows: Sequence[AccuracyRow], title: str | None = None):
    """A compact :class:`rich.table.Table` of the rows (fits 80 columns; see the caption)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, caption=_CAPTION, box=box.SIMPLE_HEAD, pad_edge=False)
    for i, h in enumerate(_SHORT_HEADERS):
        width = 10 if h == "ratio" else None  # "(1.23e-04)"
        table.add_column(h, justify="left" if i < 2 else "right", no_wrap=True, min_width=width)
    for r in rows:
        style = None if r.passed else "bold red"
        cells = _cells(r)
        cells[1] = f"[0, {r.a_hi:g}]" if r.a_lo == 0 else f"({r.a_lo:g}, {r.a_hi:g}]"
        table.add_row(*cells, style=style)
    return table


def markdown_table(rows: Sequence[AccuracyRow]) -> str:
    """The same table as GitHub Markdown (used for ``docs/accuracy.md``)."""
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def print_table(rows: Sequence[AccuracyRow], *, title: str | None = None, console=None) -> None:
    """Print :func:`format_table` with ``rich``."""

    from gmmsym.io import table_console

    (console or table_console()).print(format_table(rows, title=title))
