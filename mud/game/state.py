"""The running game: rooms with their occupants and floor items, characters in memory, and
which session (if any) plays each character. Everything here is synchronous and in memory."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from mud.game import quests
from mud.game.groups import Groups
from mud.game.mobs import Mob, SpawnSlot
from mud.game.model import Character
from mud.game.notices import Kind, Notices
from mud.game.shops import Shop
from mud.roles import role_allows
from mud.text import counted
from mud.world.loader import ItemTemplate, RoomTemplate, World

log = logging.getLogger("mud.game")


class Player(Protocol):
    """What the game needs of a connected session."""

    character: Character | None

    def send(self, text: str) -> None: ...

    def close(self, reason: str) -> None: ...


@dataclass
class FloorItem:
    item_id: str
    quantity: int = 1
    metadata: dict[str, Any] | None = None


@dataclass(eq=False)
class Room:
    template: RoomTemplate
    occupants: list[Character] = field(default_factory=list)
    items: list[FloorItem] = field(default_factory=list)
    mobs: list[Mob] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.template.id


class Game:
    def __init__(self, world: World) -> None:
        self.world = world
        self.rooms: dict[str, Room] = {}
        self.characters: dict[uuid.UUID, Character] = {}  # in memory: playing, link-dead, saving
        self.players: dict[uuid.UUID, Player] = {}        # character id -> its session
        self._in_world: dict[str, Character] = {}          # lower name -> character in a room
        self._loading: dict[uuid.UUID, asyncio.Future[Character | None]] = {}
        self.rng = random.Random()
        # the game's wall clock in seconds (cooldowns, weakness, the tick); a test moves its own
        self.now: Callable[[], float] = time.time
        self.notices = Notices(self)  # entering, leaving, lost links: told once a turn
        self.fights: set[Mob] = set()  # monsters in combat, each with its attackers
        self.slots: list[SpawnSlot] = []
        self.shops: dict[str, Shop] = {}  # by shop id, made when first visited
        self.groups = Groups(self.characters)
        self._round: dict[Character, list[str]] | None = None  # see one_line_a_round
        self.use_world(world)

    def use_world(self, world: World) -> list[Room]:
        """Play on world from now on (end every fight first). Rooms it keeps keep their
        occupants and floor items; new rooms get the floor items world places; every monster
        is spawned afresh. Returns the rooms that are gone: their occupants are in no room
        until placed again."""
        self.world = world
        old, self.rooms = self.rooms, {}
        for room_id, template in world.rooms.items():
            room = old.pop(room_id, None)
            if room is None:
                room = Room(template)
                for spawn in template.items:
                    self.put_on_floor(room, spawn.id, spawn.count)
            else:
                room.template = template
                room.mobs.clear()
                room.items = [f for f in room.items if f.item_id in world.items]
            self.rooms[room_id] = room
        self.fights.clear()
        self.slots = [SpawnSlot(spawn.id, room.id) for room in world.rooms.values()
                      for spawn in room.monsters for _ in range(spawn.count)]
        for slot in self.slots:
            self.spawn(slot)
        return list(old.values())

    def set_room(self, template: RoomTemplate) -> Room:
        """A new room, or new name, description and exits for one, in the running world."""
        self.world.rooms[template.id] = template
        room = self.rooms.get(template.id)
        if room is None:
            room = self.rooms[template.id] = Room(template)
        else:
            room.template = template
        return room

    def put_on_floor(self, room: Room, item_id: str, quantity: int) -> None:
        """quantity of an item on a room's floor: a stackable one joins its pile, others lie
        one by one."""
        if self.world.items[item_id].stackable:
            pile = next((f for f in room.items if f.item_id == item_id and not f.metadata), None)
            if pile is not None:
                pile.quantity += quantity
            else:
                room.items.append(FloorItem(item_id, quantity))
        else:
            room.items.extend(FloorItem(item_id) for _ in range(quantity))

    def take_from_floor(self, room: Room, floor: FloorItem, quantity: int) -> None:
        floor.quantity -= quantity
        if floor.quantity == 0:
            room.items.remove(floor)

    def pick_up(self, ch: Character, room: Room, floor: FloorItem, quantity: int) -> str | None:
        """ch takes quantity of a floor item into its pack, telling the room; the label of what
        it took, or None (nothing taken) when it cannot carry it."""
        template = self.world.items[floor.item_id]
        if not ch.can_carry(floor.item_id, template.stackable):
            return None
        self.take_from_floor(room, floor, quantity)
        ch.add_item(floor.item_id, quantity, template.stackable, floor.metadata)
        label = self.label(floor.item_id, quantity)
        self.tell_room(room, f"{ch.name} picks up {label}.", exclude=[ch])
        return label

    def spawn(self, slot: SpawnSlot) -> Mob:
        template = self.world.monsters[slot.monster_id]
        mob = Mob(template, slot.room_id, template.health, slot)
        slot.mob = mob
        self.rooms[slot.room_id].mobs.append(mob)
        return mob

    # -- lookup ---------------------------------------------------------------------------------

    def item(self, item_id: str) -> ItemTemplate:
        return self.world.items[item_id]

    def label(self, item_id: str, quantity: int) -> str:
        return counted(self.world.items[item_id].name, quantity)

    def shop_in(self, room: Room) -> tuple[Mob, Shop] | None:
        """The shop a monster in room keeps (restocked if due), with its keeper."""
        for mob in room.mobs:
            template = self.world.shop_kept_by(mob.template.id)
            if template is not None:
                shop = self.shops.get(template.id)
                if shop is None:
                    shop = self.shops[template.id] = Shop(template)
                shop.template = template  # a reloaded world may have changed it
                shop.restock_if_due(self.now())
                return mob, shop
        return None

    def room_of(self, ch: Character) -> Room:
        return self.rooms[ch.room_id or self.world.start_room]

    def find_online(self, name: str) -> Character | None:
        """A character in the world by exact name (any case)."""
        return self._in_world.get(name.lower())

    def in_world(self) -> list[Character]:
        return sorted(self._in_world.values(), key=lambda c: c.name)

    def present(self) -> list[Character]:
        """Characters in a room, in no particular order (cheaper than in_world)."""
        return list(self._in_world.values())

    def is_connected(self, ch: Character) -> bool:
        return ch.id in self.players

    def sees(self, viewer: Character, ch: Character) -> bool:
        """Whether viewer notices ch: an invisible wizard is seen by wizards alone."""
        return not ch.invisible or role_allows(
            getattr(self.players.get(viewer.id), "role", "player"), "wizard")

    # -- loading with one copy per character ----------------------------------------------------

    async def obtain(self, character_id: uuid.UUID,
                     load: Callable[[uuid.UUID], Awaitable[Character | None]]
                     ) -> Character | None:
        """The character's one in-memory object: the existing one, or loaded once even when
        several logins ask at the same moment."""
        if character_id in self.characters:
            return self.characters[character_id]
        pending = self._loading.get(character_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Character | None] = asyncio.get_running_loop().create_future()
        self._loading[character_id] = future
        try:
            ch = await load(character_id)
            if ch is not None:
                self.characters[ch.id] = ch
            future.set_result(ch)
            return ch
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._loading[character_id]

    # -- placing characters ---------------------------------------------------------------------

    def place(self, ch: Character) -> Room:
        """Put a character into its room (the start room if its room no longer exists)."""
        if ch.room_id not in self.rooms:
            ch.move_to(self.world.start_room)
        room = self.rooms[ch.room_id]  # type: ignore[index]
        if ch not in room.occupants:
            room.occupants.append(ch)
        self._in_world[ch.name.lower()] = ch
        return room

    def unplace(self, ch: Character) -> None:
        room = self.rooms.get(ch.room_id or "")
        if room is not None and ch in room.occupants:
            room.occupants.remove(ch)
        self._in_world.pop(ch.name.lower(), None)

    def move(self, ch: Character, destination: str) -> Room:
        self.unplace(ch)
        ch.move_to(destination)
        room = self.place(ch)
        for quest, _, _ in quests.record(ch, self.world.quests, "visit", room.id):
            self.tell(ch, f"[{quest.name}] You have arrived {room.template.where}.")
        return room

    # -- messages -------------------------------------------------------------------------------

    @contextmanager
    def collecting(self, *characters: Character) -> Iterator[None]:
        """Tell each of characters how its collect objectives moved while the block ran
        (things picked up, found, received, dropped, given, put away or eaten)."""
        before = [(ch, quests.collect_counts(ch, self.world.quests)) for ch in characters]
        yield
        for ch, counts in before:
            for quest, objective, count in quests.collect_moved(ch, self.world.quests, counts):
                self.tell(ch, f"[{quest.name}] {self.world.items[objective.target].name}: "
                              f"{count}/{objective.count}")

    def tell(self, ch: Character, text: str) -> None:
        if self._round is not None and ch.compact:
            self._round.setdefault(ch, []).append(text)
            return
        player = self.players.get(ch.id)
        if player is not None:
            player.send(text)

    @contextmanager
    def one_line_a_round(self) -> Iterator[None]:
        """What a fight's round tells those who chose compact fights is gathered, and told to
        each of them as one line at its end."""
        self._round = {}
        try:
            yield
        finally:
            gathered, self._round = self._round, None
            for ch, lines in gathered.items():
                self.tell(ch, " ".join(lines))

    def tell_room(self, room: Room, text: str, exclude: Iterable[Character] = (),
                  actor: Character | None = None, speaker: Character | None = None) -> None:
        """text to everyone in room but exclude; when it tells of what actor did, only to those
        who see actor; when it is speaker's words (a say, an emote, a social), not to those
        who ignore speaker."""
        skip = set(map(id, exclude))
        ignored = speaker.name.lower() if speaker is not None else None
        for other in room.occupants:
            if id(other) not in skip and (actor is None or self.sees(other, actor)) and (
                    ignored not in other.ignoring):
                self.tell(other, text)

    def notify(self, room: Room, kind: Kind, actor: Character) -> None:
        """Tell room that actor did kind (entered, left, lost their link, reconnected), together
        with everyone else who did the same there in this turn."""
        self.notices.add(room, kind, actor)

    def tell_all(self, text: str) -> None:
        for player in list(self.players.values()):
            player.send(text)
