"""The gateway: listeners, the login's services (accounts, characters, argon2, throttles, bans
and the wizlock), and the link to the world. Players logged in here are seated in the world
over the link; when the link drops (a reboot, a crash) every connection stays open, what the
players type waits, and once a world links again every seat is taken up again."""

from __future__ import annotations

import asyncio
import itertools
import logging
import signal
import ssl
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from psycopg_pool import AsyncConnectionPool

from mud.auth import LoginThrottle, Passwords, SignupThrottle, forget_expired_every
from mud.cluster.bus import Bus
from mud.cluster.redis import RedisLink, open_redis
from mud.cluster.resume import Resumptions
from mud.cluster.throttle import SharedLoginThrottle, SharedSignupThrottle
from mud.config import Settings
from mud.console.server import ConsoleServer
from mud.gateway.console import GatewayConsole
from mud.gateway.session import QUEUED_LINES, GatewaySession
from mud.gateway.web import WebListener
from mud.link.protocol import Link, LinkClosed, LinkRefused, connect
from mud.monitor import LagMonitor, open_fds, quiet_collector, rss_kib
from mud.net import mssp
from mud.net.connection import Connection, Ending
from mud.net.telnet import start_listener
from mud.net.tls import TlsSetupError, link_client_context, server_context
from mud.ops.bans import refresh_every
from mud.ops.staff import Gatekeeper
from mud.ops.wizlock import Wizlock
from mud.store.bans import BanList
from mud.store.characters import CharacterRepository
from mud.store.database import open_database, redact_url
from mud.store.players import PlayerRepository

log = logging.getLogger("mud.gateway")

RETRY_EVERY = 0.1  # seconds between attempts to reach the world
FIRST_START_WAIT = 300.0  # seconds `mud serve` waits for its world before it says it listens
FIGURES_EVERY = 2.0  # seconds between this gateway's figures sent to the world
WAITING = ("The world is starting; you will be taken into the game as soon as it is up. "
           "What you type meanwhile waits.")
LOST = ("The world has stopped unexpectedly; it is being restarted and you stay connected. "
        "What you type meanwhile waits.")
FULL = f"Only {QUEUED_LINES} lines wait for the world; that one was dropped."


# the world's messages about one connection (its id first): what the gateway does with the
# session, given the fields after the id
_TO_SESSION: dict[str, Callable[[GatewaySession, list[Any]], None]] = {
    "out": lambda session, fields: session.show(fields[0], fields[1], fields[2]),
    "gmcp": lambda session, fields: session.conn.send_gmcp(fields[0], fields[1]),
    "echo": lambda session, fields: session.conn.echo(bool(fields[0])),
    "close": lambda session, fields: session.closed_by_world(),
    "mark": lambda session, fields: session.answer_marks(),
    # lines a rebooting world did not run: first in line
    "unread": lambda session, fields: session.waiting.extendleft(
        reversed([str(line) for line in fields[0]])),
}

