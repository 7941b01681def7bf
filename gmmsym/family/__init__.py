"""Staging package: numeric building blocks for any :class:`~gmmsym.model.spec.ModelSpec`.

General ``K`` components, ``M`` intervals, weights ``w`` and ``sigma`` (``docs/model.md``
sections 1-5).  The public layers dispatch into them for every model other than the paper's:
:func:`gmmsym.project_ell` (``M != 2``), :func:`gmmsym.optimal_discriminator`,
:func:`gmmsym.tv_distance`, :func:`gmmsym.tv_gradient` and :mod:`gmmsym.outcomes` (every model).

* :mod:`gmmsym.family.projection` -- projection onto ``l1 <= r1 <= ... <= rM`` for any ``M``.
* :mod:`gmmsym.family.crossings` -- the real zeros of ``p* - p_mu`` (Rolle-chain isolation).
* :mod:`gmmsym.family.discriminator` -- optimal discriminator, TV and its Danskin gradient.
* :mod:`gmmsym.family.outcomes` -- label-invariant distance and mode collapse for any ``K``.
* :mod:`gmmsym.family.warm` -- optimal dynamics with warm-started crossings.
* :mod:`gmmsym.family.certified` -- certified crossing counts and enclosures (python-flint).
"""
