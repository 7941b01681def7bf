"""The K = 3 counterpart of Figure 2: optimal against first-order dynamics on another model.

``gmmsym reproduce --model K=3,M=3,weights=1/4:1/4:1/2,sigma=1 --out DIR`` (docs/figure2-k3.md)
runs, for the model given (default :data:`SECOND_MODEL`) with true means ``nu = linspace(-1, 1, K)``,
``eta = 0.1`` and ``steps`` generator steps:

* **random starts**: ``starts`` initial generator means i.i.d. uniform on the box ``[-box, box]^K``
  (seeded), each with one discriminator initialisation (``2M`` endpoints uniform on ``[-2, 2]``,
  sorted; the same for every first-order dynamics), for ``optimal``, ``simultaneous`` and
  ``alternating`` with ``k = 1, 5``; the success share (label ``converged``, ``tol = 0.1``) and the
  label shares per dynamics;
* **a 2-D slice** of starts ``mu0 = (x, y, nu_3, ..., nu_K)`` on a ``grid x grid`` lattice of the box
  (the other components start at their true means), ``inits`` discriminator initialisations per
  cell for first-order dynamics and one run per cell for optimal dynamics (which ignore the
  discriminator initialisation): the success fraction per cell, drawn as one heatmap per dynamics
  (``heatmap_<dynamics>.png``, the figure that shows where first-order dynamics fail).

Every run is :func:`gmmsym.simulate` with ``model=`` (float64); all draws come from
``numpy.random.default_rng([seed, stream])`` (stream 1: random starts, 2: slice discriminators),
so the results depend on ``seed`` only, not on batch sizes.  Outputs in ``DIR`` (each written
atomically): ``summary.json`` (settings, shares, slice grids), ``summary.md`` (the tables of
docs/figure2-k3.md), ``outcomes.png`` (stacked label shares of the random starts) and the
heatmaps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gmmsym.experiments.figure2_report import heatmap, outcome_bars, pct
from gmmsym.experiments.sweep import dynamics_name
from gmmsym.io import atomic_write_text, check_output_dir, json_text
from gmmsym.model.spec import ModelSpec, check_model
from gmmsym.model.validate import check_int
from gmmsym.outcomes import LABELS

__all__ = ["SECOND_MODEL", "K3_DYNAMICS", "Setting", "starts_random", "starts_slice", "run_k3", "markdown"]

#: The second model of the claims and of this experiment (issue 9).
SECOND_MODEL = ModelSpec.parse("K=3,M=3,weights=1/4:1/4:1/2,sigma=1")
#: ``(dynamics, k)`` of the panels, in report order.
K3_DYNAMICS: tuple[tuple[str, int], ...] = (
    ("optimal", 1),
    ("simultaneous", 1),
    ("alternating", 1),
    ("alternating", 5),
)


@dataclass(frozen=True)
class Setting:
    """Parameters of one run of the experiment (see the module docstring)."""

    model: ModelSpec = SECOND_MODEL
    starts: int = 100
    grid: int = 8
    inits: int = 4
    steps: int = 1000
    box: float = 2.0
    eta: float = 0.1
    tol: float = 0.1
    seed: int = 0
    nu: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        check_model(self.model)
        for name in ("starts", "grid", "inits", "steps"):
            check_int(name, getattr(self, name), minimum=1)
        check_int("seed", self.seed, minimum=0)
        if self.model.K < 2:
            raise ValueError(f"model must have K >= 2 components for a 2-D slice, got K={self.model.K}")
        if not self.nu:
            object.__setattr__(self, "nu", tuple(float(v) for v in np.linspace(-1.0, 1.0, self.model.K)))
        if len(self.nu) != self.model.K:
            raise ValueError(f"nu must have K={self.model.K} entries, got {len(self.nu)}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"] = self.model.text()
        return d


def _discriminators(rng: np.random.Generator, n: int, M: int) -> np.ndarray:
    return np.sort(rng.uniform(-2.0, 2.0, (n, 2 * M)), axis=1)


def starts_random(s: Setting) -> tuple[np.ndarray, np.ndarray]:
    """``(mu0 (starts, K), ell0 (starts, 2M))`` of the random starts (stream 1 of ``seed``)."""
    rng = np.random.default_rng([s.seed, 1])
    mu0 = rng.uniform(-s.box, s.box, (s.starts, s.model.K))
    return mu0, _discriminators(rng, s.starts, s.model.M)


def starts_slice(s: Setting) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(axis (grid,), mu0 (grid^2 * inits, K), ell0)``: cell ``(i, j)`` is ``mu1 = axis[i]``,
    ``mu2 = axis[j]``, the others at ``nu``; rows ordered by cell, then by initialisation."""
    axis = np.linspace(-s.box, s.box, s.grid)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    cells = np.tile(np.asarray(s.nu, dtype=float), (s.grid * s.grid, 1))
    cells[:, 0], cells[:, 1] = x.ravel(), y.ravel()
    mu0 = np.repeat(cells, s.inits, axis=0)
    rng = np.random.default_rng([s.seed, 2])
    return axis, mu0, _discriminators(rng, len(mu0), s.model.M)


