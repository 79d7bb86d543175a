"""One player in the world: the output of its connection (queued, prompted, paged, snooped),
its input (read line by line or as the answer to a question) and its life, playing from the
moment a gateway attaches it with a logged-in account and a chosen character until it quits or
the link drops. The connection itself (telnet, the login, input limits, rendering) is the
gateway's (mud.gateway); here it is a RemoteConnection (mud.worldlink)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, NoReturn, Protocol

from mud.commands.context import Confirmation, Context
from mud.commands.dispatch import interpret
from mud.commands.display import prompt_line
from mud.commands.host import PlayerSession, Server
from mud.commands.info import show_room
from mud.feed import GmcpFeed
from mud.game import quests
from mud.game.model import Character
from mud.net.output import Display
from mud.net.wrap import wrap
from mud.store.players import Account
from mud.store.repository import StoreUnavailable

if TYPE_CHECKING:
    from mud.lifecycle import Lifecycle
    from mud.world.loader import World
    from mud.worldlink import RemoteConnection, Return

log = logging.getLogger("mud.session")

PROMPT = "> "
MORE_PROMPT = "[more {shown}/{pages}: Enter for more, q to stop] "


class Host(Server, Protocol):
    """The running world as its sessions see it (mud.app builds it and them): what commands
    see of it, and the character's way in and out of the game."""

    world: World
    lifecycle: Lifecycle
    returning: Return  # players coming back after a reboot


class Disconnected(BaseException):
    """The session is over: the client went away while it waited for input, or the session
    hung up on it (hang_up). Like a cancellation it is no error: a command handler waiting on
    ask() is ended by it, past dispatch's guard against failing handlers, and the session ends
    cleanly."""


