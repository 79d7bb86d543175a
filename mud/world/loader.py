"""Load world/ data files (TOML) into immutable templates, validating everything.

world.toml (settings), items*.toml, essences.toml, monsters.toml, quests.toml and zones/*.toml.
Every problem is reported with its file and entry, and loading fails if there is any.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mud.text import indefinite, place_of
from mud.world.essences import EMPTY, Essences, parse_essences
from mud.world.fields import Problem, number, table_list, text, unknown_keys
from mud.world.items import ItemTemplate, parse_item
from mud.world.monsters import MonsterTemplate, parse_monster
from mud.world.quests import QuestTemplate, parse_quest
from mud.world.shops import TRADED_KINDS, ShopTemplate, parse_shop
from mud.world.socials import Social, parse_social

log = logging.getLogger("mud.world")

DIRECTIONS: tuple[str, ...] = ("north", "east", "south", "west", "up", "down")
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east",
            "up": "down", "down": "up"}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
EXIT_PATTERN = re.compile(r"^[a-z]{2,20}$")
ROOM_KEYS = {"id", "name", "place", "description", "exits", "items", "monsters", "forage", "bed"}
PLACE_MAX = 100  # characters in a room's running-text form

__all__ = ["DIRECTIONS", "OPPOSITE", "ItemTemplate", "RoomTemplate", "World", "WorldError",
           "Zone", "load_world"]


@dataclass(frozen=True)
class Spawn:
    """Items on a room's floor, or monsters in it, as the world places them."""

    id: str  # item or monster id
    count: int


@dataclass(frozen=True)
class RoomTemplate:
    id: str
    zone: str
    name: str
    description: str
    exits: dict[str, str]
    items: tuple[Spawn, ...] = ()
    monsters: tuple[Spawn, ...] = ()
    forage: tuple[str, ...] = ()  # items `forage` may find here
    place: str = ""  # the room in running text ("outside the North Gate"); "": made from name
    bed: int = 0  # what a night in a bed here costs, in copper (`sleep`); 0: no bed

    @property
    def where(self) -> str:
        """The room after a verb in running text: 'You wake in the Village Square', 'You
        wake outside the North Gate'."""
        return self.place or place_of(self.name)


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    reset: int = 300  # seconds between resets: missing floor items return
    recovery_room: str = ""  # where characters who die here wake (default: the start room)


@dataclass
class World:
    rooms: dict[str, RoomTemplate]
    items: dict[str, ItemTemplate]
    zones: dict[str, Zone]
    start_room: str
    essences: Essences = EMPTY
    monsters: dict[str, MonsterTemplate] = field(default_factory=dict)
    quests: dict[str, QuestTemplate] = field(default_factory=dict)
    weakness_seconds: int = 60  # how long death's weakness lasts
    socials: dict[str, Social] = field(default_factory=dict)
    shops: dict[str, ShopTemplate] = field(default_factory=dict)

    def collected_by_quests(self) -> frozenset[str]:
        """The items some quest asks to be collected: shops neither sell nor resell them."""
        return frozenset(objective.target for quest in self.quests.values()
                         for objective in quest.objectives if objective.kind == "collect")

    def shop_kept_by(self, monster_id: str) -> ShopTemplate | None:
        return next((shop for shop in self.shops.values() if shop.keeper == monster_id), None)

    def recovery_room(self, room_id: str) -> str:
        zone = self.zones.get(self.rooms[room_id].zone) if room_id in self.rooms else None
        return (zone.recovery_room if zone else "") or self.start_room


class WorldError(Exception):
    """World data is invalid; .problems lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in world data:\n  " + "\n  ".join(problems))
        self.problems = problems


def _place(problem: Problem, entry: str, room: dict[str, Any]) -> str:
    """A room's `place`, checked: a phrase that reads after "You wake" ("" when not given)."""
    value = room.get("place", "")
    if not isinstance(value, str) or "\n" in value or len(value) > PLACE_MAX or (
            "place" in room and not value.strip()[:1].islower()):
        problem(entry, f"'place' must be one line of at most {PLACE_MAX} characters that reads "
                       "after \"You wake\", starting with a lowercase word: "
                       "place = \"outside the North Gate\"")
        return ""
    return value.strip()


