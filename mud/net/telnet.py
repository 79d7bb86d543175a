"""The telnet listener (telnetlib3 in binary mode) and one connection's line input and output.

The server decodes and encodes itself so that it controls every limit: lines are capped,
invalid UTF-8 is replaced, control bytes are dropped, and a client that stops reading is cut off
instead of growing the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import telnetlib3
from telnetlib3.stream_writer import TelnetWriter
from telnetlib3.telopt import CHARSET, ECHO, NAWS, NEW_ENVIRON, TSPEED, TTYPE, WILL, WONT, XDISPLOC

log = logging.getLogger("mud.net")

MAX_LINE_BYTES = 4096
MAX_OUTPUT_BUFFER = 1 << 20  # a client more than 1 MiB behind is disconnected
READ_CHUNK = 4096
LISTEN_BACKLOG = 2048
NEGOTIATION_WAIT = 0.5  # how long a silent client may delay the banner

# Everything below space except tab, plus DEL and the C1 range: never let through to other players.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0)])


# Subnegotiations the server acts on. Others (MSDP, MCCP3, ...) are dropped unread: telnetlib3's
# parsers for some of them loop forever or inflate without limit on hostile input.
ACCEPTED_SUBNEGOTIATIONS = frozenset({TTYPE, NAWS, NEW_ENVIRON, CHARSET, TSPEED, XDISPLOC})
INPUT_BYTES_BURST = 256 * 1024  # raw bytes, telnet commands included, before the rate applies


class GuardedTelnetWriter(TelnetWriter):
    """Ignores subnegotiations the server does not use, and malformed ones."""

    def handle_subnegotiation(self, buf) -> None:  # type: ignore[no-untyped-def]
        if not buf or buf[0] not in ACCEPTED_SUBNEGOTIATIONS:
            return
        try:
            super().handle_subnegotiation(buf)
        except Exception as exc:  # a malformed payload from the client: drop it
            log.debug("event=bad_subnegotiation option=%r error=%r", buf[0], exc)


class GuardedTelnetServer(telnetlib3.TelnetServer):
    """telnetlib3's server with a budget on raw input bytes (telnet commands never reach the line
    reader, so a flood of them is caught here): past the budget, input is discarded unparsed
    with a warning, and a flood that goes on for FLOOD_CUTOFF seconds closes the connection."""

    FLOOD_CUTOFF = 10.0

    def __init__(self, *args, bytes_per_second: float, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, writer_factory=GuardedTelnetWriter, **kwargs)
        self._byte_rate = bytes_per_second
        self._byte_budget = float(INPUT_BYTES_BURST)
        self._budget_at = time.monotonic()
        self._flood_since: float | None = None

    def data_received(self, data: bytes) -> None:
        if self._byte_rate and not self._within_budget(len(data)):
            return
        super().data_received(data)

    def _within_budget(self, size: int) -> bool:
        now = time.monotonic()
        self._byte_budget = min(INPUT_BYTES_BURST, self._byte_budget
                                + (now - self._budget_at) * self._byte_rate) - size
        self._budget_at = now
        transport = self._transport
        if self._byte_budget >= 0:
            self._flood_since = None
            return True
        self._byte_budget = 0.0  # discarded bytes are not a debt: input resumes at the rate
        if transport is None or transport.is_closing():
            return False
        peer = transport.get_extra_info("peername")
        if self._flood_since is None:
            self._flood_since = now
            log.warning("event=input_flood kind=bytes address=%s", peer)
            transport.write(b"\r\nInput flood: what you send is being discarded. "
                            b"Slow down.\r\n")
        elif now - self._flood_since > self.FLOOD_CUTOFF:
            log.warning("event=input_flood_cutoff address=%s", peer)
            transport.write(b"\r\nInput flood. Disconnecting.\r\n")
            transport.close()
        return False


class LineTooLong(Exception):
    """The client sent more than MAX_LINE_BYTES without a newline; that line was discarded."""


def clean_text(raw: bytes) -> str:
    """Bytes of one input line to text: UTF-8 (bad bytes replaced), editing keys applied,
    control characters removed, surrounding whitespace stripped."""
    text = raw.decode("utf-8", errors="replace")
    if "\b" in text or "\x7f" in text:
        kept: list[str] = []
        for char in text:
            if char in "\b\x7f":
                if kept:
                    kept.pop()
            else:
                kept.append(char)
        text = "".join(kept)
    return text.translate(_CONTROL).replace("\t", " ").strip()


class TelnetConnection:
    def __init__(self, reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = bytearray()
        self._discarding = False
        self.closed = False
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        self.address = f"{self.host}:{peer[1]}" if isinstance(peer, tuple) else self.host

    async def readline(self) -> str | None:
        """The next input line as clean text, or None when the client has gone."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                raw = bytes(self._buffer[:newline])
                del self._buffer[:newline + 1]
                if self._discarding:
                    self._discarding = False
                    raise LineTooLong()
                return clean_text(raw.replace(b"\r", b"").replace(b"\0", b""))
            if len(self._buffer) > MAX_LINE_BYTES:
                self._buffer.clear()
                self._discarding = True
            if self.closed:
                return None
            try:
                chunk = await self._reader.read(READ_CHUNK)
            except (ConnectionError, asyncio.IncompleteReadError):
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self._buffer += chunk

    def write(self, text: str) -> None:
        if self.closed:
            return
        transport = self._writer.transport
        if transport is not None and transport.get_write_buffer_size() > MAX_OUTPUT_BUFFER:
            log.warning("event=slow_client_dropped address=%s", self.address)
            self.close()
            return
        self._writer.write(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))

    def echo(self, enabled: bool) -> None:
        """Turn the client's local echo on or off (off for passwords: the server says WILL ECHO
        and then echoes nothing)."""
        if not self.closed:
            self._writer.iac(WONT if enabled else WILL, ECHO)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._writer.close()


async def start_listener(host: str, port: int, idle_timeout: float, bytes_per_second: float,
                         handler: Callable[[TelnetConnection], Awaitable[None]]
                         ) -> asyncio.Server:
    """Listen with telnetlib3's protocol and a large backlog, so bursts of connects all land."""

    async def shell(reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter) -> None:
        conn = TelnetConnection(reader, writer)
        try:
            await handler(conn)
        finally:
            conn.close()

    def factory() -> asyncio.Protocol:
        return GuardedTelnetServer(shell=shell, encoding=False, line_mode=True,
                                   connect_maxwait=NEGOTIATION_WAIT, compression=False,
                                   timeout=int(idle_timeout) or False,
                                   bytes_per_second=bytes_per_second)

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host, port, backlog=LISTEN_BACKLOG,
                                    reuse_address=True)
