"""Seedable random numbers. glassgrad cannot reproduce PyTorch's stream, but is deterministic."""

from __future__ import annotations

from glassgrad._backend import xp

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator"]


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
        from glassgrad._creation import tensor

        state = self._rng.bit_generator.state
        return tensor(
            [
                state["state"]["state"] % (2**62),
                state["state"]["inc"] % (2**62),
                self._seed % (2**62),
            ]
        )

    def set_state(self, state) -> Generator:
        raise NotImplementedError(
            "Generator.set_state is not supported by glassgrad; reseed with manual_seed()"
        )

    @property
    def rng(self):
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by rand, randn, nn.init, Dropout, DataLoader)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


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
