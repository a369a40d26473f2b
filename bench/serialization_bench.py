"""Save and load a ~100 MB state dict: glassgrad vs PyTorch, time and peak memory.

Each measurement runs in a fresh process so the peak resident memory (``ru_maxrss``) it
reports is that operation's own: the extra memory above what the process held before the
operation (the state dict itself for ``save``; nothing for ``load``). Times are the best of
``--repeat`` runs, with the file in the system's temporary directory. glassgrad's ``save`` to
a path flushes the file to disk (``fsync``) before renaming it into place, which PyTorch does
not do; ``save-memory`` (to a BytesIO) compares the format work alone.

Run:
    PYTHONPATH=src python bench/serialization_bench.py [--megabytes 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
library, operation, path, megabytes, repeat = sys.argv[1:6]
torch = __import__(library)
n_tensors = 25
numel = int(megabytes) * 2**20 // 4 // n_tensors

def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

times = []
if operation.startswith("save"):
    import io

    torch.manual_seed(0)
    state = {f"layer{i}.weight": torch.randn(numel // 1024, 1024) for i in range(n_tensors)}
    before = peak_kib()
    for _ in range(int(repeat)):
        start = time.perf_counter()
        torch.save(state, io.BytesIO() if operation == "save-memory" else path)
        times.append(time.perf_counter() - start)
else:
    before = peak_kib()
    for _ in range(int(repeat)):
        start = time.perf_counter()
        state = torch.load(path, weights_only=True)
        times.append(time.perf_counter() - start)
        del state
print(json.dumps({"seconds": min(times), "peak_mib": (peak_kib() - before) / 1024}))
"""


def measure(library: str, operation: str, path: str, megabytes: int, repeat: int) -> dict:
    command = [sys.executable, "-c", _CHILD, library, operation, path, str(megabytes), str(repeat)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        rows = []
        for operation in ("save", "save-memory", "load"):
            results = {}
            for library in ("glassgrad", "torch"):
                path = os.path.join(directory, f"{library}.pt")
                if operation == "load" and library == "torch":
                    path = os.path.join(directory, "glassgrad.pt")  # torch loads glassgrad's file
                results[library] = measure(library, operation, path, args.megabytes, args.repeat)
            rows.append((operation, results))
        cross = measure("glassgrad", "load", os.path.join(directory, "torch.pt"), args.megabytes,
                        args.repeat)  # fmt: skip
    print(f"{args.megabytes} MB state dict (25 float32 tensors), best of {args.repeat}\n")
    print("| operation | glassgrad s | torch s | ratio | glassgrad peak MiB | torch peak MiB |")
    print("|---|---|---|---|---|---|")
    for operation, r in rows:
        g, t = r["glassgrad"], r["torch"]
        ratio = g["seconds"] / t["seconds"]
        print(f"| {operation} | {g['seconds']:.3f} | {t['seconds']:.3f} | {ratio:.2f} | "
              f"{g['peak_mib']:.1f} | {t['peak_mib']:.1f} |")  # fmt: skip
    print(
        f"| glassgrad loads torch's file | {cross['seconds']:.3f} | | | {cross['peak_mib']:.1f} | |"
    )


if __name__ == "__main__":
    main()
