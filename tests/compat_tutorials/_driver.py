"""Run the tutorial programs named on the command line in one interpreter; print JSON.

    python _driver.py torch|glassgrad prog.py ...

With ``glassgrad``, ``torch`` and every ``torch.X`` import is served by glassgrad through
the alias ``glassgrad run`` installs. Each program runs as ``__main__`` in a fresh
namespace with its stdout captured; the result per program is that stdout and, if it
raised, the exception as ``Type: message``. One interpreter per backend keeps the cost of
importing torch to one.
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
    saved = sys.path[0]
    sys.path[0] = os.path.dirname(path)
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
    except Exception as exc:  # noqa: BLE001 - handed to the test, which fails on it
        error = f"{type(exc).__name__}: {exc}"
    finally:
        sys.path[0] = saved
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
