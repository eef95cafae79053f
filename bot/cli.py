"""``cmrt-bot`` command line: one sub-command module per area under ``bot/commands``.

Each module in ``bot.commands`` exposes ``register(subparsers, common)``: it adds its sub-command(s) to
``subparsers`` (passing ``parents=[common]`` so every command accepts ``--config``) and sets
``func=<callable(args) -> int>`` as the parser default. Modules are discovered, so adding a command never
edits this file.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from bot import commands as commands_pkg
from bot.commands._common import unreachable_database
from bot.logs import configure_logging
from cmrt.textsafe import terminal

log = logging.getLogger("cmbot.cli")


def build_parser() -> argparse.ArgumentParser:
    config_help = "configuration file (default: $CMRT_CONFIG, else ./cmrt-bot.toml if present, else built-in defaults)"
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command's parser must not reset a --config given before the sub-command
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=config_help)
    parser = argparse.ArgumentParser(
        prog="cmrt-bot",
        description="Run a conflict-minerals (CMRT) supplier survey over e-mail and Slack.",
    )
    parser.add_argument("--config", metavar="PATH", default=None, help=config_help)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bot.commands.{info.name}")
        module.register(subparsers, common)
    return parser


class TerminalSafe:
    """Standard output with ``cmrt.textsafe.terminal`` applied to everything written: workbook and e-mail text
    (a company name with ``_x001B_[2J``, a subject with a bidi override) reaches the terminal as characters, never
    as control sequences. Every command prints through it, so no command has to remember it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def unfiltered(self) -> TextIO:
        """The stream itself, for writers that clean their own text and add escape sequences (rich tables)."""
        return self._stream

    def write(self, text: str) -> int:
        self._stream.write(terminal(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    stdout = sys.stdout
    sys.stdout = TerminalSafe(stdout)
    try:
        result = func(args)
    except Exception as exc:
        line = unreachable_database(exc)
        if line is None:
            raise
        print(f"cmrt-bot {getattr(args, 'command', None) or ''}: {line}".replace(" :", ":"), file=sys.stderr)
        return 1  # a service manager restarts `run`; the database may be back by then
    finally:
        sys.stdout = stdout
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
