"""Item pools: turn rotated loadings into sparse non-negative skill vectors for simulations.

Pipeline (``item_pool``), applied to a (n_items, k) matrix of rotated loadings:

1. **Project onto the non-negative unit ball**: the Euclidean projection of each row onto
   {z : z ≥ 0, ‖z‖ ≤ 1}, i.e. negative entries set to 0 and rows longer than 1 scaled to length 1
   (for a cone intersected with a ball centred on its apex, clipping then shrinking is the exact
   projection). Rows that are all ≤ 0 project to the zero vector; they measure none of the skills
   and are dropped (counted in the metadata).
2. **Sparsify at tau**: entries whose relative squared contribution z_ij² / Σ_l z_il² is below
   ``tau`` are set to 0 and the row is rescaled to its length before sparsification, so an item
   keeps how strongly it measures skills (its length) and loses only its minor skills.
3. **Mass-sort the axes**: axes are reordered by decreasing total squared mass Σ_i z_ij², so axis 0
   is the most heavily loaded skill (``metadata["axis_order"]`` maps new axes to the input's).
4. **Subsample** (optional): ``n_pool`` items drawn uniformly without replacement (``seed``),
   kept in input order.

Pure numerics: the ``.npz`` file format (its version, arrays and metadata) is written and read
by :mod:`measurand.io.pool` (``save_item_pool`` / ``load_item_pool``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats._rng import SeedLike, as_generator

__all__ = ["POOL_FORMAT", "POOL_FORMAT_VERSION", "ItemPool", "item_pool"]

POOL_FORMAT = "measurand.item_pool"
POOL_FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ItemPool(Result):
    """Sparse non-negative skill vectors, one row per item.

    Attributes
    ----------
    z:
        Shape (n_items, k); non-negative rows of length ≤ 1, axes in decreasing mass.
    item_names:
        One name per row.
    metadata:
        How the pool was made (format, version, tau, n_pool, seed, counts, axis order...).
    """

    z: np.ndarray
    item_names: tuple[str, ...]
    metadata: dict[str, Any]


def project_nonneg_unit_ball(vectors: np.ndarray) -> np.ndarray:
    """Row-wise Euclidean projection onto {z ≥ 0, ‖z‖ ≤ 1}."""
    clipped = np.maximum(np.asarray(vectors, dtype=np.float64), 0.0)
    norms = np.linalg.norm(clipped, axis=1, keepdims=True)
    return clipped / np.maximum(norms, 1.0)


def sparsify(vectors: np.ndarray, tau: float) -> np.ndarray:
    """Zero entries with z_ij² / Σ_l z_il² < tau, then restore each row's length.

    Rows of zeros stay zero. The largest entry of a row always survives (its share is ≥ 1/k, and
    ``tau`` ≤ 1/k is required so that no row loses everything).
    """
    z = np.asarray(vectors, dtype=np.float64)
    squared = z**2
    length2 = squared.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(length2 > 0, squared / length2, 0.0)
    # a share equal to tau up to rounding counts as reaching it: with k equal entries and
    # tau = 1/k the computed shares can fall 1 ulp short and the whole row would vanish
    kept = np.where(share >= tau * (1.0 - 1e-12), z, 0.0)
    kept_length2 = (kept**2).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(kept_length2 > 0, np.sqrt(length2 / kept_length2), 0.0)
    return kept * scale


def item_pool(
    loadings: np.ndarray,
    *,
    tau: float = 0.1,
    n_pool: int | None = None,
    seed: SeedLike = None,
    item_names: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ItemPool:
    """Build an item pool from rotated loadings (see the module notes for each step).

    Parameters
    ----------
    loadings:
        Shape (n_items, k), e.g. ``FactorAnalysis(...).fit(Z).loadings_`` after rotation.
    tau:
        Sparsification threshold on the relative squared contribution, in [0, 1/k].
    n_pool:
        Keep a uniform random subsample of this many items (None = keep all).
    seed:
        Seed of the subsample.
    item_names:
        Names of the rows (default ``item_0``, ``item_1``...).
    metadata:
        Extra entries recorded in the pool's metadata (e.g. how the loadings were fitted).
    """
    lam = np.asarray(loadings, dtype=np.float64)
    if lam.ndim != 2 or lam.shape[0] < 1 or lam.shape[1] < 1:
        raise InputError(
            f"loadings must be a non-empty 2-D array (items x factors), got {lam.shape}"
        )
    if not np.all(np.isfinite(lam)):
        raise InputError("loadings hold NaN or infinite values")
    n_items, k = lam.shape
    if not 0.0 <= float(tau) <= 1.0 / k:
        raise InputError(f"tau must lie in [0, 1/k] = [0, {1.0 / k:.4g}] for k = {k}, got {tau}")
    names = (
        tuple(f"item_{i}" for i in range(n_items))
        if item_names is None
        else tuple(str(name) for name in item_names)
    )
    if len(names) != n_items:
        raise InputError(f"item_names has {len(names)} entries for {n_items} rows of loadings")

    projected = project_nonneg_unit_ball(lam)
    nonzero = np.linalg.norm(projected, axis=1) > 0
    dropped = [names[i] for i in np.nonzero(~nonzero)[0]]
    z = sparsify(projected[nonzero], float(tau))
    kept_names = tuple(name for name, keep in zip(names, nonzero, strict=True) if keep)

    mass = (z**2).sum(axis=0)
    axis_order = np.argsort(-mass, kind="stable")
    z = z[:, axis_order]

    if n_pool is not None:
        if isinstance(n_pool, bool) or not isinstance(n_pool, int | np.integer) or n_pool < 1:
            raise InputError(f"n_pool must be a positive integer, got {n_pool!r}")
        if n_pool > z.shape[0]:
            raise InputError(
                f"n_pool={n_pool} exceeds the {z.shape[0]} items left after dropping "
                f"{len(dropped)} item(s) with no positive loading"
            )
        chosen = np.sort(as_generator(seed).choice(z.shape[0], size=int(n_pool), replace=False))
        z = z[chosen]
        kept_names = tuple(kept_names[i] for i in chosen)

    info: dict[str, Any] = {
        "format": POOL_FORMAT,
        "format_version": POOL_FORMAT_VERSION,
        "made_by": "measurand.latent.item_pool",
        "steps": [
            "project onto the non-negative unit ball",
            f"sparsify at tau={float(tau):g} (relative squared contribution), restore row length",
            "sort axes by decreasing squared mass",
            "subsample" if n_pool is not None else "no subsample",
        ],
        "tau": float(tau),
        "n_pool": None if n_pool is None else int(n_pool),
        "seed": seed if isinstance(seed, int) or seed is None else "generator",
        "n_items_in": n_items,
        "n_items": int(z.shape[0]),
        "n_factors": k,
        "dropped_no_positive_loading": dropped,
        "axis_order": axis_order.tolist(),
        "axis_mass": mass[axis_order].tolist(),
    }
    info.update(dict(metadata or {}))
    return ItemPool(z=z, item_names=kept_names, metadata=info)
