"""The operator console's commands. Each returns a Result: whether it worked, text for a person
and data for a script. The staff operations (mud.ops: kick, broadcast, shutdown, reload, roles,
wizlock, bans) are the wizards' commands of the same names, with the same syntax and wording;
the others (status, sessions, save, create-admin, reset-password) are the console's own. Every
command but `help` is audited once, as account "console", role admin: an operation audits
itself, the console's own commands are run the same way (mud.ops.base.perform)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mud.auth import email_problem, username_problem
from mud.ops import OPERATIONS
from mud.ops.base import CONSOLE, Operation, Result, perform
from mud.ops.roles import set_role
from mud.store.players import AccountExists

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

    from mud.auth import Passwords
    from mud.cluster.bus import Bus
    from mud.cluster.throttle import SharedLoginThrottle
    from mud.game.state import Game
    from mud.monitor import LagMonitor
    from mud.ops.staff import Staff
    from mud.store.players import PlayerRepository
    from mud.store.saver import Saver

__all__ = ["COMMANDS", "Console", "Host", "Result"]

log = logging.getLogger("mud.console")

HEALTH_TIMEOUT = 2.0  # seconds a database health check may take before it counts as down
CHANGE_IT = "Log in and type password in the game to change it."
ALIASES = {"reload-world": "reload world"}  # older forms, still understood

Handler = Callable[["Console", str], Awaitable[Result]]


@dataclass(frozen=True)
class ConsoleCommand:
    name: str
    usage: str
    summary: str
    run: Handler  # audits the command (but `help`)


COMMANDS: dict[str, ConsoleCommand] = {}


def console_command(name: str, usage: str, audited: bool = True
                    ) -> Callable[[Handler], Handler]:
    """Register one of the console's own commands; the first line of its docstring is its
    summary in `help`."""

    def register(handler: Handler) -> Handler:
        summary = (handler.__doc__ or "").strip().splitlines()[0]

        async def run(console: Console, args: str) -> Result:
            return await perform(console.staff.audit, CONSOLE, name, args,
                                 lambda: handler(console, args))

        COMMANDS[name] = ConsoleCommand(name, usage, summary, run if audited else handler)
        return handler

    return register


def _by_the_console(op: Operation) -> Handler:
    """A staff operation as a console command: run by the console (the operation audits it)."""

    async def run(console: Console, args: str) -> Result:
        return await op(console.staff, CONSOLE, args)

    return run


class Counters(Protocol):
    started_at: float
    commands: int  # game commands run


class Host(Protocol):
    """What the console uses of the running server (mud.app builds it)."""

    staff: Staff
    stats: Counters
    saver: Saver
    lag: LagMonitor
    pool: AsyncConnectionPool
    bus: Bus
    game: Game
    sessions: Collection[Any]
    players: PlayerRepository
    passwords: Passwords
    login_throttle: SharedLoginThrottle

    def connections(self) -> list[dict[str, str | int | None]]: ...

    def gateways(self) -> list[dict[str, Any]]: ...


class Console:
    """The console of one server: runs its commands."""

    def __init__(self, server: Host) -> None:
        self.server = server
        self.staff = server.staff
        self._sample = (server.stats.started_at, server.stats.commands)

    async def run(self, name: str, args: str) -> Result:
        name, _, before = ALIASES.get(name.lower(), name).partition(" ")
        cmd = COMMANDS.get(name.lower())
        if cmd is None:
            return Result(False, f"Unknown console command '{name[:30]}'. Type help for the "
                                 "list.")
        return await cmd.run(self, f"{before} {args}".strip())

    def commands_per_second(self) -> tuple[float, float]:
        """Game commands per second since the previous call (or since start-up), and over how
        many seconds."""
        now, count = time.time(), self.server.stats.commands
        then, before = self._sample
        self._sample = (now, count)
        window = now - then
        return ((count - before) / window if window > 0 else 0.0), window


def random_password() -> str:
    """A new password for an account the operator makes or resets, shown to them once."""
    return secrets.token_urlsafe(12)


def _usage(name: str) -> Result:
    return Result(False, f"Usage: {COMMANDS[name].usage}")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s" if hours else \
        f"{rest // 60}m {rest % 60:02d}s"


# -- looking ------------------------------------------------------------------------------------

@console_command("help", "help [command]", audited=False)
async def help_(console: Console, args: str) -> Result:
    """The console's commands, or how to use one."""
    if args:
        cmd = COMMANDS.get(args.lower())
        if cmd is None:
            return Result(False, f"There is no console command '{args[:30]}'. Type help.")
        return Result(True, f"{cmd.usage}\n  {cmd.summary}", {"usage": cmd.usage})
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = [f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS.values()]
    return Result(True, "Console commands:\n" + "\n".join(lines),
                  {"commands": list(COMMANDS), "process": console.server.bus.process_id})


