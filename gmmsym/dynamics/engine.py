"""GAN dynamics of the GMM model, batched in float64 or per row in mpmath (docs/model.md section 4).

State: generator means ``mu = (mu1, mu2)``, discriminator ``ell = (l1, r1, l2, r2)`` ordered,
truth ``nu``.  ``L`` is the objective of docs/model.md section 2 (the generator minimises it, the
discriminator maximises it), ``Proj`` the Euclidean projection onto ``l1 <= r1 <= l2 <= r2``
(isotonic regression, :mod:`gmmsym.discriminator.projection`), ``g_t = (dL/dmu, dL/dell)`` at step ``t``.
Step sizes: ``eta_g = eta`` and ``eta_d`` (default ``eta``; ``eta_d != eta`` gives two time
scales).  One *step* is one generator update:

``optimal``
    ``mu <- mu - eta_g grad_mu TV(mu)``, with ``grad_mu TV(mu) = dL/dmu(mu, ell*(mu))``
    (Danskin; :mod:`gmmsym.discriminator.optimal`).  ``ell`` is reported as ``ell*(mu)``.
``simultaneous`` (the paper's first-order dynamics)
    both gradients at ``(mu, ell)``, then ``mu <- mu - eta_g dL/dmu``,
    ``ell <- Proj(ell + eta_d dL/dell)``.
``alternating``
    ``k`` times ``ell <- Proj(ell + eta_d dL/dell(mu, ell))`` with ``mu`` fixed, then
    ``mu <- mu - eta_g dL/dmu(mu, ell)`` with the updated ``ell``
    (``k + 1`` gradient evaluations per step).
``extragradient`` (Korpelevich)
    look-ahead ``mu' = mu - eta_g dL/dmu(mu, ell)``, ``ell' = Proj(ell + eta_d dL/dell(mu, ell))``
    (the "half step" ``t + 1/2``, full step sizes), then
    ``mu <- mu - eta_g dL/dmu(mu', ell')``, ``ell <- Proj(ell + eta_d dL/dell(mu', ell'))``
    (2 gradient evaluations per step).
``optimistic`` (optimistic gradient descent-ascent)
    ``mu <- mu - eta_g (2 dL/dmu_t - dL/dmu_{t-1})``,
    ``ell <- Proj(ell + eta_d (2 dL/dell_t - dL/dell_{t-1}))``; the first step is a plain
    simultaneous step (no ``g_{-1}``).

The update rules are written once (``_RULES``) over a small backend interface (gradients,
projection, ``x + a g``, optimal discriminator); the float64 backend works on component-major
contiguous ``(n,)`` arrays and calls the generated kernel ``PAPER_KERNELS.raw.gradients``
directly, the mpmath backend on tuples of ``mpf`` scalars of one row through :mod:`gmmsym.kernels.mp`.

Row independence and reproducibility
------------------------------------
* Every float64 operation is elementwise on contiguous arrays; nothing in an update reduces
  across rows, so a row's trajectory is bitwise the same whatever batch it runs in.  (The only
  batch-wide test, "did any row diverge?", decides which rows are removed from the working set;
  it never changes a value.)
* Random discriminators (``ell0=None``): row ``i`` uses its own stream
  ``numpy.random.default_rng([seed, i])``, draws 4 endpoints i.i.d. uniform on ``[-2, 2]`` and
  sorts them.  A ``numpy.random.Generator`` passed as ``seed`` is used once, to draw an int key
  ``seed = int(gen.integers(2**63))`` which then plays the role of the int seed (and is stored
  in ``config``).  So row ``i``'s draw depends only on ``(seed, i)``.  (Cost: about 55 us per
  row for the stream set-up.)

Divergence and freezing
-----------------------
After every step (and for the initial state), a row whose means are non-finite or exceed
``1e3`` in magnitude (:data:`gmmsym.outcomes.DIVERGENCE_BOUND`) is *frozen*: it is removed
from the working set and keeps the state at which it was detected (so it is classified
``diverged``, and later trajectory records repeat that state).  Frozen rows therefore stop
producing overflow and NaN warnings; the step that detects the divergence runs with floating
point warnings for overflow/invalid suppressed (its values are reported as diverged anyway).
``SimulationResult.steps_taken`` holds the number of steps each row took.

Fixed points are retired too: every :data:`FIXED_POINT_CHECK` steps the float64 backend
compares the state before and after the step bit for bit; a row that the step left unchanged
is at an exact fixed point of a deterministic per-row map (for example both intervals
collapsed, so ``dL/dmu = 0`` and the projection holds them), every later step would leave it
unchanged as well, so it is removed from the working set with its final state (its
``steps_taken`` is the full ``steps``).  Results are bitwise those of running every step; in
the Figure 2 setting this saves about 30 % of the first-order work.  ``optimistic`` carries the
previous gradient in its state and is not retired this way.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.dynamics.float64 import Float64Backend
from gmmsym.dynamics.mpmath import MpBackend
from gmmsym.dynamics.protocol import Backend
from gmmsym.dynamics.result import SimulationResult
from gmmsym.errors import InputError
from gmmsym.model.validate import (
    as_rows,
    check_choice,
    check_dps,
    check_int,
    check_max_abs,
    check_ordered,
    check_positive,
)
from gmmsym.outcomes import classify

__all__ = ["DYNAMICS", "SimulationResult", "simulate", "draw_ell0", "gradient_evaluations"]

DYNAMICS: tuple[str, ...] = ("optimal", "simultaneous", "alternating", "extragradient", "optimistic")
FIXED_POINT_CHECK = 16  # steps between two bitwise fixed-point checks (module docstring)


def gradient_evaluations(dynamics: str, k: int = 1) -> int:
    """Gradient evaluations per generator step.

    ``simultaneous`` and ``optimistic``: 1; ``alternating``: ``k + 1``; ``extragradient``: 2;
    ``optimal``: 1 (one optimal discriminator and its Danskin gradient).
    """
    return {"alternating": k + 1, "extragradient": 2}.get(check_choice("dynamics", dynamics, DYNAMICS), 1)


# ----------------------------------------------------------------------------------------------
# update rules, written once for both backends
# ----------------------------------------------------------------------------------------------


class _Params(NamedTuple):
    neg_eta_g: Any  # -eta_g: x - eta g == x + (-eta) g exactly (negation is exact)
    eta_d: Any
    k: int


def _ascend(b, ell, eta_d, gell):
    """``Proj(ell + eta_d dL/dell)``."""
    return b.proj(b.combine(ell, eta_d, gell))


def _init_first_order(b, mu, ell):
    return mu, ell, None


def _init_optimal(b, mu, ell):
    # aux = grad TV at the current mu; ell = ell*(mu).
    g, ell_star = b.tv(mu)
    return mu, ell_star, g


def _step_optimal(b, mu, ell, aux, p):
    mu = b.combine(mu, p.neg_eta_g, aux)
    g, ell_star = b.tv(mu)
    return mu, ell_star, g


def _step_simultaneous(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    return b.combine(mu, p.neg_eta_g, gmu), _ascend(b, ell, p.eta_d, gell), None


def _step_alternating(b, mu, ell, aux, p):
    for _ in range(p.k):
        _, gell = b.grad(mu, ell)
        ell = _ascend(b, ell, p.eta_d, gell)
    gmu, _ = b.grad(mu, ell)
    return b.combine(mu, p.neg_eta_g, gmu), ell, None


def _step_extragradient(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    mu_half = b.combine(mu, p.neg_eta_g, gmu)
    ell_half = _ascend(b, ell, p.eta_d, gell)
    gmu, gell = b.grad(mu_half, ell_half)
    return b.combine(mu, p.neg_eta_g, gmu), _ascend(b, ell, p.eta_d, gell), None


def _step_optimistic(b, mu, ell, aux, p):
    gmu, gell = b.grad(mu, ell)
    prev_mu, prev_ell = (None, None) if aux is None else aux
    dmu = b.extrapolate(gmu, prev_mu)
    dell = b.extrapolate(gell, prev_ell)
    return b.combine(mu, p.neg_eta_g, dmu), _ascend(b, ell, p.eta_d, dell), (gmu, gell)


_RULES: dict[str, tuple[Callable, Callable]] = {
    "optimal": (_init_optimal, _step_optimal),
    "simultaneous": (_init_first_order, _step_simultaneous),
    "alternating": (_init_first_order, _step_alternating),
    "extragradient": (_init_first_order, _step_extragradient),
    "optimistic": (_init_first_order, _step_optimistic),
}


class _Run(NamedTuple):
    mu: np.ndarray  # (n, 2), float64 or object (mpf)
    ell: np.ndarray  # (n, 4)
    ell0: np.ndarray  # (n, 4): the discriminator at t = 0 (ell*(mu0) for optimal)
    steps_taken: np.ndarray  # (n,)
    traj_mu: np.ndarray | None  # (T, n, 2) float64
    traj_ell: np.ndarray | None  # (T, n, 4) float64


def _integrate(
    b: Backend, dynamics: str, p: _Params, mu, ell, steps: int, times: np.ndarray | None, dtype
) -> _Run:
    """Run one backend's batch: record at ``times``, freeze diverging rows (module docstring)."""
    init, step = _RULES[dynamics]
    n = b.n
    out_mu = np.empty((n, 2), dtype=dtype)
    out_ell = np.empty((n, 4), dtype=dtype)
    taken = np.full(n, steps, dtype=np.int64)
    traj_mu = traj_ell = None
    if times is not None:
        traj_mu = np.empty((len(times), n, 2))
        traj_ell = np.empty((len(times), n, 4))
    idx = np.arange(n)
    rec = 0
    check_fixed = dynamics != "optimistic" and b.checks_fixed_points

    def retire(mask, when):
        """Write the masked rows out as final (``when`` steps taken); drop them from the batch."""
        nonlocal idx, mu, ell, aux, b, old
        rows = idx[mask]
        fmu, fell = b.rows(mu, mask), b.rows(ell, mask)
        out_mu[rows], out_ell[rows] = fmu, fell
        taken[rows] = when
        if times is not None:
            traj_mu[rec:, rows] = fmu
            traj_ell[rec:, rows] = fell
        keep = ~mask
        idx = idx[keep]
        mu, ell, aux, old = b.select((mu, ell, aux, old), keep)
        b = b.take(keep)

    old = None  # state before the last step, kept on fixed-point check steps
    with np.errstate(over="ignore", invalid="ignore"):
        mu, ell, aux = init(b, mu, ell)
        ell0 = b.rows(ell)
        t = 0
        while True:
            bad = b.diverging(mu)
            if bad is not None:  # first: a NaN row is bitwise "unchanged" too
                retire(bad, t)
            if old is not None and idx.size:
                fixed = b.unchanged(old, (*mu, *ell))
                if fixed is not None:
                    retire(fixed, steps)
            old = None
            if idx.size == 0:
                break
            if times is not None and rec < len(times) and times[rec] == t:
                traj_mu[rec, idx] = b.rows(mu)
                traj_ell[rec, idx] = b.rows(ell)
                rec += 1
            if t == steps:
                break
            # The rules never write into the arrays of the state they are given, so keeping a
            # reference is enough to compare before and after.
            old = (*mu, *ell) if check_fixed and t % FIXED_POINT_CHECK == 0 else None
            mu, ell, aux = step(b, mu, ell, aux, p)
            t += 1
    if idx.size:
        out_mu[idx] = b.rows(mu)
        out_ell[idx] = b.rows(ell)
    return _Run(out_mu, out_ell, ell0, taken, traj_mu, traj_ell)


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------


