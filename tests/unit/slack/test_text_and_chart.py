"""Pure parts of the Slack side: mrkdwn escaping, size limits, the PNG chart, the manifest."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import struct

from hypothesis import given
from hypothesis import strategies as st
from matplotlib.image import imread

from handlers.slack.chart import ProgressPoint, progress_chart
from handlers.slack.text import SECTION_TEXT, bullet_lines, cap_blocks, context, esc, plain_text, truncate

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_escape_neutralises_mentions_broadcasts_and_links() -> None:
    text = esc("Evil <!channel> <@U999> <https://evil|click> & Co\x00")
    assert text == "Evil &lt;!channel&gt; &lt;@U999&gt; &lt;https\u2236//evil|click&gt; &amp; Co"
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


def _inked(data: bytes) -> float:
    """The share of pixels that are not (nearly) white."""
    pixels = imread(io.BytesIO(data), format="png")[..., :3]
    return float((pixels.min(axis=2) < 0.9).mean())


START = dt.date(2026, 9, 1)


def test_chart_on_day_thirty_has_axes_legend_and_curves() -> None:
    points = [ProgressPoint(START + dt.timedelta(days=i), min(i, 30), min(i // 2, 20)) for i in range(31)]
    previous = [ProgressPoint(dt.date(2025, 9, 3) + dt.timedelta(days=i), min(i // 2, 35)) for i in range(120)]
    data = progress_chart(points, 40, due=dt.date(2026, 12, 31), previous=previous, year=2026, previous_year=2025)
    assert _png_size(data) == (1200, 600)
    assert 0.04 < _inked(data) < 0.6  # curves, fill, text: not blank, not a solid block
    assert len(data) < 250_000


def test_chart_on_day_one_says_no_answers_yet() -> None:
    day_one = progress_chart([ProgressPoint(START, 0, 0)], 40, due=dt.date(2026, 12, 31), year=2026)
    assert _png_size(day_one) == (1200, 600)
    assert _inked(day_one) > 0.005  # the "no answers yet" picture, not an empty frame
    nothing_sent = progress_chart([], 0, width=300, height=150)
    assert _png_size(nothing_sent) == (300, 150) and _inked(nothing_sent) > 0.005


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
