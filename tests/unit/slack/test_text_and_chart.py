"""Pure parts of the Slack side: mrkdwn escaping, size limits, the PNG chart, the manifest."""

from __future__ import annotations

import datetime as dt
import pathlib
import struct
import zlib

from hypothesis import given
from hypothesis import strategies as st

from handlers.slack.chart import ProgressPoint, progress_chart
from handlers.slack.text import SECTION_TEXT, bullet_lines, cap_blocks, context, esc, plain_text, truncate

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_escape_neutralises_mentions_broadcasts_and_links() -> None:
    text = esc("Evil <!channel> <@U999> <https://evil|click> & Co\x00")
    assert text == "Evil &lt;!channel&gt; &lt;@U999&gt; &lt;https://evil|click&gt; &amp; Co"
    assert esc(None) == "—" and esc("   ") == "—"
    assert plain_text("<!here>")["text"] == "&lt;!here&gt;"


@given(st.text())
def test_escaped_text_never_contains_angle_brackets_or_bare_ampersands(value: str) -> None:
    out = esc(value)
    assert "<" not in out and ">" not in out
    assert out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


@given(st.text(min_size=0, max_size=5000), st.integers(min_value=20, max_value=3000))
def test_truncate_respects_the_limit_and_says_so(value: str, limit: int) -> None:
    out = truncate(esc(value), limit)
    assert len(out) <= limit
    if len(esc(value)) > limit:
        assert out.endswith("(truncated)")


def test_long_lists_are_cut_at_a_whole_line_with_a_count() -> None:
    lines = [f"• supplier {i} " + "x" * 200 for i in range(100)]
    out = bullet_lines(lines)
    assert len(out) <= SECTION_TEXT
    assert out.splitlines()[-1].startswith("… and ") and out.splitlines()[-1].endswith(" more")
    blocks = cap_blocks([context(str(i)) for i in range(80)])
    assert len(blocks) == 50 and "31 more" in blocks[-1]["elements"][0]["text"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_progress_chart_is_a_valid_png() -> None:
    start = dt.date(2026, 9, 1)
    points = [ProgressPoint(start + dt.timedelta(days=i), min(i, 30), min(i // 2, 20)) for i in range(60)]
    data = progress_chart(points, 40, due=dt.date(2026, 12, 31))
    assert _png_size(data) == (640, 320)
    # walk the chunks, check CRCs, inflate the image data
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == 320 * (1 + 640 * 3)
    assert len(data) < 60_000


def test_empty_progress_still_draws_axes() -> None:
    assert _png_size(progress_chart([], 0, width=200, height=100)) == (200, 100)


def test_manifest_declares_what_the_code_uses() -> None:
    text = (ROOT / "deploy" / "slack-manifest.yaml").read_text(encoding="utf-8")
    for needed in (
        "command: /cmrt",
        "- chat:write",
        "- commands",
        "- files:write",
        "- files:read",
        "rollup [product] [year]",
        "- channels:read",
        "- groups:read",
        "- usergroups:read",
        "- app_home_opened",
        "socket_mode_enabled: true",
        "home_tab_enabled: true",
    ):
        assert needed in text, needed
