"""Game rules as plain functions: ranks, attributes, pool maxima, inventory size, regeneration."""

from __future__ import annotations

# the vocabulary's words, also reached through the rules (rules.ATTRIBUTES)
from mud.vocabulary import ATTRIBUTES as ATTRIBUTES
from mud.vocabulary import POOLS as POOLS
from mud.vocabulary import RANKS as RANKS

MAX_ESSENCES = 4
RESTING_REGENERATION = 3  # resting multiplies what each tick restores
BED_REGENERATION = 6  # sleeping in a paid bed, instead
STARTING_ATTRIBUTE = 10
BASE_INVENTORY_SLOTS = 20
SLOTS_PER_EXPANSION = 10


def max_health(power: int) -> int:
    return 10 * power


def max_mana(spirit: int) -> int:
    return 10 * spirit


def max_stamina(speed: int) -> int:
    return 10 * speed


def inventory_capacity(expansion_level: int) -> int:
    """How many stacks a character can carry."""
    return BASE_INVENTORY_SLOTS + SLOTS_PER_EXPANSION * expansion_level


def rank_index(rank: str) -> int:
    return RANKS.index(rank)


def next_rank(rank: str) -> str | None:
    index = RANKS.index(rank) + 1
    return RANKS[index] if index < len(RANKS) else None


def regeneration(recovery: int, resting: bool = False, in_bed: bool = False) -> int:
    """Points each pool regains per regeneration tick (in_bed: resting in a paid bed)."""
    return max(1, recovery // 5) * (BED_REGENERATION if resting and in_bed else
                                    RESTING_REGENERATION if resting else 1)


def bond_bonus(rank_bonded: str, favoured: bool) -> int:
    """Attribute points an essence adds to the attribute it is bound to: more when bound to
    the attribute it favours, and more the higher the rank it was bonded at."""
    return (6 if favoured else 3) * (1 + rank_index(rank_bonded))