@dataclass
class _Loader:
    root: Path
    problems: list[str] = field(default_factory=list)

    def problem(self, path: Path, entry: str, message: str) -> None:
        self.problems.append(f"{path.relative_to(self.root)}: {entry}: {message}")

    def reporter(self, path: Path) -> Problem:
        return lambda entry, message: self.problem(path, entry, message)

    def read(self, path: Path, required: bool = True) -> dict[str, Any]:
        if not required and not path.exists():
            return {}
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            self.problem(path, "file", str(exc))
            return {}

    def ident(self, path: Path, entry: str, value: Any, what: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(path, entry, f"{what} {value!r} must be lowercase letters, digits and "
                                      "underscores, starting with a letter")
            return ""
        return value

    def entries(self, path: Path, key: str, into: dict[str, Any],
                parse: Callable[[Problem, str, dict[str, Any]], dict[str, Any]],
                build: Callable[..., Any]) -> None:
        """Every [[key]] table of a file: checked, then built as build(id, **fields)."""
        problem = self.reporter(path)
        data_file = self.read(path, required=False)  # a world may have no monsters or quests
        for index, data in enumerate(table_list(problem, "file", data_file, key), 1):
            entry = f"{key} #{index} ({data.get('id', '?')})"
            entry_id = self.ident(path, entry, data.get("id"), "id")
            fields = parse(problem, entry, data)
            if entry_id in into:
                self.problem(path, entry, f"duplicate {key} id '{entry_id}'")
            elif entry_id:
                into[entry_id] = build(entry_id, **fields)

    def essences(self, path: Path, items: dict[str, ItemTemplate]) -> Essences:
        """Essence templates, plus an essence item for each bondable essence."""
        essences = parse_essences(self.read(path), self.reporter(path))
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

    def spawns(self, path: Path, entry: str, room: dict[str, Any], key: str, what: str,
               count_key: str) -> tuple[Spawn, ...]:
        found = []
        for raw in table_list(self.reporter(path), entry, room, key):
            count = number(self.reporter(path), entry, raw, count_key, 1, 1000, 1)
            found.append(Spawn(str(raw.get(what)), count))
        return tuple(found)

    def zone(self, path: Path, rooms: dict[str, RoomTemplate], zones: dict[str, Zone],
             sources: dict[str, Path]) -> None:
        data = self.read(path)
        problem = self.reporter(path)
        zone_data = data.get("zone", {})
        zone_id = self.ident(path, "zone", zone_data.get("id"), "zone id")
        if zone_id in zones:
            self.problem(path, "zone", f"duplicate zone id '{zone_id}'")
        zones[zone_id] = Zone(zone_id, text(problem, "zone", zone_data, "name"),
                              number(problem, "zone", zone_data, "reset", 1, 86_400, 300),
                              str(zone_data.get("recovery_room", "")))
        for index, room in enumerate(data.get("room", [])):
            entry = f"room #{index + 1} ({room.get('id', '?')})"
            room_id = self.ident(path, entry, room.get("id"), "id")
            if room_id in rooms:
                self.problem(path, entry, f"duplicate room id '{room_id}' "
                                          f"(first in {sources[room_id].name})")
                continue
            unknown_keys(problem, entry, room, ROOM_KEYS)
            exits = room.get("exits", {})
            if not isinstance(exits, dict):
                self.problem(path, entry, "'exits' must be a table of direction = room id")
                exits = {}
            for name in exits:
                if not EXIT_PATTERN.match(name):
                    self.problem(path, entry, f"exit name {name!r} must be 2-20 lowercase letters")
            forage = room.get("forage", [])
            if not isinstance(forage, list) or not all(isinstance(f, str) for f in forage):
                self.problem(path, entry, "'forage' must be a list of item ids")
                forage = []
            if room_id:
                sources[room_id] = path
                rooms[room_id] = RoomTemplate(
                    room_id, zone_id, text(problem, entry, room, "name"),
                    text(problem, entry, room, "description"),
                    {str(k): str(v) for k, v in exits.items()},
                    self.spawns(path, entry, room, "items", "item", "quantity"),
                    self.spawns(path, entry, room, "monsters", "monster", "count"),
                    tuple(forage), _place(problem, entry, room),
                    number(problem, entry, room, "bed", 0, 10_000, 0))

    def cross_check(self, world: World, sources: dict[str, Path]) -> None:
        for room in world.rooms.values():
            path, entry = sources[room.id], f"room {room.id}"
            for direction, target in room.exits.items():
                if target not in world.rooms:
                    self.problem(path, entry, f"exit '{direction}' leads to unknown room "
                                              f"'{target}'")
            for item_id in [s.id for s in room.items] + list(room.forage):
                if item_id not in world.items:
                    self.problem(path, entry, f"unknown item '{item_id}'")
            for spawn in room.monsters:
                if spawn.id not in world.monsters:
                    self.problem(path, entry, f"unknown monster '{spawn.id}'")
        for zone in world.zones.values():
            if zone.recovery_room and zone.recovery_room not in world.rooms:
                self.problems.append(f"zone {zone.id}: recovery_room '{zone.recovery_room}' "
                                     "is not a room")
        self.check_monsters(world)
        self.check_quests(world)
        self.check_shops(world)
        if world.start_room not in world.rooms:
            self.problems.append(f"world.toml: start_room '{world.start_room}' is not a room")

    def check_monsters(self, world: World) -> None:
        path = self.root / "monsters.toml"
        abilities = {a.name: a for e in world.essences.by_id.values() for a in e.abilities}
        for monster in world.monsters.values():
            entry = f"monster {monster.id}"
            for name in monster.abilities:
                ability = abilities.get(name)
                if ability is None:
                    self.problem(path, entry, f"unknown ability '{name}'")
                elif ability.effect not in ("damage", "heal"):
                    self.problem(path, entry, f"ability '{name}' is {indefinite(ability.effect)}; "
                                              "monsters use damage and heal abilities")
            for loot in monster.loot:
                if loot.item_id not in world.items:
                    self.problem(path, entry, f"unknown loot item '{loot.item_id}'")

    def check_shops(self, world: World) -> None:
        path, keepers = self.root / "shops.toml", set()
        collected = world.collected_by_quests()
        for shop in world.shops.values():
            entry = f"shop {shop.id}"
            keeper = world.monsters.get(shop.keeper)
            if keeper is None or not keeper.peaceful:
                self.problem(path, entry, f"keeper '{shop.keeper}' must be a peaceful monster")
            elif shop.keeper in keepers:
                self.problem(path, entry, f"'{shop.keeper}' already keeps another shop")
            keepers.add(shop.keeper)
            for item_id, _ in shop.stock:
                item = world.items.get(item_id)
                if item is None:
                    self.problem(path, entry, f"unknown stock item '{item_id}'")
                elif item_id in collected:
                    self.problem(path, entry, f"stock item '{item_id}' is collected for a quest")
                elif item.kind not in TRADED_KINDS or item.value < 1:
                    self.problem(path, entry, f"stock item '{item_id}' is {item.kind} worth "
                                              f"{item.value}: shops sell things of value, not "
                                              "coins, essences or quest items")

    def check_quests(self, world: World) -> None:
        path = self.root / "quests.toml"
        lookup = {"kill": world.monsters, "collect": world.items, "visit": world.rooms,
                  "deliver": world.items}
        for quest in world.quests.values():
            entry = f"quest {quest.id}"
            giver = world.monsters.get(quest.giver)
            if giver is None or not giver.peaceful:
                self.problem(path, entry, f"giver '{quest.giver}' is not a peaceful monster")
            for required in quest.requires:
                if required not in world.quests:
                    self.problem(path, entry, f"requires unknown quest '{required}'")
            for objective in quest.objectives:
                if objective.target not in lookup[objective.kind]:
                    self.problem(path, entry, f"{objective.kind} objective: unknown "
                                              f"'{objective.target}'")
                if objective.kind == "deliver" and objective.to not in world.monsters:
                    self.problem(path, entry, f"deliver to unknown monster '{objective.to}'")
            for item_id, _ in quest.start_items + quest.reward_items:
                if item_id not in world.items:
                    self.problem(path, entry, f"unknown item '{item_id}'")


def load_world(root: Path) -> World:
    """Read and validate every data file under root; raise WorldError listing all problems."""
    loader = _Loader(root)
    if not root.is_dir():
        raise WorldError([f"{root}: world folder not found"])
    settings = loader.read(root / "world.toml")
    items: dict[str, ItemTemplate] = {}
    for path in sorted(root.glob("items*.toml")) + sorted(root.glob("items/*.toml")):
        loader.entries(path, "item", items, parse_item, ItemTemplate)
    essences = loader.essences(root / "essences.toml", items)
    monsters: dict[str, MonsterTemplate] = {}
    loader.entries(root / "monsters.toml", "monster", monsters, parse_monster, MonsterTemplate)
    quests: dict[str, QuestTemplate] = {}
    loader.entries(root / "quests.toml", "quest", quests, parse_quest, QuestTemplate)
    socials: dict[str, Social] = {}
    loader.entries(root / "socials.toml", "social", socials, parse_social, Social)
    shops: dict[str, ShopTemplate] = {}
    loader.entries(root / "shops.toml", "shop", shops, parse_shop, ShopTemplate)
    rooms: dict[str, RoomTemplate] = {}
    zones: dict[str, Zone] = {}
    sources: dict[str, Path] = {}
    zone_files = sorted((root / "zones").glob("*.toml"))
    for index, path in enumerate(zone_files, 1):
        log.info("event=world_load step=%d/%d file=%s", index, len(zone_files), path.name)
        loader.zone(path, rooms, zones, sources)
    weakness = number(loader.reporter(root / "world.toml"), "settings", settings,
                      "weakness_seconds", 1, 3600, 60)
    world = World(rooms, items, zones, str(settings.get("start_room", "")), essences, monsters,
                  quests, weakness, socials, shops)
    loader.cross_check(world, sources)
    if loader.problems:
        raise WorldError(loader.problems)
    log.info("event=world_loaded zones=%d rooms=%d items=%d essences=%d monsters=%d quests=%d "
             "socials=%d shops=%d", len(zones), len(rooms), len(items), len(essences.by_id),
             len(monsters), len(quests), len(socials), len(shops))
    return world
