"""Decodes and parses an uploaded products CSV. Never touches the database.

The reader accepts what spreadsheets and scripts really produce: UTF-8 with or
without BOM, UTF-16 with BOM (Excel's "Unicode text"), Windows-1252 (the
caller retries with ``encoding="cp1252"`` when :class:`NotUtf8Error` is
raised), gzip-compressed files, LF or CRLF line ends, quoted fields and the
delimiters ``,``, ``;`` or tab (whichever the header uses most). Columns are
found by header name, case- and whitespace-insensitively; other columns are
ignored.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

REQUIRED_COLUMN = "sku"
KNOWN_COLUMNS = ("sku", "name", "description", "active")
ACTIVE_TRUE = frozenset({"true", "1", "yes", "y", "t"})
ACTIVE_FALSE = frozenset({"false", "0", "no", "n", "f"})
SAMPLE_BYTES = 64 * 1024
# A value longer than this is almost always an unclosed quote swallowing the
# rest of the file; failing says so instead of eating memory.
FIELD_SIZE_LIMIT = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
KNOWN_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or ZIP archive. Save it as CSV and upload "
    "that file",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls). Save it as CSV and "
    "upload that file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}

CP1252_WARNING = (
    "The file is not valid UTF-8, so it was read as Windows-1252 (what Excel "
    "writes). Check accented characters in a few products."
)
NUL_WARNING = "The file contained NUL bytes; they were removed from the values."


class ImportFileError(Exception):
    """The file cannot be imported; the message is meant for the user."""


class NotUtf8Error(Exception):
    """Raised mid-file when bytes are not UTF-8: read it again as cp1252."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    column: str
    reason: str
    values: list[str]


@dataclass(frozen=True)
class ColumnLimits:
    sku: int = 255
    name: int = 255


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from the stored file (compressed bytes for .gz)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        self.bytes_read += size
        return size


class _PrefixedReader(io.RawIOBase):
    """Replays bytes already read for sniffing, then continues the stream."""

    def __init__(self, prefix: bytes, stream) -> None:
        self.prefix = prefix
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.prefix:
            size = min(len(buffer), len(self.prefix))
            buffer[:size] = self.prefix[:size]
            self.prefix = self.prefix[size:]
            return size
        chunk = self.stream.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        return size


