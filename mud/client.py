"""A small line-oriented telnet client for tests, benchmarks and scripts.

By default it refuses every telnet option except the server's ECHO (which it records, so a caller
can see that password input is hidden) and collects the text the server sends. Given Options, it
also plays a MUD client: it answers TTYPE (with an MTTS cycle), NAWS and CHARSET, accepts EOR,
GMCP, MSSP and MCCP2 (inflating the compressed stream), and records what arrives.

The game prompt (`100/100 hp 100/100 mp 100/100 st> ` by default, or a player's own) is found as a
prompt ending in "> " that the server marked with IAC GA or IAC EOR, as MUD clients find it; from
a server that marks no prompts, as a "> " that ends a line or all the text received so far. The
login questions ("Username: ", "Password: ") are never taken for it.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

IAC, DONT, DO, WONT, WILL, SB, SE, GA, EOR_MARK = 255, 254, 253, 252, 251, 250, 240, 249, 239
ECHO, SGA, TM, TTYPE, EOR, NAWS, CHARSET, MSSP, MCCP2, GMCP = 1, 3, 6, 24, 25, 31, 42, 70, 86, 201
PROMPT = "> "  # how every game prompt ends
PROMPT_PATTERN = r"> (?=\n|\Z)"  # a game prompt in text read without the client's prompt marks
_UNMARKED_PROMPT = re.compile(PROMPT_PATTERN)


@dataclass(frozen=True)
class Options:
    """What the client agrees to: `will` answers the server's DO, `do` answers its WILL."""

    will: frozenset[int] = frozenset()
    do: frozenset[int] = frozenset()
    ttypes: tuple[str, ...] = ()  # answers to TTYPE SEND in turn (the last one repeats)
    width: int = 80
    height: int = 24
    charset: str = "UTF-8"  # chosen from the server's CHARSET REQUEST when offered
    silent: frozenset[int] = frozenset()  # offers never answered (as TinTin++ does MSSP)

    @classmethod
    def mud_client(cls, **kwargs: Any) -> Options:
        """Accepts everything a MUD client does, as Mudlet announces itself."""
        defaults: dict[str, Any] = dict(
            will=frozenset({TTYPE, NAWS, CHARSET}),
            do=frozenset({SGA, EOR, GMCP, MSSP, MCCP2}),
            ttypes=("MUDLET", "XTERM-256COLOR", "MTTS 2831"))
        return cls(**{**defaults, **kwargs})


class TelnetClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 options: Options | None = None) -> None:
        self._reader = reader
        self._writer = writer
        self.options = options or Options()
        self.text = ""  # received, not yet consumed
        self._marks: list[int] = []  # where in text prompt marks (IAC GA, IAC EOR) arrived
        self._marked = False  # the server marks its prompts
        self.in_game = False
        self.server_echo = False  # True while the server has said WILL ECHO (password mode)
        self.wire_bytes = 0  # bytes received from the network (compressed ones as they came)
        self.raw = bytearray()  # what arrived after inflating, telnet commands included,
        self.keep_raw = False   # when keep_raw is set (tests of the bytes themselves)
        self.plain_bytes = 0  # the size of raw, counted even when it is not kept
        self.negotiation: list[tuple[int, int]] = []  # (WILL/WONT/DO/DONT, option) received
        self._timing_marks = 0  # answers to our DO TM (RFC 860) received
        self.subnegotiations: list[tuple[int, bytes]] = []
        self.gmcp: list[tuple[str, Any]] = []
        self.mssp: dict[str, list[str]] = {}
        self.compressed = False  # MCCP2 is on
        self._pending = b""
        self._sb: bytearray | None = None  # inside a subnegotiation: its bytes so far
        self._ttype_index = 0
        self._inflater: Any = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @classmethod
    async def connect(cls, host: str, port: int, timeout: float = 10.0,
                      options: Options | None = None, ssl: Any = None) -> TelnetClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=1 << 22, ssl=ssl), timeout)
        return cls(reader, writer, options)

    # -- telnet byte handling -------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        self._parse(self._inflate(data))

    def _inflate(self, data: bytes) -> bytes:
        if self._inflater is None:
            return data
        out = self._inflater.decompress(data)
        if self._inflater.eof:  # the server ended compression: what follows is plain
            out += self._inflater.unused_data
            self._inflater = None
            self.compressed = False
        return out

    def _parse(self, data: bytes) -> None:
        self.plain_bytes += len(data)
        if self.keep_raw:
            self.raw += data
        if not self._pending and self._sb is None and IAC not in data:  # the common case
            self._add_text(data)
            return
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if byte != IAC:  # the run of text up to the next IAC, at once
                end = data.find(IAC, i)
                end = len(data) if end < 0 else end
                target = out if self._sb is None else self._sb
                target += data[i:end]
                i = end
                continue
            if i + 1 >= len(data):
                self._pending = data[i:]
                break
            cmd = data[i + 1]
            if cmd == IAC:
                (out if self._sb is None else self._sb).append(IAC)
                i += 2
            elif self._sb is not None:
                if cmd == SE:
                    payload, self._sb = bytes(self._sb), None
                    if payload[:1] == bytes([MCCP2]):  # all that follows is compressed
                        self._add_text(out)
                        self._inflater = zlib.decompressobj()
                        self.compressed = True
                        self._parse(self._inflate(data[i + 2:]))
                        return
                    self._subnegotiation(payload)
                i += 2
            elif cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                self._negotiate(cmd, data[i + 2])
                i += 3
            elif cmd == SB:
                self._sb = bytearray()
                i += 2
            elif cmd in (GA, EOR_MARK):  # the text so far ends with a prompt
                self._add_text(out)
                out.clear()
                self._marks.append(len(self.text))
                self._marked = True
                i += 2
            else:
                i += 2
        self._add_text(out)

    def _add_text(self, data: bytes | bytearray) -> None:
        self.text += self._decoder.decode(bytes(data)).replace("\r\n", "\n")

    def _negotiate(self, cmd: int, option: int) -> None:
        self.negotiation.append((cmd, option))
        if option in self.options.silent:
            return
        if option == TM and cmd in (WILL, WONT):
            self._timing_marks += 1  # the answer to drain's DO TM: nothing to reply
        elif option == ECHO and cmd in (WILL, WONT):
            self.server_echo = cmd == WILL
            if cmd == WILL:
                self._writer.write(bytes([IAC, DO, ECHO]))
        elif cmd == DO:
            agreed = option in self.options.will
            self._writer.write(bytes([IAC, WILL if agreed else WONT, option]))
            if agreed and option == NAWS:
                self.resize(self.options.width, self.options.height)
        elif cmd == WILL:
            self._writer.write(bytes([IAC, DO if option in self.options.do else DONT, option]))

    def _subnegotiation(self, payload: bytes) -> None:
        option, body = payload[0], payload[1:]
        self.subnegotiations.append((option, body))
        if option == TTYPE and body[:1] == b"\x01" and self.options.ttypes:
            answer = self.options.ttypes[min(self._ttype_index, len(self.options.ttypes) - 1)]
            self._ttype_index += 1
            self.send_subnegotiation(TTYPE, b"\x00" + answer.encode("ascii"))
        elif option == CHARSET and body[:1] == b"\x01" and len(body) > 1:
            offered = body[2:].split(body[1:2])
            choice = self.options.charset.encode("ascii")
            self.send_subnegotiation(CHARSET, b"\x02" + choice if choice in offered else b"\x03")
            if choice in offered:
                self._decoder = codecs.getincrementaldecoder(self.options.charset)(
                    errors="replace")
        elif option == GMCP:
            package, _, data = body.decode("utf-8", "replace").partition(" ")
            self.gmcp.append((package, json.loads(data) if data.strip() else None))
        elif option == MSSP:
            for part in body.split(b"\x01")[1:]:
                name, *values = part.split(b"\x02")
                self.mssp[name.decode()] = [v.decode() for v in values]

    def send_subnegotiation(self, option: int, payload: bytes) -> None:
        escaped = payload.replace(bytes([IAC]), bytes([IAC, IAC]))
        self._writer.write(bytes([IAC, SB, option]) + escaped + bytes([IAC, SE]))

    def send_gmcp(self, package: str, data: Any = None) -> None:
        body = package if data is None else f"{package} {json.dumps(data)}"
        self.send_subnegotiation(GMCP, body.encode("utf-8"))

    def resize(self, width: int, height: int = 24) -> None:
        """Tell the server the window's size (NAWS)."""
        self.send_subnegotiation(NAWS, struct.pack("!HH", width, height))

    def gmcp_of(self, package: str) -> list[Any]:
        """The data of every GMCP message of one package received so far."""
        return [data for name, data in self.gmcp if name == package]

    async def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        """Read until condition() holds (a telnet event, not text)."""
        async with asyncio.timeout(timeout):
            while not condition():
                chunk = await self._reader.read(65536)
                if not chunk:
                    raise ConnectionError("closed while waiting for a telnet event")
                self._feed(chunk)

    # -- reading and writing --------------------------------------------------------------------

    def _take(self, end: int) -> str:
        """Consume the text up to end."""
        found, self.text = self.text[:end], self.text[end:]
        self._marks = [at - end for at in self._marks if at > end]
        return found

    async def _read_to(self, find: Callable[[], int | None], timeout: float, what: str) -> str:
        """Read until find() tells where what ends in the text; return and consume it."""
        async with asyncio.timeout(timeout):
            while (end := find()) is None:
                chunk = await self._reader.read(65536)
                if not chunk:
                    raise ConnectionError(f"closed while waiting for {what}; "
                                          f"got {self.text[-300:]!r}")
                self._feed(chunk)
        return self._take(end)

    async def read_until(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait until pattern (a regular expression) appears; return and consume the text up to
        the end of its first match."""
        regex = re.compile(pattern)

        def find() -> int | None:
            match = regex.search(self.text)
            return match.end() if match else None

        return await self._read_to(find, timeout, repr(pattern))

    def _prompt_end(self) -> int | None:
        """Where the first game prompt in the text ends, if one has arrived."""
        if self._marked:
            return next((at for at in self._marks if self.text.endswith(PROMPT, 0, at)), None)
        match = _UNMARKED_PROMPT.search(self.text)
        return match.end() if match else None

    async def read_prompt(self, timeout: float = 10.0) -> str:
        """Wait for the game prompt; return and consume the text up to its end."""
        return await self._read_to(self._prompt_end, timeout, "the prompt")

    async def expect(self, pattern: str, timeout: float = 10.0) -> str:
        """Wait for a message the server sends unasked (someone else's action) and the prompt
        that follows it."""
        found = await self.read_until(pattern, timeout)
        return found + await self.read_prompt(timeout)

    async def read_closed(self, timeout: float = 10.0) -> str:
        """Read until the server closes the connection; return everything left."""
        async with asyncio.timeout(timeout):
            while chunk := await self._reader.read(65536):
                self._feed(chunk)
        return self._take(len(self.text))

    def send(self, line: str) -> None:
        self.send_raw(line.encode("utf-8") + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self._writer.write(data)

    async def drain(self, timeout: float = 10.0) -> str:
        """Consume what the server sent before now (messages caused by others). A timing mark
        (RFC 860) is asked for: the server answers it in turn with its output, so whatever
        arrives before the answer was sent before it, however slow the machine."""
        before = self._timing_marks
        self._writer.write(bytes([IAC, DO, TM]))
        with contextlib.suppress(ConnectionError):  # closed: all it sent has arrived
            await self.wait_for(lambda: self._timing_marks > before, timeout)
        return self._take(len(self.text))

    async def command(self, line: str, timeout: float = 10.0) -> str:
        """Send a command and return its reply, up to the next prompt. Text that arrived
        before the command was sent is set aside first, so it is not taken for the reply."""
        await self.drain()
        self.send(line)
        return await self.read_prompt(timeout)

    async def quit(self) -> str:
        """Leave the game with `quit` and wait for the server to close the connection."""
        self.send("quit")
        self.in_game = False
        return await self.read_closed()

    def abort(self) -> None:
        """Drop the connection at once with a reset, as a crashed client or proxy would."""
        self._writer.transport.abort()

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
        reply = await self.read_prompt(timeout)
        self.in_game = True
        return reply

    async def login(self, username: str, password: str, timeout: float = 10.0) -> str:
        """Log in with the one-line form to an account with one character."""
        await self.read_until("Username: ", timeout)
        self.send(f"connect {username} {password}")
        reply = await self.read_prompt(timeout)
        self.in_game = True
        return reply
