"""pytest plugin for the mail harness (Dovecot + aiosmtpd relay), registered in tests/conftest.py.

``mail_harness`` (session scope) starts the harness when it is not running and registers this session's PID under
``$HARNESS_DIR/clients`` (``harness.sh acquire``); at the end it unregisters, and the last live session stops a
harness that test sessions started (``harness.sh release``). Both happen under the harness's lock, so one session
stopping never races another starting (parallel runs, pytest-xdist workers). Other helpers' test runs share the same
servers, so tests must be independent: use ``mail_harness.new_user()`` for a fresh mailbox, or unique subjects.

``own_mail_harness`` (session scope) is a separate instance on free ports for this session alone, for the tests
that run the bot as a process or restart Dovecot (nobody else can stop, wipe or restart it under them); it is
started once per session (per xdist worker) and removed at the end. ``private_mail_harness()`` starts one for a
single block.

Tests using it are marked ``mailserver``. Without Dovecot (not installed, not root) they skip visibly, and fail
in CI (``CI=true``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "harness.sh"
ROOT = HERE.parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DEFAULT_DIR = os.environ.get("HARNESS_DIR", "/tmp/cmbot-harness")
DYNAMIC_PASSWORD = "harness-dynamic"  # users added at runtime log in with it (see harness.sh)


@dataclass
class MailHarness:
    """Addresses, ports, CA and users of one running harness instance."""

    dir: pathlib.Path
    imap_port: int
    imaps_port: int
    lmtp_port: int
    smtp_port: int
    smtps_port: int
    ca_path: pathlib.Path
    users_file: pathlib.Path
    journal: pathlib.Path
    dovecot_conf: pathlib.Path
    env: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    # -- users ----------------------------------------------------------------------------------------------
    @property
    def users(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in self.users_file.read_text(encoding="utf-8").splitlines():
            name, _, rest = line.partition(":")
            if name:
                out[name] = rest.split(":", 1)[0].removeprefix("{PLAIN}")
        return out

    def add_user(self, address: str, password: str) -> None:
        _run([str(SCRIPT), "adduser", address, password], self.env)

    def new_user(self, prefix: str = "u", domain: str = "example.test") -> tuple[str, str]:
        """A fresh mailbox nobody else uses: (address, password); usable at once (the shared dynamic password)."""
        address = f"{prefix}-{uuid.uuid4().hex[:10]}@{domain}"
        self.add_user(address, DYNAMIC_PASSWORD)
        return address, DYNAMIC_PASSWORD

    # -- clients --------------------------------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def imap(self, address: str, password: str | None = None, *, tls: bool = True) -> Any:
        from imapclient import IMAPClient

        password = password if password is not None else self.users[address]
        if tls:
            client = IMAPClient(self.host, self.imaps_port, ssl=True, ssl_context=self.ssl_context(), timeout=30)
        else:
            client = IMAPClient(self.host, self.imap_port, ssl=False, timeout=30)
        client.login(address, password)
        return client

    def append(self, address: str, raw: bytes, folder: str = "INBOX") -> int:
        """APPEND a raw message to a user's folder; returns its UID."""
        client = self.imap(address)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            reply = client.append(folder, raw)
            text = reply.decode() if isinstance(reply, bytes) else str(reply)
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            client.logout()

    def wait_for(self, address: str, criteria: list[Any], *, folder: str = "INBOX", timeout: float = 5.0) -> list[int]:
        """Poll until a SEARCH finds something (or the timeout passes); returns the UIDs."""
        client = self.imap(address)
        try:
            deadline = time.monotonic() + timeout
            while True:
                client.select_folder(folder, readonly=True)
                uids = list(client.search(criteria))
                if uids or time.monotonic() > deadline:
                    return uids
                time.sleep(0.05)
        finally:
            client.logout()

    def folder_uids(self, address: str, folder: str) -> list[int]:
        client = self.imap(address)
        try:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return list(client.search(["ALL"]))
        finally:
            client.logout()

    def journal_entries(self) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text(encoding="utf-8").splitlines() if line.strip()]

    # -- lifecycle (private instances) ----------------------------------------------------------------------
    def start(self) -> None:
        _run([str(SCRIPT), "start"], self.env)

    def stop(self) -> None:
        _run([str(SCRIPT), "stop"], self.env)

    def restart_dovecot(self) -> None:
        """Stop and start Dovecot only (the relay keeps running)."""
        _run([str(SCRIPT), "restart-dovecot"], self.env)