async def _database_health(server: Host) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), server.pool.connection() as conn:
            await conn.execute("SELECT 1")
    except Exception as exc:
        return {"up": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    return {"up": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _saver_line(saver: dict[str, Any]) -> str:
    if saver["last_flush_at"] is None:
        last = "no flush yet"
    else:
        ago = time.time() - saver["last_flush_at"]
        last = (f"last flush {time.strftime('%H:%M:%S', time.localtime(saver['last_flush_at']))}"
                f" ({ago:.0f} s ago), {saver['last_duration_ms']} ms,"
                f" {saver['last_count']} character(s)")
    failed = f"; last error: {saver['last_error']}" if saver["last_error"] else ""
    return f"{last}; {saver['dirty']} dirty; {saver['failures']} failure(s){failed}"


@console_command("status", "status")
async def status(console: Console, args: str) -> Result:
    """Uptime, players, commands/s, event-loop lag, saver, database and Redis health (a
    failure when the database or Redis is down)."""
    server = console.server
    rate, window = console.commands_per_second()
    lag_avg, lag_max = server.lag.peek()
    stats = server.saver.stats
    saver = {"last_flush_at": stats.last_flush_at,
             "last_duration_ms": round(stats.last_duration * 1000, 1),
             "last_count": stats.last_count, "dirty": server.saver.dirty_count,
             "flushes": stats.flushes, "failures": stats.failures,
             "last_error": stats.last_error}
    database = await _database_health(server)
    redis = server.bus.available
    data = {"process": server.bus.process_id,
            "uptime_s": round(time.time() - server.stats.started_at),
            "players": len(server.game.players), "sessions": len(server.sessions),
            "commands_per_s": round(rate, 2), "rate_window_s": round(window, 1),
            "lag_ms_avg": round(lag_avg, 2), "lag_ms_max": round(lag_max, 2),
            "saver": saver, "database": database, "redis": {"up": redis},
            "shutdown_in_s": console.staff.shutdowns.seconds_left(),
            "gateways": server.gateways()}
    rows = [("process", data["process"]),
            ("uptime", _duration(data["uptime_s"])),
            ("players", f"{data['players']} playing, {data['sessions']} connection(s)"),
            ("commands", f"{rate:.2f}/s over the last {_duration(window)}"),
            ("loop lag", f"avg {lag_avg:.2f} ms, max {lag_max:.2f} ms since the last stats "
                         "line"),
            ("saver", _saver_line(saver)),
            ("database", f"up ({database['ms']} ms)" if database["up"]
             else f"DOWN: {database['error']}"),
            ("redis", "up" if redis else "DOWN: this process plays on alone")]
    if data["shutdown_in_s"] is not None:
        rows.append(("shutdown", f"in {_duration(data['shutdown_in_s'])}"))
    for gateway in data["gateways"]:
        kinds = ", ".join(f"{count} {kind}" for kind, count in gateway.get("kinds", {}).items())
        rows.append(("gateway", f"{gateway['gateway']}: {gateway['players']} playing, "
                                f"{gateway.get('connections', '?')} connection(s)"
                                + (f" ({kinds})" if kinds else "") + ", linked "
                                f"{_duration(gateway['linked_s'])}"))
    healthy = database["up"] and redis
    return Result(healthy, "\n".join(f"{k:<9} {v}" for k, v in rows), data)


@console_command("sessions", "sessions")
async def sessions(console: Console, args: str) -> Result:
    """Every connection: address, character, account, role, idle time, client and state."""
    rows = console.server.connections()
    lines = [f"  {r['address']:<22} {r['character'] or '-':<12} {r['account'] or '-':<20} "
             f"{r['role'] or '-':<7} idle {r['idle_s']:>5}s  {r['state']}" for r in rows]
    return Result(True, f"{len(rows)} connection(s)" + (":\n" if rows else ".")
                  + "\n".join(lines), {"sessions": rows})


# -- saving -------------------------------------------------------------------------------------

@console_command("save", "save")
async def save(console: Console, args: str) -> Result:
    """Write every changed character to the database now, and report."""
    saver = console.server.saver
    flushes = saver.stats.flushes
    started = time.perf_counter()
    ok = await saver.flush()
    ms = round((time.perf_counter() - started) * 1000, 1)
    count = saver.stats.last_count if saver.stats.flushes > flushes else 0
    data = {"saved": count, "ms": ms, "dirty": saver.dirty_count}
    if not ok:
        return Result(False, f"The save failed ({saver.stats.last_error}). The saver keeps "
                             "retrying; check that the database is reachable (status).", data)
    if not count:
        return Result(True, "Nothing to save: the database has every change already.", data)
    return Result(True, f"Saved {count} character(s) in {ms} ms.", data)


# -- accounts -----------------------------------------------------------------------------------

@console_command("create-admin", "create-admin <username> [email]")
async def create_admin(console: Console, args: str) -> Result:
    """Make an account admin, creating it (with a random password, shown once) if it is new."""
    words = args.split()
    if not 1 <= len(words) <= 2:
        return _usage("create-admin")
    username = words[0]
    given = words[1] if len(words) > 1 else None
    email = given or f"{username}@localhost"  # the rule wants a dot: a given one is checked
    problem = username_problem(username) or (email_problem(given) if given else None)
    if problem:
        return Result(False, problem, target=username)
    server = console.server
    if await server.players.by_username(username) is None:
        password = random_password()
        try:
            await server.players.create(username, email, await server.passwords.hash(password))
        except AccountExists as exc:
            return Result(False, f"That {exc.field} is already registered.", target=username)
        account = await set_role(console.staff, username, "admin")
        assert account is not None
        return Result(True, f"Created {account.username} as admin. Password (shown only "
                            f"once; change it after logging in): {password}\n{CHANGE_IT}",
                      {"username": account.username, "password": password, "created": True},
                      target=account.username)
    account = await set_role(console.staff, username, "admin")
    if account is None:
        return Result(False, f"The account '{username[:30]}' has just gone away.", target=username)
    return Result(True, f"{account.username} already exists and is now admin (its password is "
                        "unchanged).", {"username": account.username, "created": False},
                  target=account.username)


@console_command("reset-password", "reset-password <username>")
async def reset_password(console: Console, args: str) -> Result:
    """Give an account a new random password, shown once (its failed logins are forgotten)."""
    words = args.split()
    if len(words) != 1:
        return _usage("reset-password")
    server = console.server
    account = await server.players.by_username(words[0])
    if account is None:
        return Result(False, f"There is no account named '{words[0][:30]}'.", target=words[0])
    password = random_password()
    if not await server.players.set_password_hash(account.id,
                                                  await server.passwords.hash(password)):
        return Result(False, f"The account '{account.username}' has just gone away.",
                      target=account.username)
    await server.login_throttle.succeeded(account.username)
    log.warning("event=password_reset account=%s by=console", account.username)
    return Result(True, f"New password for {account.username} (shown only once): {password}\n"
                        f"{CHANGE_IT}", {"username": account.username, "password": password},
                  target=account.username)


# -- staff operations, the same as the wizards' commands ----------------------------------------

COMMANDS.update((op.name, ConsoleCommand(op.name, op.usage, op.summary, _by_the_console(op)))
                for op in OPERATIONS)
