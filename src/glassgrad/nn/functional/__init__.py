"""``nn.functional`` (being split by family; this commit only moves the file)."""

from glassgrad.nn.functional.loss import *  # noqa: F403
from glassgrad.nn.functional.loss import (  # noqa: F401
    __all__,
    _conv,
    _conv_transpose,
    _ntuple,
    _reduction,
)
