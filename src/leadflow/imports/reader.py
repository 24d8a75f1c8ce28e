"""Reading an uploaded file as rows of text: CSV (encoding, BOM and delimiter detected)
and XLSX (python-calamine). Rows are yielded one at a time with their line numbers,
so a file of millions of rows never sits in memory."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# Raised so a quoted field of a few MB does not stop the reader (csv's default is 128 KB).
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class FileInfo:
    format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    headers: list[str]


def _bad_file(message: str) -> ValidationFailed:
    return ValidationFailed(message, code=ErrorCode.INVALID_VALUE, field="file")


def detect_encoding(sample: bytes) -> str:
    """The file's encoding: a BOM says so; else UTF-8 when the sample decodes; else cp1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut at the end of the sample is not a reason to doubt UTF-8.
        if error.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {item: first.count(item) for item in DELIMITERS}
        best = max(counts, key=lambda item: counts[item])
        return best if counts[best] else ","


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def sniff(path: Path) -> FileInfo:
    """Format, encoding, delimiter and the header row; refuses a file without headers."""
    if is_xlsx(path):
        rows = iter_xlsx(path)
        headers = next(rows, None)
        if headers is None:
            raise _bad_file("The workbook's first sheet is empty")
        return FileInfo("xlsx", None, None, _headers(headers[1]))
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise _bad_file("The file is empty")
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(text[: 16 * 1024])
    info = FileInfo("csv", encoding, delimiter, [])
    first = next(iter_rows(path, info), None)
    if first is None:
        raise _bad_file("The file has no header row")
    return FileInfo("csv", encoding, delimiter, _headers(first[1]))


def _headers(cells: list[str]) -> list[str]:
    headers: list[str] = []
    for position, cell in enumerate(cells):
        name = cell.strip() or f"Column {position + 1}"
        while name in headers:
            name = f"{name} ({position + 1})"
        headers.append(name)
    if not any(cell.strip() for cell in cells):
        raise _bad_file("The first row holds no column names")
    return headers


def iter_rows(path: Path, info: FileInfo) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for every row, the header row (line 1) included."""
    if info.format == "xlsx":
        yield from iter_xlsx(path)
        return
    with path.open("r", encoding=info.encoding or "utf-8", errors="replace", newline="") as text:
        reader = csv.reader(text, delimiter=info.delimiter or ",")
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as error:
            raise _bad_file(f"Line {reader.line_num}: the CSV cannot be read ({error})") from None


def count_records(path: Path, info: FileInfo) -> int:
    """How many rows `iter_rows` yields (the header row included); a CSV file is
    counted in blocks of rows, without a line number and a tuple for each."""
    if info.format == "xlsx":
        return sum(1 for _ in iter_xlsx(path))
    total = 0
    with path.open("r", encoding=info.encoding or "utf-8", errors="replace", newline="") as text:
        reader = csv.reader(text, delimiter=info.delimiter or ",")
        try:
            while block := len(list(islice(reader, 10_000))):
                total += block
        except csv.Error as error:
            raise _bad_file(f"Line {reader.line_num}: the CSV cannot be read ({error})") from None
    return total


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def iter_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text (numbers without a spurious '.0', dates ISO),
    streamed (`imports.xlsx`); a zip that is not an Office Open XML workbook (an ODS
    file) goes to python-calamine, which reads the whole sheet first."""
    from xml.etree.ElementTree import ParseError
    from zipfile import BadZipFile

    from leadflow.imports.xlsx import NotXlsx, iter_sheet

    try:
        yield from iter_sheet(path)
    except NotXlsx:
        yield from _iter_calamine(path)
    except (BadZipFile, ParseError, KeyError, ValueError) as error:
        raise _bad_file(f"The workbook cannot be read: {error}") from None


def _iter_calamine(path: Path) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own types for damaged files
        raise _bad_file(f"The workbook cannot be read: {error}") from None
    for line, cells in enumerate(sheet.iter_rows(), start=1):
        yield line, [_cell_text(value) for value in cells]
