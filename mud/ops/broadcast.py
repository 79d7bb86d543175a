"""A notice to every player on every process of the game."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation

if TYPE_CHECKING:
    from mud.ops.staff import Staff


@operation("broadcast", "broadcast <text>")
async def broadcast(staff: Staff, actor: Actor, args: str) -> Result:
    """A notice to every player on every server."""
    if not args:
        raise Usage
    staff.notify_here(args)
    everywhere = await staff.bus.publish("notice", text=args)
    here = len(staff.game.players)
    return Result(True, f"Sent to {here} player(s) here"
                  + (" and to every other server." if everywhere else
                     "; the other servers cannot be reached just now (Redis is down)."),
                  {"players_here": here, "other_servers": everywhere},
                  outcome="" if everywhere else "ok: this server only")
