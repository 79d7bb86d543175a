"""The console's listener: a Unix socket that only the server's operating-system user may open
(mode 0600), one JSON request per line, one JSON reply per line.

A socket file left by a server that died is removed at start-up; when another live server
already answers on the path, this one logs event=console_unavailable and runs without a
console rather than fail to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
import struct
from pathlib import Path
from typing import Protocol

from mud.console.commands import Result
from mud.console.protocol import MAX_LINE, decode, encode

log = logging.getLogger("mud.console")

MODE = 0o600
PROBE_TIMEOUT = 2.0  # seconds to wait for another server's console before calling it dead


class ConsoleUnavailable(Exception):
    """The console cannot listen on its path; the server runs on without it."""


def _peer(writer: asyncio.StreamWriter) -> str:
    """The connecting process and its user, from the kernel (Linux), for the log."""
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return "pid=? uid=?"
    pid, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option,
                                                      struct.calcsize("3i")))
    return f"pid={pid} uid={uid}"


class Runner(Protocol):
    """What answers the console's commands: the world's Console (mud.console.commands), or a
    gateway's, which hands them to its world (mud.gateway.console)."""

    async def run(self, name: str, args: str) -> Result: ...


class ConsoleServer:
    def __init__(self, console: Runner, path: Path) -> None:
        self.console = console
        self.path = path
        self._listener: asyncio.Server | None = None
        self._inode = 0  # of the socket file this server made, so close() removes only that
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> bool:
        """Listen; False (logged) when the console is unavailable."""
        try:
            await self._clear_path()
            self._listener = await self._listen()
        except ConsoleUnavailable as exc:
            log.warning("event=console_unavailable path=%s reason=%r", self.path, str(exc))
            return False
        log.info("event=console_listening path=%s", self.path)
        return True

    async def _clear_path(self) -> None:
        """Remove a dead server's socket file; raise if the path is in use or not a socket."""
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ConsoleUnavailable("the path exists and is not a socket")
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                _, writer = await asyncio.open_unix_connection(str(self.path))
        except (ConnectionRefusedError, FileNotFoundError):
            self.path.unlink(missing_ok=True)
            log.info("event=console_stale_socket_removed path=%s", self.path)
            return
        except (OSError, TimeoutError) as exc:
            raise ConsoleUnavailable(f"cannot tell whether another server uses it: {exc!r}") \
                from exc
        writer.close()
        raise ConsoleUnavailable("another running server answers on this socket")

    async def _listen(self) -> asyncio.Server:
        """Bind with a umask that leaves the file 0600 from its first instant, then check."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            previous = os.umask(0o177)
            try:
                listener = await asyncio.start_unix_server(self._serve, path=str(self.path),
                                                           limit=MAX_LINE)
            finally:
                os.umask(previous)
            info = self.path.stat()
        except OSError as exc:
            raise ConsoleUnavailable(f"cannot listen: {exc}") from exc
        if stat.S_IMODE(info.st_mode) != MODE:
            listener.close()
            self.path.unlink(missing_ok=True)
            raise ConsoleUnavailable(f"the socket's mode is {stat.S_IMODE(info.st_mode):o}, "
                                     f"not {MODE:o}")
        self._inode = info.st_ino
        return listener

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        peer = _peer(writer)
        log.info("event=console_connected %s", peer)
        try:
            while line := await reader.readline():
                answer = encode((await self._answer(line)).reply())
                if writer.is_closing():  # the operator went away meanwhile
                    break
                writer.write(answer)
                await writer.drain()
        except ValueError:  # a line longer than MAX_LINE
            if not writer.is_closing():
                writer.write(encode(Result(False, f"A request is at most {MAX_LINE} bytes; "
                                                  "closing.").reply()))
        except ConnectionError:
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
            log.info("event=console_disconnected %s", peer)

    async def _answer(self, line: bytes) -> Result:
        try:
            request = decode(line)
            name, args = request.get("command"), request.get("args", "")
            if not isinstance(name, str) or not isinstance(args, str):
                raise ValueError("command and args must be strings")
        except ValueError as exc:
            return Result(False, f"Malformed request ({exc}): send one JSON object per line, "
                                 'like {"command": "status", "args": ""}.')
        return await self.console.run(name, args)

    async def close(self) -> None:
        """Stop listening, close open console connections (a command running finishes first)
        and remove the socket file (if it is still the one this server made)."""
        if self._listener is None:
            return
        self._listener.close()
        self._listener = None
        for writer in list(self._clients):
            writer.close()
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()
