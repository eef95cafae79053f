"""A one-byte change to a real legacy .xls makes calamine try to build a 5 GB cell range (about a minute of work
in-process, or an abort): the worker's memory limit or the time limit stops it, the caller gets a typed error and
the next file is read normally."""

from __future__ import annotations

import io
import time

import msoffcrypto
import pytest

from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
from tests.conftest import corpus_path

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_damaged_xls_that_would_hang_is_stopped() -> None:
    office = msoffcrypto.OfficeFile(io.BytesIO(corpus_path("legacy", "CMRT_2.03_synthetic_encrypted.xls").read_bytes()))
    office.load_key(password="VelvetSweatshop")
    plain = io.BytesIO()
    office.decrypt(plain)
    damaged = bytearray(plain.getvalue())
    damaged[703786] = 243  # found by fuzzing: calamine then loops over a huge cell range
    started = time.monotonic()
    with pytest.raises(WorkbookError) as info:
        read_workbook(bytes(damaged), limits=ReadLimits(timeout_seconds=2))
    assert info.value.code in ("corrupt", "timeout")
    assert time.monotonic() - started < 15
    assert read_workbook(plain.getvalue()).company.name == "Green Status Pro"
