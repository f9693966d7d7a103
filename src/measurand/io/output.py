"""Writing outputs: atomically, and never over existing results without ``force``."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from measurand._result import to_builtin
from measurand.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A reader never sees a half-written file, and a crash leaves the previous file intact.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(content)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# A list holding only numbers, null, booleans or short strings, as json.dumps(indent=2) lays it out.
# Rewriting only the ",<newline><indent>" separators is safe: JSON strings hold no raw newline.
_SCALAR = r"(?:-?[0-9][0-9.eE+-]*|null|true|false|\"[^\"\n]{0,40}\")"
_SCALAR_LIST = re.compile(rf"\[\n\s*((?:{_SCALAR},\n\s*)*{_SCALAR})\n\s*\]")


def dumps_json(data: Any) -> str:
    """JSON text with numpy values converted, NaN as null, stable key order as given.

    Indented for reading, except that lists of scalars stay on one line (curves and per-run
    values would otherwise take a line per number).
    """
    text = json.dumps(to_builtin(data), indent=2, allow_nan=False)
    return _SCALAR_LIST.sub(lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]", text) + "\n"


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    return write_atomic(path, dumps_json(data))


def check_output_dir(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Refuse an existing non-empty output folder unless ``force``; do not create anything yet."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", source=str(out))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(
            "output folder exists and is not empty; pass --force to overwrite it", source=str(out)
        )
    return out


def write_output_dir(
    path: str | os.PathLike[str], files: dict[str, str | bytes], *, force: bool = False
) -> Path:
    """Write a whole report folder at once.

    Files are first written to a sibling staging folder, which then replaces ``path`` in one
    rename, so an interrupted run never leaves a half-written report (and an existing one
    survives until the new one is complete).
    """
    out = check_output_dir(path, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".staging", dir=out.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())
        for name, content in files.items():
            write_atomic(staging / name, content)
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(staging, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
