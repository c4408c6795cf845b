"""CSV cells that a spreadsheet would run as formulas are kept as text."""

from __future__ import annotations

import csv
import io

import pytest

from chat.services.spreadsheet import safe_cell, write_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("https://evil.example")', '\'=HYPERLINK("https://evil.example")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("plain words", "plain words"),
        ("a = b", "a = b"),
        ("", ""),
        (12, 12),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_write_csv_quotes_and_protects_every_cell() -> None:
    text = write_csv(["who", "said"], [{"who": "=cmd", "said": 'a "quote", and a comma'}])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["who", "said"],
        ["'=cmd", 'a "quote", and a comma'],
    ]