def _read_sample(stream) -> bytes:
    parts = []
    remaining = SAMPLE_BYTES
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _utf16_without_bom(sample: bytes) -> str | None:
    """Recognises BOM-less UTF-16 by its zero high bytes of ASCII text."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _encoding_detect(sample: bytes, fallback: str | None) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    for signature, what in KNOWN_BINARY_SIGNATURES.items():
        if sample.startswith(signature):
            raise ImportFileError(f"This file is not a CSV: it looks like {what}.")
    control = sum(
        sample.count(bytes([code])) for code in range(32) if code not in (9, 10, 13)
    )
    if control > max(8, len(sample) // 50):
        raise ImportFileError(
            "This file is not a CSV: it contains binary data. Upload a CSV "
            "(or .csv.gz) file with the columns sku, name and description."
        )
    return fallback or "utf-8"


def _delimiter_sniff(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in ",;\t"}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


def _header_key(cell: str) -> str:
    return "".join(cell.replace("\ufeff", "").split()).lower()


@dataclass
class ProductCsv:
    """An opened products CSV: header understood, rows ready to iterate.

    Iterating :meth:`rows` yields ``(line, sku, name, description, active)``
    tuples for valid rows and hands rejected rows to ``on_reject``.
    ``active`` is ``None`` when the file has no ``active`` column or the cell
    is empty.
    """

    text: io.TextIOWrapper
    counter: _CountingReader
    encoding: str
    delimiter: str
    header: list[str]
    columns: dict[str, int]
    limits: ColumnLimits
    warnings: list[str] = field(default_factory=list)
    data_rows: int = 0
    rejected_rows: int = 0
    header_line: int = 1
    nul_seen: bool = False

    @property
    def bytes_read(self) -> int:
        return self.counter.bytes_read

    @property
    def has_active_column(self) -> bool:
        return "active" in self.columns

    def close(self) -> None:
        self.text.close()

    def _lines(self) -> Iterator[str]:
        try:
            for line in self.text:
                if "\x00" in line:
                    self.nul_seen = True
                    line = line.replace("\x00", "")
                yield line
        except UnicodeDecodeError as error:
            if self.encoding in ("utf-8", "utf-8-sig"):
                raise NotUtf8Error from error
            raise ImportFileError(
                f"The file could not be decoded as {self.encoding}."
            ) from error
        except (EOFError, OSError, zlib.error) as error:
            raise ImportFileError(
                "The compressed file is damaged or incomplete; upload it again."
            ) from error

    def rows(
        self, *, on_reject: Callable[[RejectedRow], None]
    ) -> Iterator[tuple[int, str, str, str, bool | None]]:
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        # strict: a quote left open would otherwise swallow every following
        # line into one value and import it silently; so would text after a
        # closing quote be glued on. Both fail the file with their line.
        reader = csv.reader(self._lines(), delimiter=self.delimiter, strict=True)
        width = len(self.header)
        sku_at = self.columns["sku"]
        name_at = self.columns.get("name")
        description_at = self.columns.get("description")
        active_at = self.columns.get("active")
        max_sku, max_name = self.limits.sku, self.limits.name
        # The header was consumed separately: physical lines continue after it.
        last_line = self.header_line
        line_offset = self.header_line
        try:
            for values in reader:
                line = last_line + 1
                last_line = reader.line_num + line_offset
                if not any(values) or not "".join(values).strip():
                    continue
                self.data_rows += 1
                count = len(values)
                if count > width and any(v.strip() for v in values[width:]):
                    self.rejected_rows += 1
                    on_reject(
                        RejectedRow(
                            line,
                            "",
                            f"The row has {count} values but the header has "
                            f"{width} columns (an unquoted delimiter?)",
                            values,
                        )
                    )
                    continue
                sku = values[sku_at].strip() if sku_at < count else ""
                if not sku:
                    self.rejected_rows += 1
                    on_reject(RejectedRow(line, "sku", "SKU is empty", values))
                    continue
                if len(sku) > max_sku:
                    self.rejected_rows += 1
                    on_reject(
                        RejectedRow(
                            line,
                            "sku",
                            f"SKU is longer than {max_sku} characters ({len(sku)})",
                            values,
                        )
                    )
                    continue
                name = ""
                if name_at is not None and name_at < count:
                    name = values[name_at].strip()
                    if len(name) > max_name:
                        self.rejected_rows += 1
                        on_reject(
                            RejectedRow(
                                line,
                                "name",
                                f"Name is longer than {max_name} characters "
                                f"({len(name)})",
                                values,
                            )
                        )
                        continue
                description = ""
                if description_at is not None and description_at < count:
                    description = values[description_at]
                active = None
                if active_at is not None and active_at < count:
                    flag = values[active_at].strip().lower()
                    if flag in ACTIVE_TRUE:
                        active = True
                    elif flag in ACTIVE_FALSE:
                        active = False
                    elif flag:
                        self.rejected_rows += 1
                        on_reject(
                            RejectedRow(
                                line,
                                "active",
                                "Active must be true/false, 1/0 or yes/no "
                                f"(got {values[active_at].strip()!r})",
                                values,
                            )
                        )
                        continue
                yield (line, sku, name, description, active)
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise ImportFileError(
                    f'Line {last_line + 1} could not be read as CSV: a quote (") '
                    "opens a value there and is never closed, so every line after "
                    "it would become part of that value. Close or remove the "
                    "quote and upload the file again."
                ) from error
            raise ImportFileError(
                f"Line {last_line + 1} could not be read as CSV ({error}). "
                'Is a quote (") left open?'
            ) from error
        if self.nul_seen and NUL_WARNING not in self.warnings:
            self.warnings.append(NUL_WARNING)
        if self.data_rows == 0:
            raise ImportFileError("The file has a header row but no products below it.")


def product_csv_open(
    stream: BinaryIO,
    *,
    encoding: str | None = None,
    limits: ColumnLimits | None = None,
) -> ProductCsv:
    """Opens ``stream`` (binary, positioned at the start) as a products CSV.

    ``encoding`` forces a text encoding (``"cp1252"`` after
    :class:`NotUtf8Error`); by default it is detected. Raises
    :class:`ImportFileError` for anything that is not a usable CSV.
    """
    counter = _CountingReader(stream)
    source = io.BufferedReader(counter, buffer_size=256 * 1024)
    head = source.peek(2)[:2]
    if head == GZIP_MAGIC:
        source = gzip.GzipFile(fileobj=source, mode="rb")
    try:
        sample = _read_sample(source)
    except (EOFError, OSError, zlib.error) as error:
        raise ImportFileError(
            "The compressed file is damaged or incomplete; upload it again."
        ) from error
    if not sample.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ImportFileError("The file is empty.")
    warnings: list[str] = []
    if encoding is None:
        encoding = _encoding_detect(sample, None)
    elif encoding == "cp1252":
        warnings.append(CP1252_WARNING)
    buffered = io.BufferedReader(_PrefixedReader(sample, source), 256 * 1024)
    errors = "replace" if encoding == "cp1252" else "strict"
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")

    header_line = 0
    header: list[str] = []
    try:
        while True:
            line = text.readline()
            if not line:
                break
            header_line += 1
            if line.strip("\r\n\ufeff\x00 \t"):
                header_text = line.replace("\x00", "")
                delimiter = _delimiter_sniff(header_text)
                header = next(csv.reader([header_text], delimiter=delimiter), [])
                break
    except UnicodeDecodeError as error:
        if encoding in ("utf-8", "utf-8-sig"):
            raise NotUtf8Error from error
        raise ImportFileError(f"The file could not be decoded as {encoding}.")
    except (EOFError, OSError, zlib.error) as error:
        raise ImportFileError(
            "The compressed file is damaged or incomplete; upload it again."
        ) from error
    if not header:
        raise ImportFileError("The file is empty.")

    columns: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = _header_key(cell)
        if key not in KNOWN_COLUMNS:
            continue
        if key in columns:
            positions = [
                str(index + 1)
                for index, other in enumerate(header)
                if _header_key(other) == key
            ]
            raise ImportFileError(
                f"The column \u201c{key}\u201d appears more than once in the header "
                f"(columns {', '.join(positions)}). Keep one and upload again."
            )
        columns[key] = position
    if REQUIRED_COLUMN not in columns:
        found = ", ".join(cell.strip() for cell in header if cell.strip())[:300]
        raise ImportFileError(
            "This file has no \u201csku\u201d column. The columns found were: "
            f"{found or '(none)'}. The header row must name the columns sku, "
            "name and description."
        )
    return ProductCsv(
        text=text,
        counter=counter,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        columns=columns,
        limits=limits or ColumnLimits(),
        warnings=warnings,
        header_line=header_line,
    )