def _labels(s: Setting, mu0: np.ndarray, ell0: np.ndarray, dynamics: str, k: int) -> np.ndarray:
    import gmmsym

    nu = np.asarray(s.nu, dtype=float)
    r = gmmsym.simulate(
        nu, mu0, ell0, dynamics=dynamics, k=k, eta=s.eta, steps=s.steps, tol=s.tol, model=s.model
    )
    return np.asarray(r.label)


def _shares(labels: np.ndarray) -> dict[str, float]:
    return {lab: float(np.mean(labels == lab)) if labels.size else float("nan") for lab in LABELS}


def _panel(s: Setting, dynamics: str, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Random-start statistics and the slice grid of one dynamics."""
    mu0, ell0 = starts_random(s)
    labels = _labels(s, mu0, ell0, dynamics, k)
    axis, smu, sell = starts_slice(s)
    inits = 1 if dynamics == "optimal" else s.inits
    if inits == 1:
        smu, sell = smu[:: s.inits], sell[:: s.inits]
    grid_labels = _labels(s, smu, sell, dynamics, k).reshape(s.grid, s.grid, inits)
    success = (grid_labels == "converged").mean(axis=2)
    diag = np.eye(s.grid, dtype=bool)
    stats = {
        "runs": int(labels.size),
        "success": float(np.mean(labels == "converged")),
        "labels": _shares(labels),
        "slice_runs": int(grid_labels.size),
        "slice_success": float(success.mean()),
        "slice_success_offdiag": float(success[~diag].mean()),
        "slice_success_diag": float(success[diag].mean()),
        "runs_per_cell": inits,
    }
    return stats, {"axis": axis, "success": success}


def run_k3(s: Setting, out: str | Path | None = None) -> dict[str, Any]:
    """Run every panel of :data:`K3_DYNAMICS`; write the outputs into ``out`` if given.

    Returns
    -------
    dict
        ``{"setting": ..., "panels": {name: stats}, "grids": {name: {"axis", "success"}}}``
        (lists, JSON-ready).
    """
    if out is not None:
        out = Path(out)
        check_output_dir(out, "--out")
        out.mkdir(parents=True, exist_ok=True)
    panels, grids = {}, {}
    for dynamics, k in K3_DYNAMICS:
        name = dynamics_name(dynamics, k)
        panels[name], grids[name] = _panel(s, dynamics, k)
    doc = {
        "setting": s.as_dict(),
        "panels": panels,
        "grids": {
            n: {"axis": g["axis"].tolist(), "success": g["success"].tolist()} for n, g in grids.items()
        },
    }
    if out is not None:
        _write(out, s, doc, grids)
    return doc


def _write(out: Path, s: Setting, doc: dict[str, Any], grids: dict[str, Any]) -> None:
    for name, g in grids.items():
        st = doc["panels"][name]
        stats = {
            "success": st["slice_success"],
            "success_offdiag": st["slice_success_offdiag"],
            "runs_per_cell": st["runs_per_cell"],
        }
        title = f"{name} [K={s.model.K}, M={s.model.M}]"
        heatmap(out / f"heatmap_{name}.png", title, g, stats, s.nu[:2])
    outcome_bars(out / "outcomes.png", doc["panels"])
    atomic_write_text(out / "summary.json", json_text(doc, indent=1))
    atomic_write_text(out / "summary.md", markdown(doc))


def markdown(doc: dict[str, Any]) -> str:
    """The tables of docs/figure2-k3.md: setting, random-start shares and slice success per dynamics."""
    s = doc["setting"]
    nu = ", ".join(f"{v:g}" for v in s["nu"])
    lines = [
        f"Model `{s['model']}`, true means nu = ({nu}), eta = {s['eta']:g}, {s['steps']} steps, tol = "
        f"{s['tol']:g}, seed {s['seed']}; {s['starts']} random starts in [-{s['box']:g}, {s['box']:g}]^K; "
        f"slice mu0 = (x, y, nu_3, ...) on a {s['grid']} x {s['grid']} grid, {s['inits']} discriminator "
        "initialisations per cell (optimal: 1).",
        "",
        "| dynamics | random starts | success | "
        + " | ".join(LABELS)
        + " | slice success | off-diagonal | diagonal |",
        "|---|---:|---:|" + "---:|" * len(LABELS) + "---:|---:|---:|",
    ]
    for name, p in doc["panels"].items():
        lines.append(
            f"| {name} | {p['runs']} | {pct(p['success'])} | "
            + " | ".join(pct(p["labels"][lab]) for lab in LABELS)
            + f" | {pct(p['slice_success'])} | {pct(p['slice_success_offdiag'])} | "
            f"{pct(p['slice_success_diag'])} |"
        )
    return "\n".join(lines) + "\n"
