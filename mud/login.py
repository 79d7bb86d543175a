"""A connection's way into the game, in the gateway that holds it: the banner, logging in to an
account (or making one, one line for scripts or question by question), then choosing a
character (or naming a new one). Bans and the wizlock are checked at each step: by address, by
account, by character. Passwords are hashed here, so their cost spreads over the gateways."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, NoReturn, Protocol

from mud import auth
from mud.commands import REGISTRY
from mud.net import mssp
from mud.net.connection import Ending
from mud.store.characters import CharacterSummary, NameTaken
from mud.store.players import Account, AccountExists

if TYPE_CHECKING:
    from mud.auth import Passwords
    from mud.cluster.resume import Resumptions
    from mud.cluster.throttle import SharedLoginThrottle, SharedSignupThrottle
    from mud.config import Settings
    from mud.net.connection import Connection
    from mud.store.characters import CharacterRepository
    from mud.store.players import PlayerRepository

log = logging.getLogger("mud.session")  # the connection's log lines, as operators filter them

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


class Refusals(Protocol):
    """Bans and the wizlock (mud.ops.staff.Gatekeeper)."""

    def refusal(self, username: str | None, character: str | None, host: str,
                role: str = "player") -> str | None:
        """Why a connection may not go on, or None."""


class Gate(Protocol):
    """What a login reaches of the gateway."""

    settings: Settings
    players: PlayerRepository
    characters: CharacterRepository
    passwords: Passwords
    login_throttle: SharedLoginThrottle
    signup_throttle: SharedSignupThrottle
    refusals: Refusals  # asked whether a ban or the wizlock keeps the connection out
    resumptions: Resumptions  # web clients playing on after a dropped socket

    @property
    def start_room(self) -> str:
        """Where new characters start (the world says; "" places them there on entry)."""

    def mssp_variables(self) -> mssp.Variables: ...

    async def bans_settled(self) -> None:
        """Wait until a change of the bans announced meanwhile has been read."""


class Door(Protocol):
    """The connection logging in (mud.session.Session)."""

    conn: Connection
    account: Account | None

    def send(self, text: str) -> None: ...

    def close(self, reason: str, ending: Ending = Ending.OVER) -> None: ...

    def hang_up(self, reason: str) -> NoReturn:
        """Close the connection, told why, and end the session there."""
        ...

    async def ask(self, prompt: str, secret: bool = False) -> str: ...


class Login:
    def __init__(self, session: Door, server: Gate) -> None:
        self.session = session
        self.server = server
        self.failed_passwords = 0

    async def run(self) -> CharacterSummary | None:
        """The character the connection is to play, once logged in and chosen (or made); None
        when the connection was closed instead, told why."""
        conn = self.session.conn
        if self.refused(None, None):
            return None
        conn.offer_late()
        if not conn.resume_token:  # a web client playing on after a drop is not greeted again
            # a screen reader would spell the drawing out letter by letter
            art = "" if conn.terminal.screen_reader else BANNER + "\n"
            self.session.send(art + LOGIN_HELP)
        try:
            async with asyncio.timeout(self.server.settings.login_timeout):
                return await self._login_and_choose()
        except TimeoutError:
            self.session.close("Login timed out. Goodbye.")
            return None

    async def _login_and_choose(self) -> CharacterSummary | None:
        resumed = await self._resumed()
        account = resumed[0] if resumed else await self._login()
        if account is None:
            return None
        await self.server.bans_settled()
        if self.refused(account.username, None, account.role):
            return None
        self.session.account = account
        await self.server.players.update_last_login(account.id)
        log.info("event=login account=%s address=%s resumed=%s", account.username,
                 self.session.conn.address, resumed is not None)
        summary = resumed[1] if resumed else await self._choose_character(account)
        await self.server.bans_settled()
        if summary is None or self.refused(account.username, summary.name, account.role):
            return None
        return summary

    def refused(self, username: str | None, character: str | None, role: str = "player"
                ) -> bool:
        """Close the connection, told why, if a ban or the wizlock keeps it out."""
        conn = self.session.conn
        reason = self.server.refusals.refusal(username, character, conn.host, role)
        if reason is None:
            return False
        log.warning("event=login_refused address=%s account=%s character=%s reason=%r",
                    conn.address, username, character, reason)
        self.session.close(reason, Ending.REFUSED)
        return True

    async def _resumed(self) -> tuple[Account, CharacterSummary] | None:
        """The account and character a web client's resume token names (it played them before
        its socket dropped); None without a token, or when the token is spent or lapsed (the
        player is told, and logs in)."""
        token = self.session.conn.resume_token
        if not token:
            return None
        claim = await self.server.resumptions.redeem(token)
        if claim is not None and (
                account := await self.server.players.by_id(claim.account_id)) is not None:
            for summary in await self.server.characters.list_for_player(account.id):
                if summary.id == claim.character_id:
                    return account, summary
        self.session.send("Your earlier session has ended; please log in again.\n" + LOGIN_HELP)
        return None

    # -- the account ----------------------------------------------------------------------------

    async def _login(self) -> Account | None:
        session = self.session
        for _ in range(LOGIN_ROUNDS):
            words = (await session.ask("Username: ")).split()
            if not words:
                continue
            if words[0] == "MSSP-REQUEST":  # a MUD crawler asking in plain text
                session.hang_up(mssp.plain_text(self.server.mssp_variables()))
            verb = words[0].lower()
            if verb == "connect" and len(words) == 3:
                account = await self._check_password(words[1], words[2])
            elif verb == "create" and len(words) == 4:
                account = await self._create_account(*words[1:])
            elif verb in ("connect", "create"):
                session.send(LOGIN_HELP)
                continue
            elif len(words) == 1:
                account = await self._interactive_login(words[0])
            else:
                session.send("A username is one word. " + LOGIN_HELP)
                continue
            if account is not None:
                return account
            if self.failed_passwords >= PASSWORD_TRIES:
                session.close("Too many wrong passwords. Goodbye.")
                return None
        session.close("Too many attempts. Goodbye.")
        return None

    async def _check_password(self, username: str, password: str) -> Account | None:
        session, address = self.session, self.session.conn.address
        if auth.username_problem(username):
            session.send(f"There is no account named '{username[:30]}'.")
            return None
        throttle = self.server.login_throttle
        wait = await throttle.refused_for(username, session.conn.host)
        if wait > 0:
            log.warning("event=login_refused account=%s address=%s", username, address)
            session.hang_up(f"Too many failed logins for this account or from your address. "
                            f"Try again in {max(1, round(wait / 60))} minute(s).")
        account = await self.server.players.by_username(username)
        if account is None:
            session.send(f"There is no account named '{username}'.")
            return None
        if not await self.server.passwords.verify(account.password_hash, password):
            self.failed_passwords += 1
            delay = await throttle.failed(username, session.conn.host)
            log.warning("event=wrong_password account=%s address=%s tries=%d",
                        account.username, address, self.failed_passwords)
            await asyncio.sleep(delay)
            session.send("Wrong password.")
            return None
        await throttle.succeeded(username)
        return account

    async def _interactive_login(self, username: str) -> Account | None:
        problem = auth.username_problem(username)
        if problem:
            self.session.send(problem)
            return None
        if await self.server.players.by_username(username) is None:
            return await self._interactive_create(username)
        while self.failed_passwords < PASSWORD_TRIES:
            password = await self.session.ask("Password: ", secret=True)
            account = await self._check_password(username, password)
            if account is not None:
                return account
        return None

    async def _interactive_create(self, username: str) -> Account | None:
        session = self.session
        refusal = self._too_many_accounts(
            await self.server.signup_throttle.refused_for(session.conn.host))
        if refusal:  # said before the passwords are typed, not after
            session.send(f"There is no account named '{username}'. {refusal}")
            return None
        answer = await session.ask(
            f"There is no account named '{username}'. Create it? (yes/no) ")
        if answer.lower() not in ("y", "yes"):
            return None
        while True:
            password = await session.ask("Choose a password: ", secret=True)
            problem = auth.password_problem(password)
            if problem:
                session.send(problem)
                continue
            if await session.ask("Repeat the password: ", secret=True) == password:
                break
            session.send("The passwords do not match. Try again.")
        while True:
            email = await session.ask("Email address: ")
            problem = auth.email_problem(email)
            if not problem:
                break
            session.send(problem)
        return await self._create_account(username, password, email)

    async def _create_account(self, username: str, password: str, email: str) -> Account | None:
        problem = (auth.username_problem(username) or auth.password_problem(password)
                   or auth.email_problem(email) or await self._signup_problem(username, email))
        if problem:
            self.session.send(problem)
            return None
        password_hash = await self.server.passwords.hash(password)
        try:
            account = await self.server.players.create(username, email, password_hash)
        except AccountExists as exc:
            self.session.send(f"That {exc.field} is already registered.")
            return None
        log.info("event=account_created account=%s address=%s", username,
                 self.session.conn.address)
        self.session.send(f"Account '{username}' created.")
        return account

    async def _signup_problem(self, username: str, email: str) -> str | None:
        """Why no account can be made for username and email, found before the password is
        hashed (the costly part a flood of creates would aim at): one of them is taken, or this
        address made too many accounts lately. None: it may be made, and it is counted."""
        taken = await self.server.players.registered(username, email)
        if taken:
            return f"That {taken} is already registered."
        return self._too_many_accounts(
            await self.server.signup_throttle.admit(self.session.conn.host))

    def _too_many_accounts(self, wait: float) -> str | None:
        """The refusal when this address must wait `wait` seconds to make an account."""
        if not wait:
            return None
        log.warning("event=signup_refused address=%s", self.session.conn.address)
        minutes = max(1, round(wait / 60))
        return (f"Too many new accounts from your address. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}.")

    # -- the character --------------------------------------------------------------------------

    async def _choose_character(self, account: Account) -> CharacterSummary | None:
        session = self.session
        characters = await self.server.characters.list_for_player(account.id)
        if not characters:
            return await self._new_character(account)
        if len(characters) == 1:
            return characters[0]
        menu = "\n".join(f"  {i}. {c.name} ({c.rank})" for i, c in enumerate(characters, 1))
        for _ in range(LOGIN_ROUNDS):
            session.send(f"Your characters:\n{menu}\nType a number or a name, or 'new'.")
            choice = (await session.ask("Character: ")).strip().lower()
            if choice == "new":
                return await self._new_character(account)
            for index, summary in enumerate(characters, 1):
                if choice in (str(index), summary.name.lower()):
                    return summary
            session.send(f"There is no character '{choice[:30]}' on this account.")
        session.close("Too many attempts. Goodbye.")
        return None

    async def _new_character(self, account: Account) -> CharacterSummary | None:
        session, characters = self.session, self.server.characters
        session.send(f"Name your new character ({auth.CHARACTER_NAME_RULE}).")
        for _ in range(LOGIN_ROUNDS):
            name = (await session.ask("Character name: ")).strip()
            problem = auth.character_name_problem(name, REGISTRY.words())
            if problem is None and await characters.name_taken(name):
                problem = f"The name '{name}' is taken."
            if problem:
                session.send(problem)
                continue
            name = name.capitalize()
            try:
                ch = await characters.create(account.id, name, self.server.start_room)
            except NameTaken:
                session.send(f"The name '{name}' is taken.")
                continue
            log.info("event=character_created account=%s character=%s",
                     account.username, name)
            return CharacterSummary(ch.id, ch.name, ch.rank, created=True)
        session.close("Too many attempts. Goodbye.")
        return None

