"""The world's end of the links to its gateways: it listens (a Unix socket in the data folder,
and a TCP port for gateways on other machines), checks each gateway's handshake, and turns
the gateways' messages into players: each connection a gateway attaches is a RemoteConnection,
played by a Session (mud.session) as if it were local. Output, GMCP, echo and closing go back
as messages, batched per loop turn (mud.link.protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from mud.link.protocol import Link, LinkClosed, LinkRefused, accept
from mud.net.terminal import Terminal

log = logging.getLogger("mud.link")

MARK_TURNS = 2
RETURN_WAIT = 10.0  # seconds a returning player's lines wait for the others to be back


class RemoteConnection:
    """A player's connection as the world sees it: held by a gateway, reached over its link.
    It offers what the session, its display and its GMCP feed use of a telnet connection."""

    def __init__(self, peer: GatewayPeer, conn_id: int, info: dict[str, Any]) -> None:
        self.peer = peer
        self.id = conn_id
        self._loop = asyncio.get_running_loop()  # kept: looking it up is a getpid() call
        self.host = str(info.get("host", "?"))
        self.address = str(info.get("address", self.host))
        self.terminal = Terminal.from_dict(info.get("caps") or {})
        self.gmcp = bool(info.get("gmcp"))  # whether the client accepted GMCP
        self.closed = False
        self.held = False  # a reboot has begun: no more lines are taken (see hold)
        self.on_gmcp: Callable[[str, Any], None] | None = None
        self.told: Callable[[str], None] | None = None  # the session's send
        self.hung_up: Callable[[str], None] | None = None  # the session's close
        # the lines typed and not yet read (None: the connection is gone); a plain deque and
        # one future, lighter than an asyncio.Queue on the path of every command
        self._lines: deque[str | None] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._released = asyncio.Event()

    # -- from the gateway -------------------------------------------------------------------------

    def feed(self, line: str) -> None:
        self._put(line)

    def _put(self, line: str | None) -> None:
        self._lines.append(line)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def update(self, caps: dict[str, Any], gmcp: bool) -> None:
        self.terminal.update(caps)
        self.gmcp = gmcp

    def received_gmcp(self, package: str, data: Any) -> None:
        if self.on_gmcp is not None:
            self.on_gmcp(package, data)

    def lost(self) -> None:
        """The gateway detached the connection, or its link dropped: the player is gone."""
        self.closed = True
        self._put(None)

    # -- to the gateway ---------------------------------------------------------------------------

    async def readline(self) -> str | None:
        """The next line the player typed; None once the connection is gone."""
        if self.held:
            await self._released.wait()  # never, in this world
        while not self._lines:
            if self.closed:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._lines.popleft()

    def hold(self) -> None:
        """Take no more lines: the world is rebooting (what is left goes back, see give_back)."""
        self.held = True

    def give_back(self) -> None:
        """Send the gateway the lines this world will not run, for the next world to run."""
        lines = [line for line in self._lines if line is not None]
        self._lines.clear()
        if lines and not self.closed:
            self.peer.link.send("unread", self.id, lines)

    def show(self, text: str, prompt: str, colour: bool | None) -> None:
        if not self.closed:
            self.peer.link.send("out", self.id, text, prompt, colour)

    def write(self, text: str, prompt: bool = False) -> None:
        self.show(text.replace("\r\n", "\n"), "", None)

    def send_gmcp(self, package: str, data: Any) -> None:
        if not self.closed and self.gmcp:
            self.peer.link.send("gmcp", self.id, package, data)

    def echo(self, enabled: bool) -> None:
        if not self.closed:
            self.peer.link.send("echo", self.id, enabled)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.peer.link.send("close", self.id)
            self.peer.connections.pop(self.id, None)
            self._put(None)


# a gateway's messages about one connection (its id first): what the world does with it, given
# the fields after the id
_TO_CONNECTION: dict[str, Callable[[RemoteConnection, list[Any]], None]] = {
    "input": lambda conn, fields: conn.feed(str(fields[0])),
    "caps": lambda conn, fields: conn.update(fields[0], bool(fields[1])),
    "gmcp": lambda conn, fields: conn.received_gmcp(str(fields[0]), fields[1]),
    # the gateway's own word to the player (a limit, say)
    "tell": lambda conn, fields: conn.told(str(fields[0])) if conn.told else None,
    # the gateway ends it (a flood): after the output so far
    "hangup": lambda conn, fields: conn.hung_up(str(fields[0])) if conn.hung_up else None,
}

class Return:
    """Players coming back after a reboot: each one's waiting lines run once everyone attached
    with it is back in the world (a `give` to another player finds them there), or after
    RETURN_WAIT seconds at most."""

    def __init__(self) -> None:
        self._coming = 0
        self._all_back = asyncio.Event()
        self._all_back.set()

    def coming(self) -> None:
        self._coming += 1
        self._all_back.clear()

    def back(self) -> None:
        self._coming = max(0, self._coming - 1)
        if not self._coming:
            self._all_back.set()

    async def wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RETURN_WAIT):
                await self._all_back.wait()


class GatewayPeer:
    """One gateway on its link, with the connections it has attached."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.name = link.peer
        self.connections: dict[int, RemoteConnection] = {}
        self.since = time.time()
        self.figures: dict[str, Any] = {}  # what the gateway last said of itself

    def lost(self) -> None:
        for conn in list(self.connections.values()):
            conn.lost()
        self.connections.clear()


