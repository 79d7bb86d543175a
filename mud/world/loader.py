"""Load world/ data files (TOML) into immutable templates, validating everything.

Every problem is reported with its file and entry, and loading fails if there is any.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mud.world.essences import EMPTY, Essences, parse_essences

log = logging.getLogger("mud.world")

DIRECTIONS: tuple[str, ...] = ("north", "east", "south", "west", "up", "down")
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east",
            "up": "down", "down": "up"}
ITEM_KINDS = frozenset({"weapon", "armour", "consumable", "essence", "container", "currency",
                        "quest", "junk"})
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
EXIT_PATTERN = re.compile(r"^[a-z]{2,20}$")


@dataclass(frozen=True)
class ItemTemplate:
    id: str
    name: str
    keywords: tuple[str, ...]
    kind: str
    stackable: bool
    description: str
    essence: str = ""  # for essence items: the essence it bonds


@dataclass(frozen=True)
class FloorSpawn:
    item_id: str
    quantity: int


@dataclass(frozen=True)
class RoomTemplate:
    id: str
    zone: str
    name: str
    description: str
    exits: dict[str, str]
    items: tuple[FloorSpawn, ...] = ()


@dataclass(frozen=True)
class Zone:
    id: str
    name: str


@dataclass
class World:
    rooms: dict[str, RoomTemplate]
    items: dict[str, ItemTemplate]
    zones: dict[str, Zone]
    start_room: str
    essences: Essences = EMPTY


class WorldError(Exception):
    """World data is invalid; .problems lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in world data:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass
