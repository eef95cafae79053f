"""Hostile or broken input to the RMI importer gives a result or an RmiImportError, nothing else."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from cmrt.smelters import RmiImportError, load_rmi_file

HEADER = "Metal,Smelter ID,Standard Smelter Name,Country Location,Last Audit Date,Audit Cycle\n"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    with contextlib.suppress(RmiImportError):
        load_rmi_file("x.csv", data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=15), max_size=8), max_size=6))
def test_random_csv_rows_under_a_real_header(rows: list[list[str]]) -> None:
    body = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)
    try:
        item = load_rmi_file("conformant_2026-08-22.csv", (HEADER + body).encode("utf-8", "surrogatepass"))
    except (RmiImportError, UnicodeEncodeError):
        return
    for entry in item.entries:
        assert entry.smelter_id and entry.metal
        _ = entry.audit_due


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_xml_text(text: str) -> None:
    data = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">' + text).encode(
        "utf-8", "surrogatepass")
    with contextlib.suppress(RmiImportError):
        load_rmi_file("x.xml", data)
