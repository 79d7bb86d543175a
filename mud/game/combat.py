"""Combat arithmetic as pure functions: hit chance, damage, fleeing, sizing up a foe, loot and
death. Randomness comes in as a random.Random, so tests can seed it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mud.game import rules
from mud.world.monsters import MonsterTemplate

MIN_HIT, MAX_HIT = 0.10, 0.95
DEATH_POOL_SHARE = 4  # a character who dies wakes with a quarter of each pool
WEAKNESS_FACTOR = 0.75  # blows struck while weak do this share of their damage


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


def assessment(ch_strength: float, foe_strength: float) -> str:
    """How a fight looks from ch's side, for `consider`."""
    ratio = foe_strength / max(1.0, ch_strength)
    for limit, words in ((0.3, "would be no match for you"), (0.7, "looks like an easy fight"),
                         (1.2, "looks like a fair fight"), (2.0, "would be a hard fight"),
                         (4.0, "would very likely kill you")):
        if ratio < limit:
            return words
    return "would kill you before you could blink"


def strength(health: int, damage_per_round: float) -> float:
    """A rough measure of a fighter: how long it lasts times how hard it hits."""
    return health * damage_per_round


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
