"""The character's persistent shape is declared once (mud.store.shape): every field of the model
is either declared or listed as not saved, and every field survives database → memory → cache →
memory → database through the real saver, loader and cache JSON."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from mud.cluster.cache import from_json, to_json
from mud.game.ids import new_id
from mud.game.model import Character
from mud.store.characters import CharacterRepository
from mud.store.database import open_database
from mud.store.players import PlayerRepository
from mud.store.saver import Saver
from mud.store.shape import CHARACTERS, CHILDREN, FINISHED_QUESTS, NOT_SAVED
from tests.characters import TABLES, database_rows, every_field_filled, save_whole, saved_fields

COLUMNS = {"room_id": "current_room_id"}  # where a column is not named as the field


@pytest_asyncio.fixture
async def db(make_database, tmp_path: Path):
    async with open_database(make_database(), tmp_path, max_size=4) as database:
        yield database


def state(ch: Character) -> dict[str, Any]:
    """Every saved field of ch, its owned rows field by field."""
    values = {f.name: getattr(ch, f.name) for f in saved_fields(Character)}
    return {name: [dataclasses.asdict(row) for row in value] if isinstance(value, list)
            else value for name, value in values.items()}


def assert_columns_hold(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Each field in the column of its name (or of COLUMNS), the epoch as a timestamptz."""
    assert len(rows) == len(expected)
    for row, fields in zip(rows, expected, strict=True):
        for name, value in fields.items():
            if name == "weak_until":
                value = datetime.fromtimestamp(value, UTC)
            elif isinstance(value, tuple):  # a text[] column reads back as a list
                value = list(value)
            assert row[COLUMNS.get(name, name)] == value, name


def test_every_saved_field_of_the_model_is_declared() -> None:
    """A field added to the model and not declared would be lost without this failing."""
    declared = ({c.attr for c in CHARACTERS.columns} | {t.attr for t in CHILDREN}
                | {FINISHED_QUESTS.attr})
    assert {f.name for f in saved_fields(Character)} == declared
    assert {f.name for f in dataclasses.fields(Character)} >= NOT_SAVED
    for table in CHILDREN:
        assert {f.name for f in dataclasses.fields(table.model)} == {
            c.attr for c in table.columns}, table.name


def test_a_cache_entry_of_another_shape_is_refused_not_misread() -> None:
    ch = Character(new_id(), new_id(), "Kit", room_id="square")
    entry = json.loads(to_json(ch))
    assert state(from_json(json.dumps(entry))) == state(ch)
    entry["shape"] = "written by another version"
    with pytest.raises(ValueError):
        from_json(json.dumps(entry))


async def test_every_field_survives_database_memory_cache_memory_database(db) -> None:
    account = await PlayerRepository(db.pool).create("Ivy", "ivy@example.com", "hash")
    repository = CharacterRepository(db.pool)
    ch = every_field_filled(account.id, await repository.create(account.id, "Ivy", "square"))
    saver = Saver(db.pool, interval=60)
    await save_whole(saver, ch)
    # memory holds only active quests whole; the finished one is known by its id
    expected = state(ch) | {"quests": state(ch)["quests"][:1]}

    loaded = await repository.load(ch.id)
    assert state(loaded) == expected
    cached = from_json(to_json(loaded))
    assert state(cached) == expected
    await save_whole(saver, cached)
    assert state(await repository.load(ch.id)) == expected

    rows = await database_rows(db, ch)
    core = {k: v for k, v in state(ch).items() if k not in TABLES and k != "completed_quests"}
    assert_columns_hold(rows["characters"], [core])
    for attr, table in TABLES.items():
        assert_columns_hold(rows[table], state(ch)[attr])


async def test_the_saver_writes_only_dirty_parts_as_declared(db) -> None:
    """Parts (mud.game.model.Part) as the declaration maps them: an ability touched alone is
    written alone, a part not marked is not written, rows memory dropped are deleted, and
    finished quests (out of memory's scope) are left alone."""
    account = await PlayerRepository(db.pool).create("Jo", "jo@example.com", "hash")
    repository = CharacterRepository(db.pool)
    ch = every_field_filled(account.id, await repository.create(account.id, "Jo", "square"))
    saver = Saver(db.pool, interval=60)
    await save_whole(saver, ch)
    ch = await repository.load(ch.id)
    saver.attach(ch)

    used, other = ch.abilities
    used.metadata = {"progress": 4}  # marks that ability alone
    # changed behind the model's back (its instance dicts), so not marked: not written
    vars(other)["metadata"], vars(ch)["power"] = {"progress": 9}, 99
    ch.inventory.clear()  # each marks its part
    ch.quests.clear()
    assert await saver.flush(), saver.stats.last_error

    rows = await database_rows(db, ch)
    assert rows["characters"][0]["power"] == 31
    assert [a["metadata"] for a in rows["character_abilities"]] == [{"progress": 4}, None]
    assert rows["character_inventory"] == []
    assert [q["status"] for q in rows["character_quests"]] == ["completed"]
