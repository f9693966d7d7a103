"""Writing outputs: atomically, claimed before computing, never over results without ``force``.

A report folder goes through three steps:

1. **Check** (:func:`check_output_dir`), before any work: the target is not the current folder,
   home, a filesystem root or an ancestor of an input; a parent is not a file; an existing
   non-empty folder needs ``force`` and must be a folder measurand wrote (see
   :func:`is_measurand_folder`).
2. **Claim** (:func:`claim_output_dir`), also before computing: a lock file
   ``.<name>.measurand-lock`` beside the target is created with ``O_CREAT | O_EXCL``, so of two
   runs aiming at one ``--out`` exactly one proceeds and the other gets an :class:`OutputError`.
   Creating it also proves the parent folder writable. A lock left by a dead process on this
   host is taken over; staging and old folders of dead runs are removed (or, when the target
   itself is missing, the old report is put back) and named in :attr:`OutputClaim.notes`.
3. **Write** (:func:`write_output_dir`): every file goes into a sibling staging folder
   ``.<name>.<pid>.<random>.staging``; the staging folder then takes the target's place. An
   existing target is swapped with the staging folder in one ``renameat2(RENAME_EXCHANGE)``
   call (Linux 3.15+, through ctypes), so at every instant the target holds either the complete
   old report or the complete new one; the old one is deleted afterwards. Where the exchange is
   unavailable (other systems, file systems without it) the target is first renamed to
   ``.<name>.<pid>.<random>.old`` and the staging folder renamed in its place; a crash between
   these two renames leaves the old report in the ``.old`` folder, and the next run on that
   target puts it back before doing anything else.

A failure while writing (disk full, permissions) deletes the staging folder, keeps the old
report, and raises :class:`~measurand.errors.OutputError` naming the path.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measurand._result import to_builtin
from measurand.errors import OutputError

__all__ = [
    "OutputClaim",
    "check_output_dir",
    "check_output_file",
    "claim_output_dir",
    "dumps_json",
    "is_measurand_folder",
    "release_claims",
    "write_atomic",
    "write_json",
    "write_output_dir",
]

# What measurand writes into a report folder; a folder holding only these (and sub-folders of
# the same kind, as `measurand demo` writes) is one that --force may replace.
REPORT_NAMES = frozenset({"results.json", "summary.md", "report.html", "index.html", "README.md"})
REPORT_SUFFIXES = (".pdf", ".png", ".svg", ".npz", ".csv", ".json", ".md", ".html")
LOCK_SUFFIX = ".measurand-lock"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _describe(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


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


# --------------------------------------------------------------------------- checks


def is_measurand_folder(path: str | os.PathLike[str]) -> bool:
    """True when every entry of the folder is one measurand writes into a report folder.

    That is: ``results.json``, ``summary.md``, ``report.html``, ``index.html``, ``README.md``,
    figure/table/pool files (``.pdf .png .svg .npz .csv .json .md .html``) and sub-folders of
    the same kind. No marker file is added, so a report folder lists only its report files; a
    folder with anything else in it (sources, data, dot-files, a user's notes) is not replaced.
    """
    folder = Path(path)
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    for entry in entries:
        if entry.is_symlink():
            return False
        if entry.is_dir():
            if not is_measurand_folder(entry):
                return False
        elif not (entry.name in REPORT_NAMES or entry.name.endswith(REPORT_SUFFIXES)):
            return False
        if entry.name.startswith("."):
            return False
    return True


def _real(path: str | os.PathLike[str]) -> Path:
    """The absolute path with symlinks resolved; never raises (a symlink loop stays as is)."""
    return Path(os.path.realpath(path))


def _is_within(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
    except ValueError:
        return False
    return True


def _protected(out: Path, inputs: Iterable[str | os.PathLike[str]]) -> str | None:
    """Why ``out`` (resolved) must never be replaced, or None."""
    cwd = _real(Path.cwd())
    if _is_within(cwd, out):
        return "is the current folder or one of its parents"
    home = _real(Path.home())
    if _is_within(home, out):
        return "is your home folder or one of its parents"
    if out.parent == out:
        return "is a filesystem root"
    for given in inputs:
        source = _real(given)
        if _is_within(source, out):
            return f"holds the input {given}"
    return None


def _check_parents(out: Path) -> None:
    """Refuse a parent that is a file, or a nearest existing folder that is not writable."""
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise OutputError(f"its parent {parent} is a file, not a folder", source=str(out))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"the folder {parent} is not writable", source=str(out))
            return


def check_output_dir(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Refuse an output folder that cannot or must not be written; create nothing yet.

    Refused: the current folder, home, a filesystem root or any of their parents, a folder that
    holds one of ``inputs``; a path whose parent is a file or not writable; an existing file;
    an existing non-empty folder without ``force``, or with ``force`` when it is not a folder
    measurand wrote (:func:`is_measurand_folder`).
    """
    out = Path(path)
    resolved = _real(out)
    reason = _protected(resolved, inputs)
    if reason is not None:
        raise OutputError(f"the output folder {reason}; choose another --out", source=str(out))
    if out.exists() and not out.is_dir():
        raise OutputError("exists and is not a folder; choose another --out", source=str(out))
    _check_parents(resolved)
    if out.is_dir():
        try:
            non_empty = any(out.iterdir())
        except OSError as exc:
            raise OutputError(
                f"cannot list the folder: {_describe(exc)}", source=str(out)
            ) from None
        if non_empty and not force:
            raise OutputError(
                "output folder exists and is not empty; pass --force to overwrite it",
                source=str(out),
            )
        if non_empty and not is_measurand_folder(out):
            raise OutputError(
                "--force replaces only a report folder measurand wrote, and this one holds "
                "other files; choose another --out or empty it yourself",
                source=str(out),
            )
    return out


def check_output_file(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    option: str = "--out",
    other_outputs: Sequence[str | os.PathLike[str]] = (),
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Refuse an output *file* that is a folder, inside/equal to another output, an input, or
    exists without ``force``; its parent must be a writable folder."""
    target = Path(path)
    resolved = _real(target)
    if target.is_dir():
        raise OutputError(f"{option} names a folder; give a file name", source=str(target))
    for other in other_outputs:
        if _is_within(resolved, _real(other)):
            raise OutputError(
                f"{option} must lie outside the report folder {other}", source=str(target)
            )
    for given in inputs:
        if resolved == _real(given):
            raise OutputError(f"{option} would overwrite the input", source=str(target))
    if target.exists() and not force:
        raise OutputError("exists; pass --force to overwrite it", source=str(target))
    _check_parents(resolved)
    return target


# --------------------------------------------------------------------------- claims


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@dataclass
class OutputClaim:
    """This process's exclusive claim on an output folder (a lock file beside it)."""

    target: Path
    lock: Path
    created_parents: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def release(self, *, written: bool = False) -> None:
        self.lock.unlink(missing_ok=True)
        _CLAIMS.pop(self.target, None)
        if not written:
            for parent in self.created_parents:  # deepest first
                with contextlib.suppress(OSError):
                    parent.rmdir()


_CLAIMS: dict[Path, OutputClaim] = {}


def release_claims() -> None:
    """Release every claim this process holds (a run that ends without writing)."""
    for claim in list(_CLAIMS.values()):
        claim.release()


atexit.register(release_claims)


def _lock_text() -> str:
    return f"{os.getpid()} {socket.gethostname()}\n"


def _take_lock(lock: Path, out: Path) -> list[str]:
    notes: list[str] = []
    for _attempt in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read_lock(lock)
            if holder is None:  # being written or unreadable: treat as held
                raise OutputError(
                    f"another measurand run is writing this folder (lock {lock})",
                    source=str(out),
                ) from None
            pid, host = holder
            if host == socket.gethostname() and not _pid_alive(pid):
                lock.unlink(missing_ok=True)
                notes.append(f"took over the lock of a run that died (pid {pid}): {lock}")
                continue
            raise OutputError(
                f"another measurand run (pid {pid} on {host}) is writing this folder; wait for "
                f"it, or delete {lock} if that run is gone",
                source=str(out),
            ) from None
        except OSError as exc:
            raise OutputError(
                f"cannot write beside the output folder: {_describe(exc)}", source=str(out)
            ) from None
        with os.fdopen(fd, "w") as fh:
            fh.write(_lock_text())
        return notes
    raise OutputError(f"could not take the lock {lock}", source=str(out))


def _read_lock(lock: Path) -> tuple[int, str] | None:
    try:
        text = lock.read_text().split()
        return int(text[0]), text[1]
    except (OSError, ValueError, IndexError):
        return None


def _debris(out: Path) -> list[tuple[Path, int, str]]:
    """Staging/old folders left beside ``out`` by earlier runs: (path, pid or -1, kind)."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?:(\d+)\.)?[^.]+\.(staging|old)$")
    found = []
    with contextlib.suppress(OSError):
        for entry in out.parent.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_dir():
                found.append((entry, int(match.group(1) or -1), match.group(2)))
    return found


def _recover(out: Path) -> list[str]:
    """Clean what dead runs left beside ``out``; put an old report back if ``out`` is missing.

    Called while holding the lock, so no live run is writing these (a pid that is still alive
    belongs to a run that lost its lock to a takeover, and is left alone).
    """
    notes = []
    for path, pid, kind in sorted(_debris(out), key=lambda item: item[2] != "old"):
        if pid > 0 and pid != os.getpid() and _pid_alive(pid):
            notes.append(f"left alone {path}: its run (pid {pid}) is still alive")
            continue
        if kind == "old" and not out.exists():
            os.rename(path, out)
            notes.append(f"put back the report that an interrupted run had moved to {path}")
            continue
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"removed {path}, left by an interrupted run")
    return notes


def claim_output_dir(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> OutputClaim:
    """Check ``path`` (:func:`check_output_dir`) and claim it for this process.

    Creates missing parent folders (removed again if nothing is written) and the lock file;
    re-checks the target once the lock is held, so that a run that finished meanwhile is seen.
    Returns the claim already held when this process claimed ``path`` before.
    """
    out = check_output_dir(path, force=force, inputs=inputs)
    key = _real(out)
    if key in _CLAIMS:
        return _CLAIMS[key]
    created = []
    for parent in reversed(key.parents):
        if not parent.exists():
            try:
                parent.mkdir()
            except FileExistsError:
                if parent.is_dir():
                    continue  # another run made it a moment ago: share it, never remove it
                raise OutputError(
                    f"cannot create the folder {parent}: a file of that name exists",
                    source=str(out),
                ) from None
            except OSError as exc:
                for made in reversed(created):
                    with contextlib.suppress(OSError):
                        made.rmdir()
                raise OutputError(
                    f"cannot create the folder {parent}: {_describe(exc)}", source=str(out)
                ) from None
            created.append(parent)
    lock = key.parent / f".{key.name}{LOCK_SUFFIX}"
    try:
        notes = _take_lock(lock, out)
    except OutputError:
        for made in reversed(created):
            with contextlib.suppress(OSError):
                made.rmdir()
        raise
    claim = OutputClaim(key, lock, created_parents=created[::-1], notes=notes)
    _CLAIMS[key] = claim
    try:
        claim.notes.extend(_recover(key))
        check_output_dir(out, force=force, inputs=inputs)  # what a finished run left
    except BaseException:
        claim.release()
        raise
    return claim


# --------------------------------------------------------------------------- writing

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _replace_folder(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out``; ``out`` is old-or-new at every instant."""
    if not out.exists():
        os.rename(staging, out)  # fails (ENOTEMPTY/EEXIST) if a non-empty folder appeared
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old report
        return
    old = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".old", dir=out.parent)
    )
    os.rmdir(old)
    os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def write_output_dir(
    path: str | os.PathLike[str],
    files: dict[str, str | bytes],
    *,
    force: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write a whole report folder at once (see the module docstring for the steps).

    Uses the claim this process already holds on ``path`` (the CLI claims before computing),
    else claims it now. An interrupted or failed write never leaves a half-written report, and
    an existing one survives until the new one is complete.
    """
    claim = claim_output_dir(path, force=force, inputs=inputs)
    out = claim.target
    written = False
    try:
        try:
            staging = Path(
                tempfile.mkdtemp(
                    prefix=f".{out.name}.{os.getpid()}.", suffix=".staging", dir=out.parent
                )
            )
        except OSError as exc:
            raise OutputError(
                f"cannot write beside the output folder: {_describe(exc)}", source=str(path)
            ) from None
        try:
            os.chmod(staging, 0o777 & ~_umask())
            for name, content in files.items():
                try:
                    write_atomic(staging / name, content)
                except OSError as exc:
                    raise OutputError(
                        f"cannot write {name}: {_describe(exc)}; the previous report (if any) "
                        "is kept",
                        source=str(path),
                    ) from None
            try:
                _replace_folder(staging, out)
            except OSError as exc:
                raise OutputError(
                    f"cannot put the report in place: {_describe(exc)}", source=str(path)
                ) from None
            written = True
        finally:
            if not written:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        claim.release(written=written)
    return Path(path)
