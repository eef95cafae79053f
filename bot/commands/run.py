"""``cmrt-bot run``: the long-running bot (inbox watcher, Slack app, scheduler) in one process.

Exit status: 0 after a clean stop (SIGTERM / SIGINT), 1 when the database cannot be reached (one line on stderr, no
traceback; a service manager restarts it), 2 when it cannot start (configuration, outdated schema), 3 when it lost
the database's run lock (a service manager restarts it; it then stands by).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

log = logging.getLogger("cmbot.app")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run the bot: inbox watcher, Slack app and scheduler (stops cleanly on SIGTERM/SIGINT)",
        description=__doc__,
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from bot.app import App
    from bot.commands._common import CommandError, require_schema
    from bot.config import ConfigError, load_config
    from bot.scheduling import ScheduleSettingsError, outreach_config, tick_interval
    from store import StoreError

    try:
        settings = load_config(args.config)
        outreach_config(settings)  # validate the scheduling keys before anything starts
        tick_interval(settings)
    except (ConfigError, ScheduleSettingsError) as exc:
        print(f"cmrt-bot run: {exc}", file=sys.stderr)
        return 2
    # a daemon logs at [log] level (INFO by default) unless -vv asked for more
    from bot.logs import apply_log_settings

    apply_log_settings(settings.log.level, settings.log.protocol, getattr(args, "verbose", 0))
    try:  # the same one line as every command for a database that cannot be used (App.run checks it again)
        require_schema(settings.store.url)
    except CommandError as exc:
        print(f"cmrt-bot run: {exc}", file=sys.stderr)
        return exc.code
    app = App(settings)
    app.install_signal_handlers()
    try:
        return app.run()
    except (StoreError, ValueError) as exc:  # SchemaOutdated names `cmrt-bot db upgrade`; settings that cannot work
        print(f"cmrt-bot run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        app.guard_exit()  # the exit that follows stays within the stop budget too
