"""An in-memory harness for command tests: a Game over the bundled (or a given) world, players
whose connections record what they are told, and a clock the test moves. A line runs through
the real dispatcher (mud.commands.dispatch.interpret), so needs, pending questions, walking and
the audit of privileged commands behave as on a server; only telnet, the database and Redis are
absent. A command that needs them (passwords, the audit log's reads, staff operations, saving,
channels and `who` across processes) stays tested end to end against a real server: the
harness's server has no such members, so a test that reaches one fails loudly.

    harness = Harness()
    alice = harness.player("Alice")
    assert "Village Square" in await alice.run("look")
    harness.advance(60)  # weakness and cooldowns run out without sleeping
"""

from __future__ import annotations

import functools
import tempfile
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mud.commands.context import Confirmation
from mud.commands.dispatch import interpret
from mud.commands.host import PlayerSession
from mud.config import Settings
from mud.game.abilities import awaken
from mud.game.bonding import apply_bond, plan_bond
from mud.game.clock import Clock
from mud.game.ids import new_id
from mud.game.model import Character, InventoryItem, starting_character
from mud.game.notices import ENTERED
from mud.game.presence import leave_world
from mud.game.state import Game
from mud.net.colour import strip
from mud.net.output import Display
from mud.net.terminal import Terminal
from mud.store.audit import AuditEntry
from mud.store.players import Account
from mud.world.loader import World, load_world

WORLD_PATH = Path(__file__).resolve().parent.parent / "world"
NAMES = ("Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi")  # if none is given
START = 1_000_000.0  # the movable clock's first reading, in seconds


@functools.cache
def bundled_world() -> World:
    """The bundled world, loaded once per test session. Tests that change the world (building,
    reloading) pass a fresh load_world(WORLD_PATH) of their own."""
    return load_world(WORLD_PATH)


@functools.cache
def world_with(write: Callable[[Path], Path]) -> World:
    """The world write(folder) writes (the bundled one plus a test zone, say), loaded once per
    test session."""
    with tempfile.TemporaryDirectory(prefix="mud-harness-") as folder:
        return load_world(write(Path(folder)))


class MovableClock:
    """The game's clock (game.now): it stands still until the test moves it."""

    def __init__(self, start: float = START) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


@dataclass
class Counters:
    commands: int = 0


