"""``read_workbook``: where a workbook is read (the isolated worker process by default, see
``cmrt.workbook.isolation``, else in this process by ``cmrt.workbook.reader``). A module of its own so that a caller
whose reads go to the worker never imports the parsing code (``cmrt-bot check`` starts faster)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmrt.workbook.errors import ReadLimits

if TYPE_CHECKING:
    from cmrt.declaration import Declaration
    from cmrt.workbook.sheets import LookupRows


def read_workbook(
    data: bytes,
    *,
    filename: str | None = None,
    limits: ReadLimits | None = None,
    passwords: Sequence[str] = (),
) -> Declaration:
    """Read a returned CMRT/EMRT/CRT/AMRT workbook (.xlsx, .xlsm, .xls; encrypted with the default or a given password).

    Raises :class:`WorkbookError` (with a stable ``code``) for anything that is not a readable template.
    ``filename`` is only used in log messages: the container is detected by its magic bytes.
    """
    limits = limits or ReadLimits()
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("read_workbook expects the file's bytes")
    data = bytes(data)

    def in_process() -> Declaration:
        from cmrt.workbook.reader import read_in_process

        return read_in_process(data, filename=filename, limits=limits, passwords=passwords)

    if len(data) > limits.max_file_bytes or not limits.isolated:  # too large: refused before copying it anywhere
        return in_process()
    from cmrt.workbook.isolation import read_isolated

    return read_isolated(data, filename=filename, limits=limits, passwords=passwords, fallback=in_process)


def read_workbook_and_lookup(
    data: bytes,
    *,
    filename: str | None = None,
    limits: ReadLimits | None = None,
    passwords: Sequence[str] = (),
) -> tuple[Declaration, LookupRows | None]:
    """``read_workbook``, and the rows of the workbook's own smelter look-up sheet read in the same pass (where
    the workbook is read: the worker process by default), for a review without RMI's reference."""
    limits = limits or ReadLimits()
    data = bytes(data)

    def in_process() -> tuple[Declaration, LookupRows | None]:
        from cmrt.workbook.reader import read_with_lookup

        return read_with_lookup(data, filename=filename, limits=limits, passwords=passwords)

    if len(data) > limits.max_file_bytes or not limits.isolated:
        return in_process()
    from cmrt.workbook.isolation import ask

    inner = dataclasses.replace(limits, isolated=False)
    result: tuple[Declaration, LookupRows | None] = ask(
        ("read+lookup", data, filename, inner, tuple(passwords)), filename=filename, limits=limits,
        fallback=in_process,
    )  # fmt: skip
    return result
