"""Tables and progress of the command line (``bot.commands._console``): CJK text aligns, pipes get no bar."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from bot.commands import _console
from bot.commands._console import interactive, plain_table, print_table, progress

HEADERS = ("SUPPLIER ID", "NAME", "TIER")
ROWS = [
    ("S-1", "Tantalum Works Ltd", "1"),
    ("S-2", "东莞市精密五金制品有限公司", "2"),
    ("S-3", "株式会社サンプル金属", "1"),
    ("S-4", "Ünïcode Metals GmbH", "-"),
]


def column_starts(line: str, values: tuple[str, ...]) -> list[int]:
    """The terminal cell at which each value starts on the line."""
    starts, position = [], 0
    for value in values:
        index = line.index(value, position)
        starts.append(cell_len(line[:index]))
        position = index + len(value)
    return starts


def test_plain_table_aligns_cjk_names_by_terminal_cells() -> None:
    lines = plain_table(HEADERS, ROWS)
    starts = {tuple(column_starts(line, row)) for line, row in zip(lines[1:], ROWS, strict=True)}
    header_starts = column_starts(lines[0], HEADERS)
    assert starts == {tuple(header_starts)}, lines
    # character counting would have put the third column of the Chinese name 13 cells early
    assert len(lines[2]) < len(lines[1]) and cell_len(lines[2]) == cell_len(lines[1])


def test_plain_table_cuts_long_values_in_cells() -> None:
    (_, line) = plain_table(("NAME",), [("金" * 30,)], max_cells=10)
    assert cell_len(line) <= 10 and line.endswith("…")
    assert plain_table(("NAME",), [("x" * 60,)], max_cells=None)[1] == "x" * 60


def test_rich_table_aligns_cjk_names() -> None:
    out = io.StringIO()
    print_table(HEADERS, ROWS, out=out, rich=True)
    lines = [line for line in out.getvalue().splitlines() if line.strip() and not set(line.strip()) <= {"─", " "}]
    assert "\x1b[" not in out.getvalue()  # not a terminal: no colour, no styles
    header = column_starts(lines[0], HEADERS)
    for line, row in zip(lines[1:], ROWS, strict=True):
        assert column_starts(line, row) == header, out.getvalue()


def test_piped_output_is_not_interactive_and_gets_no_bar(capsys: pytest.CaptureFixture[str]) -> None:
    assert not interactive()  # pytest captures both streams
    with progress("working", 3, show=interactive()) as steps:
        assert not steps.shown
        steps.advance()
        steps.update(label="still working", completed=2)
    assert capsys.readouterr() == ("", "")


def test_json_is_never_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_console, "_isatty", lambda stream: True)
    assert interactive()
    assert not interactive(as_json=True)
    monkeypatch.setenv("TERM", "dumb")
    assert not interactive()
