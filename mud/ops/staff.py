"""What staff operations act on: the moderation state of this process (bans, the wizlock, a
planned shutdown) and narrow views of the parts of the server they reach. The server builds one
Staff, starts and stops it; the wizard commands and the console run operations on it, and the
login asks it whether a connection may go on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from mud.ops.bans import bans_changed, refresh_every
from mud.ops.shutdown import ShutdownPlanner
from mud.ops.wizlock import Wizlock

if TYPE_CHECKING:
    from mud.game.model import Character
    from mud.game.state import Game
    from mud.ops.base import Recorder
    from mud.ops.wizlock import Link
    from mud.reload import ReloadReport
    from mud.store.bans import BanList
    from mud.store.players import Account, PlayerRepository

Spawn = Callable[[Coroutine[Any, Any, Any]], object]


class Addressed(Protocol):
    host: str


class Seat(Protocol):
    """A connection as the operations see it (mud.session.Session)."""

    account: Account | None
    character: Character | None
    playing: bool
    conn: Addressed

    def send(self, text: str) -> None: ...

    def close(self, reason: str) -> None: ...


class Lifecycle(Protocol):
    """Characters leaving the game (mud.lifecycle.Lifecycle)."""

    async def leave_game(self, ch: Character, session: Any) -> bool:
        """Take ch out of the world (ending a link-dead wait) and save it; True once saved."""
        ...


class Bus(Protocol):
    """Messages between the game's processes (mud.cluster.bus.Bus)."""

    handlers: dict[str, Callable[[dict[str, Any]], Any]]
    link: Link

    async def publish(self, kind: str, to: str | None = None, **data: Any) -> bool: ...

    def announce(self, kind: str, **data: Any) -> Coroutine[Any, Any, bool]: ...


class Gatekeeper:
    """Whether bans or the wizlock keep a connection out: the gateways ask at login, the world
    when a ban is added."""

    def __init__(self, bans: BanList, wizlock: Wizlock) -> None:
        self.bans = bans
        self.wizlock = wizlock

    def refusal(self, username: str | None, character: str | None, host: str,
                role: str = "player") -> str | None:
        """Why a connection (so far known by address, then account, then character) may not go
        on, or None."""
        ban = self.bans.covering(username, character, host)
        if ban is not None:
            return (f"You are banned from this game ({ban.kind}"
                    + (f": {ban.reason}" if ban.reason else "")
                    + "). If you think this is a mistake, write to the game's administrators.")
        if self.wizlock.keeps_out(username, role):
            return "The game is closed to players for maintenance. Please try again later."
        return None


class Staff:
    def __init__(self, game: Game, sessions: Collection[Seat], lifecycle: Lifecycle,
                 players: PlayerRepository, audit: Recorder, bus: Bus, bans: BanList, *,
                 redis_prefix: str, spawn: Spawn, stop: Callable[[], None],
                 notify_here: Callable[[str], None],
                 reload: Callable[[], Awaitable[ReloadReport]],
                 reboot: Callable[[str], None] = lambda reason: None) -> None:
        """sessions: this process's connections, kept up to date by the server; stop starts
        the graceful stop; notify_here(text) shows a notice to this process's players;
        reload() reloads the world here and on every process; reboot(reason) begins a
        reboot of the world."""
        self.game = game
        self.sessions = sessions
        self.lifecycle = lifecycle
        self.players = players
        self.audit = audit
        self.bus = bus
        self.spawn = spawn
        self.notify_here = notify_here
        self.reload = reload
        self.reboot = reboot
        self.bans = bans
        self.wizlock = Wizlock(bus, redis_prefix, spawn)
        self.shutdowns = ShutdownPlanner(game.tell_all, stop)
        self.refusal = Gatekeeper(bans, self.wizlock).refusal
        bus.handlers["bans"] = lambda _: spawn(bans_changed(self))

    async def start(self) -> None:
        await self.bans.refresh()
        await self.wizlock.load()
        self.spawn(refresh_every(self.bans))

    async def stop(self) -> None:
        await self.shutdowns.close()
