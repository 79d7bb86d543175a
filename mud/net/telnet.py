"""The telnet listener (telnetlib3 in binary mode) and one connection's line input and output.

The server decodes and encodes itself so that it controls every limit: lines are capped,
invalid UTF-8 is replaced, control bytes are dropped, and a client that stops reading is cut off
instead of growing the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import telnetlib3
from telnetlib3.mud import mssp_encode
from telnetlib3.stream_writer import TelnetWriter
from telnetlib3.telopt import (
    CHARSET,
    CMD_EOR,
    DO,
    ECHO,
    EOR,
    GA,
    GMCP,
    IAC,
    MCCP2_COMPRESS,
    MCCP3_COMPRESS,
    MSSP,
    NAWS,
    NEW_ENVIRON,
    SB,
    SE,
    SGA,
    TM,
    TSPEED,
    TTYPE,
    WILL,
    WONT,
    XDISPLOC,
)

from mud.net.budget import FLOOD_CUTOFF_NOTICE, FLOOD_WARNING, ByteBudget, Verdict
from mud.net.connection import (
    MAX_GMCP_BYTES,
    MAX_LINE_BYTES,
    MAX_OUTPUT_BUFFER,
    Ending,
    LineTooLong,
    clean_text,
)
from mud.net.output import colours_for, rendered
from mud.net.terminal import Colours, Terminal

log = logging.getLogger("mud.net")

READ_CHUNK = 4096
LISTEN_BACKLOG = 2048
NEGOTIATION_WAIT = 0.5  # how long a silent client may delay the banner

_LINE_END = re.compile(rb"\r\n|\r\0|\r|\n")


# Subnegotiations the server acts on. Others (MSDP, MCCP3, ...) are dropped unread: telnetlib3's
# parsers for some of them loop forever or inflate without limit on hostile input.
ACCEPTED_SUBNEGOTIATIONS = frozenset({TTYPE, NAWS, NEW_ENVIRON, CHARSET, TSPEED, XDISPLOC, GMCP})
SUBNEGOTIATION_LIMITS = {GMCP: MAX_GMCP_BYTES, NEW_ENVIRON: 2048}  # bytes; any other: below
SUBNEGOTIATION_LIMIT = 256
# What CHARSET offers, in order of preference, and the codec each means.
CHARSETS = {"UTF-8": "utf-8", "ISO-8859-1": "latin-1", "US-ASCII": "ascii"}
MssSource = Callable[[], dict[str, str | list[str]]]


class GuardedTelnetWriter(TelnetWriter):
    """Ignores subnegotiations the server does not use, oversized and malformed ones; answers
    DO MSSP with the server's status. It does not simulate line-mode special characters (SLC):
    the server reads whole lines, and input is then scanned for IAC alone, not byte by byte."""

    slc_simulated = False
    prompt_mark: bytes | None = None  # what ends a prompt, once worked out (see _check_waiters)

    def _check_waiters(self) -> None:
        """Called by telnetlib3 whenever an option's state changes: the prompt mark may too."""
        self.prompt_mark = None
        super()._check_waiters()

    def handle_subnegotiation(self, buf) -> None:  # type: ignore[no-untyped-def]
        if not buf or buf[0] not in ACCEPTED_SUBNEGOTIATIONS:
            return
        if len(buf) > SUBNEGOTIATION_LIMITS.get(buf[0], SUBNEGOTIATION_LIMIT):
            log.debug("event=subnegotiation_too_long option=%r bytes=%d", buf[0], len(buf))
            return
        try:
            super().handle_subnegotiation(buf)
        except Exception as exc:  # a malformed payload from the client: drop it
            log.debug("event=bad_subnegotiation option=%r error=%r", buf[0], exc)

    def handle_do(self, opt: bytes) -> bool:
        if opt == TM and self.protocol.on_timing_mark is not None:
            self.protocol.on_timing_mark()  # answered once the output before it is written
            return True
        enabled = super().handle_do(opt)
        if opt == MSSP and enabled:
            self.protocol.send_mssp()
        return enabled


_EOR_MARK = IAC + CMD_EOR
_GA_MARK = IAC + GA


def on_the_wire(text: str, encoding: str) -> bytes:
    """Text as telnet sends it: lines end in CR LF, a literal 0xFF (Latin-1 "ÿ") is doubled."""
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode(encoding, errors="replace")
    return data.replace(IAC, IAC + IAC) if IAC[0] in data else data


