"""Carrying things: get, drop, give. A target names a stack; the whole stack moves unless a
count is given (`get 3 coin`). `all` and `all.<keyword>` move every match."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.commands.targets import BadTarget, TargetSpec, parse_target, select
from mud.game.model import Character, InventoryItem
from mud.game.state import FloorItem


def _spec(ctx: Context, text: str, verb: str) -> TargetSpec | None:
    if not text:
        ctx.send(f"{verb.capitalize()} what?")
        return None
    try:
        return parse_target(text)
    except BadTarget as exc:
        ctx.send(str(exc))
        return None


def _amount(spec: TargetSpec, available: int) -> int:
    return min(spec.count or available, available)


def _label(ctx: Context, item_id: str, quantity: int) -> str:
    name = ctx.game.item(item_id).name
    return f"{name} (x{quantity})" if quantity > 1 else name


def _carried(ch: Character) -> list[InventoryItem]:
    return [row for row in ch.inventory if row.slot is None]


@command("get", "take", category="items")
def get(ctx: Context) -> None:
    """Pick something up from the floor.

    Usage: get <item>      get 2.sword      get all.coin      get 3 coin      get all
    """
    spec = _spec(ctx, ctx.args, "get")
    if spec is None:
        return
    room, ch = ctx.room, ctx.ch
    found = select(room.items, spec, ctx.item_words)
    if not found:
        ctx.send("There is nothing here to pick up." if spec.keyword is None
                 else f"You see no '{spec.keyword}' here.")
        return
    for floor in found:
        template = ctx.game.item(floor.item_id)
        if not ch.can_carry(floor.item_id, template.stackable):
            ctx.send(f"You can't carry any more ({ch.inventory_capacity} stacks).")
            break
        quantity = _amount(spec, floor.quantity)
        floor.quantity -= quantity
        if floor.quantity == 0:
            room.items.remove(floor)
        ch.add_item(floor.item_id, quantity, template.stackable, floor.metadata)
        label = _label(ctx, floor.item_id, quantity)
        ctx.send(f"You pick up {label}.")
        ctx.game.tell_room(room, f"{ch.name} picks up {label}.", exclude=[ch])


@command("drop", category="items")
def drop(ctx: Context) -> None:
    """Put something you carry on the floor.

    Usage: drop <item>      drop 2.sword      drop all.coin      drop 3 coin      drop all
    """
    spec = _spec(ctx, ctx.args, "drop")
    if spec is None:
        return
    room, ch = ctx.room, ctx.ch
    found = select(_carried(ch), spec, ctx.item_words)
    if not found:
        ctx.send("You are not carrying anything." if spec.keyword is None
                 else f"You don't have any '{spec.keyword}'.")
        return
    for row in found:
        quantity = _amount(spec, row.quantity)
        ch.remove_item(row, quantity)
        stackable = ctx.game.item(row.item_id).stackable
        pile = next((f for f in room.items if stackable and f.item_id == row.item_id
                     and not f.metadata and not row.metadata), None)
        if pile is not None:
            pile.quantity += quantity
        else:
            room.items.append(FloorItem(row.item_id, quantity, row.metadata))
        label = _label(ctx, row.item_id, quantity)
        ctx.send(f"You drop {label}.")
        ctx.game.tell_room(room, f"{ch.name} drops {label}.", exclude=[ch])


@command("give", category="items")
def give(ctx: Context) -> None:
    """Hand something to another player in the room.

    Usage: give <item> <player>      give 3 coin to <player>      give all.coin <player>
    """
    words = ctx.args.split()
    if len(words) < 2:
        ctx.send("Usage: give <item> [to] <player>")
        return
    name = words.pop()
    if len(words) > 1 and words[-1].lower() == "to":
        words.pop()
    spec = _spec(ctx, " ".join(words), "give")
    if spec is None:
        return
    ch, room = ctx.ch, ctx.room
    receivers = [c for c in room.occupants if c.name.lower().startswith(name.lower())]
    if not receivers:
        ctx.send(f"There is no '{name}' here.")
        return
    receiver = receivers[0]
    if receiver is ch:
        ctx.send("You already have it.")
        return
    found = select(_carried(ch), spec, ctx.item_words)
    if not found:
        ctx.send(f"You don't have any '{spec.keyword or 'thing'}'.")
        return
    for row in found:
        template = ctx.game.item(row.item_id)
        if not receiver.can_carry(row.item_id, template.stackable):
            ctx.send(f"{receiver.name} can't carry any more.")
            break
        quantity = _amount(spec, row.quantity)
        # both sides change with no await in between: the saver sees both or neither
        ch.remove_item(row, quantity)
        receiver.add_item(row.item_id, quantity, template.stackable, row.metadata)
        label = _label(ctx, row.item_id, quantity)
        ctx.send(f"You give {label} to {receiver.name}.")
        ctx.game.tell(receiver, f"{ch.name} gives you {label}.")
        ctx.game.tell_room(room, f"{ch.name} gives {label} to {receiver.name}.",
                           exclude=[ch, receiver])
