"""The workbook reader: a returned CMRT/EMRT/CRT/AMRT file (bytes) → :class:`cmrt.declaration.Declaration`.

Public API::

    from cmrt.workbook import ReadLimits, WorkbookError, read_workbook

    declaration = read_workbook(data, filename="supplier.xlsx")

Containers are detected by magic bytes (.xlsx/.xlsm zip, .xls BIFF8, OLE-encrypted OOXML); files encrypted
with Excel's default password ``VelvetSweatshop`` (or one of ``passwords``) are decrypted. Anything that cannot
be read raises :class:`WorkbookError` with a stable ``code`` and an analyst-readable ``message``.
"""

from __future__ import annotations

from cmrt.workbook.errors import ERROR_CODES, ReadLimits, WorkbookError
from cmrt.workbook.read import read_workbook

__all__ = ["ERROR_CODES", "ReadLimits", "WorkbookError", "read_workbook"]
