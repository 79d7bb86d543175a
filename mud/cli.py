"""The `mud` command: serve, migrate, check-world, set-role, export-world, console."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from mud.config import PROBLEM_FILE, SETTINGS, Settings


class _LineFormatter(logging.Formatter):
    """The standard format, with the time text made once a second rather than once a line."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
        return f"{self._text},{int(record.msecs):03d}"


def _setup_logging(level: str, process: str) -> None:
    """Structured lines: time, level, logger, the process's id (several may share one game),
    then the event's key=value pairs. A line costs the loop about 7 µs rather than 12: no
    caller, thread or process lookups for fields the format does not show (5,000 players who
    drop at once make 10,000 lines)."""
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # the logging HOWTO's way to skip finding the caller
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter(
        f"%(asctime)s %(levelname)s %(name)s process={process.replace('%', '%%')} %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        handlers=[handler])
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
                           description="Run the game: by default a gateway (the telnet "
                                       "and web listeners) with the world as its child "
                                       "process; with "
                                       "--role world or --role gateway, one of the two. With "
                                       "no database URL it starts an embedded PostgreSQL in "
                                       "the data folder.")
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
    role.add_argument("new_role", metavar="role", choices=["player", "builder", "wizard", "admin"])
    for name in ("database_url", "data_dir", "log_level"):
        _add_setting(role, name)
    export = sub.add_parser("export-world", help="write the world with builders' changes",
                            description="Write a world folder: the world files with the "
                                        "builders' changes (stored in the database) applied.")
    export.add_argument("--out", help="folder to write (default: <data dir>/world-export)")
    for name in ("world_dir", "database_url", "data_dir", "log_level"):
        _add_setting(export, name)
    console = sub.add_parser("console", help="the operator console of a running server",
                             description="Connect to a running server's console socket: "
                                         "interactive, or one command with -c. Exit codes: 0 "
                                         "ok, 1 refused or failed, 2 cannot connect.")
    console.add_argument("-c", dest="one_shot", metavar="COMMAND",
                         help='run one command and exit, like -c "status"')
    console.add_argument("--json", action="store_true", help="print replies as JSON")
    for name in ("data_dir", "console_socket"):
        _add_setting(console, name)
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


async def _export(settings: Settings, pool: Any, out_arg: str | None) -> int:
    """export_world with the overlay stored in the database (file work off the event loop)."""
    from pathlib import Path

    from mud.store.overlay import OverlayRepository
    from mud.world.export import ExportError, export_world
    from mud.world.loader import WorldError

    def progress(line: str) -> None:
        print(f"mud: {line}", flush=True)

    out = Path(out_arg) if out_arg else settings.data_path / "world-export"
    overlay = await OverlayRepository(pool).load()
    progress(f"{len(overlay.rooms)} room(s) and {len(overlay.items)} item(s) changed by builders")
    try:
        world = await asyncio.to_thread(export_world, settings.world_path, overlay, out, progress)
    except (WorldError, ExportError) as exc:
        print(f"mud: cannot export: {exc}", file=sys.stderr)
        return 1
    print(f"mud: world exported to {out}: {len(world.zones)} zones, {len(world.rooms)} rooms, "
          f"{len(world.items)} items (check it: mud check-world --world-dir {out})")
    return 0


async def _serve(settings: Settings) -> int:
    """`mud serve` in its role: the world, a gateway, or (all) a gateway with its own world."""
    if settings.role == "world":
        from mud.app import serve

        return await serve(settings)
    from mud.gateway.server import serve as serve_gateway

    if settings.role == "gateway":
        return await serve_gateway(settings)
    from mud.gateway.child import WorldChild

    child = WorldChild(settings)
    return await serve_gateway(settings, child.address, child=child)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k in SETTINGS}
    settings = Settings.load(flags)
    _setup_logging(settings.log_level, settings.process_name)

    if args.command == "console":
        from mud.console.client import run

        return run(settings.console_socket_path, args.one_shot, args.json)
    if args.command == "check-world":
        from mud.world.loader import WorldError, load_world

        try:
            world = load_world(settings.world_path)
        except WorldError as exc:
            print(f"mud: {exc}", file=sys.stderr)
            return 1
        print(f"mud: world OK: {len(world.zones)} zones, {len(world.rooms)} rooms, "
              f"{len(world.items)} items, {len(world.essences.by_id)} essences, "
              f"{len(world.essences.recipes)} confluence recipes, {len(world.shops)} shops, "
              f"{len(world.socials)} socials")
        return 0
    if args.command == "migrate":
        return _run(_with_database(settings, None))
    if args.command == "export-world":
        return _run(_with_database(settings, lambda pool: _export(settings, pool, args.out)))
    if args.command == "set-role":
        from mud.store.players import PlayerRepository

        async def set_role(pool: Any) -> int:
            if await PlayerRepository(pool).set_role(args.username, args.new_role):
                print(f"mud: {args.username} is now {args.new_role}")
                return 0
            print(f"mud: no account named {args.username!r}", file=sys.stderr)
            return 1

        return _run(_with_database(settings, set_role))
    from mud.world.loader import WorldError

    try:
        return _run(_serve(settings))
    except WorldError as exc:
        return _cannot_start(f"{exc}\nRun 'mud check-world' after fixing the files.")
    except OSError as exc:
        return _cannot_start(str(exc))
    except SystemExit as exc:
        if isinstance(exc.code, str):
            return _cannot_start(exc.code.removeprefix("mud: "))
        raise
    except Exception as exc:
        _tell_supervisor(f"{type(exc).__name__}: {exc}")
        raise


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run main on uvloop's event loop where it is installed (libuv's: cheaper socket reads,
    writes and wake-ups, which the gateway and the world make for every command), else on
    asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _cannot_start(reason: str) -> int:
    print(f"mud: cannot start: {reason}", file=sys.stderr)
    _tell_supervisor(reason)
    return 1


def _tell_supervisor(reason: str) -> None:
    """A world started by a gateway leaves why it could not run where the gateway reads it
    (MUD_WORLD_PROBLEM_FILE), for the console's status and the players' wait."""
    path = os.environ.get(PROBLEM_FILE)
    if path:
        with contextlib.suppress(OSError):
            Path(path).write_text(" ".join(reason.split())[:1000], "utf-8")
