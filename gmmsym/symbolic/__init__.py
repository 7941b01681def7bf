"""SymPy layer: the GMM-GAN model and its derivations (imports SymPy; never used by numeric code).

>>> from gmmsym.symbolic import GMMGAN
>>> m = GMMGAN()           # the paper's model, K = M = 2, w = 1/2, sigma = 1
>>> m.objective()          # doctest: +SKIP
"""

from gmmsym.symbolic.functions import NormalCDF, NormalMass, NormalPDF
from gmmsym.symbolic.model import GMMGAN

__all__ = ["GMMGAN", "NormalCDF", "NormalMass", "NormalPDF"]
