"""Cell value normalisation: text, answers, dates."""

from __future__ import annotations

import datetime as dt

import pytest

from cmrt.workbook.values import clean_text, normalise_answer, parse_date, serial_to_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Honeywell International\t\t\t\t\t\t", "Honeywell International"),
        ("  Shizhuyuan, Suxian\n", "Shizhuyuan, Suxian"),
        ("\u00a0text\u3000", "text"),
        (0, None),
        (0.0, None),
        ("0", None),
        ("#N/A", None),
        ("#REF!", None),
        ("", None),
        ("   ", None),
        (None, None),
        (123456789066.0, "123456789066"),
        (555.0, "555"),
        (2.5, "2.5"),
        ("None", "None"),  # a supplier's literal text stays
    ],
)
def test_clean_text(raw: object, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yes", "Yes"),
        ("yes ", "Yes"),
        ("YES\t", "Yes"),
        (" No", "No"),
        ("unknown", "Unknown"),
        (1, "100%"),
        (1.0, "100%"),
        ("1", "100%"),
        ("100%", "100%"),
        ("100 %", "100%"),
        (0.9, "90%"),
        ("greater than 90%", "Greater than 90%"),
        ("50% or less", "50% or less"),
        ("Did not survey", "Did not survey"),
        ("No, but greater than 75% ", "No, but greater than 75%"),
        ("Yes, in conformance with IPC1755 (e.g., CMRT)", "Yes, in conformance with IPC1755 (e.g., CMRT)"),
        ("yes, with the sec", "Yes, with the SEC"),
        (0, None),
        ("0", None),
        ("#N/A", None),
        ("", None),
        (None, None),
        ("Something else", "Something else"),
    ],
)
def test_normalise_answer(raw: object, expected: str | None) -> None:
    assert normalise_answer(raw) == expected


@pytest.mark.parametrize(
    ("raw", "date1904", "expected"),
    [
        (dt.datetime(2024, 5, 30), False, (dt.date(2024, 5, 30), None)),
        (dt.date(2024, 5, 10), False, (dt.date(2024, 5, 10), None)),
        ("02-May-2024", False, (dt.date(2024, 5, 2), "02-May-2024")),
        ("02-May-2024\t", False, (dt.date(2024, 5, 2), "02-May-2024")),
        ("2024-05-02", False, (dt.date(2024, 5, 2), "2024-05-02")),
        ("May 2, 2024", False, (dt.date(2024, 5, 2), "May 2, 2024")),
        ("2.5.2024", False, (dt.date(2024, 5, 2), "2.5.2024")),
        ("2024年5月2日", False, (dt.date(2024, 5, 2), "2024年5月2日")),
        (45414.0, False, (dt.date(2024, 5, 2), "45414")),
        (40319.0, True, (dt.date(2014, 5, 22), "40319")),  # the 1904 system (CMRT 2.x/3.x)
        ("45414", False, (dt.date(2024, 5, 2), "45414")),
        ("next year", False, (None, "next year")),
        ("", False, (None, None)),
        (None, False, (None, None)),
    ],
)
def test_parse_date(raw: object, date1904: bool, expected: tuple[dt.date | None, str | None]) -> None:
    assert parse_date(raw, date1904=date1904) == expected


def test_serial_edges() -> None:
    assert serial_to_date(1, False) == dt.date(1900, 1, 1)
    assert serial_to_date(61, False) == dt.date(1900, 3, 1)
    assert serial_to_date(0, False) is None
    assert serial_to_date(-5, True) is None
    assert serial_to_date(1e12, False) is None
