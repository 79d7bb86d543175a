"""Builds the world process: database, world, game, saver and the links its gateways attach
players over; starts them in order, stops them gracefully, and reboots (saving what the
database does not hold to a snapshot the next world restores)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psutil
from psycopg_pool import AsyncConnectionPool

from mud.auth import LoginThrottle, Passwords, forget_expired_every
from mud.cluster.bus import Bus
from mud.cluster.cache import ChangeListener, CharacterCache
from mud.cluster.leases import Leases
from mud.cluster.redis import RedisLink, open_redis
from mud.cluster.relay import Relay
from mud.cluster.throttle import SharedLoginThrottle
from mud.cluster.worldlease import WorldLease, WorldTaken
from mud.config import Settings
from mud.console.commands import Console
from mud.console.protocol import encode
from mud.console.server import ConsoleServer
from mud.game import snapshot
from mud.game.clock import Clock
from mud.game.state import Game
from mud.lifecycle import Lifecycle
from mud.monitor import GcMonitor, LagMonitor, open_fds, quiet_collector, rss_kib
from mud.net.tls import TlsSetupError, link_server_context
from mud.ops.staff import Staff
from mud.reload import reload_world, with_overlay
from mud.session import Session
from mud.store.audit import AuditLog
from mud.store.bans import BanList
from mud.store.boards import Boards
from mud.store.channels import ChannelHistory
from mud.store.characters import CharacterRepository
from mud.store.database import Database, open_database, redact_url
from mud.store.mail import MailRepository
from mud.store.players import Account, PlayerRepository
from mud.store.reports import Reports
from mud.store.saver import Saver
from mud.world.loader import World, load_world
from mud.worldlink import LinkServer, RemoteConnection, Return

log = logging.getLogger("mud.app")

SHUTDOWN_FLUSH_TRIES = 5
REBOOT_EXIT = 75  # the exit code of a world that rebooted: start the next one at once
STATUS_EVERY = 2.0  # seconds between the figures sent to the gateways


@dataclass
class ServerStats:
    started_at: float = 0.0
    commands: int = 0


class MudServer:
    def __init__(self, settings: Settings, world: World, pool: AsyncConnectionPool,
                 redis: RedisLink, database_url: str, world_lease: WorldLease) -> None:
        self.settings = settings
        self.world = world
        self.world_lease = world_lease  # held: this is the game's one world
        self.pool = pool
        self.game = Game(world)
        self.clock = Clock(self.game, self.game.now())
        self.players = PlayerRepository(pool)
        self.characters = CharacterRepository(pool)
        self.saver = Saver(pool, settings.save_interval)
        self.audit = AuditLog(pool)
        self.channel_history = ChannelHistory(pool)
        self.mail = MailRepository(pool)
        self.boards = Boards(pool)
        self.reports = Reports(pool)
        self.bus = Bus(redis, settings.redis_prefix, settings.process_name)
        self.leases = Leases(redis, settings.redis_prefix, self.bus.process_id,
                             settings.lease_seconds)
        self.cache = CharacterCache(redis, settings.redis_prefix)
        self._tasks: set[asyncio.Task[None]] = set()
        self.lifecycle = Lifecycle(self.game, self.characters, self.saver, self.cache,
                                   self.leases, self.bus,
                                   linkdead_timeout=settings.linkdead_timeout, spawn=self.spawn)
        self.saver.after_flush = self.lifecycle.evict_departed
        self.leases.held = lambda: list(self.game.characters)
        self.leases.on_conflict = lambda cid, holder: self.spawn(self.lifecycle.hand_over(cid))
        self.relay = Relay(self.bus, lambda cid: self.spawn(self.lifecycle.hand_over(cid)))
        # characters loaded while Redis was away may have left an entry there
        redis.on_up.append(lambda: self.cache.forget_many(list(self.game.characters)))
        self.changes = ChangeListener(database_url, self.cache)
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib,
                                   settings.hash_workers)
        self.login_throttle = SharedLoginThrottle(
            redis, settings.redis_prefix,
            LoginThrottle(settings.login_fail_delay, settings.login_lockout))
        self.lag = LagMonitor()
        self.gc = GcMonitor()
        self.sessions: set[Session] = set()
        self.stats = ServerStats(started_at=time.time())
        self.links = LinkServer(self, settings.link_secret or "", self.world_lease.holder)
        self.bus.to_gateways = lambda kind, message: self.links.broadcast("bus", kind, message)
        self.returning = Return()
        self.stopping = asyncio.Event()  # set: serve() stops the server gracefully
        self.rebooting: str | None = None  # why, once a reboot has begun
        self.staff = Staff(
            self.game, self.sessions, self.lifecycle, self.players, self.audit, self.bus,
            BanList(pool),
            redis_prefix=settings.redis_prefix, spawn=self.spawn, stop=self.stopping.set,
            notify_here=lambda text: self.game.tell_all(f"[notice] {text}"),
            reload=lambda: reload_world(self), reboot=self.reboot)
        self.console = Console(self)
        self.console_server = ConsoleServer(self.console, settings.console_socket_path) \
            if settings.console_socket != "off" else None

    # -- connections ----------------------------------------------------------------------------

    async def start(self) -> None:
        quiet_collector()
        # room notices of one kind go out once a turn, however many did the same thing
        self.game.notices.defer = asyncio.get_running_loop().call_soon
        await self.staff.start()
        await self.boards.load()
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
                                        self.login_throttle.local))
        self.spawn(self._send_status())
        try:
            link_tls = link_server_context(self.settings)
        except TlsSetupError as exc:
            raise SystemExit(f"mud: {exc}") from exc
        await self.links.start(self.settings.link_path, self.settings.host,
                               self.settings.link_port, link_tls)
        if self.console_server is not None:
            await self.console_server.start()

    # -- the gateways ---------------------------------------------------------------------------

    def attach(self, conn: RemoteConnection, info: dict[str, Any]) -> None:
        """A gateway attached a logged-in player: play its character (not while rebooting:
        the gateway attaches it again to the next world)."""
        if self.rebooting is not None:
            return
        account = info["account"]
        if info.get("rebooted"):
            self.returning.coming()
        session = Session(self, conn, Account(uuid.UUID(account["id"]), str(account["username"]),
                                              "", str(account["role"])),
                          at_prompt=bool(info.get("at_prompt")))
        self.sessions.add(session)
        task = self.spawn(session.run(uuid.UUID(info["character"]), bool(info.get("created")),
                                      bool(info.get("rebooted"))))
        task.add_done_callback(lambda _: self.sessions.discard(session))

    def link_status(self) -> dict[str, Any]:
        """The figures gateways show crawlers (MSSP) and operators' monitoring (/metrics), and
        use (where new characters start)."""
        world, saver = self.world, self.saver
        lag_avg, lag_max = self.lag.peek()
        return {"players": len(self.game.players), "started_at": self.stats.started_at,
                "areas": len(world.zones), "rooms": len(world.rooms),
                "objects": len(world.items), "mobiles": len(world.monsters),
                "start_room": world.start_room, "commands": self.stats.commands,
                "lag_ms_avg": round(lag_avg, 3), "lag_ms_max": round(lag_max, 3),
                "rss_kib": rss_kib(), "saver_flushes": saver.stats.flushes,
                "saver_failures": saver.stats.failures, "saver_dirty": saver.dirty_count,
                "saver_last_ms": round(saver.stats.last_duration * 1000, 3)}

    async def _send_status(self) -> None:
        while True:
            await asyncio.sleep(STATUS_EVERY)
            self.links.broadcast("status", self.link_status())

    async def console_command(self, name: str, args: str) -> dict[str, Any]:
        """A console command a gateway handed over; its reply, as the console would send it
        (values JSON lacks, such as times, as their text)."""
        return json.loads(encode((await self.console.run(name, args)).reply()))

    def gateways(self) -> list[dict[str, Any]]:
        """The gateways linked to this world, with their connections (console `status`)."""
        return [{"gateway": peer.name, "players": len(peer.connections),
                 "linked_s": round(time.time() - peer.since), **peer.figures}
                for peer in sorted(self.links.peers, key=lambda peer: peer.since)]

    def status(self) -> dict[str, float | int | str]:
        """Figures an operator watches (logged as event=stats)."""
        lag_avg, lag_max = self.lag.take()
        return {"uptime_s": round(time.time() - self.stats.started_at),
                "sessions": len(self.sessions), "players": len(self.game.players),
                "gateways": len(self.links.peers),
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

    def connections(self) -> list[dict[str, str | int | None]]:
        """Every connection to this process, oldest first, as the wizards' `users` and the
        console's `sessions` list them."""
        now = time.time()
        return [{"address": s.conn.address, "gateway": s.conn.peer.name,
                 "character": s.character.name if s.character else None,
                 "account": s.account.username if s.account else None,
                 "role": s.role if s.account else None, "client": s.conn.terminal.client,
                 "idle_s": round(now - s.last_input), "connected_s": round(now - s.connected_at),
                 "state": "playing" if s.playing else "logging in"}
                for s in sorted(self.sessions, key=lambda s: s.connected_at)]

    # -- shutdown -------------------------------------------------------------------------------

    def reboot(self, reason: str) -> None:
        """Begin a reboot: the gateways keep every connection (queueing what players type),
        this world saves everything, writes the rest to a snapshot, and exits; the next world
        restores the snapshot and takes the players back."""
        if self.rebooting is None:
            self.rebooting = reason
            log.warning("event=reboot_requested reason=%r", reason)
            because = f" ({reason})" if reason else ""
            # from now on the gateways keep what players type for the next world
            self.links.broadcast("reboot", f"The world is rebooting{because}. You stay "
                                           "connected; what you type meanwhile runs once it "
                                           "is back.")
            for session in self.sessions:
                session.conn.hold()
            self.stopping.set()

    async def stop(self) -> bool:
        """Stop, tell the players, save everything, close connections (on a reboot: keep them,
        and write the snapshot). True when every change reached the database."""
        if self.console_server is not None:
            await self.console_server.close()
        await self.staff.stop()
        rebooting = self.rebooting is not None
        if not rebooting:
            self.links.broadcast("shutdown")  # a gateway that runs this world stops with it
            self.game.tell_all("The server is shutting down. Your character is being saved.")
        await self.saver.stop()
        saved = False
        for attempt in range(SHUTDOWN_FLUSH_TRIES):
            saved = await self.saver.flush()
            if saved:
                break
            await asyncio.sleep(min(2 ** attempt, 10))
        if rebooting:
            written = snapshot.write(self.settings.snapshot_path, self.game, self.clock)
            log.info("event=snapshot_written path=%s bytes=%d", self.settings.snapshot_path,
                     written)
            for session in self.sessions:
                session.conn.give_back()
        else:
            for session in list(self.sessions):
                session.close("Saved. The server is going down now. Goodbye!" if saved else
                              "The server is going down. Goodbye!")
        await self.links.close()
        for task in list(self._tasks):
            task.cancel()
        if saved:
            await self.lifecycle.let_all_go()
        await self.changes.stop()
        await self.audit.stop()
        await self.channel_history.stop()
        await self.leases.stop()
        await self.world_lease.release()
        await self.bus.stop()
        self.lag.stop()
        self.gc.stop()
        self.passwords.close()
        log.info("event=stopped saved=%s dirty_left=%d", saved, self.saver.dirty_count)
        return saved


