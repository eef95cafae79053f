"""``config check`` says where e-mail goes when the local Maildir outbox replaces SMTP."""

from __future__ import annotations

import pathlib

from bot.commands.config_cmd import check_smtp
from bot.config import load_config


def test_smtp_line_names_the_local_outbox(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "cmrt-bot.toml"
    config.write_text('[mail]\noutbound = "maildir"\noutbound_maildir_path = "outbox"\n', encoding="utf-8")
    status, detail = check_smtp(load_config(str(config)))
    assert status == "not configured"
    assert detail.startswith('mail.outbound = "maildir": e-mails go to ') and detail.endswith("outbox")


def test_smtp_line_without_any_outbound(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "cmrt-bot.toml"
    config.write_text("", encoding="utf-8")
    assert check_smtp(load_config(str(config))) == ("not configured", "[smtp] host is unset: no e-mail will be sent")
