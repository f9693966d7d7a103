"""Keyword renames that keep the old name working for one release (listed in CHANGELOG.md)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from measurand.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])


def renamed_kwargs(**old_to_new: str) -> Callable[[F], F]:
    """Accept ``old=`` for ``new=`` with a DeprecationWarning (an error when both are given).

    >>> @renamed_kwargs(n_permutations="n_resamples")
    ... def f(*, n_resamples=10): return n_resamples
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise InputError(
                            f"{func.__name__}() got both {old}= and {new}= ({old} is the old name)"
                        )
                    warnings.warn(
                        f"{func.__name__}({old}=...) is renamed {new}=; the old name goes in the "
                        "next release",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
