"""``cmrt-bot config check``: validate the configuration, then try every configured connection.

One line per component (config, database, smtp, imap, maildir, slack, template): ``OK``, ``FAILED: why`` or
``not configured``. Exit status 0 when everything configured works, 1 when a component failed, 2 when the
configuration itself is invalid. Secrets are read from the environment variables the file names and are never
printed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.commands._common import CommandError, run_command, settings_from

if TYPE_CHECKING:
    import ssl

    from bot.config import ImapSettings, Settings, SmtpSettings

Check = Callable[["Settings"], tuple[str, str]]  # -> (status "OK" | "FAILED" | "not configured", detail)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("config", parents=[common], help="configuration: check")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate the configuration and try the database, SMTP, IMAP and Slack connections",
        description=__doc__,
    )
    check.set_defaults(func=lambda a: run_command("config check", a, do_check))


def do_check(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
    except CommandError as exc:
        print(f"config: FAILED: {exc}")
        return 2
    print(f"config: OK ({settings.source})")
    failed = False
    for name, check in CHECKS:
        try:
            status, detail = check(settings)
        except Exception as exc:  # a check must never crash the others
            status, detail = "FAILED", _why(exc)
        if not detail:
            print(f"{name}: {status}")
        elif status == "FAILED":
            print(f"{name}: FAILED: {detail}")
        else:
            print(f"{name}: {status} ({detail})")
        failed = failed or status == "FAILED"
    return 1 if failed else 0


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    import ssl

    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def check_database(settings: Settings) -> tuple[str, str]:
    """A light probe (``store.probe``: sqlite3 or psycopg, no SQLAlchemy or Alembic) of the schema revision."""
    from store.errors import SchemaOutdated
    from store.probe import check_schema_current
    from store.revisions import HEADS
    from store.urls import redact_url

    url = settings.store.url
    try:
        check_schema_current(url)
    except SchemaOutdated as exc:
        return "FAILED", str(exc)
    return "OK", f"{redact_url(url)}, schema {', '.join(HEADS)} current"


def _password(settings: Settings, cfg: SmtpSettings | ImapSettings, section: str) -> str | None:
    if not cfg.username:
        return None
    password = settings.secret(cfg.password_env)
    if password is None:
        raise CommandError(f"environment variable {cfg.password_env} ({section}.password_env) is not set")
    return password


def check_smtp(settings: Settings) -> tuple[str, str]:
    import smtplib

    cfg = settings.smtp
    if settings.mail.outbound == "maildir":
        return "not configured", f'mail.outbound = "maildir": e-mails go to {settings.mail.outbound_maildir_path}'
    if not cfg.configured:
        return "not configured", "[smtp] host is unset: no e-mail will be sent"
    try:
        password = _password(settings, cfg, "smtp")
    except CommandError as exc:
        return "FAILED", str(exc)
    timeout = cfg.timeout.total_seconds()
    context = _tls_context(cfg.tls_ca_file)
    client: smtplib.SMTP
    if cfg.security == "tls":
        client = smtplib.SMTP_SSL(cfg.host or "", cfg.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(cfg.host or "", cfg.port, timeout=timeout)
    try:
        client.ehlo()
        if cfg.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if cfg.username and password is not None:
            client.login(cfg.username, password)
        client.noop()
    finally:
        try:
            client.quit()
        except Exception:
            client.close()
    who = f" as {cfg.username}" if cfg.username else " (no login)"
    return "OK", f"{cfg.host}:{cfg.port} {cfg.security}{who}"


def check_imap(settings: Settings) -> tuple[str, str]:
    import imapclient

    cfg = settings.imap
    if settings.mail.inbound != "imap":
        return "not configured", f"mail.inbound = {settings.mail.inbound!r}"
    if not cfg.configured:
        return "not configured", "[imap] host is unset: no replies will be read over IMAP"
    try:
        password = _password(settings, cfg, "imap")
    except CommandError as exc:
        return "FAILED", str(exc)
    context = _tls_context(cfg.tls_ca_file)
    client = imapclient.IMAPClient(
        cfg.host or "", port=cfg.port, ssl=cfg.security == "tls", ssl_context=context,
        timeout=cfg.timeout.total_seconds(),
    )
    try:
        if cfg.security == "starttls":
            client.starttls(context)
        client.login(cfg.username or "", password or "")
        info = client.select_folder(cfg.folder, readonly=True)
        exists = info.get(b"EXISTS", 0)
        idle = client.has_capability("IDLE")
    finally:
        try:
            client.logout()
        except Exception:
            client.shutdown()
    return "OK", f"{cfg.host}:{cfg.port} {cfg.security} as {cfg.username}, {cfg.folder} has {exists} message(s)" + (
        "" if idle else ", no IDLE: polling"
    )


def check_maildir(settings: Settings) -> tuple[str, str]:
    if settings.mail.inbound != "maildir":
        return "not configured", "mail.inbound is not \"maildir\""
    path = pathlib.Path(settings.mail.maildir_path or "")
    missing = [d for d in ("cur", "new", "tmp") if not (path / d).is_dir()]
    if missing:
        return "FAILED", f"{path} is not a Maildir (missing {', '.join(missing)})"
    if not os.access(path / "new", os.R_OK | os.W_OK):
        return "FAILED", f"{path / 'new'} is not readable and writable by this user"
    return "OK", str(path)


def check_slack(settings: Settings) -> tuple[str, str]:
    from slack_sdk import WebClient

    cfg = settings.slack
    if not cfg.configured:
        return "not configured", "[slack] channel is unset: Slack is off"
    token = settings.secret(cfg.bot_token_env)
    if token is None:
        return "FAILED", f"environment variable {cfg.bot_token_env} (slack.bot_token_env) is not set"
    if cfg.mode == "socket" and settings.secret(cfg.app_token_env) is None:
        return "FAILED", f"environment variable {cfg.app_token_env} (slack.app_token_env) is not set (Socket Mode)"
    if cfg.mode == "http" and settings.secret(cfg.signing_secret_env) is None:
        return "FAILED", f"environment variable {cfg.signing_secret_env} (slack.signing_secret_env) is not set"
    kwargs: dict[str, Any] = {"token": token, "timeout": 10}
    if cfg.api_base_url:
        kwargs["base_url"] = cfg.api_base_url if cfg.api_base_url.endswith("/") else cfg.api_base_url + "/"
    response = WebClient(**kwargs).auth_test()
    return "OK", f"auth.test: team {response.get('team')!s}, bot user {response.get('user')!s}, {cfg.mode} mode"


def check_template(settings: Settings) -> tuple[str, str]:
    path = settings.outreach.template_path
    if not path:
        return "not configured", "outreach.template_path is unset: requests go out without a blank template"
    p = pathlib.Path(path)
    if not p.is_file():
        return "FAILED", f"outreach.template_path {p} does not exist"
    head = p.read_bytes()[:8]
    if head[:4] != b"PK\x03\x04" and head != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "FAILED", f"outreach.template_path {p} is not an Excel workbook"
    return "OK", str(p)


CHECKS: tuple[tuple[str, Check], ...] = (
    ("database", check_database),
    ("smtp", check_smtp),
    ("imap", check_imap),
    ("maildir", check_maildir),
    ("slack", check_slack),
    ("template", check_template),
)