class AuditRecorder:
    """The audit log's in-memory side: what privileged commands recorded. Its PostgreSQL
    writer and the `audit` command's reads are tested end to end."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class RecordingConnection:
    """A client without colour and without a window size: what Display reads of a connection,
    and its address for the logs."""

    address = "harness"
    host = "harness"

    def __init__(self) -> None:
        self.terminal = Terminal()


@dataclass
class HarnessServer:
    """The server as commands see it (mud.commands.host.Server), in memory."""

    game: Game
    world: World
    clock: Clock
    settings: Settings = field(default_factory=lambda: Settings.load(environ={}))
    stats: Counters = field(default_factory=Counters)
    audit: AuditRecorder = field(default_factory=AuditRecorder)


class HarnessPlayer:
    """A playing session whose connection records what it is told (mud.commands.host
    .PlayerSession). Snooping is left to the end-to-end tests: no one snoops here, and `snoop`
    fails for want of the session's snoop methods."""

    def __init__(self, harness: Harness, ch: Character, role: str) -> None:
        self.harness = harness
        self.conn = RecordingConnection()
        self.display = Display(self.conn)  # type: ignore[arg-type]
        self.display.choices = ch
        self.account: Account | None = Account(uuid.uuid4(), ch.name.lower(), "", role)
        self.character: Character | None = ch
        self.pending: Confirmation | None = None
        self.channels_off: set[str] = set()
        self.reply_to: str | None = None
        self.snooped_by: PlayerSession | None = None
        self.snooping: PlayerSession | None = None
        self.output: list[str] = []  # everything told, one entry per message
        self.answers: deque[str] = deque()  # the lines ask() answers with, in order
        self.closed: str | None = None  # why the connection was closed, once it is
        self.last_input = harness.clock()

    @property
    def ch(self) -> Character:
        assert self.character is not None, "this player has left the game"
        return self.character

    @property
    def name(self) -> str:
        return self.ch.name

    @property
    def role(self) -> str:
        return self.account.role if self.account else "player"

    async def run(self, line: str) -> str:
        """Run line as the player typed it; what it told this player."""
        before = len(self.output)
        self.last_input = self.harness.clock()
        await interpret(self.harness.server, self, line)
        return "\n".join(self.output[before:])

    def carry(self, item_id: str, quantity: int = 1, slot: int | None = None,
              metadata: dict[str, Any] | None = None) -> None:
        """Put an item into the pack (slot: worn there), as if it had been carried in."""
        self.ch.inventory.append(InventoryItem(new_id(), item_id, quantity, slot, metadata))

    def bond(self, essence_id: str, attribute: str) -> None:
        """Bond a carried essence item, as `bond <essence> to <attribute>` and yes do once the
        database has it (the command itself needs the database)."""
        catalogue = self.harness.game.world.essences
        item = next(i for i in self.ch.inventory if i.item_id == f"{essence_id}_essence")
        apply_bond(self.ch, plan_bond(self.ch, catalogue, item.id, essence_id, attribute))

    def heard(self, since: int = 0) -> str:
        """All this player was told (from output[since] on), as one text."""
        return "\n".join(self.output[since:])

    # -- PlayerSession --------------------------------------------------------------------------

    def send(self, text: str) -> None:
        self.output.append(strip(text))

    def page(self, text: str) -> None:
        self.send(text)

    async def ask(self, prompt: str, secret: bool = False) -> str:
        assert self.answers, f"asked {prompt!r} with no answer queued"
        self.send(prompt)
        return self.answers.popleft()

    def reads_here(self) -> bool:
        return True

    async def quit(self) -> None:
        """Leave the game as the server takes a character out (there is nothing to save)."""
        ch = self.ch
        leave_world(self.harness.game, ch)
        self.harness.game.characters.pop(ch.id, None)
        self.character = None
        self.close("Goodbye!")

    def close(self, reason: str) -> None:
        self.send(reason)
        self.closed = reason


class Harness:
    """A game with a movable clock and players made on demand."""

    def __init__(self, world: World | None = None, seed: int = 5) -> None:
        self.game = Game(world or bundled_world())
        self.game.rng.seed(seed)
        self.clock = MovableClock()
        self.game.now = self.clock
        self.server = HarnessServer(self.game, self.game.world, Clock(self.game, self.clock()))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def tick(self) -> None:
        """One game tick (combat round, aggression, respawn, resets, regeneration) now."""
        self.server.clock.tick(self.clock())

    def tick_until(self, player: HarnessPlayer, text: str, ticks: int = 100) -> str:
        """Move the clock a tick at a time, ticking, until player is told text; what player was
        told meanwhile."""
        since = len(player.output)
        for _ in range(ticks):
            self.advance(self.server.settings.tick_interval)
            self.tick()
            told = player.heard(since)
            if text in told:
                return told
        raise AssertionError(f"{text!r} not told in {ticks} ticks: {player.heard(since)!r}")

    def player(self, name: str | None = None, role: str = "player", room: str | None = None,
               **fields: Any) -> HarnessPlayer:
        """A new character (fields override its starting values) entered into the game in room
        (default: the start room), as the server enters one: placed, playing, announced to the
        room."""
        if name is None:
            name = NAMES[len(self.game.characters)]
        ch = starting_character(uuid.uuid4(), name, room or self.game.world.start_room)
        for key, value in fields.items():
            setattr(ch, key, value)
        awaken(ch, self.game.world.essences)
        session = HarnessPlayer(self, ch, role)
        self.game.characters[ch.id] = ch
        self.game.players[ch.id] = session
        room_ = self.game.place(ch)
        self.game.notify(room_, ENTERED, ch)
        return session

