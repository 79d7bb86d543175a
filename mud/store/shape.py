"""The character aggregate's persistent shape, declared once.

Each table of the aggregate is declared here with its columns, the model attribute each column
holds and the kind of value it is (how it is written to SQL and to JSON and read back). The
write-behind saver (mud.store.saver) generates its staging tables, COPY rows and upserts from
these declarations, the loader (mud.store.characters) its one-round-trip query, and the Redis
cache (mud.cluster.cache) its JSON. The loader asks PostgreSQL for the aggregate as the same JSON
the cache holds, so one mapping reads both.

In JSON a row is the list of its values in the declared order; the functions reading and
writing rows are compiled from the declaration (see _Compiler). psycopg dumps dicts as jsonb in
the cursors that use_dumpers prepares.

A field added to the model must be declared here, as a column or in NOT_SAVED; the round-trip
test (tests/test_character_shape.py) fails until it is.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from operator import attrgetter
from typing import Any

from psycopg.abc import Dumper
from psycopg.adapt import AdaptersMap
from psycopg.types.json import JsonbDumper

from mud.game.model import Ability, Character, Essence, InventoryItem, Part, QuestProgress, Skill


def _instant(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _epoch(value: float | None) -> float:
    return float(value or 0)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


Convert = Callable[[Any], Any] | None  # None: the value as it is


@dataclass(frozen=True)
class Kind:
    """How one kind of model value is written to SQL and to JSON, and read back from JSON. The
    loader reads rows as JSON too: PostgreSQL builds each value with `select` (a template of
    the column) as to_json gives it."""

    name: str
    to_sql: Convert = None  # None: psycopg dumps the value itself
    dumper: tuple[type, type[Dumper]] | None = None  # the psycopg dumper of such values
    to_json: Convert = None
    from_json: Convert = None
    select: str = "{}"


PLAIN = Kind("plain")  # text, integer, boolean: the same in the model, SQL and JSON
FLAG = Kind("flag", from_json=bool)  # a nullable boolean column whose NULL the model reads as False
UUID = Kind("uuid", to_json=str, from_json=uuid.UUID)
JSONB = Kind("jsonb", dumper=(dict, JsonbDumper))  # a dict (or None) in a jsonb column
EPOCH = Kind("epoch", to_sql=_instant, from_json=_epoch,  # a float in a timestamptz column
             select="extract(epoch FROM {})")
TIMESTAMP = Kind("timestamp", to_json=_iso, from_json=_datetime)  # naive UTC, a timestamp column
NAMES = Kind("names", to_sql=list, to_json=list, from_json=tuple)  # a tuple of str in a text[]


@dataclass(frozen=True)
class Column:
    name: str  # in SQL
    kind: Kind = PLAIN
    attr: str = ""  # in the model; the column's name unless given
    saved: bool = True  # False: written when the character is created, never by the saver

    def __post_init__(self) -> None:
        if not self.attr:
            object.__setattr__(self, "attr", self.name)
        if not (self.name.isidentifier() and self.attr.isidentifier()):
            raise ValueError(f"not a plain name: {self.name!r} / {self.attr!r}")


class _Compiler:
    """Builds a function from the declaration, as dataclasses build __init__: the saver, the
    loader and the cache call these for every row (the saver while the game waits), and plain
    attribute reads and calls in one expression are what Python 3.11 runs fastest (staging
    10,000 characters' inventory rows took about 40% longer through attrgetter). Only declared
    names (checked to be identifiers) are written into the source; conversions and classes are
    passed in as globals."""

    def __init__(self) -> None:
        self.globals: dict[str, Any] = {}

    def call(self, function: Any, argument: str) -> str:
        """argument, passed through function unless it is None."""
        if function is None:
            return argument
        name = f"_f{len(self.globals)}"
        self.globals[name] = function
        return f"{name}({argument})"

    def function(self, parameters: Sequence[str], body: str) -> Callable[..., Any]:
        return eval(f"lambda {', '.join(parameters)}: {body}", self.globals)


@dataclass(frozen=True)
class SqlRow:
    """Column names, and the function giving their SQL values (a tuple in that order) from the
    leading values, then one model object."""

    names: tuple[str, ...]
    values: Callable[..., tuple[Any, ...]]


def _sql_row(columns: Sequence[Column], leading: tuple[str, ...] = ()) -> SqlRow:
    compiler = _Compiler()
    reads = [compiler.call(c.kind.to_sql, f"obj.{c.attr}") for c in columns]
    values = compiler.function([*leading, "obj"], f"({', '.join([*leading, *reads])},)")
    return SqlRow((*leading, *(c.name for c in columns)), values)


@dataclass(frozen=True)
class Table:
    """One table of the aggregate: the model class of its rows and its columns, the key (id)
    first. part is the dirty part (mud.game.model.Part) that has the saver write the table. In
    JSON (the cache's, and the loader's from PostgreSQL) a row is the list of its values."""

    name: str
    part: Part
    model: type
    columns: tuple[Column, ...]
    stamp: str | None = None  # a column the saver sets to now() when it updates a row

    @property
    def key(self) -> str:
        return self.columns[0].name

    @property
    def staging(self) -> str:
        """The saver's per-connection temporary table for this one."""
        return f"save_{self.name}"

    @cached_property
    def saved(self) -> SqlRow:
        """The columns the saver writes: values(obj)."""
        return _sql_row([c for c in self.columns if c.saved])

    @cached_property
    def created(self) -> SqlRow:
        """Every column, as a new row is inserted: values(obj)."""
        return _sql_row(self.columns)

    @cached_property
    def to_json(self) -> Callable[[Any], list[Any]]:
        """to_json(obj): the row's values, as JSON holds them."""
        compiler = _Compiler()
        values = [compiler.call(c.kind.to_json, f"obj.{c.attr}") for c in self.columns]
        return compiler.function(["obj"], f"[{', '.join(values)}]")

    @cached_property
    def from_json(self) -> Callable[..., Any]:
        """from_json(values, **more): the model object of a row's values (and more fields)."""
        compiler = _Compiler()
        compiler.globals["_model"] = self.model
        fields = [f"{c.attr}={compiler.call(c.kind.from_json, f'values[{i}]')}"
                  for i, c in enumerate(self.columns)]
        return compiler.function(["values", "**more"], f"_model({', '.join(fields)}, **more)")


@dataclass(frozen=True)
class ChildTable(Table):
    """Rows a character owns, held in memory as the list Character.<attr>. Of the table's
    rows, memory holds those in scope (column, value), or all of them; touched is a part that
    has the saver write only the rows named in Character.changed_abilities."""

    attr: str = ""
    owner: str = "character_id"
    order: str = "id"
    scope: tuple[str, str] | None = None
    touched: Part | None = None

    @cached_property
    def saved(self) -> SqlRow:
        """The owner's id, then the columns the saver writes: values(owner, obj)."""
        return _sql_row([c for c in self.columns if c.saved], leading=(self.owner,))

    @cached_property
    def _in_scope(self) -> Callable[[Any], bool]:
        if self.scope is None:
            return lambda row: True
        name, value = self.scope
        get = attrgetter(next(c.attr for c in self.columns if c.name == name))
        return lambda row: get(row) == value

    def rows_of(self, ch: Character) -> list[Any]:
        """The character's rows of this table as memory holds them."""
        return getattr(ch, self.attr)

    def to_json_list(self, ch: Character) -> list[list[Any]]:
        """The rows in scope: what a load from the database gives."""
        to_json, in_scope = self.to_json, self._in_scope
        return [to_json(row) for row in self.rows_of(ch) if in_scope(row)]

    def from_json_list(self, rows: list[list[Any]]) -> list[Any]:
        from_json = self.from_json
        return [from_json(row) for row in rows]


@dataclass(frozen=True)
class IdsOf:
    """A set on the character of one column of a child table's rows that memory does not hold
    (those with where = (column, value)): the quests finished before, by quest id. It is written
    through the table's rows, never on its own."""

    attr: str
    table: ChildTable
    column: str
    where: tuple[str, str]

    def to_json(self, ch: Character) -> list[Any]:
        return sorted(getattr(ch, self.attr))

    def from_json(self, values: list[Any]) -> set[Any]:
        return set(values)


# table and column names below are constants of this module, never input

CHARACTERS = Table("characters", Part.CORE, Character, (
    Column("id", UUID),
    Column("player_id", UUID, saved=False),
    Column("name", saved=False),
    Column("rank"),
    Column("power"),
    Column("speed"),
    Column("spirit"),
    Column("recovery"),
    Column("current_room_id", attr="room_id"),
    Column("health"),
    Column("mana"),
    Column("stamina"),
    Column("inventory_expansion"),
    Column("weak_until", EPOCH),
    Column("frozen"),
    Column("prompt"),
    Column("colour"),
    Column("title"),
    Column("afk"),
    Column("ignoring", NAMES),
    Column("brief"),
    Column("compact"),
    Column("wimpy"),
    Column("autoloot"),
    Column("autocoin"),
    Column("aliases", JSONB),
), stamp="updated_at")

INVENTORY = ChildTable("character_inventory", Part.INVENTORY, InventoryItem, (
    Column("id", UUID),
    Column("item_id"),
    Column("quantity"),
    Column("slot"),
    Column("metadata", JSONB),
), attr="inventory")

ESSENCES = ChildTable("character_essences", Part.ESSENCES, Essence, (
    Column("id", UUID),
    Column("essence_type"),
    Column("attribute_bound"),
    Column("rank_bonded"),
), attr="essences")

# essences and their abilities are written together; an ability used alone is written alone
ABILITIES = ChildTable("character_abilities", Part.ESSENCES, Ability, (
    Column("id", UUID),
    Column("essence_id", UUID),
    Column("ability_name"),
    Column("current_rank"),
    Column("awakened", FLAG),
    Column("metadata", JSONB),
), attr="abilities", touched=Part.ABILITIES)

# only active quests are loaded (one finished in play is written with its new status, then left
# alone); finished ones are known by id
QUESTS = ChildTable("character_quests", Part.QUESTS, QuestProgress, (
    Column("id", UUID),
    Column("quest_id"),
    Column("status"),
    Column("progress", JSONB),
    Column("started_at", TIMESTAMP),
    Column("completed_at", TIMESTAMP),
), attr="quests", scope=("status", "active"))

SKILLS = ChildTable("character_skills", Part.SKILLS, Skill, (
    Column("id", UUID),
    Column("skill_id"),
    Column("level"),
    Column("experience"),
), attr="skills", order="skill_id")

# in the order the saver writes them: essences before their abilities (which reference them)
CHILDREN = (INVENTORY, ESSENCES, ABILITIES, QUESTS, SKILLS)

FINISHED_QUESTS = IdsOf("completed_quests", QUESTS, "quest_id", ("status", "completed"))

# fields of Character that are deliberately not saved (play state and the saver's bookkeeping)
NOT_SAVED = frozenset({"invisible", "resting", "in_bed", "fighting", "dirty",
                       "changed_abilities", "on_dirty"})


_DUMPERS = {c.kind.dumper for t in (CHARACTERS, *CHILDREN) for c in t.columns if c.kind.dumper}


def use_dumpers(adapters: AdaptersMap) -> None:
    """Have psycopg dump the model's values as the declared columns need (dicts as jsonb), in
    one cursor's adapters, say: other queries keep psycopg's defaults."""
    for python_type, dumper in _DUMPERS:
        adapters.register_dumper(python_type, dumper)


CORE = "core"  # the key of the character's own row in its JSON


def _signature() -> str:
    """Names every table, column and kind of the JSON, so that JSON of another shape (a cache
    entry written by another version) is told apart rather than misread."""
    described = [(CORE, [(c.attr, c.kind.name) for c in CHARACTERS.columns]),
                 *((t.attr, [(c.attr, c.kind.name) for c in t.columns]) for t in CHILDREN),
                 FINISHED_QUESTS.attr]
    return hashlib.sha256(repr(described).encode()).hexdigest()[:16]


SIGNATURE = _signature()


def character_to_json(ch: Character) -> dict[str, Any]:
    """Everything saved about a character, as a load from the database gives it: its row under
    CORE, each owned table's rows under the table's attr, and the finished quests' ids."""
    data: dict[str, Any] = {CORE: CHARACTERS.to_json(ch)}
    for table in CHILDREN:
        data[table.attr] = table.to_json_list(ch)
    data[FINISHED_QUESTS.attr] = FINISHED_QUESTS.to_json(ch)
    return data


def character_from_json(data: dict[str, Any]) -> Character:
    """The character in data (from the cache, or built by the loader's query)."""
    owned = {table.attr: table.from_json_list(data[table.attr]) for table in CHILDREN}
    owned[FINISHED_QUESTS.attr] = FINISHED_QUESTS.from_json(data[FINISHED_QUESTS.attr])
    return CHARACTERS.from_json(data[CORE], **owned)
