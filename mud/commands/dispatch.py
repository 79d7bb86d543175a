"""Turn one input line into one handler call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from mud.commands import REGISTRY
from mud.commands.context import Confirmation, Context
from mud.commands.movement import MOVING, walk
from mud.commands.registry import Ambiguous, Command, Need, unmet
from mud.commands.socials import social_command
from mud.game.aliases import expand
from mud.ops.base import acting, record

if TYPE_CHECKING:
    from mud.commands.host import PlayerSession, Server
    from mud.game.model import Character

log = logging.getLogger("mud.commands")

SHORTHANDS = ("'", ":")  # 'hello -> say hello, :waves -> emote waves
YES = frozenset({"y", "yes"})
NO = frozenset({"n", "no"})
KEEP_AWAY = frozenset({"afk", "quit"})  # the commands after which an away player stays away


def split_command(line: str) -> tuple[str, str]:
    if line[0] in SHORTHANDS:
        return line[0], line[1:].strip()
    word, _, rest = line.partition(" ")
    return word, rest.strip()


async def interpret(server: Server, session: PlayerSession, line: str,
                    aliased: bool = True) -> None:
    """Run line: answer the pending question, or run the commands of the player's alias it
    names (aliased False: it came from one, and is not expanded again), or refuse what the
    caller's state does not allow (a command's needs, checked here and only here), or walk,
    or run the command."""
    ch = session.character
    assert ch is not None
    if aliased and ch.aliases and session.pending is None:
        expanded = expand(ch.aliases, line)
        if expanded is not None:
            for command_line in expanded:
                if session.character is not ch:  # it quit, or was taken over
                    break
                await interpret(server, session, command_line, aliased=False)
            return
    word, args = split_command(line)
    ctx = Context(server, session, ch, args)
    found = _find(ctx, word)
    refused = unmet(ctx.game, ch, _needs(found))
    if refused is Need.THAWED:
        session.send(refused.refusal)
        _cancel(session)  # a frozen character answers no question, now or once thawed
        return
    quitting = line.lower().split()[:1] == ["quit"]
    if session.pending is not None and await _answer(session, session.pending, ch, line,
                                                     quitting):
        return
    if isinstance(found, Ambiguous):
        session.send(f"'{word[:30]}' could mean: {', '.join(found.names)}.")
        return
    if found is None:
        session.send(f"Unknown command '{word[:30]}'. Type help.")
        return
    if ch.afk is not None and not (isinstance(found, Command) and found.name in KEEP_AWAY):
        ch.afk = None
        session.send("You are back.")
    if isinstance(found, Command):
        server.stats.commands += 1
    if refused is not None:
        session.send(refused.refusal)
        return
    if isinstance(found, str):
        walk(ctx, found)
        return
    cmd = found
    succeeded = await _run(session, cmd.name, ch, line, lambda: cmd.handler(ctx))
    # every privileged command is audited once: here, unless it ran a staff operation, which
    # audits itself (mud.ops)
    if cmd.role != "player" and not ctx.audited:
        record(server.audit, acting(session), cmd.name, args, ctx.target,
               ctx.outcome if succeeded else "error")


def _find(ctx: Context, word: str) -> Command | str | Ambiguous | None:
    """What word names: a command by its name or alias, else an exit of the room typed alone,
    else a social by its name, else the one command it begins; Ambiguous when it begins
    several, None when none."""
    role = ctx.session.role
    cmd = REGISTRY.exact(word, role)
    if cmd is None and word.lower() in ctx.room.template.exits:
        return word.lower()
    if cmd is None and (social := ctx.game.world.socials.get(word.lower())) is not None:
        return social_command(social)
    try:
        return cmd or REGISTRY.resolve(word, role)
    except Ambiguous as exc:
        return exc


def _needs(found: Command | str | Ambiguous | None) -> Need:
    """What running found asks of the caller: a command's declared needs, walking's for an
    exit; not to be frozen, as every command but quit asks, even for a word that runs nothing
    (frozen, you are told so)."""
    if isinstance(found, Command):
        return found.needs
    return Need.THAWED | MOVING if isinstance(found, str) else Need.THAWED


def _cancel(session: PlayerSession) -> None:
    """Drop the question waiting for an answer, if there is one, and say so."""
    pending, session.pending = session.pending, None
    if pending is not None:
        session.send(f"{pending.what.capitalize()} cancelled.")


async def _answer(session: PlayerSession, pending: Confirmation, ch: Character, line: str,
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


async def _run(session: PlayerSession, name: str, ch: Character, line: str,
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
