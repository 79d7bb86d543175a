"""Leaving the game."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.game.fighting import foes_of


@command("quit", category="system")
async def quit_(ctx: Context) -> None:
    """Save your character and leave the game."""
    if foes_of(ctx.game, ctx.ch):
        ctx.send("Not in the middle of a fight! Flee first.")
        return
    await ctx.session.quit()