@lru_cache(maxsize=1024)
def rendered_on_the_wire(text: str, width: int | None, colours: Colours, encoding: str) -> bytes:
    """rendered, then on_the_wire. Cached: a line said to a crowd is made ready once per
    kind of client, not once per listener."""
    return on_the_wire(rendered(text, width, colours), encoding)


class RewritableTransport:
    """A transport whose write may be replaced, as telnetlib3's MCCP2 does to compress all that
    follows; uvloop's transports do not allow it. Everything else is the transport's own."""

    def __init__(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self.write = transport.write  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedTelnetServer(telnetlib3.TelnetServer):
    """telnetlib3's server with a budget on raw input bytes (mud.net.budget; telnet commands
    never reach the line reader, so a flood of them is caught here, before they are parsed)."""

    def __init__(self, *args, bytes_per_second: float, mssp: MssSource,  # type: ignore[no-untyped-def]
                 **kwargs) -> None:
        super().__init__(*args, writer_factory=GuardedTelnetWriter, **kwargs)
        self._budget = ByteBudget(bytes_per_second)
        self._mssp = mssp
        self.terminal = Terminal()
        self._idle_deadline = 0.0
        self.speaks_telnet = False  # the client has sent a telnet command (IAC)
        self.on_terminal_change: Callable[[], None] | None = None  # after NAWS, TTYPE, CHARSET
        # a timing mark (RFC 860) asked for: None answers at once, else it is answered later
        self.on_timing_mark: Callable[[], None] | None = None

    def _terminal_changed(self) -> None:
        if self.on_terminal_change is not None:
            self.on_terminal_change()

    # -- negotiation ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._loop = asyncio.get_running_loop()  # kept: looking it up is a getpid() call
        self.transport_itself = transport  # what telnetlib3 holds is a RewritableTransport
        self._budget.peer = transport.get_extra_info("peername")
        super().connection_made(RewritableTransport(transport))
        assert self.writer is not None
        self.writer.always_dont.add(MCCP3_COMPRESS)  # broken server side in telnetlib3 5.0

    def _check_negotiation_timer(self) -> None:
        """telnetlib3's check, made once negotiation is settled only as a no-op. uvloop reads a new
        connection before it runs what connection_made scheduled (begin_negotiation), so a client's
        first telnet commands can settle negotiation before the first check is even scheduled; that
        check, or its final one at connect_maxwait, must not settle it a second time."""
        if not self._waiter_connected.done():
            super()._check_negotiation_timer()

    def begin_advanced_negotiation(self) -> None:
        """The offers made once the client has shown it speaks telnet. MSSP is not among them:
        clients that ignore it would hold the login back (see offer_late). Nor are SGA and
        BINARY, which stock telnet would act on: WILL SGA switches it to character mode with
        local echo (Enter shows as ^M, Backspace as ^?), and WILL BINARY stops its terminal
        from returning the carriage when it echoes Enter. Without them it edits a line locally
        and sends it whole. Output is 8-bit (UTF-8) all the same, and prompts are marked with
        IAC GA unless the client accepts EOR."""
        writer = self.writer
        assert writer is not None
        for command, option in ((DO, NAWS), (DO, CHARSET), (WILL, EOR), (WILL, GMCP)):
            writer.iac(command, option)
        if writer.get_extra_info("ssl_object") is None:  # no compression under TLS (CRIME)
            writer.iac(WILL, MCCP2_COMPRESS)

    def offer_late(self) -> None:
        """Offers made as the login starts, which nothing waits for."""
        assert self.writer is not None
        self.writer.iac(WILL, MSSP)

    def send_mssp(self) -> None:
        assert self.writer is not None
        self.writer.send_iac(IAC + SB + MSSP + mssp_encode(self._mssp()) + IAC + SE)

    def on_ttype(self, ttype: str) -> None:
        super().on_ttype(ttype)
        answers = []
        while (answer := self.get_extra_info(f"ttype{len(answers) + 1}")) is not None:
            answers.append(answer)
        self.terminal.on_ttype(answers)
        self._terminal_changed()

    def on_naws(self, rows: int, cols: int) -> None:
        super().on_naws(rows, cols)
        self.terminal.on_naws(cols, rows)
        self._terminal_changed()

    def on_request_charset(self) -> list[str]:
        return list(CHARSETS)

    def on_charset(self, charset: str) -> None:
        super().on_charset(charset)
        self.terminal.charset = CHARSETS.get(charset.upper())
        self._terminal_changed()

    def end_compression(self) -> None:
        """Finish the MCCP2 stream, if one runs, so the client sees a clean end."""
        if self._mccp2_compressor is not None:
            self._mccp2_end()

    # -- idle timeout ---------------------------------------------------------------------------

    def set_timeout(self, duration: int = -1) -> None:
        """telnetlib3's idle timeout (on_timeout closes), without a new timer for every read:
        input moves the deadline, and the one timer, when it fires before it, waits again."""
        if duration == -1:
            duration = self.get_extra_info("timeout")
        if not duration:
            super().set_timeout(duration)  # cancels the timer
            self._timer = None
            return
        self._extra["timeout"] = duration
        self._idle_deadline = self._loop.time() + duration
        if self._timer is None:
            self._idle_timer()

    def _idle_timer(self) -> None:
        self._timer = self._loop.call_at(self._idle_deadline, self._idle_check)
        self._tasks.append(self._timer)

    def _idle_check(self) -> None:
        self._tasks.remove(self._timer)
        self._timer = None
        if self._loop.time() < self._idle_deadline:
            self._idle_timer()
        else:
            self.on_timeout()

    # -- input budget ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not self._within_budget(len(data)):
            return
        if not self.speaks_telnet and IAC in data:
            self.speaks_telnet = True
            self.writer.prompt_mark = None
        super().data_received(data)

    def _within_budget(self, size: int) -> bool:
        verdict = self._budget.take(size)
        if verdict is Verdict.TAKE:
            return True
        transport = self._transport
        if transport is None or transport.is_closing():
            return False
        if verdict is Verdict.WARN:
            transport.write(f"\r\n{FLOOD_WARNING}\r\n".encode())
        elif verdict is Verdict.CUT:
            transport.write(f"\r\n{FLOOD_CUTOFF_NOTICE}\r\n".encode())
            transport.close()
        return False


class TelnetConnection:
    """A telnet connection (mud.net.connection.Connection)."""

    resume_token = None  # telnet clients log in again after a drop

    def __init__(self, reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._loop = asyncio.get_running_loop()  # kept: looking it up is a getpid() call
        self._protocol: GuardedTelnetServer = writer.protocol
        self._transport = self._protocol.transport_itself
        self.terminal = self._protocol.terminal
        self.negotiation_seconds = self._protocol.duration  # how long the login waited for it
        self.on_gmcp: Callable[[str, Any], None] | None = None  # messages the client sends
        writer.set_ext_callback(GMCP, self._gmcp_received)
        self._buffer = bytearray()
        self._discarding = False  # the current line is over the limit: dropped up to its end
        self._after_cr = False  # the last line ended at a CR that was the last byte read
        self.closed = False
        self.kind = "telnet" if writer.get_extra_info("ssl_object") is None else "tls"
        self._unsent: list[bytes] = []  # written in this turn of the loop, sent at its end
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        self.address = f"{self.host}:{peer[1]}" if isinstance(peer, tuple) else self.host

    async def readline(self) -> str | None:
        """The next input line as clean text, or None when the client has gone.

        A line ends at CR LF, LF, CR NUL or a lone CR (RFC 854; stock telnet in character mode
        sends CR NUL, some clients a bare CR), each counted once even when its two bytes arrive
        in different reads. A line longer than MAX_LINE_BYTES raises LineTooLong, however its
        bytes were split: it is discarded whole, up to its end.
        """
        while True:
            if self._after_cr and self._buffer[:1] in (b"\n", b"\0"):
                del self._buffer[:1]  # the second byte of a CR LF or CR NUL read earlier
            if self._buffer:
                self._after_cr = False
            end = _LINE_END.search(self._buffer)
            if end is not None:
                raw = bytes(self._buffer[:end.start()])
                if end.end() == len(self._buffer) and end[0] == b"\r":
                    self._after_cr = True  # its LF or NUL may be in the next read
                del self._buffer[:end.end()]
                if self._discarding or len(raw) > MAX_LINE_BYTES:
                    self._discarding = False
                    raise LineTooLong()
                return clean_text(raw.replace(b"\0", b""), self.terminal.encoding)
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

    def write(self, text: str, prompt: bool = False) -> None:
        """Text to the client; prompt: it ends with a prompt, to be marked."""
        data = on_the_wire(text, self.terminal.encoding)
        self._send(data + self._prompt_mark() if prompt else data)

    def show(self, text: str, prompt: str, colour: bool | None) -> None:
        """Text with markup, then a prompt (if any), rendered for this client: wrapped to its
        width and coloured as it can show or as the player chose (colour; None: as the client
        announced)."""
        terminal = self.terminal
        colours, encoding = colours_for(terminal.colours, colour), terminal.encoding
        data = rendered_on_the_wire(text, terminal.width, colours, encoding)
        if prompt:
            data += rendered_on_the_wire(prompt, None, colours, encoding) + self._prompt_mark()
        self._send(data)

    def _send(self, data: bytes) -> None:
        """What is written in one turn of the event loop goes out in one system call at its
        end: a gateway that falls behind a crowd's chatter then sends each player several
        lines at once, not one by one."""
        if self.closed:
            return
        if self._transport.get_write_buffer_size() > MAX_OUTPUT_BUFFER:
            log.warning("event=slow_client_dropped address=%s", self.address)
            self.close()
            return
        if not self._unsent:
            self._loop.call_soon(self._send_unsent)
        self._unsent.append(data)

    def _send_unsent(self) -> None:
        """Send what write queued, before anything else goes to the client (telnet commands,
        GMCP, the close), so that everything arrives in the order it was written."""
        if self._unsent:
            unsent = self._unsent
            self._unsent = []
            if not self.closed:
                self._writer.send_iac(unsent[0] if len(unsent) == 1 else b"".join(unsent))

    def answer_timing_mark(self) -> None:
        """Answer a timing mark: everything written before it has been written. (Sent as is:
        telnetlib3's iac() would skip it while an earlier answer counts as pending.)"""
        if not self.closed:
            self._send_unsent()
            self._writer.send_iac(IAC + WILL + TM)

    def watch(self, terminal_changed: Callable[[], None], timing_mark: Callable[[], None]
              ) -> None:
        """Be told when the client tells more of itself (NAWS, TTYPE, CHARSET), and asked for
        timing marks, which then wait for answer_timing_mark."""
        self._protocol.on_terminal_change = terminal_changed
        self._protocol.on_timing_mark = timing_mark

    def _prompt_mark(self) -> bytes:
        """IAC EOR for a client that accepted EOR, else IAC GA for a telnet client that did not
        suppress go-ahead; nothing for a bare socket. Worked out again only after the options
        change."""
        writer = self._writer
        if writer.prompt_mark is None:
            if writer.local_option.enabled(EOR):
                writer.prompt_mark = _EOR_MARK
            elif self._protocol.speaks_telnet and not writer.local_option.enabled(SGA):
                writer.prompt_mark = _GA_MARK
            else:
                writer.prompt_mark = b""
        return writer.prompt_mark

    def offer_late(self) -> None:
        """Make the offers nothing waits for (MSSP), once the connection is accepted."""
        self._protocol.offer_late()

    @property
    def gmcp(self) -> bool:
        """Whether the client accepted GMCP."""
        return bool(self._writer.local_option.enabled(GMCP)
                    or self._writer.remote_option.enabled(GMCP))

    def send_gmcp(self, package: str, data: Any) -> None:
        if not self.closed and self.gmcp:
            self._send_unsent()
            self._writer.send_gmcp(package, data)

    def _gmcp_received(self, package: str, data: Any) -> None:
        if self.on_gmcp is not None:
            self.on_gmcp(package, data)

    def echo(self, enabled: bool) -> None:
        """Turn the client's local echo on or off (off for passwords: the server says WILL ECHO
        and then echoes nothing). Turned back on, the line is ended: the client did not show
        the Enter that ended the password."""
        if not self.closed:
            self._send_unsent()
            self._writer.iac(WONT if enabled else WILL, ECHO)
            if enabled:
                self.write("\n")

    def close(self, ending: Ending = Ending.OVER) -> None:
        """Close (telnet has no way to say why: ending is for web clients)."""
        if not self.closed:
            self._send_unsent()
            self.closed = True
            self._protocol.end_compression()
            self._writer.close()


async def start_listener(host: str, port: int, idle_timeout: float, bytes_per_second: float,
                         handler: Callable[[TelnetConnection], Awaitable[None]], mssp: MssSource,
                         tls: ssl.SSLContext | None = None
                         ) -> asyncio.Server:
    """Listen with telnetlib3's protocol and a large backlog, so bursts of connects all land."""

    async def shell(reader: telnetlib3.TelnetReader, writer: telnetlib3.TelnetWriter) -> None:
        conn = TelnetConnection(reader, writer)
        try:
            await handler(conn)
        finally:
            conn.close()

    def factory() -> asyncio.Protocol:
        return GuardedTelnetServer(shell=shell, encoding=False, force_binary=True,
                                   line_mode=True, connect_maxwait=NEGOTIATION_WAIT,
                                   compression=True, timeout=int(idle_timeout) or False,
                                   bytes_per_second=bytes_per_second, mssp=mssp)

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host, port, backlog=LISTEN_BACKLOG,
                                    reuse_address=True, ssl=tls)
