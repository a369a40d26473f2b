"""The single array namespace behind every tensor.

Every module that does array math imports ``xp`` from here, so another array library
with the NumPy API (CuPy, Dask) can later be swapped in at this one place.
"""

import numpy as xp

ndarray = xp.ndarray

__all__ = ["ndarray", "xp"]
