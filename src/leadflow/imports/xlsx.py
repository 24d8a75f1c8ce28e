"""Reading an XLSX workbook's first sheet a row at a time, in flat memory.

python-calamine reads a whole sheet into memory before the first row comes out (a
million rows of five cells is hundreds of MB); an import streams instead: the sheet's
XML is decompressed and parsed as it is read (`zipfile` + `ElementTree.iterparse`),
each row handed on and dropped. Only the shared strings table is held (a workbook's
distinct texts), with the date formats of the cell styles.

Cells come out as calamine's reader gave them to `reader._cell_text`: numbers without
a spurious ".0", booleans as true/false, dates and times in ISO form; rows keep their
sheet row numbers, a missing row is an empty one.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree.ElementTree import Element, iterparse

# Built-in number formats that show dates or times (ECMA-376 18.8.30, with the
# East Asian ones).
_BUILTIN_DATES = frozenset(
    {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47}
    | set(range(50, 59))
)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_CODES = re.compile(r"[dmyhs]", re.IGNORECASE)
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


class NotXlsx(Exception):
    """The archive is not an Office Open XML workbook (an ODS file, say)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_date_format(code: str) -> bool:
    bare = _QUOTED.sub("", code)
    return bare.casefold() != "general" and bool(_DATE_CODES.search(bare))


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise NotXlsx("no xl/workbook.xml")
        self.sheet = self._first_sheet(names)
        self.strings = self._shared_strings(names)
        self.date_styles, self.epoch = self._dates(names)

    def _first_sheet(self, names: set[str]) -> str:
        sheet_rel = None
        with self.archive.open("xl/workbook.xml") as handle:
            for _, element in iterparse(handle):
                if _local(element.tag) == "sheet":
                    sheet_rel = element.get(_REL) or element.get(_REL_STRICT)
                    break
        targets: dict[str, str] = {}
        if "xl/_rels/workbook.xml.rels" in names:
            with self.archive.open("xl/_rels/workbook.xml.rels") as handle:
                for _, element in iterparse(handle):
                    if _local(element.tag) == "Relationship":
                        targets[element.get("Id", "")] = element.get("Target", "")
        target = targets.get(sheet_rel or "", "worksheets/sheet1.xml")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        path = str(PurePosixPath(path))
        if path not in names:
            raise NotXlsx(f"no {path}")
        return path

    def _shared_strings(self, names: set[str]) -> list[str]:
        if "xl/sharedStrings.xml" not in names:
            return []
        strings: list[str] = []
        with self.archive.open("xl/sharedStrings.xml") as handle:
            parts: list[str] = []
            skip = 0
            for event, element in iterparse(handle, events=("start", "end")):
                name = _local(element.tag)
                if event == "start":
                    if name == "rPh":  # phonetic hints are not the text
                        skip += 1
                    continue
                if name == "rPh":
                    skip -= 1
                elif name == "t" and not skip:
                    parts.append(element.text or "")
                elif name == "si":
                    strings.append("".join(parts))
                    parts = []
                    element.clear()
        return strings

    def _dates(self, names: set[str]) -> tuple[set[int], datetime]:
        epoch = datetime(1899, 12, 30)
        with self.archive.open("xl/workbook.xml") as handle:
            for _, element in iterparse(handle):
                if _local(element.tag) == "workbookPr":
                    if element.get("date1904") in ("1", "true"):
                        epoch = datetime(1904, 1, 1)
                    break
        if "xl/styles.xml" not in names:
            return set(), epoch
        custom: dict[int, str] = {}
        styles: list[int] = []
        in_xfs = False
        with self.archive.open("xl/styles.xml") as handle:
            for event, element in iterparse(handle, events=("start", "end")):
                name = _local(element.tag)
                if name == "cellXfs":
                    in_xfs = event == "start"
                elif event == "end" and name == "numFmt":
                    custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
                elif event == "start" and name == "xf" and in_xfs:
                    styles.append(int(element.get("numFmtId", "0")))
        dated = set()
        for index, format_id in enumerate(styles):
            if format_id in custom:
                if _is_date_format(custom[format_id]):
                    dated.add(index)
            elif format_id in _BUILTIN_DATES:
                dated.add(index)
        return dated, epoch

    def cell_text(self, element: Element) -> str:
        kind = element.get("t", "n")
        value = None
        inline: list[str] = []
        for child in element:
            name = _local(child.tag)
            if name == "v":
                value = child.text
            elif name == "is":
                inline.extend(node.text or "" for node in child.iter() if _local(node.tag) == "t")
        if kind == "inlineStr":
            return "".join(inline)
        if value is None:
            return ""
        if kind == "s":
            index = int(value)
            return self.strings[index] if 0 <= index < len(self.strings) else ""
        if kind == "b":
            return "true" if value.strip() in ("1", "true") else "false"
        if kind in ("str", "e"):
            return value if kind == "str" else ""
        if kind == "d":  # an ISO date cell
            return value
        try:
            number = float(value)
        except ValueError:
            return value
        style = element.get("s")
        if style is not None and int(style) in self.date_styles:
            return self._date_text(number)
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return str(number)

    def _date_text(self, serial: float) -> str:
        if self.epoch.year == 1899 and serial < 61:
            serial += 1  # Excel's 1900 counts a 29 February that never was
        moment = self.epoch + timedelta(days=serial)
        # To the millisecond: a serial day fraction is not exact.
        moment = moment.replace(microsecond=round(moment.microsecond / 1000) * 1000 % 1_000_000)
        if serial < 1:
            return moment.time().isoformat()
        if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
            return moment.date().isoformat()
        return moment.isoformat()


def iter_sheet(source: Path | IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, cell texts) for every row of the first sheet, in order; a
    row the sheet leaves out comes as an empty row. Raises NotXlsx for a zip that is
    not a workbook, zipfile/XML errors for a damaged one."""
    with zipfile.ZipFile(source) as archive:
        book = _Workbook(archive)
        expected = 1
        with archive.open(book.sheet) as handle:
            parent: Element | None = None
            for event, element in iterparse(handle, events=("start", "end")):
                if event == "start":
                    if _local(element.tag) == "sheetData":
                        parent = element
                    continue
                if _local(element.tag) != "row":
                    continue
                number = int(element.get("r") or expected)
                while expected < number:
                    yield expected, []
                    expected += 1
                cells: list[str] = []
                for cell in element:
                    if _local(cell.tag) != "c":
                        continue
                    ref = _CELL_REF.match(cell.get("r") or "")
                    position = _column_index(ref.group(1)) if ref else len(cells)
                    while len(cells) < position:
                        cells.append("")
                    cells.append(book.cell_text(cell))
                while cells and cells[-1] == "":
                    cells.pop()
                if parent is not None:
                    parent.clear()  # the rows read so far: nothing keeps them
                yield number, cells
                expected = number + 1
