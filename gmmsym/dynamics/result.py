"""The result of :func:`gmmsym.simulate`: final and initial state, trajectory, configuration, outcomes.

Its notebook view (``_repr_html_``) and ``to_pandas()`` export live here with it; the dynamics that
produce it are in :mod:`gmmsym.dynamics.engine`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmsym.errors import InputError
from gmmsym.model.spec import PAPER, ModelSpec
from gmmsym.outcomes import Outcomes

__all__ = ["SimulationResult"]


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate` for ``N`` independent rows.

    Attributes
    ----------
    mu, ell : ndarray, shapes (N, K), (N, 2M)
        Final state (float64; rounded to nearest from the mpmath state when ``precision`` is an
        int).  For ``optimal``, ``ell = ell*(mu)`` (NaN where ``mu = nu`` up to swapping: the
        maximiser is not unique).
    nu, mu0, ell0 : ndarray, shapes (N, K), (N, K), (N, 2M)
        Truth and initial state (``ell0 = ell*(mu0)`` for ``optimal``).
    trajectory : dict or None
        ``{"t": (T,), "mu": (T, N, K), "ell": (T, N, 2M)}`` at ``t = 0, r, 2r, ... <= steps``
        (``r = record_every``), or None.
    config : dict
        Every argument (arrays as nested lists, resolved ``eta_d``, the int seed actually used,
        ``"model"`` as ``ModelSpec.text()``), JSON-serialisable (:meth:`config_json`).
    outcomes : Outcomes
        :func:`gmmsym.outcomes.classify` of the final state with ``tol``.
    steps_taken : ndarray of int64, shape (N,)
        Steps each row took (fewer than ``steps`` only for a frozen, diverged row).
    mp_state : dict or None
        For ``precision`` an int: ``{"mu": (N, K), "ell": (N, 2M)}`` object arrays of the final
        ``mpf`` values.
    """

    mu: np.ndarray
    ell: np.ndarray
    nu: np.ndarray
    mu0: np.ndarray
    ell0: np.ndarray
    trajectory: dict[str, np.ndarray] | None
    config: dict[str, Any]
    outcomes: Outcomes
    steps_taken: np.ndarray
    mp_state: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def model(self) -> ModelSpec:
        """The model of the run (parsed from ``config["model"]``)."""
        return ModelSpec.parse(self.config.get("model", PAPER.text()))

    @property
    def label(self) -> np.ndarray:
        """Primary labels, ``outcomes.label``."""
        return self.outcomes.label

    def config_json(self) -> str:
        """``config`` as JSON (infinite endpoints of a given ``ell0`` print as ``Infinity``)."""
        return json.dumps(self.config)

    def _repr_html_(self) -> str:
        """Notebook view: the configuration, one table row per run (first 20), label counts."""
        import html

        cfg = self.config
        name = f"{cfg['dynamics']}-k{cfg['k']}" if cfg["dynamics"] == "alternating" else cfg["dynamics"]
        n = self.mu.shape[0]

        def fmt(v: np.ndarray) -> str:
            return "(" + ", ".join(f"{x:.6g}" for x in v) + ")"

        head = "".join(f"<th>{c}</th>" for c in ("row", "mu0", "ell0", "mu", "ell", "label", "steps"))
        rows = "".join(
            f"<tr><td>{i}</td><td>{fmt(self.mu0[i])}</td><td>{fmt(self.ell0[i])}</td><td>{fmt(self.mu[i])}"
            f"</td><td>{fmt(self.ell[i])}</td><td>{html.escape(str(self.label[i]))}</td>"
            f"<td>{int(self.steps_taken[i])}</td></tr>"
            for i in range(min(n, 20))
        )
        more = f"<p>... {n - 20} more rows (to_pandas() for all)</p>" if n > 20 else ""
        title = (
            f"<p><b>SimulationResult</b>: {html.escape(name)}, eta {cfg['eta']}, {cfg['steps']} steps, "
            f"precision {cfg['precision']}, seed {cfg['seed']}, "
            f"model {html.escape(self.model.text())}, {n} rows"
            f"{', trajectory recorded' if self.trajectory is not None else ''}</p>"
        )
        return f"{title}<table><tr>{head}</tr>{rows}</table>{more}{self.outcomes._repr_html_()}"

    def to_pandas(self, trajectory: bool = False) -> Any:
        """A ``pandas.DataFrame`` of the runs, or of the recorded trajectory.

        Parameters
        ----------
        trajectory : bool, default False
            False: one row per run (``nu1 ... nuK, mu0_1 ... mu0_K, l1_0 ... rM_0, mu1 ... muK,
            l1 ... rM, steps_taken, label``, one bool column per outcome flag and ``model``, the
            model's ``text()``).  True: one row per ``(t, run)`` record (``t, run, mu1 ... muK,
            l1, r1, ..., lM, rM``).

        Raises
        ------
        ImportError
            pandas (an optional dependency) is not installed.
        InputError
            ``trajectory=True`` but none was recorded (``record_every`` was None).
        """
        from gmmsym.outcomes import require_pandas

        pd = require_pandas("SimulationResult.to_pandas()")
        model = self.model
        names, K = model.ell_names, model.K
        if trajectory:
            if self.trajectory is None:
                raise InputError("trajectory: none recorded; simulate with record_every=R")
            t, mu, ell = self.trajectory["t"], self.trajectory["mu"], self.trajectory["ell"]
            steps, n = mu.shape[:2]
            cols = {"t": np.repeat(t, n), "run": np.tile(np.arange(n), steps)}
            cols |= {f"mu{j + 1}": mu[:, :, j].ravel() for j in range(K)}
            cols |= {e: ell[:, :, j].ravel() for j, e in enumerate(names)}
            return pd.DataFrame(cols)
        nu = np.broadcast_to(self.nu, self.mu.shape)
        cols = {f"nu{j + 1}": nu[:, j] for j in range(K)}
        cols |= {f"mu0_{j + 1}": self.mu0[:, j] for j in range(K)}
        cols |= {f"{e}_0": self.ell0[:, j] for j, e in enumerate(names)}
        cols |= {f"mu{j + 1}": self.mu[:, j] for j in range(K)}
        cols |= {e: self.ell[:, j] for j, e in enumerate(names)}
        cols |= {"steps_taken": self.steps_taken, "label": self.label}
        cols |= {name: np.asarray(f) for name, f in self.outcomes.flags.items()}
        return pd.DataFrame(cols | {"model": model.text()})
