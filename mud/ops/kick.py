"""Taking a player out of the game: the character leaves and is saved, as on quit, and the
connection is closed with a reason."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation

if TYPE_CHECKING:
    from mud.ops.staff import Seat, Staff

log = logging.getLogger("mud.ops")

KICK_REASON = "You have been disconnected by the game's operator."


async def disconnect(staff: Staff, session: Seat, reason: str) -> None:
    """Close a connection; a character it plays leaves the game and is saved, as on quit."""
    ch = session.character
    if ch is not None:
        session.playing = False
        await staff.lifecycle.leave_game(ch, session)
        session.character = None
    session.close(reason)


async def take_out(staff: Staff, name: str, reason: str) -> bool:
    """Take a character out of the game here, connected or link-dead (saved, as on quit).
    False when it is not here."""
    ch = staff.game.find_online(name)
    if ch is None:
        return False
    log.warning("event=kicked character=%s reason=%r", ch.name, reason)
    session = staff.game.players.get(ch.id)
    if session is not None:
        await disconnect(staff, session, reason)  # type: ignore[arg-type]
    else:
        await staff.lifecycle.leave_game(ch, None)
    return True


@operation("kick", "kick <character> [reason]")
async def kick(staff: Staff, actor: Actor, args: str) -> Result:
    """Disconnect a character playing on this server (saved, as on quit)."""
    name, _, reason = args.partition(" ")
    if not name:
        raise Usage
    if not await take_out(staff, name, reason.strip() or KICK_REASON):
        return Result(False, f"No one called '{name[:20]}' is in the game on this server "
                             "(sessions lists who is).", target=name)
    return Result(True, f"{name.capitalize()} has been disconnected and saved.", target=name)
