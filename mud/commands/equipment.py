"""Equipment and using things up: wear, wield, remove, equipment, eat, drink, examine.

The rules of putting things on and taking them off, and of what a worn item gives, are
mud.game.equipment's; containers' are mud.game.containers'. These handlers find the item the
player names, call the rule and tell what happened.
"""

from __future__ import annotations

from typing import Any

from mud.commands.context import Context
from mud.commands.registry import command
from mud.commands.targets import TargetSpec, select
from mud.game import containers, rules
from mud.game.equipment import (
    armour,
    attack,
    durability_left,
    equip,
    is_broken,
    restores_nothing,
    slot_of,
    unequip,
    worn,
)
from mud.game.errors import GameError
from mud.game.fighting import attack_damage
from mud.game.model import InventoryItem
from mud.game.state import FloorItem
from mud.text import counted, upper_first
from mud.world.essences import AbilityTemplate
from mud.world.items import SLOTS, ItemTemplate

Thing = InventoryItem | FloorItem
# how a slot reads in "You wear X on your head"
_ON = {"offhand": "in your off hand", "head": "on your head", "body": "on your body",
       "hands": "on your hands", "legs": "on your legs", "feet": "on your feet",
       "neck": "around your neck"}
_SLOT_WORDS = {**{s: s for s in SLOTS}, "weapon": "wield", "shield": "offhand"}
_SHOWN_KEYS = ("durability", "contents")  # metadata examine shows in its own lines
_WANTING = {"eat": "hungry", "drink": "thirsty"}  # what a full pool means, by the item's verb


def _broken(row: Thing, template: ItemTemplate) -> str:
    return " (broken)" if is_broken(row, template) else ""


def _wear_label(row: Thing, template: ItemTemplate) -> str:
    """'a rusty sword (37/60)', '(0/60) (broken)' when it is spent, no numbers if it never is."""
    left = durability_left(row, template)
    if left is None:
        return template.name
    return f"{template.name} ({max(left, 0)}/{template.durability}){_broken(row, template)}"


def _find_worn(ctx: Context, spec: TargetSpec) -> list[InventoryItem]:
    return select(list(worn(ctx.ch).values()), spec, ctx.item_words)


# -- wearing and wielding -------------------------------------------------------------------


def _equip(ctx: Context, verb: str) -> None:
    """wear/wield: put one carried item into its slot, swapping out what is there."""
    spec = ctx.target_spec(ctx.args, verb)
    if spec is None:
        return
    ch = ctx.ch
    found = select(ch.carried, spec, ctx.item_words)
    if not found:
        already = _find_worn(ctx, spec)
        if already and spec.keyword is not None:
            name = ctx.game.item(already[0].item_id).name
            doing = "wielding" if slot_of(already[0]) == "wield" else "wearing"
            ctx.send(f"You are already {doing} {name}.")
        else:
            ctx.send("You are not carrying anything." if spec.keyword is None
                     else f"You don't have any '{spec.keyword}'.")
        return
    try:
        done = equip(ch, found[0], ctx.game.world.items, verb)
    except GameError as exc:
        ctx.send(exc.message)
        return
    room, piece, template = ctx.room, done.piece, done.template
    if done.displaced is not None:
        old_name = done.displaced[1].name
        ctx.send(f"You put {old_name} back in your pack.")
        ctx.game.tell_room(room, f"{ch.name} puts away {old_name}.", exclude=[ch])
    slot = template.slot
    where = "" if verb == "wield" else f" {_ON.get(slot, 'on your ' + slot)}"
    ctx.send(f"You {verb} {template.name}{_broken(piece, template)}{where}.")
    if is_broken(piece, template):
        ctx.send("It is broken and will do you no good until it is mended.")
    ctx.game.tell_room(room, f"{ch.name} {verb}s {template.name}.", exclude=[ch])


@command("wear", category="items")
def wear(ctx: Context) -> None:
    """Wear a piece of armour you carry (what was in its slot goes back to your pack).

    Usage: wear <item>      wear 2.helm
    """
    _equip(ctx, "wear")


@command("wield", category="items")
def wield(ctx: Context) -> None:
    """Wield a weapon you carry (a weapon already in hand goes back to your pack).

    Usage: wield <weapon>      wield 2.sword
    """
    _equip(ctx, "wield")


@command("remove", category="items")
def remove(ctx: Context) -> None:
    """Take off something you wear or wield and put it in your pack (it needs a free stack).

    Usage: remove <item>      remove <slot>      remove all
    Slots: wield (or weapon), offhand, head, body, hands, legs, feet, neck.
    """
    if not ctx.args:
        ctx.send("Remove what?")
        return
    ch = ctx.ch
    slot = _SLOT_WORDS.get(ctx.args.strip().lower())
    if slot is not None:
        row = worn(ch).get(slot)
        if row is None:
            ctx.send(f"You have nothing in your {slot} slot.")
            return
        found = [row]
    else:
        spec = ctx.target_spec(ctx.args, "remove")
        if spec is None:
            return
        found = _find_worn(ctx, spec)
        if not found:
            ctx.send("You are not wearing anything." if spec.keyword is None
                     else f"You are not wearing any '{spec.keyword}'.")
            return
    room = ctx.room
    for row in found:
        template = ctx.game.item(row.item_id)
        try:
            wielded = unequip(ch, row, ctx.game.world.items) == "wield"
        except GameError as exc:
            ctx.send(exc.message)
            return
        if wielded:
            ctx.send(f"You stop wielding {template.name}.")
            ctx.game.tell_room(room, f"{ch.name} stops wielding {template.name}.", exclude=[ch])
        else:
            ctx.send(f"You remove {template.name}.")
            ctx.game.tell_room(room, f"{ch.name} removes {template.name}.", exclude=[ch])