class Session:
    def __init__(self, server: Host, conn: RemoteConnection, account: Account, *,
                 at_prompt: bool = False) -> None:
        """at_prompt: the client shows a prompt already (a previous world's, after a reboot):
        the first output then begins on a new line."""
        self.server = server
        self.conn = conn
        self._loop = asyncio.get_running_loop()  # kept: looking it up is a getpid() call
        self.display = Display(conn)
        self.gmcp = GmcpFeed(conn, server.game, self)
        conn.told = self.told
        conn.hung_up = self.close
        self.account: Account | None = account
        self.character: Character | None = None
        self.playing = False
        self.pending: Confirmation | None = None  # a question the next line answers
        self.channels_off: set[str] = set()  # channels this player turned off
        self.reply_to: str | None = None  # who last sent a tell
        self.snooped_by: PlayerSession | None = None  # a wizard shown what this session sees
        self.snooping: PlayerSession | None = None
        self._task: asyncio.Task[None] | None = None  # the one that reads this connection
        self.connected_at = time.time()
        self.last_input = self.connected_at
        self._out: list[str] = []
        self._flush_pending = False
        self._at_prompt = at_prompt
        self._asking: str | None = None  # the prompt of a question waiting for its answer
        self._pages: list[str] = []  # what page() has still to show, a screen each
        self._page_count = 0

    @property
    def role(self) -> str:
        return self.account.role if self.account else "player"

    # -- output ---------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Queue a message; everything queued in one turn of the event loop goes out in one
        write, followed by the prompt while playing."""
        self._out.append(text)
        if self.snooped_by is not None:
            self.snooped_by.send("\n".join(f"% {line}" for line in text.splitlines()))
        if not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self._flush)

    def _flush(self, prompt: str | None = None) -> None:
        self._flush_pending = False
        if not self._out and prompt is None:
            return
        text = "\n".join(self._out) + "\n" if self._out else ""
        self._out.clear()
        if self._at_prompt and text:
            text = "\n" + text
        if prompt is None and self.playing:
            prompt = self._asking or (self._more_prompt() if self._pages else self.prompt())
        self.display.write(text, prompt or "")
        self._at_prompt = bool(prompt)
        self.gmcp.update()

    def told(self, text: str) -> None:
        """A word from the gateway about the line just typed (too long, too fast): the
        player's Enter has already moved to a new line."""
        self._at_prompt = False
        self.send(text)

    def page(self, text: str) -> None:
        """Send text a screen at a time when the client told its window's height and text,
        wrapped to the width, is taller: the first screen now, the next when the player presses
        Enter (see paged)."""
        height, width = self.conn.terminal.height, self.display.width
        lines = (wrap(text, width) if width else text).split("\n")
        size = height - 1 if height else len(lines)  # a row for the more prompt
        self._pages = ["\n".join(lines[i:i + size]) for i in range(0, len(lines), size)]
        self._page_count = len(self._pages)
        self.send(self._pages.pop(0))

    def paged(self, line: str) -> bool:
        """Whether line answered the more prompt: Enter shows the next screen and q stops. Any
        other line stops the paging too, and is then a command (False)."""
        if not self._pages:
            return False
        answer = line.strip().lower()
        if answer == "":
            self.send(self._pages.pop(0))
        else:
            self._pages.clear()
        if answer == "q":
            self._flush(self.prompt())
        return answer in ("", "q")

    def _more_prompt(self) -> str:
        return MORE_PROMPT.format(shown=self._page_count - len(self._pages),
                                  pages=self._page_count)

    def prompt(self) -> str:
        """The prompt shown while playing: the player's template (or the default one) filled in;
        PROMPT without a character."""
        ch = self.character
        return prompt_line(self.display.prompt, ch) if ch else PROMPT

    # -- snooping -------------------------------------------------------------------------------

    def snoop(self, other: PlayerSession) -> None:
        self.stop_snooping()
        self.snooping, other.snooped_by = other, self

    def stop_snooping(self) -> str | None:
        """Stop watching; the name of who was watched, if anyone."""
        other, self.snooping = self.snooping, None
        if other is None:
            return None
        other.snooped_by = None
        return other.character.name if other.character else "them"

    def leads_to(self, other: PlayerSession) -> bool:
        """Whether this session watches other, directly or through others it watches."""
        seen, at = set(), self.snooping
        while at is not None and id(at) not in seen:
            if at is other:
                return True
            seen.add(id(at))
            at = at.snooping
        return False

    def close(self, reason: str) -> None:
        self.playing = False
        self.send(reason)
        self._flush()
        self.conn.close()

    def hang_up(self, reason: str) -> NoReturn:
        """Close the connection, told why, and end the session there."""
        self.close(reason)
        raise Disconnected()

    # -- input ----------------------------------------------------------------------------------

    async def _readline(self) -> str:
        line = await self.conn.readline()
        if line is None:
            raise Disconnected()
        self.last_input = time.time()
        self._at_prompt = False  # the player's Enter has already moved to a new line
        return line

    def reads_here(self) -> bool:
        """Whether the running code serves this connection's own input, so ask() may take the
        next line (a wizard's force runs in the wizard's task, racing this one for it)."""
        return asyncio.current_task() is self._task

    async def ask(self, prompt: str, secret: bool = False) -> str:
        """The next line typed, as the answer to prompt (which stays the prompt, even under
        messages that arrive meanwhile); secret: the client's echo is off for it."""
        if secret:
            self.conn.echo(False)
        self._asking = prompt
        self._flush(prompt)
        try:
            return await self._readline()
        finally:
            self._asking = None
            if secret:
                self.conn.echo(True)
                self._at_prompt = False

    # -- the whole life of a connection ---------------------------------------------------------

    async def run(self, character_id: uuid.UUID, created: bool, rebooted: bool) -> None:
        """Play character_id until the player quits or the link drops. created: it was just
        made (the player is shown where to start); rebooted: the player was playing it before
        the world rebooted (one line says the world is back)."""
        self._task = asyncio.current_task()
        log.info("event=attach address=%s client=%r account=%s rebooted=%s",
                 self.conn.address, self.conn.terminal.client,
                 self.account.username if self.account else None, rebooted)
        try:
            greeting = [] if rebooted else await self._greeting(character_id)
            try:
                await self.server.lifecycle.enter_game(self, character_id, rebooted=rebooted,
                                                       greeting=greeting)
            finally:
                if rebooted:
                    self.server.returning.back()
            if rebooted:
                await self.server.returning.wait()
            if created and self.character is not None:
                self.send(first_steps(self.server.world, self.character))
            while self.playing:
                line = await self._readline()
                if self.snooped_by is not None:
                    self.snooped_by.send(f"%> {line}")
                if self.paged(line):
                    continue
                if line:
                    await interpret(self.server, self, line)
                else:
                    self._flush(self.prompt())
        except Disconnected:
            pass
        except Exception:
            log.exception("event=session_failed address=%s", self.conn.address)
            self.send("Something went wrong on the server. Please reconnect.")
        finally:
            self.stop_snooping()
            if self.snooped_by is not None:
                self.snooped_by.send("Your snoop ends: they have disconnected.")
                self.snooped_by.stop_snooping()
            ch = self.character
            # still playing it: the link is lost, the character stays (one log line either way)
            if ch is not None and self.server.lifecycle.link_lost(ch, self):
                log.info("event=link_lost character=%s address=%s", ch.name, self.conn.address)
            else:
                log.info("event=detach address=%s", self.conn.address)
            self.playing = False
            self.conn.close()

    async def quit(self) -> None:
        ch = self.character
        assert ch is not None
        self.playing = False
        saved = await self.server.lifecycle.leave_game(ch, self)
        self.character = None
        self.close("Your character has been saved. Goodbye!" if saved else
                   "The database is unreachable right now; your character will be saved as "
                   "soon as it returns. Goodbye!")

    async def _greeting(self, character_id: uuid.UUID) -> list[str]:
        """The message of the day, and the letters waiting, told between welcome and room."""
        lines = [f"Message of the day: {self.server.boards.motd}"] if self.server.boards.motd \
            else []
        try:
            unread = await self.server.mail.unread(character_id)
        except StoreUnavailable:
            return lines  # logged; the letters wait for `mail`
        if unread:
            lines.append(f"You have {unread} unread letter{'s' if unread != 1 else ''}. "
                         "Type 'mail'.")
        return lines

    def show_room(self) -> None:
        ch = self.character
        assert ch is not None
        show_room(Context(self.server, self, ch, ""))



def first_steps(world: World, ch: Character) -> str:
    """What a new character is told after its first look around: who here has work for it,
    and how to find the rest."""
    spawns = world.rooms[ch.room_id].monsters if ch.room_id in world.rooms else ()
    givers = [world.monsters[spawn.id].name for spawn in spawns
              if spawn.id in world.monsters and quests.offered(ch, world.quests, spawn.id)]
    work = (f"{givers[0]}, right here, has work for a newcomer: type 'quest list' to hear it "
            "and 'quest accept 1' to take it on." if givers else
            "Look for work where people gather: 'quest list' shows what is offered there.")
    return (f"New here? {work} 'help' lists the commands ('help <command>' tells more of one), "
            "and the 'newbie' channel is for questions.")
