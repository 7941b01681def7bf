"""The *discriminator* layer: the optimal discriminator (float64 and mpmath) and the projection.

The paper's model (K = M = 2) has its fast paths (``optimal``, ``warm_paper``, ``projection``'s
``project4``); every other model goes through the general modules behind the same public
functions: ``crossings`` (the real zeros of ``p* - p_mu``, Rolle chain), ``optimal_any``
(``optimal_discriminator``, ``tv_distance``, ``tv_gradient``), ``warm_any`` (warm-started
crossings for the optimal dynamics) and ``projection_any`` (any ``M``).
"""
