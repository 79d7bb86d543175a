"""Reloading the world (the files and the builders' overlay) into the running game, on every
process; mud.reload does the work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation

if TYPE_CHECKING:
    from mud.ops.staff import Staff


@operation("reload", "reload world")
async def reload(staff: Staff, actor: Actor, args: str) -> Result:
    """Reload world data (the files and the builders' changes) without a restart.

    Players stay where they are; anyone whose room is gone is moved to a safe room. If the
    files have problems, nothing changes and you see them.
    """
    if args.lower() != "world":
        raise Usage
    report = await staff.reload()
    return Result(report.ok, str(report), {"problems": report.problems, "moved": report.moved},
                  target="world")
