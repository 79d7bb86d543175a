"""The in-memory character aggregate, which marks its own changes.

While a character is online this object is the truth, and the write-behind saver flushes what
changed to PostgreSQL. A change cannot miss the saver, whoever makes it: assigning a saved field
of the character marks its core dirty; assigning a saved field of one of its rows marks the part
the row is saved in (an ability alone, for Part.ABILITIES); and the owned collections (inventory,
essences, abilities, quests, skills) are lists that mark their part whenever they change. Values
inside a JSON field (an item's or an ability's metadata, a quest's progress) are replaced, never
changed in place: a change inside the dict would not be seen.
"""

from __future__ import annotations

import copy
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from mud.game import rules
from mud.game.ids import new_id

if TYPE_CHECKING:
    from mud.game.mobs import Mob


class Part(StrEnum):
    """Independently saved parts of a character aggregate (one table or two each)."""

    CORE = "core"
    INVENTORY = "inventory"
    ESSENCES = "essences"  # essences and their abilities are saved together
    ABILITIES = "abilities"  # only the abilities in Character.changed_abilities (in place)
    QUESTS = "quests"
    SKILLS = "skills"


# -- how fields mark ------------------------------------------------------------------------
#
# The descriptors below define __set__ and no __get__: a value stays in the instance dict under
# the field's own name, so reading it is a plain attribute read (copies, dataclasses' fields and
# the saver's compiled readers see ordinary attributes), and only an assignment pays for the
# mark. Whatever is assigned while the object is being built marks nothing.


class _CoreField:
    """A saved field of the character itself: assigning it marks the core."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __set__(self, ch: Character, value: Any) -> None:
        state = ch.__dict__
        state[self.name] = value
        if "_built" in state:
            ch.mark(Part.CORE)


class _RowField:
    """A saved field of a row a character owns: assigning it marks the owner (see Rows)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __set__(self, row: _Row, value: Any) -> None:
        state = row.__dict__
        state[self.name] = value
        owner = state.get("_owner")
        if owner is not None:
            ch = owner()
            if ch is not None:
                ch.row_changed(row)


class _Collection:
    """An owned collection of the character: the list assigned is held as the character's Rows,
    and the assignment marks the collection's part."""

    __slots__ = ("name", "part")

    def __init__(self, name: str, part: Part) -> None:
        self.name, self.part = name, part

    def __set__(self, ch: Character, rows: Iterable[Any]) -> None:
        state = ch.__dict__
        state[self.name] = Rows.owned(rows, ch, self.part)
        if "_built" in state:
            ch.mark(self.part)


class _Row:
    """A row a character owns (an item carried, an essence, an ability, a quest, a skill).
    Once it is in one of the character's collections, its `_owner` (a weak reference, so that
    no cycle keeps a character alive) has its saved fields mark the character's `part`."""

    part: ClassVar[Part]

    def __getstate__(self) -> dict[str, Any]:
        """A copy belongs to no one until a collection adopts it."""
        state = dict(self.__dict__)
        state.pop("_owner", None)
        return state


_T = TypeVar("_T")


class Rows(list[_T]):
    """One owned collection of a character: a list that adopts the rows that join it and marks
    its part on every change. Collections hold a few dozen rows at most, so a change adopts them
    all again rather than working out which are new."""

    __slots__ = ("_owner", "_part")
    _owner: weakref.ref[Character]
    _part: Part

    @classmethod
    def owned(cls, rows: Iterable[_T], ch: Character, part: Part) -> Rows[_T]:
        held = cls(rows)
        held._owner, held._part = weakref.ref(ch), part
        held._adopt()
        return held

    def _adopt(self) -> None:
        owner = self._owner
        for row in self:
            row.__dict__["_owner"] = owner

    def _changed(self) -> None:
        self._adopt()
        ch = self._owner()
        if ch is not None:
            ch.mark(self._part)

    def __reduce_ex__(self, protocol: Any) -> Any:
        """A copy is a plain list, owned by no one."""
        return list, (list(self),)


