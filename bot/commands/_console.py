"""What the commands show on a terminal: progress bars and tables, with ``rich``.

* Progress (:func:`progress`) is drawn on stderr only when both stdout and stderr are terminals and the command
  does not print JSON: piped or redirected output, ``--json`` and ``TERM=dumb`` never get a bar. The bar is
  transient (it is gone when the work is done), so a terminal ends up showing what a pipe would have received.
* Tables (:func:`print_table`): on a terminal a ``rich`` table; otherwise the plain, colour-free text table that
  scripts read. Both measure columns in terminal cells (rich's ``cell_len``), so Chinese and Japanese names, which
  take two cells a character, line up.
* ``NO_COLOR`` (https://no-color.org) turns colour off; rich honours it, and the plain table never has any.

``rich`` is imported only when a bar or a rich table is drawn: the command line starts without it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

#: Columns longer than this many cells are cut (with "…") in both table forms.
MAX_CELLS = 40


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def interactive(*, as_json: bool = False) -> bool:
    """True when a person watches: stdout and stderr are terminals, the output is not JSON, TERM is not dumb."""
    if as_json or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(sys.stdout) and _isatty(sys.stderr)


class Steps:
    """One piece of work's progress; does nothing when no bar is drawn."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None) -> None:
        self._bar = bar
        self._task = task

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def advance(self, amount: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def update(self, *, completed: int | None = None, total: int | None = None, label: str | None = None) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=completed, total=total, description=label)


@contextmanager
def progress(label: str, total: int | None = None, *, show: bool) -> Iterator[Steps]:
    """A progress bar for ``total`` steps (None: not known, a pulsing bar) while the block runs, when ``show``
    (normally :func:`interactive`); otherwise a :class:`Steps` that does nothing."""
    if not show:
        yield Steps()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        yield Steps(bar, bar.add_task(label, total=total))


def _text(value: object) -> str:
    """A cell's text without control or bidi characters (workbook and e-mail text; ``cmrt.textsafe.terminal``)."""
    from cmrt.textsafe import terminal

    return "-" if value is None else terminal(str(value))


def plain_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, max_cells: int | None = MAX_CELLS
) -> list[str]:
    """The colour-free table: columns two spaces apart, widths in terminal cells, values longer than ``max_cells``
    cut with "…" (None: never cut)."""
    from rich.cells import cell_len, set_cell_size

    def cut(text: str) -> str:
        if max_cells is None or cell_len(text) <= max_cells:
            return text
        return set_cell_size(text, max_cells - 1) + "…"

    cells = [[cut(_text(v)) for v in line] for line in (headers, *rows)]
    widths = [max(cell_len(line[i]) for line in cells) for i in range(len(headers))]
    return ["  ".join(set_cell_size(v, w) for v, w in zip(line, widths, strict=False)).rstrip() for line in cells]


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    out: TextIO | None = None,
    rich: bool | None = None,
    max_cells: int | None = MAX_CELLS,
) -> None:
    """Print a table: a ``rich`` table on a terminal (``rich=None`` decides with :func:`interactive`), else
    :func:`plain_table`."""
    out = out or sys.stdout
    if rich is None:
        rich = interactive()
    if not rich:
        for line in plain_table(headers, rows, max_cells=max_cells):
            out.write(line + "\n")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, max_width=max_cells, overflow="ellipsis", no_wrap=max_cells is not None)
    for row in rows:
        table.add_row(*(_text(v) for v in row))
    # rich writes its own escape sequences (bold headers): past the stdout filter of bot.cli, the cells are clean
    Console(file=getattr(out, "unfiltered", out), highlight=False, markup=False, emoji=False).print(table)