@command("equipment", "eq", category="items")
def equipment(ctx: Context) -> None:
    """List what you wear and wield, slot by slot, with your attack and armour.

    Attack is the damage one of your blows does before the foe's armour: your weapon (or fists)
    and power, by rank. Armour is what is taken off each blow you suffer.
    """
    ch, items = ctx.ch, ctx.game.world.items
    on = worn(ch)
    lines = ["You are using:"]
    for slot in SLOTS:
        row = on.get(slot)
        lines.append(f"  {slot:<8} "
                     + ("nothing" if row is None else _wear_label(row, items[row.item_id])))
    lines.append(attack_line(ctx))
    ctx.send("\n".join(lines))


def attack_line(ctx: Context) -> str:
    """'Attack 6 damage per blow (swordsmanship)   Armour 2', as equipment and score show it: a
    blow's damage before the foe's armour (weapon, power, rank and any weakness counted), and
    what is taken off each blow one suffers."""
    ch, items = ctx.ch, ctx.game.world.items
    return (f"Attack {attack_damage(ctx.game, ch, ctx.game.now())} damage per blow "
            f"({attack(ch, items)[1]})   Armour {armour(ch, items)}")


# -- eating and drinking --------------------------------------------------------------------


def consume(ctx: Context, row: InventoryItem) -> None:
    """Eat or drink one of a carried consumable (the item's own verb): restore its pool, use up
    one from the stack, tell the player and the room. Also the `use <item>` fallback. On a full
    pool it is refused unless the command ends in 'anyway' (`eat bread anyway`)."""
    ch = ctx.ch
    template = ctx.game.item(row.item_id)
    verb = template.consume
    if template.kind != "consumable" or not verb or not template.heal_pool:
        ctx.send(f"You can't use {template.name}.")
        return
    if not any(r is row for r in ch.inventory):
        ctx.send(f"You no longer have {template.name}.")
        return
    pool = template.heal_pool
    if restores_nothing(ch, template) and not _anyway(ctx.args):
        ctx.send(f"You are not {_WANTING[verb]}: your {pool} is full ({getattr(ch, pool)}/"
                 f"{ch.pool_max(pool)}). Type '{verb} {ctx.args[:40]} anyway' to {verb} it "
                 "regardless.")
        return
    with ctx.game.collecting(ch):  # what is eaten may be what a quest collects
        gained = ch.change_pool(pool, template.heal_amount)
        ch.remove_item(row, 1)
        now, most = getattr(ch, pool), ch.pool_max(pool)
        if gained:
            ctx.send(f"You {verb} {template.name} and regain {gained} {pool} ({now}/{most}).")
        else:
            ctx.send(f"You {verb} {template.name}; your {pool} is already full "
                     f"({now}/{most}).")
        ctx.game.tell_room(ctx.room, f"{ch.name} {verb}s {template.name}.", exclude=[ch])


def _anyway(args: str) -> bool:
    """Whether a command's target ends in 'anyway': eat it even on a full pool."""
    words = args.lower().split()
    return len(words) > 1 and words[-1] == "anyway"


def _consume_command(ctx: Context, verb: str) -> None:
    spec = ctx.target_spec(ctx.args, verb)
    if spec is None:
        return
    found = select(ctx.ch.carried, spec, ctx.item_words)
    if not found:
        ctx.send(f"You don't have any '{spec.keyword or 'thing'}'.")
        return
    row = found[0]
    template = ctx.game.item(row.item_id)
    if template.kind != "consumable" or not template.consume:
        ctx.send(f"You can't {verb} {template.name}.")
    elif template.consume != verb:
        ctx.send(f"You can't {verb} that; try {template.consume}.")
    else:
        consume(ctx, row)


@command("eat", category="items")
def eat(ctx: Context) -> None:
    """Eat something you carry: food and herbs restore a pool.

    Usage: eat <item>      eat bread      eat 2.herb
           eat <item> anyway    (on a full pool, which is otherwise refused)
    """
    _consume_command(ctx, "eat")


@command("drink", category="items")
def drink(ctx: Context) -> None:
    """Drink something you carry: potions and draughts restore a pool.

    Usage: drink <item>
           drink <item> anyway    (on a full pool, which is otherwise refused)
    """
    _consume_command(ctx, "drink")


# -- examining ------------------------------------------------------------------------------


