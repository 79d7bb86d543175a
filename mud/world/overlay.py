"""The world overlay: rooms and item fields that builders changed in the game, laid over the
world loaded from files. Pure functions: the checks builder commands and the loader share, and
apply_overlay, which gives a new World.

An overlay entry that no longer fits the files (its zone or item is gone, an exit leads to a
room the files dropped) is left out and reported, never fatal: the files are what operators
edit, and the overlay must not keep a server from starting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mud.world.fields import Problem, keywords, number, text
from mud.world.items import VALUE_MAX, ItemTemplate
from mud.world.loader import EXIT_PATTERN, ID_PATTERN, RoomTemplate, World

NAME_MAX = 80  # characters in a room's or item's name
DESCRIPTION_MAX = 2000  # characters in a description

# item fields builders may change: field -> (kinds it applies to, None: every kind; the check,
# with the loader's own rules, returning the template's value)
_Check = Callable[[Problem, dict[str, Any]], Any]
ITEM_FIELDS: dict[str, tuple[tuple[str, ...] | None, _Check]] = {
    "name": (None, lambda problem, data: text(problem, "", data, "name")),
    "description": (None, lambda problem, data: text(problem, "", data, "description")),
    "keywords": (None, lambda problem, data: keywords(problem, "", data)),
    "damage": (("weapon",), lambda problem, data: number(problem, "", data, "damage", 1, 1000)),
    "armour": (("armour",), lambda problem, data: number(problem, "", data, "armour", 0, 1000)),
    "value": (("weapon", "armour", "consumable", "container", "junk"),  # coins keep their worth
              lambda problem, data: number(problem, "", data, "value", 0, VALUE_MAX)),
}


@dataclass(frozen=True)
class OverlayRoom:
    id: str
    zone: str
    name: str
    description: str
    exits: dict[str, str]

    @classmethod
    def of(cls, room: RoomTemplate) -> OverlayRoom:
        return cls(room.id, room.zone, room.name, room.description, dict(room.exits))


@dataclass(frozen=True)
class Overlay:
    rooms: dict[str, OverlayRoom] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # item id -> changed fields


def check_name(name: str) -> str | None:
    """Why name cannot name a room or an item; None when it can."""
    if not name.strip():
        return "A name cannot be empty."
    if len(name) > NAME_MAX:
        return f"A name is at most {NAME_MAX} characters."
    return None


def check_description(description: str) -> str | None:
    if not description.strip():
        return "A description cannot be empty."
    if len(description) > DESCRIPTION_MAX:
        return f"A description is at most {DESCRIPTION_MAX} characters."
    return None


def check_item_field(template: ItemTemplate, name: str, value: Any) -> tuple[Any, str | None]:
    """value checked for an item's field as the loader checks it: (the template's value,
    None) or (None, why not)."""
    spec = ITEM_FIELDS.get(name)
    if spec is None:
        return None, f"'{name}' cannot be changed; choose one of {', '.join(ITEM_FIELDS)}."
    kinds, check = spec
    if kinds is not None and template.kind not in kinds:
        return None, f"'{name}' is only for {' and '.join(kinds)} items; this is {template.kind}."
    problems: list[str] = []
    checked = check(lambda _, message: problems.append(f"{message[0].upper()}{message[1:]}."),
                    {name: value})
    length = {"name": check_name, "description": check_description}.get(name)
    if not problems and length is not None and (problem := length(checked)):
        problems.append(problem)
    return (None, problems[0]) if problems else (checked, None)


def _room(world: World, room: OverlayRoom) -> tuple[RoomTemplate | None, str | None]:
    """The template room makes (exits unchecked), or why it no longer fits."""
    problem = (None if ID_PATTERN.match(room.id) else "Its id is not valid.") \
        or check_name(room.name) or check_description(room.description)
    base = world.rooms.get(room.id)
    if problem is None and base is None and room.zone not in world.zones:
        problem = f"Its zone '{room.zone}' is not in the world files."
    if problem is not None:
        return None, f"overlay room {room.id}: {problem} Left out."
    if base is not None:  # a renamed room reads in running text as its new name does
        place = base.place if room.name == base.name else ""
        return dataclasses.replace(base, name=room.name, description=room.description,
                                   exits=dict(room.exits), place=place), None
    return RoomTemplate(room.id, room.zone, room.name, room.description, dict(room.exits)), None


def _item(template: ItemTemplate, fields: dict[str, Any]) -> tuple[ItemTemplate, list[str]]:
    changes: dict[str, Any] = {}
    problems = []
    for name, value in fields.items():
        checked, problem = check_item_field(template, name, value)
        if problem is not None:
            problems.append(f"overlay item {template.id}: {problem} Left out.")
        else:
            changes[name] = checked
    return dataclasses.replace(template, **changes), problems


def apply_overlay(world: World, overlay: Overlay) -> tuple[World, list[str]]:
    """world with overlay applied, and what of the overlay was left out (and why)."""
    problems: list[str] = []
    rooms = dict(world.rooms)
    for entry in overlay.rooms.values():
        template, problem = _room(world, entry)
        if template is None:
            problems.append(str(problem))
        else:
            rooms[template.id] = template
    for room_id in overlay.rooms.keys() & rooms.keys():
        room = rooms[room_id]
        kept = {name: target for name, target in room.exits.items()
                if EXIT_PATTERN.match(name) and target in rooms}
        for name in room.exits.keys() - kept.keys():
            problems.append(f"overlay room {room_id}: exit '{name}' leads to "
                            f"'{room.exits[name]}', which is not a room. Left out.")
        if kept != room.exits:
            rooms[room_id] = dataclasses.replace(room, exits=kept)
    items = dict(world.items)
    for item_id, fields in overlay.items.items():
        base = items.get(item_id)
        if base is None or base.kind == "essence":
            problems.append(f"overlay item {item_id}: not an item of the world files. Left out.")
            continue
        items[item_id], item_problems = _item(base, fields)
        problems += item_problems
    return dataclasses.replace(world, rooms=rooms, items=items), problems