class _Loader:
    root: Path
    problems: list[str] = field(default_factory=list)

    def problem(self, path: Path, entry: str, message: str) -> None:
        self.problems.append(f"{path.relative_to(self.root)}: {entry}: {message}")

    def read(self, path: Path) -> dict[str, Any]:
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            self.problem(path, "file", str(exc))
            return {}

    def text(self, path: Path, entry: str, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problem(path, entry, f"'{key}' must be a non-empty string")
            return ""
        return value.strip()

    def ident(self, path: Path, entry: str, value: Any, what: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(path, entry, f"{what} {value!r} must be lowercase letters, digits and "
                                      "underscores, starting with a letter")
            return ""
        return value

    def items(self, path: Path, items: dict[str, ItemTemplate]) -> None:
        for index, data in enumerate(self.read(path).get("item", [])):
            entry = f"item #{index + 1} ({data.get('id', '?')})"
            item_id = self.ident(path, entry, data.get("id"), "id")
            if item_id in items:
                self.problem(path, entry, f"duplicate item id '{item_id}'")
                continue
            keywords = data.get("keywords")
            if (not isinstance(keywords, list) or not keywords
                    or not all(isinstance(k, str) and k.isalpha() and k.islower()
                               for k in keywords)):
                self.problem(path, entry, "'keywords' must be a list of lowercase words")
                keywords = []
            kind = data.get("kind")
            if kind not in ITEM_KINDS:
                self.problem(path, entry, f"kind {kind!r} must be one of {sorted(ITEM_KINDS)}")
            elif kind == "essence":
                self.problem(path, entry, "essence items are made from essences.toml; "
                                          "define the essence there instead")
            stackable = data.get("stackable", False)
            if not isinstance(stackable, bool):
                self.problem(path, entry, "'stackable' must be true or false")
            name = self.text(path, entry, data, "name")
            description = self.text(path, entry, data, "description")
            if item_id:
                items[item_id] = ItemTemplate(item_id, name, tuple(keywords), str(kind),
                                              bool(stackable), description)

    def essences(self, path: Path, items: dict[str, ItemTemplate]) -> Essences:
        """Essence templates, plus an essence item for each bondable essence."""
        essences = parse_essences(self.read(path),
                                  lambda entry, message: self.problem(path, entry, message))
        for essence in essences.by_id.values():
            if essence.confluence:
                continue
            if essence.item_id in items:
                self.problem(path, f"essence {essence.id}",
                             f"item id '{essence.item_id}' is taken by an item in items.toml")
                continue
            items[essence.item_id] = ItemTemplate(
                essence.item_id, essence.item_name, (essence.id, "essence"), "essence", False,
                f"A mote of {essence.id} essence, waiting to be bonded. {essence.description}",
                essence.id)
        return essences

    def zone(self, path: Path, rooms: dict[str, RoomTemplate], zones: dict[str, Zone],
             sources: dict[str, Path]) -> None:
        data = self.read(path)
        zone_data = data.get("zone", {})
        zone_id = self.ident(path, "zone", zone_data.get("id"), "zone id")
        if zone_id in zones:
            self.problem(path, "zone", f"duplicate zone id '{zone_id}'")
        zones[zone_id] = Zone(zone_id, self.text(path, "zone", zone_data, "name"))
        for index, room in enumerate(data.get("room", [])):
            entry = f"room #{index + 1} ({room.get('id', '?')})"
            room_id = self.ident(path, entry, room.get("id"), "id")
            if room_id in rooms:
                self.problem(path, entry, f"duplicate room id '{room_id}' "
                                          f"(first in {sources[room_id].name})")
                continue
            exits = room.get("exits", {})
            if not isinstance(exits, dict):
                self.problem(path, entry, "'exits' must be a table of direction = room id")
                exits = {}
            for name in exits:
                if not EXIT_PATTERN.match(name):
                    self.problem(path, entry, f"exit name {name!r} must be 2-20 lowercase letters")
            spawns = []
            for spawn in room.get("items", []):
                quantity = spawn.get("quantity", 1)
                if not isinstance(quantity, int) or quantity < 1:
                    self.problem(path, entry, f"item quantity {quantity!r} must be at least 1")
                    quantity = 1
                spawns.append(FloorSpawn(str(spawn.get("item")), quantity))
            if room_id:
                sources[room_id] = path
                rooms[room_id] = RoomTemplate(
                    room_id, zone_id, self.text(path, entry, room, "name"),
                    self.text(path, entry, room, "description"),
                    {str(k): str(v) for k, v in exits.items()}, tuple(spawns))

    def cross_check(self, world: World, sources: dict[str, Path]) -> None:
        for room in world.rooms.values():
            path, entry = sources[room.id], f"room {room.id}"
            for direction, target in room.exits.items():
                if target not in world.rooms:
                    self.problem(path, entry, f"exit '{direction}' leads to unknown room "
                                              f"'{target}'")
            for spawn in room.items:
                if spawn.item_id not in world.items:
                    self.problem(path, entry, f"unknown item '{spawn.item_id}'")
        if world.start_room not in world.rooms:
            self.problems.append(f"world.toml: start_room '{world.start_room}' is not a room")


def load_world(root: Path) -> World:
    """Read and validate every data file under root; raise WorldError listing all problems."""
    loader = _Loader(root)
    if not root.is_dir():
        raise WorldError([f"{root}: world folder not found"])
    settings = loader.read(root / "world.toml")
    items: dict[str, ItemTemplate] = {}
    item_files = sorted(root.glob("items*.toml")) + sorted(root.glob("items/*.toml"))
    for path in item_files:
        loader.items(path, items)
    essences = loader.essences(root / "essences.toml", items)
    rooms: dict[str, RoomTemplate] = {}
    zones: dict[str, Zone] = {}
    sources: dict[str, Path] = {}
    zone_files = sorted((root / "zones").glob("*.toml"))
    for index, path in enumerate(zone_files, 1):
        log.info("event=world_load step=%d/%d file=%s", index, len(zone_files), path.name)
        loader.zone(path, rooms, zones, sources)
    world = World(rooms, items, zones, str(settings.get("start_room", "")), essences)
    loader.cross_check(world, sources)
    if loader.problems:
        raise WorldError(loader.problems)
    log.info("event=world_loaded zones=%d rooms=%d items=%d essences=%d", len(zones),
             len(rooms), len(items), len(essences.by_id))
    return world
