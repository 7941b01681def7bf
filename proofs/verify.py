"""``gmmsym verify``: run the claims C1..C15 and write a report.

Usage::

    gmmsym verify [--quick | --thorough] [--only C3,C7] [--out DIR] [--seed S] [--model SPEC]
    gmmsym verify --mutants [--thorough] [--only ...] [--out DIR]   # the mutation gate

``--model SPEC`` (e.g. ``K=3,M=3,weights=1/4:1/4:1/2,sigma=1``) runs the claims that are stated
for any model (:func:`gmmsym.proofs.framework.is_general`) on that model only, and lists the
others as skipped, each with its reason; without it (the paper's model) every claim runs and the
general ones check the second model too.

Runs the selected claims (all by default) at the chosen budget with a progress bar, prints a
table (id, claim, kind, method, status, key figure) and writes into ``DIR`` (default
``gmmsym-report/``), each file atomically (a temporary file in ``DIR``, then ``os.replace``):

* ``report.json``: ``{"claims": [{"id", "title", "status", "method", "source", "statement",
  "criterion", "evidence": {"key_figure", "details", "seconds", "figures"}}, ...],
  "budget", "seed", "versions", "commit", "time_utc", "seconds", "passed", "command"}`` (``versions``:
  gmmsym, Python and the dependencies; ``commit``: the git commit when run from a checkout, else
  ``"unknown"``; ``time_utc``: ISO 8601);
* ``report.md``: the same for people;
* ``<figure>.png`` for every figure a claim produced (matplotlib, Agg, no pyplot).

With ``--mutants`` the claims run under each bug of :mod:`gmmsym.proofs.mutants` instead and
the kill matrix is printed and written as ``mutants.md`` / ``mutants.json`` (exit status 1 if a
bug survives, i.e. every claim passes under it).

A claim that raises is reported with status ``error`` and a traceback summary; the others still
run.  Exit status 0 when every selected claim passes, 1 otherwise (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from gmmsym.io import atomic_savefig, atomic_write_text, json_text, table_console

from .framework import (
    BUDGETS,
    CLAIM_MODULES,
    Evidence,
    check_line,
    is_general,
    load_claim,
    run_claim,
    specific_reason,
)

__all__ = [
    "add_parser",
    "run",
    "run_mutants",
    "verify",
    "parse_only",
    "write_report",
    "versions",
    "git_commit",
    "Report",
    "split_for_model",
]

DEFAULT_OUT = "gmmsym-report"
_DISTRIBUTIONS = ("numpy", "scipy", "sympy", "mpmath", "python-flint", "hypothesis", "matplotlib", "rich")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``gmmsym verify`` on the subparsers ``sub``."""
    p = sub.add_parser(
        "verify",
        help="check the claims C1..C15 (the paper's and the project's observations) and write a report",
        description=(
            "Run the machine checks of the claims of Li, Madry, Peebles, Schmidt (ICML 2018) as stated in "
            "docs/model.md and write report.md, report.json and figures into --out. Exit status 1 if a claim "
            "fails or errors."
        ),
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small samples (all claims in under a minute)")
    size.add_argument("--thorough", action="store_true", help="large samples (long)")
    p.add_argument("--only", default=None, metavar="IDS", help="comma-separated claim ids, e.g. C3,C7")
    p.add_argument(
        "--out", default=DEFAULT_OUT, metavar="DIR", help=f"output directory (default {DEFAULT_OUT}/)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of every random draw (default 0)")
    p.add_argument(
        "--mutants",
        action="store_true",
        help="mutation gate: run the claims (quick budget unless --thorough; --only selects claims) under "
        "each catalogued bug, print the kill matrix, write mutants.md/mutants.json into --out; exit 1 if a "
        "bug survives",
    )
    p.set_defaults(func=run)
    return p


def parse_only(only: str | None) -> list[str]:
    """Claim ids from ``--only`` (``None``: all, in order); ``ValueError`` for unknown ids."""
    if only is None:
        return list(CLAIM_MODULES)
    ids = [s.strip().upper() for s in only.split(",") if s.strip()]
    if not ids:
        raise ValueError("--only: no claim id given")
    unknown = [i for i in ids if i not in CLAIM_MODULES]
    if unknown:
        raise ValueError(
            f"--only: unknown claim id(s) {', '.join(unknown)}; choose from {', '.join(CLAIM_MODULES)}"
        )
    return sorted(set(ids), key=list(CLAIM_MODULES).index)


def versions() -> dict[str, str]:
    """Versions of gmmsym, Python and the numeric dependencies."""
    from importlib import metadata

    import gmmsym

    out = {"gmmsym": gmmsym.__version__, "python": platform.python_version()}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def split_for_model(ids: list[str], model: Any) -> tuple[list[str], list[dict[str, str]]]:
    """``(ids to run, skipped)`` for ``model``: other models than the paper's run the general claims
    only; ``skipped`` lists the others as ``{"id", "reason"}``."""
    from gmmsym.model.spec import PAPER

    if model is None or model == PAPER:
        return list(ids), []
    run_ids = [cid for cid in ids if is_general(cid)]
    skipped = [{"id": cid, "reason": specific_reason(cid)} for cid in ids if not is_general(cid)]
    return run_ids, skipped


def verify(
    ids: list[str], budget: str = "default", *, seed: int = 0, progress: bool = True, model: Any = None
) -> list[tuple[str, Evidence]]:
    """Run the claims ``ids`` at ``budget`` (on ``model`` if given, see :func:`run_claim`); every
    claim runs even if another one fails or raises."""
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, got {budget!r}")
    results: list[tuple[str, Evidence]] = []
    if not progress:
        return [(cid, run_claim(cid, budget, seed=seed, model=model)) for cid in ids]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"verify ({budget})", total=len(ids))
        for cid in ids:
            bar.update(task, description=f"verify ({budget}): {cid}")
            results.append((cid, run_claim(cid, budget, seed=seed, model=model)))
            bar.advance(task)
    return results


