"""``torch.backends``: only the CPU backend exists."""

from types import SimpleNamespace

from glassgrad._kernels.simd import capability

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(
    deterministic=False, benchmark=False, enabled=False, is_available=lambda: False
)
# PyTorch's CPU build has oneDNN; with ``enabled`` a float32 LSTM records its oneDNN graph
# (``MkldnnRnnLayerBackward0`` per layer, see nn/rnn.py). The numbers are the same either way.
mkldnn = SimpleNamespace(enabled=True, is_available=lambda: True)
#: ``get_cpu_capability()``: the SIMD build of PyTorch's CPU kernels that glassgrad follows
#: bit for bit here ("DEFAULT", "AVX2", "AVX512", ...; ``ATEN_CPU_CAPABILITY`` picks one)
cpu = SimpleNamespace(get_cpu_capability=capability)
