"""Reading files: encodings, BOMs and delimiters detected; XLSX read through calamine."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.errors import ValidationFailed
from leadflow.imports.reader import count_records, iter_rows, sniff
from tests.support.xlsx import write_xlsx


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


def test_the_count_of_a_files_records_is_what_iter_rows_yields(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    rows = [f"p{index}@x.com,one" for index in range(25_003)]
    path.write_text("email,notes\n" + 'a@x.com,"two\nlines"\n' + "\n".join(rows) + "\n")
    info = sniff(path)

    assert count_records(path, info) == len(list(iter_rows(path, info))) == 25_005


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"")

    with pytest.raises(ValidationFailed) as caught:
        sniff(path)

    assert caught.value.field == "file"


def test_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["Email", "Employees"], ["ann@example.com", 42]])

    info = sniff(path)

    assert (info.format, info.headers) == ("xlsx", ["Email", "Employees"])
    assert list(iter_rows(path, info))[1] == (2, ["ann@example.com", "42"])
    assert count_records(path, info) == 2
