"""Seedable random numbers. glassgrad cannot reproduce PyTorch's stream, but is deterministic."""

from __future__ import annotations

from glassgrad._backend import xp

__all__ = [
    "Generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
]


class Generator:
    """A random-number generator (``torch.Generator``) over NumPy's PCG64."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._rng = xp.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = xp.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        new = int(xp.random.SeedSequence().entropy % (2**63))
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's full state as a uint8 tensor (restore it with ``set_state``)."""
        from glassgrad._creation import tensor

        state = self._rng.bit_generator.state
        words = (
            state["state"]["state"].to_bytes(16, "little")
            + state["state"]["inc"].to_bytes(16, "little")
            + int(state["has_uint32"]).to_bytes(1, "little")
            + int(state["uinteger"]).to_bytes(4, "little")
            + self._seed.to_bytes(16, "little", signed=True)
        )
        return tensor(list(words), dtype="uint8")

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by ``get_state``."""
        data = bytes(new_state.tolist()) if hasattr(new_state, "tolist") else bytes(new_state)
        if len(data) != _STATE_BYTES:
            raise RuntimeError(
                f"Generator.set_state: expected a uint8 tensor of {_STATE_BYTES} bytes from "
                f"get_state(), got {len(data)} bytes (PyTorch's own states cannot be loaded)"
            )
        rng = xp.random.default_rng()
        rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(data[0:16], "little"),
                "inc": int.from_bytes(data[16:32], "little"),
            },
            "has_uint32": data[32],
            "uinteger": int.from_bytes(data[33:37], "little"),
        }
        self._rng = rng
        self._seed = int.from_bytes(data[37:53], "little", signed=True)
        return self

    @property
    def rng(self):
        return self._rng


_STATE_BYTES = 53
default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by rand, randn, nn.init, Dropout, DataLoader)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def get_rng_state():
    """The default generator's state (``torch.get_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from ``get_rng_state()`` (``torch.set_rng_state``)."""
    default_generator.set_state(new_state)


def initial_seed() -> int:
    return default_generator.initial_seed()


def rng(generator: Generator | None = None):
    return (generator or default_generator).rng


def uniform_array(shape, low, high, np_dtype, generator=None):
    return rng(generator).uniform(low, high, size=tuple(shape)).astype(np_dtype)


def normal_array(shape, mean, std, np_dtype, generator=None):
    return rng(generator).normal(mean, std, size=tuple(shape)).astype(np_dtype)


def bernoulli_array(shape, p, np_dtype, generator=None):
    return (rng(generator).random(size=tuple(shape)) < p).astype(np_dtype)


def randint_array(low, high, shape, np_dtype, generator=None):
    return rng(generator).integers(low, high, size=tuple(shape)).astype(np_dtype)


def exponential_array(shape, lambd, np_dtype, generator=None):
    return rng(generator).exponential(1.0 / lambd, size=tuple(shape)).astype(np_dtype)
