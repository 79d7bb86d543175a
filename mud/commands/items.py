"""Carrying things: get, drop, give, and put into and get from containers. A target names a
stack; the whole stack moves unless a count is given (`get 3 coin`). `all` and `all.<keyword>`
move every match. Containers' rules are mud.game.containers'."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.quests import deliver
from mud.commands.registry import command
from mud.commands.targets import TargetSpec, select
from mud.game import containers
from mud.game.containers import ContainerError
from mud.game.model import InventoryItem
from mud.game.state import FloorItem
from mud.text import upper_first


def _amount(spec: TargetSpec, available: int) -> int:
    return min(spec.count or available, available)


def _chosen(ctx: Context, verb: str) -> tuple[TargetSpec, list[InventoryItem]] | None:
    """The target the arguments give and the pack rows it names (the player told why when
    there are none)."""
    spec = ctx.target_spec(ctx.args, verb)
    if spec is None:
        return None
    found = select(ctx.ch.carried, spec, ctx.item_words)
    if not found:
        ctx.send(_not_carried(ctx, spec))
        return None
    return spec, found


def _split(text: str, separators: tuple[str, ...]) -> tuple[str, str] | None:
    """'3 coin in pouch' -> ('3 coin', 'pouch') at the last separator word with words on both
    sides; None when there is none."""
    words = text.split()
    at = [i for i, w in enumerate(words) if w.lower() in separators and 0 < i < len(words) - 1]
    if not at:
        return None
    return " ".join(words[:at[-1]]), " ".join(words[at[-1] + 1:])


def _not_carried(ctx: Context, spec: TargetSpec) -> str:
    """Why nothing carried matched: worn things must be removed first."""
    if spec.keyword is not None:
        on = select([r for r in ctx.ch.inventory if r.slot is not None], spec, ctx.item_words)
        if on:
            return f"You must remove {ctx.game.item(on[0].item_id).name} first."
    return ("You are not carrying anything." if spec.keyword is None
            else f"You don't have any '{spec.keyword}'.")


def _container(ctx: Context, text: str, verb: str) -> InventoryItem | None:
    """The container text names among the rows carried in the pack (the player told when not)."""
    spec = ctx.target_spec(text, verb)
    if spec is None:
        return None
    found = select(ctx.ch.carried, spec, ctx.item_words)
    if not found:
        on_floor = select(ctx.room.items, spec, ctx.item_words)
        ctx.send(f"Pick up {ctx.game.item(on_floor[0].item_id).name} first." if on_floor
                 else f"You aren't carrying any '{text}'.")
        return None
    template = ctx.game.item(found[0].item_id)
    if template.kind != "container":
        ctx.send(f"{upper_first(template.name)} is not a container.")
        return None
    return found[0]


@command("get", "take", category="items")
def get(ctx: Context) -> None:
    """Pick something up from the floor.

    Usage: get <item>      get 2.sword      get all.coin      get 3 coin      get all
           get <item> from <container>      get all from pouch
    """
    parts = _split(ctx.args, ("from",))
    if parts is not None:
        _get_from(ctx, *parts)
        return
    spec = ctx.target_spec(ctx.args, "get")
    if spec is None:
        return
    room, ch = ctx.room, ctx.ch
    found = select(room.items, spec, ctx.item_words)
    if not found:
        ctx.send("There is nothing here to pick up." if spec.keyword is None
                 else f"You see no '{spec.keyword}' here.")
        return
    with ctx.game.collecting(ch):
        for floor in found:
            label = ctx.game.pick_up(ch, room, floor, _amount(spec, floor.quantity))
            if label is None:
                ctx.send(f"You can't carry any more ({ch.inventory_capacity} stacks).")
                break
            ctx.send(f"You pick up {label}.")


@command("drop", category="items")
def drop(ctx: Context) -> None:
    """Put something you carry on the floor.

    Usage: drop <item>      drop 2.sword      drop all.coin      drop 3 coin      drop all
    """
    chosen = _chosen(ctx, "drop")
    if chosen is None:
        return
    (spec, found), room, ch = chosen, ctx.room, ctx.ch
    with ctx.game.collecting(ch):
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
            label = ctx.game.label(row.item_id, quantity)
            ctx.send(f"You drop {label}.")
            ctx.game.tell_room(room, f"{ch.name} drops {label}.", exclude=[ch])


@command("junk", "destroy", category="items")
def junk(ctx: Context) -> None:
    """Throw away something you carry, for good (what no shop buys, say).

    Usage: junk <item>      junk 3 tail      junk all.tail
    """
    if ctx.args.strip().lower() == "all":
        ctx.send("Junk one kind of thing at a time: junk all.<item>.")
        return
    chosen = _chosen(ctx, "junk")
    if chosen is None:
        return
    (spec, found), ch = chosen, ctx.ch
    with ctx.game.collecting(ch):
        for row in found:
            quantity = _amount(spec, row.quantity)
            ch.remove_item(row, quantity)
            ctx.send(f"You throw away {ctx.game.label(row.item_id, quantity)}.")


@command("sacrifice", "sac", category="items")
def sacrifice(ctx: Context) -> None:
    """Offer something lying here to the gods, who take it away for good.

    Usage: sacrifice <item>      sacrifice all.bone
    """
    spec = ctx.target_spec(ctx.args, "sacrifice")
    if spec is None:
        return
    room = ctx.room
    found = [] if spec.keyword is None else select(room.items, spec, ctx.item_words)
    if not found:
        ctx.send("Sacrifice one kind of thing at a time: sacrifice all.<item>."
                 if spec.keyword is None else f"You see no '{spec.keyword}' here.")
        return
    for floor in found:
        quantity = _amount(spec, floor.quantity)
        ctx.game.take_from_floor(room, floor, quantity)
        label = ctx.game.label(floor.item_id, quantity)
        ctx.send(f"You offer {label} to the gods, and it is gone.")
        ctx.game.tell_room(room, f"{ctx.ch.name} offers {label} to the gods.",
                           exclude=[ctx.ch])


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
    spec = ctx.target_spec(" ".join(words), "give")
    if spec is None:
        return
    ch, room = ctx.ch, ctx.room
    receivers = [c for c in room.occupants if c.name.lower().startswith(name.lower())]
    if not receivers:
        _give_to_someone_else(ctx, spec, name)
        return
    receiver = receivers[0]
    if receiver is ch:
        ctx.send("You already have it.")
        return
    found = select(ch.carried, spec, ctx.item_words)
    if not found:
        ctx.send(_not_carried(ctx, spec) if spec.keyword is not None
                 else "You don't have any 'thing'.")
        return
    with ctx.game.collecting(ch, receiver):
        for row in found:
            template = ctx.game.item(row.item_id)
            if not receiver.can_carry(row.item_id, template.stackable):
                ctx.send(f"{receiver.name} can't carry any more.")
                break
            quantity = _amount(spec, row.quantity)
            # both sides change with no await in between: the saver sees both or neither
            ch.remove_item(row, quantity)
            receiver.add_item(row.item_id, quantity, template.stackable, row.metadata)
            label = ctx.game.label(row.item_id, quantity)
            ctx.send(f"You give {label} to {receiver.name}.")
            ctx.game.tell(receiver, f"{ch.name} gives you {label}.")
            ctx.game.tell_room(room, f"{ch.name} gives {label} to {receiver.name}.",
                               exclude=[ch, receiver])


def _get_from(ctx: Context, item_text: str, container_text: str) -> None:
    """get <item> from <container>: out of a carried container into the pack."""
    container = _container(ctx, container_text, "get from")
    if container is None:
        return
    spec = ctx.target_spec(item_text, "get")
    if spec is None:
        return
    ch, room = ctx.ch, ctx.room
    bag = ctx.game.item(container.item_id)
    found = select(containers.contents(container), spec, ctx.item_words)
    if not found:
        ctx.send(f"{upper_first(bag.name)} is empty." if spec.keyword is None
                 else f"There is no '{spec.keyword}' in {bag.name}.")
        return
    with ctx.game.collecting(ch):
        for entry in found:
            template = ctx.game.item(entry.item_id)
            try:
                taken = containers.take_out(ch, container, entry, template,
                                            _amount(spec, entry.quantity))
            except ContainerError as exc:
                ctx.send(str(exc))
                break
            label = ctx.game.label(taken.item_id, taken.quantity)
            ctx.send(f"You get {label} from {bag.name}.")
            ctx.game.tell_room(room, f"{ch.name} gets {label} from {bag.name}.", exclude=[ch])


@command("put", category="items")
def put(ctx: Context) -> None:
    """Put something you carry into a container you carry (containers hold so many stacks).

    Usage: put <item> in <container>      put 3 coin in pouch      put all.herb in pouch
    """
    parts = _split(ctx.args, ("in", "into"))
    if parts is None:
        ctx.send("Usage: put <item> in <container>")
        return
    container = _container(ctx, parts[1], "put in")
    if container is None:
        return
    spec = ctx.target_spec(parts[0], "put")
    if spec is None:
        return
    ch, room = ctx.ch, ctx.room
    bag = ctx.game.item(container.item_id)
    found = select(ch.carried, spec, ctx.item_words)
    if spec.every:  # `put all in pouch` passes over the containers, the pouch among them
        found = [r for r in found if ctx.game.item(r.item_id).kind != "container"]
    if not found:
        ctx.send(_not_carried(ctx, spec))
        return
    with ctx.game.collecting(ch):
        for row in found:
            template = ctx.game.item(row.item_id)
            try:
                moved = containers.put_in(ch, container, bag, row, template,
                                          _amount(spec, row.quantity))
            except ContainerError as exc:
                ctx.send(str(exc))
                break
            label = ctx.game.label(row.item_id, moved)
            ctx.send(f"You put {label} in {bag.name}.")
            ctx.game.tell_room(room, f"{ch.name} puts {label} in {bag.name}.", exclude=[ch])


def _give_to_someone_else(ctx: Context, spec: TargetSpec, name: str) -> None:
    """Giving to a townsperson: only what a quest asks to be delivered to them is taken."""
    word = name.lower()
    npc = next((m for m in ctx.room.mobs if any(k.startswith(word) for k in m.keywords)), None)
    if npc is None:
        ctx.send(f"There is no '{name}' here.")
        return
    found = select(ctx.ch.carried, spec, ctx.item_words)
    if not found:
        ctx.send(_not_carried(ctx, spec) if spec.keyword is not None
                 else "You don't have any 'thing'.")
        return
    if not deliver(ctx, found[0].item_id, npc):
        ctx.send(f"{upper_first(npc.name)} does not want "
                 f"{ctx.game.item(found[0].item_id).name}.")
