"""Bans of an account, a character name or an address (or network), on every process of the
game. mud.store.bans keeps the list; here a new ban is enforced (whoever it covers is
disconnected, saved, on every process) and each process keeps its copy fresh."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation
from mud.ops.kick import disconnect
from mud.store.bans import KINDS, REFRESH_SECONDS, BanError, BanList

if TYPE_CHECKING:
    from mud.ops.staff import Staff

log = logging.getLogger("mud.ops")

BANNED = "You have been banned from this game. Goodbye."


async def enforce(staff: Staff) -> int:
    """Disconnect the sessions a ban covers (a character in play is saved first). Returns how
    many."""
    struck = [s for s in list(staff.sessions)
              if staff.bans.covering(s.account.username if s.account else None,
                                     s.character.name if s.character else None, s.conn.host)]
    for session in struck:
        await disconnect(staff, session, BANNED)
    return len(struck)


async def bans_changed(staff: Staff) -> None:
    """Another process changed the bans."""
    await staff.bans.refresh()
    await enforce(staff)


async def refresh_every(bans: BanList) -> None:
    """In case a message from another process was missed (Redis away)."""
    while True:
        await asyncio.sleep(REFRESH_SECONDS)
        try:
            await bans.refresh()
        except Exception as exc:  # the database is away: keep the last copy
            log.warning("event=bans_refresh_failed error=%r", exc)


def _kind_and_value(args: str, most: int) -> list[str]:
    """The words of a ban's arguments (at most `most`): a kind, a value, and for a ban the
    reason. Raises Usage."""
    words = args.split(maxsplit=most - 1)
    if len(words) < 2 or words[0].lower() not in KINDS:
        raise Usage
    return [words[0].lower(), *words[1:]]


@operation("ban", "ban <account | character | address> <name or address> [reason]")
async def ban(staff: Staff, actor: Actor, args: str) -> Result:
    """Bar an account, a character name or an address (or network) from the game.

    Anyone it covers is disconnected, saved, on every server. `bans` lists them.
    """
    kind, value, *rest = _kind_and_value(args, 3)
    try:
        entry = await staff.bans.add(kind, value, rest[0] if rest else "", actor.name)
    except BanError as exc:
        return Result(False, str(exc), target=value)
    await staff.bus.announce("bans")
    struck = await enforce(staff)
    return Result(True, f"Banned {entry.kind} {entry.value}"
                  + (f" ({entry.reason})" if entry.reason else "")
                  + f"; {struck} connection(s) closed.",
                  {"ban": dataclasses.asdict(entry), "disconnected": struck}, target=entry.value)


@operation("unban", "unban <account | character | address> <name or address>")
async def unban(staff: Staff, actor: Actor, args: str) -> Result:
    """Lift a ban."""
    kind, value, *extra = _kind_and_value(args, 3)
    if extra:
        raise Usage
    try:
        removed = await staff.bans.remove(kind, value)
    except BanError as exc:
        return Result(False, str(exc), target=value)
    if not removed:
        return Result(False, f"There is no ban on {kind} {value[:60]} (bans lists them).",
                      target=value)
    await staff.bus.announce("bans")
    return Result(True, f"The ban on {kind} {value} is lifted.", target=value)


@operation("bans", "bans")
async def bans(staff: Staff, actor: Actor, args: str) -> Result:
    """List the bans in force."""
    listed = staff.bans.all()
    return Result(True, f"{len(listed)} ban(s)" + (":\n" if listed else ".")
                  + "\n".join(b.line() for b in listed),
                  {"bans": [dataclasses.asdict(b) for b in listed]})
