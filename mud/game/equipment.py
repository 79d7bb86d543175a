"""Equipment as pure rules: putting things on and taking them off, what is worn where, the
attack and armour it gives, and wear; and whether a consumable would do anything now.

A worn item is an inventory row whose `slot` holds the index of its slot in SLOTS; its
durability left is kept in the row's metadata ("durability"), so it is saved with the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mud.game.errors import GameError
from mud.game.model import Character, InventoryItem
from mud.game.skills import UNARMED_SKILL
from mud.world.items import SLOTS, ItemTemplate

UNARMED_DAMAGE = 2
PUTS_ON = {"wield": "weapon", "wear": "armour"}  # the kind of item each verb puts on
_HINT = {"weapon": "; try wield", "armour": "; try wear"}  # when the verb does not fit


def slot_of(row: InventoryItem) -> str | None:
    """The name of the slot row is worn in; None when it is carried in the pack."""
    return SLOTS[row.slot] if row.slot is not None and 0 <= row.slot < len(SLOTS) else None


def worn(ch: Character) -> dict[str, InventoryItem]:
    """Slot name -> the row worn there."""
    return {slot: row for row in ch.inventory if (slot := slot_of(row)) is not None}


# -- putting on and taking off --------------------------------------------------------------


@dataclass(frozen=True)
class Equipped:
    """What equip did: the piece now worn (one split off the row when it held several), and
    what its slot held before, now back in the pack."""

    piece: InventoryItem
    template: ItemTemplate
    displaced: tuple[InventoryItem, ItemTemplate] | None = None


def equip(ch: Character, row: InventoryItem, items: Mapping[str, ItemTemplate],
          verb: str) -> Equipped:
    """Wear or wield (verb) one of a row carried in the pack: it goes into its slot, and what
    was there goes back to the pack. Raises GameError, changing nothing, when the item is not
    one verb puts on or the pack has no room for what the slot holds."""
    template = items[row.item_id]
    if not ch.in_pack(row):
        raise GameError("NOT_CARRIED", f"You are not carrying {template.name}.")
    if template.kind != PUTS_ON[verb] or template.stackable or template.slot_index is None:
        raise GameError("NOT_A_WEAPON" if verb == "wield" else "NOT_ARMOUR",
                        f"You can't {verb} {template.name}{_HINT.get(template.kind, '')}.")
    old = worn(ch).get(template.slot)
    if old is not None:
        old_template = items[old.item_id]
        before = len(ch.carried)
        after = before - (1 if row.quantity == 1 else 0) + 1
        if after > max(before, ch.inventory_capacity):
            raise GameError("PACK_FULL", f"Your pack has no room for {old_template.name} "
                            f"({before}/{ch.inventory_capacity} stacks), so you can't swap it "
                            f"for {template.name}.")
        old.slot = None
    piece = _one_of(ch, row)
    piece.slot = template.slot_index
    return Equipped(piece, template, None if old is None else (old, old_template))


def unequip(ch: Character, row: InventoryItem, items: Mapping[str, ItemTemplate]) -> str:
    """Take a worn row off into a stack of its own in the pack; returns the slot it left.
    Raises GameError, changing nothing, when it is not worn or the pack is full."""
    template = items[row.item_id]
    slot = slot_of(row)
    if slot is None or worn(ch).get(slot) is not row:
        raise GameError("NOT_WORN", f"You are not wearing {template.name}.")
    if len(ch.carried) >= ch.inventory_capacity:
        raise GameError("PACK_FULL", f"Your pack is full ({len(ch.carried)}/"
                        f"{ch.inventory_capacity} stacks); make room before you remove "
                        f"{template.name}.")
    row.slot = None
    return slot


def _one_of(ch: Character, row: InventoryItem) -> InventoryItem:
    """The row itself, or one split off a row holding several (never the case for world items)."""
    if row.quantity == 1:
        return row
    ch.remove_item(row, 1)
    return ch.add_item(row.item_id, 1, False, row.metadata)


# -- what is worn gives ---------------------------------------------------------------------


def durability_left(row: InventoryItem, template: ItemTemplate) -> int | None:
    """Blows left before the item breaks; None for items that never wear out."""
    if not template.durability:
        return None
    return int((row.metadata or {}).get("durability", template.durability))


def is_broken(row: InventoryItem, template: ItemTemplate) -> bool:
    left = durability_left(row, template)
    return left is not None and left <= 0


def weapon(ch: Character, items: Mapping[str, ItemTemplate]) -> tuple[InventoryItem,
                                                                      ItemTemplate] | None:
    """The wielded weapon that still works, if any."""
    row = worn(ch).get("wield")
    if row is None:
        return None
    template = items[row.item_id]
    return None if is_broken(row, template) else (row, template)


def attack(ch: Character, items: Mapping[str, ItemTemplate]) -> tuple[int, str]:
    """Base damage of ch's attack and the skill it uses (unarmed: brawling)."""
    wielded = weapon(ch, items)
    if wielded is None:
        return UNARMED_DAMAGE, UNARMED_SKILL
    return wielded[1].damage, wielded[1].skill


def armour(ch: Character, items: Mapping[str, ItemTemplate]) -> int:
    """Damage taken off each blow by everything worn that is not broken."""
    total = 0
    for row in worn(ch).values():
        template = items[row.item_id]
        if template.kind == "armour" and not is_broken(row, template):
            total += template.armour
    return total


def wear_down(row: InventoryItem, template: ItemTemplate) -> bool:
    """One blow's wear on a worn item; True when it has just broken."""
    left = durability_left(row, template)
    if left is None or left <= 0:
        return False
    row.metadata = {**(row.metadata or {}), "durability": left - 1}
    return left - 1 == 0


def restores_nothing(ch: Character, template: ItemTemplate) -> bool:
    """Whether eating or drinking template now would be wasted: the pool it restores is full."""
    return getattr(ch, template.heal_pool) >= ch.pool_max(template.heal_pool)
