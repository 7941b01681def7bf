"""C9: away from the optimum and the diagonal, ``||grad TV||`` is bounded below (Lemma 4.3).

Region (certified part)
    ``nu = (-0.5, 0.5)``, ``delta = 0.1``, box ``C = 1``::

        R = { mu in [-1, 1]^2 : |mu1 - mu2| >= delta,  dist(mu, nu) >= delta },
        dist(mu, nu) = min( max_i |mu_i - nu_i|, max_i |mu_(3-i) - nu_i| )   (docs/model.md section 5).

Argument (rigorous)
    1. *Gradient as an integral.*  ``TV(mu) = 1/2 int |g(x; mu)| dx`` with
       ``g = p* - p_mu``.  For ``mu`` not equal to ``nu`` up to swapping, ``g(., mu)`` is a
       non-zero real-analytic function, so its zero set is finite.  For each ``x`` off that set
       ``|g|`` is differentiable in ``mu``, and ``| |g(x; mu + h e_i)| - |g(x; mu)| | / |h|`` is
       bounded by ``sup_{|s| <= 1} |d g / d mu_i|(x; mu + s e_i)``, an integrable function of
       ``x``.  By dominated convergence ``TV`` is differentiable (indeed C^1) there and

           dTV/dmu_i = 1/2 int sign(g) dg/dmu_i dx = -1/4 int sign(g(x)) (x - mu_i) phi(x - mu_i) dx,

       which equals Danskin's ``dL/dmu_i (mu, ell*(mu))`` of docs/model.md section 3 (split the
       integral at the crossings and use ``int_a^b (x - m) phi(x - m) dx = phi(a - m) - phi(b - m)``).
       No root finding and no tangency assumption is needed.
    2. *Enclosure on a box* ``B = [a1, b1] x [a2, b2]`` of ``mu``.  Cut ``[-X, X]`` (``X = 6``)
       into cells; on each cell evaluate ``G = e^{-(x-nu1)^2/2} + e^{-(x-nu2)^2/2} -
       e^{-(x-mu1)^2/2} - e^{-(x-mu2)^2/2}`` (``= 2 sqrt(2 pi) g``) in arb interval arithmetic
       with ``x`` the cell and ``mu`` the box (the squares are enclosed by their exact ranges).
       Cells where the sign is not decided are bisected down to a width ``w_min``.  Maximal runs
       ``[a, b]`` of decided sign ``s`` contribute exactly ``-s/4 [phi(a - mu_i) - phi(b - mu_i)]``
       (enclosed over ``mu_i`` in the box); runs of undecided cells contribute at most
       ``1/4 int_a^b |x - mu_i| phi(x - mu_i) dx`` in absolute value (enclosed case by case:
       ``phi(a-m) - phi(b-m)`` if ``a >= m``, the mirror if ``b <= m``, ``2 phi(0) - phi(a-m) -
       phi(b-m)`` otherwise); the two tails beyond ``+-X`` contribute at most
       ``1/4 phi(X - max|mu_i|)`` each.  The result is a ball ``[G_i]`` containing
       ``dTV/dmu_i(mu)`` for every ``mu`` in ``B``, and
       ``||grad TV|| >= sqrt(sum_i dist(0, [G_i])^2)`` on ``B``.
    3. *Cover.*  Start from the grid of ``h0 = 0.1`` boxes on ``[-1, 1]^2`` (aligned with the
       squares ``dist(mu, nu) < delta``), drop boxes lying entirely in
       ``|mu1 - mu2| <= delta + 1e-12`` (``max(|b1 - a2|, |a1 - b2|) <= delta + 1e-12``, exact
       rational arithmetic on the corners, so that no diagonal box is kept or dropped by
       rounding) or entirely in the closed squares of half-side ``delta + 1e-12`` around
       ``nu`` and ``(nu2, nu1)``; a box whose lower bound is not positive is split into four,
       down to ``max_depth`` levels; certified boxes whose bound is below a target (5e-3, at
       the thorough budget 1e-2) are split as well, to sharpen the reported bound.  Kept boxes
       may stick out of ``R``: positivity is then certified on a superset.  The thorough budget
       starts from ``h0 = 0.05``.  By the label symmetry ``TV(mu1, mu2) = TV(mu2, mu1)`` (the
       generator's mixture does not depend on the order), ``||grad TV||`` is symmetric under the
       swap, and so is ``R``; the quick budget certifies the half ``mu1 >= mu2`` (boxes lying
       entirely in ``mu1 <= mu2`` are skipped), the other budgets certify both halves directly.
    Every arb comparison (``>``, ``<``) is true only when certain (python-flint semantics), and
    cell and box ends are exact binary numbers, so the conclusion is rigorous up to the
    correctness of arb's ``exp``.

Grid estimate (the library's float64 gradient)
    ``min ||gmmsym.tv_gradient(mu, nu)||`` over a fine grid of the region for several
    ``(nu, C, delta)``: an estimate of the constant in ``||grad TV|| >= (delta e^{-C^2}/C)^{O(1)}``.

Cross-check
    At the centre and the corners of every certified box the float64 ``gmmsym.tv_gradient``
    must lie inside the box's enclosure (slack 64 ulps of 1 for the float64 rounding; the
    enclosures are at least ~1e-4 wide).  This ties the certificate to the library's gradient.

Pass criterion
    Every box of the cover certified (no box left after ``max_depth`` splits), the certified
    lower bound ``> 0``; every grid minimum ``> 0``; grid minimum over the certified region
    ``>=`` the certified bound; every cross-check value inside its enclosure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import arb, ctx

import gmmsym

from ._common import fmt
from .framework import CERTIFIED, Checks, Claim, Evidence, sized

__all__ = ["CLAIM", "run", "CoverResult", "certified_cover", "gradient_enclosure", "grid_minimum"]

CLAIM = Claim(
    id="C9",
    title="||grad TV|| bounded below off optimum/diagonal",
    statement=(
        "For means in [-C, C]^2 with the true means separated, ||grad TV(mu)|| >= "
        "(delta e^{-C^2}/C)^{O(1)} whenever |mu1 - mu2| >= delta and dist(mu, nu) >= delta.  Certified "
        "for nu = (-0.5, 0.5), C = 1, delta = 0.1: ||grad TV|| > 0 (with an explicit lower bound) on "
        "R = {mu in [-1,1]^2 : |mu1 - mu2| >= 0.1, dist(mu, nu) >= 0.1}."
    ),
    source="Lemma 4.3 as numbered in the paper (gradient lower bound).",
    method=CERTIFIED,
    criterion=(
        "every box of the cover of R has a python-flint enclosure of grad TV with a positive lower bound "
        "on its norm; grid minima of the float64 gradient > 0 and >= the certified bound on R; float64 "
        "gradients at box centres/corners inside the enclosures (slack 64 ulps of 1)."
    ),
    judge="python-flint enclosure of the TV-gradient integral (no root finding)",
)

NU = (-0.5, 0.5)
BOX = 1.0
DELTA = 0.1
#: Boxes whose points all lie within ``delta + BAND_TOL`` of the band or of nu are dropped: the
#: certified region is ``R`` with ``delta`` replaced by ``delta + 1e-12`` (far below the grid step).
BAND_TOL = 1e-12
X_CUT = 6.0
PREC = 64
ULP1 = 2.0**-52


# ----------------------------------------------------------------------------------------------
# interval arithmetic


def _iv(lo: float, hi: float) -> arb:
    """A ball containing the interval ``[lo, hi]`` (ends exact binary numbers)."""
    return arb.union(arb(lo), arb(hi))


def _sq_range(t: arb) -> arb:
    """A ball containing ``{s^2 : s in t}`` (the exact range, not ``t * t``)."""
    lo, hi = t.lower(), t.upper()
    sq = arb.union(lo * lo, hi * hi)
    return arb.union(arb(0), sq) if t.contains(0) else sq


def _gauss(t: arb) -> arb:
    """``exp(-t^2/2)`` over the ball ``t``."""
    return (-_sq_range(t) / 2).exp()


def _G(x: arb, m1: arb, m2: arb, n1: arb, n2: arb) -> arb:
    return _gauss(x - n1) + _gauss(x - n2) - _gauss(x - m1) - _gauss(x - m2)


def _abs_moment(a: float, b: float, m: arb) -> arb:
    """Upper bound of ``int_a^b |x - m| e^{-(x-m)^2/2} dx`` over ``m`` in the ball (a ball)."""
    A, B = arb(a) - m, arb(b) - m
    cands = []
    if not (A < 0):  # a - m >= 0 possible: integrand (x - m) >= 0 on [a, b]
        cands.append(_gauss(A) - _gauss(B))
    if not (B > 0):  # b - m <= 0 possible
        cands.append(_gauss(B) - _gauss(A))
    if not (A >= 0) and not (B <= 0):  # m inside (a, b) possible
        cands.append(2 - _gauss(A) - _gauss(B))
    u = cands[0]
    for c in cands[1:]:
        u = arb.union(u, c)
    return u.upper()


def _signs(a: float, b: float, m1: arb, m2: arb, n1: arb, n2: arb, wmin: float, out: list) -> None:
    v = _G(_iv(a, b), m1, m2, n1, n2)
    if v > 0:
        out.append((a, b, 1))
    elif v < 0:
        out.append((a, b, -1))
    elif b - a <= wmin:
        out.append((a, b, 0))
    else:
        c = 0.5 * (a + b)
        _signs(a, c, m1, m2, n1, n2, wmin, out)
        _signs(c, b, m1, m2, n1, n2, wmin, out)


def gradient_enclosure(
    box: tuple[float, float, float, float],
    nu: tuple[float, float] = NU,
    *,
    w0: float = 0.5,
    wmin: float | None = None,
    prec: int = PREC,
) -> tuple[arb, arb]:
    """Balls containing ``dTV/dmu_1`` and ``dTV/dmu_2`` for every ``mu`` in ``box``.

    Parameters
    ----------
    box : (a1, b1, a2, b2)
        ``mu1 in [a1, b1]``, ``mu2 in [a2, b2]`` (exact floats).
    nu : pair of float
        True means.
    w0 : float
        Initial cell width on ``[-X, X]`` (``X = 6``).
    wmin : float, optional
        Smallest cell width (default: half the box width, at most 1/16).
    prec : int
        arb working precision in bits.

    Notes
    -----
    Valid only for boxes that do not contain ``nu`` or ``(nu2, nu1)`` (there ``TV`` is not
    differentiable); see the module docstring for the argument.
    """
    a1, b1, a2, b2 = box
    if wmin is None:
        wmin = min(1 / 16, (b1 - a1) / 2)
    with ctx.workprec(prec):
        m1, m2 = _iv(a1, b1), _iv(a2, b2)
        n1, n2 = arb(nu[0]), arb(nu[1])
        cells: list = []
        n = int(round(2 * X_CUT / w0))
        for k in range(n):
            _signs(-X_CUT + k * w0, -X_CUT + (k + 1) * w0, m1, m2, n1, n2, wmin, cells)
        runs: list[list] = []
        for a, b, s in cells:
            if runs and runs[-1][2] == s and runs[-1][1] == a:
                runs[-1][1] = b
            else:
                runs.append([a, b, s])
        inv = (2 * arb.pi()).rsqrt()
        out = []
        for m in (m1, m2):
            total = arb(0)
            bound = arb(0)
            for a, b, s in runs:
                if s == 0:
                    bound += _abs_moment(a, b, m)
                else:
                    total -= s * (_gauss(arb(a) - m) - _gauss(arb(b) - m))
            tail = 2 * _gauss(arb(X_CUT) - abs(m).upper())
            bound = (bound + tail).upper()
            out.append((total + arb.union(-bound, bound)) * inv / 4)
        return out[0], out[1]


def _norm_lower(g: tuple[arb, arb]) -> arb:
    """A lower bound (ball at its lower end) of ``||v||`` over ``v`` in the product of balls."""
    s = arb(0)
    for gi in g:
        if gi > 0:
            s += gi.lower() ** 2
        elif gi < 0:
            s += gi.upper() ** 2
    return s.sqrt().lower() if s > 0 else arb(0)


def _round_down(x: arb) -> float:
    """A float ``<=`` every point of ``x`` (for reporting certified lower bounds)."""
    v = float(x.lower().mid())
    return math.nextafter(math.nextafter(v, -math.inf), -math.inf)


@dataclass
class CoverResult:
    """Certified boxes of a cover: ``(box, lower_bound_float, (g1, g2))``; failed boxes; counts."""

    boxes: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    evaluations: int = 0
    skipped_by_symmetry: int = 0

    @property
    def min_lower_bound(self) -> float:
        return min((lb for _, lb, _ in self.boxes), default=0.0)


def _outside(box, nu, delta) -> bool:
    """True when the box holds no point of the region up to ``BAND_TOL`` (exact rational test).

    The corners are float sums ``-C + i h0``; a diagonal box of side ``h0 = delta`` has an exact
    maximal ``|mu1 - mu2|`` of ``delta`` plus or minus a rounding error, so a strict float test
    would keep some diagonal boxes and drop others.  The distances are computed exactly (as
    fractions of the float corners) and compared with ``delta + BAND_TOL``.
    """
    a1, b1, a2, b2 = (Fraction(v) for v in box)
    lim = Fraction(delta) + Fraction(BAND_TOL)
    if max(abs(b1 - a2), abs(a1 - b2)) <= lim:  # within the closed band |mu1 - mu2| <= delta + tol
        return True
    for n1, n2 in (nu, nu[::-1]):
        n1, n2 = Fraction(n1), Fraction(n2)
        if max(abs(a1 - n1), abs(b1 - n1)) <= lim and max(abs(a2 - n2), abs(b2 - n2)) <= lim:
            return True
    return False


def _certify(box, nu, prec) -> tuple[float | None, tuple]:
    g = gradient_enclosure(box, nu, prec=prec)
    with ctx.workprec(prec):
        lb = _norm_lower(g)
        return (_round_down(lb) if lb > 0 else None), g


def _split(box, depth):
    a1, b1, a2, b2 = box
    c1, c2 = 0.5 * (a1 + b1), 0.5 * (a2 + b2)
    return [
        ((a1, c1, a2, c2), depth + 1),
        ((c1, b1, a2, c2), depth + 1),
        ((a1, c1, c2, b2), depth + 1),
        ((c1, b1, c2, b2), depth + 1),
    ]


def certified_cover(
    nu: tuple[float, float] = NU,
    box: float = BOX,
    delta: float = DELTA,
    *,
    h0: float = 0.1,
    max_depth: int = 6,
    half: bool = True,
    prec: int = PREC,
    target: float = 0.0,
) -> CoverResult:
    """Certify ``||grad TV|| > 0`` on the region of the module docstring by adaptive boxes.

    A box whose lower bound is not positive is split (up to ``max_depth`` levels).  With
    ``target > 0``, a certified box whose bound is below ``target`` is also split, and its four
    children replace it when all of them are certified with a better minimum (otherwise the
    parent's certificate is kept): this only sharpens the reported bound.
    """
    n = int(round(2 * box / h0))
    todo = [
        ((-box + i * h0, -box + (i + 1) * h0, -box + j * h0, -box + (j + 1) * h0), 0)
        for i in range(n)
        for j in range(n)
    ]
    res = CoverResult()
    while todo:
        b, depth = todo.pop()
        if _outside(b, nu, delta):
            continue
        if half and b[1] <= b[2]:  # entirely in mu1 <= mu2: mirror image of a box of the other half
            res.skipped_by_symmetry += 1
            continue
        lb, g = _certify(b, nu, prec)
        res.evaluations += 1
        if lb is None:
            if depth < max_depth:
                todo += _split(b, depth)
            else:
                res.failed.append(b)
            continue
        if lb < target and depth < max_depth:
            kids = [(k, d) for k, d in _split(b, depth) if not _outside(k, nu, delta)]
            certs = [(k, *_certify(k, nu, prec)) for k, _ in kids]
            res.evaluations += len(kids)
            if certs and all(c[1] is not None for c in certs) and min(c[1] for c in certs) > lb:
                for k, klb, kg in certs:
                    if klb < target and depth + 1 < max_depth:
                        todo.append((k, depth + 1))  # refine again (re-certified there)
                    else:
                        res.boxes.append((k, klb, kg))
                continue
        res.boxes.append((b, lb, g))
    return res


# ----------------------------------------------------------------------------------------------
# grid estimate with the library's float64 gradient


def _in_region(mu: np.ndarray, nu, delta: float) -> np.ndarray:
    sep = np.abs(mu[:, 0] - mu[:, 1]) >= delta
    straight = np.maximum(np.abs(mu[:, 0] - nu[0]), np.abs(mu[:, 1] - nu[1]))
    swapped = np.maximum(np.abs(mu[:, 1] - nu[0]), np.abs(mu[:, 0] - nu[1]))
    return sep & (np.minimum(straight, swapped) >= delta)


def grid_minimum(nu, C: float, delta: float, points: int) -> tuple[float, list]:
    """``min ||tv_gradient||`` on a ``points x points`` grid of ``[-C, C]^2`` restricted to the region."""
    g = np.linspace(-C, C, points)
    mu = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    mu = mu[_in_region(mu, nu, delta)]
    norms = np.linalg.norm(gmmsym.tv_gradient(mu, np.asarray(nu, dtype=float)), axis=1)
    k = int(np.argmin(norms))
    return float(norms[k]), mu[k].tolist()


def _cross_check(cover: CoverResult) -> tuple[int, list]:
    """float64 ``tv_gradient`` at box centres and corners inside the certified enclosures."""
    pts, encl = [], []
    for (a1, b1, a2, b2), _, g in cover.boxes:
        for p in ((0.5 * (a1 + b1), 0.5 * (a2 + b2)), (a1, a2), (a1, b2), (b1, a2), (b1, b2)):
            pts.append(p)
            encl.append(g)
    grads = gmmsym.tv_gradient(np.array(pts), np.array(NU))
    bad = []
    slack = 64 * ULP1
    for p, v, g in zip(pts, grads, encl):
        for vi, gi in zip(v, g):
            lo = float(gi.lower().mid()) - slack
            hi = float(gi.upper().mid()) + slack
            if not lo <= vi <= hi:
                bad.append({"mu": p, "value": float(vi), "enclosure": str(gi)})
    return len(pts), bad


def _figure(cover: CoverResult, points: int = 201) -> object:
    """Left: the certified boxes coloured by their lower bound; right: the float64 ``||grad TV||``."""
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(9.5, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    rects, values = [], []
    for (a1, b1, a2, b2), lb, _ in cover.boxes:
        rects.append(Rectangle((a1, a2), b1 - a1, b2 - a2))
        values.append(lb)
    coll = PatchCollection(
        rects,
        cmap="magma",
        norm=LogNorm(vmin=max(min(values), 1e-6), vmax=max(values)),
        edgecolor="k",
        linewidth=0.2,
    )
    coll.set_array(np.array(values))
    ax1.add_collection(coll)
    fig.colorbar(coll, ax=ax1, label="certified lower bound of ||grad TV||")
    g = np.linspace(-BOX, BOX, points)
    mu = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    norm = np.linalg.norm(gmmsym.tv_gradient(mu, np.array(NU)), axis=1).reshape(points, points)
    norm = np.where(_in_region(mu, NU, DELTA).reshape(points, points), norm, np.nan)
    im = ax2.imshow(
        norm.T,
        origin="lower",
        extent=(-BOX, BOX, -BOX, BOX),
        cmap="magma",
        norm=LogNorm(vmin=max(np.nanmin(norm), 1e-6), vmax=np.nanmax(norm)),
    )
    fig.colorbar(im, ax=ax2, label="float64 ||grad TV|| on R")
    for ax, title in ((ax1, f"certified cover ({len(rects)} boxes)"), (ax2, "grid estimate")):
        ax.set_xlim(-BOX, BOX)
        ax.set_ylim(-BOX, BOX)
        ax.set_aspect("equal")
        ax.plot([NU[0], NU[1]], [NU[1], NU[0]], "c*", ms=9, ls="none", label="true means nu and (nu2, nu1)")
        diag = np.array([-BOX, BOX])
        ax.plot(diag, diag + DELTA, "c--", lw=0.8, label="|mu1 - mu2| = delta (band excluded)")
        ax.plot(diag, diag - DELTA, "c--", lw=0.8)
        ax.legend(fontsize=7, loc="upper left", framealpha=0.8)
        ax.set_xlabel("mu1")
        ax.set_ylabel("mu2")
        ax.set_title(title, fontsize=9)
    fig.suptitle("C9: ||grad TV|| on R, nu = (-0.5, 0.5), delta = 0.1", fontsize=10)
    return fig


def run(budget: str = "default", *, seed: int = 0) -> Evidence:
    """Check C9 at ``budget``; see the module docstring for the check and the criterion."""
    checks = Checks(seed=seed, budget=budget, nu=NU, C=BOX, delta=DELTA)
    half = budget == "quick"
    h0 = sized(budget, 0.1, 0.1, 0.05)
    target = sized(budget, 5e-3, 5e-3, 1e-2)
    cover = certified_cover(NU, BOX, DELTA, h0=h0, half=half, target=target)
    depths = {}
    for (a1, b1, _, _), _, _ in cover.boxes:
        w = round(math.log2(h0 / (b1 - a1)))
        depths[str(w)] = depths.get(str(w), 0) + 1
    lb = cover.min_lower_bound
    checks.add(
        "certified: ||grad TV|| > 0 on every box of the cover of R (nu=(-0.5,0.5), C=1, delta=0.1)",
        not cover.failed and bool(cover.boxes) and lb > 0,
        boxes=len(cover.boxes),
        boxes_by_split_depth=depths,
        evaluations=cover.evaluations,
        failed_boxes=cover.failed[:10],
        certified_lower_bound=lb,
        covered="half mu1 >= mu2 (label symmetry)" if half else "both halves",
        skipped_by_symmetry=cover.skipped_by_symmetry,
        initial_box_width=h0,
        refinement_target=target,
    )
    n_pts, bad = _cross_check(cover)
    checks.add(
        "float64 tv_gradient at box centres/corners inside the certified enclosures",
        not bad and n_pts > 0,
        points=n_pts,
        outside=bad[:5],
    )

    points = sized(budget, 201, 401, 801)
    settings = [(NU, BOX, DELTA)]
    settings += sized(
        budget,
        [((-1.0, 1.0), 2.0, 0.1)],
        [((-1.0, 1.0), 2.0, 0.1), ((0.0, 0.3), 1.0, 0.1), ((-0.5, 0.5), 1.0, 0.2), ((-1.5, 0.5), 2.0, 0.2)],
        [
            ((-1.0, 1.0), 2.0, 0.1),
            ((0.0, 0.3), 1.0, 0.1),
            ((-0.5, 0.5), 1.0, 0.2),
            ((-1.5, 0.5), 2.0, 0.2),
            ((-2.5, 2.5), 3.0, 0.1),
            ((1.0, 1.2), 2.0, 0.05),
        ],
    )
    table = []
    for nu, C, delta in settings:
        gmin, where = grid_minimum(nu, C, delta, points)
        table.append(
            {
                "nu": nu,
                "C": C,
                "delta": delta,
                "grid": points,
                "min_norm": gmin,
                "argmin": where,
                "delta_exp_minus_C2_over_C": delta * math.exp(-C * C) / C,
            }
        )
    checks.add(
        "grid: min ||tv_gradient|| > 0 in every setting",
        all(row["min_norm"] > 0 for row in table),
        settings=table,
    )
    checks.add(
        "grid minimum on R >= certified lower bound",
        table[0]["min_norm"] >= lb,
        grid_min_on_R=table[0]["min_norm"],
        certified_lower_bound=lb,
    )
    if cover.boxes:
        checks.figures["c09_gradient_bound"] = _figure(cover)
    return checks.evidence(
        f"certified ||grad TV|| >= {fmt(lb)} on R ({len(cover.boxes)} boxes); "
        f"grid min {fmt(table[0]['min_norm'])}"
    )
