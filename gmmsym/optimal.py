"""Optimal discriminator, TV distance and its gradient (MODEL.md section 3), float64, vectorized.

The optimal discriminator is ``A*(mu) = {x : p*(x) > p_mu(x)}`` and
``max_ell L(mu, ell) = 1 + TV(P*, G_mu)``.  With ``t_a(x) = a x - a^2/2``,

.. math::

    p^*(x) - p_\\mu(x) = \\frac{e^{-x^2/2}}{2\\sqrt{2\\pi}}\\, g(x), \\qquad
    g(x) = e^{t_{\\nu_1}(x)} + e^{t_{\\nu_2}(x)} - e^{t_{\\mu_1}(x)} - e^{t_{\\mu_2}(x)},

an exponential sum ``sum_k c_k exp(a_k x)`` with ``c_k = +-exp(-a_k^2/2)``.  Its crossings (sign
changes) bound ``A*``.

Root isolation (every row independently, batch-invariant)
--------------------------------------------------------
*Descartes' rule for exponential sums* (Laguerre): after merging equal exponents (``nu_i == mu_j``
cancel, ``nu_1 == nu_2`` doubles), the number of real zeros with multiplicity is
``V - 2k`` where ``V`` is the number of sign changes of the coefficients ordered by exponent.
With ``nu_a <= nu_b`` and ``mu_a <= mu_b`` sorted, the interleaving decides ``V``:

* ``V = 1`` (``nu nu mu mu`` or ``mu mu nu nu``, or two terms left after a cancellation):
  exactly one crossing.  Two terms: closed form ``x = (nu + mu)/2``.
* ``V = 2`` (``nu mu mu nu`` or ``mu nu nu mu``): two zeros or none; since
  ``integral g e^{-x^2/2} = 0`` and ``g`` is not identically 0, ``g`` takes both signs, so there
  are exactly two crossings.
* ``V = 3`` (``nu mu nu mu`` or ``mu nu mu nu``): one or three crossings.

*Rolle chain*: with ``a_p`` the smallest exponent,
``S_3 = (d/dx - a_p) g = sum_k c_k (a_k - a_p) e^{a_k x}`` is the derivative of ``e^{-a_p x} g``
times ``e^{a_p x}``, so between two zeros of ``g`` lies a zero of ``S_3``; ``S_3`` has one sign
change fewer (the first two coefficients of ``g`` differ in sign when ``V >= 2``).  Likewise
``S_2 = (d/dx - a_2) S_3`` has two terms when ``V = 3``, with the closed-form zero

.. math::

    z_2 = \\frac{a_3 + a_4}{2}
        + \\frac{\\log\\frac{(a_3 - a_1)(a_3 - a_2)}{(a_4 - a_1)(a_4 - a_2)}}{a_4 - a_3}
    \\quad \\text{(evaluated with log1p of } -\\tfrac{a_4 - a_3}{a_4 - a_k}\\text{)}.

So: ``V = 2``: one zero ``z`` of ``S_3`` splits the line into two pieces, each holding one crossing.
``V = 3``: ``z_2`` splits the line for ``S_3`` (zero or two zeros ``z_a < z_b``, decided by the
sign of ``S_3(z_2)``), and ``z_a, z_b`` split it for ``g``.  On each piece a crossing exists iff
``g`` has strictly opposite signs at its ends (the signs at ``+-inf`` are those of the extreme
terms).

*Root bounds*: the top term dominates the others beyond

.. math:: X_+ = \\max_{k:\\,a_k < a_n} \\frac{\\log 3 + \\lambda_k - \\lambda_n}{a_n - a_k},
   \\qquad \\lambda_k = \\log|c_k|,

(and symmetrically ``X_-``), so every zero lies in ``[X_-, X_+]``; these close the unbounded
pieces (clipped to ``+-1e200``).

*Solving a piece*: safeguarded Newton on the log ratio ``phi = log(P/N)`` (``P``, ``N`` the
positive and negative parts of the sum: asymptotically linear, so Newton steps are good even far
from the zero) with the bracket updated by the sign of ``g`` at every iterate; a Newton step
leaving the bracket or not halving (Numerical Recipes' ``rtsafe`` rule) is replaced by bisection
in the bit pattern of the floats (at most 64 halvings for any finite bracket).  Each element
stops on its own test (step below ``4 eps (|x| + scale)``, adjacent floats, or ``_MAXIT``
iterations), so its result does not depend on the batch.

*Scaling and accuracy*: ``g`` is evaluated in *pair form* with ``nu_a`` paired with ``mu_a`` and
``nu_b`` with ``mu_b``:

.. math::

    e^{t_\\nu} - e^{t_\\mu} = \\operatorname{sign}(\\Delta)\\, e^{\\max(t_\\nu, t_\\mu)}
        \\,(-\\operatorname{expm1}(-|\\Delta|)),
    \\qquad \\Delta = t_\\nu - t_\\mu = (\\nu - \\mu)(x - \\tfrac{\\nu+\\mu}{2}),

each pair scaled by ``exp(M_i - max(M_1, M_2))`` (no overflow or underflow for means up to
``1e100``), so ``g`` keeps a small *relative* error even when ``mu`` is close to ``nu`` (no
cancellation of nearly equal terms).

Tangencies: a zero without a sign change (a double root, a touching zero) is **not** a crossing:
it does not bound ``A*`` (``{g > 0}`` is unchanged by it).  A triple zero is a crossing.

Encoding **[choice]** (MODEL.md section 3): sorted crossings ``x_1 < x_2 < x_3`` become
``ell* = (l1, r1, l2, r2)`` with unbounded ends ``+-inf``; an unused interval is collapsed onto the
endpoint before it: one crossing with ``p* > p_mu`` on the left is ``(-inf, x1, x1, x1)``, on the
right ``(x1, inf, inf, inf)``; two crossings: ``(x1, x2, x2, x2)`` or ``(-inf, x1, x2, inf)``;
three: ``(-inf, x1, x2, x3)`` or ``(x1, x2, x3, inf)``.

Non-uniqueness: at ``mu = nu`` up to swapping ``g == 0`` and every discriminator is optimal.  Such
rows get ``n_crossings = -1``, ``ell* = NaN``, ``TV = 0`` and gradient ``0`` (``TV`` attains its
minimum there, so ``0`` is a (Clarke) subgradient; Danskin's formula does not apply).
``n_crossings = 0`` would mean that float64 cannot resolve the sign change of a ``V = 2`` row (it
never happened in testing); such a row gets ``ell*`` collapsed (``A* = {}``) or ``(-inf, inf, inf,
inf)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gmmsym._special import normal_pdf
from gmmsym._validate import as_points, broadcast_leading

__all__ = ["optimal_discriminator", "tv_distance", "tv_gradient", "optimal_endpoints", "MAX_ABS_MEAN"]

MAX_ABS_MEAN = 1e100
"""Largest accepted ``|mu_i|``, ``|nu_i|`` (squares and products must stay finite)."""

_BIG = 1e200  # root brackets are clipped to [-_BIG, _BIG]
_LOG3 = float(np.log(3.0))
_EPS = float(np.finfo(np.float64).eps)
_MAXIT = 100
_MIN_KEY = np.int64(-(2**63))


# ----------------------------------------------------------------------------------------------
# bisection in the bit pattern of floats
# ----------------------------------------------------------------------------------------------


def _key(x: np.ndarray) -> np.ndarray:
    """Monotone map float64 -> int64 (``-0.0`` and ``0.0`` both map to 0)."""
    i = x.view(np.int64)
    return np.where(i < 0, _MIN_KEY - i, i)


def _unkey(k: np.ndarray) -> np.ndarray:
    return np.where(k < 0, _MIN_KEY - k, k).view(np.float64)


def _bitmid(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The float halfway between ``lo`` and ``hi`` in bit-pattern order (finite inputs)."""
    a = _key(lo)
    b = _key(hi)
    return _unkey((a >> 1) + (b >> 1) + (a & b & 1))


