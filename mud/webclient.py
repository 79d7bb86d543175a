"""A small WebSocket client of the game (mud/web/PROTOCOL.md) for tests, benchmarks and scripts,
with the telnet client's ways (mud.client.TelnetClient): read_until, read_prompt, command,
create, login. Text and prompts are collected as one text, as a telnet client sees them; the
prompt messages mark where each prompt ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

from mud.client import PROMPT

RUNS_KEPT = 1000


class WebClient:
    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._http = http
        self._ws = ws
        self.text = ""  # received, not yet consumed
        self._prompt_ends: list[int] = []  # where in text each prompt message ended
        # the latest [text, colour, style] runs received (a client that plays for long keeps
        # no more)
        self.runs: deque[list[str]] = deque(maxlen=RUNS_KEPT)
        self.gmcp: list[tuple[str, Any]] = []
        self.echo_off = False  # the server said the next input is a password
        self.echo_changes: list[bool] = []
        self.resume: str | None = None  # the last resume token offered
        self.close_code: int | None = None
        self.frames = 0  # frames received
        self.in_game = False

    @classmethod
    async def connect(cls, url: str, hello: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None, timeout: float = 10.0
                      ) -> WebClient:
        """Open the socket at url (http://host:port/ws) and say hello (None: send none)."""
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(url, headers=headers, max_msg_size=0,
                                       timeout=aiohttp.ClientWSTimeout(ws_close=timeout))
        except BaseException:
            await http.close()
            raise
        client = cls(http, ws)
        if hello is not None:
            await client.send_message("hello", hello)
        return client

    # -- receiving --------------------------------------------------------------------------------

    async def _receive(self) -> None:
        msg = await self._ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            # the server's code, as a browser's close event gives it (the socket's own may
            # say 1006 when the answer to the server's close could not be sent)
            self.close_code = msg.data if msg.type == aiohttp.WSMsgType.CLOSE \
                else self._ws.close_code
            raise ConnectionError(f"closed ({self.close_code}); got {self.text[-300:]!r}")
        self.frames += 1
        for message in json.loads(msg.data):
            self._take_message(message)

    def _take_message(self, message: list[Any]) -> None:
        kind = message[0]
        if kind in ("text", "prompt"):
            self.runs.extend(message[1])
            self.text += "".join(run[0] for run in message[1])
            if kind == "prompt":
                self._prompt_ends.append(len(self.text))
        elif kind == "gmcp":
            self.gmcp.append((message[1], message[2]))
        elif kind == "echo":
            self.echo_off = not message[1]
            self.echo_changes.append(bool(message[1]))
        elif kind == "resume":
            self.resume = message[1]

    def gmcp_of(self, package: str) -> list[Any]:
        return [data for name, data in self.gmcp if name == package]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await self._receive()

    def _take(self, end: int) -> str:
        found, self.text = self.text[:end], self.text[end:]
        self._prompt_ends = [at - end for at in self._prompt_ends if at > end]
        return found

    async def _read_to(self, find: Callable[[], int | None], timeout: float) -> str:
        async with asyncio.timeout(timeout):
            while (end := find()) is None:
                await self._receive()
        return self._take(end)

    async def read_until(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait until pattern (a regular expression) appears; return and consume the text up to
        the end of its first match."""
        regex = re.compile(pattern)
        return await self._read_to(lambda: (m.end() if (m := regex.search(self.text)) else None),
                                   timeout)

    async def read_prompt(self, timeout: float = 10.0) -> str:
        """Wait for the game prompt (a prompt message ending in "> "); return and consume the
        text up to its end."""
        return await self._read_to(
            lambda: next((at for at in self._prompt_ends if self.text.endswith(PROMPT, 0, at)),
                         None), timeout)

    async def expect(self, pattern: str, timeout: float = 10.0) -> str:
        found = await self.read_until(pattern, timeout)
        return found + await self.read_prompt(timeout)

    async def read_closed(self, timeout: float = 10.0) -> str:
        """Read until the server closes the socket; everything left (close_code says how)."""
        with contextlib.suppress(ConnectionError):
            async with asyncio.timeout(timeout):
                while True:
                    await self._receive()
        return self._take(len(self.text))

    # -- sending ----------------------------------------------------------------------------------

    async def send_message(self, kind: str, *fields: Any) -> None:
        await self._ws.send_str(json.dumps([kind, *fields]))

    async def send(self, line: str) -> None:
        await self.send_message("input", line)

    async def send_raw(self, data: str | bytes) -> None:
        """A frame as is (text or binary), for tests of bad input."""
        if isinstance(data, bytes):
            await self._ws.send_bytes(data)
        else:
            await self._ws.send_str(data)

    async def command(self, line: str, timeout: float = 10.0) -> str:
        """Send a command and return its reply, up to the next prompt (text that arrived
        before is set aside first)."""
        self._take(len(self.text))
        await self.send(line)
        return await self.read_prompt(timeout)

    # -- logging in and out -----------------------------------------------------------------------

    async def create(self, username: str, password: str, email: str,
                     timeout: float = 10.0) -> str:
        await self.read_until("Username: ", timeout)
        await self.send(f"create {username} {password} {email}")
        await self.read_until("Character name: ", timeout)
        await self.send(username)
        reply = await self.read_prompt(timeout)
        self.in_game = True
        return reply

    async def login(self, username: str, password: str, timeout: float = 10.0) -> str:
        await self.read_until("Username: ", timeout)
        await self.send(f"connect {username} {password}")
        reply = await self.read_prompt(timeout)
        self.in_game = True
        return reply

    async def quit(self) -> str:
        await self.send("quit")
        self.in_game = False
        return await self.read_closed()

    async def drop(self) -> None:
        """Drop the socket without a word, as a lost network would (no close handshake)."""
        transport = self._ws._response.connection.transport
        if transport is not None:
            transport.abort()
        await self.close()

    async def close(self) -> None:
        """Quit if in the game, then close."""
        if self.in_game and not self._ws.closed:
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                await self.quit()
        with contextlib.suppress(ConnectionError, OSError):
            await self._ws.close()
        await self._http.close()
