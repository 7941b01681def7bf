"""The figure of ``gmmsym simulate --plot``: means, endpoints, TV(t) and the phase view.

Four panels over the recorded trajectory (``SimulationResult.trajectory``):

- the generator means ``mu_1(t), mu_2(t)`` and the discriminator endpoints over time, the true
  means ``nu`` as thick grey lines (a style no trajectory uses);
- ``TV(t) = TV(P*, G_mu(t))`` (:func:`gmmsym.tv_distance`), the quantity the paper's theorems
  are about (docs/model.md section 3), on a log scale;
- the phase view ``(mu_1, mu_2)`` with the start (circle), the end (cross) and the true means
  marked at ``(nu_1, nu_2)`` and ``(nu_2, nu_1)`` (the labels are interchangeable).

One colour per row; a legend explains colours and line styles (rows listed up to 8).
``log_time`` puts time on a symmetric log axis (linear below 1, so ``t = 0`` is shown): most
of the motion happens in the first steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot", "trajectory_tv"]

_MAX_LEGEND_ROWS = 8
_NU_STYLE = {"color": "0.5", "lw": 2.5, "alpha": 0.45, "ls": "-"}  # the true means, behind the data


def trajectory_tv(res: Any) -> np.ndarray:
    """``TV(P*, G_mu)`` along ``res.trajectory`` (shape ``(T, N)``); NaN where mu is not finite."""
    from gmmsym.errors import InputError
    from gmmsym.model.spec import PAPER

    model = res.model
    if model == PAPER:
        from gmmsym.discriminator.optimal import tv_distance
    else:
        from gmmsym.discriminator.optimal_any import tv_distance as tv_model

        def tv_distance(m, n):
            return tv_model(m, n, model)

    mu = np.asarray(res.trajectory["mu"], dtype=np.float64)
    nu = np.broadcast_to(np.asarray(res.nu, dtype=np.float64), mu.shape)
    out = np.full(mu.shape[:2], np.nan)
    ok = np.isfinite(mu).all(axis=-1)
    if ok.any():
        try:
            out[ok] = tv_distance(mu[ok], nu[ok])
        except InputError:  # means outside tv_distance's supported range: row by row
            for idx in zip(*np.nonzero(ok)):
                try:
                    out[idx] = tv_distance(mu[idx], nu[idx])
                except InputError:
                    pass
    return out


def _figure(log_time: bool) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    if log_time:
        for ax in (axes[0, 0], axes[1, 0], axes[0, 1]):
            ax.set_xscale("symlog", linthresh=1.0)
    return fig, axes


def plot(res: Any, path: str, *, log_time: bool = False) -> None:
    """Write the four-panel PNG of ``res`` (which must have a trajectory) to ``path`` atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D

    from gmmsym.io import atomic_savefig

    traj = res.trajectory
    t, mu, ell = traj["t"], traj["mu"], traj["ell"]
    tv = trajectory_tv(res)
    fig, axes = _figure(log_time)
    ax_mu, ax_tv, ax_ell, ax_phase = axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]
    colors = [f"C{i % 10}" for i in range(mu.shape[1])]
    for i, c in enumerate(colors):
        ax_mu.plot(t, mu[:, i, 0], color=c, lw=1.3)
        ax_mu.plot(t, mu[:, i, 1], color=c, lw=1.3, ls="--")
        for j, ls in enumerate(("-", "--", "-.", ":")):
            ax_ell.plot(t, ell[:, i, j], color=c, lw=0.9, ls=ls)
        ax_tv.plot(t, np.where(tv[:, i] > 0, tv[:, i], np.nan), color=c, lw=1.3)
        ax_phase.plot(mu[:, i, 0], mu[:, i, 1], color=c, lw=1.0)
        ax_phase.plot(mu[0, i, 0], mu[0, i, 1], "o", color=c, ms=6)
        ax_phase.plot(mu[-1, i, 0], mu[-1, i, 1], "x", color=c, ms=8, mew=2)
    nus = np.unique(np.asarray(res.nu, dtype=np.float64).reshape(-1, 2), axis=0)
    for ax in (ax_mu, ax_ell):
        for v in np.unique(nus):
            ax.axhline(v, **_NU_STYLE)
    for n1, n2 in nus:
        ax_phase.plot([n1, n2], [n2, n1], "*", color="k", ms=14, label="true means (nu1, nu2), (nu2, nu1)")
    ax_phase.axline((0, 0), slope=1, color="0.6", lw=0.8, ls=":")  # mu1 = mu2: mode collapse
    _label(fig, res, (ax_mu, ax_tv, ax_ell, ax_phase), log_time)
    handles = [
        Line2D([], [], color=c, lw=2, label=f"row {i}") for i, c in enumerate(colors[:_MAX_LEGEND_ROWS])
    ]
    handles += [Line2D([], [], color="k", ls=ls, label=name) for ls, name in
                (("-", "mu_1 / l1"), ("--", "mu_2 / r1"), ("-.", "l2"), (":", "r2"))]  # fmt: skip
    handles.append(Line2D([], [], **_NU_STYLE, label="true means nu"))
    handles += [Line2D([], [], color="k", marker=m, ls="", label=name) for m, name in
                (("o", "start"), ("x", "end"), ("*", "true means"))]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 9), fontsize=10)
    FigureCanvasAgg(fig)
    atomic_savefig(fig, path, dpi=100)


def _label(fig: Any, res: Any, axes: tuple[Any, ...], log_time: bool) -> None:
    ax_mu, ax_tv, ax_ell, ax_phase = axes
    cfg = res.config
    name = f"{cfg['dynamics']}-k{cfg['k']}" if cfg["dynamics"] == "alternating" else cfg["dynamics"]
    fig.suptitle(f"gmmsym simulate: {name}, eta {cfg['eta']}, {cfg['steps']} steps", fontsize=13)
    ax_mu.set_ylabel("generator means mu_1, mu_2")
    ax_mu.set_title("generator (grey: true means nu)", fontsize=10)
    ax_ell.set_ylabel("discriminator endpoints l1, r1, l2, r2")
    ax_ell.set_title("discriminator (grey: true means nu)", fontsize=10)
    ax_tv.set_ylabel("TV(P*, G_mu)")
    ax_tv.set_yscale("log")
    ax_tv.set_title("total variation distance (0 = converged)", fontsize=10)
    time_label = "generator step t" + (" (symmetric log scale)" if log_time else "")
    for ax in (ax_ell, ax_tv):
        ax.set_xlabel(time_label)
    ax_phase.set_xlabel("mu_1")
    ax_phase.set_ylabel("mu_2")
    ax_phase.set_title("phase view (dotted: mu_1 = mu_2)", fontsize=10)
    for ax in axes:
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.3)
