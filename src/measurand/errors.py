"""Errors raised for bad input: they carry where the problem is and what was expected."""

from __future__ import annotations


class MeasurandError(Exception):
    """Base class for measurand's own errors."""


class InputError(MeasurandError, ValueError):
    """Bad user input (a file, a column, an argument). The CLI maps it to exit code 2.

    ``source`` names the file (or argument), ``line``/``column`` locate the problem when known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class OutputError(InputError):
    """An output location that cannot or must not be written (a protected folder, a parent that
    is a file, no permission, a full disk, another run holding it). The CLI exits 2."""


class NoSolutionError(MeasurandError, ValueError):
    """A solver (power, sample size) has no solution for the requested inputs."""


class DegenerateDataWarning(RuntimeWarning):
    """The data make a statistic undefined or unreliable (an empty class, all-NaN resamples...).

    The computation goes on and returns NaN or a labelled result instead of raising.
    """
