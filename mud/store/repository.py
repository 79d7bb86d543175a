"""A repository whose reads and writes a player waits for (mail, news, reports): each is one
statement on a pooled connection, and a database that is away or refuses is one exception,
StoreUnavailable, which the command turns into a plain "try again" for the player."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from mud.store.batches import CHECKOUT_TIMEOUT

log = logging.getLogger("mud.store")


class StoreUnavailable(Exception):
    """PostgreSQL could not be reached, or refused, for something a player asked for."""


class Repository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows sql returns (none for a statement that returns none), in one transaction."""
        try:
            async with self._pool.connection(timeout=CHECKOUT_TIMEOUT) as conn:
                cur = await conn.execute(sql, params)
                return await cur.fetchall() if cur.description else []
        except psycopg.Error as exc:  # the pool's timeout is one too
            log.warning("event=store_unavailable store=%s error=%r", type(self).__name__,
                        str(exc))
            raise StoreUnavailable(str(exc)) from exc
