"""Rebooting the world: the code on disk is started in a new world process while the gateways
keep every connection (mud.app.MudServer.reboot does the work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, operation

if TYPE_CHECKING:
    from mud.ops.staff import Staff


@operation("reboot", "reboot [reason]")
async def reboot(staff: Staff, actor: Actor, args: str) -> Result:
    """Restart the world with the code on disk, keeping every player connected.

    Everything is saved; floor items, monsters and timers carry over. Players see one line
    before and one after, and what they type meanwhile runs once the world is back. If the
    new code fails to start, the players stay connected while the operator fixes it.
    """
    staff.reboot(args.strip())
    return Result(True, "Rebooting the world: everyone stays connected."
                  + (f" Reason: {args.strip()}" if args.strip() else ""),
                  {"reason": args.strip()}, target="world")
