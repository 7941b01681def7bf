"""GAN dynamics of the GMM model, batched in float64 or per row in mpmath (docs/model.md section 4).

State: generator means ``mu = (mu1, ..., muK)``, discriminator ``ell = (l1, r1, ..., lM, rM)``
ordered, truth ``nu``, for the model ``model`` (a :class:`~gmmsym.model.spec.ModelSpec`, default the
paper's ``K = M = 2``).  ``L`` is the objective of docs/model.md section 2 (the generator minimises it, the
discriminator maximises it), ``Proj`` the Euclidean projection onto ``l1 <= r1 <= ... <= rM``
(isotonic regression: :mod:`gmmsym.discriminator.projection` for ``M = 2``,
:mod:`gmmsym.discriminator.projection_any` otherwise), ``g_t = (dL/dmu, dL/dell)`` at step ``t``.
Step sizes: ``eta_g = eta`` and ``eta_d`` (default ``eta``; ``eta_d != eta`` gives two time
scales).  One *step* is one generator update:

``optimal``
    ``mu <- mu - eta_g grad_mu TV(mu)``, with ``grad_mu TV(mu) = dL/dmu(mu, ell*(mu))``
    (Danskin; :mod:`gmmsym.discriminator.optimal` for the paper's model,
    :class:`gmmsym.discriminator.warm_any.WarmCrossings` otherwise).  ``ell`` is reported as ``ell*(mu)``.
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

The update rules are written once (:mod:`gmmsym.dynamics.rules`) over a small backend interface
(gradients, projection, ``x + a g``, optimal discriminator); the float64 backend works on
component-major contiguous ``(n,)`` arrays and calls the model's generated gradient kernel
directly, the mpmath backend on tuples of ``mpf`` scalars of one row through :mod:`gmmsym.kernels.mp`.
Input checks and the initial rows are in :mod:`gmmsym.dynamics.inputs`.

Row independence and reproducibility
------------------------------------
* Every float64 operation is elementwise on contiguous arrays; nothing in an update reduces
  across rows, so a row's trajectory is bitwise the same whatever batch it runs in.  (The only
  batch-wide test, "did any row diverge?", decides which rows are removed from the working set;
  it never changes a value.)
* Random discriminators (``ell0=None``): row ``i`` uses its own stream
  ``numpy.random.default_rng([seed, i])``, draws ``2M`` endpoints i.i.d. uniform on ``[-2, 2]``
  and sorts them.  A ``numpy.random.Generator`` passed as ``seed`` is used once, to draw an int key
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

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from gmmsym.dynamics.float64 import Float64Backend
from gmmsym.dynamics.inputs import (
    MAX_RECORDED_STATES,
    MAX_STEPS,
    check_precision,
    check_size,
    draw_ell0,
    initial_rows,
    make_config,
    resolve_seed,
)
from gmmsym.dynamics.mpmath import MpBackend
from gmmsym.dynamics.protocol import Backend
from gmmsym.dynamics.result import SimulationResult
from gmmsym.dynamics.rules import (
    DYNAMICS,
    RULES,
    Params,
    _ascend,  # noqa: F401  (re-exported for proofs/mutants.py)
    gradient_evaluations,
)
from gmmsym.model.spec import PAPER, ModelSpec, check_model
from gmmsym.model.validate import check_choice, check_int, check_positive
from gmmsym.outcomes import classify

__all__ = [
    "DYNAMICS",
    "FIXED_POINT_CHECK",
    "MAX_RECORDED_STATES",
    "MAX_STEPS",
    "SimulationResult",
    "simulate",
    "draw_ell0",
    "gradient_evaluations",
]

FIXED_POINT_CHECK = 16  # steps between two bitwise fixed-point checks (module docstring)

# The rules live in gmmsym.dynamics.rules; ``_RULES`` is the same dict (a rule patched into it
# here is the rule the driver runs).
_RULES = RULES


class _Run(NamedTuple):
    mu: np.ndarray  # (n, K), float64 or object (mpf)
    ell: np.ndarray  # (n, 2M)
    ell0: np.ndarray  # (n, 2M): the discriminator at t = 0 (ell*(mu0) for optimal)
    steps_taken: np.ndarray  # (n,)
    traj_mu: np.ndarray | None  # (T, n, K) float64
    traj_ell: np.ndarray | None  # (T, n, 2M) float64


def _integrate(
    b: Backend, dynamics: str, p: Params, mu, ell, steps: int, times: np.ndarray | None, dtype
) -> _Run:
    """Run one backend's batch: record at ``times``, freeze diverging rows (module docstring)."""
    init, step = _RULES[dynamics]
    n, nk, ne = b.n, len(mu), len(ell)
    out_mu = np.empty((n, nk), dtype=dtype)
    out_ell = np.empty((n, ne), dtype=dtype)
    taken = np.full(n, steps, dtype=np.int64)
    traj_mu = traj_ell = None
    if times is not None:
        traj_mu = np.empty((len(times), n, nk))
        traj_ell = np.empty((len(times), n, ne))
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
    model: ModelSpec = PAPER,
) -> SimulationResult:
    """Run GAN dynamics on a batch of independent rows (see the module docstring for the rules).

    Parameters
    ----------
    nu : array_like, shape (N, K) or (K,)
        True means (finite); a single row is broadcast.
    mu0 : array_like, shape (N, K) or (K,)
        Initial generator means (finite).
    ell0 : array_like, shape (N, 2M) or (2M,), optional
        Initial discriminators, ordered ``l1 <= r1 <= ... <= rM`` (``+-inf`` allowed).  If None,
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
    model : ModelSpec
        ``K``, ``M``, weights and sigma (default :data:`gmmsym.PAPER`); recorded in
        ``config["model"]`` as ``model.text()``.

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
    model = check_model(model)
    dynamics = check_choice("dynamics", dynamics, DYNAMICS)
    eta = check_positive("eta", eta)
    eta_d = eta if eta_d is None else check_positive("eta_d", eta_d)
    k = check_int("k", k, minimum=1)
    steps = check_int("steps", steps, minimum=0, maximum=MAX_STEPS)
    precision = check_precision(precision)
    if record_every is not None:
        record_every = check_int("record_every", record_every, minimum=1)
    tol = check_positive("tol", tol)
    seed_used = resolve_seed(seed)

    nu_in, nu_a, mu0_a, ell_in, ell0_a = initial_rows(nu, mu0, ell0, dynamics, seed_used, model)
    check_size(dynamics, mu0_a, nu_a, precision, steps, record_every, model)
    config = make_config(
        nu_in, mu0_a, ell_in, dynamics=dynamics, eta=eta, eta_d=eta_d, k=k, steps=steps,
        precision=precision, record_every=record_every, seed=seed_used, tol=tol, model=model.text(),
    )  # fmt: skip
    return _run(nu_a, mu0_a, ell0_a, config, model)


def _run(
    nu_a: np.ndarray, mu0_a: np.ndarray, ell0_a: np.ndarray, config: dict, model: ModelSpec
) -> SimulationResult:
    """Integrate the checked rows with the options of ``config`` (float64 batch or mpmath rows)."""
    c = config
    steps, record_every = c["steps"], c["record_every"]
    times = None if record_every is None else np.arange(0, steps + 1, record_every)
    mp_state = None
    if c["precision"] == "float64":
        b = Float64Backend(*(np.ascontiguousarray(nu_a[:, i]) for i in range(model.K)), model=model)
        mu = tuple(np.ascontiguousarray(mu0_a[:, i]) for i in range(model.K))  # fresh copies
        ell = tuple(np.ascontiguousarray(ell0_a[:, j]) for j in range(2 * model.M))
        params = Params(-c["eta"], c["eta_d"], c["k"])
        run = _integrate(b, c["dynamics"], params, mu, ell, steps, times, np.float64)
        mu_f, ell_f, ell0_out = run.mu, run.ell, run.ell0
    else:
        options = (c["dynamics"], c["eta"], c["eta_d"], c["k"], steps, c["precision"], times)
        run = _simulate_mp(nu_a, mu0_a, ell0_a, *options, model=model)
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
        outcomes=classify(mu_f, ell_f, nu_a, tol=c["tol"], model=model),
        steps_taken=run.steps_taken,
        mp_state=mp_state,
    )


def _to_float(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=object).astype(np.float64) if a.dtype == object else a


def _simulate_mp(nu_a, mu0_a, ell0_a, dynamics, eta, eta_d, k, steps, dps, times, *, model=PAPER) -> _Run:
    """Row-by-row mpmath runs of the same rules; inputs are converted exactly (floats are binary)."""
    import mpmath

    parts = []
    with mpmath.workdps(dps):
        p = Params(-mpmath.mpf(eta), mpmath.mpf(eta_d), k)
        for i in range(mu0_a.shape[0]):
            b = MpBackend(tuple(mpmath.mpf(float(v)) for v in nu_a[i]), dps, model)
            mu = tuple(mpmath.mpf(float(v)) for v in mu0_a[i])
            ell = tuple(mpmath.mpf(float(v)) for v in ell0_a[i])
            parts.append(_integrate(b, dynamics, p, mu, ell, steps, times, object))
    if not parts:  # no rows
        t = 0 if times is None else len(times)
        nk, ne = model.K, 2 * model.M
        return _Run(
            np.empty((0, nk), object),
            np.empty((0, ne), object),
            np.empty((0, ne), object),
            np.empty(0, np.int64),
            None if times is None else np.empty((t, 0, nk)),
            None if times is None else np.empty((t, 0, ne)),
        )
    cat = [np.concatenate(x, axis=0) for x in zip(*(r[:4] for r in parts))]
    tm = te = None
    if times is not None:
        tm = np.concatenate([r.traj_mu for r in parts], axis=1)
        te = np.concatenate([r.traj_ell for r in parts], axis=1)
    return _Run(*cat, tm, te)
