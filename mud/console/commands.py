"""The operator console's commands. Each one parses its arguments, calls the server and returns a
Result: whether it worked, text for a person and data for a script. Console.run audits every
command but `help` as account "console", role admin."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mud.auth import email_problem, username_problem
from mud.reload import reload_world as reload
from mud.roles import ROLES
from mud.store.audit import AuditEntry
from mud.store.bans import KINDS, BanError
from mud.store.players import AccountExists

if TYPE_CHECKING:
    from mud.app import MudServer

log = logging.getLogger("mud.console")

HEALTH_TIMEOUT = 2.0  # seconds a database health check may take before it counts as down
KICK_REASON = "You have been disconnected by the game's operator."
CHANGE_IT = "Log in and type password in the game to change it."


@dataclass
class Result:
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    target: str = ""  # what the command acted on, for the audit log

    def reply(self) -> dict[str, Any]:
        return {"ok": self.ok, "text": self.text, "data": self.data}


Handler = Callable[["Console", str], Awaitable[Result]]


@dataclass(frozen=True)
class ConsoleCommand:
    name: str
    usage: str
    summary: str
    handler: Handler


COMMANDS: dict[str, ConsoleCommand] = {}


def console_command(name: str, usage: str) -> Callable[[Handler], Handler]:
    """Register a handler; the first line of its docstring is its summary in `help`."""

    def register(handler: Handler) -> Handler:
        summary = (handler.__doc__ or "").strip().splitlines()[0]
        COMMANDS[name] = ConsoleCommand(name, usage, summary, handler)
        return handler

    return register


class Console:
    """The console of one server: runs commands and audits them."""

    def __init__(self, server: MudServer) -> None:
        self.server = server
        self._sample = (server.stats.started_at, server.stats.commands)

    async def run(self, name: str, args: str) -> Result:
        cmd = COMMANDS.get(name.lower())
        if cmd is None:
            return Result(False, f"Unknown console command '{name[:30]}'. Type help for the "
                                 "list.")
        args = args.strip()
        try:
            result = await cmd.handler(self, args)
            outcome = "ok" if result.ok else f"refused: {result.text}"
        except Exception:
            log.exception("event=console_command_failed command=%s args=%r", cmd.name, args[:200])
            result = Result(False, f"{cmd.name} failed with an internal error; the server log "
                                   "has the details.")
            outcome = "error"
        if cmd.name != "help":
            self.server.audit.record(AuditEntry(
                "console", "-", "admin", cmd.name,
                result.target or (args.split()[0] if args else ""), args[:500], outcome[:500]))
        return result

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

@console_command("help", "help [command]")
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


async def _database_health(server: MudServer) -> dict[str, Any]:
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
            "shutdown_in_s": server.shutdowns.seconds_left()}
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


# -- acting on players --------------------------------------------------------------------------

@console_command("kick", "kick <character> [reason]")
async def kick(console: Console, args: str) -> Result:
    """Disconnect a character playing on this server (saved, as on quit)."""
    name, _, reason = args.partition(" ")
    if not name:
        return _usage("kick")
    if not await console.server.kick(name, reason.strip() or KICK_REASON):
        return Result(False, f"No one called '{name[:20]}' is in the game on this server "
                             "(sessions lists who is).", target=name)
    return Result(True, f"{name.capitalize()} has been disconnected and saved.", target=name)


@console_command("broadcast", "broadcast <text>")
async def broadcast(console: Console, args: str) -> Result:
    """A notice to every player on every server."""
    if not args:
        return _usage("broadcast")
    everywhere = await console.server.broadcast(args)
    here = len(console.server.game.players)
    text = f"Sent to {here} player(s) here" + (" and to every other server." if everywhere else
                                               "; the other servers cannot be reached just now "
                                               "(Redis is down).")
    return Result(True, text, {"players_here": here, "other_servers": everywhere})


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


# -- the server ---------------------------------------------------------------------------------

@console_command("shutdown", "shutdown [--in minutes] [reason] | shutdown --cancel")
async def shutdown(console: Console, args: str) -> Result:
    """Stop the server now or after a countdown that warns the players; everything is saved."""
    planner = console.server.shutdowns
    words = args.split(maxsplit=2)
    if words[:1] == ["--cancel"]:
        if planner.cancel(by="console"):
            return Result(True, "The planned shutdown is cancelled; the players have been told.")
        return Result(False, "No shutdown is planned.")
    minutes = 0.0
    if words[:1] == ["--in"]:
        try:
            minutes = float(words[1]) if len(words) > 1 else math.nan
        except ValueError:
            minutes = math.nan
        if not math.isfinite(minutes):
            return _usage("shutdown")
        args = words[2] if len(words) > 2 else ""
    reason = args.strip()
    try:
        text = planner.schedule(minutes, reason, by="console")
    except ValueError as exc:
        return Result(False, str(exc))
    if not minutes:
        text = "The server is shutting down now" + (f" ({reason})" if reason else "") + "."
    return Result(True, text, {"seconds": minutes * 60})


@console_command("reload-world", "reload-world")
async def reload_world(console: Console, args: str) -> Result:
    """Read the world files again and apply them to the running game (nothing changes when
    they have problems)."""
    report = await reload(console.server)
    return Result(report.ok, str(report), {"problems": report.problems, "moved": report.moved})


# -- accounts -----------------------------------------------------------------------------------

@console_command("promote", "promote <account> <player|builder|wizard|admin>")
async def promote(console: Console, args: str) -> Result:
    """Give an account any role (it holds from its next command)."""
    words = args.split()
    if len(words) != 2 or words[1].lower() not in ROLES:
        return _usage("promote")
    username, role = words[0], words[1].lower()
    account = await console.server.set_role(username, role)
    if account is None:
        return Result(False, f"There is no account named '{username[:30]}'.", target=username)
    return Result(True, f"{account.username} is now {role}.", {"role": role},
                  target=account.username)


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
        account = await server.set_role(username, "admin")
        assert account is not None
        return Result(True, f"Created {account.username} as admin. Password (shown only "
                            f"once; change it after logging in): {password}\n{CHANGE_IT}",
                      {"username": account.username, "password": password, "created": True},
                      target=account.username)
    account = await server.set_role(username, "admin")
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


@console_command("ban", "ban <account|character|address> <name or address> [reason]")
async def ban(console: Console, args: str) -> Result:
    """Refuse an account, a character or an address (or network); who it covers is
    disconnected, on every server."""
    words = args.split(maxsplit=2)
    if len(words) < 2 or words[0].lower() not in KINDS:
        return _usage("ban")
    kind, value = words[0].lower(), words[1]
    try:
        banned, struck = await console.server.ban(kind, value, words[2] if len(words) > 2
                                                  else "", by="console")
    except BanError as exc:
        return Result(False, str(exc), target=value)
    return Result(True, f"Banned {kind} {banned.value}; {struck} connection(s) here closed.",
                  {"ban": dataclasses.asdict(banned), "disconnected": struck},
                  target=banned.value)


@console_command("unban", "unban <account|character|address> <name or address>")
async def unban(console: Console, args: str) -> Result:
    """Lift a ban."""
    words = args.split()
    if len(words) != 2 or words[0].lower() not in KINDS:
        return _usage("unban")
    kind, value = words[0].lower(), words[1]
    try:
        removed = await console.server.unban(kind, value)
    except BanError as exc:
        return Result(False, str(exc), target=value)
    if not removed:
        return Result(False, f"There is no ban of {kind} {value[:60]} (bans lists them).",
                      target=value)
    return Result(True, f"The ban of {kind} {value} is lifted.", target=value)


@console_command("bans", "bans")
async def bans(console: Console, args: str) -> Result:
    """Every ban in force."""
    listed = console.server.bans.all()
    lines = [b.line() for b in listed]
    return Result(True, f"{len(listed)} ban(s)" + (":\n" if listed else ".") + "\n".join(lines),
                  {"bans": [dataclasses.asdict(b) for b in listed]})
