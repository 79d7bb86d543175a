"""Equipment as pure rules: what is worn where, the attack and armour it gives, and wear; and
whether a consumable would do anything now.

A worn item is an inventory row whose `slot` holds the index of its slot in SLOTS; its
durability left is kept in the row's metadata ("durability"), so it is saved with the row.
"""

from __future__ import annotations

from collections.abc import Mapping

from mud.game.model import Character, InventoryItem, Part
from mud.game.skills import UNARMED_SKILL
from mud.world.items import SLOTS, ItemTemplate

UNARMED_DAMAGE = 2


def worn(ch: Character) -> dict[str, InventoryItem]:
    """Slot name -> the row worn there."""
    return {SLOTS[row.slot]: row for row in ch.inventory
            if row.slot is not None and 0 <= row.slot < len(SLOTS)}


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


def wear_down(ch: Character, row: InventoryItem, template: ItemTemplate) -> bool:
    """One blow's wear on a worn item; True when it has just broken."""
    left = durability_left(row, template)
    if left is None or left <= 0:
        return False
    row.metadata = {**(row.metadata or {}), "durability": left - 1}
    ch.mark(Part.INVENTORY)
    return left - 1 == 0


def restores_nothing(ch: Character, template: ItemTemplate) -> bool:
    """Whether eating or drinking template now would be wasted: the pool it restores is full."""
    return getattr(ch, template.heal_pool) >= ch.pool_max(template.heal_pool)
