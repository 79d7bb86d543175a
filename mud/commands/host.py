"""The server and the session as commands see them. Commands are built on neither class: the
server (mud.app.MudServer) and the session (mud.session.Session) import the commands, so the
commands name here only what they use of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mud.reload import Reloadable

if TYPE_CHECKING:
    from mud.auth import Passwords
    from mud.cluster.cache import CharacterCache
    from mud.cluster.throttle import SharedLoginThrottle
    from mud.commands.context import Confirmation
    from mud.game.model import Character
    from mud.net.output import Display
    from mud.net.telnet import TelnetConnection
    from mud.ops.staff import Staff
    from mud.store.audit import AuditLog
    from mud.store.boards import Boards
    from mud.store.channels import ChannelHistory
    from mud.store.characters import CharacterRepository
    from mud.store.mail import MailRepository
    from mud.store.players import Account, PlayerRepository
    from mud.store.reports import Reports
    from mud.store.saver import Saver


class Counters(Protocol):
    commands: int  # commands run, for the status figures


class Server(Reloadable, Protocol):
    """The running server: the game and the services commands reach (`reload world` passes it
    to reload_world, so it is Reloadable too)."""

    players: PlayerRepository
    characters: CharacterRepository
    passwords: Passwords
    login_throttle: SharedLoginThrottle
    audit: AuditLog
    saver: Saver
    cache: CharacterCache
    channel_history: ChannelHistory
    mail: MailRepository
    boards: Boards
    reports: Reports
    staff: Staff  # the staff operations' state and parts (mud.ops)

    @property
    def stats(self) -> Counters: ...

    def connections(self) -> list[dict[str, str | int | None]]:
        """This process's connections, for `users`."""


class PlayerSession(Protocol):
    """The connection of the player running a command."""

    conn: TelnetConnection
    display: Display
    account: Account | None
    character: Character | None
    pending: Confirmation | None  # a question the next line answers
    channels_off: set[str]
    reply_to: str | None
    last_input: float  # when the player last typed a line (the game's clock)
    snooped_by: PlayerSession | None  # a wizard shown what this session sees
    snooping: PlayerSession | None

    @property
    def role(self) -> str: ...

    def send(self, text: str) -> None: ...

    def page(self, text: str) -> None: ...

    async def ask(self, prompt: str, secret: bool = False) -> str: ...

    def reads_here(self) -> bool: ...

    async def quit(self) -> None: ...

    def snoop(self, other: PlayerSession) -> None: ...

    def stop_snooping(self) -> str | None: ...

    def leads_to(self, other: PlayerSession) -> bool: ...
