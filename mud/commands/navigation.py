"""Finding your way: `map` (the rooms around you, drawn from the compass exits), `where` (who
plays in this part of the world, and where) and `scan` (who and what stands in the rooms next
to yours)."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.info import exit_names
from mud.commands.registry import command
from mud.game.mapping import HERE, UP_DOWN, draw_map

MAP_RADIUS = 3


@command("map", category="information")
def map_(ctx: Context) -> None:
    """Draw the rooms around you, as far as three steps by the compass exits."""
    rooms = ctx.game.world.rooms
    drawn = draw_map(rooms, ctx.room.id, MAP_RADIUS)
    ctx.send(f"{ctx.room.template.name} and around it:\n" + "\n".join(drawn)
             + f"\n{HERE} you   {UP_DOWN} a way up or down   (other exits are not drawn)")


@command("where", category="information")
def where(ctx: Context) -> None:
    """Who plays in this part of the world (your zone), and in which room."""
    game, zone = ctx.game, ctx.room.template.zone
    near = [(c.name, game.room_of(c).template.name) for c in game.in_world()
            if game.room_of(c).template.zone == zone and game.sees(ctx.ch, c)]
    zone_name = game.world.zones[zone].name if zone in game.world.zones else zone
    width = max(len(name) for name, _ in near)
    ctx.send(f"Players in {zone_name}:\n" + "\n".join(
        f"  {name:<{width}}  {room}" for name, room in near))


@command("scan", category="information")
def scan(ctx: Context) -> None:
    """Look into the rooms next to yours: who and what stands there."""
    game, lines = ctx.game, []
    for way in exit_names(ctx.room):
        room = game.rooms[ctx.room.template.exits[way]]
        seen = [c.name for c in room.occupants if game.sees(ctx.ch, c)]
        seen += [mob.name for mob in room.mobs]
        lines.append(f"  {way:<6} {room.template.name}: {', '.join(seen) or 'no one'}")
    ctx.send("You look around:\n" + "\n".join(lines) if lines else "There is no way out.")
