"""Per-task noise floors: how much of a task's spread across a sweep is rerun (seed) noise.

A *sweep* holds n runs of different configurations; a *noise baseline* holds m reruns of one
configuration (new seeds, same everything else). For task j, with sample variances of ddof 1,

    noise_share_j = s²_noise,j / s²_sweep,j,
    ceiling_j     = clip(1 − noise_share_j, 0, 1)          (the h² a task can reach at most),
    snr_j         = (s²_sweep,j − s²_noise,j) / s²_noise,j  = 1 / noise_share_j − 1.

The sweep's variance holds the noise too, so the true share σ²_noise/σ²_sweep lies in [0, 1] and
the SNR is the ratio of the variance that is *not* rerun noise to the variance that is.

Interval (normal data, the two samples independent): (m − 1)s²_noise/σ²_noise ~ χ²(m − 1) and
(n − 1)s²_sweep/σ²_sweep ~ χ²(n − 1), so the estimated share over the true one,

    (s²_noise/σ²_noise) / (s²_sweep/σ²_sweep) = share_hat / share  ~  F(m − 1, n − 1).

Hence P(F_{α/2} ≤ share_hat/share ≤ F_{1−α/2}) = 1 − α and the exact 1 − α interval is

    [share_hat / F_{1−α/2}(m − 1, n − 1),  share_hat / F_{α/2}(m − 1, n − 1)]

(the ratio of the two ends, F_{1−α/2}/F_{α/2}, depends on m and n only: with a 10-run baseline
it is about 7, so the interval is wide). The ceiling's and the SNR's intervals are the same
interval mapped through their (monotone) formulas. The share's interval is not clipped to
[0, 1]; the ceiling's is.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from scipy import stats

from measurand._result import Result
from measurand.errors import InputError
from measurand.stats._validate import open_unit

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["NoiseFloors", "f_ratio_interval", "noise_floors", "snr_from_share"]

_CONSTANT_SD = 1e-12


@dataclasses.dataclass(frozen=True)
class NoiseFloors(Result):
    """Per-task noise shares, h² ceilings and SNRs with F-distribution intervals.

    Every array has one entry per task, in the order of ``tasks``. ``*_low``/``*_high`` are the
    ends of the two-sided ``1 − alpha`` interval.

    Attributes
    ----------
    tasks:
        Task (metric) names.
    n_sweep, n_noise:
        Values used per task (present, finite cells).
    var_sweep, var_noise:
        Sample variances (ddof 1).
    noise_share:
        s²_noise / s²_sweep (may exceed 1 when the reruns vary more than the sweep).
    ceiling:
        clip(1 − noise_share, 0, 1).
    snr:
        (s²_sweep − s²_noise) / s²_noise; negative when the reruns vary more than the sweep.
    width_factor:
        F_{1−α/2}/F_{α/2}: how many times the upper end of a share's interval exceeds the lower
        end (the same for every task with the same counts; the median over tasks is reported).
    alpha:
        1 − confidence level.
    """

    tasks: tuple[str, ...]
    n_sweep: np.ndarray
    n_noise: np.ndarray
    var_sweep: np.ndarray
    var_noise: np.ndarray
    noise_share: np.ndarray
    noise_share_low: np.ndarray
    noise_share_high: np.ndarray
    ceiling: np.ndarray
    ceiling_low: np.ndarray
    ceiling_high: np.ndarray
    snr: np.ndarray
    snr_low: np.ndarray
    snr_high: np.ndarray
    width_factor: float
    alpha: float

    @property
    def confidence_level(self) -> float:
        return 1.0 - self.alpha

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per task (the per-task table)."""
        return [
            {
                "task": task,
                "n_sweep": int(self.n_sweep[j]),
                "n_noise": int(self.n_noise[j]),
                "var_sweep": float(self.var_sweep[j]),
                "var_noise": float(self.var_noise[j]),
                "noise_share": float(self.noise_share[j]),
                "noise_share_ci": [float(self.noise_share_low[j]), float(self.noise_share_high[j])],
                "ceiling": float(self.ceiling[j]),
                "ceiling_ci": [float(self.ceiling_low[j]), float(self.ceiling_high[j])],
                "snr": float(self.snr[j]),
                "snr_ci": [float(self.snr_low[j]), float(self.snr_high[j])],
            }
            for j, task in enumerate(self.tasks)
        ]


