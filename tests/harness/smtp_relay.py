"""The harness's SMTP server: aiosmtpd on loopback that delivers into Dovecot over LMTP.

Two listeners: plain SMTP with STARTTLS and AUTH (``--port``) and implicit TLS (``--tls-port``). AUTH PLAIN/LOGIN
is checked against Dovecot's passwd-file. Recipients are checked against the same file at RCPT time (``+detail``
stripped); one LMTP transaction per recipient (smtplib.LMTP does not read LMTP's per-recipient DATA replies).
Every accepted message is appended to a JSON-lines journal.

Fault injection by recipient (any domain) -- local part:
  smtp-reject       550 5.7.1 at RCPT          smtp-tempfail   451 4.3.0 at RCPT
  smtp-drop         connection aborted at RCPT smtp-drop-data  connection aborted after DATA, nothing delivered
  smtp-slow         DATA reply delayed by --slow-seconds, then 451
or by ``+detail`` on an existing user (the message is delivered to that user once the fault is over):
  user+tempfail1-<anything>   the first DATA for that exact address gets 451 4.3.0, later ones are delivered
  user+reject-<anything>      550 5.7.1 at RCPT
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import pathlib
import smtplib
import ssl
import time
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger("harness.relay")


class Users:
    """Dovecot passwd-file reader; re-read when it changes so tests can add users at runtime."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._mtime = -1.0
        self._users: dict[str, str] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        users: dict[str, str] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            name, _, rest = line.partition(":")
            password = rest.split(":", 1)[0]
            if password.startswith("{PLAIN}"):
                password = password[len("{PLAIN}") :]
            users[name.lower()] = password
        self._users, self._mtime = users, mtime

    def exists(self, address: str) -> bool:
        self._load()
        return base_address(address) in self._users

    def check(self, login: str, password: str) -> bool:
        self._load()
        return self._users.get(login.lower()) == password


def base_address(address: str) -> str:
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def detail(address: str) -> str:
    local = address.lower().partition("@")[0]
    return local.split("+", 1)[1] if "+" in local else ""


class RelayHandler:
    def __init__(self, users: Users, lmtp_port: int, journal: pathlib.Path, slow_seconds: float) -> None:
        self.users = users
        self.lmtp_port = lmtp_port
        self.journal = journal
        self.slow_seconds = slow_seconds
        self.tempfailed: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local = address.lower().partition("@")[0]
        if local == "smtp-reject" or detail(address).startswith("reject"):
            return "550 5.7.1 Recipient rejected (fault injection)"
        if local == "smtp-tempfail":
            return "451 4.3.0 Temporary failure (fault injection)"
        if local == "smtp-drop":
            assert server.transport is not None
            server.transport.abort()
            return "421 dropped"
        if local not in ("smtp-drop-data", "smtp-slow") and not self.users.exists(address):
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rcpts = [r.lower() for r in envelope.rcpt_tos]
        if any(r.startswith("smtp-drop-data@") for r in rcpts):
            assert server.transport is not None
            server.transport.abort()
            return "421 dropped"
        if any(r.startswith("smtp-slow@") for r in rcpts):
            await asyncio.sleep(self.slow_seconds)
            return "451 4.3.0 Slow and failed (fault injection)"
        for rcpt in rcpts:
            if detail(rcpt).startswith("tempfail1") and rcpt not in self.tempfailed:
                self.tempfailed.add(rcpt)
                return "451 4.3.0 Try again later (fault injection)"
        data = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not data:
            data = envelope.content
        loop = asyncio.get_running_loop()
        results: dict[str, str] = {}
        for rcpt in envelope.rcpt_tos:
            results[rcpt] = await loop.run_in_executor(None, self._lmtp, envelope.mail_from or "", rcpt, data)
        failures = {r: v for r, v in results.items() if not v.startswith("250")}
        auth = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        entry: dict[str, Any] = {
            "time": time.time(),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport is not None and server.transport.get_extra_info("ssl_object") is not None,
            "auth": auth,
            "results": results,
            "message_id": _header(data, b"message-id"),
            "subject": _header(data, b"subject"),
        }
        with self.journal.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        if failures and len(failures) == len(results):
            first = next(iter(failures.values()))
            return first if first[:1] in "45" else "451 4.3.0 LMTP delivery failed"
        return "250 2.0.0 Message accepted for delivery"

    def _lmtp(self, mail_from: str, rcpt: str, data: bytes) -> str:
        try:
            with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
                lmtp.sendmail(mail_from, [rcpt], data)
            return "250 delivered"
        except smtplib.SMTPRecipientsRefused as exc:
            code, msg = exc.recipients[rcpt]
            return f"{code} {msg.decode(errors='replace')}"
        except smtplib.SMTPResponseException as exc:
            return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
        except OSError as exc:
            return f"451 4.4.1 LMTP unavailable: {exc}"


def _header(data: bytes, name: bytes) -> str | None:
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(name + b":"):
            return line.split(b":", 1)[1].strip().decode("utf-8", "replace")
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=10025)
    parser.add_argument("--tls-port", type=int, default=10465)
    parser.add_argument("--lmtp-port", type=int, default=10024)
    parser.add_argument("--users", type=pathlib.Path, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--journal", type=pathlib.Path, required=True)
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    users = Users(args.users)
    handler = RelayHandler(users, args.lmtp_port, args.journal, args.slow_seconds)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and users.check(auth_data.login.decode(), auth_data.password.decode()):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def factory(implicit: bool) -> SMTP:
        return SMTP(
            handler,
            hostname="harness.example.test",
            tls_context=None if implicit else tls,
            require_starttls=False,
            authenticator=authenticator,
            auth_require_tls=False,
            auth_required=False,
            decode_data=False,
            enable_SMTPUTF8=True,
        )

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        plain = await loop.create_server(lambda: factory(False), args.host, args.port)
        implicit = await loop.create_server(lambda: factory(True), args.host, args.tls_port, ssl=tls)
        log.info("listening on %s:%d (STARTTLS) and %s:%d (TLS)", args.host, args.port, args.host, args.tls_port)
        async with plain, implicit:
            await asyncio.gather(plain.serve_forever(), implicit.serve_forever())

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
