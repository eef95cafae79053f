"""The light schema probe (``store.probe``, no SQLAlchemy or Alembic) agrees with Alembic and SQLAlchemy: the
revisions the code knows are the migrations', URLs are read and redacted the same way, and each state of a SQLite
database gets the line ``config check`` prints today. (PostgreSQL: tests/adapters/store/test_migrations.py.)"""

from __future__ import annotations

import pathlib
import sqlite3

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from store.errors import SchemaOutdated, StoreError
from store.migrate import alembic_config
from store.probe import check_schema_current, read_revisions
from store.revisions import HEADS, REVISIONS
from store.urls import normalise_url, parse_url, redact_url

URLS = (
    "sqlite:///cmrt-bot.db",
    "sqlite:////var/lib/cmrt-bot/cmrt-bot.db",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///dir with space/b%C3%A4r.db",
    "postgresql+psycopg://cmrt@127.0.0.1:5432/cmrt",
    "postgresql+psycopg://cmrt:s3cr%40t@db.example.com/cmrt?sslmode=require&application_name=cmrt",
    "postgresql://cmrt:pw@localhost/cmrt",
    "postgres://user@[::1]:5433/db",
    "postgresql+psycopg://u%20ser:p:w@host/db?options=-csearch_path%3Dx&host=a&host=b",
    "postgresql+psycopg:///cmrt?host=/var/run/postgresql",
    "mysql://x@y/z",
)


def test_the_known_revisions_are_the_migrations() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    oldest_first = tuple(reversed([rev.revision for rev in script.walk_revisions()]))
    assert (oldest_first, tuple(script.get_heads())) == (REVISIONS, HEADS), (
        f"store/revisions.py is out of date: REVISIONS = {oldest_first!r}, HEADS = {tuple(script.get_heads())!r}"
    )


@pytest.mark.parametrize("url", URLS)
def test_urls_are_read_and_redacted_as_sqlalchemy_does(url: str) -> None:
    expected = make_url(normalise_url(url))
    parsed = parse_url(normalise_url(url))
    assert redact_url(url) == expected.render_as_string(hide_password=True)
    assert parsed.render(hide_password=False) == expected.render_as_string(hide_password=False)
    assert (parsed.backend, parsed.database, parsed.host, parsed.port, parsed.username, parsed.password) == (
        expected.get_backend_name(), expected.database, expected.host, expected.port, expected.username,
        expected.password)  # fmt: skip
    assert expected.password is None or f":{expected.password}@" not in redact_url(url)


def test_an_unparseable_url_is_redacted_to_a_placeholder() -> None:
    assert redact_url("nonsense") == "<unparseable database URL>"
    with pytest.raises(StoreError, match="not a database URL"):
        read_revisions("nonsense")
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        read_revisions("mysql://x@y/z")


def _sqlite(path: pathlib.Path, *revisions: str) -> str:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE suppliers (id INTEGER PRIMARY KEY)")
    if revisions:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        connection.executemany("INSERT INTO alembic_version VALUES (?)", [(r,) for r in revisions])
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


def test_sqlite_states(tmp_path: pathlib.Path) -> None:
    current = _sqlite(tmp_path / "current.db", *HEADS)
    assert read_revisions(current) == HEADS
    check_schema_current(current)

    missing = tmp_path / "not" / "there.db"
    with pytest.raises(SchemaOutdated, match=r"has no cmrt-bot schema yet: run `cmrt-bot db upgrade` \(or `cmrt-bot"):
        check_schema_current(f"sqlite:///{missing}")
    assert not missing.parent.exists()  # looking never creates the file (nor its directory)
    with pytest.raises(SchemaOutdated, match="has no cmrt-bot schema yet"):
        check_schema_current(_sqlite(tmp_path / "bare.db"))
    with pytest.raises(SchemaOutdated, match="has no cmrt-bot schema yet"):
        check_schema_current("sqlite://")

    old = _sqlite(tmp_path / "old.db", REVISIONS[0])
    with pytest.raises(SchemaOutdated) as outdated:
        check_schema_current(old)
    assert str(outdated.value) == (f"the database {old} is at schema {REVISIONS[0]} but this cmrt-bot needs "
                                   f"{', '.join(HEADS)}: run `cmrt-bot db upgrade`")  # fmt: skip
    newer = _sqlite(tmp_path / "newer.db", "ffff")
    with pytest.raises(SchemaOutdated, match="is at schema ffff, newer than this cmrt-bot"):
        check_schema_current(newer)

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        check_schema_current(f"sqlite:///{garbage}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bare.db", "current.db", "garbage.db", "newer.db", "old.db"]  # no WAL files left behind  # fmt: skip
