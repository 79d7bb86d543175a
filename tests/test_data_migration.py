"""Data-migration steps against a real PostgreSQL: the inventory_expansion backfill, its
batches and progress, and `mud migrate` running it once."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import psycopg
import pytest_asyncio
from psycopg import AsyncConnection

from mud.store.data_migrations import inventory_expansion, run_data_migrations
from mud.store.migrations import discover, migrate
from tests.conftest import new_name, query


@pytest_asyncio.fixture
async def conn(make_database: Callable[[], str]) -> AsyncIterator[AsyncConnection]:
    """An autocommit connection (as the pool gives) to a fresh, migrated database."""
    async with await psycopg.AsyncConnection.connect(make_database(), autocommit=True) as c:
        await migrate(c)
        yield c


async def add_player(conn: AsyncConnection) -> UUID:
    name = new_name()
    cur = await conn.execute("INSERT INTO players (username, email, password_hash)"
                             " VALUES (%s, %s, 'x') RETURNING id", (name, f"{name}@example.com"))
    return (await cur.fetchone())[0]


async def add_character(conn: AsyncConnection, player_id: UUID, stacks: int,
                        level: int = 0) -> UUID:
    """A character holding stacks inventory rows, at inventory expansion level."""
    cur = await conn.execute(
        "INSERT INTO characters (player_id, name, health, mana, stamina, inventory_expansion)"
        " VALUES (%s, %s, 100, 100, 100, %s) RETURNING id", (player_id, new_name(), level))
    character_id = (await cur.fetchone())[0]
    await conn.execute("INSERT INTO character_inventory (character_id, item_id)"
                       " SELECT %s, 'item_' || g FROM generate_series(1, %s) AS g",
                       (character_id, stacks))
    return character_id


async def levels(conn: AsyncConnection) -> dict[UUID, int]:
    cur = await conn.execute("SELECT id, inventory_expansion FROM characters")
    return dict(await cur.fetchall())


async def row_versions(conn: AsyncConnection) -> list[tuple]:
    """Every character row with its xmin: a row written again gets a new one."""
    cur = await conn.execute("SELECT id, inventory_expansion, xmin::text FROM characters"
                             " ORDER BY id")
    return await cur.fetchall()


async def test_levels_follow_stacks_and_are_never_lowered(conn: AsyncConnection) -> None:
    player = await add_player(conn)
    expected = {await add_character(conn, player, stacks): level
                for stacks, level in ((0, 0), (1, 0), (20, 0), (21, 1), (45, 2), (100, 4))}
    higher = await add_character(conn, player, 21, level=3)  # bought more than it needs
    raised = await add_character(conn, player, 45, level=1)
    expected |= {higher: 3, raised: 2}
    lines: list[str] = []

    assert await inventory_expansion(conn, lines.append) == 4
    assert await levels(conn) == expected
    assert lines == ["inventory_expansion: 8/8 characters, 4 updated"]

    before = await row_versions(conn)
    assert await inventory_expansion(conn, lines.append) == 0
    assert await row_versions(conn) == before  # same values, and no row written again
    assert lines[-1] == "inventory_expansion: 8/8 characters, 0 updated"


async def test_small_batches_cover_every_character(conn: AsyncConnection) -> None:
    player = await add_player(conn)
    ids = [await add_character(conn, player, 21) for _ in range(7)]
    lines: list[str] = []

    assert await inventory_expansion(conn, lines.append, batch_size=2) == 7
    assert await levels(conn) == dict.fromkeys(ids, 1)
    assert lines == [f"inventory_expansion: {done}/7 characters, {done} updated"
                     for done in (2, 4, 6, 7)]


async def test_the_runner_runs_each_step_once(conn: AsyncConnection) -> None:
    # migrating the fresh database ran the step over no characters and recorded it
    cur = await conn.execute("SELECT name, rows_changed FROM data_migrations")
    assert await cur.fetchall() == [("inventory_expansion", 0)]
    await add_character(conn, await add_player(conn), 21)
    assert await run_data_migrations(conn, print) == []
    await conn.execute("DELETE FROM data_migrations")
    lines: list[str] = []
    ran = await run_data_migrations(conn, lines.append)
    assert [(step.name, step.rows_changed) for step in ran] == [("inventory_expansion", 1)]
    assert lines == ["inventory_expansion: 1/1 characters, 1 updated"]


async def mud_migrate(url: str) -> str:
    """`mud migrate` as an operator runs it; returns what it printed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "migrate", env={**os.environ, "MUD_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_mud_migrate_backfills_a_shipped_database(make_database: Callable[[], str]
                                                        ) -> None:
    url = make_database()
    # a database as release 0001 left it (its one migration, recorded as the runner records
    # it), with characters in it
    initial = discover()[0]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                           " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        await conn.execute(initial.path.read_text())
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                           (initial.version, initial.name))
        player = await add_player(conn)
        for stacks in (0, 21, 45, 100):
            await add_character(conn, player, stacks)

    first = await mud_migrate(url)
    assert first.splitlines()[0] == "mud: inventory_expansion: 4/4 characters, 3 updated"
    assert f"mud: {len(discover()) - 1} migration(s) applied to " in first
    assert first.splitlines()[-1] == ("mud: 1 data migration step(s) run;"
                                      " inventory_expansion: 3 row(s) changed")
    assert sorted(level for (level,) in await query(
        url, "SELECT inventory_expansion FROM characters")) == [0, 1, 2, 4]
    recorded = await query(url, "SELECT name, rows_changed, applied_at FROM data_migrations")
    assert [row[:2] for row in recorded] == [("inventory_expansion", 3)]

    second = await mud_migrate(url)
    assert "inventory_expansion" not in second
    assert second.splitlines()[-1] == "mud: 0 data migration step(s) run"
    assert await query(url, "SELECT name, rows_changed, applied_at FROM data_migrations"
                       ) == recorded
