"""Reading files: encodings, BOMs and delimiters detected; XLSX read through calamine."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from leadflow.errors import ValidationFailed
from leadflow.imports.reader import iter_rows, sniff


def test_a_utf8_bom_semicolon_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffEmail;Prénom\nann@example.com;Zoé\n".encode())

    info = sniff(path)

    assert (info.encoding, info.delimiter, info.headers) == ("utf-8-sig", ";", ["Email", "Prénom"])
    assert list(iter_rows(path, info))[1] == (2, ["ann@example.com", "Zoé"])


def test_a_cp1252_tab_file(tmp_path: Path) -> None:
    path = tmp_path / "a.tsv"
    path.write_bytes("Email\tCity\nann@example.com\tMünchen\n".encode("cp1252"))

    info = sniff(path)

    assert (info.encoding, info.delimiter) == ("cp1252", "\t")
    assert list(iter_rows(path, info))[1] == (2, ["ann@example.com", "München"])


def test_a_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("Email,City\nann@example.com,Köln\n".encode("utf-16"))

    info = sniff(path)

    assert info.encoding == "utf-16"
    assert list(iter_rows(path, info))[1] == (2, ["ann@example.com", "Köln"])


def test_a_quoted_field_over_two_lines_keeps_the_next_rows_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('email,notes\na@x.com,"two\nlines"\nb@x.com,one\n')

    rows = list(iter_rows(path, sniff(path)))

    assert [line for line, _ in rows] == [1, 2, 4]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"")

    with pytest.raises(ValidationFailed) as caught:
        sniff(path)

    assert caught.value.field == "file"


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    """A minimal workbook (inline strings and numbers), written without a library."""

    def cell(ref: str, value: object) -> str:
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    body = "".join(
        f'<row r="{r}">'
        + "".join(cell(f"{chr(65 + c)}{r}", value) for c, value in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/2006/main">'
            f"<sheetData>{body}</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def test_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["Email", "Employees"], ["ann@example.com", 42]])

    info = sniff(path)

    assert (info.format, info.headers) == ("xlsx", ["Email", "Employees"])
    assert list(iter_rows(path, info))[1] == (2, ["ann@example.com", "42"])
