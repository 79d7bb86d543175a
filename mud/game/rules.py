"""Game rules as plain functions: ranks, attributes, pool maxima, inventory size."""

from __future__ import annotations

RANKS: tuple[str, ...] = ("normal", "iron", "bronze", "silver", "gold", "diamond")
ATTRIBUTES: tuple[str, ...] = ("power", "speed", "spirit", "recovery")
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


def regeneration(recovery: int) -> int:
    """Points each pool regains per regeneration tick."""
    return max(1, recovery // 5)
