"""A small line-oriented telnet client for tests, benchmarks and scripts.

It refuses every telnet option except the server's ECHO (which it records, so a caller can see
that password input is hidden) and collects the text the server sends.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import re

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO = 1
PROMPT = "> "
_PROMPT_PATTERN = r"(^|\n)> "


class TelnetClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.text = ""  # received, not yet consumed
        self.in_game = False
        self.server_echo = False  # True while the server has said WILL ECHO (password mode)
        self._pending = b""
        self._in_sb = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @classmethod
    async def connect(cls, host: str, port: int, timeout: float = 10.0) -> TelnetClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=1 << 22), timeout)
        return cls(reader, writer)

    # -- telnet byte handling -------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        if not self._pending and not self._in_sb and IAC not in data:  # the common case
            self.text += self._decoder.decode(data).replace("\r\n", "\n")
            return
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if self._in_sb:
                if byte == IAC and i + 1 < len(data) and data[i + 1] == SE:
                    self._in_sb = False
                    i += 2
                    continue
                if byte == IAC and i + 1 >= len(data):
                    self._pending = data[i:]
                    break
                i += 1
                continue
            if byte != IAC:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):
                self._pending = data[i:]
                break
            cmd = data[i + 1]
            if cmd == IAC:
                out.append(IAC)
                i += 2
            elif cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                self._negotiate(cmd, data[i + 2])
                i += 3
            elif cmd == SB:
                self._in_sb = True
                i += 2
            else:
                i += 2
        self.text += self._decoder.decode(bytes(out)).replace("\r\n", "\n")

    def _negotiate(self, cmd: int, option: int) -> None:
        if option == ECHO and cmd in (WILL, WONT):
            self.server_echo = cmd == WILL
            if cmd == WILL:
                self._writer.write(bytes([IAC, DO, ECHO]))
        elif cmd == DO:
            self._writer.write(bytes([IAC, WONT, option]))
        elif cmd == WILL:
            self._writer.write(bytes([IAC, DONT, option]))

    # -- reading and writing --------------------------------------------------------------------

    async def read_until(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait until pattern (a regular expression) appears; return and consume the text up to
        the end of its first match."""
        regex = re.compile(pattern)
        async with asyncio.timeout(timeout):
            while True:
                match = regex.search(self.text)
                if match:
                    found, self.text = self.text[:match.end()], self.text[match.end():]
                    return found
                chunk = await self._reader.read(65536)
                if not chunk:
                    raise ConnectionError(f"closed while waiting for {pattern!r}; "
                                          f"got {self.text[-300:]!r}")
                self._feed(chunk)

    async def expect(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait for a message the server sends unasked (someone else's action) and the prompt
        that follows it."""
        found = await self.read_until(pattern, timeout)
        return found + await self.read_until(_PROMPT_PATTERN, timeout)

    async def read_closed(self, timeout: float = 10.0) -> str:
        """Read until the server closes the connection; return everything left."""
        async with asyncio.timeout(timeout):
            while chunk := await self._reader.read(65536):
                self._feed(chunk)
        found, self.text = self.text, ""
        return found

    def send(self, line: str) -> None:
        self.send_raw(line.encode("utf-8") + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self._writer.write(data)

    async def drain(self) -> str:
        """Consume what has already arrived (messages caused by others), without waiting
        for more than a moment."""
        while True:
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                # cancellation that arrives as the read completes (a cancelled task that
                # drains in a loop would then never stop)
                async with asyncio.timeout(0.002):
                    chunk = await self._reader.read(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            self._feed(chunk)
        found, self.text = self.text, ""
        return found

    async def command(self, line: str, timeout: float = 10.0) -> str:
        """Send a command and return its reply, up to the next prompt. Text that arrived
        before the command was sent is set aside first, so it is not taken for the reply."""
        await self.drain()
        self.send(line)
        return await self.read_until(_PROMPT_PATTERN, timeout)

    async def quit(self) -> str:
        """Leave the game with `quit` and wait for the server to close the connection."""
        self.send("quit")
        self.in_game = False
        return await self.read_closed()

    async def close_now(self) -> None:
        """Close without quitting (the server sees a dropped link)."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def close(self) -> None:
        """Quit if in the game (so others see it now, not later), then close."""
        if self.in_game and not self._writer.is_closing():
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                await self.quit()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    # -- logging in -----------------------------------------------------------------------------

    async def create(self, username: str, password: str, email: str,
                     character: str | None = None, timeout: float = 10.0) -> str:
        """Create an account with the one-line form and enter the game (naming a character)."""
        await self.read_until("Username: ", timeout)
        self.send(f"create {username} {password} {email}")
        await self.read_until("Character name: ", timeout)
        self.send(character or username)
        reply = await self.read_until(_PROMPT_PATTERN, timeout)
        self.in_game = True
        return reply

    async def login(self, username: str, password: str, timeout: float = 10.0) -> str:
        """Log in with the one-line form to an account with one character."""
        await self.read_until("Username: ", timeout)
        self.send(f"connect {username} {password}")
        reply = await self.read_until(_PROMPT_PATTERN, timeout)
        self.in_game = True
        return reply
