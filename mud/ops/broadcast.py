"""A notice to every player in the game."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation

if TYPE_CHECKING:
    from mud.ops.staff import Staff


@operation("broadcast", "broadcast <text>")
async def broadcast(staff: Staff, actor: Actor, args: str) -> Result:
    """A notice to every player in the game."""
    if not args:
        raise Usage
    staff.notify_here(args)
    players = len(staff.game.players)
    return Result(True, f"Sent to {players} player(s).", {"players": players})
