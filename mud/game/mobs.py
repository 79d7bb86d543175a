"""Monsters in the world: instances of templates, the spawn slots that bring them back, and the
fights they are in. In memory only: monsters are the world's, not saved."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from mud.game.model import Character
from mud.world.monsters import MonsterTemplate

_ids = itertools.count(1)


@dataclass(eq=False)
class Mob:
    template: MonsterTemplate
    room_id: str
    health: int
    slot: SpawnSlot | None = None
    uid: int = field(default_factory=lambda: next(_ids))
    attackers: list[Character] = field(default_factory=list)  # characters fighting it
    target: Character | None = None  # whom it strikes
    ready_at: dict[str, float] = field(default_factory=dict)  # ability name -> cooldown end
    used: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)  # ch -> abilities used

    @property
    def name(self) -> str:
        return self.template.name

    @property
    def keywords(self) -> tuple[str, ...]:
        return self.template.keywords

    @property
    def alive(self) -> bool:
        return self.health > 0

    @property
    def in_combat(self) -> bool:
        return bool(self.attackers)


@dataclass(eq=False)
class SpawnSlot:
    """One monster a room's spawn rule keeps in the world; respawns after it dies."""

    monster_id: str
    room_id: str
    mob: Mob | None = None
    died_at: float = 0.0
