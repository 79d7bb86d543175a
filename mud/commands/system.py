"""Leaving the game."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import Need, command


@command("quit", category="system", needs=Need.NOT_FIGHTING, while_frozen=True)
async def quit_(ctx: Context) -> None:
    """Save your character and leave the game."""
    await ctx.session.quit()
