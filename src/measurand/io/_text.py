"""What every reader of text tables shares: the file's format, its header, and where it breaks.

polars reads fast but reports a bad byte or a long row without its line; on such a failure the
functions here re-read the file with the standard library (only then) to name the line and the
column, as every other reader error does.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from pathlib import Path

from measurand.errors import InputError

SUFFIX_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".tsv.gz": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl",
    ".npz": "npz",
}
"""File-name suffix (lower case) to format, longest suffixes first when matching."""

FORMAT_ALIASES = {"ndjson": "jsonl", "json": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}

# A float64 holds magnitudes below this; a value whose square overflows breaks variances.
SQUARE_OVERFLOW = math.sqrt(1.7976931348623157e308)


def resolve_format(path: Path, fmt: str | None, formats: tuple[str, ...]) -> str:
    """The format of ``path``: ``fmt`` (or an alias) when given, else from its suffix."""
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        key = FORMAT_ALIASES.get(key, key)
        if key not in formats:
            raise InputError(
                f"unknown format {fmt!r}; expected one of {', '.join(formats)}", source=str(path)
            )
        return key
    name = path.name.lower()
    for suffix, key in sorted(SUFFIX_FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix) and key in formats:
            return key
    known = sorted(s for s, k in SUFFIX_FORMATS.items() if k in formats)
    suffixes = path.suffixes[-2:] if path.suffix.lower() == ".gz" else path.suffixes[-1:]
    suffix = "".join(suffixes) or "(no suffix)"
    raise InputError(
        f"unknown file type {suffix!r}: cannot tell the format from the file name; expected "
        f"one of {', '.join(known)} (or pass the format: one of {', '.join(formats)})",
        source=str(path),
    )


def check_file(path: Path) -> None:
    """InputError unless ``path`` is an existing regular file (naming loops and folders)."""
    if not path.exists():
        if path.is_symlink():
            raise InputError(
                "is a symbolic link that does not resolve (a link loop, or its target is missing)",
                source=str(path),
            )
        raise InputError("file not found", source=str(path))
    if path.is_dir():
        raise InputError("is a folder (directory); expected a file", source=str(path))


def delimiter_hint(columns: list[str]) -> str:
    """A hint when a one-column header looks split by another delimiter, else ``""``."""
    if len(columns) != 1:
        return ""
    for separator, name in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")):
        if separator in columns[0]:
            return (
                f"; the header is one column {columns[0]!r}: the file seems to use {name} as "
                "its delimiter (CSV needs ',', TSV a tab; name the file .tsv for tabs)"
            )
    return ""


def open_text(path: Path) -> io.TextIOBase:
    """The file as UTF-8 text (a leading BOM dropped), through gzip for ``*.gz``."""
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def check_header(path: Path, separator: str) -> list[str]:
    """The header's column names; InputError (line 1) when a name is repeated.

    polars would rename a repeated ``X`` to ``X_duplicated_0`` and the first one would be used
    silently.
    """
    try:
        with open_text(path) as text:
            header = next(csv.reader(text, delimiter=separator), None)
    except UnicodeDecodeError:
        raise first_bad_utf8(path, separator) from None
    except (OSError, EOFError, csv.Error) as exc:
        raise InputError(f"cannot read the header: {exc}", source=str(path), line=1) from exc
    if header is None:
        raise InputError("the file is empty (no header line)", source=str(path))
    seen: set[str] = set()
    repeated = [name for name in header if name in seen or seen.add(name)]
    if repeated:
        raise InputError(
            f"column name(s) {sorted(set(repeated))} appear more than once in the header; "
            "give every column its own name",
            source=str(path),
            line=1,
        )
    return header


def first_bad_utf8(path: Path, separator: str) -> InputError:
    """An InputError at the first byte that is not UTF-8, naming its line and column."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    header: list[str] = []
    with opener(path, "rb") as raw:
        # Lines split on b"\n", which never falls inside a multi-byte sequence, so each line
        # decodes on its own (a sequence cut short at the end of the file fails on its line).
        for number, line in enumerate(raw, start=1):
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                before = line[: exc.start].decode("utf-8", errors="replace")
                field = before.count(separator)
                column = header[field] if field < len(header) else None
                return InputError(
                    f"byte {line[exc.start : exc.start + 1]!r} at offset {exc.start} is not "
                    "UTF-8 text; save the file as UTF-8",
                    source=str(path),
                    line=number,
                    column=column,
                )
            if number == 1:
                header = next(csv.reader([text], delimiter=separator), [])
    return InputError("the file is not UTF-8 text; save it as UTF-8", source=str(path))


def explain_read_error(path: Path, separator: str, exc: BaseException) -> InputError:
    """Turn a polars CSV failure into an InputError that names the line (re-reading the file)."""
    message = str(exc)
    if "utf-8" in message.lower() or "utf8" in message.lower():
        return first_bad_utf8(path, separator)
    try:
        with open_text(path) as text:
            reader = csv.reader(text, delimiter=separator)
            header = next(reader, [])
            line = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header):
                    return InputError(
                        f"has {len(row)} fields but the header has {len(header)}",
                        source=str(path),
                        line=line,
                    )
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error, OSError, EOFError):
        pass
    text = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    if path.name.lower().endswith(".gz") and "end of file" in text.lower():
        text += " (the gzip stream ends early: a truncated or partly copied file?)"
    return InputError(f"cannot read the file: {text}", source=str(path))
