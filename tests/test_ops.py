"""Staff operations (mud.ops): in process, each one's syntax, rules, wording and its one audit row,
over a real PostgreSQL where it keeps something there (bans, roles) and small stand-ins for the
rest of the server; then over a running server, the wizard's command and the operator's console
command of one name speaking one syntax, one wording, and a database failure alike."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest_asyncio

from mud.console.commands import Console
from mud.ops import bans, broadcast, kick, roles, shutdown, wizlock
from mud.ops.base import CONSOLE, DATABASE_AWAY, Actor, Result
from mud.ops.staff import Staff
from mud.reload import ReloadReport
from mud.store.audit import AuditEntry
from mud.store.bans import BanList
from mud.store.database import open_database
from mud.store.players import Account, PlayerRepository
from tests.conftest import PASSWORD, join, query, rejoin, wait_for_rows
from tests.test_console import ask
from tests.test_wizard import with_role

WIZARD = Actor("merlin", "Merlin", "wizard")


class AuditRows(list[AuditEntry]):
    def record(self, entry: AuditEntry) -> None:
        self.append(entry)


class Link:
    """Redis away: every call gets its fallback."""

    async def call(self, work: Any, fallback: Any) -> Any:
        return fallback


@dataclass
class Bus:
    reachable: bool = True
    handlers: dict[str, Any] = field(default_factory=dict)
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    link: Link = field(default_factory=Link)

    async def publish(self, kind: str, to: str | None = None, **data: Any) -> bool:
        self.published.append((kind, data))
        return self.reachable

    def announce(self, kind: str, **data: Any) -> Coroutine[Any, Any, bool]:
        return self.publish(kind, **data)


@dataclass(eq=False)
class Seat:
    """A connection: logged in (account), playing (character)."""

    account: Account | None
    character: Any = None
    playing: bool = False
    conn: Any = field(default_factory=lambda: SimpleNamespace(host="198.51.100.7"))
    sent: list[str] = field(default_factory=list)
    closed: str | None = None

    @property
    def role(self) -> str:
        return self.account.role if self.account else "player"

    def send(self, text: str) -> None:
        self.sent.append(text)

    def close(self, reason: str) -> None:
        self.closed = reason


@dataclass
class Game:
    players: dict[uuid.UUID, Seat] = field(default_factory=dict)
    in_world: dict[str, Any] = field(default_factory=dict)
    told: list[str] = field(default_factory=list)

    def find_online(self, name: str) -> Any:
        return self.in_world.get(name.lower())

    def tell_all(self, text: str) -> None:
        self.told.append(text)


@dataclass
class Lifecycle:
    left: list[tuple[str, Seat | None]] = field(default_factory=list)

    async def leave_game(self, ch: Any, session: Seat | None) -> bool:
        self.left.append((ch.name, session))
        return True


@dataclass
class Parts:
    """A Staff and the stand-ins it acts on."""

    staff: Staff
    game: Game
    sessions: list[Seat]
    lifecycle: Lifecycle
    bus: Bus
    audit: AuditRows
    stopped: asyncio.Event
    tasks: list[asyncio.Task[Any]]

    def playing(self, account: Account, name: str) -> Seat:
        """A session of account playing a character called name."""
        ch = SimpleNamespace(id=uuid.uuid4(), name=name)
        seat = Seat(account, ch, playing=True)
        self.sessions.append(seat)
        self.game.players[ch.id] = seat
        self.game.in_world[name.lower()] = ch
        return seat


def build(pool: Any) -> Parts:
    game, sessions, lifecycle, bus, audit = Game(), [], Lifecycle(), Bus(), AuditRows()
    stopped, tasks = asyncio.Event(), []

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        tasks.append(asyncio.ensure_future(coro))

    async def reload() -> ReloadReport:
        return ReloadReport(rooms=48, items=30)

    staff = Staff(game, sessions, lifecycle, PlayerRepository(pool), audit, bus,  # type: ignore[arg-type]
                  BanList(pool), redis_prefix="test", spawn=spawn, stop=stopped.set,
                  notify_here=lambda text: game.told.append(f"[notice] {text}"), reload=reload)
    return Parts(staff, game, sessions, lifecycle, bus, audit, stopped, tasks)


@pytest_asyncio.fixture
async def parts(make_database, tmp_path: Path):
    async with open_database(make_database(), tmp_path, max_size=2) as db:
        built = build(db.pool)
        yield built
        await built.staff.stop()
        for task in built.tasks:
            task.cancel()


def outcomes(audit: AuditRows) -> list[tuple[str, str, str, str]]:
    return [(row.character, row.command, row.target, row.outcome) for row in audit]


async def test_a_ban_closes_whoever_it_covers_and_is_audited_once(parts: Parts) -> None:
    staff = parts.staff
    account = await staff.players.create("Mallory", "mallory@example.com", "hash")
    covered = parts.playing(account, "Mal")
    bystander = parts.playing(await staff.players.create("Bob", "bob@example.com", "hash"),
                              "Bob")
    result = await bans.ban(staff, WIZARD, "account mallory spamming the chat")
    assert result.ok and result.text == ("Banned account mallory (spamming the chat); "
                                         "1 connection(s) closed.")
    assert result.data["disconnected"] == 1 and result.data["ban"]["created_by"] == "Merlin"
    assert covered.closed == bans.BANNED and parts.lifecycle.left == [("Mal", covered)]
    assert bystander.closed is None
    assert ("bans", {}) in parts.bus.published
    assert staff.refusal("mallory", None, "203.0.113.9") == (
        "You are banned from this game (account: spamming the chat). If you think this is a "
        "mistake, write to the game's administrators.")
    assert (await bans.bans(staff, CONSOLE, "")).text.startswith("1 ban(s):\n  account")
    assert outcomes(parts.audit) == [("Merlin", "ban", "mallory", "ok"), ("-", "bans", "", "ok")]


async def test_bans_refuse_what_does_not_fit_and_say_what_is_not_there(parts: Parts) -> None:
    staff = parts.staff
    usage = "Usage: ban <account | character | address> <name or address> [reason]"
    assert (await bans.ban(staff, WIZARD, "planet mars")).text == usage
    assert (await bans.ban(staff, WIZARD, "account")).text == usage
    refused = await bans.ban(staff, WIZARD, "address 300.1.2.3")
    assert not refused.ok and "'300.1.2.3' is not an address or a network" in refused.text
    assert (await bans.unban(staff, WIZARD, "account a b")).text.startswith("Usage: unban")
    missing = await bans.unban(staff, WIZARD, "account Nobody")
    assert missing.text == "There is no ban on account Nobody (bans lists them)."
    assert (await bans.ban(staff, WIZARD, "address 10.1.2.3/8")).text == \
        "Banned address 10.0.0.0/8; 0 connection(s) closed."
    assert staff.refusal(None, None, "10.200.0.1") is not None
    assert (await bans.unban(staff, WIZARD, "address 10.0.0.0/8")).text == \
        "The ban on address 10.0.0.0/8 is lifted."
    assert (await bans.bans(staff, WIZARD, "")).text == "0 ban(s)."
    assert [row.outcome.split(":")[0] for row in parts.audit] == \
        ["refused"] * 5 + ["ok"] * 3  # one row a use, whatever came of it


async def test_promote_raises_and_demote_lowers_live_sessions_too(parts: Parts) -> None:
    staff = parts.staff
    seat = parts.playing(await staff.players.create("Wendy", "wendy@example.com", "hash"),
                         "Wendy")
    assert (await roles.promote(staff, CONSOLE, "wendy emperor")).text == \
        "Usage: promote <account> <builder | wizard | admin>"
    assert (await roles.promote(staff, CONSOLE, "nobody wizard")).text == \
        "There is no account named 'nobody'."
    assert (await roles.demote(staff, CONSOLE, "wendy builder")).text == \
        "Wendy is player; that would not be a demotion."
    promoted = await roles.promote(staff, CONSOLE, "wendy wizard")
    assert promoted.ok and promoted.text == "Wendy is now wizard." and promoted.target == "Wendy"
    assert seat.role == "wizard" and seat.sent == ["You are now wizard."]
    assert (await roles.promote(staff, CONSOLE, "wendy wizard")).text == \
        "Wendy is wizard; that would not be a promotion."
    assert (await roles.demote(staff, CONSOLE, "WENDY player")).text == "Wendy is now player."
    assert (await staff.players.by_username("wendy")).role == "player"  # type: ignore[union-attr]
    assert len(parts.audit) == 6


async def test_shutdown_one_syntax_and_the_console_s_older_one(parts: Parts) -> None:
    staff = parts.staff
    usage = "Usage: shutdown <minutes | now> [reason] | shutdown cancel"
    for args in ("", "soon", "nan", "--in", "--in soon"):
        assert (await shutdown.shutdown(staff, WIZARD, args)).text == usage, args
    assert (await shutdown.shutdown(staff, WIZARD, "5000")).text == \
        "Minutes must be from 0 to 1440."
    assert (await shutdown.shutdown(staff, WIZARD, "cancel")).text == "No shutdown is planned."
    planned = await shutdown.shutdown(staff, WIZARD, "10 new bridges")
    assert planned.text == "The server will shut down in 10 minutes (new bridges)."
    await asyncio.sleep(0)  # the countdown's first turn
    assert parts.game.told[-1] == \
        "[shutdown] The server shuts down in 10 minutes: new bridges. Your character will be saved."
    assert (await shutdown.shutdown(staff, CONSOLE, "soon")).text == \
        f"A shutdown is planned in 10 minutes. {usage}"
    assert (await shutdown.shutdown(staff, CONSOLE, "--in 20")).data == {"seconds": 1200}
    assert (await shutdown.shutdown(staff, CONSOLE, "--cancel")).text == \
        "The shutdown is cancelled."
    assert parts.game.told[-1] == "[shutdown] The planned shutdown has been cancelled."
    now = await shutdown.shutdown(staff, CONSOLE, "now maintenance")
    assert now.ok and now.text == "The server is shutting down now (maintenance)."
    await asyncio.wait_for(parts.stopped.wait(), 5)
    assert [row.args for row in parts.audit][-3:] == ["--in 20", "--cancel", "now maintenance"]


async def test_database_failures_and_bugs_are_refusals_audited_once(parts: Parts) -> None:
    staff = parts.staff

    async def away(*_: object) -> None:
        raise psycopg.OperationalError("connection refused")

    async def broken(*_: object) -> None:
        raise KeyError("a bug")

    staff.bans.add = away  # type: ignore[method-assign]
    staff.bans.remove = broken  # type: ignore[method-assign]
    for actor in (WIZARD, CONSOLE):
        assert await bans.ban(staff, actor, "account mallory") == Result(False, DATABASE_AWAY)
    failed = await bans.unban(staff, CONSOLE, "account mallory")
    assert failed.text == "unban failed with an internal error; the server log has the details."
    assert [(row.account, row.outcome) for row in parts.audit] == [
        ("merlin", f"refused: {DATABASE_AWAY}"), ("console", f"refused: {DATABASE_AWAY}"),
        ("console", "error")]


async def test_wizlock_keeps_out_players_and_builders_only(parts: Parts) -> None:
    staff = parts.staff
    assert (await wizlock.wizlock(staff, WIZARD, "maybe")).text == "Usage: wizlock [on | off]"
    assert (await wizlock.wizlock(staff, WIZARD, "on")).data == {"locked": True}
    await asyncio.gather(*parts.tasks)
    assert ("wizlock", {"locked": True}) in parts.bus.published
    assert "closed to players" in str(staff.refusal("ann", None, "198.51.100.1", "builder"))
    assert staff.refusal("ann", None, "198.51.100.1", "wizard") is None
    assert staff.refusal(None, None, "198.51.100.1") is None  # not known yet: asked again
    parts.bus.handlers["wizlock"]({"locked": False})  # another process opened the game
    assert (await wizlock.wizlock(staff, CONSOLE, "")).text == "The game is open to everyone."


async def test_kick_and_broadcast(parts: Parts) -> None:
    staff = parts.staff
    seat = parts.playing(Account(uuid.uuid4(), "ann", "", "player"), "Ann")
    linkdead = SimpleNamespace(id=uuid.uuid4(), name="Bea")
    parts.game.in_world["bea"] = linkdead
    assert (await kick.kick(staff, CONSOLE, "ann Go to sleep.")).text == \
        "Ann has been disconnected and saved."
    assert seat.closed == "Go to sleep." and seat.character is None and not seat.playing
    assert (await kick.kick(staff, CONSOLE, "bea")).ok
    assert parts.lifecycle.left == [("Ann", seat), ("Bea", None)]
    assert (await kick.kick(staff, CONSOLE, "")).text == "Usage: kick <character> [reason]"
    parts.bus.reachable = False  # one world: a notice needs no Redis
    sent = await broadcast.broadcast(staff, WIZARD, "The bridge is closed.")
    assert sent.text == "Sent to 1 player(s)."
    assert parts.game.told == ["[notice] The bridge is closed."]
    assert parts.audit[-1].outcome == "ok"


async def test_the_console_runs_operations_and_its_older_forms(parts: Parts) -> None:
    console = Console(SimpleNamespace(  # type: ignore[arg-type]
        staff=parts.staff, stats=SimpleNamespace(started_at=0.0, commands=0)))
    for name, args in (("reload-world", ""), ("reload", "world"), ("RELOAD", " world ")):
        reloaded = await console.run(name, args)
        assert reloaded.ok and reloaded.text.startswith("World reloaded: 48 rooms"), name
    assert (await console.run("reload", "")).text == "Usage: reload world"
    assert (await console.run("help", "demote")).text == \
        "demote <account> <player | builder | wizard>\n  Lower an account's role (it holds " \
        "from its next command)."
    assert [(row.account, row.command, row.args) for row in parts.audit] == [
        ("console", "reload", "world")] * 3 + [("console", "reload", "")]


# -- over a running server ---------------------------------------------------------------------

async def test_the_wizard_and_the_console_speak_one_syntax_and_one_wording(server_factory
                                                                           ) -> None:
    server = await server_factory()
    wizard, wizard_name = await with_role(server, "wizard")
    player, player_name = await join(server)

    reply = await ask(server, "shutdown 10 maintenance")  # the wizards' syntax on the console
    assert reply["text"] == "The server will shut down in 10 minutes (maintenance)."
    await player.read_until("shuts down in 10 minutes: maintenance")
    assert "The shutdown is cancelled." in await wizard.command("shutdown cancel")
    assert (await ask(server, "shutdown cancel"))["text"] == "No shutdown is planned."
    assert "shut down in 10 minutes" in await wizard.command("shutdown --in 10")
    assert (await ask(server, "shutdown --cancel"))["ok"]  # the console's older syntax, on both

    nothing = "There is no ban on account nobody (bans lists them)."
    assert nothing in await wizard.command("unban account nobody")
    assert (await ask(server, "unban account nobody"))["text"] == nothing
    assert "0 ban(s)." in await wizard.command("bans")

    assert (await ask(server, f"promote {player_name} player"))["text"] == \
        f"{player_name} is player; that would not be a promotion."
    assert (await ask(server, f"promote {player_name} builder"))["ok"]
    assert "You are now builder." in await player.read_until("now builder.")
    assert (await ask(server, f"demote {player_name} player"))["text"] == \
        f"{player_name} is now player."
    await player.quit()
    assert (await ask(server, "wizlock on"))["data"] == {"locked": True}
    locked = await server.client()
    await locked.read_until("Username: ")
    locked.send(f"connect {player_name} {PASSWORD}")
    assert "closed to players for maintenance" in await locked.read_closed()
    assert "open to everyone" in await wizard.command("wizlock off")
    player, _ = await rejoin(server, player_name)

    await query(server.database_url, "ALTER TABLE bans RENAME TO bans_away")
    assert DATABASE_AWAY in await wizard.command(f"ban account {player_name}")
    assert await ask(server, f"ban account {player_name}") == \
        {"ok": False, "text": DATABASE_AWAY, "data": {}}
    assert "Village Square" in await player.command("look")

    rows = await wait_for_rows(
        server.database_url, "SELECT account, command, outcome FROM audit_log"
        " WHERE command IN ('unban', 'ban') ORDER BY id", expect=lambda r: len(r) >= 4)
    assert rows == [(wizard_name, "unban", f"refused: {nothing}"),
                    ("console", "unban", f"refused: {nothing}"),
                    (wizard_name, "ban", f"refused: {DATABASE_AWAY}"),
                    ("console", "ban", f"refused: {DATABASE_AWAY}")]  # once each, alike
