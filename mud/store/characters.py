"""Characters: SQL over the async pool; the aggregate's load and creation are generated from its
declaration (mud.store.shape)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from mud.game.model import Character, starting_character
from mud.store.shape import (
    CHARACTERS,
    CHILDREN,
    CORE,
    FINISHED_QUESTS,
    ChildTable,
    Table,
    character_from_json,
    use_dumpers,
)


@dataclass(frozen=True)
class CharacterSummary:
    id: uuid.UUID
    name: str
    rank: str
    created: bool = False  # made just now: its player is new to it


class NameTaken(Exception):
    """Another character already has this name (compared without case)."""


def _values(table: Table, alias: str) -> str:
    """SQL building one row of table (aliased) as the JSON list shape.Table.to_json gives."""
    values = (c.kind.select.format(f"{alias}.{c.name}") for c in table.columns)
    return f"json_build_array({', '.join(values)})"


def _param(where: tuple[str, str]) -> str:
    """The name of the query parameter holding where's value."""
    return "_".join(where)


def _owned(attr: str, table: ChildTable, aggregate: str, where: tuple[str, str] | None) -> str:
    """An 'attr', SQL pair aggregating the rows of table (where column = value) that c owns."""
    scope = "" if where is None else f" AND t.{where[0]} = %({_param(where)})s"
    return (f"'{attr}', (SELECT coalesce({aggregate}, '[]') FROM {table.name} t"
            f" WHERE t.{table.owner} = c.id{scope})")


def _load_sql() -> str:
    owned = [_owned(t.attr, t, f"json_agg({_values(t, 't')} ORDER BY t.{t.order})", t.scope)
             for t in CHILDREN]
    ids = FINISHED_QUESTS
    owned.append(_owned(ids.attr, ids.table, f"json_agg(DISTINCT t.{ids.column})", ids.where))
    return (f"SELECT json_build_object('{CORE}', {_values(CHARACTERS, 'c')}, {', '.join(owned)})"
            f" FROM {CHARACTERS.name} c WHERE c.id = %(id)s")


# One round trip: the character as the JSON the cache holds (mud.store.shape), its owned rows
# aggregated in it. Of quests, only active ones are loaded whole; of completed ones, only their
# ids. Rows come in id order (creation order, mud.game.ids) unless the table says otherwise.
# Names come from the declaration's constants; values are parameters.
_LOAD_SQL = _load_sql()
_LOAD_PARAMS = {_param(where): where[1]
                for where in [*(t.scope for t in CHILDREN if t.scope), FINISHED_QUESTS.where]}

# A new character's row: every column, from the model's starting values.
_INSERT_SQL = (f"INSERT INTO {CHARACTERS.name} ({', '.join(CHARACTERS.created.names)})"
               f" VALUES ({', '.join(['%s'] * len(CHARACTERS.created.names))})")


class CharacterRepository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def load(self, character_id: uuid.UUID) -> Character | None:
        """The whole aggregate (essences, abilities, inventory, active quests, skills) at once."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_LOAD_SQL, {**_LOAD_PARAMS, "id": character_id})
            row = await cur.fetchone()
        return character_from_json(row[0]) if row else None

    async def list_for_player(self, player_id: uuid.UUID) -> list[CharacterSummary]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, rank FROM characters WHERE player_id = %s"
                " ORDER BY created_at, name", (player_id,))
            return [CharacterSummary(*row) for row in await cur.fetchall()]

    async def id_of(self, name: str) -> uuid.UUID | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM characters WHERE lower(name) = lower(%s)", (name,))
            row = await cur.fetchone()
        return row[0] if row else None

    async def last_seen(self, name: str) -> datetime | None:
        """When the character was last saved, about when it last played, in UTC (the column is
        written by now() in the database's time zone, and read back in the same zone)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT updated_at::timestamptz AT TIME ZONE 'UTC' FROM characters"
                " WHERE lower(name) = lower(%s)", (name,))
            row = await cur.fetchone()
        return row[0] if row else None

    async def name_taken(self, name: str) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM characters WHERE lower(name) = lower(%s)", (name,))
            return await cur.fetchone() is not None

    async def create(self, player_id: uuid.UUID, name: str, room_id: str) -> Character:
        """Insert a new character with starting attributes and full pools."""
        template = starting_character(player_id, name, room_id)
        try:
            async with self._pool.connection() as conn, conn.cursor() as cursor:
                use_dumpers(cursor.adapters)
                await cursor.execute(_INSERT_SQL, CHARACTERS.created.values(template))
        except errors.UniqueViolation as exc:
            raise NameTaken(name) from exc
        return template
