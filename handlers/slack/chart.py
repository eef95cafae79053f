"""The digest's progress chart: responses over time as a PNG, drawn with the standard library only.

A tiny RGB canvas (lines, rectangles, a 3x5 digit font for the axis labels) encoded as PNG with ``zlib`` and
``binascii.crc32``. No matplotlib: the chart is one filled area (responded) and one line (accepted) over the
campaign's days, against the number of suppliers asked, which is all the digest needs.
"""

from __future__ import annotations

import binascii
import datetime as dt
import itertools
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

Color = tuple[int, int, int]

WHITE: Color = (255, 255, 255)
AXIS: Color = (90, 90, 90)
GRID: Color = (225, 225, 225)
RESPONDED: Color = (54, 122, 208)
RESPONDED_FILL: Color = (198, 219, 243)
ACCEPTED: Color = (30, 150, 80)
TARGET: Color = (200, 70, 60)

# 3x5 bitmap digits, rows top to bottom, 3 bits each (MSB = left).
_GLYPHS: dict[str, tuple[int, ...]] = {
    "0": (7, 5, 5, 5, 7),
    "1": (2, 6, 2, 2, 7),
    "2": (7, 1, 7, 4, 7),
    "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7),
    "6": (7, 4, 7, 5, 7),
    "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7),
    "9": (7, 5, 7, 1, 7),
    "%": (5, 1, 2, 4, 5),
    "-": (0, 0, 7, 0, 0),
    "/": (1, 1, 2, 4, 4),
    " ": (0, 0, 0, 0, 0),
}


@dataclass(frozen=True)
class ProgressPoint:
    day: dt.date
    responded: int  # suppliers that had answered by the end of that day
    accepted: int = 0  # of those, accepted after review


class Canvas:
    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = (y * self.width + x) * 3
            self.pixels[i : i + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        x0, x1 = sorted((max(0, x0), min(self.width - 1, x1)))
        y0, y1 = sorted((max(0, y0), min(self.height - 1, y1)))
        row = bytes(color) * (x1 - x0 + 1)
        for y in range(y0, y1 + 1):
            i = (y * self.width + x0) * 3
            self.pixels[i : i + len(row)] = row

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color, width: int = 1) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        half = width // 2
        while True:
            if width == 1:
                self.set(x0, y0, color)
            else:
                self.rect(x0 - half, y0 - half, x0 + half, y0 + half, color)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, text: str, color: Color, scale: int = 2) -> None:
        for ch in text:
            glyph = _GLYPHS.get(ch, _GLYPHS[" "])
            for row, bits in enumerate(glyph):
                for col in range(3):
                    if bits & (4 >> col):
                        self.rect(
                            x + col * scale,
                            y + row * scale,
                            x + col * scale + scale - 1,
                            y + row * scale + scale - 1,
                            color,
                        )
            x += 4 * scale

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride : (y + 1) * stride]) for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", binascii.crc32(kind + data) & 0xFFFFFFFF)


def text_width(text: str, scale: int = 2) -> int:
    return len(text) * 4 * scale - scale


def progress_chart(
    points: Sequence[ProgressPoint], total: int, *, width: int = 640, height: int = 320, due: dt.date | None = None
) -> bytes:
    """A PNG of responded (filled) and accepted (line) suppliers per day, out of ``total``."""
    canvas = Canvas(width, height)
    left, right, top, bottom = 56, width - 16, 16, height - 36
    plot_w, plot_h = right - left, bottom - top
    top_value = max(total, max((p.responded for p in points), default=0), 1)

    def y_of(value: int) -> int:
        return bottom - round(value * plot_h / top_value)

    for step in range(5):  # grid at 0, 25, 50, 75, 100 % with labels
        value = round(top_value * step / 4)
        y = y_of(value)
        canvas.line(left, y, right, y, GRID)
        label = str(value)
        canvas.text(left - 8 - text_width(label), y - 5, label, AXIS)
    ordered = sorted(points, key=lambda p: p.day)
    if ordered:
        first = ordered[0].day
        last = max(ordered[-1].day, due or ordered[-1].day)
        span = max((last - first).days, 1)

        def x_of(day: dt.date) -> int:
            return left + round((day - first).days * plot_w / span)

        coords = [(x_of(p.day), y_of(p.responded)) for p in ordered]
        for (x0, y0), (x1, _y1) in zip(coords, [*coords[1:], (coords[-1][0], coords[-1][1])], strict=True):
            canvas.rect(x0, y0, max(x0, x1), bottom, RESPONDED_FILL)  # step area: the value holds until the next day
        prev = coords[0]
        for x, y in coords[1:]:
            canvas.line(prev[0], prev[1], x, prev[1], RESPONDED, 2)
            canvas.line(x, prev[1], x, y, RESPONDED, 2)
            prev = (x, y)
        acc = [(x_of(p.day), y_of(p.accepted)) for p in ordered]
        for (x0, y0), (x1, y1) in itertools.pairwise(acc):
            canvas.line(x0, y0, x1, y1, ACCEPTED, 2)
        if due is not None and first <= due:
            xd = x_of(due)
            for y in range(top, bottom, 6):
                canvas.line(xd, y, xd, min(y + 2, bottom), TARGET, 2)
        canvas.text(left, bottom + 12, first.strftime("%m/%d"), AXIS)
        end_label = last.strftime("%m/%d")
        canvas.text(right - text_width(end_label), bottom + 12, end_label, AXIS)
        share = ordered[-1].responded * 100 // max(total, 1)
        label = f"{share}%"
        canvas.text(left + 8, top + 4, label, RESPONDED, 3)
    canvas.line(left, top, left, bottom, AXIS)
    canvas.line(left, bottom, right, bottom, AXIS)
    return canvas.png()
