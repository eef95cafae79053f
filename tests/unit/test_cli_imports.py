"""The CLI starts at once: a command imports only what it uses (issue 16, "Instant CLI").

``python -X importtime`` lists every module a process imports on its stderr. ``--help`` builds the whole parser
(every ``bot.commands`` module), so one module-level import of the store or the review catalogue in any command
shows here. ``check`` reads and reviews a workbook (the review catalogue loads, and the isolated reader process
starts from this same interpreter) but never touches the database. ``config check`` looks at the database's
schema revision with the light probe (``store.probe``: sqlite3 or psycopg), never through SQLAlchemy or Alembic.
"""

from __future__ import annotations

import os
import pathlib
import re
import sqlite3
import subprocess
import sys

from tests.conftest import corpus_path

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATABASE_MODULES = ("sqlalchemy", "alembic", "psycopg")
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|(\s*)(\S+)\s*$")


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime -m bot ARGS`` and return the process and every module it imported (the
    reader's worker is another interpreter, started without the flag: its imports are not listed)."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CMRT_CONFIG", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    modules = {m.group(2) for line in proc.stderr.splitlines() if (m := _IMPORTED.match(line))}
    return proc, modules


def top_packages(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_help_imports_no_database_library_and_no_review_catalogue() -> None:
    proc, modules = imported_modules("--help")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "check" in proc.stdout and "report" in proc.stdout  # the parser knows every command
    assert modules, "no -X importtime output"
    assert not top_packages(modules) & set(DATABASE_MODULES), sorted(
        m for m in modules if m.partition(".")[0] in DATABASE_MODULES
    )[:10]
    assert "cmrt.review.catalogue" not in modules
    assert "openpyxl" not in top_packages(modules)
    assert "python_calamine" not in top_packages(modules)


def test_sub_command_help_imports_no_database_library() -> None:
    for command in (["report", "--help"], ["suppliers", "import", "--help"], ["check", "--help"]):
        proc, modules = imported_modules(*command)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert not top_packages(modules) & set(DATABASE_MODULES), command


def test_check_of_a_real_return_imports_no_database_library() -> None:
    workbook = corpus_path("returned", "CMRT_6.4_JX.xlsx")
    proc, modules = imported_modules("check", str(workbook))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "CMRT 6.4" in proc.stdout or "6.4" in proc.stdout
    assert "cmrt.review.catalogue" in modules  # the review ran
    # the workbook (and its own smelter look-up, which the review uses) is opened only in the reader's worker
    assert "python_calamine" not in top_packages(modules) and "cmrt.workbook.reader" not in modules
    assert not top_packages(modules) & set(DATABASE_MODULES), sorted(
        m for m in modules if m.partition(".")[0] in DATABASE_MODULES
    )[:10]


def test_config_check_imports_neither_sqlalchemy_nor_alembic(tmp_path: pathlib.Path) -> None:
    from store.revisions import HEADS

    database = tmp_path / "cmrt-bot.db"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    connection.executemany("INSERT INTO alembic_version VALUES (?)", [(head,) for head in HEADS])
    connection.commit()
    connection.close()
    config = tmp_path / "cmrt-bot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    proc, modules = imported_modules("--config", str(config), "config", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert f"database: OK (sqlite:///{database}, schema {', '.join(HEADS)} current)" in proc.stdout.splitlines()
    assert not top_packages(modules) & {"sqlalchemy", "alembic"}, sorted(
        m for m in modules if m.partition(".")[0] in ("sqlalchemy", "alembic")
    )[:10]


def test_report_formats_match_the_renderer() -> None:
    """``report --format`` choices are kept in the command module so the parser needs no renderer."""
    from bot.commands.report import FORMATS
    from cmrt.reporting.text import FORMATS as RENDERED

    assert tuple(FORMATS) == tuple(RENDERED)
