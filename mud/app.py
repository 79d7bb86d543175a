"""Builds the running server: database, world, game, saver and telnet listener; starts them in
order and stops them gracefully."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections import Counter
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from mud.auth import LoginThrottle, Passwords, SignupThrottle, forget_expired_every
from mud.cluster.bus import Bus
from mud.cluster.cache import ChangeListener, CharacterCache
from mud.cluster.leases import Leases
from mud.cluster.redis import RedisLink, open_redis
from mud.cluster.relay import Relay
from mud.cluster.throttle import SharedLoginThrottle, SharedSignupThrottle
from mud.config import Settings
from mud.console.server import ConsoleServer
from mud.game.clock import Clock
from mud.game.model import Character
from mud.game.state import Game
from mud.lifecycle import Lifecycle
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
        self.leases = Leases(redis, settings.redis_prefix, self.bus.process_id,
                             settings.lease_seconds)
        self.cache = CharacterCache(redis, settings.redis_prefix)
        self._tasks: set[asyncio.Task[None]] = set()
        self.lifecycle = Lifecycle(self.game, self.characters, self.saver, self.cache,
                                   self.leases, self.bus,
                                   linkdead_timeout=settings.linkdead_timeout, spawn=self.spawn)
        self.bus.local = self.lifecycle.presences
        self.saver.after_flush = self.lifecycle.evict_departed
        self.leases.held = lambda: list(self.game.characters)
        self.leases.on_conflict = lambda cid, holder: self.spawn(self.lifecycle.hand_over(cid))
        self.relay = Relay(self.bus, self.game,
                           lambda cid: self.spawn(self.lifecycle.hand_over(cid)))
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
        self.sessions: set[Session] = set()
        self.stats = ServerStats(started_at=time.time())
        self._listener: asyncio.Server | None = None
        self._tls_listener: asyncio.Server | None = None
        self.stopping = asyncio.Event()  # set: serve() stops the server gracefully
        self.staff = Staff(
            self.game, self.sessions, self.lifecycle, self.players, self.audit, self.bus,
            BanList(pool),
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
        # room notices of one kind go out once a turn, however many did the same thing
        self.game.notices.defer = asyncio.get_running_loop().call_soon
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
                "redis_connections": self.bus.link.connections,
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

    def announce(self, ch: Character) -> None:
        """Tell the other processes where ch is and how it shows in `who` (the commands that
        change how ch shows reach it here)."""
        self.lifecycle.announce(ch)

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
            await self.lifecycle.let_all_go()
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
    async with open_database(settings.database_url, settings.data_path,
                             max_size=settings.database_connections) as db, \
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
