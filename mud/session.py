"""One connection's state machine: banner -> login -> character choice -> playing."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Protocol

from mud import auth
from mud.auth import HashingBusy
from mud.commands import REGISTRY
from mud.commands.context import Confirmation, Context
from mud.commands.dispatch import interpret
from mud.commands.display import prompt_line
from mud.commands.host import PlayerSession, Server
from mud.commands.info import show_room
from mud.feed import GmcpFeed
from mud.game import quests
from mud.game.model import Character
from mud.net import mssp
from mud.net.output import Display
from mud.net.telnet import MAX_LINE_BYTES, LineTooLong, TelnetConnection
from mud.net.wrap import wrap
from mud.store.characters import CharacterSummary, NameTaken
from mud.store.players import Account, AccountExists

if TYPE_CHECKING:
    from mud.cluster.throttle import SharedSignupThrottle
    from mud.ops.staff import Staff
    from mud.world.loader import World

log = logging.getLogger("mud.session")

BANNER = r"""
   ___                            _
  / _ \ _ __ ___ _   _ __      __| |_ ___ _ __
 | (_| | '__/ -_) | | |\ \ /\ / _` / _` |/ -_) '_|
  \___/|_|  \___|\_, | \_\_/\_\__,_\__,_\___|_|
                 |__/    a MUD of essences and ranks
"""
LOGIN_HELP = ("Enter your username, or a new one to create an account.\n"
              "Scripts may use: connect <username> <password>\n"
              "             or: create <username> <password> <email>")
PASSWORD_TRIES = 3
LOGIN_ROUNDS = 10
PROMPT = "> "
BURST_SECONDS = 5.0  # the input bucket holds this many seconds' worth of lines
FLOOD_DROPS = 100  # lines dropped for speed before the connection is cut
MORE_PROMPT = "[more {shown}/{pages}: Enter for more, q to stop] "


class Host(Server, Protocol):
    """The running server as its sessions see it (mud.app.MudServer, which makes them): what
    commands see of it, and the login's and the character's way in and out."""

    signup_throttle: SharedSignupThrottle
    staff: Staff

    async def enter_game(self, session: Session, character_id: uuid.UUID) -> None: ...

    async def leave_game(self, ch: Character, session: Session | None) -> bool: ...

    def link_lost(self, ch: Character, session: Session) -> None: ...

    def mssp_variables(self) -> mssp.Variables: ...


class Disconnected(BaseException):
    """The client went away while the session waited for input. Like a cancellation it is no
    error: a command handler waiting on ask() is ended by it, past dispatch's guard against
    failing handlers, and the session ends cleanly."""


class Session:
    def __init__(self, server: Host, conn: TelnetConnection) -> None:
        self.server = server
        self.conn = conn
        self.display = Display(conn)
        self.gmcp = GmcpFeed(conn, server.game, self)
        self.account: Account | None = None
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
        self._at_prompt = False
        self._asking: str | None = None  # the prompt of a question waiting for its answer
        self._pages: list[str] = []  # what page() has still to show, a screen each
        self._page_count = 0
        self._failed_passwords = 0
        rate = server.settings.input_rate
        self._rate = rate
        self._tokens = rate * BURST_SECONDS
        self._tokens_at = time.monotonic()
        self._dropped = 0

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
            asyncio.get_running_loop().call_soon(self._flush)

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

    # -- input ----------------------------------------------------------------------------------

    async def _readline(self) -> str:
        while True:
            try:
                line = await self.conn.readline()
            except LineTooLong:
                self._at_prompt = False  # the line ended with an Enter too
                self.send(f"That line was too long (over {MAX_LINE_BYTES} bytes) and was "
                          "ignored.")
                continue
            if line is None:
                raise Disconnected()
            self.last_input = time.time()
            self._at_prompt = False  # the player's Enter has already moved to a new line
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
            self.close("Input flood. Disconnecting.")
            raise Disconnected()
        return False

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
                self.conn.write("\r\n")
                self._at_prompt = False

    # -- the whole life of a connection ---------------------------------------------------------

    async def run(self) -> None:
        self._task = asyncio.current_task()
        log.info("event=connect address=%s client=%r negotiation_s=%.2f", self.conn.address,
                 self.conn.terminal.client, self.conn.negotiation_seconds)
        try:
            if self._refused(None, None):
                return
            self.conn.offer_late()
            # a screen reader would spell the drawing out letter by letter
            art = "" if self.conn.terminal.screen_reader else BANNER + "\n"
            self.send(art + LOGIN_HELP)
            try:
                async with asyncio.timeout(self.server.settings.login_timeout):
                    summary = await self._login_and_choose()
            except TimeoutError:
                self.close("Login timed out. Goodbye.")
                return
            if summary is None:
                return
            await self.server.enter_game(self, summary.id)
            if summary.created and self.character is not None:
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
        except HashingBusy:
            self.close("The server is busy with other logins. Please try again in a moment.")
        except Exception:
            log.exception("event=session_failed address=%s", self.conn.address)
            self.send("Something went wrong on the server. Please reconnect.")
        finally:
            self.stop_snooping()
            if self.snooped_by is not None:
                self.snooped_by.send("Your snoop ends: they have disconnected.")
                self.snooped_by.stop_snooping()
            ch = self.character
            if ch is not None:  # still playing it: the link is lost, the character stays
                self.server.link_lost(ch, self)
            self.playing = False
            self.conn.close()
            log.info("event=disconnect address=%s", self.conn.address)

    async def _login_and_choose(self) -> CharacterSummary | None:
        account = await self._login()
        if account is None:
            return None
        if self._refused(account.username, None, account.role):
            return None
        self.account = account
        await self.server.players.update_last_login(account.id)
        log.info("event=login account=%s address=%s", account.username, self.conn.address)
        summary = await self._choose_character(account)
        if summary is None or self._refused(account.username, summary.name, account.role):
            return None
        return summary

    def _refused(self, username: str | None, character: str | None, role: str = "player"
                 ) -> bool:
        """Close the connection, told why, if a ban or the wizlock keeps it out."""
        reason = self.server.staff.refusal(username, character, self.conn.host, role)
        if reason is None:
            return False
        log.warning("event=login_refused address=%s account=%s character=%s reason=%r",
                    self.conn.address, username, character, reason)
        self.close(reason)
        return True

    async def quit(self) -> None:
        ch = self.character
        assert ch is not None
        self.playing = False
        saved = await self.server.leave_game(ch, self)
        self.character = None
        self.close("Your character has been saved. Goodbye!" if saved else
                   "The database is unreachable right now; your character will be saved as "
                   "soon as it returns. Goodbye!")

    # -- login ----------------------------------------------------------------------------------

    async def _login(self) -> Account | None:
        for _ in range(LOGIN_ROUNDS):
            words = (await self.ask("Username: ")).split()
            if not words:
                continue
            if words[0] == "MSSP-REQUEST":  # a MUD crawler asking in plain text
                self.close(mssp.plain_text(self.server.mssp_variables()))
                raise Disconnected()
            verb = words[0].lower()
            if verb == "connect" and len(words) == 3:
                account = await self._check_password(words[1], words[2])
            elif verb == "create" and len(words) == 4:
                account = await self._create_account(*words[1:])
            elif verb in ("connect", "create"):
                self.send(LOGIN_HELP)
                continue
            elif len(words) == 1:
                account = await self._interactive_login(words[0])
            else:
                self.send("A username is one word. " + LOGIN_HELP)
                continue
            if account is not None:
                return account
            if self._failed_passwords >= PASSWORD_TRIES:
                self.close("Too many wrong passwords. Goodbye.")
                return None
        self.close("Too many attempts. Goodbye.")
        return None

    async def _check_password(self, username: str, password: str) -> Account | None:
        if auth.username_problem(username):
            self.send(f"There is no account named '{username[:30]}'.")
            return None
        throttle = self.server.login_throttle
        wait = await throttle.refused_for(username, self.conn.host)
        if wait > 0:
            log.warning("event=login_refused account=%s address=%s", username,
                        self.conn.address)
            self.close(f"Too many failed logins for this account or from your address. "
                       f"Try again in {max(1, round(wait / 60))} minute(s).")
            raise Disconnected()
        account = await self.server.players.by_username(username)
        if account is None:
            self.send(f"There is no account named '{username}'.")
            return None
        if not await self.server.passwords.verify(account.password_hash, password):
            self._failed_passwords += 1
            delay = await throttle.failed(username, self.conn.host)
            log.warning("event=wrong_password account=%s address=%s tries=%d",
                        account.username, self.conn.address, self._failed_passwords)
            await asyncio.sleep(delay)
            self.send("Wrong password.")
            return None
        await throttle.succeeded(username)
        return account

    async def _interactive_login(self, username: str) -> Account | None:
        problem = auth.username_problem(username)
        if problem:
            self.send(problem)
            return None
        if await self.server.players.by_username(username) is None:
            return await self._interactive_create(username)
        while self._failed_passwords < PASSWORD_TRIES:
            password = await self.ask("Password: ", secret=True)
            account = await self._check_password(username, password)
            if account is not None:
                return account
        return None

    async def _interactive_create(self, username: str) -> Account | None:
        refusal = self._too_many_accounts(
            await self.server.signup_throttle.refused_for(self.conn.host))
        if refusal:  # said before the passwords are typed, not after
            self.send(f"There is no account named '{username}'. {refusal}")
            return None
        answer = await self.ask(f"There is no account named '{username}'. Create it? (yes/no) ")
        if answer.lower() not in ("y", "yes"):
            return None
        while True:
            password = await self.ask("Choose a password: ", secret=True)
            problem = auth.password_problem(password)
            if problem:
                self.send(problem)
                continue
            if await self.ask("Repeat the password: ", secret=True) == password:
                break
            self.send("The passwords do not match. Try again.")
        while True:
            email = await self.ask("Email address: ")
            problem = auth.email_problem(email)
            if not problem:
                break
            self.send(problem)
        return await self._create_account(username, password, email)

    async def _create_account(self, username: str, password: str, email: str) -> Account | None:
        problem = (auth.username_problem(username) or auth.password_problem(password)
                   or auth.email_problem(email) or await self._signup_problem(username, email))
        if problem:
            self.send(problem)
            return None
        password_hash = await self.server.passwords.hash(password)
        try:
            account = await self.server.players.create(username, email, password_hash)
        except AccountExists as exc:
            self.send(f"That {exc.field} is already registered.")
            return None
        log.info("event=account_created account=%s address=%s", username, self.conn.address)
        self.send(f"Account '{username}' created.")
        return account

    async def _signup_problem(self, username: str, email: str) -> str | None:
        """Why no account can be made for username and email, found before the password is
        hashed (the costly part a flood of creates would aim at): one of them is taken, or this
        address made too many accounts lately. None: it may be made, and it is counted."""
        taken = await self.server.players.registered(username, email)
        if taken:
            return f"That {taken} is already registered."
        return self._too_many_accounts(await self.server.signup_throttle.admit(self.conn.host))

    def _too_many_accounts(self, wait: float) -> str | None:
        """The refusal when this address must wait `wait` seconds to make an account."""
        if not wait:
            return None
        log.warning("event=signup_refused address=%s", self.conn.address)
        minutes = max(1, round(wait / 60))
        return (f"Too many new accounts from your address. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.")

    # -- character choice -----------------------------------------------------------------------

    async def _choose_character(self, account: Account) -> CharacterSummary | None:
        characters = await self.server.characters.list_for_player(account.id)
        if not characters:
            return await self._new_character(account)
        if len(characters) == 1:
            return characters[0]
        menu = "\n".join(f"  {i}. {c.name} ({c.rank})" for i, c in enumerate(characters, 1))
        for _ in range(LOGIN_ROUNDS):
            self.send(f"Your characters:\n{menu}\nType a number or a name, or 'new'.")
            choice = (await self.ask("Character: ")).strip().lower()
            if choice == "new":
                return await self._new_character(account)
            for index, summary in enumerate(characters, 1):
                if choice in (str(index), summary.name.lower()):
                    return summary
            self.send(f"There is no character '{choice[:30]}' on this account.")
        self.close("Too many attempts. Goodbye.")
        return None

    async def _new_character(self, account: Account) -> CharacterSummary | None:
        self.send(f"Name your new character ({auth.CHARACTER_NAME_RULE}).")
        for _ in range(LOGIN_ROUNDS):
            name = (await self.ask("Character name: ")).strip()
            problem = auth.character_name_problem(name, REGISTRY.words())
            if problem is None and await self.server.characters.name_taken(name):
                problem = f"The name '{name}' is taken."
            if problem:
                self.send(problem)
                continue
            name = name.capitalize()
            try:
                ch = await self.server.characters.create(
                    account.id, name, self.server.world.start_room)
            except NameTaken:
                self.send(f"The name '{name}' is taken.")
                continue
            log.info("event=character_created account=%s character=%s",
                     account.username, name)
            return CharacterSummary(ch.id, ch.name, ch.rank, created=True)
        self.close("Too many attempts. Goodbye.")
        return None

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
