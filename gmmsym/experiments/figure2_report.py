"""Outputs of the Figure 2 reproduction: heatmaps, the outcome bar chart and ``summary.md``.

Split from :mod:`gmmsym.experiments.figure2` (which runs the sweep and summarises it); the tables
written here are also the generated tables of ``docs/figure2.md``
(:mod:`gmmsym.experiments.docs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gmmsym.io import atomic_savefig
from gmmsym.outcomes import LABELS

__all__ = [
    "heatmap",
    "outcome_bars",
    "pct",
    "claims",
    "results_table",
    "cost_table",
    "claims_table",
    "markdown",
]

_LABEL_COLOURS = {
    "diverged": "#7f7f7f",
    "converged": "#2ca02c",
    "discriminator_collapse": "#d62728",
    "mode_collapse": "#ff7f0e",
    "vanishing_gradient": "#9467bd",
    "not_converged": "#1f77b4",
}


# -- plots ----------------------------------------------------------------------------------------


def heatmap(path: Path, name: str, grid: dict[str, Any], stats: dict[str, Any], nu: Sequence[float]) -> None:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    axis, succ = grid["axis"], grid["success"]
    n = len(axis)
    h = float(axis[1] - axis[0]) if n > 1 else 1.0
    lo, hi = float(axis[0]) - h / 2, float(axis[-1]) + h / 2
    fig = Figure(figsize=(5.6, 4.8))  # fixed margins: constrained layout triples the drawing time
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.1, top=0.88)
    ax = fig.add_subplot()
    im = ax.imshow(
        np.ma.masked_invalid(succ.T),
        origin="lower",
        extent=(lo, hi, lo, hi),
        vmin=0.0,
        vmax=1.0,
        cmap="viridis",
        interpolation="nearest",
    )
    fig.colorbar(im, ax=ax, label="success fraction (converged)")
    for i in range(n):  # diagonal cells mu1 = mu2 outlined
        ax.add_patch(
            Rectangle(
                (axis[i] - h / 2, axis[i] - h / 2),
                h,
                h,
                fill=False,
                edgecolor="white",
                linewidth=1.2,
                linestyle="--",
            )
        )
    if n <= 12:
        for i in range(n):
            for j in range(n):
                v = succ[i, j]
                if not math.isnan(v):
                    text = "0" if v == 0 else "1" if v == 1 else f"{v:.2f}".lstrip("0")
                    colour = "black" if v > 0.6 else "white"
                    ax.text(axis[i], axis[j], text, ha="center", va="center", fontsize=6, color=colour)
    ax.plot([nu[0], nu[1]], [nu[1], nu[0]], "r*", markersize=11, markeredgecolor="white")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("initial mu_1")
    ax.set_ylabel("initial mu_2")
    ax.set_title(
        f"{name}: success {stats['success']:.1%} (off-diagonal {stats['success_offdiag']:.1%})\n"
        f"{stats['runs_per_cell']} run(s) per cell; dashed: diagonal mu_1 = mu_2; stars: true means",
        fontsize=9,
    )
    atomic_savefig(fig, path, dpi=110)


def outcome_bars(path: Path, summary: dict[str, dict[str, Any]]) -> None:
    from matplotlib.figure import Figure

    names = list(summary)
    fig = Figure(figsize=(7.5, 4.2))
    fig.subplots_adjust(left=0.09, right=0.72, bottom=0.17, top=0.9)
    ax = fig.add_subplot()
    bottom = np.zeros(len(names))
    x = np.arange(len(names))
    for lab in LABELS:
        share = np.array([summary[n]["labels"].get(lab, 0.0) for n in names], dtype=float)
        share = np.nan_to_num(share)
        ax.bar(x, share, bottom=bottom, color=_LABEL_COLOURS[lab], label=lab, width=0.7)
        for xi, b, s in zip(x, bottom, share):
            if s >= 0.04:
                ax.text(xi, b + s / 2, f"{s:.0%}", ha="center", va="center", fontsize=7, color="white")
        bottom += share
    ax.set_xticks(x, names, rotation=15)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of runs")
    ax.set_title("Figure 2 sweep: outcome labels per dynamics (docs/model.md section 5)", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    atomic_savefig(fig, path, dpi=110)


# -- report ---------------------------------------------------------------------------------------


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def claims(summary: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(claim, what we found, verdict)`` rows for the paper's claims (docs/model.md sections 6-7)."""
    out: list[tuple[str, str, str]] = []
    opt = summary.get("optimal")
    if opt is not None:
        m = opt["min_offdiag_cell_success"]
        out.append(
            (
                "Optimal-discriminator dynamics succeed from every start with separated means "
                "(Theorem 4.1, as numbered in the paper; here: every off-diagonal cell)",
                f"off-diagonal success {pct(opt['success_offdiag'])}, worst off-diagonal cell {pct(m)}",
                "consistent" if m == 1.0 else "NOT consistent",
            )
        )
        d = opt["success_diag"]
        out.append(
            (
                "Optimal dynamics never succeed on the diagonal (mu1 = mu2 is invariant)",
                f"diagonal success {pct(d)}",
                "consistent" if d == 0.0 else "NOT consistent",
            )
        )
    first = [n for n in summary if n != "optimal"]
    multi = [n for n in first if n.startswith("alternating-k") and n != "alternating-k1"]
    for claim, names in (
        ("First-order dynamics fail in most runs (Figure 2)", first),
        ("... also with k > 1 discriminator steps per generator step", multi),
    ):
        if names:
            worst = max(summary[n]["success"] for n in names)
            found = ", ".join(f"{n} {pct(summary[n]['success'])}" for n in names) + " success"
            out.append((claim, found, "consistent" if worst < 0.5 else "NOT consistent"))
    if first:
        parts, ok = [], True
        for n in first:
            lab = summary[n]["labels"]
            fail = 1.0 - lab.get("converged", 0.0)
            collapse = lab.get("discriminator_collapse", 0.0) + lab.get("mode_collapse", 0.0)
            share = collapse / fail if fail > 0 else math.nan
            parts.append(f"{n} {pct(share)}")
            ok = ok and not math.isnan(share) and share > 0.5
        out.append(
            (
                "Failures are mostly discriminator collapse or mode collapse",
                "share of failures labelled discriminator_collapse or mode_collapse: " + ", ".join(parts),
                "consistent" if ok else "NOT consistent",
            )
        )
    return out


