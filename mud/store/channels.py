"""Channel history: the newest lines of each channel, kept in PostgreSQL so that they outlive a
restart (the embedded Redis starts empty every time) and are the same on every process. Lines
are queued as they are spoken and written in batches, never holding a command up; each batch
drops all but the newest lines of its channels."""

from __future__ import annotations

import logging

import psycopg
from psycopg_pool import AsyncConnectionPool

from mud.store.batches import CHECKOUT_TIMEOUT, BatchWriter

log = logging.getLogger("mud.channels")

LINES_KEPT = 20  # per channel
MAX_WAITING = 10_000  # lines kept while the database is away; the oldest go first

_PRUNE = """
DELETE FROM channel_history WHERE id IN (
    SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY channel ORDER BY id DESC) AS n
                      FROM channel_history WHERE channel = ANY(%s)) AS ranked
     WHERE n > %s)
"""
_RECENT = """
SELECT line FROM (SELECT id, line FROM channel_history WHERE channel = %s
                   ORDER BY id DESC LIMIT %s) AS newest
 ORDER BY id
"""


class ChannelHistory(BatchWriter[tuple[str, str]]):
    name = "channel_history"

    def __init__(self, pool: AsyncConnectionPool) -> None:
        super().__init__(pool, MAX_WAITING)

    def keep(self, channel: str, line: str) -> None:
        self.queue((channel, line))

    async def write_batch(self, conn: psycopg.AsyncConnection,
                          batch: list[tuple[str, str]]) -> None:
        async with conn.cursor().copy("COPY channel_history (channel, line) FROM STDIN") as copy:
            for row in batch:
                await copy.write_row(row)
        await conn.execute(_PRUNE, (sorted({channel for channel, _ in batch}), LINES_KEPT))

    async def recent(self, channel: str) -> list[str] | None:
        """The channel's newest lines, oldest first (those said here and not written yet too);
        None while the database is away."""
        await self.flush()
        try:
            async with self._pool.connection(timeout=CHECKOUT_TIMEOUT) as conn:
                cur = await conn.execute(_RECENT, (channel, LINES_KEPT))
                written = [row[0] for row in await cur.fetchall()]
        except psycopg.Error as exc:
            log.warning("event=channel_history_unreadable channel=%s error=%r", channel,
                        str(exc))
            return None
        waiting = [line for kept_in, line in self.waiting if kept_in == channel]
        return (written + waiting)[-LINES_KEPT:]
