"""Characters for tests of the persistent shape: one with every saved field filled, saved whole
through the real saver, and the rows PostgreSQL holds for it read back."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row

from mud.game.ids import new_id
from mud.game.model import Ability, Character, Essence, InventoryItem, Part, QuestProgress, Skill
from mud.store.saver import Saver
from mud.store.shape import NOT_SAVED

# what the tests know of the schema on their own, to check the columns the declaration writes
TABLES = {"inventory": "character_inventory", "essences": "character_essences",
          "abilities": "character_abilities", "quests": "character_quests",
          "skills": "character_skills"}


def saved_fields(cls: type) -> list[dataclasses.Field]:
    """The model's fields that must be saved: all of them, but those listed as not saved."""
    return [f for f in dataclasses.fields(cls) if f.name not in NOT_SAVED]


def default_of(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def filled(cls: type, rows: list[dict[str, Any]]) -> list[Any]:
    """Model objects of cls from rows of values: every saved field is given, and each takes a
    value other than its default in at least one row (a quest is active by default, and only
    a finished one can be completed)."""
    fields = saved_fields(cls)
    for row in rows:
        assert set(row) == {f.name for f in fields}, f"{cls.__name__}: give every saved field"
    for f in fields:
        assert any(row[f.name] != default_of(f) for row in rows), (
            f"{cls.__name__}.{f.name}: fill it with a value other than its default")
    return [cls(**row) for row in rows]


def every_field_filled(account_id: Any, created: Character) -> Character:
    essence, other = filled(Essence, [
        {"id": new_id(), "essence_type": "flame", "attribute_bound": "power",
         "rank_bonded": "iron"},
        {"id": new_id(), "essence_type": "river", "attribute_bound": "spirit",
         "rank_bonded": "normal"}])
    active, finished = filled(QuestProgress, [
        {"id": new_id(), "quest_id": "rat_problem", "status": "active",
         "progress": {"rats": 2, "visited": ["cellar"]},
         "started_at": datetime(2026, 3, 4, 5, 6, 7, 891011), "completed_at": None},
        {"id": new_id(), "quest_id": "lost_letter", "status": "completed",
         "progress": {"delivered": 1}, "started_at": datetime(2026, 1, 2, 3, 4, 5),
         "completed_at": datetime(2026, 1, 2, 4, 5, 6, 7)}])
    (ch,) = filled(Character, [{
        "id": created.id, "player_id": account_id, "name": created.name,
        "rank": "iron", "power": 31, "speed": 32, "spirit": 33, "recovery": 34,
        "room_id": "market_street", "health": 301, "mana": 302, "stamina": 303,
        "inventory_expansion": 2, "weak_until": 1_900_000_000.25, "frozen": True,
        "prompt": "%h hp [%r]> ", "colour": False, "title": "the Tireless",
        "afk": "back soon", "ignoring": ("bob", "carol"), "brief": True, "compact": True,
        "wimpy": 25, "autoloot": True, "autocoin": True,
        "aliases": {"kr": "kill rat", "hh": "use $1 $*"},
        "essences": [essence, other],
        "abilities": filled(Ability, [
            {"id": new_id(), "essence_id": essence.id, "ability_name": "Fire Bolt",
             "current_rank": "iron", "awakened": True,
             "metadata": {"cooldown_until": 12.5, "progress": 3}},
            {"id": new_id(), "essence_id": other.id, "ability_name": "Flowing Mend",
             "current_rank": "normal", "awakened": False, "metadata": None}]),
        "inventory": filled(InventoryItem, [
            {"id": new_id(), "item_id": "rusty_sword", "quantity": 3, "slot": 1,
             "metadata": {"durability": 37, "enchantments": ["keen"]}}]),
        "quests": [active, finished],
        "skills": filled(Skill, [
            {"id": new_id(), "skill_id": "herbalism", "level": 4, "experience": 56},
            {"id": new_id(), "skill_id": "swordsmanship", "level": 7, "experience": 123}]),
        "completed_quests": {"lost_letter"},
    }])
    return ch


async def save_whole(saver: Saver, *characters: Character) -> None:
    """Attach characters to saver and write every part of them at once, whatever they have
    marked."""
    for ch in characters:
        saver.attach(ch)
        for part in Part:
            ch.mark(part)
    assert await saver.flush(), saver.stats.last_error


async def database_rows(db, ch: Character) -> dict[str, list[dict[str, Any]]]:
    """ch's row of characters and its rows of each owned table (in id order), every column."""
    async with db.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM characters WHERE id = %s", (ch.id,))
        rows = {"characters": await cur.fetchall()}
        for table in TABLES.values():
            await cur.execute(f"SELECT * FROM {table} WHERE character_id = %s ORDER BY id",
                              (ch.id,))
            rows[table] = await cur.fetchall()
    return rows
