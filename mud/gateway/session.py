"""One connection in a gateway: its input (limited, read line by line), the login (mud.login)
and then its seat in the world: lines go to the world, which answers with output to render.
While the world is away (rebooting, restarting) the lines typed wait here, in order, a bounded
number of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, NoReturn

from mud.auth import HashingBusy
from mud.login import Login
from mud.net.connection import MAX_LINE_BYTES, Connection, Ending, LineTooLong
from mud.net.output import Display
from mud.net.websocket import WebConnection
from mud.store.players import Account

if TYPE_CHECKING:
    from mud.gateway.server import Gateway

log = logging.getLogger("mud.session")

BURST_SECONDS = 5.0  # the input bucket holds this many seconds' worth of lines
FLOOD_DROPS = 100  # lines dropped for speed before the connection is cut
QUEUED_LINES = 20  # lines kept while the world is away
HANG_UP_WAIT = 5.0  # seconds the world has to close a connection it was asked to
GMCP_KEPT = 20  # Core.* GMCP messages kept to tell each new world what the client supports


class Disconnected(BaseException):
    """The connection is over (the client went away, or it was hung up on)."""


class GatewaySession:
    def __init__(self, gateway: Gateway, conn: Connection, conn_id: int) -> None:
        self.gateway = gateway
        self.conn = conn
        self.id = conn_id
        self.display = Display(conn)
        self.account: Account | None = None
        self.character_id: uuid.UUID | None = None
        self.created = False  # the character was made in this login
        self.attached = False  # the world has this connection
        self.played = False  # a world has played it: the next attach follows a reboot
        self.connected_at = time.time()
        self.last_input = self.connected_at
        self.waiting: deque[str] = deque()  # lines typed while the world is away
        self.core_gmcp: deque[tuple[str, Any]] = deque(maxlen=GMCP_KEPT)
        self.resume_token: str | None = None  # the token a web client may play on with
        self._closing = False
        self._hung_up = False  # the world was asked to close the connection
        self._world_closed = asyncio.Event()
        rate = gateway.settings.input_rate
        self._rate = rate
        self._tokens = rate * BURST_SECONDS
        self._tokens_at = time.monotonic()
        self._dropped = 0
        self.marks = 0  # timing marks the world has still to answer
        self.at_prompt = False  # the client shows a prompt the world sent
        conn.on_gmcp = self._gmcp_received
        conn.watch(self._terminal_changed, self._timing_mark)

    # -- output during the login ----------------------------------------------------------------

    def send(self, text: str) -> None:
        """A message from the gateway itself: while the world plays the connection it goes
        through the world, in turn with the game's output and followed by the prompt."""
        if self.attached and self.gateway.link is not None:
            self.gateway.world_send("tell", self.id, text)
        else:
            self.display.write(text + "\n")

    def notify(self, text: str) -> None:
        """A word from the gateway itself about the world (rebooting, away, back), written at
        once: on a line of its own, after the prompt the client may be showing."""
        self.display.write(("\n" if self.at_prompt else "") + text + "\n")
        self.at_prompt = False

    def show(self, text: str, prompt: str, colour: bool | None) -> None:
        """Output from the world."""
        self.conn.show(text, prompt, colour)
        if text or prompt:
            self.at_prompt = bool(prompt)

    def close(self, reason: str, ending: Ending = Ending.OVER) -> None:
        if reason:
            self.display.write(reason + "\n")
        self._closing = True
        self.conn.close(ending)

    def hang_up(self, reason: str) -> NoReturn:
        """Close the connection, told why, and end the session there. While the world plays
        it, the world closes it, after the output it has sent so far."""
        if self.attached and self.gateway.link is not None:
            self.gateway.world_send("hangup", self.id, reason)
            self._hung_up = True
        else:
            self.close(reason)
        raise Disconnected()

    async def ask(self, prompt: str, secret: bool = False) -> str:
        if secret:
            self.conn.echo(False)
        self.display.write("", prompt)
        try:
            return await self._readline()
        finally:
            if secret:
                self.conn.echo(True)

    # -- input ----------------------------------------------------------------------------------

    async def _readline(self) -> str:
        while True:
            try:
                line = await self.conn.readline()
            except LineTooLong:
                self.send(f"That line was too long (over {MAX_LINE_BYTES} bytes) and was "
                          "ignored.")
                continue
            if line is None:
                raise Disconnected()
            self.last_input = time.time()
            self.at_prompt = False  # the player's Enter has moved to a new line
            if self._within_rate():
                return line

    def _within_rate(self) -> bool:
        """Token bucket on input lines: a burst is fine, a flood is warned, then cut off."""
        if not self._rate:
            return True
        now = time.monotonic()
        self._tokens = min(self._rate * BURST_SECONDS,
                           self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            if self._tokens >= self._rate:  # a second's worth left: any flood is over
                self._dropped = 0
            return True
        self._dropped += 1
        if self._dropped == 1:
            self.send("You are sending too fast; lines are being dropped. Slow down.")
        elif self._dropped >= FLOOD_DROPS:
            log.warning("event=input_flood address=%s", self.conn.address)
            self.hang_up("Input flood. Disconnecting.")
        return False

    def _gmcp_received(self, package: str, data: Any) -> None:
        if package.lower().startswith("core."):
            self.core_gmcp.append((package, data))
        if self.attached:
            self.gateway.world_send("gmcp", self.id, package, data)

    def _timing_mark(self) -> None:
        """A client asks for a timing mark (RFC 860): while the world plays this connection, it
        is answered after the output the world has made so far (the world returns the mark
        in turn with that output, see answer_marks)."""
        if self.attached and self.gateway.link is not None:
            self.marks += 1
            self.gateway.world_send("mark", self.id)
        else:
            self.conn.answer_timing_mark()

    def answer_marks(self, count: int = 1) -> None:
        count = min(count, self.marks)
        self.marks -= count
        for _ in range(count):
            self.conn.answer_timing_mark()

    def _terminal_changed(self) -> None:
        if self.attached:
            self.gateway.world_send("caps", self.id, self.conn.terminal.to_dict(),
                                    self.conn.gmcp)

    def attach_message(self) -> list[Any]:
        """What the world is told to play this connection."""
        assert self.account is not None and self.character_id is not None
        account = self.account
        return ["attach", self.id, {
            "account": {"id": str(account.id), "username": account.username,
                        "role": account.role},
            "character": str(self.character_id), "created": self.created and not self.played,
            "rebooted": self.played, "address": self.conn.address, "host": self.conn.host,
            "caps": self.conn.terminal.to_dict(), "gmcp": self.conn.gmcp,
            "at_prompt": self.at_prompt}]

    # -- from the world -------------------------------------------------------------------------

    def closed_by_world(self) -> None:
        """The world ended the session (quit, kicked, banned, taken over, a shutdown): close.
        Unless the server is only going down (a web client comes back once it is up), the
        token to resume the session is void."""
        self.attached = False
        self._closing = True
        self._world_closed.set()
        going_away = self.gateway.world_shut_down
        self.conn.close(Ending.GOING_AWAY if going_away else Ending.OVER)
        if self.resume_token is not None and not going_away:
            self.gateway.spawn(self.gateway.resumptions.revoke(self.resume_token))
            self.resume_token = None

    async def _offer_resume(self) -> None:
        """A web client gets a token to play on with should its socket drop."""
        assert self.account is not None and self.character_id is not None
        if isinstance(self.conn, WebConnection):
            self.resume_token = await self.gateway.resumptions.issue(self.account.id,
                                                                     self.character_id)
            self.conn.offer_resume(self.resume_token)

    # -- the whole life of a connection ---------------------------------------------------------

    async def run(self) -> None:
        log.info("event=connect address=%s client=%r negotiation_s=%.2f", self.conn.address,
                 self.conn.terminal.client, self.conn.negotiation_seconds)
        try:
            summary = await Login(self, self.gateway).run()
            if summary is None:
                return
            self.character_id, self.created = summary.id, summary.created
            await self._offer_resume()
            self.gateway.seat(self)
            while not self._closing:
                line = await self._readline()
                self.gateway.forward(self, line)
        except Disconnected:
            pass
        except HashingBusy:
            self.close("The server is busy with other logins. Please try again in a moment.")
        except Exception:
            log.exception("event=session_failed address=%s", self.conn.address)
            self.send("Something went wrong on the server. Please reconnect.")
        finally:
            if self._hung_up:  # the world's goodbye, then the close (or give up waiting)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(HANG_UP_WAIT):
                        await self._world_closed.wait()
            self.gateway.unseat(self)
            self.conn.close()
            log.info("event=disconnect address=%s", self.conn.address)
