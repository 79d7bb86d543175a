"""Monster templates from monsters.toml: who they are, how they fight, what they drop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mud.vocabulary import ATTRIBUTES, RANKS
from mud.world.fields import (
    Problem,
    choice,
    flag,
    keywords,
    number,
    table_list,
    text,
    unknown_keys,
)

_KEYS = {"id", "name", "keywords", "description", "rank", *ATTRIBUTES, "health", "damage",
         "armour", "abilities", "aggressive", "peaceful", "respawn", "loot"}


@dataclass(frozen=True)
class LootEntry:
    item_id: str
    chance: float  # 0 < chance <= 1, rolled on each death
    low: int = 1
    high: int = 1


@dataclass(frozen=True)
class MonsterTemplate:
    id: str
    name: str
    keywords: tuple[str, ...]
    description: str
    rank: str
    power: int
    speed: int
    spirit: int
    recovery: int
    health: int
    damage: int  # its natural attack
    armour: int
    abilities: tuple[str, ...]  # names of essence abilities (damage or heal) it uses
    aggressive: bool  # attacks characters on sight
    peaceful: bool  # cannot be fought: quest givers and other townsfolk
    respawn: int  # seconds from its death until it returns
    loot: tuple[LootEntry, ...]


def _loot(problem: Problem, entry: str, data: dict[str, Any]) -> tuple[LootEntry, ...]:
    found = []
    for index, raw in enumerate(table_list(problem, entry, data, "loot"), 1):
        where = f"{entry}, loot #{index}"
        unknown_keys(problem, where, raw, {"item", "chance", "min", "max"})
        chance = raw.get("chance", 1.0)
        if not isinstance(chance, int | float) or isinstance(chance, bool) \
                or not 0 < chance <= 1:
            problem(where, "'chance' must be a number above 0 and at most 1")
            chance = 1.0
        low = number(problem, where, raw, "min", 1, 10_000, 1)
        high = number(problem, where, raw, "max", 1, 10_000, low)
        if high < low:
            problem(where, "'max' must not be below 'min'")
        found.append(LootEntry(str(raw.get("item")), float(chance), low, max(low, high)))
    return tuple(found)


def parse_monster(problem: Problem, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of one [[monster]] (without id)."""
    unknown_keys(problem, entry, data, _KEYS)
    abilities = data.get("abilities", [])
    if not isinstance(abilities, list) or not all(isinstance(a, str) for a in abilities):
        problem(entry, "'abilities' must be a list of ability names")
        abilities = []
    return {
        "name": text(problem, entry, data, "name"),
        "keywords": keywords(problem, entry, data),
        "description": text(problem, entry, data, "description"),
        "rank": choice(problem, entry, data, "rank", RANKS, "normal"),
        **{a: number(problem, entry, data, a, 1, 1000, 10) for a in ATTRIBUTES},
        "health": number(problem, entry, data, "health", 1, 1_000_000),
        "damage": number(problem, entry, data, "damage", 0, 10_000),
        "armour": number(problem, entry, data, "armour", 0, 10_000, 0),
        "abilities": tuple(abilities),
        "aggressive": flag(problem, entry, data, "aggressive"),
        "peaceful": flag(problem, entry, data, "peaceful"),
        "respawn": number(problem, entry, data, "respawn", 1, 86_400, 120),
        "loot": _loot(problem, entry, data),
    }