# ----------------------------------------------------------------------------------------------
# output


def _atomic_savefig(fig: Any, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # attach an Agg canvas: no pyplot, no GUI backend
    atomic_savefig(fig, path, dpi=110)


def _claim_meta(cid: str) -> dict[str, str]:
    try:
        return load_claim(cid).CLAIM.as_dict()
    except Exception as exc:  # noqa: BLE001 - a module that cannot even be imported
        return {
            "id": cid,
            "title": "(module failed to import)",
            "statement": "",
            "source": "",
            "method": "",
            "criterion": "",
            "judge": "",
            "kind": "",
            "import_error": f"{type(exc).__name__}: {exc}",
        }


class Report(dict):
    """The ``report.json`` document (a ``dict``) with a Markdown view for notebooks."""

    def _repr_markdown_(self) -> str:
        return _markdown(self)


def git_commit() -> str:
    """The commit of the checkout gmmsym runs from (``"<sha>"``, ``"<sha>-dirty"``) or ``"unknown"``."""
    import subprocess

    import gmmsym

    root = Path(gmmsym.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return "unknown"
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha or "unknown"


def _markdown(doc: dict[str, Any]) -> str:
    lines = [
        "# gmmsym verify report",
        "",
        f"Budget `{doc['budget']}`, seed {doc['seed']}, {doc['seconds']:.1f} s; "
        f"{'all claims pass' if doc['passed'] else 'SOME CLAIMS DID NOT PASS'}.",
        "",
        f"Command: `{doc['command']}`; gmmsym {doc['versions']['gmmsym']}, commit `{doc['commit']}`, "
        f"run at {doc['time_utc']}.",
        "",
        f"Model: `{doc.get('model', 'paper')}`.",
        "",
        "| id | claim | kind | method | judge | status | key figure |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in doc["claims"]:
        kf = c["evidence"]["key_figure"].replace("|", "\\|")
        title = c["title"].replace("|", "\\|")
        lines.append(
            f"| {c['id']} | {title} | {c['kind']} | {c['method']} | {c['judge']} | **{c['status']}** | {kf} |"
        )
    for sk in doc.get("skipped", []):
        lines.append(f"| {sk['id']} | | | | | skipped | not for this model: {sk['reason']} |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()), ""]
    for c in doc["claims"]:
        ev = c["evidence"]
        lines += [
            f"## {c['id']}: {c['title']} ({c['status']})",
            "",
            f"*Statement.* {c['statement']}",
            "",
            f"*Source.* {c['source']}",
            "",
            f"*Kind.* {c['kind']}.  *Method.* {c['method']}.  *Judge.* {c['judge']}.  "
            f"*Pass criterion.* {c['criterion']}",
            "",
            f"*Key figure.* {ev['key_figure']} ({ev['seconds']:.1f} s)",
            "",
        ]
        lines += [check_line(chk) for chk in ev["details"].get("checks", [])]
        if "error" in ev["details"]:
            lines += [f"- ERROR: `{ev['details']['error']}`"]
        for fig in ev.get("figures", []):
            lines += ["", f"![{fig}]({fig})"]
        lines.append("")
    return "\n".join(lines)


def write_report(
    out: str | os.PathLike,
    results: list[tuple[str, Evidence]],
    *,
    budget: str,
    seed: int,
    seconds: float,
    command: str = "",
    model: Any = None,
    skipped: list[dict[str, str]] | None = None,
) -> Report:
    """Write ``report.json``, ``report.md`` and the figures into ``out``; return the JSON document.

    ``model`` (recorded as its ``text()``; default the paper's) and ``skipped`` (claims not run
    for that model, with reasons) go into the document too.
    """
    from gmmsym.model.spec import PAPER

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    claims = []
    for cid, ev in results:
        meta = _claim_meta(cid)
        figures = []
        for name, fig in ev.figures.items():
            fname = f"{name}.png"
            try:
                _atomic_savefig(fig, out / fname)
                figures.append(fname)
            except Exception as exc:  # noqa: BLE001 - a figure must not lose the report
                ev.details.setdefault("figure_errors", []).append(f"{fname}: {type(exc).__name__}: {exc}")
        evidence = ev.as_dict()
        evidence["figures"] = figures
        claims.append({**meta, "status": ev.status, "evidence": evidence})
    doc = Report(
        claims=claims,
        budget=budget,
        seed=seed,
        versions=versions(),
        commit=git_commit(),
        time_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        seconds=round(seconds, 3),
        passed=all(c["status"] == "pass" for c in claims),
        command=command,
        model=(PAPER if model is None else model).text(),
        skipped=list(skipped or []),
    )
    atomic_write_text(out / "report.json", json_text(doc, indent=1))
    atomic_write_text(out / "report.md", _markdown(doc))
    return doc


def _print_table(doc: dict[str, Any]) -> None:
    from rich.table import Table

    style = {"pass": "green", "fail": "bold red", "error": "bold magenta"}
    table = Table(title=f"gmmsym verify ({doc['budget']}, seed {doc['seed']}, {doc['seconds']:.1f} s)")
    for col in ("id", "claim", "kind", "method", "status", "key figure"):
        table.add_column(col, overflow="fold")
    for c in doc["claims"]:
        table.add_row(
            c["id"],
            c["title"],
            "observation" if c["kind"] == "project observation" else c["kind"],
            c["method"],
            f"[{style[c['status']]}]{c['status']}[/]",
            c["evidence"]["key_figure"],
        )
    table_console(120).print(table)


def run(args: argparse.Namespace) -> int:
    """Handler of ``gmmsym verify``: run, print, write; exit status 0 iff every claim passes."""
    if getattr(args, "mutants", False):
        return run_mutants(args)
    from gmmsym.model.spec import PAPER

    budget = "quick" if args.quick else "thorough" if args.thorough else "default"
    model = getattr(args, "model", None) or PAPER
    ids, skipped = split_for_model(parse_only(args.only), model)
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    t0 = time.perf_counter()
    results = verify(
        ids, budget, seed=args.seed, progress=sys.stderr.isatty(), model=None if model == PAPER else model
    )
    seconds = time.perf_counter() - t0
    command = "gmmsym verify" + {"quick": " --quick", "thorough": " --thorough"}.get(budget, "")
    if args.only:
        command += f" --only {','.join(parse_only(args.only))}"
    command += f" --seed {args.seed}"
    if model != PAPER:
        command += f" --model {model.text()}"
    doc = write_report(
        args.out,
        results,
        budget=budget,
        seed=args.seed,
        seconds=seconds,
        command=command,
        model=model,
        skipped=skipped,
    )
    _print_table(doc)
    for sk in doc["skipped"]:
        print(f"skipped {sk['id']} (not for {doc['model']}): {sk['reason']}")
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0 if doc["passed"] else 1


# ----------------------------------------------------------------------------------------------
# the mutation gate


def mutants_markdown(doc: dict[str, Any]) -> str:
    """The kill matrix as a Markdown table (``x``: the claim fails or errors under the bug)."""
    ids = doc["claims"]
    lines = [
        f"Kill matrix: budget `{doc['budget']}`, seed {doc['seed']}, {doc['seconds']:.0f} s; "
        f"`x` = the claim fails (or errors) under the bug, `.` = it passes; "
        f"{'every bug is caught' if not doc['survivors'] else 'SURVIVORS: ' + ', '.join(doc['survivors'])}.",
        "",
        "| bug | what is wrong | patch targets | expected killers | " + " | ".join(ids) + " |",
        "|---|---|---|---|" + "---|" * len(ids),
    ]
    for m in doc["mutants"]:
        row = doc["matrix"][m["name"]]
        cells = ["." if row[c] == "pass" else "x" for c in ids]
        targets = ", ".join(f"`{t}`" for t in m["targets"])
        lines.append(
            f"| {m['name']} | {m['description']} | {targets} | {', '.join(m['killers'])} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def run_mutants(args: argparse.Namespace) -> int:
    """``gmmsym verify --mutants``: the kill matrix of the catalogued bugs; exit 1 if one survives."""
    from rich.table import Table

    from gmmsym.model.spec import PAPER

    from .mutants import kill_matrix, mutant_names

    if getattr(args, "model", PAPER) != PAPER:
        raise ValueError("--mutants runs the catalogued bugs on the default models; it takes no --model")
    budget = "thorough" if args.thorough else "quick"
    ids = parse_only(args.only)
    names = mutant_names()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def tick(name: str, cid: str, ev: Evidence) -> None:
        if sys.stderr.isatty():
            print(f"\r{name}: {cid} {ev.status}".ljust(60), end="", file=sys.stderr, flush=True)

    doc = kill_matrix(names, ids, budget, seed=args.seed, on_result=tick)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    doc["versions"] = versions()
    atomic_write_text(out / "mutants.json", json_text(doc, indent=1))
    atomic_write_text(out / "mutants.md", mutants_markdown(doc))
    table = Table(title=f"gmmsym verify --mutants ({budget}, seed {args.seed}, {doc['seconds']:.0f} s)")
    table.add_column("bug", overflow="fold")
    for cid in ids:
        table.add_column(cid, justify="center")
    for name in names:
        row = doc["matrix"][name]
        caught = any(s != "pass" for s in row.values())
        cells = ["[dim].[/]" if row[c] == "pass" else "[bold red]x[/]" for c in ids]
        table.add_row(name if caught else f"[bold magenta]{name} (survives)[/]", *cells)
    table_console(120).print(table)
    print(f"kill matrix: {out / 'mutants.md'}")
    return 1 if doc["survivors"] else 0
