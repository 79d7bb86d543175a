"""The character marks its own changes, and what it marks reaches PostgreSQL: every saved field
(as mud.store.shape declares it, so a field added there is tried here too) and every change of
an owned collection, made through the model's public API with no explicit mark, is in the
database after one flush of the write-behind saver. A change made behind the model's back, play
state and copies mark nothing."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import operator
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from mud.game.ids import new_id
from mud.game.mobs import Mob
from mud.game.model import Character, Part
from mud.store.characters import CharacterRepository
from mud.store.database import open_database
from mud.store.players import PlayerRepository
from mud.store.saver import Saver
from mud.store.shape import (
    ABILITIES,
    CHARACTERS,
    CHILDREN,
    ESSENCES,
    NOT_SAVED,
    ChildTable,
    Column,
    Table,
    character_to_json,
)
from mud.vocabulary import ATTRIBUTES, POOLS, RANKS
from mud.world.loader import load_world
from tests.characters import database_rows, every_field_filled, save_whole
from tests.conftest import new_name

WORLD = Path(__file__).resolve().parent.parent / "world"


@pytest_asyncio.fixture(scope="session")
async def db(make_database, tmp_path_factory: pytest.TempPathFactory):
    async with open_database(make_database(), tmp_path_factory.mktemp("marks"),
                             max_size=4) as database:
        yield database


@pytest.fixture(scope="session")
def saver(db) -> Saver:
    return Saver(db.pool, interval=60)


class Stock:
    """Characters with every saved field filled, saved whole and attached to the saver, made
    a batch at a time: one flush writes a batch about as fast as one character."""

    BATCH = 32

    def __init__(self, db, saver: Saver) -> None:
        self.db, self.saver = db, saver
        self.ready: list[Character] = []

    async def _create(self) -> Character:
        name = new_name()
        account = await PlayerRepository(self.db.pool).create(name, f"{name}@example.com",
                                                              "hash")
        created = await CharacterRepository(self.db.pool).create(account.id, name, "square")
        return every_field_filled(account.id, created)

    async def take(self) -> Character:
        if not self.ready:
            self.ready = list(await asyncio.gather(*(self._create() for _ in range(self.BATCH))))
            await save_whole(self.saver, *self.ready)
        return self.ready.pop()


@pytest.fixture(scope="session")
def stock(db, saver: Saver) -> Stock:
    return Stock(db, saver)


@pytest_asyncio.fixture
async def ch(stock: Stock) -> Character:
    """A character of its own for the test, saved whole and attached to the saver."""
    return await stock.take()


@pytest.fixture
def unsaved() -> Character:
    """A character with every saved field filled, in memory only and attached to no saver."""
    return every_field_filled(new_id(), Character(new_id(), new_id(), "Kit"))


# -- the saved fields, from the declaration ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Field:
    """A saved field: a column the saver writes, of the character's row or of an owned row."""

    table: Table
    column: Column

    def __str__(self) -> str:
        owner = self.table.attr if isinstance(self.table, ChildTable) else "character"
        return f"{owner}.{self.column.attr}"

    @property
    def attr(self) -> str:
        return self.column.attr

    @property
    def part(self) -> Part:
        """The part a change of the field marks: an ability's alone, when one is changed."""
        if isinstance(self.table, ChildTable) and self.table.touched is not None:
            return self.table.touched
        return self.table.part

    def holder(self, ch: Character) -> Any:
        """ch itself or, of its rows of the table, the first whose field holds a value."""
        if not isinstance(self.table, ChildTable):
            return ch
        return next(row for row in self.table.rows_of(ch) if getattr(row, self.attr) is not None)


FIELDS = [Field(table, column) for table in (CHARACTERS, *CHILDREN) for column in table.columns
          if column.saved and column.name != table.key]

# the values a text field may take, where the schema or the game's words restrict them
CHOICES: dict[str, tuple[str, ...]] = {
    "rank": RANKS, "rank_bonded": RANKS, "current_rank": RANKS, "attribute_bound": ATTRIBUTES,
    "status": ("active", "completed", "abandoned")}


def another_value(ch: Character, attr: str, value: Any) -> Any:
    """A value for attr other than value, of its kind, that the schema accepts (and that a
    unique key accepts next to value)."""
    if attr == "essence_id":  # an ability belongs to one of the character's essences
        return next(essence.id for essence in ch.essences if essence.id != value)
    if attr in CHOICES:
        choices = CHOICES[attr]
        return choices[(choices.index(value) + 1) % len(choices)]
    match value:
        case bool():
            return not value
        case int() | float():
            return value + 1
        case str():
            return f"{value}_new"
        case dict():
            return {**value, "new": True}
        case tuple():
            return (*value, "new")
        case datetime():
            return value + timedelta(days=1, microseconds=1)
    raise TypeError(f"{attr}: no other value known for {value!r}")


