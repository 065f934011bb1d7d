"""``cohort``: the command line. ``cohort console`` runs the bot in a terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rich.console import Console

from adapters import config
from adapters.bootstrap import SchemaOutOfDate, bootstrap, scheduler_for
from bot.clock import OffsetClock

log = logging.getLogger("cohort")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = config.load(args.config)
    except config.ConfigError as error:
        print(f"cohort: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.logging_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args, settings))
    except SchemaOutOfDate as error:
        print(f"cohort: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cohort", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (default ./cohort.toml)")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    console = sub.add_parser("console", help="run Cohort in this terminal")
    console.add_argument("--user", help="who you are (default: you)")
    console.add_argument("--community", help="the community (default: local)")
    console.add_argument("--channel", help="the starting channel (default: general)")
    console.add_argument("--db", help="SQLite file or database URL (default: ./cohort.db)")
    console.add_argument("--script", type=Path, help="run the lines of FILE, then exit")
    console.set_defaults(run=_console)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    up.add_argument("--db", help="SQLite file or database URL")
    up.set_defaults(run=_db_upgrade)
    cur = db_sub.add_parser("current", help="show the schema revision")
    cur.add_argument("--db", help="SQLite file or database URL")
    cur.set_defaults(run=_db_current)
    return parser


def _console(args: argparse.Namespace, settings: config.Settings) -> int:
    from adapters.console.repl import Session, check_user, interactive, run_lines
    from bot.errors import UserError

    user = args.user or settings.console_user
    try:
        check_user(user)
    except UserError as error:
        print(f"cohort: --user: {error.message}", file=sys.stderr)
        return 2
    clock = OffsetClock()
    core = bootstrap(
        config.database_url(args.db, settings),
        clock=clock,
        synchronous=settings.storage_sqlite_synchronous,
        auto_migrate=settings.storage_auto_migrate,
    )
    scheduler = scheduler_for(
        core, platform="console", settings=config.scheduler_settings(settings)
    )
    session = Session(
        scheduler=scheduler,
        core=core,
        clock=clock,
        community=args.community or settings.console_community,
        user=user,
        channel=args.channel or settings.console_channel,
        admins={user},
    )
    console = Console(highlight=False, soft_wrap=True)
    if args.script:
        try:
            lines = args.script.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            print(f"cohort: cannot read {args.script}: {error.strerror}", file=sys.stderr)
            return 2
        return run_lines(session, lines, console, echo=True)
    if not sys.stdin.isatty():
        return run_lines(session, sys.stdin, console, echo=True)
    return interactive(session, console)


def _db_upgrade(args: argparse.Namespace, settings: config.Settings) -> int:
    from storage import migrate
    from storage.engine import make_engine

    engine = make_engine(config.database_url(args.db, settings))
    migrate.upgrade(engine)
    print(f"Schema is at {migrate.current(engine)}.")
    engine.dispose()
    return 0


def _db_current(args: argparse.Namespace, settings: config.Settings) -> int:
    from storage import migrate
    from storage.engine import make_engine

    engine = make_engine(config.database_url(args.db, settings))
    print(f"Schema is at {migrate.current(engine) or 'nothing'}; newest is {migrate.head()}.")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
