"""Export of a sweep store (:class:`gmmsym.experiments.store.RunStore`): DataFrame, CSV and JSON.

Columns are those of the store's model (:func:`gmmsym.experiments.schema.layout`), and the JSON
document records the model (``"model": ModelSpec.text()``).
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmmsym.errors import InputError
from gmmsym.experiments.schema import SCHEMA_VERSION
from gmmsym.io import atomic_write_text, file_errors, json_text

if TYPE_CHECKING:
    from gmmsym.experiments.store import RunStore

__all__ = ["to_pandas", "export"]


def _flat(store: RunStore, hashes: Iterable[str] | None) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    runs = list(store.iter_runs()) if hashes is None else store.runs_for(hashes)
    flag_names = sorted({name for r in runs for name in r["flags"]})
    header = [c for c in store.layout.run if c != "flags"] + [f"flag_{n}" for n in flag_names]
    return header, runs, flag_names


def to_pandas(store: RunStore, hashes: Iterable[str] | None = None) -> Any:
    """The stored runs as a ``pandas.DataFrame`` (pandas is an optional dependency).

    One row per run, the columns of the store's layout (``layout.run``) with ``flags`` expanded into one
    boolean ``flag_<name>`` column per flag; NULL floats as NaN.  ``hashes`` restricts the
    runs to those configuration hashes.

    Raises
    ------
    ImportError
        pandas is not installed.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_pandas() needs pandas, an optional dependency: pip install pandas") from None
    header, runs, flag_names = _flat(store, hashes)
    data = [
        [r[c] for c in store.layout.run if c != "flags"]
        + [bool(r["flags"].get(n, False)) for n in flag_names]
        for r in runs
    ]
    return pd.DataFrame(data, columns=header)


def export(store: RunStore, fmt: str, path: str | os.PathLike[str], *, option: str = "path") -> Path:
    """Write every stored run to ``path`` as ``csv`` or ``json`` (atomically).

    CSV: one line per run, the columns of the store's layout with ``flags`` expanded
    into one ``flag_<name>`` column (0/1) per flag; floats are written with ``repr``
    (exact round trip), NaN as ``nan`` and infinities as ``inf``/``-inf``.

    JSON: ``{"schema": 3, "model": "K=2,M=2,...", "columns": [...], "runs": [{column: value, ...}]}``
    with ``flags`` an object; strict JSON, so NaN is ``null`` and infinities are the
    strings ``"inf"`` / ``"-inf"``.

    Returns
    -------
    Path
        ``path`` (``"-"``: the text goes to standard output).  An OS failure raises
        :class:`~gmmsym.errors.FileError` naming ``option``.
    """
    fmt = fmt.lower()
    if fmt not in ("csv", "json"):
        raise InputError(f"export format must be 'csv' or 'json', got {fmt!r}")
    header, runs, flag_names = _flat(store, None)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        for r in runs:
            writer.writerow(
                [repr(r[c]) if isinstance(r[c], float) else r[c] for c in store.layout.run if c != "flags"]
                + [int(bool(r["flags"].get(n, False))) for n in flag_names]
            )
        text = buf.getvalue()
    else:
        doc = {
            "schema": SCHEMA_VERSION,
            "model": store.model.text(),
            "columns": list(store.layout.run),
            "runs": runs,
        }
        text = json_text(doc, indent=1)
    if str(path) == "-":
        sys.stdout.write(text)
        return Path("-")
    with file_errors(option, path):
        return atomic_write_text(path, text)
