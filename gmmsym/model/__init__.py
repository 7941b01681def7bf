"""The *model* layer: the model specification and input validation (no numerics, no SymPy)."""