class Gateway:
    def __init__(self, settings: Settings, pool: AsyncConnectionPool, redis: RedisLink,
                 world_address: str) -> None:
        self.settings = settings
        self.world_address = world_address
        self.pool = pool
        self.redis = redis
        self.players = PlayerRepository(pool)
        self.characters = CharacterRepository(pool)
        self.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib,
                                   settings.hash_workers)
        self.login_throttle = SharedLoginThrottle(
            redis, settings.redis_prefix,
            LoginThrottle(settings.login_fail_delay, settings.login_lockout))
        self.signup_throttle = SharedSignupThrottle(
            redis, settings.redis_prefix, SignupThrottle(settings.new_accounts_per_address))
        # bans and the wizlock reach gateways through Redis: a listening bus, no heartbeat
        self.bus = Bus(redis, settings.redis_prefix, f"gateway-{settings.process_name}")
        self.bans = BanList(pool)
        self.refusals = Gatekeeper(self.bans, Wizlock(self.bus, settings.redis_prefix,
                                                      self.spawn))
        self._bans_refresh: asyncio.Task[Any] | None = None
        self.resumptions = Resumptions(redis, settings.redis_prefix)
        self.bus.handlers["bans"] = self._bans_changed
        self.sessions: dict[int, GatewaySession] = {}
        self._ids = itertools.count(1)
        self._per_address: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Server | None = None
        self._tls_listener: asyncio.Server | None = None
        self.web: WebListener | None = WebListener(self) if settings.web_port else None
        self.lag = LagMonitor()
        self.link: Link | None = None
        self._link_tls: ssl.SSLContext | None = None  # TLS to a world on TCP (start)
        self.world_id: str | None = None
        self.world_figures: dict[str, Any] = {}
        self.rebooting = False  # the world said it is rebooting: its link going is expected
        self.world_shut_down = False  # the world said it is shutting down (not rebooting)
        self.links_made = 0  # times a world has linked
        self.reboots = 0  # reboots the world has announced
        self.commands_per_second = 0.0  # the world's, between its last two status reports
        self._commands_at: tuple[float, int] | None = None
        self.console = GatewayConsole(self)
        self.on_link_lost: list[Any] = [self.console.lost]
        self.console_server = ConsoleServer(self.console, settings.console_socket_path) \
            if settings.console_socket != "off" else None
        self.stopping = asyncio.Event()
        self.started_at = time.time()

    # -- starting and stopping ------------------------------------------------------------------

    async def start(self) -> None:
        quiet_collector()
        try:
            self._link_tls = link_client_context(self.settings)
        except TlsSetupError as exc:
            raise SystemExit(f"mud: {exc}") from exc
        await self.bans.refresh()
        await self.refusals.wizlock.load()
        self.bus.start(heartbeat=False)
        self.spawn(refresh_every(self.bans))
        self.spawn(forget_expired_every(min(60.0, self.settings.login_lockout),
                                        self.login_throttle.local, self.signup_throttle.local))
        self._listener = await start_listener(
            self.settings.host, self.settings.telnet_port, self.settings.idle_timeout,
            self.settings.input_bytes_rate, self.serve_connection, self.mssp_variables)
        if self.settings.tls_port is not None:
            try:
                context = await server_context(self.settings)
            except TlsSetupError as exc:
                raise SystemExit(f"mud: {exc}") from exc
            self._tls_listener = await start_listener(
                self.settings.host, self.settings.tls_port or 0, self.settings.idle_timeout,
                self.settings.input_bytes_rate, self.serve_connection, self.mssp_variables,
                tls=context)
            log.info("event=tls_listening host=%s port=%d", self.settings.host, self.tls_port)
        if self.web is not None:
            await self.web.start(self.settings.host, self.settings.web_port)
            log.info("event=web_listening host=%s port=%d", self.settings.host, self.web.port)
        self.lag.start()
        self.spawn(self._take_lag())
        self.spawn(self._keep_linked())  # named by the port it listens on, so after listening
        self.spawn(self._send_figures())
        if self.console_server is not None:
            await self.console_server.start()

    def close_listeners(self) -> None:
        for listener in (self._listener, self._tls_listener):
            if listener is not None:
                listener.close()

    async def stop(self, farewell: str) -> None:
        """Close every connection still open (the world has said its goodbyes) and stop."""
        self.close_listeners()
        if self.console_server is not None:
            await self.console_server.close()
        for session in list(self.sessions.values()):
            session.close(farewell, Ending.GOING_AWAY)
        if self.web is not None:
            await self.web.close()  # after the goodbyes: it waits for the sockets to close
        self.lag.stop()
        for task in list(self._tasks):
            task.cancel()
        if self.link is not None:
            self.link.close()
        await self.bus.stop()
        self.passwords.close()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def port(self) -> int:
        assert self._listener is not None
        sockets = self._listener.sockets
        return sockets[0].getsockname()[1] if sockets else self.settings.telnet_port

    @property
    def tls_port(self) -> int | None:
        if self._tls_listener is None or not self._tls_listener.sockets:
            return None
        return self._tls_listener.sockets[0].getsockname()[1]

    @property
    def start_room(self) -> str:
        return str(self.world_figures.get("start_room", ""))

    def _bans_changed(self, _: dict[str, Any]) -> None:
        self._bans_refresh = self.spawn(self.bans.refresh())

    async def bans_settled(self) -> None:
        """Wait for a change of the bans the world announced to be read (a login checked
        right after a ban must see it)."""
        task = self._bans_refresh
        if task is not None and not task.done():
            await asyncio.wait([task])

    def mssp_variables(self) -> mssp.Variables:
        """What MSSP tells a MUD listing: the world's figures, this gateway's ports."""
        figures = self.world_figures
        return mssp.variables(self.settings, mssp.Figures(
            players=int(figures.get("players", 0)),
            started_at=float(figures.get("started_at", self.started_at)), port=self.port,
            tls_port=self.tls_port, areas=int(figures.get("areas", 0)),
            rooms=int(figures.get("rooms", 0)), objects=int(figures.get("objects", 0)),
            mobiles=int(figures.get("mobiles", 0))))

    def figures(self) -> dict[str, Any]:
        """This gateway as the console's status lists it."""
        logging_in = sum(1 for s in self.sessions.values() if s.character_id is None)
        kinds = Counter(session.conn.kind for session in self.sessions.values())
        return {"connections": len(self.sessions), "logging_in": logging_in,
                "kinds": dict(sorted(kinds.items())),
                "waiting": sum(1 for s in self.sessions.values()
                               if s.character_id is not None and not s.attached),
                "fds": open_fds(), "rss_kib": rss_kib(),
                "port": self.port if self._listener else None,
                "web_port": self.web.port if self.web is not None else None}

    async def _send_figures(self) -> None:
        while True:
            await asyncio.sleep(FIGURES_EVERY)
            self.world_send("figures", self.figures())

    async def _take_lag(self) -> None:
        """The gateway's loop lag is measured over the same windows as the world's (its
        stats lines), for /metrics."""
        while True:
            await asyncio.sleep(self.settings.stats_interval or 60.0)
            self.lag.take()

    def _world_status(self, figures: dict[str, Any]) -> None:
        self.world_figures = figures
        now, commands = time.monotonic(), int(figures.get("commands", 0))
        if self._commands_at is not None and now > self._commands_at[0] \
                and commands >= self._commands_at[1]:
            self.commands_per_second = ((commands - self._commands_at[1])
                                        / (now - self._commands_at[0]))
        self._commands_at = (now, commands)

    # -- connections ----------------------------------------------------------------------------

    async def serve_connection(self, conn: Connection) -> None:
        """One connection, of any kind, from its first byte to its close."""
        limit = self.settings.max_per_address
        if limit and self._per_address[conn.host] >= limit:
            log.warning("event=connection_refused reason=per_address_limit address=%s",
                        conn.address)
            conn.write(f"Too many connections from your address (at most {limit}).\n")
            conn.close(Ending.REFUSED)
            return
        self._per_address[conn.host] += 1
        session = GatewaySession(self, conn, next(self._ids))
        self.sessions[session.id] = session
        try:
            await session.run()
        finally:
            self.sessions.pop(session.id, None)
            self._per_address[conn.host] -= 1
            if not self._per_address[conn.host]:
                del self._per_address[conn.host]

    def seat(self, session: GatewaySession) -> None:
        """A login is done: take the player into the world (now, or once it is up)."""
        if self.link is not None and not self.rebooting:
            self._attach(session)
        else:
            session.notify(WAITING)

    def _attach(self, session: GatewaySession) -> None:
        assert self.link is not None
        self.link.send(*session.attach_message())
        for package, data in session.core_gmcp:
            self.link.send("gmcp", session.id, package, data)
        session.attached = session.played = True
        while session.waiting:
            self.link.send("input", session.id, session.waiting.popleft())

    def unseat(self, session: GatewaySession) -> None:
        if session.attached:
            session.attached = False
            self.world_send("detach", session.id)

    def forward(self, session: GatewaySession, line: str) -> None:
        """A line the player typed: to the world, or to wait for it."""
        if session.attached and self.link is not None and not self.rebooting:
            self.link.send("input", session.id, line)
        elif len(session.waiting) < QUEUED_LINES:
            session.waiting.append(line)
        else:
            session.notify(FULL)

    def tell_waiting(self, text: str) -> None:
        """Tell the players waiting for the world (logged in, not in it)."""
        for session in list(self.sessions.values()):
            if session.character_id is not None and not session.attached:
                session.notify(text)

    def world_send(self, *message: Any) -> None:
        if self.link is not None:
            self.link.send(*message)

    # -- the link to the world ------------------------------------------------------------------

    async def _keep_linked(self) -> None:
        name = f"{self.settings.process_name}:{self.port}"
        told = False
        while True:
            try:
                link, world_id = await connect(self.world_address,
                                               self.settings.link_secret or "", name,
                                               self._link_tls)
            except LinkRefused as exc:
                log.error("event=link_refused world=%s reason=%r", self.world_address,
                          str(exc))
                await asyncio.sleep(5.0)
                continue
            except ssl.SSLError as exc:
                log.error("event=link_tls_failed world=%s error=%r hint=%r", self.world_address,
                          str(exc), "MUD_LINK_TLS_CERT must be the world's certificate (or "
                          "the authority that signed it) and name the host of "
                          "MUD_WORLD_ADDRESS")
                await asyncio.sleep(5.0)
                continue
            except OSError as exc:
                if not told:
                    log.info("event=world_unreachable world=%s error=%r", self.world_address,
                             str(exc))
                    told = True
                await asyncio.sleep(RETRY_EVERY)
                continue
            told = False
            await self._linked(link, world_id)
            if self.stopping.is_set():  # the world was told to stop with this gateway
                return

    async def _linked(self, link: Link, world_id: str) -> None:
        log.info("event=world_linked world=%s id=%s", self.world_address, world_id)
        self.link, self.world_id = link, world_id
        self.rebooting = self.world_shut_down = False
        self.links_made += 1
        link.send("figures", self.figures())
        for session in list(self.sessions.values()):
            if session.character_id is not None and not session.conn.closed:
                self._attach(session)
        try:
            while True:
                for message in await link.receive():
                    self._dispatch(message)
        except LinkClosed as exc:
            expected = self.stopping.is_set() or self.rebooting
            log.log(logging.INFO if expected else logging.WARNING,
                    "event=world_unlinked world=%s reason=%r rebooting=%s stopping=%s",
                    self.world_address, str(exc), self.rebooting, self.stopping.is_set())
        finally:
            self.link = None
            link.close()
            for session in list(self.sessions.values()):
                session.answer_marks(session.marks)  # no world to answer them now
                if session.attached:
                    session.attached = False
                    if not self.rebooting:
                        session.notify(LOST)
            for callback in self.on_link_lost:
                callback()

    def _dispatch(self, message: list[Any]) -> None:
        kind, args = message[0], message[1:]
        try:
            to_session = _TO_SESSION.get(kind)
            if to_session is not None:
                session = self.sessions.get(args[0])
                if session is not None:  # else the connection has closed meanwhile
                    to_session(session, args[1:])
            elif kind == "shutdown":
                self.world_shut_down = True
            elif kind == "status":
                self._world_status(dict(args[0]))
            elif kind == "reboot":
                self.rebooting = True
                self.reboots += 1
                for session in self.sessions.values():
                    if session.attached:
                        session.notify(str(args[0]))
            elif kind == "console":
                self.console.answered(args[0], args[1])
            elif kind == "bus":  # bans or the wizlock changed (also told through Redis)
                self.bus.deliver(dict(args[1]))
            else:
                log.warning("event=link_unknown_message kind=%r", kind)
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            log.warning("event=link_bad_message kind=%r error=%r", kind, exc)


