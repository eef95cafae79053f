"""``cmrt-bot init``: write a configuration file from the documented example and create a fresh database."""

from __future__ import annotations

import argparse
import importlib.resources
import os
import pathlib
from typing import Any

from bot.commands._common import CommandError, run_command, upgrade_database


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "init",
        parents=[common],
        help="write a configuration file (from config.example.toml) and create the database",
        description="Writes the configuration file named by --config (else $CMRT_CONFIG, else ./cmrt-bot.toml) from "
        "the documented "
        "example, unless it exists, then creates or upgrades the database it names ([store] url or "
        "$CMRT_STORE_URL).",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing configuration file")
    parser.set_defaults(func=lambda a: run_command("init", a, do_init))


def example_text() -> str:
    """The documented example configuration (shipped inside the package)."""
    return importlib.resources.files("bot").joinpath("config.example.toml").read_text(encoding="utf-8")


def do_init(args: argparse.Namespace) -> int:
    from bot.config import DEFAULT_CONFIG_NAME, ConfigError, load_config
    from store import redact_url

    path = pathlib.Path(getattr(args, "config", None) or os.environ.get("CMRT_CONFIG") or DEFAULT_CONFIG_NAME)
    if path.exists() and not args.force:
        print(f"configuration {path}: exists, kept (use --force to overwrite)")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(example_text(), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}", 2) from None
        print(f"configuration {path}: written from config.example.toml")
    try:
        settings = load_config(str(path))
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None
    url = settings.store.url
    before, after = upgrade_database(url, failure="cannot create the database")
    if before == after:
        print(f"database {redact_url(url)}: exists, schema {', '.join(after)} is current")
    else:
        print(f"database {redact_url(url)}: ready (schema {', '.join(after)})")
    print(f"next: edit {path}, run `cmrt-bot config check`, then `cmrt-bot suppliers import FILE`")
    return 0
