"""Random-number plumbing: every random procedure takes ``seed`` and goes through here.

The rule, for every verb: **same seed + same labels → same numbers**, whatever else runs in the
same call and in whatever order. A workflow turns the user's ``seed`` into one root
:class:`numpy.random.SeedSequence` (:func:`root_sequence`), then derives each analysis's stream
from the root and the labels that say *what* is computed (:func:`keyed_sequence`) — the analysis,
the metric, the pair of conditions, a signal's expression — never from a display name the user
chose, and never from a position in a loop. Independent simulation cells use :func:`spawn_cells`
(``SeedSequence.spawn``), so local processes and a Dask cluster draw the same numbers.

A :class:`numpy.random.Generator` passed as ``seed`` is honoured as "continue this stream": the
root then takes its entropy from one draw of that generator.
"""

from __future__ import annotations

import zlib

import numpy as np

from measurand.errors import InputError

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` (PCG64) for ``seed``; a Generator passes through."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(_checked(seed))


def root_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """The root :class:`~numpy.random.SeedSequence` of one call for a user's ``seed``.

    An integer ``s ≥ 0`` gives ``SeedSequence(s)``; a SeedSequence passes through; a Generator
    contributes one 63-bit draw; ``None`` gives fresh OS entropy (recorded by
    :func:`recorded_seed` as ``None``).
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    return np.random.SeedSequence(_checked(seed))


def keyed_sequence(root: np.random.SeedSequence, *labels: str) -> np.random.SeedSequence:
    """The child of ``root`` for one analysis, keyed by the labels that name what it computes.

    The labels are joined with the unit separator and hashed (CRC-32) into the child's spawn key,
    so the stream depends only on ``root`` and the labels: adding, removing or reordering other
    analyses leaves it unchanged.
    """
    key = zlib.crc32("\x1f".join(str(label) for label in labels).encode("utf-8"))
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key))


def keyed_generator(root: np.random.SeedSequence, *labels: str) -> np.random.Generator:
    """``numpy.random.default_rng(keyed_sequence(root, *labels))``."""
    return np.random.default_rng(keyed_sequence(root, *labels))


def spawn_cells(seed: SeedLike, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child sequences of the root for ``seed`` (one per simulation cell)."""
    return root_sequence(seed).spawn(int(n))


def recorded_seed(seed: SeedLike) -> int | None:
    """The seed as written in ``results.json``: the integer the user gave, else ``None``."""
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return int(seed)
    return None


def _checked(seed: object) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise InputError(
            f"seed must be a non-negative integer, a numpy Generator or None, got {seed!r}"
        )
    return int(seed)
