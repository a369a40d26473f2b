"""glassgrad keeps freed array memory in glibc's heap (``_backend._keep_freed_memory``), so a
loop that allocates and frees the same large arrays stops page-faulting them in each time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"),
    reason="the tuning is for glibc's malloc (Linux)",
)

# Six 256 KiB arrays alive at once, freed, forty times: the allocation pattern of a training
# step. Prints the minor page faults of the last thirty rounds.
_LOOP = """
import resource
import glassgrad
import numpy as np

def step():
    arrays = [np.ones((256, 256), np.float32) for _ in range(6)]
    return sum(float(a[0, 0]) for a in arrays)

for _ in range(10):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, glassgrad._backend.MALLOC_TUNED)
"""


def _faults(tuning: str) -> tuple[int, str]:
    env = {**os.environ, "GLASSGRAD_MALLOC_TUNING": tuning}
    out = subprocess.run(
        [sys.executable, "-c", _LOOP], env=env, capture_output=True, text=True, check=True
    )
    faults, tuned = out.stdout.split()
    return int(faults), tuned


def test_freed_arrays_are_reused_without_page_faults():
    faults, tuned = _faults("1")
    assert tuned == "True"
    assert faults < 30, f"{faults} page faults in 30 rounds: freed memory went back to the kernel"


def test_the_environment_variable_leaves_malloc_alone():
    faults, tuned = _faults("0")
    assert tuned == "False"
    assert faults > 30 * 64  # (each round maps its 1.5 MiB afresh: 384 pages)