def results_table(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: one row per panel (runs, success shares, label shares)."""
    lines = [
        "| dynamics | runs | success | off-diagonal | diagonal | worst off-diag. cell | "
        + " | ".join(LABELS)
        + " |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(LABELS),
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['runs']} | {pct(s['success'])} | {pct(s['success_offdiag'])} | "
            f"{pct(s['success_diag'])} | {pct(s['min_offdiag_cell_success'])} | "
            + " | ".join(pct(s["labels"].get(lab, 0.0)) for lab in LABELS)
            + " |"
        )
    return lines


def cost_table(summary: dict[str, dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    """Markdown lines: worker wall and CPU time per panel, CPU ns per row-evaluation."""
    lines = [
        "| dynamics | gradient evaluations per step | worker wall s | worker CPU s "
        "| CPU ns per row-evaluation |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        evals = meta["evaluations_per_step"][name]
        work = s["runs"] * meta["parameters"]["steps"] * evals
        per = 1e9 * s["cpu_seconds"] / work if work and s["cpu_seconds"] else math.nan
        lines.append(
            f"| {name} | {evals} | {s['compute_seconds']:.1f} | {s['cpu_seconds']:.1f} | "
            + ("n/a" if math.isnan(per) else f"{per:.0f}")
            + " |"
        )
    return lines


def claims_table(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown lines: the paper's claims against this run (:func:`claims`)."""
    return ["| claim | found | verdict |", "|---|---|---|"] + [
        f"| {claim} | {found} | {verdict} |" for claim, found, verdict in claims(summary)
    ]


def _replay_lines(replay: dict[str, Any] | None, meta: dict[str, Any]) -> list[str]:
    if replay is None or not replay["n"]:
        return ["No replay was run (`--replay 0`)."]
    lines = [
        f"{replay['agree']} of {replay['n']} float64 runs (failures first, seeded sample from "
        f"{', '.join(meta['replay_dynamics'])}) keep their label when re-run with mpmath at "
        f"{replay['precision']} digits: agreement {pct(replay['rate'])} "
        f"(mpmath compute {replay['compute_seconds']:.1f} s).",
        "",
        "| dynamics | run | float64 label | 50-digit label | max abs. diff. of final mu |",
        "|---|---:|---|---|---:|",
    ]
    for r in replay["rows"]:
        lines.append(
            f"| {r['dynamics']} | {r['config_hash']}:{r['run']} | {r['label64']} | {r['label_mp']} | "
            f"{r['max_dmu']:.2e} |"
        )
    return lines


def _setting_lines(meta: dict[str, Any]) -> list[str]:
    p = meta["parameters"]
    return [
        f"Grid: initial means `linspace({p['lo']}, {p['hi']}, {p['grid']})^2` "
        f"({p['grid'] ** 2} cells, {p['grid']} on the diagonal), `nu = {tuple(p['nu'])}`, "
        f"`eta = {p['eta']}`, {p['steps']} generator steps, `tol = {p['tol']}`, seed {p['seed']}.",
        f"First-order dynamics: {p['runs_per_cell']} discriminator initialisations per cell "
        "(endpoints i.i.d. uniform on [-2, 2], sorted). Optimal dynamics: one run per cell "
        "(deterministic; the discriminator initialisation is ignored).",
        f"Wall time {meta['seconds']:.1f} s with {meta['workers']} worker(s) "
        f"({meta['sweep']['computed']} runs computed, "
        f"{meta['sweep']['skipped']} reused from `{meta['db']}`).",
    ]


def markdown(summary: dict[str, dict[str, Any]], meta: dict[str, Any], replay: dict[str, Any] | None) -> str:
    """The text of ``summary.md``."""
    lines = ["# Figure 2 reproduction (gmmsym)", "", *_setting_lines(meta), "", *results_table(summary)]
    lines += [
        "",
        "Cost of the runs computed by this invocation (worker wall time and CPU time; "
        "one row-evaluation = one float64 gradient evaluation of one run):",
        "",
        *cost_table(summary, meta),
        "",
        "## The paper's claims (docs/model.md sections 6-7) against this run",
        "",
        *claims_table(summary),
        "",
        "## 50-digit replay",
        "",
        *_replay_lines(replay, meta),
        "",
        "## Figures",
        "",
        *(f"![{n}](heatmap_{n}.png)" for n in summary),
        "",
        "![outcome labels](outcomes.png)",
        "",
    ]
    return "\n".join(lines)