def f_ratio_interval(
    ratio: np.ndarray | float,
    df_num: np.ndarray | int,
    df_den: np.ndarray | int,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact interval for a ratio of two normal variances σ²_a/σ²_b from ``ratio`` = s²_a/s²_b.

    With ``df_num`` = n_a − 1 and ``df_den`` = n_b − 1, (s²_a/σ²_a)/(s²_b/σ²_b) ~ F(df_num,
    df_den), so the ``1 − alpha`` interval is [ratio / F_{1−α/2}, ratio / F_{α/2}].
    Vectorized over all arguments (numpy broadcasting).
    """
    _check_alpha(alpha)
    ratio = np.asarray(ratio, dtype=np.float64)
    upper_q = stats.f.ppf(1.0 - alpha / 2.0, df_num, df_den)
    lower_q = stats.f.ppf(alpha / 2.0, df_num, df_den)
    return ratio / upper_q, ratio / lower_q


def confidence_to_alpha(confidence_level: float) -> float:
    """``1 - confidence_level``, rounded to 12 decimals so that 0.95 gives exactly 0.05."""
    if isinstance(confidence_level, bool) or not isinstance(confidence_level, int | float):
        raise InputError(f"confidence_level must be a number in (0, 1), got {confidence_level!r}")
    return round(1.0 - float(confidence_level), 12)


def accepts_alpha(func: F) -> F:
    """Accept the old ``alpha=`` (interval confidence ``1 - alpha``) for ``confidence_level=``,
    with a DeprecationWarning, for one release (scipy's name is ``confidence_level``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "alpha" in kwargs:
            if "confidence_level" in kwargs:
                raise InputError(
                    f"{func.__name__}() got both alpha= and confidence_level= (alpha is the old "
                    "name, confidence_level = 1 - alpha)"
                )
            warnings.warn(
                f"{func.__name__}(alpha=...) is renamed confidence_level= (= 1 - alpha); the old "
                "name goes in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs["confidence_level"] = round(1.0 - float(kwargs.pop("alpha")), 12)
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _check_alpha(alpha: float) -> None:
    open_unit(alpha, "alpha")


def _check_snr_threshold(threshold: float) -> None:
    if not isinstance(threshold, int | float) or not threshold >= 0:
        raise InputError(f"snr_threshold must be a number >= 0, got {threshold!r}")


def snr_from_share(
    share: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SNR = 1/share − 1 with its interval: the map is decreasing, so the share's upper end
    gives the SNR's lower end. A share of 0 gives an infinite SNR."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / share - 1.0, 1.0 / high - 1.0, 1.0 / low - 1.0


def _as_matrix(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InputError(f"{what} must be a 1-D or 2-D array (runs x tasks), got {array.shape}")
    return np.where(np.isfinite(array), array, np.nan)


def _task_names(tasks: Sequence[str] | None, p: int) -> tuple[str, ...]:
    if tasks is None:
        return tuple(f"task {j + 1}" for j in range(p))
    names = tuple(str(t) for t in tasks)
    if len(names) != p:
        raise InputError(f"got {len(names)} task name(s) for {p} column(s)")
    return names


def nan_variance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column present counts and sample variances (ddof 1; NaN with fewer than 2 values)."""
    present = np.isfinite(values)
    count = present.sum(axis=0)
    filled = np.where(present, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / count
        centred = np.where(present, values - mean, 0.0)
        var = (centred**2).sum(axis=0) / (count - 1)
    return count, np.where(count >= 2, var, np.nan)


@accepts_alpha
def noise_floors(
    sweep: Any,
    noise: Any,
    *,
    tasks: Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> NoiseFloors:
    """Per-task noise share, h² ceiling and SNR with exact F intervals (see the module notes).

    Parameters
    ----------
    sweep:
        (n, p) values of the sweep runs (or (n,) for one task); NaN = missing cell.
    noise:
        (m, p) values of the reruns of one configuration, same tasks in the same order.
    tasks:
        Task names (default ``task 1``, ``task 2``...).
    confidence_level:
        Level of the intervals (old name ``alpha`` = 1 − confidence_level).

    Raises
    ------
    InputError
        Different task counts, a noise baseline with fewer than 2 values for a task, a task with
        fewer than 2 values or no variation in the sweep.
    """
    alpha = confidence_to_alpha(confidence_level)
    _check_alpha(alpha)
    sweep_m = _as_matrix(sweep, "sweep")
    noise_m = _as_matrix(noise, "noise")
    p = sweep_m.shape[1]
    if noise_m.shape[1] != p:
        raise InputError(
            f"the sweep has {p} task column(s) and the noise baseline {noise_m.shape[1]}"
        )
    names = _task_names(tasks, p)
    if noise_m.shape[0] < 2:
        raise InputError(
            f"the noise baseline has {noise_m.shape[0]} row(s); a noise variance needs at least "
            "2 reruns of the same configuration"
        )
    n_sweep, var_sweep = nan_variance(sweep_m)
    n_noise, var_noise = nan_variance(noise_m)
    short = [names[j] for j in np.nonzero(n_noise < 2)[0]]
    if short:
        raise InputError(
            f"task(s) with fewer than 2 values in the noise baseline: {', '.join(short)}"
        )
    # Constant as in measurand.io.matrix (sd <= 1e-12), relative to the values' magnitude.
    scale = np.nanmax(np.abs(sweep_m), axis=0, initial=0.0)
    with np.errstate(invalid="ignore"):
        constant = (n_sweep < 2) | ~(np.sqrt(var_sweep) > _CONSTANT_SD * np.maximum(scale, 1.0))
    if np.any(constant):
        bad = ", ".join(names[j] for j in np.nonzero(constant)[0])
        raise InputError(
            f"task(s) constant in the sweep (or with fewer than 2 values): {bad}; their noise "
            "share is undefined (a variance ratio over zero): exclude them"
        )
    share = var_noise / var_sweep
    low, high = f_ratio_interval(share, n_noise - 1, n_sweep - 1, alpha)
    width = stats.f.ppf(1 - alpha / 2, n_noise - 1, n_sweep - 1) / stats.f.ppf(
        alpha / 2, n_noise - 1, n_sweep - 1
    )
    snr, snr_low, snr_high = snr_from_share(share, low, high)
    return NoiseFloors(
        tasks=names,
        n_sweep=n_sweep.astype(np.int64),
        n_noise=n_noise.astype(np.int64),
        var_sweep=var_sweep,
        var_noise=var_noise,
        noise_share=share,
        noise_share_low=low,
        noise_share_high=high,
        ceiling=np.clip(1.0 - share, 0.0, 1.0),
        ceiling_low=np.clip(1.0 - high, 0.0, 1.0),
        ceiling_high=np.clip(1.0 - low, 0.0, 1.0),
        snr=snr,
        snr_low=snr_low,
        snr_high=snr_high,
        width_factor=float(np.median(width)),
        alpha=float(alpha),
    )
