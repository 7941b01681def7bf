"""The *discriminator* layer: the optimal discriminator (float64 and mpmath) and the projection."""
