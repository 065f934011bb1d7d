"""``cohort``: the command line. ``cohort console`` runs the bot in a terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from adapters import config
from adapters.bootstrap import SchemaOutOfDate, bootstrap, scheduler_for
from bot.clock import Clock, OffsetClock
from bot.core import Core
from bot.scheduler import Scheduler

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
    except (SchemaOutOfDate, _Unavailable, config.ConfigError) as error:
        print(f"cohort: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while a bot runs: a normal way to stop it
        return 0


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
    _discord_parser(sub)
    _slack_parser(sub)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    up.add_argument("--db", help="SQLite file or database URL")
    up.set_defaults(run=_db_upgrade)
    cur = db_sub.add_parser("current", help="show the schema revision")
    cur.add_argument("--db", help="SQLite file or database URL")
    cur.set_defaults(run=_db_current)
    return parser


def _bot(
    db: str | None, settings: config.Settings, platform: str, clock: Clock | None = None
) -> tuple[Core, Scheduler]:
    """The core over ``--db`` (or the configured store) and its scheduler for ``platform``."""
    core = bootstrap(
        config.database_url(db, settings),
        clock=clock,
        synchronous=settings.storage_sqlite_synchronous,
        auto_migrate=settings.storage_auto_migrate,
    )
    return core, scheduler_for(
        core, platform=platform, settings=config.scheduler_settings(settings)
    )


def _shard_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("give shard ids as numbers, e.g. 0,1") from None
    if not ids or min(ids) < 0:
        raise argparse.ArgumentTypeError("give shard ids as numbers from 0, e.g. 0,1")
    return ids


def _discord_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bot = sub.add_parser("discord", help="run Cohort on Discord (token from COHORT_DISCORD_TOKEN)")
    bot.add_argument("--db", help="SQLite file or database URL (default: [storage] url)")
    bot.add_argument("--shard-ids", type=_shard_ids, help="this process's shards, e.g. 0,1")
    bot.add_argument("--shard-count", type=int, help="shards across all processes")
    bot.set_defaults(run=_discord_run)
    actions = bot.add_subparsers(metavar="ACTION")
    sync = actions.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", help="register in one server only (shows at once)")
    sync.set_defaults(run=_discord_sync)
    invite = actions.add_parser("invite-url", help="print the link that adds the bot")
    invite.set_defaults(run=_discord_invite)


def _discord_app() -> object:
    try:
        from adapters.discord import app
    except ImportError as error:
        raise _Unavailable(
            f"The Discord adapter needs discord.py ({error.name} is missing). "
            "Install it with: pip install '.[discord]'"
        ) from None
    return app


class _Unavailable(Exception):
    pass


def _discord_run(args: argparse.Namespace, settings: config.Settings) -> int:
    import asyncio

    app: Any = _discord_app()
    if args.shard_ids is not None and args.shard_count is None:
        print("cohort: --shard-ids needs --shard-count", file=sys.stderr)
        return 2
    if args.shard_count is not None and args.shard_count < 1:
        print("cohort: --shard-count must be at least 1", file=sys.stderr)
        return 2
    app.token(settings)
    core, scheduler = _bot(args.db, settings, "discord")
    app.point_at(settings)
    bot = app.client(
        core,
        scheduler=scheduler,
        settings=settings,
        shard_ids=args.shard_ids,
        shard_count=args.shard_count,
    )
    asyncio.run(app.run(bot, settings))
    return 0


def _discord_sync(args: argparse.Namespace, settings: config.Settings) -> int:
    import asyncio

    app: Any = _discord_app()
    if args.guild is not None and not args.guild.isdigit():
        print("cohort: --guild takes the server's numeric id", file=sys.stderr)
        return 2
    app.point_at(settings)
    done = asyncio.run(app.sync(settings, guild_id=args.guild))
    where = f"in server {args.guild}" if args.guild else "globally (may take up to an hour)"
    print(f"Registered {len(done)} commands {where}: {', '.join(c['name'] for c in done)}.")
    return 0


def _discord_invite(args: argparse.Namespace, settings: config.Settings) -> int:
    import asyncio

    app: Any = _discord_app()
    app.point_at(settings)
    print(asyncio.run(app.invite_url(settings)))
    return 0


def _slack_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bot = sub.add_parser("slack", help="run Cohort on Slack (Socket Mode unless --http)")
    bot.add_argument("--db", help="SQLite file or database URL (default: [storage] url)")
    bot.add_argument("--http", action="store_true", help="serve Slack's requests over HTTP")
    bot.add_argument("--host", default="0.0.0.0", help="HTTP mode: address (default 0.0.0.0)")
    bot.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    bot.set_defaults(run=_slack_run)
    actions = bot.add_subparsers(metavar="ACTION")
    made = actions.add_parser("manifest", help="print the app manifest (JSON) for api.slack.com")
    made.add_argument("--name", default="Cohort", help="the app's name in Slack")
    made.add_argument("--request-url", help="HTTP mode: https://your.host/slack/events")
    made.set_defaults(run=_slack_manifest)


def _slack_modules() -> tuple[Any, Any]:
    try:
        from adapters.slack import manifest, server
    except ImportError as error:
        raise _Unavailable(
            f"The Slack adapter needs slack-bolt ({error.name} is missing). "
            "Install it with: pip install '.[slack]'"
        ) from None
    return manifest, server


def _slack_manifest(args: argparse.Namespace, settings: config.Settings) -> int:
    import json

    manifest, _ = _slack_modules()
    try:
        made = manifest.manifest(
            name=args.name, prefix=settings.slack_command_prefix, request_url=args.request_url
        )
    except ValueError as error:
        print(f"cohort: --name: {error}", file=sys.stderr)
        return 2
    print(json.dumps(made, indent=2))
    return 0


def _slack_run(args: argparse.Namespace, settings: config.Settings) -> int:
    import asyncio

    _, server = _slack_modules()
    server.need(settings.slack_bot_token, "bot token", "COHORT_SLACK_BOT_TOKEN")
    if not args.http:
        server.need(settings.slack_app_token, "app-level token", "COHORT_SLACK_APP_TOKEN")
    core, scheduler = _bot(args.db, settings, "slack")
    app, cohort = server.build(core, settings, http=args.http)
    if args.http:
        server.run_http(server.web_app(app, cohort, scheduler), host=args.host, port=args.port)
    else:
        asyncio.run(server.run_socket_mode(app, cohort, scheduler, settings))
    return 0


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
    core, scheduler = _bot(args.db, settings, "console", clock=clock)
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
