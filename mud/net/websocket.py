"""A player's connection over a WebSocket (the web client): the game session a telnet client
gets, in JSON messages instead of telnet bytes (mud/web/PROTOCOL.md). Output is colour runs the
client draws, the prompt a message of its own, GMCP plain JSON, echo off "the next input is a
password". The limits are telnet's: a line's length, the input budget, a client that stops
reading is cut off."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aiohttp import WSMsgType, web

from mud.net.budget import FLOOD_CUTOFF_NOTICE, FLOOD_WARNING, ByteBudget, Verdict
from mud.net.colour import runs
from mud.net.connection import (
    MAX_GMCP_BYTES,
    MAX_LINE_BYTES,
    MAX_OUTPUT_BUFFER,
    Ending,
    LineTooLong,
    clean_line,
)
from mud.net.output import colours_for, wrapped
from mud.net.terminal import Colours, Mtts, Terminal

log = logging.getLogger("mud.net")

MAX_FRAME = 64 * 1024  # bytes of one frame from the client; a longer one closes with 1009
HELLO_WAIT = 2.0  # seconds the banner waits for the client's hello
CLOSE_WAIT = 5.0  # seconds the output before a close has to reach the client
CLOSE_CODES = {Ending.OVER: 1000, Ending.GOING_AWAY: 1001, Ending.REFUSED: 1008}
# what the web client can show: true colour, UTF-8 (the screen-reader bit is its setting)
WEB_MTTS = Mtts.ANSI | Mtts.UTF8 | Mtts.COLOURS_256 | Mtts.TRUECOLOR
NOT_UNDERSTOOD = "That message was not understood (the web client sends JSON arrays)."
NO_BINARY = "Binary messages are not accepted: the game speaks text."


def _json(message: list[Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=1024)
def runs_message(kind: str, text: str, width: int | None, colours: Colours) -> str:
    """A text or prompt message ready to send, wrapped to width (None: not wrapped). Cached: a
    line said to a crowd is made once per kind of client, not once per listener."""
    return _json([kind, runs(wrapped(text, width), colours)])


def web_terminal(screen_reader: bool = False) -> Terminal:
    terminal = Terminal(client="MUD-WEB", term="WEB-TRUECOLOR")
    terminal.mtts = WEB_MTTS | (Mtts.SCREEN_READER if screen_reader else Mtts(0))
    return terminal


class WebConnection:
    """One WebSocket (mud.net.connection.Connection). Messages written in one turn of the event
    loop go out as one frame, in order, from a writer task of its own (woken once a turn, it
    waits when the client reads slowly)."""

    kind = "web"

    def __init__(self, ws: web.WebSocketResponse, host: str, port: int, idle_timeout: float,
                 bytes_per_second: float) -> None:
        self._ws = ws
        self._loop = asyncio.get_running_loop()
        self.terminal = web_terminal()
        self.host = host
        self.address = f"{host}:{port}"
        self.closed = False
        self.negotiation_seconds = 0.0
        self.resume_token: str | None = None
        self.on_gmcp: Callable[[str, Any], None] | None = None
        self._terminal_changed: Callable[[], None] | None = None
        self._budget = ByteBudget(bytes_per_second, self.address)
        self._early: deque[list[Any]] = deque()  # read while waiting for the hello
        self._unsent: list[str] = []  # messages not yet handed to the socket
        self._queued = 0  # characters in _unsent
        self._ready = asyncio.Event()
        self._ending: Ending | None = None
        self._writer = asyncio.create_task(self._write_frames())
        # the idle timeout: one timer, moved on by input (a timeout on every read costs a timer
        # for every line)
        self._idle_timeout = idle_timeout
        self._idle_deadline = self._loop.time() + idle_timeout
        self._idle_timer = self._loop.call_at(self._idle_deadline, self._idle_check) \
            if idle_timeout else None

    # -- the start --------------------------------------------------------------------------------

    async def greet(self) -> None:
        """Wait (HELLO_WAIT at most) for the client's hello: whether it uses a screen reader,
        and the token it resumes with. Anything else it sends first is read in turn later."""
        started = self._loop.time()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HELLO_WAIT):
                while (message := await self._receive()) is not None:
                    if message[0] == "hello":
                        self._hello(message[1:], first=True)
                        break
                    self._early.append(message)
        self.negotiation_seconds = self._loop.time() - started

    def _hello(self, fields: list[Any], first: bool = False) -> None:
        """What the client says of itself: whether a screen reader reads it, how many columns
        its output shows (text is wrapped to them, as for NAWS), the token it resumes with."""
        about = fields[0] if fields and isinstance(fields[0], dict) else {}
        self.terminal.mtts = WEB_MTTS | (
            Mtts.SCREEN_READER if about.get("screen_reader") is True else Mtts(0))
        width = about.get("width")
        self.terminal.on_naws(width if isinstance(width, int) and 0 < width < 10_000 else 0)
        token = about.get("resume")
        if first and isinstance(token, str) and 0 < len(token) <= 100:
            self.resume_token = token
        if not first and self._terminal_changed is not None:
            self._terminal_changed()

    # -- input ------------------------------------------------------------------------------------

    async def readline(self) -> str | None:
        while not self.closed:
            message = self._early.popleft() if self._early else await self._receive()
            if message is None:
                break
            kind, fields = message[0], message[1:]
            if kind == "input" and len(fields) == 1 and isinstance(fields[0], str):
                if len(fields[0].encode("utf-8", errors="replace")) > MAX_LINE_BYTES:
                    raise LineTooLong()
                return clean_line(fields[0])
            if kind == "gmcp" and len(fields) == 2 and isinstance(fields[0], str):
                if self.on_gmcp is not None:
                    self.on_gmcp(fields[0][:100], fields[1])
            elif kind == "hello":
                self._hello(fields)
            else:
                self.write(NOT_UNDERSTOOD + "\n")
        self.closed = True
        return None

    async def _receive(self) -> list[Any] | None:
        """The next message the client sent, [kind, ...fields]; None once it has gone."""
        while True:
            msg = await self._ws.receive()
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return None  # closed, closing, or an error (a frame over MAX_FRAME: 1009)
            self._idle_deadline = self._loop.time() + self._idle_timeout
            verdict = self._budget.take(len(msg.data))
            if verdict is Verdict.WARN:
                self.write(FLOOD_WARNING + "\n")
            elif verdict is Verdict.CUT:
                self.write(FLOOD_CUTOFF_NOTICE + "\n")
                self.close(Ending.REFUSED)
                return None
            if verdict is not Verdict.TAKE:
                continue
            if msg.type == WSMsgType.BINARY:
                self.write(NO_BINARY + "\n")
                continue
            try:
                message = json.loads(msg.data)
            except ValueError:
                message = None
            if not (isinstance(message, list) and message and isinstance(message[0], str)):
                self.write(NOT_UNDERSTOOD + "\n")
            elif message[0] != "gmcp" or len(msg.data) <= MAX_GMCP_BYTES:
                return message  # (an oversized GMCP message is dropped, as over telnet)

    # -- output -----------------------------------------------------------------------------------

    @property
    def gmcp(self) -> bool:
        return True  # the web client reads GMCP for its panels

    def write(self, text: str, prompt: bool = False) -> None:
        """Plain text (prompt: it is the prompt)."""
        self._send(_json(["prompt" if prompt else "text", [[text, "", ""]]]))

    def show(self, text: str, prompt: str, colour: bool | None) -> None:
        terminal = self.terminal
        colours = colours_for(terminal.colours, colour)
        if text:
            self._send(runs_message("text", text, terminal.width, colours))
        if prompt:
            self._send(runs_message("prompt", prompt, None, colours))

    def send_gmcp(self, package: str, data: Any) -> None:
        self._send(_json(["gmcp", package, data]))

    def echo(self, enabled: bool) -> None:
        self._send(_json(["echo", enabled]))

    def offer_late(self) -> None:
        """Nothing is offered late: the web client says what it is in its hello."""

    def offer_resume(self, token: str | None) -> None:
        self._send(_json(["resume", token]))

    def watch(self, terminal_changed: Callable[[], None], timing_mark: Callable[[], None]
              ) -> None:
        """A later hello (the window resized, the screen-reader setting changed) is a change of
        the terminal; the web client asks no timing marks."""
        self._terminal_changed = terminal_changed

    def answer_timing_mark(self) -> None:
        """Never asked (see watch)."""

    def _send(self, message: str) -> None:
        if self.closed:
            return
        if self._queued > MAX_OUTPUT_BUFFER:
            log.warning("event=slow_client_dropped address=%s kind=web", self.address)
            self.close(Ending.REFUSED)
            return
        self._unsent.append(message)
        self._queued += len(message)
        self._ready.set()

    async def _write_frames(self) -> None:
        """Everything written since the last frame, as one frame; then the close, if asked."""
        ws = self._ws
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self._unsent:
                    unsent, self._unsent, self._queued = self._unsent, [], 0
                    await ws.send_str("[" + ",".join(unsent) + "]")
                if self._ending is not None and not self._unsent:
                    await ws.close(code=CLOSE_CODES[self._ending])
                    return
        except (ConnectionError, RuntimeError):  # the socket went first
            self.closed = True

    def _idle_check(self) -> None:
        if self.closed:
            return
        if self._loop.time() < self._idle_deadline:
            self._idle_timer = self._loop.call_at(self._idle_deadline, self._idle_check)
            return
        self.write("You have been idle too long. Goodbye.\n")
        self.close()

    def close(self, ending: Ending = Ending.OVER) -> None:
        """Close once what was written has gone, with the close code that tells the client
        whether to reconnect."""
        if self._ending is None:
            self.closed = True
            self._ending = ending
            self._ready.set()

    async def finish(self) -> None:
        """Close (if nothing has) and wait, CLOSE_WAIT at most, for the output to go."""
        self.close()
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await asyncio.shield(self._writer)
        except TimeoutError:
            self._writer.cancel()
