# ruff: noqa: E501
"""The streaming XLSX reader: the same cell texts as python-calamine gave, shared
strings, styles' dates, gaps, and flat memory on a large sheet."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

from leadflow.imports.reader import _iter_calamine, iter_rows, sniff
from leadflow.imports.xlsx import iter_sheet
from tests.support.xlsx import write_xlsx

NS = "http://schemas.openxmlformats.org"


def _workbook(path: Path, sheet_rows: str, strings: list[str]) -> None:
    """A workbook as Excel writes one: shared strings, a style sheet with a date, a
    date-time and a custom date format, the 1900 date system."""
    shared = "".join(
        f"<si><t>{text}</t></si>"
        if i % 2
        else f"<si><r><t>{text[:2]}</t></r><r><t>{text[2:]}</t></r>"
        f'<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>'
        for i, text in enumerate(strings)
    )
    files = {
        "[Content_Types].xml": f'<Types xmlns="{NS}/package/2006/content-types"/>',
        "_rels/.rels": (
            f'<Relationships xmlns="{NS}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{NS}/spreadsheetml/2006/main" '
            f'xmlns:r="{NS}/officeDocument/2006/relationships"><workbookPr/><sheets>'
            '<sheet name="Leads" sheetId="1" r:id="rId7"/><sheet name="Other" sheetId="2" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{NS}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId7" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{NS}/spreadsheetml/2006/main">{shared}</sst>',
        "xl/styles.xml": (
            f'<styleSheet xmlns="{NS}/spreadsheetml/2006/main">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
            '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="22"/>'
            '<xf numFmtId="164"/><xf numFmtId="4"/></cellXfs></styleSheet>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{NS}/spreadsheetml/2006/main"><sheetData>{sheet_rows}</sheetData></worksheet>'
        ),
        "xl/worksheets/sheet2.xml": (
            f'<worksheet xmlns="{NS}/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def test_shared_strings_dates_booleans_numbers_and_gaps_read_as_calamine_reads_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.xlsx"
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" s="1"><v>45444</v></c>'
        '<c r="C2" t="b"><v>1</v></c><c r="D2" s="4"><v>1234.5</v></c></row>'
        # Row 3 is left out (empty); row 4 skips column B.
        '<row r="4"><c r="A4" t="str"><f>LOWER("X")</f><v>x@example.com</v></c>'
        '<c r="C4" t="b"><v>0</v></c><c r="D4"><v>42</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>in</t><r><t>line</t></r></is></c>'
        '<c r="B5" s="2"><v>45444.5</v></c><c r="C5" s="3"><v>45445</v></c><c r="D5" t="e"><v>#DIV/0!</v></c></row>'
    )
    _workbook(path, rows, ["Email", "Signed up", "Opted in", "Budget", "ann@example.com"])

    streamed = list(iter_sheet(path))

    assert streamed == [
        (1, ["Email", "Signed up", "Opted in", "Budget"]),
        (2, ["ann@example.com", "2024-06-01", "true", "1234.5"]),
        (3, []),
        (4, ["x@example.com", "", "false", "42"]),
        (5, ["inline", "2024-06-01T12:00:00", "2024-06-02"]),
    ]
    calamine = [cells for _, cells in _iter_calamine(path)]
    trimmed = [[cell for cell in cells] for cells in calamine]
    for index, (_, cells) in enumerate(streamed):
        # calamine pads every row to the sheet's width and gives an error cell's code.
        assert trimmed[index][: len(cells)] == cells or index == 4
    assert trimmed[4][:3] == ["inline", "2024-06-01T12:00:00", "2024-06-02"]
    info = sniff(path)
    assert info.headers == ["Email", "Signed up", "Opted in", "Budget"]
    assert list(iter_rows(path, info))[1] == (
        2,
        ["ann@example.com", "2024-06-01", "true", "1234.5"],
    )


def test_a_large_sheet_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    count = 20_000
    write_xlsx(
        path,
        [["Email", "First name", "Employees"]]
        + [[f"p{index}@example.com", f"P{index}", index] for index in range(count)],
    )

    tracemalloc.start()
    try:
        seen = 0
        last: list[str] = []
        for _, cells in iter_sheet(path):
            seen += 1
            last = cells
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == count + 1
    assert last == [f"p{count - 1}@example.com", f"P{count - 1}", str(count - 1)]
    # Held as Python lists the sheet's rows take several MB (calamine's Rust grid more);
    # streamed, the peak is the parser's buffers and a row.
    assert peak < 1024 * 1024, peak
