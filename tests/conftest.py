"""Shared test fixtures: where the shared workbook corpus lives, and whether tests may skip without it."""

from __future__ import annotations

import os
import pathlib

import pytest

pytest_plugins = ["tests.harness.fixtures", "tests.fixtures_store"]  # store_url/store_db: SQLite + PostgreSQL

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = pathlib.Path(os.environ.get("CMRT_CORPUS", ROOT.parent / "shared" / "cmrt")).resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regenerate-golden", action="store_true", default=False,
                     help="rewrite the golden e-mails in tests/unit/mail/golden/ from the current templates")


def corpus_path(*parts: str) -> pathlib.Path:
    """A file of the shared corpus; skips (visibly) when it is absent, fails in CI."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"shared corpus file missing in CI: {path}")
        pytest.skip(f"shared corpus not available at {path} (set CMRT_CORPUS)")
    return path


@pytest.fixture
def corpus() -> pathlib.Path:
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"shared corpus missing in CI: {CORPUS}")
        pytest.skip(f"shared corpus not available at {CORPUS} (set CMRT_CORPUS)")
    return CORPUS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist (``-n``), the modules holding ``slow`` tests are handed out first, so that the longest do
    not start last and end the run alone; the order inside a module stays as written."""
    if not getattr(config.option, "numprocesses", None):
        return
    slow = {item.nodeid.split("::", 1)[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in slow)  # stable: False (slow) first