def renewed(ch: Character, row: Any) -> dict[str, Any]:
    """Another value for each of row's saved fields that holds one, the id aside."""
    return {f.name: another_value(ch, f.name, value) for f in dataclasses.fields(row)
            if f.name != "id" and (value := getattr(row, f.name)) is not None}


def fresh_row(ch: Character, row: Any) -> Any:
    """A new row, like row with another value in every field."""
    return dataclasses.replace(row, id=new_id(), **renewed(ch, row))


def _pool_change(pool: str) -> Callable[[Character, int], object]:
    return lambda ch, value: ch.change_pool(pool, value - getattr(ch, pool))


# saved fields of the character that its own methods change; the others are assigned
METHODS: dict[str, Callable[[Character, Any], object]] = {
    "room_id": Character.move_to, "prompt": Character.choose_prompt,
    "colour": Character.choose_colour, **{pool: _pool_change(pool) for pool in POOLS}}


def change_through_model(holder: Any, attr: str, value: Any) -> None:
    method = METHODS.get(attr) if isinstance(holder, Character) else None
    if method is None:
        setattr(holder, attr, value)
    else:
        method(holder, value)


# -- what the database holds ------------------------------------------------------------------


def as_sql(column: Column, value: Any) -> Any:
    """value as its column holds it (an epoch as a timestamptz)."""
    return value if column.kind.to_sql is None else column.kind.to_sql(value)


def as_stored(table: Table, rows: list[Any]) -> dict[uuid.UUID, dict[str, Any]]:
    """Model objects as the table's rows: by key, each column's value."""
    return {row.id: {c.name: as_sql(c, getattr(row, c.attr)) for c in table.columns}
            for row in rows}


async def stored(db, ch: Character) -> dict[str, dict[uuid.UUID, dict[str, Any]]]:
    """What PostgreSQL holds of ch: per table, its rows by key, each the declared columns."""
    rows = await database_rows(db, ch)
    return {t.name: {row[t.key]: {c.name: row[c.name] for c in t.columns} for row in rows[t.name]}
            for t in (CHARACTERS, *CHILDREN)}


def in_view(table: ChildTable, rows: dict[uuid.UUID, dict[str, Any]],
            held: dict[uuid.UUID, Any]) -> dict[uuid.UUID, dict[str, Any]]:
    """Of a table's stored rows, those memory holds and those in the table's scope: a finished
    quest that memory let go stays in the database."""
    if table.scope is None:
        return rows
    column, value = table.scope
    return {key: row for key, row in rows.items() if key in held or row[column] == value}


# -- saved fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS, ids=str)
async def test_a_field_changed_through_the_model_reaches_the_database(
        db, saver: Saver, ch: Character, field: Field) -> None:
    holder = field.holder(ch)
    new = another_value(ch, field.attr, getattr(holder, field.attr))
    change_through_model(holder, field.attr, new)
    assert getattr(holder, field.attr) == new
    marked, touched = set(ch.dirty), set(ch.changed_abilities)
    assert await saver.flush(), saver.stats.last_error

    row = (await stored(db, ch))[field.table.name][holder.id]
    assert row[field.column.name] == as_sql(field.column, new)
    assert marked == {field.part}  # and no other part
    assert touched == ({holder.id} if field.part is Part.ABILITIES else set())


async def test_fields_changed_behind_the_models_back_are_not_written(
        db, saver: Saver, ch: Character) -> None:
    """Written straight into the instances' dicts, so the model cannot see them: nothing is
    marked, and the database keeps every old value."""
    before = await stored(db, ch)
    for field in FIELDS:
        holder = field.holder(ch)
        vars(holder)[field.attr] = another_value(ch, field.attr, getattr(holder, field.attr))
    assert not ch.dirty
    assert await saver.flush(), saver.stats.last_error
    assert await stored(db, ch) == before


async def test_an_ability_changed_is_written_without_the_others(
        db, saver: Saver, ch: Character) -> None:
    """A use of an ability writes that ability's row, not every ability of the character."""
    used, other = ch.abilities
    used.current_rank, used.metadata = "gold", {"progress": 4}
    vars(other)["current_rank"] = "gold"  # not marked: written only if all abilities were
    assert await saver.flush(), saver.stats.last_error

    abilities = (await stored(db, ch))[ABILITIES.name]
    assert abilities[used.id] == as_stored(ABILITIES, [used])[used.id]
    assert abilities[other.id]["current_rank"] == "normal"


