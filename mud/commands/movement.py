"""Walking (the six directions, custom exits typed by name or with `go`), resting, standing."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import Need, command
from mud.world.loader import OPPOSITE

MOVING = Need.STANDING | Need.NOT_FIGHTING  # what walking asks, by command or by exit name


def walk(ctx: Context, exit_name: str) -> None:
    """Leave through exit_name; the dispatcher has checked that the caller may (MOVING)."""
    room = ctx.room
    destination = room.template.exits.get(exit_name)
    if destination is None:
        ctx.send("You can't go that way.")
        return
    ch = ctx.ch
    ctx.game.tell_room(room, f"{ch.name} leaves {exit_name}.", exclude=[ch], actor=ch)
    arrived = ctx.game.move(ch, destination)
    came_from = OPPOSITE.get(exit_name)
    ctx.game.tell_room(arrived, f"{ch.name} arrives from the {came_from}." if came_from
                       else f"{ch.name} arrives.", exclude=[ch], actor=ch)
    show_room(ctx, brief=ch.brief)


def _direction(name: str, alias: str) -> None:
    def go_direction(ctx: Context) -> None:
        walk(ctx, name)

    go_direction.__doc__ = f"Walk {name}."
    command(name, alias, category="movement", needs=MOVING)(go_direction)


for _name in ("north", "south", "east", "west", "up", "down"):
    _direction(_name, _name[0])


@command("go", category="movement", needs=MOVING)
def go(ctx: Context) -> None:
    """Walk through an exit by its name: go gate. Custom exits can also be typed alone."""
    if not ctx.args:
        ctx.send("Go where?")
        return
    walk(ctx, ctx.args.split()[0].lower())


@command("rest", "sit", category="movement", needs=Need.NOT_FIGHTING)
def rest(ctx: Context) -> None:
    """Sit down and rest: your health, mana and stamina return three times as fast."""
    ch = ctx.ch
    if ch.resting:
        ctx.send("You are already resting.")
        return
    ch.resting = True
    ctx.send("You sit down and rest.")
    ctx.game.tell_room(ctx.room, f"{ch.name} sits down to rest.", exclude=[ch])


@command("stand", "wake", category="movement")
def stand(ctx: Context) -> None:
    """Stop resting and stand up."""
    ch = ctx.ch
    if not ch.resting:
        ctx.send("You are already standing.")
        return
    ch.resting = False
    ctx.send("You stand up.")
    ctx.game.tell_room(ctx.room, f"{ch.name} stands up.", exclude=[ch])