def _match_rows(name: str, arr: np.ndarray, n: int) -> np.ndarray:
    if arr.shape[0] not in (1, n):
        raise InputError(f"{name} has {arr.shape[0]} rows, mu0 has {n}")
    return np.broadcast_to(arr, (n, arr.shape[1]))


def _resolve_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputError(f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    if int(seed) < 0:
        raise InputError(f"seed must be >= 0, got {seed}")
    return int(seed)


def draw_ell0(seed: int, rows: ArrayLike) -> np.ndarray:
    """Random initial discriminators, one independent stream per row.

    Row ``i`` draws ``u ~ U[-2, 2]^4`` from ``numpy.random.default_rng([seed, i])`` and returns
    ``sort(u)``, so the draw depends only on ``(seed, i)`` (not on the batch).

    Parameters
    ----------
    seed : int
        Non-negative seed.
    rows : array_like of int
        Row indices ``i``.

    Returns
    -------
    ndarray, shape (len(rows), 4)
    """
    seed = _resolve_seed(seed)
    if seed is None:
        raise InputError("seed must be an int or a numpy.random.Generator, got None")
    idx = [check_int("rows", int(i) if isinstance(i, np.integer) else i, minimum=0) for i in np.ravel(rows)]
    out = np.empty((len(idx), 4))
    for j, i in enumerate(idx):
        out[j] = np.sort(np.random.default_rng([seed, i]).uniform(-2.0, 2.0, 4))
    return out


#: Largest ``steps`` of one ``simulate`` call: even one row costs at least a Python-level loop
#: iteration per step (docs/performance.md), so 10^9 steps already take hours; a larger value
#: is a typo and would never return.
MAX_STEPS = 10**9
#: Largest number of recorded states ``(steps // record_every + 1) * N`` of a trajectory (4.8 GB).
MAX_RECORDED_STATES = 10**8


def _check_optimal_range(mu0: np.ndarray, nu: np.ndarray, precision: str | int) -> None:
    """Supported means of the optimal discriminator (issue 11): float64 MAX_ABS_MEAN, mpmath 10^(dps/2)."""
    from gmmsym.discriminator.optimal import MAX_ABS_MEAN

    bound = MAX_ABS_MEAN if precision == "float64" else 10.0 ** (int(precision) / 2)
    why = "the optimal discriminator is not accurate beyond; see docs/reliability.md"
    check_max_abs("mu0", mu0, bound, why)
    check_max_abs("nu", nu, bound, why)


def _check_precision(precision: object) -> str | int:
    if isinstance(precision, str):
        if precision != "float64":
            raise InputError(f"precision must be 'float64' or an int number of digits, got {precision!r}")
        return precision
    return check_dps("precision", precision)


def simulate(
    nu: ArrayLike,
    mu0: ArrayLike,
    ell0: ArrayLike | None = None,
    *,
    dynamics: str = "simultaneous",
    eta: float = 0.1,
    eta_d: float | None = None,
    k: int = 1,
    steps: int = 1000,
    precision: str | int = "float64",
    record_every: int | None = None,
    seed: int | np.random.Generator | None = None,
    tol: float = 0.1,
) -> SimulationResult:
    """Run GAN dynamics on a batch of independent rows (see the module docstring for the rules).

    Parameters
    ----------
    nu : array_like, shape (N, 2) or (2,)
        True means (finite); a single row is broadcast.
    mu0 : array_like, shape (N, 2) or (2,)
        Initial generator means (finite).
    ell0 : array_like, shape (N, 4) or (4,), optional
        Initial discriminators, ordered ``l1 <= r1 <= l2 <= r2`` (``+-inf`` allowed).  If None,
        drawn per row from ``seed`` (:func:`draw_ell0`).  Ignored by ``optimal`` (which uses
        ``ell*(mu)``).
    dynamics : str
        One of :data:`DYNAMICS`.
    eta : float
        Generator step size ``eta_g > 0`` (and the default ``eta_d``).
    eta_d : float, optional
        Discriminator step size ``> 0``; default ``eta``.  Not used by ``optimal``.
    k : int
        Discriminator steps per generator step for ``alternating`` (``>= 1``).
    steps : int
        Number of generator steps (``>= 0``).
    precision : "float64" or int
        ``"float64"``: batched on the generated kernels.  An int ``>= 15``: that many decimal
        digits with mpmath, row by row (:mod:`gmmsym.kernels.mp`).
    record_every : int, optional
        Record the state every that many steps (``t = 0`` included).
    seed : int or numpy.random.Generator, optional
        Required when ``ell0`` is None (and the dynamics is not ``optimal``).
    tol : float
        Tolerance passed to :func:`gmmsym.outcomes.classify`.

    Returns
    -------
    SimulationResult

    Raises
    ------
    TypeError, ValueError
        Invalid arguments; the message starts with the argument's name.
    KeyboardInterrupt
        Propagates unchanged (no global state is modified: floating point error state and
        mpmath precision are restored by context managers).
    """
    dynamics = check_choice("dynamics", dynamics, DYNAMICS)
    eta = check_positive("eta", eta)
    eta_d = eta if eta_d is None else check_positive("eta_d", eta_d)
    k = check_int("k", k, minimum=1)
    steps = check_int("steps", steps, minimum=0, maximum=MAX_STEPS)
    precision = _check_precision(precision)
    if record_every is not None:
        record_every = check_int("record_every", record_every, minimum=1)
    tol = check_positive("tol", tol)
    seed_used = _resolve_seed(seed)

    nu_in, nu_a, mu0_a, ell_in, ell0_a = _initial_rows(nu, mu0, ell0, dynamics, seed_used)
    _check_size(dynamics, mu0_a, nu_a, precision, steps, record_every)
    config = _config(
        nu_in, mu0_a, ell_in, dynamics=dynamics, eta=eta, eta_d=eta_d, k=k, steps=steps,
        precision=precision, record_every=record_every, seed=seed_used, tol=tol,
    )  # fmt: skip
    return _run(nu_a, mu0_a, ell0_a, config)


def _check_size(dynamics: str, mu0_a, nu_a, precision, steps: int, record_every: int | None) -> None:
    """The supported range of the means (optimal dynamics) and of the recorded trajectory."""
    n = mu0_a.shape[0]
    if dynamics == "optimal":
        _check_optimal_range(mu0_a, nu_a, precision)
    if record_every is not None and (steps // record_every + 1) * n > MAX_RECORDED_STATES:
        raise InputError(
            f"record_every: {steps // record_every + 1} records x {n} rows exceed {MAX_RECORDED_STATES:.0e} "
            "recorded states (48 bytes each); record less often"
        )


def _initial_rows(nu, mu0, ell0, dynamics: str, seed_used: int | None):
    """Rows of ``simulate``: ``(nu as given, nu (N, 2), mu0 (N, 2), ell0 as given or None, ell0 (N, 4))``."""
    mu0_a = as_rows("mu0", mu0, 2)
    n = mu0_a.shape[0]
    nu_in = as_rows("nu", nu, 2)
    nu_a = np.ascontiguousarray(_match_rows("nu", nu_in, n))
    ell_in = None
    if ell0 is not None:
        ell_in = as_rows("ell0", ell0, 4, allow_inf=True)
        check_ordered("ell0", ell_in)
        ell0_a = np.ascontiguousarray(_match_rows("ell0", ell_in, n))
    elif dynamics == "optimal":
        ell0_a = np.full((n, 4), np.nan)  # unused: ell*(mu0) is computed
    else:
        if seed_used is None:
            raise InputError("seed: required (int or numpy.random.Generator) when ell0 is None")
        ell0_a = draw_ell0(seed_used, np.arange(n))
    return nu_in, nu_a, mu0_a, ell_in, ell0_a


def _config(nu_in: np.ndarray, mu0_a: np.ndarray, ell_in: np.ndarray | None, **options) -> dict:
    """``SimulationResult.config``: the options, then the rows as given (JSON-serialisable)."""
    rows = {"nu": nu_in.tolist(), "mu0": mu0_a.tolist()}  # nu as given: one row (broadcast) or N
    return {**options, **rows, "ell0": None if ell_in is None else ell_in.tolist()}


def _run(nu_a: np.ndarray, mu0_a: np.ndarray, ell0_a: np.ndarray, config: dict) -> SimulationResult:
    """Integrate the checked rows with the options of ``config`` (float64 batch or mpmath rows)."""
    c = config
    steps, record_every = c["steps"], c["record_every"]
    times = None if record_every is None else np.arange(0, steps + 1, record_every)
    mp_state = None
    if c["precision"] == "float64":
        b = Float64Backend(np.ascontiguousarray(nu_a[:, 0]), np.ascontiguousarray(nu_a[:, 1]))
        mu = tuple(np.ascontiguousarray(mu0_a[:, i]) for i in range(2))  # fresh copies
        ell = tuple(np.ascontiguousarray(ell0_a[:, i]) for i in range(4))
        params = _Params(-c["eta"], c["eta_d"], c["k"])
        run = _integrate(b, c["dynamics"], params, mu, ell, steps, times, np.float64)
        mu_f, ell_f, ell0_out = run.mu, run.ell, run.ell0
    else:
        options = (c["dynamics"], c["eta"], c["eta_d"], c["k"], steps, c["precision"], times)
        run = _simulate_mp(nu_a, mu0_a, ell0_a, *options)
        mp_state = {"mu": run.mu, "ell": run.ell}
        mu_f, ell_f, ell0_out = (_to_float(a) for a in (run.mu, run.ell, run.ell0))
    trajectory = None
    if times is not None:
        trajectory = {"t": times, "mu": run.traj_mu, "ell": run.traj_ell}
    return SimulationResult(
        mu=mu_f,
        ell=ell_f,
        nu=nu_a,
        mu0=mu0_a.copy(),
        ell0=ell0_out if c["dynamics"] == "optimal" else ell0_a.copy(),
        trajectory=trajectory,
        config=config,
        outcomes=classify(mu_f, ell_f, nu_a, tol=c["tol"]),
        steps_taken=run.steps_taken,
        mp_state=mp_state,
    )


def _to_float(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=object).astype(np.float64) if a.dtype == object else a


def _simulate_mp(nu_a, mu0_a, ell0_a, dynamics, eta, eta_d, k, steps, dps, times) -> _Run:
    """Row-by-row mpmath runs of the same rules; inputs are converted exactly (floats are binary)."""
    import mpmath

    parts = []
    with mpmath.workdps(dps):
        p = _Params(-mpmath.mpf(eta), mpmath.mpf(eta_d), k)
        for i in range(mu0_a.shape[0]):
            b = MpBackend(tuple(mpmath.mpf(float(v)) for v in nu_a[i]), dps)
            mu = tuple(mpmath.mpf(float(v)) for v in mu0_a[i])
            ell = tuple(mpmath.mpf(float(v)) for v in ell0_a[i])
            parts.append(_integrate(b, dynamics, p, mu, ell, steps, times, object))
    if not parts:  # no rows
        t = 0 if times is None else len(times)
        return _Run(
            np.empty((0, 2), object),
            np.empty((0, 4), object),
            np.empty((0, 4), object),
            np.empty(0, np.int64),
            None if times is None else np.empty((t, 0, 2)),
            None if times is None else np.empty((t, 0, 4)),
        )
    cat = [np.concatenate(x, axis=0) for x in zip(*(r[:4] for r in parts))]
    tm = te = None
    if times is not None:
        tm = np.concatenate([r.traj_mu for r in parts], axis=1)
        te = np.concatenate([r.traj_ell for r in parts], axis=1)
    return _Run(*cat, tm, te)