def _nearby(ctx: Context) -> list[tuple[Thing, str]]:
    """Things within reach, each with where it is: the pack, worn, the floor."""
    ch = ctx.ch
    on = [(row, "worn") for row in ch.inventory if row.slot is not None]
    return ([(row, "pack") for row in ch.carried] + on
            + [(item, "floor") for item in ctx.room.items])


def find_nearby(ctx: Context, text: str) -> tuple[Thing, str] | None:
    """The item text names among those carried, worn or on the floor (with where it is);
    None (the player told why) when there is none."""
    spec = ctx.target_spec(text, "examine")
    if spec is None:
        return None
    found = select(_nearby(ctx), spec, lambda pair: ctx.item_words(pair[0]))
    if not found:
        ctx.send(f"You see no '{text.strip()}' here.")
        return None
    return found[0]


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


def _where(thing: Thing, place: str) -> str:
    if place == "floor":
        return "on the floor here"
    if place == "pack":
        return "in your pack"
    slot = slot_of(thing) if isinstance(thing, InventoryItem) else None
    return "wielded" if slot == "wield" else f"worn ({slot or '?'})"


def contents_lines(ctx: Context, thing: Thing, template: ItemTemplate) -> list[str]:
    """'A small pouch holds (2/5 stacks):' and its stacks, or that it is empty."""
    inside = containers.listing(thing, ctx.game.world.items)
    name = upper_first(template.name)
    if not inside:
        return [f"{name} is empty (0/{template.capacity} stacks)."]
    return ([f"{name} holds ({len(inside)}/{template.capacity} stacks):"]
            + [f"  {line}" for line in inside])


def _essence_lines(ctx: Context, essence_id: str) -> list[str]:
    """What an essence item would give if bonded now: the attribute it favours (and the points
    a bond at the examiner's rank brings), and its abilities with the rank each awakens at."""
    essence = ctx.game.world.essences.by_id.get(essence_id)
    if essence is None:
        return []
    rank, favours = ctx.ch.rank, essence.favours
    width = max(len(a.name) for a in essence.abilities)
    return ([f"  Favours {favours}: +{rules.bond_bonus(rank, True)} bonded to {favours}, "
             f"+{rules.bond_bonus(rank, False)} to any other attribute.",
             "  Abilities (and the rank each awakens at):"]
            + [f"    {a.name:<{width}}  {a.awakens:<7} {_effect(a)}, {a.cost} {a.resource}, "
               f"cooldown {a.cooldown}s" for a in essence.abilities])


def _effect(ability: AbilityTemplate) -> str:
    """'damage 11', 'heals 12 health', 'power +3 for 25s', 'recall': an ability in brief."""
    if ability.effect == "damage":
        return f"damage {ability.amount}"
    if ability.effect == "heal":
        return f"heals {ability.amount} {ability.pool}"
    if ability.effect == "buff":
        return f"{ability.attribute} +{ability.amount} for {ability.duration}s"
    return ability.utility


def describe(ctx: Context, thing: Thing, place: str) -> list[str]:
    """Everything examine shows about one item."""
    t = ctx.game.item(thing.item_id)
    lines = [f"{upper_first(counted(t.name, thing.quantity))}, {t.kind}{_broken(thing, t)}",
             ctx.prose(t.description)]
    if t.kind == "weapon":
        lines.append(f"  Damage: {t.damage} ({t.skill})")
    elif t.kind == "armour":
        lines.append(f"  Armour: {t.armour} ({t.slot} slot)")
    elif t.kind == "consumable":
        lines.append(f"  {t.consume.capitalize()} it to restore {t.heal_amount} {t.heal_pool}")
    elif t.kind == "container":
        lines.append(f"  Capacity: {t.capacity} stacks")
    elif t.kind == "essence":
        lines += _essence_lines(ctx, t.essence)
    left = durability_left(thing, t)
    if left is not None:
        lines.append(f"  Durability: {max(left, 0)}/{t.durability}{_broken(thing, t)}")
    lines.append(f"  Where: {_where(thing, place)}")
    for key, value in (thing.metadata or {}).items():
        if key not in _SHOWN_KEYS:
            lines.append(f"  {key.replace('_', ' ').capitalize()}: {_plain(value)}")
    if t.kind == "container":
        lines += ["  " + line for line in contents_lines(ctx, thing, t)]
    return lines


@command("examine", "exa", category="items")
def examine(ctx: Context) -> None:
    """Look closely at an item you carry, wear or see on the floor: its stats, wear and contents.

    Usage: examine <item>      examine 2.sword      examine pouch
    """
    if not ctx.args:
        ctx.send("Examine what?")
        return
    found = find_nearby(ctx, ctx.args)
    if found is not None:
        ctx.send("\n".join(describe(ctx, *found)))


def look_in(ctx: Context, text: str) -> None:
    """`look in <container>`: what a container carried, worn or on the floor holds. The look
    command hands its `in ...` form here."""
    found = find_nearby(ctx, text)
    if found is None:
        return
    thing, _ = found
    template = ctx.game.item(thing.item_id)
    if template.kind != "container":
        ctx.send(f"{upper_first(template.name)} is not a container.")
        return
    ctx.send("\n".join(contents_lines(ctx, thing, template)))
