"""Map a function over independent simulation cells: local processes or a Dask cluster.

:func:`map_cells` calls ``fn(cell, seed_sequence)`` for every cell, where the cell's
:class:`numpy.random.SeedSequence` is its child of the root for ``seed``
(:func:`measurand.stats._rng.spawn_cells`, i.e. ``SeedSequence.spawn``). A cell's numbers
therefore depend only on the root seed and the cell's position in ``cells`` — never on the
backend, the number of workers or the order in which cells finish — and every cell runs with
one BLAS thread (threadpoolctl), so that matrix products round the same way everywhere (and two
processes do not fight over two cores).

Backends:

- ``n_workers=1``: in this process, one cell after the other;
- default: a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method
  (safe with threads and on every OS; ``fn`` and the cells must be picklable: a module-level
  function and plain data); ``n_workers`` defaults to ``os.cpu_count()``;
- ``scheduler="tcp://host:8786"`` (or the environment variable ``MEASURAND_DASK_SCHEDULER``):
  a Dask cluster through ``distributed.Client`` (the ``distributed`` extra; imported only
  here and only then). A ``distributed.Client`` object may be passed instead of an address.

Bit-identical numbers also need identical memory layouts: arrays that reach a Dask worker through
its serialization may sit in unaligned buffers, which sends numpy's reductions down other SIMD
paths (the last bits of a sum change). Cell functions copy their input arrays
(``np.array(x)``) before computing, as :mod:`measurand.simulate.workflow` does.

Dask workers started by a nanny get ``MALLOC_TRIM_THRESHOLD_=65536`` by default (Dask's
``distributed.nanny.pre-spawn-environ``). That turns off glibc's dynamic mmap threshold, so
every array temporary between 128 KiB and 32 MiB is mmapped and page-faulted afresh; for the
simulate cells (many (50 × 640) temporaries per round) it doubled the CPU time per cell. For
compute-bound sweeps start the workers with it unset (config
``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null``, as
``bench/simulate_grid.py`` does); measurand does not change a cluster's memory settings itself.

A cell that raises is reported as a :class:`CellFailure` with its index, its parameters and
the error; the other cells' results are kept.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from measurand.errors import InputError
from measurand.stats._rng import SeedLike, spawn_cells

__all__ = ["SCHEDULER_ENV", "CellFailure", "MappedCells", "map_cells", "resolve_scheduler"]

SCHEDULER_ENV = "MEASURAND_DASK_SCHEDULER"

CellFn = Callable[[Any, np.random.SeedSequence], Any]
Progress = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class CellFailure:
    """A cell that raised: where it sits, what it was given, and what went wrong."""

    index: int
    params: Any
    error: str
    traceback: str

    def to_dict(self) -> dict[str, Any]:
        params = self.params if isinstance(self.params, Mapping) else repr(self.params)
        return {"index": self.index, "params": params, "error": self.error}


@dataclasses.dataclass(frozen=True)
class MappedCells:
    """Results in the order of the cells (``None`` where a cell failed), the failures, and
    where they ran."""

    results: list[Any]
    failures: list[CellFailure]
    backend: str
    n_workers: int

    @property
    def ok(self) -> bool:
        return not self.failures


def _run_cell(fn: CellFn, cell: Any, sequence: np.random.SeedSequence) -> tuple[bool, Any]:
    """Run one cell with a single BLAS thread; never raises (the error travels back as data)."""
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return True, fn(cell, sequence)
    except Exception as exc:  # a cell's failure is data for the report, not a crash
        return False, (f"{type(exc).__name__}: {exc}", traceback.format_exc())


def resolve_scheduler(scheduler: Any = None) -> Any:
    """``scheduler`` if given, else ``$MEASURAND_DASK_SCHEDULER`` if set, else ``None``."""
    if scheduler is not None:
        return scheduler
    return os.environ.get(SCHEDULER_ENV) or None


def map_cells(
    fn: CellFn,
    cells: Sequence[Any],
    *,
    seed: SeedLike,
    scheduler: Any = None,
    n_workers: int | None = None,
    progress: Progress | None = None,
) -> MappedCells:
    """Call ``fn(cell, seed_sequence)`` for every cell (see the module notes).

    Parameters
    ----------
    fn:
        A picklable (module-level) function of a cell and its SeedSequence.
    cells:
        The cells' parameters (plain data, picklable).
    seed:
        Root seed; cell i gets ``spawn_cells(seed, len(cells))[i]``.
    scheduler:
        A Dask scheduler address or ``distributed.Client``; ``None`` reads
        ``$MEASURAND_DASK_SCHEDULER`` and falls back to local processes.
    n_workers:
        Local processes (default ``os.cpu_count()``; 1 = in this process). Ignored with Dask.
    progress:
        Called as ``progress(done, total)`` after each finished cell.
    """
    cells = list(cells)
    sequences = spawn_cells(seed, len(cells))
    outcomes: list[tuple[bool, Any] | None] = [None] * len(cells)
    total = len(cells)
    done = 0

    def record(index: int, outcome: tuple[bool, Any]) -> None:
        nonlocal done
        outcomes[index] = outcome
        done += 1
        if progress is not None:
            progress(done, total)

    target = resolve_scheduler(scheduler)
    if target is not None:
        backend, workers = _map_dask(fn, cells, sequences, target, record)
    else:
        workers = int(n_workers) if n_workers is not None else (os.cpu_count() or 1)
        if workers < 1:
            raise InputError(f"the number of workers must be at least 1, got {n_workers}")
        workers = min(workers, max(total, 1))
        if workers == 1:
            backend = "serial"
            for i, (cell, seq) in enumerate(zip(cells, sequences, strict=True)):
                record(i, _run_cell(fn, cell, seq))
        else:
            backend = "processes"
            _map_processes(fn, cells, sequences, workers, record)

    results: list[Any] = []
    failures: list[CellFailure] = []
    for i, outcome in enumerate(outcomes):
        assert outcome is not None
        ok, value = outcome
        if ok:
            results.append(value)
        else:
            results.append(None)
            failures.append(CellFailure(i, cells[i], value[0], value[1]))
    return MappedCells(results=results, failures=failures, backend=backend, n_workers=workers)


def _map_processes(
    fn: CellFn,
    cells: list[Any],
    sequences: list[np.random.SeedSequence],
    workers: int,
    record: Callable[[int, tuple[bool, Any]], None],
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(_run_cell, fn, cell, seq): i
            for i, (cell, seq) in enumerate(zip(cells, sequences, strict=True))
        }
        for future in as_completed(futures):
            index = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died (e.g. killed, or unpicklable result)
                outcome = (False, (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            record(index, outcome)


def _map_dask(
    fn: CellFn,
    cells: list[Any],
    sequences: list[np.random.SeedSequence],
    scheduler: Any,
    record: Callable[[int, tuple[bool, Any]], None],
) -> tuple[str, int]:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - the extra is installed in dev
        raise InputError(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "pip install 'measurand[distributed]'"
        ) from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="30s") if own else scheduler
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        futures = client.map(_run_cell, [fn] * len(cells), cells, sequences, pure=False, key=None)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            try:
                outcome = future.result()
            except Exception as exc:  # a worker died with the cell
                outcome = (False, (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            record(i, outcome)
            future.release()
        return "dask", workers
    finally:
        if own:
            client.close()
