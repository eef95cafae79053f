"""Database URLs without SQLAlchemy: parse, normalise and redact them the way ``sqlalchemy.engine.make_url`` does
(the same pattern and the same rendering), so the commands that only name or probe the database (``config check``,
``db current``) start without importing SQLAlchemy. ``tests/unit/store/test_light_probe.py`` compares the two."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, quote_plus, unquote

_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


@dataclass(frozen=True)
class DatabaseUrl:
    """The parts of a database URL (``drivername://username:password@host:port/database?query``)."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql``, ...: the driver name without its ``+driver``."""
        return self.drivername.partition("+")[0]

    def render(self, *, hide_password: bool = True) -> str:
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                text += ":" + ("***" if hide_password else quote(self.password, safe=" +"))
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe=" +/")
        if self.query:
            ordered = sorted(self.query, key=lambda item: item[0])  # by key; a repeated key keeps its order
            text += "?" + "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in ordered)
        return text


def parse_url(url: str) -> DatabaseUrl:
    """The parts of ``url``; ``ValueError`` when it is not a database URL at all."""
    match = _URL.match(url)
    if match is None:
        raise ValueError(f"not a database URL: {url!r}")
    parts = match.groupdict()
    port = parts["port"]
    return DatabaseUrl(
        drivername=parts["name"],
        username=None if parts["username"] is None else unquote(parts["username"]),
        password=None if parts["password"] is None else unquote(parts["password"]),
        host=parts["ipv4host"] or parts["ipv6host"],
        port=int(port) if port else None,
        database=None if parts["database"] is None else unquote(parts["database"]),
        query=tuple(parse_qsl(parts["query"])) if parts["query"] is not None else (),
    )


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver; leave everything else alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return parse_url(normalise_url(url)).render(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