def world_holder(settings: Settings) -> str:
    """This world's name on the world lease: its process name, host and pid (a gateway on the
    same host can then tell a dead predecessor from a live rival)."""
    return f"{settings.process_name}@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _dead_here(holder: str) -> bool:
    """Whether holder is a world on this host whose process is gone (killed, say; one with
    this process's pid is a predecessor too: a container restarted gives its world pid 1
    again)."""
    _, _, where = holder.partition("@")
    host, _, rest = where.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and (
        int(pid) == os.getpid() or not _alive(int(pid)))


def _alive(pid: int) -> bool:
    """Whether pid runs (a killed process not yet reaped is a zombie: dead)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


async def take_world_lease(lease: WorldLease) -> None:
    """The game's one world lease, taken over from a dead world on this host, waited for when
    its holder is on another host (it may have crashed: its lease then lapses). Raises
    SystemExit, saying who holds it, when another world runs."""
    holder = await lease.current()
    here = holder is not None and holder.partition("@")[2].partition(":")[0] == \
        socket.gethostname()
    try:
        if holder is not None and _dead_here(holder):
            log.warning("event=world_lease_takeover from=%s", holder)
            await lease.acquire(takeover=holder)
        else:
            await lease.acquire(wait=0.0 if here else lease.ttl + 1)
    except WorldTaken as exc:
        raise SystemExit(f"mud: {exc}") from exc
    lease.start()


async def serve(settings: Settings) -> int:
    """Run the world until SIGTERM or SIGINT, or until it reboots. Returns the process exit
    code: 0 saved, 1 not everything saved, REBOOT_EXIT rebooted (start the next world)."""
    world = load_world(settings.world_path)
    async with open_redis(settings.redis_url, settings.data_path) as redis:
        # the lease first: a world that is refused must not migrate the running game's database
        lease = WorldLease(redis, settings.redis_prefix, world_holder(settings))
        await take_world_lease(lease)
        async with open_database(settings.database_url, settings.data_path,
                                 max_size=settings.database_connections) as db:
            return await _run(settings, world, db, redis, lease)


async def _run(settings: Settings, world: World, db: Database, redis: RedisLink,
               lease: WorldLease) -> int:
    """The world, built over its database and Redis, from start to stop (or reboot)."""
    where = db.where
    world, _ = await with_overlay(world, db.pool)  # builders' changes to the world
    server = MudServer(settings, world, db.pool, redis, db.url, lease)
    kept = snapshot.read_and_remove(settings.snapshot_path)
    if kept is not None:
        skipped = snapshot.restore(server.game, kept, server.clock)
        log.info("event=snapshot_restored skipped=%d%s", len(skipped),
                 f" first={skipped[0]!r}" if skipped else "")
    await server.start()
    tcp = server.links.tcp_port
    print(f"mud: world ready; link: {settings.link_path}"
          + (f" and {settings.host}:{tcp}" if tcp else "")
          + f"; database: {where}; redis: {redact_url(redis.url)}; process: "
          f"{server.bus.process_id}", flush=True)
    log.info("event=world_ready link=%s link_port=%s database=%r redis=%r process=%s",
             settings.link_path, tcp, where, redact_url(redis.url), server.bus.process_id)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.stopping.set)
    await server.stopping.wait()
    log.info("event=shutdown_requested reboot=%s", server.rebooting is not None)
    for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal must not cut the save short
        loop.add_signal_handler(sig, log.warning, "event=signal_ignored reason=%s",
                                "already shutting down")
    saved = await server.stop()
    if not saved:
        return 1
    return REBOOT_EXIT if server.rebooting is not None else 0
