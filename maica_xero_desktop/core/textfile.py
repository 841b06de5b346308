"""A text file read as a bounded stream of physical lines, for the importer.

Only a regular file is read (a named pipe, a device or a socket is refused before anything is
read from it, so ``/dev/zero`` or a FIFO with no writer never hangs or fills memory), and only up
to :data:`MAX_FILE_BYTES`. The bytes are decoded chunk by chunk (UTF-8 with or without a byte order
mark, or UTF-16 with one) and split into lines as they arrive; no line may be longer than
:data:`MAX_LINE_CHARS`. Memory therefore stays flat in the size of the file: one chunk and one
line at a time. Every problem is a :class:`FileProblem` carrying the sentence a user reads and the
physical line it was found on (0 for the whole file).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "FileProblem",
    "open_regular",
    "physical_lines",
]

#: The largest file the import reads. A Maica export takes about 230 bytes per invoice line, so
#: this is roughly 870,000 invoice lines: far more than a provider exports at once.
MAX_FILE_BYTES = 200_000_000
TYPICAL_LINE_BYTES = 230
#: The longest physical line (Xero's longest text field, a line description, is 4,000 characters).
MAX_LINE_CHARS = 100_000
CHUNK_BYTES = 1 << 18

SAVE_AS_UTF8 = (
    "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)', then import that file."
)
_EOL = re.compile(r"\r\n|\r|\n")
_LF = re.compile(r"\n")
#: What decides a file's line endings: its first \n (then a lone \r is a stray character inside
#: a line, not a line break), or a \r followed by a character other than \r or \n (a file from an
#: old Mac, whose lines end with \r alone).
_STYLE = re.compile(r"\r*\n|\r+[^\r\n]")
_WORKBOOK = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)  # POSIX only


class FileProblem(Exception):
    """The file cannot be read as a Maica export: ``message`` says why and what to do."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def size_limit_text() -> str:
    lines = MAX_FILE_BYTES // TYPICAL_LINE_BYTES // 10_000 * 10_000
    return f"{MAX_FILE_BYTES / 1e6:,.0f} MB (about {lines:,} invoice lines)"


def _too_large(name: str) -> FileProblem:
    which = f"The file {name}" if name else "The file"
    return FileProblem(
        f"{which} is larger than the import accepts, {size_limit_text()}: export the invoices "
        "from Maica in smaller date ranges and import each file."
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def _check_regular(path: Path, mode: int, size: int) -> None:
    if stat.S_ISDIR(mode):
        raise FileProblem(f"{path} is a folder, not a file: choose the exported CSV file.")
    if not stat.S_ISREG(mode):
        raise FileProblem(
            f"{path} is {_kind(mode)}, not a regular file: save the Maica export as a file and "
            "import that file."
        )
    if size > MAX_FILE_BYTES:
        raise _too_large(str(path))


def open_regular(path: Path) -> BinaryIO:
    """The file opened for reading, once it is known to be a regular file within the limit."""
    try:
        info = os.stat(path)
        _check_regular(path, info.st_mode, info.st_size)
        # O_NONBLOCK: should the path be swapped for a named pipe after the check, opening it
        # must not wait for a writer; the check below then refuses it.
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileProblem(
            f"The file {path} does not exist: check the name and the folder."
        ) from None
    except IsADirectoryError:
        raise FileProblem(
            f"{path} is a folder, not a file: choose the exported CSV file."
        ) from None
    except PermissionError:
        raise FileProblem(
            f"The file {path} cannot be read (permission denied): copy it somewhere you may read, "
            "or ask for access."
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FileProblem(
            f"The file {path} could not be read ({reason}): check it and retry."
        ) from None
    stream = os.fdopen(fd, "rb")
    try:
        info = os.fstat(stream.fileno())
        _check_regular(path, info.st_mode, info.st_size)
        if _NONBLOCK:
            os.set_blocking(stream.fileno(), True)
    except BaseException:
        stream.close()
        raise
    return stream


def physical_lines(
    stream: BinaryIO, *, name: str = "", max_bytes: int | None = None
) -> Iterator[str]:
    """The lines of ``stream`` with their endings (\\r\\n, \\r or \\n); :class:`FileProblem`.

    In a file whose lines end with \\n or \\r\\n, a lone \\r is part of its line (a stray character
    the import reports once), not a line break that would cut the row in two.
    """
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    first = stream.read(CHUNK_BYTES)
    while 0 < len(first) < 4:  # enough to recognise a byte order mark or a workbook
        more = stream.read(CHUNK_BYTES)
        if not more:
            break
        first += more
    if first.startswith(_WORKBOOK):
        raise FileProblem(f"The file is an Excel workbook, not CSV: {SAVE_AS_UTF8}")
    utf16 = first.startswith((b"\xff\xfe", b"\xfe\xff"))
    decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")("strict")
    done = 0  # lines yielded so far
    eol: re.Pattern[str] | None = None  # what ends a line, once the file has shown it
    total = 0
    pending = ""
    chunk = first
    while True:
        final = not chunk
        total += len(chunk)
        if total > limit:
            raise _too_large(name)
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise _not_text(exc, chunk, utf16, done + pending.count("\n")) from None
        nul = text.find("\x00")
        if nul >= 0:
            line = done + pending.count("\n") + text.count("\n", 0, nul) + 1
            raise FileProblem(
                "The file is not UTF-8 text (it contains NUL bytes, so it is a binary file or "
                f"UTF-16 without a byte order mark): {SAVE_AS_UTF8}",
                line,
            )
        pending += text
        if eol is None:
            decided = _STYLE.search(pending)
            if decided is not None:
                eol = _LF if decided.group().endswith("\n") else _EOL
            elif final:
                eol = _EOL
            elif len(pending) <= MAX_LINE_CHARS:
                chunk = stream.read(CHUNK_BYTES)
                continue
            else:
                eol = _EOL
        start = 0
        for match in eol.finditer(pending):
            end = match.end()
            if end == len(pending) and pending.endswith("\r") and not final:
                break  # a \r\n may be split between two chunks
            if end - start > MAX_LINE_CHARS:
                raise _too_long(done + 1)
            yield pending[start:end]
            done += 1
            start = end
        pending = pending[start:]
        if len(pending) > MAX_LINE_CHARS:
            raise _too_long(done + 1)
        if final:
            if pending:
                yield pending
            return
        chunk = stream.read(CHUNK_BYTES)


def _too_long(line: int) -> FileProblem:
    return FileProblem(
        f"the line is longer than {MAX_LINE_CHARS:,} characters: this is not a Maica export "
        "(or a value's closing double quote is missing).",
        line,
    )


def _not_text(exc: UnicodeDecodeError, chunk: bytes, utf16: bool, before: int) -> FileProblem:
    if utf16:
        return FileProblem(
            f"The file starts like UTF-16 text but is not valid UTF-16: {SAVE_AS_UTF8}"
        )
    data = exc.object if isinstance(exc.object, bytes) else chunk
    line = before + data.count(b"\n", 0, exc.start) + 1
    byte = data[exc.start] if exc.start < len(data) else 0
    return FileProblem(
        f"The file is not UTF-8 text (byte 0x{byte:02X} is not UTF-8; it may have been "
        f"saved as 'CSV (Comma delimited)' or Windows-1252): {SAVE_AS_UTF8}",
        line,
    )