# ----------------------------------------------------------------------------------------------
# evaluation of a level of the Rolle chain in pair form
# ----------------------------------------------------------------------------------------------


def _take(t: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in t.items()}


def _log_params(nu_a, mu_a, nu_b, mu_b, a_p=None) -> dict[str, np.ndarray]:
    """Parameters of the log form of a level sum ``S = P - N``.

    ``P = sum_i exp(u_i)``, ``u_i = nu_i x + o_i``, ``o_i = log(alpha_i) - nu_i^2/2`` (``N`` alike
    with ``mu``, ``beta``); level 4: ``alpha = beta = 1``; level 3: ``alpha_i = nu_i - a_p``,
    ``beta_i = mu_i - a_p`` (``log 0 = -inf`` drops the term ``a_p``).
    """
    t = {}
    for grp, (x_a, x_b) in (("n", (nu_a, nu_b)), ("m", (mu_a, mu_b))):
        t[grp + "a"] = x_a
        t[grp + "d"] = x_b - x_a
        for s, v in (("a", x_a), ("b", x_b)):
            off = -(v * v) * 0.5
            if a_p is not None:
                with np.errstate(divide="ignore"):
                    off = off + np.log(v - a_p)
            t[grp + "o" + s] = off
            t[grp + "s" + s] = v
    return t


