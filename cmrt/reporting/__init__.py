"""The Conflict Minerals Report as documents: the figures, the consolidated smelters and their RMAP status, with
the list dates, rendered as Markdown or plain text (``text``) and as an XLSX workbook (``xlsx``).

Pure: a ``Report`` (built by ``handlers.report`` from the store) in, text or bytes out.
"""

from __future__ import annotations

from cmrt.reporting.model import Report

__all__ = ["Report"]
