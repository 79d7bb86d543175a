"""The `mud` command: serve, migrate, check-world, set-role."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from mud.config import SETTINGS, Settings


def _setup_logging(level: str, process: str) -> None:
    """Structured lines: time, level, logger, the process's id (several may share one game),
    then the event's key=value pairs."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format=f"%(asctime)s %(levelname)s %(name)s process={process.replace('%', '%%')}"
               " %(message)s",
        stream=sys.stderr)
    # telnetlib3 warns about every oddity a client sends; a hostile one could flood the log
    logging.getLogger("telnetlib3").setLevel(logging.ERROR)
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)


def _add_setting(parser: argparse.ArgumentParser, name: str) -> None:
    env, default, convert, text = SETTINGS[name]
    parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=convert, default=None,
                        help=f"{text} (env {env}, default {default})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mud", description="A telnet MUD game server.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the game server",
                           description="Run the telnet server. With no database URL it starts "
                                       "an embedded PostgreSQL in the data folder.")
    for name in SETTINGS:
        _add_setting(serve, name)
    migrate = sub.add_parser("migrate", help="apply pending database migrations",
                             description="Apply the numbered migrations in sql/ that the "
                                         "database has not recorded yet, then the pending "
                                         "data-migration steps.")
    for name in ("database_url", "data_dir", "log_level"):
        _add_setting(migrate, name)
    check = sub.add_parser("check-world", help="validate world data and exit",
                           description="Load and validate world data; exit 1 on any problem.")
    for name in ("world_dir", "log_level"):
        _add_setting(check, name)
    role = sub.add_parser("set-role", help="give an account a role (makes the first admin)",
                          description="Set an account's role: player, builder, wizard, admin.")
    role.add_argument("username")
    role.add_argument("role", choices=["player", "builder", "wizard", "admin"])
    for name in ("database_url", "data_dir", "log_level"):
        _add_setting(role, name)
    return parser


async def _with_database(settings: Settings, work: Any) -> int:
    """Migrate the configured (or embedded) database, printing the data steps' progress, then
    run work(pool) if given."""
    from mud.store.database import open_database

    def progress(line: str) -> None:
        print(f"mud: {line}", flush=True)

    async with open_database(settings.database_url, settings.data_path, max_size=2,
                             progress=progress) as db:
        print(f"mud: {len(db.applied)} migration(s) applied to {db.where}", flush=True)
        ran = "".join(f"; {step.name}: {step.rows_changed} row(s) changed"
                      for step in db.data_steps)
        print(f"mud: {len(db.data_steps)} data migration step(s) run{ran}", flush=True)
        return await work(db.pool) if work else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k in SETTINGS}
    settings = Settings.load(flags)
    _setup_logging(settings.log_level, settings.process_name)

    if args.command == "check-world":
        from mud.world.loader import WorldError, load_world

        try:
            world = load_world(settings.world_path)
        except WorldError as exc:
            print(f"mud: {exc}", file=sys.stderr)
            return 1
        print(f"mud: world OK: {len(world.zones)} zones, {len(world.rooms)} rooms, "
              f"{len(world.items)} items, {len(world.essences.by_id)} essences, "
              f"{len(world.essences.recipes)} confluence recipes")
        return 0
    if args.command == "migrate":
        return asyncio.run(_with_database(settings, None))
    if args.command == "set-role":
        from mud.store.players import PlayerRepository

        async def set_role(pool: Any) -> int:
            if await PlayerRepository(pool).set_role(args.username, args.role):
                print(f"mud: {args.username} is now {args.role}")
                return 0
            print(f"mud: no account named {args.username!r}", file=sys.stderr)
            return 1

        return asyncio.run(_with_database(settings, set_role))
    from mud.app import serve
    from mud.world.loader import WorldError

    try:
        return asyncio.run(serve(settings))
    except WorldError as exc:
        print(f"mud: cannot start: {exc}\nRun 'mud check-world' after fixing the files.",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"mud: cannot start: {exc}", file=sys.stderr)
        return 1