# -- owned collections ------------------------------------------------------------------------

# changes of an owned collection in place, given the collection and a maker of new rows like one
IN_PLACE: dict[str, Callable[[list[Any], Callable[[Any], Any]], object]] = {
    "append": lambda rows, new: rows.append(new(rows[0])),
    "insert": lambda rows, new: rows.insert(0, new(rows[0])),
    "extend": lambda rows, new: rows.extend([new(rows[0]), new(new(rows[0]))]),
    "+=": lambda rows, new: operator.iadd(rows, [new(rows[0])]),
    "item assignment": lambda rows, new: operator.setitem(rows, 0, new(rows[0])),
    "remove": lambda rows, new: rows.remove(rows[0]),
    "pop": lambda rows, new: rows.pop(0),
    "del": lambda rows, new: operator.delitem(rows, 0),
    "clear": lambda rows, new: rows.clear(),
}


async def assert_collection_change_saved(db, saver: Saver, ch: Character, table: ChildTable,
                                         change: Callable[[], object]) -> None:
    if table is ESSENCES:  # an essence goes with its abilities: try essences without any
        ch.abilities.clear()
        assert await saver.flush(), saver.stats.last_error
    before = (await stored(db, ch))[table.name]
    change()
    marked = set(ch.dirty)
    assert await saver.flush(), saver.stats.last_error

    after = (await stored(db, ch))[table.name]
    held = as_stored(table, table.rows_of(ch))
    assert after != before
    assert in_view(table, after, held) == held
    assert marked == {table.part}  # and no other part


@pytest.mark.parametrize("how", IN_PLACE)
@pytest.mark.parametrize("table", CHILDREN, ids=attrgetter("attr"))
async def test_a_collection_changed_in_place_reaches_the_database(
        db, saver: Saver, ch: Character, table: ChildTable, how: str) -> None:
    rows = table.rows_of(ch)
    await assert_collection_change_saved(
        db, saver, ch, table, lambda: IN_PLACE[how](rows, partial(fresh_row, ch)))


@pytest.mark.parametrize("table", CHILDREN, ids=attrgetter("attr"))
async def test_a_collection_assigned_anew_reaches_the_database(
        db, saver: Saver, ch: Character, table: ChildTable) -> None:
    await assert_collection_change_saved(db, saver, ch, table, lambda: setattr(
        ch, table.attr, [fresh_row(ch, row) for row in table.rows_of(ch)]))


# -- what marks nothing -----------------------------------------------------------------------

PLAY_STATE = sorted(NOT_SAVED - {"dirty", "changed_abilities", "on_dirty"})  # but bookkeeping


@pytest.mark.parametrize("name", PLAY_STATE)
def test_play_state_marks_nothing(unsaved: Character, name: str) -> None:
    value = getattr(unsaved, name)
    if value is None:  # the monster it fights
        monster = next(iter(load_world(WORLD).monsters.values()))
        setattr(unsaved, name, Mob(monster, unsaved.room_id, monster.health))
    else:
        setattr(unsaved, name, another_value(unsaved, name, value))
    assert not unsaved.dirty


async def test_a_detached_copy_marks_nothing_on_the_original(
        db, saver: Saver, ch: Character) -> None:
    held, before = character_to_json(ch), await stored(db, ch)
    twin = ch.detached_copy()
    for field in FIELDS:
        holder = field.holder(twin)
        setattr(holder, field.attr, another_value(twin, field.attr, getattr(holder, field.attr)))
    for table in CHILDREN:
        rows = table.rows_of(twin)
        rows.append(fresh_row(twin, rows[0]))
    assert twin.dirty == set(Part)  # the copy marks itself
    assert not ch.dirty
    assert not saver.is_pending(ch)
    assert await saver.flush(), saver.stats.last_error

    assert character_to_json(ch) == held
    assert await stored(db, ch) == before


@pytest.mark.parametrize("table", CHILDREN, ids=attrgetter("attr"))
def test_a_copied_row_marks_nothing_on_the_original(unsaved: Character, table: ChildTable
                                                    ) -> None:
    copied = copy.deepcopy(table.rows_of(unsaved)[0])
    for name, value in renewed(unsaved, copied).items():
        setattr(copied, name, value)
    assert not unsaved.dirty
    assert not unsaved.changed_abilities