class World(Protocol):
    """What the links reach of the world (mud.app.MudServer)."""

    def attach(self, conn: RemoteConnection, info: dict[str, Any]) -> None:
        """Play the connection: info has the account and the character."""

    def link_status(self) -> dict[str, Any]:
        """The figures gateways show (MSSP) and need (the start room)."""

    async def console_command(self, name: str, args: str) -> dict[str, Any]:
        """Run a console command; its reply, in plain values (as the console sends it)."""

    def reboot(self, reason: str) -> None: ...


def _answer_mark(link: Link, conn_id: int, turns: int) -> None:
    """Answer a timing mark after the output of what came before it: room notices wait one
    turn of the loop (mud.game.notices), a session's output one more (Session.send)."""
    if turns:
        asyncio.get_running_loop().call_soon(_answer_mark, link, conn_id, turns - 1)
    else:
        link.send("mark", conn_id)


def _clear_socket_path(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)


class LinkServer:
    def __init__(self, world: World, secret: str, world_id: str) -> None:
        self.world = world
        self.secret = secret
        self.world_id = world_id
        self.peers: set[GatewayPeer] = set()
        self._listeners: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._unix_path: Path | None = None

    async def start(self, unix_path: Path | None, host: str, port: int | None,
                    tls: ssl.SSLContext | None = None) -> None:
        """Listen on unix_path (mode 0600) and, if port is given, on TCP (over TLS when tls
        is given)."""
        if unix_path is not None:
            _clear_socket_path(unix_path)  # the world lease says no other world uses it
            previous = os.umask(0o177)
            try:
                self._listeners.append(await asyncio.start_unix_server(
                    self._serve, path=str(unix_path), limit=1 << 24))
            finally:
                os.umask(previous)
            self._unix_path = unix_path
            log.info("event=link_listening path=%s", unix_path)
        if port is not None:
            if not self.secret:
                raise SystemExit("mud: MUD_LINK_PORT needs MUD_LINK_SECRET: gateways on other "
                                 "machines must prove they belong to this game")
            server = await asyncio.start_server(self._serve, host, port, limit=1 << 24,
                                                ssl=tls)
            self._listeners.append(server)
            log.info("event=link_listening host=%s port=%d tls=%s", host, self.tcp_port,
                     tls is not None)

    @property
    def tcp_port(self) -> int | None:
        for listener in self._listeners:
            name = listener.sockets[0].getsockname()
            if isinstance(name, tuple):
                return int(name[1])
        return None

    def broadcast(self, *message: Any) -> None:
        for peer in self.peers:
            peer.link.send(*message)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            link = await accept(reader, writer, self.secret, self.world_id)
        except LinkRefused as exc:
            log.warning("event=link_refused reason=%r", str(exc))
            return
        peer = GatewayPeer(link)
        self.peers.add(peer)
        self._tasks.add(task := asyncio.current_task())  # type: ignore[arg-type]
        log.info("event=gateway_linked gateway=%s", peer.name)
        link.send("status", self.world.link_status())
        try:
            while True:
                for message in await link.receive():
                    self._dispatch(peer, message)
        except LinkClosed as exc:
            log.info("event=gateway_unlinked gateway=%s reason=%r", peer.name, str(exc))
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            self.peers.discard(peer)
            peer.lost()
            link.close()

    def _dispatch(self, peer: GatewayPeer, message: list[Any]) -> None:
        kind, args = message[0], message[1:]
        try:
            to_connection = _TO_CONNECTION.get(kind)
            if to_connection is not None:
                conn = peer.connections.get(args[0])
                if conn is not None:  # else it has been detached meanwhile
                    to_connection(conn, args[1:])
            elif kind == "attach":
                conn = RemoteConnection(peer, int(args[0]), args[1])
                previous = peer.connections.pop(conn.id, None)
                if previous is not None:
                    previous.lost()
                peer.connections[conn.id] = conn
                self.world.attach(conn, args[1])
            elif kind == "mark":
                _answer_mark(peer.link, args[0], MARK_TURNS)
            elif kind == "detach":
                conn = peer.connections.pop(args[0], None)
                if conn is not None:
                    conn.lost()
            elif kind == "figures":
                peer.figures = dict(args[0])
            elif kind == "console":
                self._spawn(self._console(peer, args[0], str(args[1]), str(args[2])))
            elif kind == "reboot":
                self.world.reboot(str(args[0]) if args else "")
            else:
                log.warning("event=link_unknown_message gateway=%s kind=%r", peer.name, kind)
        except (IndexError, KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("event=link_bad_message gateway=%s kind=%r error=%r", peer.name, kind,
                        exc)

    async def _console(self, peer: GatewayPeer, request: Any, name: str, args: str) -> None:
        peer.link.send("console", request, await self.world.console_command(name, args))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop listening and close every link (what was queued is sent first)."""
        for listener in self._listeners:
            listener.close()
        for peer in list(self.peers):
            peer.link.close()
        for peer in list(self.peers):
            await peer.link.wait_closed()
        if self._unix_path is not None:
            with contextlib.suppress(OSError):
                self._unix_path.unlink()