async def serve(settings: Settings, world_address: str | None = None, *,
                child: Any = None) -> int:
    """Run a gateway until SIGTERM or SIGINT. world_address: where the world listens (default:
    the settings'); child: the world process this gateway supervises (role `all`)."""
    address = world_address or settings.world_address or str(settings.link_path)
    # logins and character lists are all a gateway asks of the database: half the world's
    async with open_database(settings.database_url, settings.data_path,
                             max_size=max(2, settings.database_connections // 2)) as db, \
            open_redis(settings.redis_url, settings.data_path) as redis:
        gateway = Gateway(settings, db.pool, redis, address)
        if child is not None:
            await child.start(gateway, db.url, redis.url)
        await gateway.start()
        if child is not None:  # ready when the world is (players connecting sooner are told)
            async with asyncio.timeout(FIRST_START_WAIT):
                while not gateway.links_made and child.problem is None:
                    await asyncio.sleep(0.02)
        # a link to open: listening on every address, this machine's is one of them
        here = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
        web = f"web client: http://{here}:{gateway.web.port}/; " \
            if gateway.web is not None else ""
        print(f"mud: telnet listening on {settings.host}:{gateway.port}; {web}world: {address}; "
              f"database: {db.where}; redis: {redact_url(redis.url)}; process: "
              f"{settings.process_name}", flush=True)
        log.info("event=listening host=%s port=%d world=%s database=%r redis=%r",
                 settings.host, gateway.port, address, db.where, redact_url(redis.url))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, gateway.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, gateway.console.reboot, "SIGHUP")
        await gateway.stopping.wait()
        log.info("event=shutdown_requested")
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, log.warning, "event=signal_ignored reason=%s",
                                    "already shutting down")
        gateway.close_listeners()
        code = 0
        if child is not None:
            code = await child.stop()  # the world saves and says goodbye to everyone
        await gateway.stop("The server is going down. Goodbye!")
    log.info("event=stopped code=%d", code)
    return code