def _run(cmd: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    # stdin/stdout/stderr must not be inherited by the daemonised Dovecot master (it would hold our pipes open)
    return subprocess.run(
        ["bash", *cmd],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def _load(env_file: pathlib.Path, env: dict[str, str]) -> MailHarness:
    values = dict(line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if "=" in line)
    return MailHarness(
        dir=pathlib.Path(values["HARNESS_DIR"]),
        imap_port=int(values["HARNESS_IMAP_PORT"]),
        imaps_port=int(values["HARNESS_IMAPS_PORT"]),
        lmtp_port=int(values["HARNESS_LMTP_PORT"]),
        smtp_port=int(values["HARNESS_SMTP_PORT"]),
        smtps_port=int(values["HARNESS_SMTPS_PORT"]),
        ca_path=pathlib.Path(values["HARNESS_CA"]),
        users_file=pathlib.Path(values["HARNESS_USERS_FILE"]),
        journal=pathlib.Path(values["HARNESS_JOURNAL"]),
        dovecot_conf=pathlib.Path(values["HARNESS_DOVECOT_CONF"]),
        env=env,
    )


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"mail harness unavailable in CI: {reason}")
    pytest.skip(f"mail harness unavailable: {reason}")


def _check_possible() -> None:
    if shutil.which("dovecot") is None:
        _unavailable("dovecot is not installed (run: bash tests/harness/harness.sh install)")
    if os.geteuid() != 0:
        _unavailable("the harness needs root to run Dovecot's master")


def _harness_env(directory: str, **ports: int) -> dict[str, str]:
    env = {"HARNESS_DIR": directory, "HARNESS_PYTHON": os.environ.get("HARNESS_PYTHON", _python())}
    env.update({f"HARNESS_{k.upper()}": str(v) for k, v in ports.items()})
    return env


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else "python3"


@pytest.fixture(scope="session")
def mail_harness() -> Iterator[MailHarness]:
    _check_possible()
    env = _harness_env(DEFAULT_DIR)
    me = str(os.getpid())  # one registration per test session (each pytest-xdist worker is one)
    result = _run([str(SCRIPT), "acquire", me], env, check=False)
    if result.returncode != 0:
        _unavailable(f"harness start failed: {result.stderr.strip()[-500:]}")
    try:
        yield _load(pathlib.Path(DEFAULT_DIR) / "harness.env", env)
    finally:
        _run([str(SCRIPT), "release", me], env, check=False)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def private_mail_harness() -> Iterator[MailHarness]:
    """A separate harness instance on free ports (for tests that restart or break Dovecot); removed afterwards."""
    _check_possible()
    directory = f"/tmp/cmbot-h{uuid.uuid4().hex[:8]}"
    env = _harness_env(
        directory,
        imap_port=free_port(),
        imaps_port=free_port(),
        lmtp_port=free_port(),
        smtp_port=free_port(),
        smtps_port=free_port(),
    )
    result = _run([str(SCRIPT), "start"], env, check=False)
    if result.returncode != 0:
        _unavailable(f"private harness start failed: {result.stderr.strip()[-500:]}")
    try:
        yield _load(pathlib.Path(directory) / "harness.env", env)
    finally:
        _run([str(SCRIPT), "clean"], env, check=False)


@pytest.fixture(scope="session")
def own_mail_harness() -> Iterator[MailHarness]:
    """This session's own harness instance (free ports): other test runs cannot stop, wipe or restart it."""
    with private_mail_harness() as h:
        yield h


@pytest.fixture
def mail_user(mail_harness: MailHarness) -> tuple[str, str]:
    """A fresh mailbox for one test: (address, password)."""
    return mail_harness.new_user()
