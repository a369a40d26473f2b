"""Run every program given on the command line in this one interpreter; print JSON results.

    python _driver.py torch|glassgrad prog.py ...

With ``glassgrad``, ``import torch`` (and ``torch.X``) is served by glassgrad through the
same import alias ``glassgrad run`` uses. Each program runs as ``__main__`` in a fresh
namespace, its stdout captured; the result per program is its stdout and, if it raised,
the exception type name. One interpreter for all programs keeps the torch import cost to
one per backend.
"""

import contextlib
import io
import json
import os
import runpy
import sys


def _run(path: str) -> dict:
    out = io.StringIO()
    error = None
    saved_path0 = sys.path[0]
    sys.path[0] = os.path.dirname(path)
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        sys.path[0] = saved_path0
    return {"stdout": out.getvalue(), "error": error}


def main() -> None:
    backend, paths = sys.argv[1], sys.argv[2:]
    if backend == "glassgrad":
        from glassgrad.cli import TorchAliasFinder

        sys.meta_path.insert(0, TorchAliasFinder())
    results = {os.path.basename(p): _run(os.path.abspath(p)) for p in paths}
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
