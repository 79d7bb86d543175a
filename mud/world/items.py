"""Item templates from items*.toml: every kind with the stats it needs, checked strictly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mud.text import indefinite
from mud.vocabulary import POOLS, WEAPON_SKILLS
from mud.world.fields import Problem, choice, flag, keywords, number, text, unknown_keys

KINDS = ("weapon", "armour", "consumable", "essence", "container", "currency", "quest", "junk")
# equipment slots; the inventory row's `slot` column holds the index (NULL: carried, not worn)
SLOTS: tuple[str, ...] = ("wield", "offhand", "head", "body", "hands", "legs", "feet", "neck")
ARMOUR_SLOTS = SLOTS[1:]

_COMMON = {"id", "name", "keywords", "kind", "stackable", "description", "value"}
VALUE_MAX = 1_000_000
_BY_KIND: dict[str, set[str]] = {
    "weapon": {"damage", "skill", "durability"},
    "armour": {"slot", "armour", "durability"},
    "consumable": {"consume", "heal"},
    "container": {"capacity"},
}


@dataclass(frozen=True)
class ItemTemplate:
    id: str
    name: str
    keywords: tuple[str, ...]
    kind: str
    stackable: bool
    description: str
    essence: str = ""  # essence items: the essence it bonds
    slot: str = ""  # weapons and armour: where it is worn
    damage: int = 0  # weapons
    skill: str = ""  # weapons: the skill that wields them
    armour: int = 0  # armour: damage taken off each blow
    durability: int = 0  # weapons and armour: blows before it breaks (0: never)
    consume: str = ""  # consumables: "eat" or "drink"
    heal_pool: str = ""  # consumables: the pool restored
    heal_amount: int = 0
    capacity: int = 0  # containers: stacks held inside
    value: int = 0  # worth in copper (a coin: what it counts for); 0: no shop deals in it

    @property
    def slot_index(self) -> int | None:
        return SLOTS.index(self.slot) if self.slot else None


def parse_item(problem: Problem, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of one [[item]] (without id), ready for ItemTemplate(id, **fields)."""
    kind = choice(problem, entry, data, "kind", KINDS)
    unknown_keys(problem, entry, data, _COMMON | _BY_KIND.get(kind, set()))
    fields: dict[str, Any] = {
        "name": text(problem, entry, data, "name"), "keywords": keywords(problem, entry, data),
        "kind": kind, "stackable": flag(problem, entry, data, "stackable"),
        "description": text(problem, entry, data, "description"),
        "value": number(problem, entry, data, "value", 1 if kind == "currency" else 0, VALUE_MAX,
                        None if kind == "currency" else 0)}
    if kind == "essence":
        problem(entry, "essence items are made from essences.toml; define the essence there")
    elif kind == "weapon":
        fields.update(slot="wield", damage=number(problem, entry, data, "damage", 1, 1000),
                      skill=choice(problem, entry, data, "skill", WEAPON_SKILLS),
                      durability=number(problem, entry, data, "durability", 0, 100_000, 0))
    elif kind == "armour":
        fields.update(slot=choice(problem, entry, data, "slot", ARMOUR_SLOTS),
                      armour=number(problem, entry, data, "armour", 0, 1000),
                      durability=number(problem, entry, data, "durability", 0, 100_000, 0))
    elif kind == "consumable":
        heal = data.get("heal")
        if not isinstance(heal, dict):
            problem(entry, "'heal' must be a table: { pool = \"health\", amount = 10 }")
            heal = {"pool": "health", "amount": 1}
        unknown_keys(problem, entry, heal, {"pool", "amount"})
        fields.update(consume=choice(problem, entry, data, "consume", ("eat", "drink")),
                      heal_pool=choice(problem, entry, heal, "pool", POOLS),
                      heal_amount=number(problem, entry, heal, "amount", 1, 10_000))
    elif kind == "container":
        fields.update(capacity=number(problem, entry, data, "capacity", 1, 100))
    if fields["stackable"] and kind in ("weapon", "armour", "container"):
        problem(entry, f"{indefinite(kind)} cannot be stackable")
    return fields
