"""Evaluation of the level sums of the Rolle chain (``g``, ``S_3``) in two forms, float64, vectorized.

*Log form* (:func:`_log_params`, :func:`_eval_log`): ``phi = log P - log N`` with ``P``, ``N``
two-term sums of exponentials; asymptotically linear, so Newton/Halley steps are good far from
the zero (used by :mod:`gmmsym.discriminator.roots`, phase 1).

*Pair form* (accuracy near ``mu = nu``): each true mean is paired with its nearest generator
mean and

.. math::

    e^{t_\\nu} - e^{t_\\mu} = \\operatorname{sign}(\\Delta)\\, e^{\\max(t_\\nu, t_\\mu)}
        \\,(-\\operatorname{expm1}(-|\\Delta|)),
    \\qquad \\Delta = t_\\nu - t_\\mu = (\\nu - \\mu)\\,\\frac{(x - \\nu) + (x - \\mu)}{2},

each pair scaled by ``exp(M_i - max(M_1, M_2))`` (no overflow or underflow for means up to
``1e100``), so ``g`` keeps a small *relative* error even where nearly equal terms cancel.  It is
used for all sign decisions at separators.  (Second-order cancellation, e.g. ``nu_1 = nu_2`` with
``mu_1``, ``mu_2`` symmetric around it within ``1e-14``, leaves crossings set by
``O(|mu - nu|^2)`` terms; float64 then resolves them only to about ``eps / |mu - nu|``.)

"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS"]

EPS = float(np.finfo(np.float64).eps)
_EPS = EPS


def _gather(arrays: tuple, idx: np.ndarray) -> tuple:
    return tuple(a[idx] for a in arrays)


# ----------------------------------------------------------------------------------------------
# log form (phase 1): phi = log P - log N, P and N two-term sums of exponentials
# ----------------------------------------------------------------------------------------------


def _log_params(nu_a, mu_a, nu_b, mu_b, a_p=None) -> tuple:
    """Parameters of the log form of a level sum ``S = P - N`` (phase 1 of :func:`_solve`).

    ``P = e^{u_a} + e^{u_b}``, ``u_i = nu_i x + o_i``, ``o_i = log(alpha_i) - nu_i^2/2`` (``N``
    alike with ``mu``, ``beta``); level 4 (``g``): ``alpha = beta = 1``; level 3
    (``S_3 = (d/dx - a_p) g``): ``alpha_i = nu_i - a_p``, ``beta_i = mu_i - a_p`` (``log 0 = -inf``
    drops the term ``a_p``).  Returns 15 arrays: for each part ``(s_a, o_a, s_b, o_b,
    (s_b - s_a)^2, |s_a|, |s_b|)``, then ``ks = max |slope|``.
    """
    slopes = (nu_a, nu_b, mu_a, mu_b)
    ks = np.fmax(np.fmax(np.abs(nu_a), np.abs(nu_b)), np.fmax(np.abs(mu_a), np.abs(mu_b)))
    if a_p is None:
        offs = [-(v * v) * 0.5 for v in slopes]
    else:
        with np.errstate(divide="ignore"):
            offs = [np.log(v - a_p) - (v * v) * 0.5 for v in slopes]
    dn = nu_b - nu_a
    dm = mu_b - mu_a
    return (
        (nu_a, offs[0], nu_b, offs[1], dn * dn, np.abs(nu_a), np.abs(nu_b))
        + (mu_a, offs[2], mu_b, offs[3], dm * dm, np.abs(mu_a), np.abs(mu_b))
        + (ks,)
    )


def _group(x, sa, oa, sb, ob, ds2, asa, asb, w):
    """Two-term log-sum-exp ``log(e^{u_a} + e^{u_b})`` with ``u = s x + o``, in the 7 rows of ``w``.

    Returns views ``(top, e, mean, var, amean)``: ``top = max(u_a, u_b)``,
    ``e = exp(-|u_b - u_a|)`` (the value is ``top + log(1 + e)``), the softmax mean and variance
    of the slopes (the first and second derivatives; the mean as ``w_a s_a + w_b s_b`` keeps a
    tiny dominant slope exactly) and the softmax mean of ``|slope|``.
    """
    ua, ub, e, top, w_a, mean, amean = w
    np.multiply(sa, x, out=ua)
    ua += oa
    np.multiply(sb, x, out=ub)
    ub += ob
    np.fmax(ua, ub, out=top)
    ub -= ua  # d = u_b - u_a
    np.abs(ub, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.add(e, 1.0, out=ua)
    np.divide(1.0, ua, out=ua)  # r = 1 / (1 + e)
    np.subtract(ua, 0.5, out=mean)
    np.copysign(mean, ub, out=mean)  # +-(r - 1/2)
    np.subtract(0.5, mean, out=w_a)  # softmax weight of term a: e r if d >= 0 else r
    mean += 0.5  # weight of term b
    np.multiply(mean, asb, out=amean)
    np.multiply(w_a, asa, out=ub)
    amean += ub
    mean *= sb
    np.multiply(w_a, sa, out=ub)
    mean += ub
    np.multiply(e, ua, out=w_a)
    w_a *= ua
    w_a *= ds2  # variance: e r^2 (s_b - s_a)^2
    return top, e, mean, w_a, amean


def _eval_log(x: np.ndarray, t: tuple, w: np.ndarray):
    """``(noise, phi, phi', phi'')`` with ``phi = log P - log N`` (``sign(phi) = sign(S)``).

    Computed in the workspace ``w`` (15 rows of ``x.size``; the results are views into it).
    ``noise = 2 eps (2 |x| (|s|_P + |s|_N) + |top_P| + |top_N| + [e_P > 0] + [e_N > 0]
    + |log((1+e_P)/(1+e_N))|)`` (``|s|`` the softmax mean of ``|slope|``, ``top`` the larger exponent
    and ``e`` the ratio of the smaller to the larger term of each part; ``1 + e`` is rounded by
    up to ``eps/2`` absolute) bounds the rounding error of ``phi``; it stays relative to ``phi``
    where each part has a single term (tiny values of ``phi`` on plateaus remain resolvable).
    Below it the sign of ``phi`` is not trustworthy.
    """
    tp, ep, dp, vp, ap = _group(x, *t[0:7], w[0:7])
    tn, en, dn, vn, an = _group(x, *t[7:14], w[7:14])
    noise = w[14]
    np.add(ap, an, out=noise)
    np.abs(x, out=ap)
    noise *= ap
    noise *= 2.0
    np.abs(tp, out=ap)
    noise += ap
    np.abs(tn, out=ap)
    noise += ap
    np.sign(ep, out=ap)  # rounding of 1 + e in each part: up to eps/2, absolute, when e > 0
    noise += ap
    np.sign(en, out=ap)
    noise += ap
    ep += 1.0
    en += 1.0
    ep /= en
    np.log(ep, out=ep)
    np.abs(ep, out=an)
    noise += an
    noise *= 2.0 * _EPS
    tp -= tn
    tp += ep  # phi
    dp -= dn
    vp -= vn
    return noise, tp, dp, vp


# ----------------------------------------------------------------------------------------------
# pair form (phase 2 and signs): accurate when nu_i is close to mu_i
# ----------------------------------------------------------------------------------------------


def _pair_params(nu_a, mu_a, nu_b, mu_b, a_p=None) -> tuple:
    """Parameters of the pair form ``S = sum_i [alpha_i e^{t_nu_i} - beta_i e^{t_mu_i}]``.

    Level 4 (``g``): ``alpha = beta = 1``; level 3: ``alpha_i = nu_i - a_p``,
    ``beta_i = mu_i - a_p``.  The last entry is 1.0 at level 3 and 0.0 at level 4: it selects
    ``alpha_i - beta_i`` as ``nu_i - mu_i`` (no cancellation) or 0.
    """
    if a_p is None:
        one = np.ones_like(nu_a)
        return (nu_a, mu_a, nu_b, mu_b, one, one, one, one, 0.0 * one)
    return (nu_a, mu_a, nu_b, mu_b, nu_a - a_p, mu_a - a_p, nu_b - a_p, mu_b - a_p, np.ones_like(nu_a))


def _pair(x, nu, mu, al, be, lev3):
    """One pair scaled by ``exp(-M)``, ``M = max(t_nu, t_mu)``.

    Returns ``(M, value, slope, n, n', noise)``: ``value = p - n`` with ``p = alpha e^{t_nu - M}``,
    ``n = beta e^{t_mu - M}``, ``slope`` its derivative, ``n' = mu n`` and ``noise`` a bound on
    the rounding error of ``value``.  With ``Delta = t_nu - t_mu = (nu - mu)((x - nu) + (x - mu))/2``
    (no cancellation near the pair's centre), ``em = expm1(-|Delta|)`` and ``r = e^{-|Delta|}``:

    * ``value = d + em (alpha if Delta < 0 else -beta)`` (``d = alpha - beta``, i.e. ``nu - mu``
      at level 3 and 0 at level 4) for ``|Delta| < 1``, where nearly equal terms would cancel,
      and ``p - n`` beyond, where ``1 + em`` would lose the smaller term;
    * ``slope = k (1 if Delta < 0 else r) + alpha nu em (1 if Delta < 0 else -1)`` with
      ``k = alpha nu - beta mu`` (``nu - mu`` at level 4, ``(nu - mu)(nu + mu - a_p)`` at level 3);
    * ``noise = |value| + max(alpha, beta) |Delta| r``, in units of eps: the rounding of ``value``
      and the (relative) error of ``Delta`` times ``|d value / d Delta|``.
    """
    dl = nu - mu
    delta = dl * ((x - nu) + (x - mu)) * 0.5
    big = np.fmax(nu * x - (nu * nu) * 0.5, mu * x - (mu * mu) * 0.5)
    ad = np.abs(delta)
    em = np.expm1(-ad)
    r = np.exp(-ad)
    neg = delta < 0
    negf = neg.astype(np.float64)
    posf = 1.0 - negf
    p = np.where(neg, al * r, al)
    n = np.where(neg, be, be * r)
    value = np.where(ad < 1.0, dl * lev3 + em * (negf * al - posf * be), p - n)
    k = dl * np.where(lev3 > 0, (nu + mu) - (nu - al), 1.0)  # alpha nu - beta mu
    slope = k * (negf + posf * r) + (al * nu) * em * (negf - posf)
    # rounding of value, plus the relative error of Delta times |d value / d Delta| <= max(alpha, beta) r
    noise = np.abs(value) + np.fmax(np.abs(al), np.abs(be)) * ad * r
    return big, value, slope, n, mu * n, noise


def _pair_sum(x: np.ndarray, t: tuple):
    """Both pairs combined with the positive weights ``w_i = exp(M_i - max M)``.

    Returns ``(S, S', N, N', noise)`` (all scaled by the same positive factor).
    """
    nua, mua, nub, mub, ala, bea, alb, beb, lev3 = t
    ma, va, sa, na, dna, ea = _pair(x, nua, mua, ala, bea, lev3)
    mb, vb, sb, nb, dnb, eb = _pair(x, nub, mub, alb, beb, lev3)
    gap = ma - mb
    wa = np.exp(np.fmin(gap, 0.0))
    wb = np.exp(np.fmin(-gap, 0.0))
    g = wa * va + wb * vb
    noise = wa * ea + wb * eb + np.abs(gap) * np.fmin(wa * np.abs(va), wb * np.abs(vb))
    return g, wa * sa + wb * sb, wa * na + wb * nb, wa * dna + wb * dnb, noise


def _eval_pair(x: np.ndarray, t: tuple):
    """``(noise, psi, psi', None)`` with ``psi = log(P/N)`` from the pair form.

    ``S = P - N`` and ``S'`` keep a small *relative* error even where ``mu`` is close to ``nu``;
    ``psi = s log1p(s S / max(P, N))`` (``s = 1`` if ``N >= P`` else ``-1``) and
    ``psi' = (S' - S N'/N) / P`` inherit it near a zero, where they are used; far from a zero
    (``P/N`` beyond ``1/eps``) ``psi`` saturates, which only shortens Newton steps.
    ``noise = 4 eps (sum_i w_i noise_i + |M_a - M_b| min_i w_i |v_i|) / max(P, N)`` bounds the
    rounding error of ``psi``.
    """
    g, dg, n, dn, noise = _pair_sum(x, t)
    p = n + g
    s = np.where(n >= p, 1.0, -1.0)
    top = np.fmax(p, n)
    arg = np.fmax(s * g / top, -1.0 + _EPS)
    psi = s * np.log1p(arg)
    noise *= 4.0 * _EPS / top
    return noise, psi, (dg - g * (dn / n)) / p, None


def _sign_pair(x: np.ndarray, t: tuple) -> np.ndarray:
    """``sign(S(x))`` from the pair form (0 where ``|S|`` is below its rounding noise)."""
    g, _, _, _, noise = _pair_sum(x, t)
    return np.where(np.abs(g) > 4.0 * _EPS * noise, np.sign(g), 0.0)


def _log_ratio(a3, a4, ak):
    """``log((a3 - ak) / (a4 - ak))`` for ``ak < a3 < a4`` without cancellation.

    ``log1p(-(a4 - a3)/(a4 - ak))`` when ``a3`` is close to ``a4`` (the ratio near 1), the plain
    logarithm of the ratio when ``a3`` is close to ``ak`` (``log1p`` of an argument near -1).
    """
    d = a4 - ak
    q = (a4 - a3) / d
    with np.errstate(divide="ignore"):
        return np.where(q < 0.5, np.log1p(-q), np.log((a3 - ak) / d))


def _outer_start(a_o, a_n, a_f):
    """Start for the crossing of the outer term ``a_o`` with the inner pair ``(a_n, a_f)`` (V = 2).

    Two Newton steps from the two-term crossing ``(a_o + a_n)/2`` on
    ``F(x) = u_o - log(e^{u_n} + e^{u_f}) = (a_o - a_n)(x - m_on) - softplus((a_f - a_n)(x - m_fn))``
    (``u_a = a x - a^2/2``, ``m_ij = (a_i + a_j)/2``; the other outer term is negligible there).
    ``F`` is concave, so Newton from the inner side approaches the zero monotonically; the far
    inner term can move the crossing by ``log 2 / |a_o - a_n|``, far beyond the two-term guess.
    """
    d_on = a_o - a_n
    d_fn = a_f - a_n
    m_on = (a_o + a_n) * 0.5
    m_fn = (a_f + a_n) * 0.5
    x = m_on
    for _ in range(2):
        z = d_fn * (x - m_fn)
        e = np.exp(-np.abs(z))
        softplus = np.fmax(z, 0.0) + np.log1p(e)
        sigma = np.where(z >= 0, 1.0, e) / (1.0 + e)
        x = x - (d_on * (x - m_on) - softplus) / (d_on - d_fn * sigma)
    return x
