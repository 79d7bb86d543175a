"""Turn one input line into one handler call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mud.commands import REGISTRY
from mud.commands.context import Confirmation, Context
from mud.commands.movement import walk
from mud.commands.registry import Ambiguous
from mud.store.audit import AuditEntry

if TYPE_CHECKING:
    from mud.app import MudServer
    from mud.game.model import Character
    from mud.session import Session

log = logging.getLogger("mud.commands")

SHORTHANDS = ("'", ":")  # 'hello -> say hello, :waves -> emote waves
YES = frozenset({"y", "yes"})
NO = frozenset({"n", "no"})


def split_command(line: str) -> tuple[str, str]:
    if line[0] in SHORTHANDS:
        return line[0], line[1:].strip()
    word, _, rest = line.partition(" ")
    return word, rest.strip()


async def interpret(server: MudServer, session: Session, line: str) -> None:
    ch = session.character
    assert ch is not None
    quitting = line.lower().split()[:1] == ["quit"]
    if ch.frozen and not quitting:
        session.send("You are frozen solid and cannot do anything until a wizard thaws you.")
        _cancel(session)  # a frozen character answers no question, now or once thawed
        return
    if session.pending is not None and await _answer(session, session.pending, ch, line,
                                                     quitting):
        return
    word, args = split_command(line)
    ctx = Context(server, session, ch, args)
    cmd = REGISTRY.exact(word, session.role)
    if cmd is None and word.lower() in ctx.room.template.exits:
        walk(ctx, word.lower())
        return
    try:
        cmd = cmd or REGISTRY.resolve(word, session.role)
    except Ambiguous as exc:
        session.send(f"'{word[:30]}' could mean: {', '.join(exc.names)}.")
        return
    if cmd is None:
        session.send(f"Unknown command '{word[:30]}'. Type help.")
        return
    server.stats.commands += 1
    succeeded = await _run(session, cmd.name, ch, line, lambda: cmd.handler(ctx))
    if cmd.role != "player":  # every privileged command is audited, here and only here
        account = session.account.username if session.account else "-"
        server.audit.record(AuditEntry(
            account, ch.name, session.role, cmd.name,
            ctx.target or (args.split()[0] if args else ""), args[:500],
            ctx.outcome if succeeded else "error"))


def _cancel(session: Session) -> None:
    """Drop the question waiting for an answer, if there is one, and say so."""
    pending, session.pending = session.pending, None
    if pending is not None:
        session.send(f"{pending.what.capitalize()} cancelled.")


async def _answer(session: Session, pending: Confirmation, ch: Character, line: str,
                  quitting: bool) -> bool:
    """Take line as the answer to pending: yes runs it, no cancels it, quit cancels it and
    goes on to quit; anything else asks again, so that a typo neither cancels nor runs as a
    command. False when line is still to be run as a command."""
    answer = line.strip().lower()
    if answer in YES:
        session.pending = None
        await _run(session, "confirm", ch, line, pending.action)
    elif answer in NO or quitting:
        _cancel(session)
    else:
        session.send(f"Please answer yes or no. {pending.brief} (yes/no)")
    return not quitting


async def _run(session: Session, name: str, ch: Character, line: str,
               call: Callable[[], Awaitable[None] | None]) -> bool:
    """Run a handler; a bug in one is logged and reported, never fatal to the session.
    False when it failed."""
    try:
        result = call()
        if result is not None:
            await result
        return True
    except Exception:
        log.exception("event=command_failed command=%s character=%s line=%r",
                      name, ch.name, line[:200])
        session.send("Something went wrong with that command. It has been logged.")
        return False
