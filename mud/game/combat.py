"""Combat arithmetic as pure functions: hit chance, damage, fleeing, sizing up a foe, loot and
death. Randomness comes in as a random.Random, so tests can seed it."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from mud.game import rules
from mud.world.monsters import MonsterTemplate

MIN_HIT, MAX_HIT = 0.10, 0.95
DEATH_POOL_SHARE = 4  # a character who dies wakes with a quarter of each pool
WEAKNESS_FACTOR = 0.75  # blows struck while weak do this share of their damage
ESTIMATE_ROUNDS = 600  # rounds played out by an estimate; past them the last round's pace holds


@dataclass(frozen=True)
class Fighter:
    """What the arithmetic needs of either side."""

    rank: str
    power: int
    speed: int
    skill: int = 0  # the weapon skill's level (attacker) or evasion's (defender)
    armour: int = 0
    weak: bool = False


def hit_chance(attacker: Fighter, defender: Fighter) -> float:
    chance = (0.70 + 0.02 * (attacker.speed - defender.speed) + 0.01 * attacker.skill
              - 0.01 * defender.skill
              + 0.10 * (rules.rank_index(attacker.rank) - rules.rank_index(defender.rank)))
    return max(MIN_HIT, min(MAX_HIT, chance))


def rank_multiplier(rank: str) -> float:
    return 1 + 0.25 * rules.rank_index(rank)


def blow(base: int, attacker: Fighter) -> int:
    """A blow's damage before armour: the weapon (or natural attack) and power, by rank."""
    damage = (base + attacker.power // 5) * rank_multiplier(attacker.rank)
    return max(1, round(damage * (WEAKNESS_FACTOR if attacker.weak else 1)))


def damage_taken(damage: int, defender: Fighter) -> int:
    """What armour lets through; a hit always does at least 1."""
    return max(1, damage - defender.armour)


def swing(rng: random.Random, base: int, attacker: Fighter, defender: Fighter) -> int:
    """One attack: 0 for a miss, else the damage dealt."""
    if rng.random() >= hit_chance(attacker, defender):
        return 0
    return damage_taken(blow(base, attacker), defender)


def expected(base: int, attacker: Fighter, defender: Fighter) -> float:
    """Average damage a round: the chance to hit times what gets through."""
    return hit_chance(attacker, defender) * damage_taken(blow(base, attacker), defender)


def flee_chance(speed: int, fastest_foe: int) -> float:
    return max(0.2, min(0.9, 0.5 + 0.03 * (speed - fastest_foe)))


# -- sizing up a fight ----------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """An ability as an estimate sees it: what one use does and how often it comes."""

    size: int  # damage (armour does not stop it) or health restored
    per_round: float  # uses a round at most, as its cooldown (and, for monsters, chance) allow
    cost: int = 0
    resource: str = ""  # the pool it is paid from; monsters pay nothing


@dataclass(frozen=True)
class Side:
    """One side of a fight as it stands: its health, the expected damage of its blow each round
    against the other side, its damage abilities (strikes) and heals, and what it can pay with."""

    health: int
    max_health: int
    blow: float
    strikes: tuple[Move, ...] = ()
    heals: tuple[Move, ...] = ()
    pools: Mapping[str, int] = field(default_factory=dict)
    heals_below: float = 1.0  # it heals only below this share of its health (monsters: half)
    abilities_replace_blow: bool = False  # a round it uses an ability it strikes no blow
    uses_per_round: float = math.inf  # abilities it can use in a round, all told (a player
    # types one command at a time); strikes are used biggest first


@dataclass(frozen=True)
class Estimate:
    """The expected rounds each side needs to fell the other (math.inf: it never would)."""

    yours: float  # the first side's (the character's) to fell the second
    theirs: float  # the second side's (the monster's) to fell the first


class _Contender:
    """A side while an estimate plays the fight out, in expected values."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.health = float(side.health)
        self.pools = {pool: float(have) for pool, have in side.pools.items()}
        self.fell_at: float | None = None  # the round (with its fraction) it fell in
        self.uses_left = side.uses_per_round  # abilities it may still use this round

    def _use(self, move: Move, wanted: float) -> float:
        """Uses of move this round, up to wanted and what its pace, its pool and the round's
        uses left allow; paid."""
        uses = min(move.per_round, wanted, self.uses_left)
        if move.cost:
            uses = min(uses, self.pools.get(move.resource, 0.0) / move.cost)
            self.pools[move.resource] = self.pools.get(move.resource, 0.0) - uses * move.cost
        uses = max(0.0, uses)
        self.uses_left -= uses
        return uses

    def _heal(self) -> float:
        """Heal what is missing, as far as the heals allow; the uses it took."""
        side, used = self.side, 0.0
        if self.fell_at is not None or self.health >= side.max_health * side.heals_below:
            return used
        for move in side.heals:
            uses = self._use(move, (side.max_health - self.health) / move.size)
            self.health += uses * move.size
            used += uses
        return used

    def act(self, other: _Contender, round_: int) -> None:
        """One round: heal when hurt, then strike with every ability ready and the blow. Once
        the other has fallen, only heal (the other acts on, to count its own rounds)."""
        self.uses_left = self.side.uses_per_round
        used = self._heal()
        if other.fell_at is not None:
            return
        dealt = 0.0
        for move in sorted(self.side.strikes, key=lambda m: -m.size):
            uses = self._use(move, math.inf)
            dealt += uses * move.size
            used += uses
        blows = max(0.0, 1 - used) if self.side.abilities_replace_blow else 1.0
        other.take(dealt + self.side.blow * blows, round_)

    def take(self, dealt: float, round_: int) -> None:
        if self.fell_at is None and dealt > 0 and dealt >= self.health:
            self.fell_at = round_ - 1 + max(0.0, self.health) / dealt
        self.health -= dealt

    def rounds_to_fall(self, last_loss: float) -> float:
        """When it fell or, still standing after the rounds played, would fall at the pace of
        the last one."""
        if self.fell_at is not None:
            return self.fell_at
        return ESTIMATE_ROUNDS + self.health / last_loss if last_loss > 0 else math.inf


def estimate(yours: Side, theirs: Side) -> Estimate:
    """Play a fight out round by round in expected values: each side heals itself when hurt
    and strikes with its abilities as often as their cooldowns allow while its mana or stamina
    lasts, and with its blow. Both sides act every round until both have fallen, so that each
    side's rounds are counted even after it would have won or lost."""
    you, foe = _Contender(yours), _Contender(theirs)
    losses = (0.0, 0.0)
    for round_ in range(1, ESTIMATE_ROUNDS + 1):
        before = (you.health, foe.health)
        you.act(foe, round_)
        foe.act(you, round_)
        losses = (before[0] - you.health, before[1] - foe.health)
        if you.fell_at is not None and foe.fell_at is not None:
            break
    return Estimate(foe.rounds_to_fall(losses[1]), you.rounds_to_fall(losses[0]))


def assessment(rounds_it_needs: float, rounds_you_need: float) -> str:
    """How a fight looks from the character's side, for `consider`: the rounds it needs to fell
    the foe against the rounds the foe needs to fell it."""
    if rounds_it_needs == rounds_you_need:  # both never, too
        return "looks like a fair fight"
    ratio = rounds_you_need / max(1e-9, rounds_it_needs)
    for limit, words in ((0.3, "would be no match for you"), (0.7, "looks like an easy fight"),
                         (1.2, "looks like a fair fight"), (2.0, "would be a hard fight"),
                         (4.0, "would very likely kill you")):
        if ratio < limit:
            return words
    return "would kill you before you could blink"


def roll_loot(template: MonsterTemplate, rng: random.Random) -> list[tuple[str, int]]:
    """What a monster drops: each loot entry rolled on its own."""
    dropped = []
    for entry in template.loot:
        if rng.random() < entry.chance:
            dropped.append((entry.item_id, rng.randint(entry.low, entry.high)))
    return dropped


def pools_after_death(maximum: int) -> int:
    return max(1, maximum // DEATH_POOL_SHARE)


def ability_progress_for_kill(monster_rank: str) -> int:
    """Progress each ability used in the fight earns when the monster dies."""
    return 1 + rules.rank_index(monster_rank)
