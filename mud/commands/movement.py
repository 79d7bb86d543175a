"""Walking: the six directions, custom exits (typed by name or with `go`)."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import command
from mud.world.loader import OPPOSITE


def walk(ctx: Context, exit_name: str) -> None:
    room = ctx.room
    destination = room.template.exits.get(exit_name)
    if destination is None:
        ctx.send("You can't go that way.")
        return
    ch = ctx.ch
    ctx.game.tell_room(room, f"{ch.name} leaves {exit_name}.", exclude=[ch])
    arrived = ctx.game.move(ch, destination)
    came_from = OPPOSITE.get(exit_name)
    ctx.game.tell_room(arrived, f"{ch.name} arrives from the {came_from}." if came_from
                       else f"{ch.name} arrives.", exclude=[ch])
    show_room(ctx)


def _direction(name: str, alias: str) -> None:
    def go_direction(ctx: Context) -> None:
        walk(ctx, name)

    go_direction.__doc__ = f"Walk {name}."
    command(name, alias, category="movement")(go_direction)


for _name in ("north", "south", "east", "west", "up", "down"):
    _direction(_name, _name[0])


@command("go", category="movement")
def go(ctx: Context) -> None:
    """Walk through an exit by its name: go gate. Custom exits can also be typed alone."""
    if not ctx.args:
        ctx.send("Go where?")
        return
    walk(ctx, ctx.args.split()[0].lower())
