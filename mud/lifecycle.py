"""A character's life in this process: claimed from the cluster (its lease, asking the process
that holds it to let go), loaded (from Redis's cache or PostgreSQL), played, link-dead for a
while when its connection drops, and at last saved, forgotten and let go (its lease freed and
its committed state cached) once nothing about it is left to save."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mud.cluster.bus import Bus
from mud.cluster.cache import TTL_SECONDS, CharacterCache
from mud.cluster.leases import AWAY, OURS, WAIT, Leases
from mud.game.abilities import awaken
from mud.game.model import Character
from mud.game.notices import ENTERED, LOST_LINK, RECONNECTED
from mud.game.presence import leave_world
from mud.game.state import Game
from mud.store.characters import CharacterRepository
from mud.store.saver import Saver

if TYPE_CHECKING:
    from mud.net.output import Display

log = logging.getLogger("mud.app")  # the server's log lines, as operators filter them

HANDOFF_TIMEOUT = 10.0  # seconds a login waits for another process to let a character go
HANDOFF_ASK_EVERY = 1.0  # seconds between the requests to let a character go
REDIS_WAIT = 3.0  # seconds a login waits for Redis to return before going ahead without it

REBOOTED = "The world is back. Go on where you were."

Spawn = Callable[[Coroutine[Any, Any, Any]], asyncio.Task[None]]


class Seat(Protocol):
    """The connection a character is played from (mud.session.Session)."""

    character: Character | None
    display: Display
    playing: bool

    def send(self, text: str) -> None: ...

    def close(self, reason: str) -> None: ...

    def show_room(self) -> None: ...


class Lifecycle:
    def __init__(self, game: Game, characters: CharacterRepository, saver: Saver,
                 cache: CharacterCache, leases: Leases, bus: Bus, *, linkdead_timeout: float,
                 spawn: Spawn) -> None:
        """linkdead_timeout: seconds a character whose link is lost stays in the world;
        spawn(coro) runs coro in the background (cancelled at shutdown)."""
        self.game = game
        self.characters = characters
        self.saver = saver
        self.cache = cache
        self.leases = leases
        self.bus = bus
        self.linkdead_timeout = linkdead_timeout
        self.spawn = spawn
        self._saving_soon = False  # a flush for the links lost in this turn is on its way
        self._linkdead: dict[uuid.UUID, asyncio.TimerHandle] = {}
        self._departed: set[uuid.UUID] = set()
        self._letting_go: dict[uuid.UUID, asyncio.Task[None]] = {}

    # -- taking a character from the cluster ----------------------------------------------------

    async def _claim(self, session: Seat, character_id: uuid.UUID) -> bool:
        """Hold the character's lease, asking another process to save it and let go if it has
        it. False (and the session told why) when the holder does not answer."""
        if character_id in self.game.characters:
            return True  # in memory here: this process holds the lease
        holder = await self._acquire(session, character_id)
        if holder in (OURS, AWAY):
            return True
        session.send("Your character is in play on another server; bringing it here...")
        for _ in range(math.ceil(HANDOFF_TIMEOUT / HANDOFF_ASK_EVERY)):
            # asked again and again: a message on the bus is lost if the holder is not
            # subscribed at that moment (it resubscribes after a Redis restart, say)
            await self.bus.publish("release", to=holder, character=str(character_id))
            if await self.leases.wait_free(character_id, HANDOFF_ASK_EVERY):
                log.info("event=handoff_received character=%s from=%s", character_id, holder)
                return True
        left = math.ceil(await self.leases.seconds_left(character_id))
        log.warning("event=handoff_failed character=%s holder=%s seconds_left=%d",
                    character_id, holder, left)
        session.close(f"Your character is still held by a server that does not answer. It "
                      f"will be free within {left} seconds; please try again then.")
        return False

    async def _acquire(self, session: Seat, character_id: uuid.UUID) -> str:
        """The character's lease, or who holds it, once that can be trusted: Redis away is
        given a moment to return (a restart, a blip) before the login goes ahead on its own,
        and a free lease after Redis lost its data waits until every holder has had time to
        take its leases back."""
        holder = await self.leases.acquire(character_id)
        if holder == AWAY:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REDIS_WAIT):
                    while not self.bus.available:
                        await asyncio.sleep(0.1)
            holder = await self.leases.acquire(character_id)
        if holder == WAIT:
            session.send("The game's shared store has just restarted; waiting a few seconds "
                         "for every server to take its characters back...")
        while holder == WAIT:
            await asyncio.sleep(self.leases.grace_left())
            holder = await self.leases.acquire(character_id)
        return holder

    async def _load(self, character_id: uuid.UUID) -> Character | None:
        """Redis's cached copy, taken out of the cache as the character comes into play (see
        mud.cluster.cache), else PostgreSQL's (this process holds the lease, so no one else is
        changing it)."""
        ch = await self.cache.take(character_id)
        source = "cache"
        if ch is None:
            ch = await self.characters.load(character_id)
            source = "database"
        log.info("event=character_loaded character=%s source=%s", character_id, source)
        return ch

    # -- giving a character back ----------------------------------------------------------------

    async def _let_go(self, ch: Character) -> None:
        """ch is saved and out of memory: free its lease and, in the same step, cache its
        committed state (only while the lease is still this process's)."""
        await self.leases.release(ch.id, self.cache.entries(ch), TTL_SECONDS)

    async def let_all_go(self) -> None:
        """Let go of every character in memory (at shutdown, once everything is saved)."""
        for ch in list(self.game.characters.values()):
            await self._let_go(ch)

    async def hand_over(self, character_id: uuid.UUID) -> None:
        """Another process wants this character: save it, take it out of the game, let go."""
        ch = self.game.characters.get(character_id)
        if ch is None:
            await self.leases.release(character_id)
            return
        if ch.id not in self.game.players and self.game.find_online(ch.name) is not ch:
            saved = await self.saver.flush()  # it was already leaving: finish that
            self.evict_departed()
        else:
            session = self.game.players.get(ch.id)
            if session is not None:
                session.character = None
                session.close("You have logged in from another server. Goodbye.")
            self._end_linkdead(ch)
            saved = await self.leave_game(ch, None)
        log.info("event=handed_over character=%s saved=%s", ch.name, saved)

    def evict_departed(self) -> None:
        """Forget characters that left the game once everything about them is saved (the
        saver calls it after each flush)."""
        for cid in list(self._departed):
            ch = self.game.characters.get(cid)
            if ch is None or (cid not in self.game.players and not self.saver.is_pending(ch)
                              and self.game.find_online(ch.name) is not ch):
                self.game.characters.pop(cid, None)
                self._departed.discard(cid)
                if ch is not None:  # saved: another process may have it now
                    task = self._letting_go[cid] = self.spawn(self._let_go(ch))
                    task.add_done_callback(lambda _, cid=cid: self._letting_go.pop(cid, None))

    # -- entering and leaving the world ---------------------------------------------------------

    async def enter_game(self, session: Seat, character_id: uuid.UUID, *,
                         rebooted: bool = False, greeting: Sequence[str] = ()) -> None:
        """Give session the character's one live copy: load it, resume it if link-dead, or take
        it over from another connection (in this process or another). rebooted: the player
        was playing it when the world rebooted, so it comes back quietly: one line, and no
        notice to the room. greeting: lines told after the welcome, before the room."""
        if not await self._claim(session, character_id):
            return
        ch = await self.game.obtain(character_id, self._load)
        if ch is None:
            await self.leases.release(character_id)
            session.close("That character no longer exists.")
            return
        self.saver.attach(ch)
        awaken(ch, self.game.world.essences)  # world data may have moved an awakening rank
        self._departed.discard(ch.id)
        self._end_linkdead(ch)
        previous = self.game.players.get(ch.id)
        if previous is not None and previous is not session:
            previous.character = None
            previous.close("Someone has logged in as you from elsewhere. Goodbye.")
        self.game.players[ch.id] = session
        session.character = ch
        session.display.choices = ch  # the player's prompt and colour, kept with it
        session.playing = True
        was_here = self.game.find_online(ch.name) is ch
        room = self.game.place(ch)
        if rebooted:
            session.send(REBOOTED)
            log.info("event=enter character=%s rebooted=True room=%s", ch.name, ch.room_id)
            return
        if was_here:
            session.send(f"Welcome back, {ch.name}. You take up where you left off.")
            self.game.notify(room, RECONNECTED, ch)
        else:
            session.send(f"Welcome, {ch.name}.")
            self.game.notify(room, ENTERED, ch)
        for line in greeting:
            session.send(line)
        log.info("event=enter character=%s resumed=%s room=%s", ch.name, was_here, ch.room_id)
        session.show_room()

    async def leave_game(self, ch: Character, session: Seat | None) -> bool:
        """Take a character out of the world and save it. True once the database has it."""
        if session is not None and self.game.players.get(ch.id) is not session:
            return True  # someone else took the character over
        self._end_linkdead(ch)  # link-dead, taken out before its time (kicked, say)
        leave_world(self.game, ch)
        self._departed.add(ch.id)
        saved = await self.saver.flush()
        self.evict_departed()
        letting_go = self._letting_go.pop(ch.id, None)
        if letting_go is not None:  # the player hears "saved" once the cache has it too
            await letting_go
        log.info("event=leave character=%s saved=%s", ch.name, saved)
        return saved

    # -- link-dead ------------------------------------------------------------------------------

    def link_lost(self, ch: Character, session: Seat) -> bool:
        """session's connection dropped while playing ch: ch stays in the world, link-dead,
        until it is resumed or linkdead_timeout passes. False when session no longer played
        ch (another connection had taken it over)."""
        if self.game.players.get(ch.id) is not session:
            return False
        del self.game.players[ch.id]
        self.game.notify(self.game.room_of(ch), LOST_LINK, ch)
        self._save_soon()
        self._linkdead[ch.id] = asyncio.get_running_loop().call_later(
            self.linkdead_timeout, lambda: self.spawn(self._expire_linkdead(ch)))
        return True

    def _save_soon(self) -> None:
        """Save the dirty characters at the next turn: one flush for every link lost in this
        one (a crowd that drops at once would otherwise start a flush each)."""
        if not self._saving_soon:
            self._saving_soon = True
            self.spawn(self._save_now())

    async def _save_now(self) -> None:
        self._saving_soon = False  # a link lost from now on asks for a flush after this one
        await self.saver.flush()

    def _end_linkdead(self, ch: Character) -> None:
        timer = self._linkdead.pop(ch.id, None)
        if timer is not None:
            timer.cancel()

    async def _expire_linkdead(self, ch: Character) -> None:
        self._linkdead.pop(ch.id, None)
        if ch.id not in self.game.players:
            await self.leave_game(ch, None)
