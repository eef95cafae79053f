"""Typed errors and resource limits of the workbook reader.

Every failure to read a file surfaces as a :class:`WorkbookError` whose ``code`` is a stable snake_case string
(for programs, JSON output and metrics) and whose ``message`` is a sentence a compliance analyst understands.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The stable error codes, with a default explanation each.
ERROR_CODES: dict[str, str] = {
    "not_a_workbook": "The file is not an Excel workbook.",
    "encrypted_unknown_password": "The workbook is password-protected and none of the known passwords opens it.",
    "not_a_template": "The workbook is not a CMRT, EMRT, CRT or AMRT reporting template.",
    "corrupt": "The workbook is damaged or truncated and cannot be read.",
    "too_large": "The file is larger than the reader accepts.",
    "zip_bomb": "The workbook expands to far more data than a reporting template holds; it was not opened.",
    "unsafe_xml": "The workbook contains XML constructs (DOCTYPE or ENTITY declarations) that templates never use.",
    "timeout": "Reading the workbook took longer than allowed.",
    "unsupported": "The workbook uses a format the reader does not support.",
}


class WorkbookError(Exception):
    """A file could not be read as a reporting template. ``code`` is stable; ``message`` is for people."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or ERROR_CODES.get(code, "The workbook could not be read.")
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"WorkbookError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on the work one file may cause. The defaults fit real templates with a wide margin."""

    max_file_bytes: int = 25 * 1024 * 1024  # real CMRT 6.x files are about 1.5 MB
    max_uncompressed_bytes: int = 200 * 1024 * 1024  # real files inflate to about 10 MB
    max_zip_entries: int = 2000  # real files have about 90 parts
    max_compression_ratio: float = 200.0  # real XML parts compress 5-15x; bombs 1000x
    timeout_seconds: float = 20.0
    max_rows: int = 20_000  # rows read per list sheet (templates stop at 2,504)
    max_memory_bytes: int = 3 * 1024**3  # address space of the reader process (real files need ~0.3 GB)
    isolated: bool = True  # read in a separate worker process, so native-code crashes and hangs are contained
