"""Write the kill matrix of ``gmmsym verify --mutants`` into docs/claims.md (between its markers).

Usage::

    gmmsym verify --mutants --out rep/ ; python scripts/update_mutants_doc.py rep/mutants.json

Several ``mutants.json`` files (runs over disjoint sets of bugs, e.g. in parallel) are merged in
catalogue order; the table is rendered by ``gmmsym.proofs.verify.mutants_markdown``.
``--block NAME`` writes block ``NAME`` instead of ``mutants`` (markers
``<!-- BEGIN generated: NAME -->`` ... ``<!-- END generated: NAME -->``), for a partial matrix
(e.g. one new bug against every claim, or every bug against one new claim).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gmmsym.proofs.mutants import MUTANTS, mutant_names
from gmmsym.proofs.verify import mutants_markdown

from gmmsym.io import atomic_write_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "claims.md"
BEGIN, END = "<!-- BEGIN generated: {} -->", "<!-- END generated: {} -->"


def merged(paths: list[str]) -> dict:
    """One kill-matrix document from several (same budget, seed and claims)."""
    docs = [json.loads(Path(p).read_text()) for p in paths]
    first = docs[0]
    for d in docs[1:]:
        if (d["budget"], d["seed"], d["claims"]) != (first["budget"], first["seed"], first["claims"]):
            raise SystemExit("the runs differ in budget, seed or claims")
    by_name = {m["name"]: (m, d) for d in docs for m in d["mutants"]}
    names = [n for n in mutant_names() if n in by_name]
    return {
        **first,
        "mutants": [{**by_name[n][0], "killers": list(MUTANTS[n].killers)} for n in names],
        "matrix": {n: by_name[n][1]["matrix"][n] for n in names},
        "survivors": [n for d in docs for n in d["survivors"]],
        "seconds": sum(d["seconds"] for d in docs),
    }


def main(paths: list[str]) -> None:
    block = "mutants"
    if paths[:1] == ["--block"]:
        block, paths = paths[1], paths[2:]
    doc = merged(paths)
    text = DOC.read_text()
    begin, end = BEGIN.format(block), END.format(block)
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    atomic_write_text(DOC, head + begin + "\n" + mutants_markdown(doc) + end + tail)
    print(f"{DOC}: {len(doc['mutants'])} bugs, survivors: {doc['survivors'] or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