def _marking(method: Callable[..., Any]) -> Callable[..., Any]:
    def changing(self: Rows[Any], *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self._changed()
        return result

    changing.__name__ = changing.__qualname__ = method.__name__
    changing.__doc__ = method.__doc__
    return changing


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(Rows, _name, _marking(getattr(list, _name)))


# -- rows -----------------------------------------------------------------------------------


@dataclass
class InventoryItem(_Row):
    part: ClassVar[Part] = Part.INVENTORY

    id: uuid.UUID
    item_id: str
    quantity: int = 1
    slot: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class Essence(_Row):
    part: ClassVar[Part] = Part.ESSENCES

    id: uuid.UUID
    essence_type: str
    attribute_bound: str
    rank_bonded: str


@dataclass
class Ability(_Row):
    part: ClassVar[Part] = Part.ABILITIES  # changed in place: saved alone

    id: uuid.UUID
    essence_id: uuid.UUID
    ability_name: str
    current_rank: str = "normal"
    awakened: bool = False
    metadata: dict[str, Any] | None = None


@dataclass
class QuestProgress(_Row):
    part: ClassVar[Part] = Part.QUESTS

    id: uuid.UUID
    quest_id: str
    status: str = "active"
    progress: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Skill(_Row):
    part: ClassVar[Part] = Part.SKILLS

    id: uuid.UUID
    skill_id: str
    level: int = 1
    experience: int = 0


# -- the character --------------------------------------------------------------------------


@dataclass(eq=False)
class Character:
    id: uuid.UUID
    player_id: uuid.UUID
    name: str
    rank: str = "normal"
    power: int = rules.STARTING_ATTRIBUTE
    speed: int = rules.STARTING_ATTRIBUTE
    spirit: int = rules.STARTING_ATTRIBUTE
    recovery: int = rules.STARTING_ATTRIBUTE
    room_id: str | None = None
    health: int = 100
    mana: int = 100
    stamina: int = 100
    inventory_expansion: int = 0
    essences: list[Essence] = field(default_factory=list)
    abilities: list[Ability] = field(default_factory=list)
    inventory: list[InventoryItem] = field(default_factory=list)
    quests: list[QuestProgress] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)
    completed_quests: set[str] = field(default_factory=set)  # quest ids finished before
    weak_until: float = 0.0  # wall-clock time death's weakness ends
    frozen: bool = False  # a wizard froze it: it can do nothing until thawed
    prompt: str | None = None  # the player's prompt template; None: the default one
    colour: bool | None = None  # the player's colour forced on or off; None: as the client says
    title: str | None = None  # read after the name in `who`
    afk: str | None = None  # the away message; None: not away
    ignoring: tuple[str, ...] = ()  # names of the characters whose words it does not read
    brief: bool = False  # walking shows a room's name, exits and who is there, not its text
    compact: bool = False  # a fight's round is told as one line
    wimpy: int = 0  # flee on its own when health falls below this in a fight (0: never)
    autoloot: bool = False  # what its kills drop goes to its pack at once
    autocoin: bool = False  # the coins its kills drop go to its pack at once
    aliases: dict[str, str] = field(default_factory=dict)  # name -> commands (assigned whole)
    invisible: bool = False  # not saved: a wizard hidden from players until `vis` or logout
    resting: bool = False  # not saved: a character logs in standing
    in_bed: bool = False  # not saved: its resting is in a paid bed (`sleep`), not on the floor
    fighting: Mob | None = None  # not saved: the monster it attacks
    dirty: set[Part] = field(default_factory=set)
    changed_abilities: set[uuid.UUID] = field(default_factory=set)  # for Part.ABILITIES
    on_dirty: Callable[[Character], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.__dict__["_built"] = True  # from now on, assigning a saved field marks it

    # -- dirty tracking -------------------------------------------------------------------------

    def mark(self, part: Part) -> None:
        self.dirty.add(part)
        if self.on_dirty is not None:
            self.on_dirty(self)

    def row_changed(self, row: _Row) -> None:
        """A saved field of one of ch's rows was assigned. A changed ability is written alone,
        where a use of an ability would otherwise rewrite all twenty."""
        if row.part is Part.ABILITIES:
            self.changed_abilities.add(row.id)  # type: ignore[attr-defined]
        self.mark(row.part)

    def detached_copy(self) -> Character:
        """A deep copy tied to no saver, to stage a change before the database commits it."""
        twin = copy.copy(self)
        twin.on_dirty, twin.fighting = None, None
        twin.dirty, twin.changed_abilities = set(), set()
        twin.completed_quests = set(self.completed_quests)
        for name in _COLLECTIONS:
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
        twin.dirty.clear()  # taking its own copies of the rows is no change to save
        return twin

    # -- derived values -------------------------------------------------------------------------

    @property
    def max_health(self) -> int:
        return rules.max_health(self.power)

    @property
    def max_mana(self) -> int:
        return rules.max_mana(self.spirit)

    @property
    def max_stamina(self) -> int:
        return rules.max_stamina(self.speed)

    @property
    def inventory_capacity(self) -> int:
        return rules.inventory_capacity(self.inventory_expansion)

    def pool_max(self, pool: str) -> int:
        return getattr(self, f"max_{pool}")

    def abilities_of(self, essence: Essence) -> list[Ability]:
        return [a for a in self.abilities if a.essence_id == essence.id]

    # -- changes --------------------------------------------------------------------------------

    def choose_prompt(self, template: str | None) -> None:
        self.prompt = template

    def choose_colour(self, colour: bool | None) -> None:
        self.colour = colour

    def ignores(self, name: str) -> bool:
        return name.lower() in self.ignoring

    def move_to(self, room_id: str) -> None:
        self.room_id = room_id

    def regenerate(self, gain: int) -> bool:
        """Add gain to every pool below its maximum; True when any changed. Every tick runs
        this for every character, so the pools are written straight into the instance dict and
        the core marked once, not once per pool through their setters."""
        state, changed = self.__dict__, False
        for pool, maximum in (("health", self.max_health), ("mana", self.max_mana),
                              ("stamina", self.max_stamina)):
            value = state[pool]
            if value < maximum:
                state[pool] = min(maximum, value + gain)
                changed = True
        if changed:
            self.mark(Part.CORE)
        return changed

    def change_pool(self, pool: str, delta: int) -> int:
        """Add delta (may be negative) to a pool, kept within 0..maximum; returns the change."""
        before = getattr(self, pool)
        after = max(0, min(self.pool_max(pool), before + delta))
        if after != before:
            setattr(self, pool, after)
        return after - before

    @property
    def carried(self) -> list[InventoryItem]:
        """Rows carried in the pack (worn and wielded ones do not take a stack slot)."""
        return [row for row in self.inventory if row.slot is None]

    def in_pack(self, row: InventoryItem) -> bool:
        """Whether row is this character's and carried in the pack (not worn)."""
        return row.slot is None and any(r is row for r in self.inventory)

    def _stack_for(self, item_id: str) -> InventoryItem | None:
        return next((row for row in self.inventory if row.item_id == item_id
                     and row.slot is None and not row.metadata), None)

    def can_carry(self, item_id: str, stackable: bool) -> bool:
        """Whether one more of item_id fits: it joins a stack or there is a free stack slot."""
        if stackable and self._stack_for(item_id) is not None:
            return True
        return len(self.carried) < self.inventory_capacity

    def fits(self, items: list[tuple[str, int, bool]], freed: int = 0) -> bool:
        """Whether (item id, quantity, stackable) entries all fit, with freed stacks emptied."""
        new_stacks, joining = 0, set()
        for item_id, quantity, stackable in items:
            if not stackable:
                new_stacks += quantity  # one row each
            elif item_id not in joining and self._stack_for(item_id) is None:
                new_stacks += 1
                joining.add(item_id)
        return len(self.carried) - freed + new_stacks <= self.inventory_capacity

    def add_items(self, items: list[tuple[str, int, bool]]) -> bool:
        """Add several (item id, quantity, stackable) at once, all or none: False (and nothing
        added) when they would not all fit. Non-stackable quantities become separate rows."""
        if not self.fits(items):
            return False
        for item_id, quantity, stackable in items:
            for _ in range(1 if stackable else quantity):
                self.add_item(item_id, quantity if stackable else 1, stackable)
        return True

    def add_item(self, item_id: str, quantity: int, stackable: bool,
                 metadata: dict[str, Any] | None = None) -> InventoryItem:
        """Add items, joining an existing stack when the item stacks. Caller checks capacity."""
        if stackable and not metadata:
            row = self._stack_for(item_id)
            if row is not None:
                row.quantity += quantity
                return row
        row = InventoryItem(new_id(), item_id, quantity, None,
                            copy.deepcopy(metadata) if metadata else None)
        self.inventory.append(row)
        return row

    def remove_item(self, row: InventoryItem, quantity: int) -> None:
        """Take quantity from one inventory row, dropping the row when it empties."""
        if quantity >= row.quantity:
            self.inventory.remove(row)
        else:
            row.quantity -= quantity



def starting_character(player_id: uuid.UUID, name: str, room_id: str) -> Character:
    """A new character: the model's starting attributes and full pools."""
    ch = Character(id=new_id(), player_id=player_id, name=name, room_id=room_id)
    ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
    ch.dirty.clear()  # nothing to save yet: it is inserted whole
    return ch

# which of the character's fields mark what, installed once the dataclasses are built
_COLLECTIONS = {"inventory": Part.INVENTORY, "essences": Part.ESSENCES,
                "abilities": Part.ESSENCES, "quests": Part.QUESTS, "skills": Part.SKILLS}
_UNMARKED = frozenset({
    "id", "player_id", "name",  # who it is: written once, when it is created
    "completed_quests",  # known from the quest rows, and saved through them
    "invisible", "resting", "in_bed", "fighting",  # play state, never saved
    "dirty", "changed_abilities", "on_dirty",  # the saver's bookkeeping
})


def _install_marks() -> None:
    """Every field of the character not declared unmarked marks (a new field marks the core
    until it is declared otherwise), and every field of a row but its id marks its owner."""
    for f in fields(Character):
        if f.name in _COLLECTIONS:
            setattr(Character, f.name, _Collection(f.name, _COLLECTIONS[f.name]))
        elif f.name not in _UNMARKED:
            setattr(Character, f.name, _CoreField(f.name))
    for row_class in (InventoryItem, Essence, Ability, QuestProgress, Skill):
        for f in fields(row_class):
            if f.name != "id":
                setattr(row_class, f.name, _RowField(f.name))


_install_marks()
