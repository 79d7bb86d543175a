"""The words of the game that world data and game rules share: ranks, attributes, pools and the
weapon skills. A module of its own at the bottom, so that the world loader can check its files
against them without importing the rules, which are built on the world's templates."""

from __future__ import annotations

RANKS: tuple[str, ...] = ("normal", "iron", "bronze", "silver", "gold", "diamond")
ATTRIBUTES: tuple[str, ...] = ("power", "speed", "spirit", "recovery")
POOLS: tuple[str, ...] = ("health", "mana", "stamina")
WEAPON_SKILLS: tuple[str, ...] = ("swordsmanship", "knifework", "bludgeons", "brawling")
