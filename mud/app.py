"""Builds the running server: database, world, game, saver and telnet listener; starts them in
order and stops them gracefully."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from mud.auth import LoginThrottle, Passwords, SignupThrottle, forget_expired_every
from mud.cluster.bus import Bus, Presence
from mud.cluster.cache import TTL_SECONDS, ChangeListener, CharacterCache
from mud.cluster.leases import AWAY, OURS, WAIT, Leases
from mud.cluster.redis import RedisLink, open_redis
from mud.cluster.relay import Relay
from mud.cluster.throttle import SharedLoginThrottle, SharedSignupThrottle
from mud.config import Settings
from mud.console.server import ConsoleServer
from mud.game.abilities import awaken
from mud.game.clock import Clock
from mud.game.fighting import disengage
from mud.game.model import Character
from mud.game.state import Game
from mud.monitor import GcMonitor, LagMonitor, open_fds, rss_kib
from mud.net import mssp
from mud.net.telnet import TelnetConnection, start_listener
from mud.net.tls import TlsSetupError, server_context
from mud.ops.staff import Staff
from mud.reload import reload_world, with_overlay
from mud.session import Session
from mud.store.audit import AuditLog
from mud.store.bans import BanList
from mud.store.channels import ChannelHistory
from mud.store.characters import CharacterRepository
from mud.store.database import open_database, redact_url
from mud.store.players import PlayerRepository
from mud.store.saver import Saver
from mud.world.loader import World, load_world

log = logging.getLogger("mud.app")

SHUTDOWN_FLUSH_TRIES = 5
HANDOFF_TIMEOUT = 10.0  # seconds a login waits for another process to let a character go
HANDOFF_ASK_EVERY = 1.0  # seconds between the requests to let a character go
REDIS_WAIT = 3.0  # seconds a login waits for Redis to return before going ahead without it
GC_YOUNG_THRESHOLD = 50_000  # CPython's default is 700 allocations


@dataclass
class ServerStats:
    started_at: float = 0.0
    commands: int = 0


class MudServer:
    def __init__(self, settings: Settings, world: World, pool: AsyncConnectionPool,
                 redis: RedisLink, database_url: str) -> None:
        self.settings = settings
        self.world = world
        self.pool = pool
        self.game = Game(world)
        self.clock = Clock(self.game, self.game.now())
        self.players = PlayerRepository(pool)
        self.characters = CharacterRepository(pool)
        self.saver = Saver(pool, settings.save_interval)
        self.audit = AuditLog(pool)
        self.channel_history = ChannelHistory(pool)
        self.bus = Bus(redis, settings.redis_prefix, settings.process_name)
        self.bus.local = self._presences
        self.leases = Leases(redis, settings.redis_prefix, self.bus.process_id,
                             settings.lease_seconds)
        self.leases.held = lambda: list(self.game.characters)
        self.leases.on_conflict = lambda cid, holder: self.spawn(self.hand_over(cid))
        self.relay = Relay(self.bus, self.game, lambda cid: self.spawn(self.hand_over(cid)))
        self.cache = CharacterCache(redis, settings.redis_prefix)
        # characters loaded while Redis was away may have left an entry there
        redis.on_up.append(lambda: self.cache.forget_many(list(self.game.characters)))
        self.changes = ChangeListener(database_url, self.cache)
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib,
                                   settings.hash_workers)
        self.login_throttle = SharedLoginThrottle(
            redis, settings.redis_prefix,
            LoginThrottle(settings.login_fail_delay, settings.login_lockout))
        self.signup_throttle = SharedSignupThrottle(
            redis, settings.redis_prefix, SignupThrottle(settings.new_accounts_per_address))
        self.lag = LagMonitor()
        self.gc = GcMonitor()
        self._per_address: Counter[str] = Counter()
        self.saver.after_flush = self._evict_departed
        self.sessions: set[Session] = set()
        self.stats = ServerStats(started_at=time.time())
        self._linkdead: dict[uuid.UUID, asyncio.TimerHandle] = {}
        self._departed: set[uuid.UUID] = set()
        self._letting_go: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._listener: asyncio.Server | None = None
        self._tls_listener: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()  # set: serve() stops the server gracefully
        self.staff = Staff(
            self.game, self.sessions, self, self.players, self.audit, self.bus, BanList(pool),
            redis_prefix=settings.redis_prefix, spawn=self.spawn, stop=self.stopping.set,
            notify_here=lambda text: self.relay.on_notice({"text": text}),
            reload=lambda: reload_world(self))
        self.console = ConsoleServer(self, settings.console_socket_path)
        self.bus.handlers.update(
            world_changed=lambda _: self.spawn(reload_world(self, tell_others=False)))

    # -- connections ----------------------------------------------------------------------------

    async def start(self) -> None:
        # The world and everything built at start-up live as long as the process: keep the
        # garbage collector from scanning them again and again, and collect the young
        # generation less often (a full collection over thousands of sessions pauses the loop).
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        await self.staff.start()
        self.saver.start()
        self.audit.start()
        self.channel_history.start()
        self.bus.start()
        others_alive = await self.bus.others_alive()
        await self.leases.open(others_alive)
        self.changes.start()
        if not others_alive:  # no one heard of changes made meanwhile
            dropped = await self.cache.forget_all()
            log.info("event=cache_purged entries=%d reason=%r", dropped, "first process up")
        self.lag.start()
        self.gc.start()
        if self.settings.stats_interval > 0:
            self.spawn(self._log_stats())
        self.spawn(self._run_ticks())
        self.spawn(forget_expired_every(min(60.0, self.settings.login_lockout),
                                        self.login_throttle.local, self.signup_throttle.local))
        self._listener = await start_listener(
            self.settings.host, self.settings.telnet_port, self.settings.idle_timeout,
            self.settings.input_bytes_rate, self._serve_connection, self.mssp_variables)
        if self.settings.tls_port is not None:
            await self._start_tls()
        await self.console.start()

    async def _start_tls(self) -> None:
        try:
            context = await server_context(self.settings)
        except TlsSetupError as exc:
            raise SystemExit(f"mud: {exc}") from exc
        self._tls_listener = await start_listener(
            self.settings.host, self.settings.tls_port or 0, self.settings.idle_timeout,
            self.settings.input_bytes_rate, self._serve_connection, self.mssp_variables,
            tls=context)
        log.info("event=tls_listening host=%s port=%d", self.settings.host, self.tls_port)

    @property
    def tls_port(self) -> int | None:
        if self._tls_listener is None:
            return None
        return self._tls_listener.sockets[0].getsockname()[1]

    @property
    def port(self) -> int:
        assert self._listener is not None
        return self._listener.sockets[0].getsockname()[1]

    def mssp_variables(self) -> mssp.Variables:
        """What MSSP tells a MUD listing of this server."""
        world = self.world
        return mssp.variables(self.settings, mssp.Figures(
            players=len(self.game.players), started_at=self.stats.started_at, port=self.port,
            tls_port=self.tls_port, areas=len(world.zones), rooms=len(world.rooms),
            objects=len(world.items), mobiles=len(world.monsters)))

    async def _serve_connection(self, conn: TelnetConnection) -> None:
        limit = self.settings.max_per_address
        if limit and self._per_address[conn.host] >= limit:
            log.warning("event=connection_refused reason=per_address_limit address=%s",
                        conn.address)
            conn.write(f"Too many connections from your address (at most {limit}).\n")
            return
        self._per_address[conn.host] += 1
        session = Session(self, conn)
        self.sessions.add(session)
        try:
            await session.run()
        finally:
            self.sessions.discard(session)
            self._per_address[conn.host] -= 1
            if not self._per_address[conn.host]:
                del self._per_address[conn.host]

    def status(self) -> dict[str, float | int | str]:
        """Figures an operator watches (logged as event=stats)."""
        lag_avg, lag_max = self.lag.take()
        return {"uptime_s": round(time.time() - self.stats.started_at),
                "sessions": len(self.sessions), "players": len(self.game.players),
                "characters": len(self.game.characters), "dirty": self.saver.dirty_count,
                "monsters": sum(1 for slot in self.game.slots if slot.mob is not None),
                "fights": len(self.game.fights),
                "commands": self.stats.commands, "tasks": len(asyncio.all_tasks()),
                "fds": open_fds(), "db_connections": self.pool.get_stats()["pool_size"],
                "rss_kib": rss_kib(), "lag_ms_avg": round(lag_avg, 2),
                "lag_ms_max": round(lag_max, 2), "gc_ms_max": round(self.gc.take(), 2),
                "flush_failures": self.saver.stats.failures,
                "redis": "up" if self.bus.available else "down",
                "cache_hits": self.cache.hits, "cache_misses": self.cache.misses,
                "last_flush_ms": round(self.saver.stats.last_duration * 1000, 1)}

    async def _log_stats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stats_interval)
            log.info("event=stats %s", " ".join(f"{k}={v}" for k, v in self.status().items()))

    async def _run_ticks(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_interval)
            try:
                self.clock.tick(self.game.now())
                for session in list(self.game.players.values()):
                    session.gmcp.update()  # what the tick changed, such as regeneration
            except Exception:  # a bug in one tick must not stop the game's clock
                log.exception("event=tick_failed")

    def spawn(self, coro) -> asyncio.Task[None]:  # type: ignore[no-untyped-def]
        """Run coro in the background (cancelled at shutdown if still running)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- characters entering and leaving --------------------------------------------------------

    async def _claim(self, session: Session, character_id: uuid.UUID) -> bool:
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

    async def _acquire(self, session: Session, character_id: uuid.UUID) -> str:
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

    async def _let_go(self, ch: Character) -> None:
        """ch is saved and out of memory: free its lease and, in the same step, cache its
        committed state (only while the lease is still this process's)."""
        await self.leases.release(ch.id, self.cache.entries(ch), TTL_SECONDS)

    async def hand_over(self, character_id: uuid.UUID) -> None:
        """Another process wants this character: save it, take it out of the game, let go."""
        ch = self.game.characters.get(character_id)
        if ch is None:
            await self.leases.release(character_id)
            return
        if ch.id not in self.game.players and self.game.find_online(ch.name) is not ch:
            saved = await self.saver.flush()  # it was already leaving: finish that
            self._evict_departed()
        else:
            session = self.game.players.get(ch.id)
            if session is not None:
                session.character = None
                session.close("You have logged in from another server. Goodbye.")
            timer = self._linkdead.pop(ch.id, None)
            if timer is not None:
                timer.cancel()
            saved = await self.leave_game(ch, None)
        log.info("event=handed_over character=%s saved=%s", ch.name, saved)

    async def enter_game(self, session: Session, character_id: uuid.UUID) -> None:
        """Give session the character's one live copy: load it, resume it if link-dead, or take
        it over from another connection (in this process or another)."""
        if not await self._claim(session, character_id):
            return
        ch = await self.game.obtain(character_id, self._load)
        if ch is None:
            await self.leases.release(character_id)
            session.close("That character no longer exists.")
            return
        self.saver.attach(ch)
        awaken(ch, self.world.essences)  # world data may have moved an awakening rank
        self._departed.discard(ch.id)
        timer = self._linkdead.pop(ch.id, None)
        if timer is not None:
            timer.cancel()
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
        if was_here:
            session.send(f"Welcome back, {ch.name}. You take up where you left off.")
            self.game.tell_room(room, f"{ch.name} has reconnected.", exclude=[ch], actor=ch)
        else:
            session.send(f"Welcome, {ch.name}.")
            self.game.tell_room(room, f"{ch.name} has entered the game.", exclude=[ch],
                                actor=ch)
        log.info("event=enter character=%s resumed=%s room=%s", ch.name, was_here, ch.room_id)
        self.announce(ch)
        session.show_room()

    async def leave_game(self, ch: Character, session: Session | None) -> bool:
        """Take a character out of the world and save it. True once the database has it."""
        if session is not None and self.game.players.get(ch.id) is not session:
            return True  # someone else took the character over
        self.game.players.pop(ch.id, None)
        timer = self._linkdead.pop(ch.id, None)
        if timer is not None:  # link-dead, taken out before its time (kicked, say)
            timer.cancel()
        room = self.game.room_of(ch)
        disengage(self.game, ch)
        self.game.unplace(ch)
        self.game.tell_room(room, f"{ch.name} has left the game.", actor=ch)
        self._departed.add(ch.id)
        self.spawn(self.bus.depart(ch.name))
        saved = await self.saver.flush()
        self._evict_departed()
        letting_go = self._letting_go.pop(ch.id, None)
        if letting_go is not None:  # the player hears "saved" once the cache has it too
            await letting_go
        log.info("event=leave character=%s saved=%s", ch.name, saved)
        return saved

    def announce(self, ch: Character) -> None:
        """Tell the other processes where ch is and how it shows in `who`."""
        self.spawn(self.bus.announce(self._presence(ch)))

    def _presence(self, ch: Character) -> Presence:
        zone = self.world.rooms[ch.room_id].zone if ch.room_id in self.world.rooms else ""
        return Presence(ch.name, ch.rank, self.bus.process_id, zone,
                        not self.game.is_connected(ch), ch.invisible)

    def _presences(self) -> list[Presence]:
        return [self._presence(ch) for ch in self.game.present()]

    def link_lost(self, ch: Character, session: Session) -> None:
        if self.game.players.get(ch.id) is not session:
            return
        del self.game.players[ch.id]
        self.game.tell_room(self.game.room_of(ch), f"{ch.name} has lost their link.", actor=ch)
        log.info("event=link_lost character=%s", ch.name)
        self.spawn(self.saver.flush())
        self._linkdead[ch.id] = asyncio.get_running_loop().call_later(
            self.settings.linkdead_timeout, lambda: self.spawn(self._expire_linkdead(ch)))

    async def _expire_linkdead(self, ch: Character) -> None:
        self._linkdead.pop(ch.id, None)
        if ch.id not in self.game.players:
            await self.leave_game(ch, None)

    def _evict_departed(self) -> None:
        """Forget characters that left the game once everything about them is saved."""
        for cid in list(self._departed):
            ch = self.game.characters.get(cid)
            if ch is None or (cid not in self.game.players and not self.saver.is_pending(ch)
                              and self.game.find_online(ch.name) is not ch):
                self.game.characters.pop(cid, None)
                self._departed.discard(cid)
                if ch is not None:  # saved: another process may have it now
                    task = self._letting_go[cid] = self.spawn(self._let_go(ch))
                    task.add_done_callback(lambda _, cid=cid: self._letting_go.pop(cid, None))

    def connections(self) -> list[dict[str, str | int | None]]:
        """Every connection to this process, oldest first, as the wizards' `users` and the
        console's `sessions` list them."""
        now = time.time()
        return [{"address": s.conn.address,
                 "character": s.character.name if s.character else None,
                 "account": s.account.username if s.account else None,
                 "role": s.role if s.account else None, "client": s.conn.terminal.client,
                 "idle_s": round(now - s.last_input), "connected_s": round(now - s.connected_at),
                 "state": "playing" if s.playing else "logging in"}
                for s in sorted(self.sessions, key=lambda s: s.connected_at)]

    # -- shutdown -------------------------------------------------------------------------------

    async def stop(self) -> bool:
        """Stop accepting, tell the players, save everything, close connections. True when
        every change reached the database."""
        for listener in (self._listener, self._tls_listener):
            if listener is not None:
                listener.close()
        await self.console.close()
        await self.staff.stop()
        self.game.tell_all("The server is shutting down. Your character is being saved.")
        await self.bus.publish("notice", text=f"Server {self.bus.process_id} is shutting "
                                              "down; its players will be back shortly.")
        await self.saver.stop()
        saved = False
        for attempt in range(SHUTDOWN_FLUSH_TRIES):
            saved = await self.saver.flush()
            if saved:
                break
            await asyncio.sleep(min(2 ** attempt, 10))
        for session in list(self.sessions):
            session.close("Saved. The server is going down now. Goodbye!" if saved else
                          "The server is going down. Goodbye!")
        for task in list(self._tasks):
            task.cancel()
        for ch in self.game.present():
            await self.bus.depart(ch.name)
        if saved:
            for ch in list(self.game.characters.values()):
                await self._let_go(ch)
        await self.changes.stop()
        await self.audit.stop()
        await self.channel_history.stop()
        await self.leases.stop()
        await self.bus.stop()
        self.lag.stop()
        self.gc.stop()
        self.passwords.close()
        log.info("event=stopped saved=%s dirty_left=%d", saved, self.saver.dirty_count)
        return saved


async def serve(settings: Settings) -> int:
    """Run the server until SIGTERM or SIGINT. Returns the process exit code."""
    world = load_world(settings.world_path)
    async with open_database(settings.database_url, settings.data_path) as db, \
            open_redis(settings.redis_url, settings.data_path) as redis:
        where = db.where
        world, _ = await with_overlay(world, db.pool)  # builders' changes to the world
        server = MudServer(settings, world, db.pool, redis, db.url)
        await server.start()
        print(f"mud: telnet listening on {settings.host}:{server.port}; database: {where};"
              f" redis: {redact_url(redis.url)}; process: {server.bus.process_id}",
              flush=True)
        log.info("event=listening host=%s port=%d database=%r redis=%r process=%s",
                 settings.host, server.port, where, redact_url(redis.url),
                 server.bus.process_id)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.stopping.set)
        await server.stopping.wait()
        log.info("event=shutdown_requested")
        for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal must not cut the save short
            loop.add_signal_handler(sig, log.warning, "event=signal_ignored reason=%s",
                                    "already shutting down")
        saved = await server.stop()
    return 0 if saved else 1
