"""The world overlay in PostgreSQL (sql/0006_world_overlay.sql): read it whole, write builders'
changes. Writes are awaited by the builder command that makes them, so each one is bounded in
time: a stuck database fails the change instead of holding the builder."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from mud.world.overlay import Overlay, OverlayRoom

STATEMENT_TIMEOUT_MS = 5000
CONNECTION_TIMEOUT = 5.0


class OverlayRepository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def load(self) -> Overlay:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, zone, name, description, exits FROM overlay_rooms ORDER BY id")
            rooms = {row[0]: OverlayRoom(*row) for row in await cur.fetchall()}
            cur = await conn.execute("SELECT item_id, fields FROM overlay_items ORDER BY item_id")
            items = {item_id: fields for item_id, fields in await cur.fetchall()}
        return Overlay(rooms, items)

    async def save_rooms(self, rooms: list[OverlayRoom], by: str) -> None:
        """Insert or replace rooms, all in one transaction."""
        async with self._pool.connection(timeout=CONNECTION_TIMEOUT) as conn, \
                conn.transaction():
            await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO overlay_rooms AS o (id, zone, name, description, exits,"
                    " created_by, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO UPDATE SET zone = EXCLUDED.zone,"
                    " name = EXCLUDED.name, description = EXCLUDED.description,"
                    " exits = EXCLUDED.exits, updated_by = EXCLUDED.updated_by,"
                    " updated_at = now()",
                    [(r.id, r.zone, r.name, r.description, Jsonb(r.exits), by, by)
                     for r in rooms])

    async def save_item_fields(self, item_id: str, fields: dict[str, Any], by: str) -> None:
        """Merge fields into the item's overrides."""
        async with self._pool.connection(timeout=CONNECTION_TIMEOUT) as conn, \
                conn.transaction():
            await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            await conn.execute(
                "INSERT INTO overlay_items AS o (item_id, fields, updated_by)"
                " VALUES (%s, %s, %s) ON CONFLICT (item_id) DO UPDATE"
                " SET fields = o.fields || EXCLUDED.fields, updated_by = EXCLUDED.updated_by,"
                " updated_at = now()", (item_id, Jsonb(fields), by))
