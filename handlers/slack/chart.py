"""The digest's progress chart: a cumulative response curve over the campaign's days, drawn with matplotlib (Agg).

This year's suppliers that responded (filled) and were accepted (line) by each day since the first request,
against the previous campaign's response curve on the same campaign days (dashed) and the due date; labelled
axes, a legend, whole-number ticks, fonts sized for Slack's preview (the image is shown about 360 px wide). On the
first day, or before anyone answered, the picture says "No answers yet" with how many requests went out, instead
of an empty frame. The figure is built with ``matplotlib.figure.Figure`` and the Agg canvas (no pyplot, no
display, safe in the bot's threads).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib loads when a chart is drawn, not when the Slack side starts
    from matplotlib.figure import Figure

RESPONDED = "#2f6fbf"
RESPONDED_FILL = "#c6dbf3"
ACCEPTED = "#1e9650"
PREVIOUS = "#8a8a8a"
DUE = "#c8463c"
DPI = 150


@dataclass(frozen=True)
class ProgressPoint:
    day: dt.date
    responded: int  # suppliers that had answered by the end of that day
    accepted: int = 0  # of those, accepted after review


def _figure(width: int, height: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _no_answers(points: Sequence[ProgressPoint], total: int, width: int, height: int, year: int | None) -> bytes:
    from matplotlib.patches import FancyBboxPatch

    figure = _figure(width, height)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    first = points[0].day.isoformat() if points else None
    title = f"Campaign {year}: no answers yet" if year else "No answers yet"
    sent = f"{total} supplier{'s' if total != 1 else ''} asked" + (f" since {first}" if first else "")
    axes.text(0.5, 0.62, title, ha="center", va="center", fontsize=20, weight="bold", color=RESPONDED)
    axes.text(0.5, 0.38, sent + "; the curve starts with the first answer.", ha="center", va="center",
              fontsize=12, color="#444444")  # fmt: skip
    axes.add_patch(FancyBboxPatch(
        (0.06, 0.12), 0.88, 0.76, boxstyle="round,pad=0.02", fill=False, edgecolor=RESPONDED_FILL, linewidth=3,
        transform=axes.transAxes,
    ))  # fmt: skip
    return _png(figure)


def progress_chart(
    points: Sequence[ProgressPoint],
    total: int,
    *,
    width: int = 1200,
    height: int = 600,
    due: dt.date | None = None,
    previous: Sequence[ProgressPoint] = (),
    year: int | None = None,
    previous_year: int | None = None,
) -> bytes:
    """A PNG (``width`` x ``height`` pixels) of the suppliers responded and accepted per campaign day, out of
    ``total``; ``previous``: the previous campaign's points (compared day by day since its first request)."""
    ordered = sorted(points, key=lambda p: p.day)
    if not ordered or ordered[-1].responded == 0:
        return _no_answers(ordered, total, width, height, year)
    from matplotlib.ticker import MaxNLocator

    first = ordered[0].day
    days = [(p.day - first).days for p in ordered]
    figure = _figure(width, height)
    axes = figure.add_subplot(1, 1, 1)
    responded = [p.responded for p in ordered]
    axes.fill_between(days, responded, step="post", color=RESPONDED_FILL, linewidth=0)
    axes.step(days, responded, where="post", color=RESPONDED, linewidth=2.5,
              label=f"Responded {year}" if year else "Responded")  # fmt: skip
    axes.step(days, [p.accepted for p in ordered], where="post", color=ACCEPTED, linewidth=2,
              label=f"Accepted {year}" if year else "Accepted")  # fmt: skip
    last_day = days[-1]
    if previous:
        before = sorted(previous, key=lambda p: p.day)
        start = before[0].day
        pdays = [(p.day - start).days for p in before]
        pdays_shown = [d for d in pdays if d <= max(last_day, 1) * 2]
        axes.step(pdays_shown, [p.responded for p in before][: len(pdays_shown)], where="post", color=PREVIOUS,
                  linewidth=2, linestyle="--",
                  label=f"Responded {previous_year}" if previous_year else "Previous campaign")  # fmt: skip
        last_day = max(last_day, pdays_shown[-1] if pdays_shown else 0)
    if due is not None and due >= first:
        due_day = (due - first).days
        if due_day <= max(last_day, 1) * 2:
            axes.axvline(due_day, color=DUE, linestyle=":", linewidth=2, label=f"Due {due.isoformat()}")
            last_day = max(last_day, due_day)
    axes.axhline(total, color="#bbbbbb", linewidth=1)
    axes.set_xlim(0, max(last_day, 1))
    axes.set_ylim(0, max(total, max(responded), 1) * 1.05)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.set_xlabel(f"Days since the first request ({first.isoformat()})", fontsize=12)
    axes.set_ylabel(f"Suppliers (of {total})", fontsize=12)
    share = responded[-1] * 100 // max(total, 1)
    axes.set_title(f"{'Campaign ' + str(year) + ': ' if year else ''}{responded[-1]} of {total} responded ({share} %)",
                   fontsize=14, weight="bold")  # fmt: skip
    axes.tick_params(labelsize=11)
    axes.grid(True, axis="y", color="#e5e5e5")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", fontsize=10, frameon=False)
    figure.tight_layout()
    return _png(figure)
