"""Walking (the six directions, custom exits typed by name or with `go`), resting, standing."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import Need, command, unmet
from mud.game.errors import GameError
from mud.game.shops import take_a_bed
from mud.world.loader import OPPOSITE

if TYPE_CHECKING:
    from mud.commands.host import PlayerSession

MOVING = Need.STANDING | Need.NOT_FIGHTING  # what walking asks, by command or by exit name


def walk(ctx: Context, exit_name: str, moved: set[int] | None = None) -> None:
    """Leave through exit_name, and whoever follows the caller and may walk comes along; the
    dispatcher has checked that the caller may (MOVING). moved: who walked this step already
    (followers of followers come too, each once)."""
    room = ctx.room
    destination = room.template.exits.get(exit_name)
    if destination is None:
        ctx.send("You can't go that way.")
        return
    ch, game = ctx.ch, ctx.game
    moved = moved if moved is not None else set()
    moved.add(id(ch))
    game.tell_room(room, f"{ch.name} leaves {exit_name}.", exclude=[ch], actor=ch)
    arrived = game.move(ch, destination)
    came_from = OPPOSITE.get(exit_name)
    game.tell_room(arrived, f"{ch.name} arrives from the {came_from}." if came_from
                   else f"{ch.name} arrives.", exclude=[ch], actor=ch)
    show_room(ctx, brief=ch.brief)
    for follower in [c for c in game.groups.followers_in(ch, room.occupants)
                     if id(c) not in moved]:
        session = game.players.get(follower.id)
        if session is None or unmet(game, follower, Need.THAWED | MOVING) is not None:
            game.tell(follower, f"You cannot follow {ch.name} just now.")
            continue
        game.tell(follower, f"You follow {ch.name} {exit_name}.")
        walk(Context(ctx.server, cast("PlayerSession", session), follower, ""), exit_name,
             moved)


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
    ch.resting, ch.in_bed = True, False
    ctx.send("You sit down and rest.")
    ctx.game.tell_room(ctx.room, f"{ch.name} sits down to rest.", exclude=[ch])


@command("sleep", category="movement", needs=Need.NOT_FIGHTING)
def sleep(ctx: Context) -> None:
    """Pay for a bed where there are beds (an inn's), and sleep in it.

    Your health, mana and stamina return twice as fast as resting. Stand up when you are done.
    """
    price = ctx.room.template.bed
    if not price:
        ctx.send("There is no bed for hire here: look for an inn.")
        return
    try:
        take_a_bed(ctx.ch, price, ctx.game.world.items)
    except GameError as exc:
        ctx.send(exc.message)
        return
    ctx.send(f"You pay {price} copper for a bed and lie down to sleep.")
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} lies down in a bed.", exclude=[ctx.ch])


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
