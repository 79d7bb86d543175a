"""Essence and ability templates from world/essences.toml, validated strictly.

Every bondable essence also yields an essence item (`<id>_essence`), so an essence can be carried,
dropped, given and bonded; confluence essences have no item, they are only bonded as the fourth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mud.vocabulary import ATTRIBUTES, POOLS, RANKS
from mud.world.fields import Problem, choice, number, text, unknown_keys

EFFECTS = frozenset({"damage", "heal", "buff", "utility"})
UTILITIES = frozenset({"recall", "sense"})
RESOURCES = ("mana", "stamina")
ESSENCE_ID = re.compile(r"^[a-z]{3,20}$")
ABILITY_NAME = re.compile(r"^[A-Za-z][A-Za-z' -]{1,38}[A-Za-z]$")
RESERVED_NAMES = frozenset({"all", "to", "essence", *RANKS})

_ESSENCE_KEYS = {"id", "name", "description", "favours", "confluence", "ability"}
_ABILITY_KEYS = {"name", "description", "awakens", "resource", "cost", "cooldown", "effect"}
_EFFECT_KEYS = {"damage": {"amount"}, "heal": {"amount", "pool"},
                "buff": {"amount", "attribute", "duration"}, "utility": {"utility"}}

@dataclass(frozen=True)
class AbilityTemplate:
    name: str
    essence_id: str
    description: str
    awakens: str
    resource: str
    cost: int
    cooldown: int
    effect: str
    amount: int = 0
    pool: str = "health"
    attribute: str = ""
    duration: int = 0
    utility: str = ""


@dataclass(frozen=True)
class EssenceTemplate:
    id: str
    name: str
    description: str
    favours: str
    confluence: bool
    abilities: tuple[AbilityTemplate, ...]

    @property
    def item_id(self) -> str:
        return f"{self.id}_essence"

    @property
    def item_name(self) -> str:
        article = "an" if self.id[0] in "aeiou" else "a"
        return f"{article} {self.id} essence"


@dataclass(frozen=True)
class Essences:
    by_id: dict[str, EssenceTemplate]
    recipes: dict[frozenset[str], str]
    default_confluence: str

    def ability(self, essence_id: str, name: str) -> AbilityTemplate | None:
        essence = self.by_id.get(essence_id)
        if essence is None:
            return None
        return next((a for a in essence.abilities if a.name == name), None)

    @cached_property
    def by_name(self) -> dict[str, AbilityTemplate]:
        """Every ability by its name (names are unique in a world)."""
        return {a.name: a for e in self.by_id.values() for a in e.abilities}

    @cached_property
    def buffing(self) -> dict[str, frozenset[str]]:
        """Per attribute, the essences with an ability that buffs it (most have none, which
        lets the game tick skip looking for buffs)."""
        return {attribute: frozenset(e.id for e in self.by_id.values()
                                     if any(a.attribute == attribute for a in e.abilities))
                for attribute in ATTRIBUTES}

    def confluence_for(self, three: Iterable[str]) -> str:
        """The confluence a character with these three bonded essences gains."""
        return self.recipes.get(frozenset(three), self.default_confluence)


EMPTY = Essences({}, {}, "")


def _ability(problem: Problem, essence_id: str, index: int, data: dict[str, Any]
             ) -> AbilityTemplate | None:
    entry = f"essence {essence_id}, ability #{index} ({data.get('name', '?')})"
    name = data.get("name")
    if not isinstance(name, str) or not ABILITY_NAME.match(name):
        problem(entry, "'name' must be 3-40 letters, spaces, apostrophes or hyphens")
        name = ""
    effect = choice(problem, entry, data, "effect", sorted(EFFECTS))
    unknown_keys(problem, entry, data, _ABILITY_KEYS | _EFFECT_KEYS[effect])
    common = {"description": text(problem, entry, data, "description"),
              "awakens": choice(problem, entry, data, "awakens", RANKS),
              "resource": choice(problem, entry, data, "resource", RESOURCES),
              "cost": number(problem, entry, data, "cost", 0, 1000),
              "cooldown": number(problem, entry, data, "cooldown", 0, 3600)}
    extra: dict[str, Any] = {}
    if effect in ("damage", "heal", "buff"):
        extra["amount"] = number(problem, entry, data, "amount", 1, 10_000)
    if effect == "heal":
        extra["pool"] = choice(problem, entry, data, "pool", POOLS, "health")
    if effect == "buff":
        extra["attribute"] = choice(problem, entry, data, "attribute", ATTRIBUTES)
        extra["duration"] = number(problem, entry, data, "duration", 1, 3600)
    if effect == "utility":
        extra["utility"] = choice(problem, entry, data, "utility", sorted(UTILITIES))
    if not name:
        return None
    return AbilityTemplate(name, essence_id, effect=effect, **common, **extra)


def _essence(problem: Problem, index: int, data: dict[str, Any]) -> EssenceTemplate | None:
    essence_id = data.get("id")
    entry = f"essence #{index} ({essence_id or '?'})"
    unknown_keys(problem, entry, data, _ESSENCE_KEYS)
    if not isinstance(essence_id, str) or not ESSENCE_ID.match(essence_id):
        problem(entry, "'id' must be 3-20 lowercase letters")
        return None
    if essence_id in RESERVED_NAMES:
        problem(entry, f"'{essence_id}' is a reserved word and cannot name an essence")
    name = text(problem, entry, data, "name")
    if name and name.lower() != essence_id:
        problem(entry, f"'name' {name!r} must be the id {essence_id!r} capitalised")
    confluence = data.get("confluence", False)
    if not isinstance(confluence, bool):
        problem(entry, "'confluence' must be true or false")
    raw = data.get("ability", [])
    if not isinstance(raw, list) or not raw:
        problem(entry, "an essence needs at least one [[essence.ability]]")
        raw = []
    abilities = [a for i, d in enumerate(raw, 1) if (a := _ability(problem, essence_id, i, d))]
    return EssenceTemplate(essence_id, name, text(problem, entry, data, "description"),
                           choice(problem, entry, data, "favours", ATTRIBUTES),
                           bool(confluence), tuple(abilities))


def _recipes(problem: Problem, data: list[Any], by_id: dict[str, EssenceTemplate]
             ) -> dict[frozenset[str], str]:
    recipes: dict[frozenset[str], str] = {}
    for index, recipe in enumerate(data, 1):
        entry = f"confluence #{index}"
        if not isinstance(recipe, dict):
            problem(entry, "must be a table with 'essences' and 'result'")
            continue
        unknown_keys(problem, entry, recipe, {"essences", "result"})
        parts = recipe.get("essences")
        result = recipe.get("result")
        if not isinstance(parts, list) or len(set(map(str, parts))) != 3 or len(parts) != 3:
            problem(entry, "'essences' must list three different essence ids")
            continue
        for part in parts:
            if part not in by_id or by_id[part].confluence:
                problem(entry, f"'{part}' is not a bondable essence")
        if result not in by_id or not by_id[result].confluence:
            problem(entry, f"result {result!r} is not a confluence essence")
        key = frozenset(parts)
        if key in recipes:
            problem(entry, f"another recipe already uses {', '.join(sorted(key))}")
        recipes[key] = str(result)
    return recipes


def parse_essences(data: dict[str, Any], problem: Problem) -> Essences:
    """Build and check the essence templates from a parsed essences.toml."""
    unknown_keys(problem, "file", data, {"default_confluence", "essence", "confluence"})
    by_id: dict[str, EssenceTemplate] = {}
    ability_names: dict[str, str] = {}
    for index, raw in enumerate(data.get("essence", []), 1):
        essence = _essence(problem, index, raw)
        if essence is None:
            continue
        if essence.id in by_id:
            problem(f"essence #{index} ({essence.id})", "duplicate essence id")
            continue
        by_id[essence.id] = essence
        for ability in essence.abilities:
            owner = ability_names.setdefault(ability.name.lower(), essence.id)
            if owner != essence.id or sum(a.name.lower() == ability.name.lower()
                                          for a in essence.abilities) > 1:
                problem(f"essence {essence.id}",
                        f"ability name '{ability.name}' is already used (by {owner})")
    recipes = _recipes(problem, data.get("confluence", []), by_id)
    default = data.get("default_confluence")
    if default not in by_id or not by_id[default].confluence:
        problem("default_confluence", f"{default!r} must name a confluence essence")
    return Essences(by_id, recipes, str(default or ""))
