"""Simulate a Python without PyTorch: put this directory first on PYTHONPATH.

``import torch`` (and ``torch.*``) then fails with ModuleNotFoundError in this process and in
every subprocess it starts, as in an environment where torch was never installed, while
import hooks installed later (``glassgrad run``'s torch alias) still come first, as they do
there. The test suite must pass this way: oracle tests skip with their reason.
"""

import importlib.abc
import sys


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


sys.meta_path.insert(0, _NoTorch())
