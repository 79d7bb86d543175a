"""The in-memory character aggregate with dirty tracking.

While a character is online this object is the truth; every change goes through a method that
marks the changed part dirty, and the write-behind saver flushes dirty parts to PostgreSQL.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

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


@dataclass
class InventoryItem:
    id: uuid.UUID
    item_id: str
    quantity: int = 1
    slot: int | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class Essence:
    id: uuid.UUID
    essence_type: str
    attribute_bound: str
    rank_bonded: str


@dataclass
class Ability:
    id: uuid.UUID
    essence_id: uuid.UUID
    ability_name: str
    current_rank: str = "normal"
    awakened: bool = False
    metadata: dict[str, Any] | None = None


@dataclass
class QuestProgress:
    id: uuid.UUID
    quest_id: str
    status: str = "active"
    progress: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Skill:
    id: uuid.UUID
    skill_id: str
    level: int = 1
    experience: int = 0


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
    invisible: bool = False  # not saved: a wizard hidden from players until `vis` or logout
    resting: bool = False  # not saved: a character logs in standing
    fighting: Mob | None = None  # not saved: the monster it attacks
    dirty: set[Part] = field(default_factory=set)
    changed_abilities: set[uuid.UUID] = field(default_factory=set)  # for Part.ABILITIES
    on_dirty: Callable[[Character], None] | None = field(default=None, repr=False)

    # -- dirty tracking -------------------------------------------------------------------------

    def mark(self, part: Part) -> None:
        self.dirty.add(part)
        if self.on_dirty is not None:
            self.on_dirty(self)

    def touch_ability(self, ability: Ability) -> None:
        """One ability changed in place (metadata, rank, awakening): the saver writes that row
        alone, where a use of an ability would otherwise rewrite all twenty."""
        self.changed_abilities.add(ability.id)
        self.mark(Part.ABILITIES)

    def detached_copy(self) -> Character:
        """A deep copy tied to no saver, to stage a change before the database commits it."""
        twin = copy.copy(self)
        twin.on_dirty, twin.dirty, twin.changed_abilities = None, set(), set()
        twin.fighting = None
        for name in ("essences", "abilities", "inventory", "quests", "skills"):
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
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
        self.mark(Part.CORE)

    def choose_colour(self, colour: bool | None) -> None:
        self.colour = colour
        self.mark(Part.CORE)

    def move_to(self, room_id: str) -> None:
        self.room_id = room_id
        self.mark(Part.CORE)

    def regenerate(self, gain: int) -> bool:
        """Add gain to every pool below its maximum; True when any changed."""
        changed = False
        for pool, maximum in (("health", self.max_health), ("mana", self.max_mana),
                              ("stamina", self.max_stamina)):
            value = getattr(self, pool)
            if value < maximum:
                setattr(self, pool, min(maximum, value + gain))
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
            self.mark(Part.CORE)
        return after - before

    @property
    def carried(self) -> list[InventoryItem]:
        """Rows carried in the pack (worn and wielded ones do not take a stack slot)."""
        return [row for row in self.inventory if row.slot is None]

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
                self.mark(Part.INVENTORY)
                return row
        row = InventoryItem(new_id(), item_id, quantity, None,
                            copy.deepcopy(metadata) if metadata else None)
        self.inventory.append(row)
        self.mark(Part.INVENTORY)
        return row

    def remove_item(self, row: InventoryItem, quantity: int) -> None:
        """Take quantity from one inventory row, dropping the row when it empties."""
        if quantity >= row.quantity:
            self.inventory.remove(row)
        else:
            row.quantity -= quantity
        self.mark(Part.INVENTORY)
