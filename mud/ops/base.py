"""What every staff operation shares: who runs it (Actor), what came of it (Result), the one
place an audit row is built (record) and the one way an operation is run (perform): a failure
becomes a refusal worded the same for the wizard and the operator, and the outcome is audited
exactly once."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import psycopg

from mud.store.audit import AuditEntry

if TYPE_CHECKING:
    from mud.game.model import Character
    from mud.ops.staff import Staff
    from mud.store.players import Account

log = logging.getLogger("mud.ops")

DATABASE_AWAY = "The database cannot be reached just now, so nothing has changed. Try again soon."
AUDITED_CHARACTERS = 500  # of the arguments and the outcome kept in an audit row


@dataclass(frozen=True)
class Actor:
    """Who runs an operation, as the audit log records it: a wizard's account, character and
    role, or the console."""

    account: str
    character: str
    role: str

    @property
    def name(self) -> str:
        """How logs and records (a ban's author, a shutdown's) name the actor."""
        return self.account if self.character == "-" else self.character


CONSOLE = Actor("console", "-", "admin")


class Caller(Protocol):
    """A session whose character runs a command (mud.session.Session)."""

    account: Account | None
    character: Character | None

    @property
    def role(self) -> str: ...


def acting(session: Caller) -> Actor:
    """The actor a playing session is."""
    return Actor(session.account.username if session.account else "-",
                 session.character.name if session.character else "-", session.role)


@dataclass
class Result:
    """What an operation did: ok or refused, the text both front ends show, the data the console
    prints as JSON, and for the audit log what it acted on and how it ended."""

    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    target: str = ""  # default: the first word of the arguments
    outcome: str = ""  # default: "ok", or "refused: <text>"

    def reply(self) -> dict[str, Any]:
        """The console's reply."""
        return {"ok": self.ok, "text": self.text, "data": self.data}

    @property
    def audited_outcome(self) -> str:
        return self.outcome or ("ok" if self.ok else f"refused: {self.text}")


class Usage(Exception):
    """The arguments do not fit the operation: the caller is shown its usage."""


class Recorder(Protocol):
    """Where audit rows go (mud.store.audit.AuditLog)."""

    def record(self, entry: AuditEntry) -> None: ...


def record(audit: Recorder, actor: Actor, command: str, args: str, target: str,
           outcome: str) -> None:
    """Audit one use of a privileged command: the only place an audit row is built."""
    audit.record(AuditEntry(actor.account, actor.character, actor.role, command,
                            target or (args.split()[0] if args else ""),
                            args[:AUDITED_CHARACTERS], outcome[:AUDITED_CHARACTERS]))


async def perform(audit: Recorder, actor: Actor, command: str, args: str,
                  act: Callable[[], Awaitable[Result]]) -> Result:
    """Run act and audit what came of it, once. A database failure is a refusal saying so; any
    other failure is logged and reported as an internal error."""
    try:
        result = await act()
    except psycopg.Error as exc:
        log.error("event=operation_failed command=%s actor=%s error=%r", command, actor.name,
                  str(exc))
        result = Result(False, DATABASE_AWAY)
    except Exception:
        log.exception("event=operation_failed command=%s actor=%s args=%r", command,
                      actor.name, args[:200])
        result = Result(False, f"{command} failed with an internal error; the server log has "
                               "the details.", outcome="error")
    record(audit, actor, command, args, result.target, result.audited_outcome)
    return result


Act = Callable[["Staff", Actor, str], Awaitable[Result]]


@dataclass(frozen=True)
class Operation:
    """A staff operation, the same for the wizard command and the console command of its name:
    it parses and validates its arguments, acts, audits and returns a Result."""

    name: str  # the command word on both front ends and in the audit log
    usage: str
    act: Act  # raises Usage when the arguments do not fit

    @property
    def help(self) -> str:
        """The act's docstring (first line: the summary) and the usage."""
        return f"{inspect.cleandoc(self.act.__doc__ or '')}\n\nUsage: {self.usage}"

    @property
    def summary(self) -> str:
        return self.help.splitlines()[0]

    async def __call__(self, staff: Staff, actor: Actor, args: str) -> Result:
        args = args.strip()

        async def act() -> Result:
            try:
                return await self.act(staff, actor, args)
            except Usage:
                return Result(False, f"Usage: {self.usage}")

        return await perform(staff.audit, actor, self.name, args, act)


def operation(name: str, usage: str) -> Callable[[Act], Operation]:
    """Make the decorated act an Operation."""
    return lambda act: Operation(name, usage, act)