def _group(x, slope_a, slope_b, off_a, off_b, base, diff):
    """``(log sum_i exp(slope_i x + off_i), d/dx of it)`` for two terms."""
    ua = slope_a * x + off_a
    ub = slope_b * x + off_b
    d = ub - ua
    e = np.exp(-np.abs(d))
    top = np.fmax(ua, ub)
    w_b = np.where(d >= 0, 1.0, e) / (1.0 + e)  # softmax weight of term b
    return top, 1.0 + e, base + diff * w_b


def _eval_log(x: np.ndarray, t: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(phi, phi', noise)`` with ``phi = log P - log N`` (``sign(phi) = sign(S)``).

    ``noise = eps (|log P| + |log N|)`` bounds the rounding error of ``phi``: below it the sign
    of ``phi`` is not trustworthy and the pair form takes over (:func:`_solve`).
    """
    tp, sp, dp = _group(x, t["nsa"], t["nsb"], t["noa"], t["nob"], t["na"], t["nd"])
    tn, sn, dn = _group(x, t["msa"], t["msb"], t["moa"], t["mob"], t["ma"], t["md"])
    phi = (tp - tn) + np.log(sp / sn)
    noise = _EPS * (np.abs(tp) + np.abs(tn) + 1.0)
    return phi, dp - dn, noise


def _pair_params(nu_a, mu_a, nu_b, mu_b, a_p=None) -> dict[str, np.ndarray]:
    """Parameters of the pair form of ``S = sum_i [alpha_i e^{t_nu_i} - beta_i e^{t_mu_i}]``.

    Level 4 (``g``): ``alpha = beta = 1``; level 3: ``alpha_i = nu_i - a_p``,
    ``beta_i = mu_i - a_p``.  ``d_i = alpha_i - beta_i`` is ``nu_i - mu_i`` at level 3 (computed
    without cancellation) and 0 at level 4.
    """
    t = {}
    for s, nu, mu in (("a", nu_a, mu_a), ("b", nu_b, mu_b)):
        dl = nu - mu
        t["nu" + s] = nu
        t["mu" + s] = mu
        t["dl" + s] = dl
        t["c" + s] = (nu + mu) * 0.5
        t["hn" + s] = (nu * nu) * 0.5
        t["hm" + s] = (mu * mu) * 0.5
        if a_p is None:
            t["al" + s] = np.ones_like(nu)
            t["be" + s] = np.ones_like(nu)
            t["d" + s] = np.zeros_like(nu)
        else:
            t["al" + s] = nu - a_p
            t["be" + s] = mu - a_p
            t["d" + s] = dl
    return t


def _pair(x, t, s):
    """One pair scaled by ``exp(-M)``, ``M = max(t_nu, t_mu)``.

    Returns ``(M, value, p, n, p', n')``: ``p = alpha e^{t_nu - M}``, ``n = beta e^{t_mu - M}``,
    ``value = p - n = d + expm1(-|Delta|) (alpha if Delta < 0 else -beta)`` with
    ``Delta = t_nu - t_mu = (nu - mu)(x - (nu + mu)/2)`` (no cancellation), ``p' = nu p``,
    ``n' = mu n``.
    """
    nu, mu, al, be = t["nu" + s], t["mu" + s], t["al" + s], t["be" + s]
    delta = t["dl" + s] * (x - t["c" + s])
    big = np.fmax(nu * x - t["hn" + s], mu * x - t["hm" + s])
    em = np.expm1(-np.abs(delta))
    neg = (delta < 0).astype(np.float64)
    pos = 1.0 - neg
    p = al * (1.0 + em * neg)
    n = be * (1.0 + em * pos)
    value = t["d" + s] + em * (neg * al - pos * be)
    return big, value, p, n, nu * p, mu * n


def _eval_pair(x: np.ndarray, t: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(S, psi, psi')`` with ``S`` scaled by a positive factor and ``psi = log(P/N)``.

    ``S`` keeps a small *relative* error even where ``mu`` is close to ``nu`` (no cancellation of
    nearly equal terms).  ``psi = s log1p(s S / max(P, N))`` (``s = 1`` if ``N >= P`` else ``-1``)
    inherits that accuracy near a zero, where it is used; far from a zero (``P/N`` beyond
    ``eps^-1``) it saturates, which only shortens Newton steps.
    """
    ma, va, pa, na, dpa, dna = _pair(x, t, "a")
    mb, vb, pb, nb, dpb, dnb = _pair(x, t, "b")
    gap = ma - mb
    wa = np.exp(np.fmin(gap, 0.0))
    wb = np.exp(np.fmin(-gap, 0.0))
    g = wa * va + wb * vb
    p = wa * pa + wb * pb
    n = wa * na + wb * nb
    s = np.where(n >= p, 1.0, -1.0)
    arg = np.fmax(s * g / np.fmax(p, n), -1.0 + _EPS)
    psi = s * np.log1p(arg)
    dpsi = (wa * dpa + wb * dpb) / p - (wa * dna + wb * dnb) / n
    return g, psi, dpsi


def _newton_phase(evaluate, t, x, lo, hi, slo, scale, maxit, use_noise):
    """Bracketed, safeguarded Newton iterations on ``f`` (``evaluate -> (a, f, f')``).

    The bracket ``(lo, hi)`` (sign ``slo`` at ``lo``) is updated with the sign of ``f`` (or of
    ``a`` when ``use_noise`` is False).  A Newton step that leaves the bracket or does not halve
    (Numerical Recipes' ``rtsafe`` rule) becomes a bisection: arithmetic for brackets up to
    ``64 scale`` wide, in bit-pattern order beyond (at most 64 halvings for any finite bracket).
    An element stops when its Newton step is below ``tol = 4 eps |x| + eps scale`` (the step is
    taken if it stays in the bracket), when its bracket is below ``tol``, or when ``f`` is 0.
    With ``use_noise`` the first output of ``evaluate`` is the rounding noise of ``f``: the
    bracket is only updated where ``|f| > noise`` and the tolerance on the step is raised to
    ``4 noise / |f'|`` (the phase stops where ``f`` cannot resolve the zero any further).
    Elementwise; the working set is compacted as elements finish, so results do not depend on
    the batch.

    Returns the final ``(x, lo, hi)`` of every element.
    """
    n = x.size
    out = [np.empty(n), np.empty(n), np.empty(n)]
    idx = np.arange(n)
    dx_prev = hi - lo
    dx_prev2 = dx_prev.copy()
    tol_abs = _EPS * scale
    wide = 64.0 * scale
    for it in range(maxit):
        a, f, df = evaluate(x, t)
        tol = 4.0 * _EPS * np.abs(x) + tol_abs
        if use_noise:
            sg = np.sign(f)
            sg[np.abs(f) <= a] = 0.0
            tol_step = np.fmax(tol, 4.0 * a / np.abs(df))
        else:
            sg = np.sign(a)
            tol_step = tol
        lo = np.where(sg == slo, x, lo)
        hi = np.where(sg == -slo, x, hi)
        step = f / df
        xn = x - step
        inside = (xn > lo) & (xn < hi)
        conv = np.abs(step) <= tol_step
        small = hi - lo <= tol
        ok = inside & (conv | small | (np.abs(2.0 * step) <= np.abs(dx_prev2)))
        mid = np.where(hi - lo <= wide, 0.5 * (lo + hi), _bitmid(lo, hi))
        xnew = np.where(ok, xn, np.where(conv | (sg == 0), x, mid))
        done = conv | small | (sg == 0)
        dx_prev2 = dx_prev
        dx_prev = xnew - x
        x = xnew
        if it == maxit - 1:
            done[:] = True
        if done.any():
            for o, v in zip(out, (x, lo, hi)):
                o[idx[done]] = v[done]
            keep = ~done
            if not keep.any():
                break
            idx = idx[keep]
            x, lo, hi, slo, dx_prev, dx_prev2, tol_abs, wide = (
                v[keep] for v in (x, lo, hi, slo, dx_prev, dx_prev2, tol_abs, wide)
            )
            t = _take(t, keep)
    return out


def _eval_log_noise(x, t):
    phi, dphi, noise = _eval_log(x, t)
    return noise, phi, dphi


def _solve(tlog: dict, tpair: dict, lo, hi, slo, x0, scale) -> np.ndarray:
    """The zero of a level sum in each bracket ``(lo, hi)`` (one sign change, ``sign = slo`` at ``lo``).

    Phase 1: Newton on the log form ``phi = log P - log N`` (cheap, robust far from the zero),
    bracket updated only where ``|phi|`` exceeds its rounding noise.  Phase 2: Newton on the
    pair form ``psi`` (accurate near the zero, also for ``mu`` close to ``nu``) in the bracket
    left by phase 1; it usually takes one or two steps.
    """
    if lo.size == 0:
        return np.empty(0)
    x = np.where((x0 > lo) & (x0 < hi), x0, _bitmid(lo, hi))
    x, lo, hi = _newton_phase(_eval_log_noise, tlog, x, lo, hi, slo, scale, _MAXIT, True)
    x, _, _ = _newton_phase(_eval_pair, tpair, x, lo, hi, slo, scale, _MAXIT, False)
    return x


# ----------------------------------------------------------------------------------------------
# root bounds
# ----------------------------------------------------------------------------------------------


def _bounds(e: np.ndarray, logf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(X_-, X_+)`` for ``sum_k +-f_k exp(e_k x - e_k^2/2)``; ``e``, ``logf`` shape ``(4, n)``.

    ``logf = log f_k`` (``-inf`` for an absent term).  For ``x > X_+`` the top term is more than
    3 times every other term, so more than their sum (at most 3 others), hence no zero;
    symmetrically below ``X_-``.  A margin covers rounding; results are clipped to ``+-_BIG``.
    """
    present = logf > -np.inf
    top = np.max(np.where(present, e, -np.inf), axis=0)
    bot = np.min(np.where(present, e, np.inf), axis=0)
    ltop = np.max(np.where(present & (e == top), logf, -np.inf), axis=0)
    lbot = np.max(np.where(present & (e == bot), logf, -np.inf), axis=0)
    up_ok = present & (e < top)
    dn_ok = present & (e > bot)
    gap_up = np.where(up_ok, top - e, 1.0)
    gap_dn = np.where(dn_ok, e - bot, 1.0)
    x_up = np.where(up_ok, (top + e) * 0.5 + (_LOG3 + logf - ltop) / gap_up, -np.inf)
    x_dn = np.where(dn_ok, (bot + e) * 0.5 + (lbot - logf - _LOG3) / gap_dn, np.inf)
    xp = np.max(x_up, axis=0)
    xm = np.min(x_dn, axis=0)
    xp = np.clip(xp + 1.0 + 1e-6 * np.abs(xp), -_BIG, _BIG)
    xm = np.clip(xm - 1.0 - 1e-6 * np.abs(xm), -_BIG, _BIG)
    return xm, xp


# ----------------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------------


def _crossings(mu1, mu2, nu1, nu2):
    """Crossings of ``p* - p_mu`` for 1-D arrays.

    Returns ``(x1, x2, x3, count, s_minus)``: sorted crossings (NaN where absent), their number
    (``-1`` for ``mu = nu`` up to swap) and the sign of ``g`` at ``-inf`` (``+1``: ``p* > p_mu``
    far left).
    """
    n = mu1.shape[0]
    na, nb = np.fmin(nu1, nu2), np.fmax(nu1, nu2)
    ma, mb = np.fmin(mu1, mu2), np.fmax(mu1, mu2)
    roots = np.full((3, n), np.nan)
    count = np.zeros(n, dtype=np.int64)
    s_minus = np.where(na < ma, 1.0, -1.0)

    eq_aa, eq_bb, eq_ba, eq_ab = na == ma, nb == mb, nb == ma, na == mb
    deg = eq_aa & eq_bb
    two = (eq_aa | eq_bb | eq_ba | eq_ab) & ~deg
    general = ~(deg | two)
    count[deg] = -1
    s_minus[deg] = 0.0

    # Two terms left after an exact cancellation: closed form.
    i2 = np.flatnonzero(two)
    if i2.size:
        a_, b_, c_, d_ = na[i2], nb[i2], ma[i2], mb[i2]
        e_aa, e_bb, e_ba = eq_aa[i2], eq_bb[i2], eq_ba[i2]
        rnu = np.where(e_aa, b_, np.where(e_bb, a_, np.where(e_ba, a_, b_)))
        rmu = np.where(e_aa, d_, np.where(e_bb, c_, np.where(e_ba, d_, c_)))
        roots[0, i2] = (rnu + rmu) * 0.5
        count[i2] = 1
        s_minus[i2] = np.where(rnu < rmu, 1.0, -1.0)

    ig = np.flatnonzero(general)
    if ig.size:
        _general(ig, na[ig], nb[ig], ma[ig], mb[ig], roots, count, s_minus)
    return roots[0], roots[1], roots[2], count, s_minus


def _general(rows, na, nb, ma, mb, roots, count, s_minus) -> None:
    """Rows without exact cancellation (``nu_i != mu_j``); fills ``roots``, ``count``, ``s_minus``."""
    m = rows.size
    sm = np.where(na < ma, 1.0, -1.0)  # sign of g at -inf
    sp = np.where(nb > mb, 1.0, -1.0)  # sign of g at +inf
    v1 = (nb < ma) | (mb < na)
    v3 = ((na < ma) & (ma < nb) & (nb < mb)) | ((ma < na) & (na < mb) & (mb < nb))
    v2 = ~(v1 | v3)
    scale = 1.0 + np.fmax(np.fmax(np.abs(na), np.abs(nb)), np.fmax(np.abs(ma), np.abs(mb)))
    e = np.stack([na, nb, ma, mb])
    lo4, hi4 = _bounds(e, np.zeros_like(e))
    # Sorted exponents a1 <= a2 <= a3 <= a4 (closed form z2, starting points).
    a1, a4 = np.fmin(na, ma), np.fmax(nb, mb)
    inner_lo, inner_hi = np.fmax(na, ma), np.fmin(nb, mb)
    a2, a3 = np.fmin(inner_lo, inner_hi), np.fmax(inner_lo, inner_hi)

    # Separators (zeros of S3 = (d/dx - a1) g): V = 2 -> exactly one; V = 3 -> none or two.
    sep = np.full((2, m), np.nan)
    i2 = np.flatnonzero(v2 | v3)
    if i2.size:
        b1 = a1[i2]
        e3 = e[:, i2]
        with np.errstate(divide="ignore"):
            lo3, hi3 = _bounds(e3, np.log(e3 - b1))  # log 0 = -inf drops the term a1
        tlog = _log_params(na[i2], ma[i2], nb[i2], mb[i2], b1)
        tpair = _pair_params(na[i2], ma[i2], nb[i2], mb[i2], b1)
        is3 = v3[i2]
        j2 = np.flatnonzero(~is3)
        if j2.size:
            x0 = (a3[i2][j2] + a4[i2][j2]) * 0.5
            z = _solve(_take(tlog, j2), _take(tpair, j2), lo3[j2], hi3[j2], -sm[i2][j2], x0, scale[i2][j2])
            sep[0, i2[j2]] = z
        j3 = np.flatnonzero(is3)
        if j3.size:
            r3 = i2[j3]
            b1, b2, b3, b4 = a1[r3], a2[r3], a3[r3], a4[r3]
            # log((b3-b1)(b3-b2) / ((b4-b1)(b4-b2))) / h with h = b4 - b3, without cancellation
            # when b3 is close to b4.
            h = b4 - b3
            z2 = (b3 + b4) * 0.5 + (np.log1p(-h / (b4 - b1)) + np.log1p(-h / (b4 - b2))) / h
            s3z, _, _ = _eval_pair(z2, _take(tpair, j3))
            s3_end = sp[r3]  # sign of S3 at both ends = sign of the top term of g
            j = np.flatnonzero(np.sign(s3z) == -s3_end)
            if j.size:
                jj = np.concatenate([j3[j], j3[j]])
                z = _solve(
                    _take(tlog, jj),
                    _take(tpair, jj),
                    np.concatenate([lo3[j3[j]], z2[j]]),
                    np.concatenate([z2[j], hi3[j3[j]]]),
                    np.concatenate([-sm[r3[j]], -s3_end[j]]),
                    np.concatenate([b2[j], b3[j]]),
                    scale[i2[jj]],
                )
                sep[0, r3[j]] = z[: j.size]
                sep[1, r3[j]] = z[j.size :]

    # Signs of g at the separators (pair form: accurate even for mu close to nu).
    has1 = ~np.isnan(sep[0])
    has2 = ~np.isnan(sep[1])
    sg = np.zeros((2, m))
    for k, has in ((0, has1), (1, has2)):
        j = np.flatnonzero(has)
        if j.size:
            gv, _, _ = _eval_pair(sep[k, j], _pair_params(na[j], ma[j], nb[j], mb[j]))
            sg[k, j] = np.sign(gv)

    # Pieces between the points -inf, sep0, sep1, +inf (signs sm, sg0, sg1, sp).
    nsep = has1.astype(np.int64) + has2
    pts = [lo4, np.where(has1, sep[0], hi4), np.where(has2, sep[1], hi4), hi4]
    sgn = [sm, np.where(has1, sg[0], sp), np.where(has2, sg[1], sp), sp]
    # Starting points: midpoints of adjacent exponents of opposite sign (where two terms cross).
    mid_v1 = np.where(nb < ma, (nb + ma) * 0.5, (mb + na) * 0.5)
    starts = [
        np.where(v1, mid_v1, np.where(v3 & (nsep == 0), (a2 + a3) * 0.5, (a1 + a2) * 0.5)),
        np.where(v2, (a3 + a4) * 0.5, (a2 + a3) * 0.5),
        (a3 + a4) * 0.5,
    ]
    parts: list[tuple] = []
    exact = np.full((2, m), np.nan)
    for k in range(3):
        j = np.flatnonzero((k <= nsep) & (sgn[k] * sgn[k + 1] < 0))
        parts.append((j, pts[k][j], pts[k + 1][j], sgn[k][j], starts[k][j], np.full(j.size, k)))
        if k < 2:
            # A zero of g exactly at a separator with opposite signs around it is a crossing.
            at = (k < nsep) & (sgn[k + 1] == 0) & (sgn[k] * sgn[k + 2] < 0)
            exact[k, at] = pts[k + 1][at]
    rows_t, lo, hi, slo, x0, piece = (np.concatenate(c) for c in zip(*parts))
    pr = (na[rows_t], ma[rows_t], nb[rows_t], mb[rows_t])
    x = _solve(_log_params(*pr), _pair_params(*pr), lo, hi, slo, x0, scale[rows_t])
    found = np.full((3, m), np.nan)
    found[piece, rows_t] = x
    # Order: piece0 < sep0 < piece1 < sep1 < piece2; compact the (at most 3) valid ones.
    ordered = np.stack([found[0], exact[0], found[1], exact[1], found[2]])
    valid = ~np.isnan(ordered)
    rank = np.cumsum(valid, axis=0) - 1
    out = np.full((3, m), np.nan)
    r_i, c_i = np.nonzero(valid)
    out[rank[r_i, c_i], c_i] = ordered[r_i, c_i]
    roots[:, rows] = out
    count[rows] = valid.sum(axis=0)
    s_minus[rows] = sm


def _encode(x1, x2, x3, count, s_minus):
    """Crossings -> ``(l1, r1, l2, r2)`` (MODEL.md section 3 encoding)."""
    inf = np.inf
    n = count.shape[0]
    ell = np.full((4, n), np.nan)
    left = s_minus > 0
    for c, (pos_left, neg_left) in {
        1: ((-inf, "x1", "x1", "x1"), ("x1", inf, inf, inf)),
        2: ((-inf, "x1", "x2", inf), ("x1", "x2", "x2", "x2")),
        3: ((-inf, "x1", "x2", "x3"), ("x1", "x2", "x3", inf)),
    }.items():
        for pattern, mask in ((pos_left, left), (neg_left, ~left)):
            rows = (count == c) & mask
            if rows.any():
                for k, v in enumerate(pattern):
                    ell[k, rows] = {"x1": x1, "x2": x2, "x3": x3}[v][rows] if isinstance(v, str) else v
    # count 0 (unresolvable in float64): A* = {} (collapsed at 0) or the whole line.
    zero = count == 0
    if zero.any():
        full = zero & left
        ell[:, zero & ~left] = 0.0
        ell[0, full] = -inf
        ell[1:, full] = inf
    return ell[0], ell[1], ell[2], ell[3]


def optimal_endpoints(mu1, mu2, nu1, nu2):
    """Hot path: optimal discriminator on component-major 1-D float64 arrays (not validated).

    Returns
    -------
    l1, r1, l2, r2 : ndarray
        ``ell*`` in the MODEL.md encoding (NaN for ``mu = nu`` up to swap).
    n_crossings : ndarray of int64
        Number of crossings (1, 2 or 3; ``-1`` if ``mu = nu`` up to swap).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x1, x2, x3, count, s_minus = _crossings(mu1, mu2, nu1, nu2)
    return (*_encode(x1, x2, x3, count, s_minus), count)


def tv_gradient_components(mu1, mu2, l1, r1, l2, r2, count):
    """Danskin gradient ``dL/dmu_i = 1/2 sum_j [phi(r_j - mu_i) - phi(l_j - mu_i)]`` at ``ell*``.

    Rows with ``count == -1`` (``mu = nu``) get 0.
    """
    out = []
    for m in (mu1, mu2):
        g = 0.5 * ((normal_pdf(r1 - m) - normal_pdf(l1 - m)) + (normal_pdf(r2 - m) - normal_pdf(l2 - m)))
        out.append(np.where(count < 0, 0.0, g))
    return out[0], out[1]


# ----------------------------------------------------------------------------------------------
# validated public API
# ----------------------------------------------------------------------------------------------


def _inputs(mu: ArrayLike, nu: ArrayLike):
    mu_a = as_points("mu", mu, 2)
    nu_a = as_points("nu", nu, 2)
    for name, arr in (("mu", mu_a), ("nu", nu_a)):
        if (np.abs(arr) > MAX_ABS_MEAN).any():
            raise ValueError(f"{name} must satisfy |{name}_i| <= {MAX_ABS_MEAN:g}")
    b = broadcast_leading(mu=mu_a, nu=nu_a)
    lead = b["mu"].shape[:-1]
    cols = [np.ascontiguousarray(b[k][..., i].reshape(-1)) for k in ("mu", "nu") for i in (0, 1)]
    return lead, cols


def optimal_discriminator(mu: ArrayLike, nu: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The optimal discriminator ``A*(mu) = {x : p*(x) > p_mu(x)}`` as ``ell*`` (MODEL.md section 3).

    Parameters
    ----------
    mu, nu : array_like, shape (..., 2)
        Generator and true means (finite, ``|.| <= 1e100``); broadcast together.

    Returns
    -------
    ell_star : ndarray, shape (..., 4)
        ``(l1, r1, l2, r2)``: the crossings of ``p* - p_mu`` sorted, with ``+-inf`` for unbounded
        ends and the unused interval collapsed onto the endpoint before it (see module docstring).
        NaN where ``mu = nu`` up to swapping (every discriminator is optimal).
    n_crossings : ndarray of int64, shape (...)
        Number of sign changes of ``p* - p_mu`` (1, 2 or 3); ``-1`` where the maximiser is not
        unique (``mu = nu`` up to swapping).
    """
    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    ell = np.stack([l1, r1, l2, r2], axis=-1).reshape(lead + (4,))
    return ell, count.reshape(lead)


def tv_distance(mu: ArrayLike, nu: ArrayLike) -> np.ndarray:
    """``TV(P*, G_mu) = max_ell L(mu, ell) - 1 = L(mu, ell*) - 1`` (0 where ``mu = nu``).

    .. math:: \\mathrm{TV} = \\sum_j \\big[P^*([l_j, r_j]) - G_\\mu([l_j, r_j])\\big]_{\\ell = \\ell^*}

    evaluated with the tail-safe interval masses of the generated kernel.
    """
    from gmmsym.kernels import PAPER_KERNELS

    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    ok = count >= 0
    l1, r1, l2, r2 = (np.where(ok, v, 0.0) for v in (l1, r1, l2, r2))
    tv = np.broadcast_to(PAPER_KERNELS.raw.advantage(mu1, mu2, l1, r1, l2, r2, nu1, nu2), mu1.shape)
    return np.where(ok, tv, 0.0).reshape(lead)


def tv_gradient(mu: ArrayLike, nu: ArrayLike) -> np.ndarray:
    """``grad_mu TV(mu) = dL/dmu (mu, ell*(mu))`` (Danskin; MODEL.md section 3), shape ``(..., 2)``.

    .. math:: \\frac{\\partial \\mathrm{TV}}{\\partial \\mu_i}
       = \\frac12 \\sum_j \\big[\\varphi(r_j^* - \\mu_i) - \\varphi(l_j^* - \\mu_i)\\big]

    Valid where ``A*`` is locally stable (simple crossings); 0 where ``mu = nu`` up to swapping.
    """
    lead, (mu1, mu2, nu1, nu2) = _inputs(mu, nu)
    l1, r1, l2, r2, count = optimal_endpoints(mu1, mu2, nu1, nu2)
    g1, g2 = tv_gradient_components(mu1, mu2, l1, r1, l2, r2, count)
    return np.stack([g1, g2], axis=-1).reshape(lead + (2,))
