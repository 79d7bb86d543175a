"""Rows queued as the game goes and written to PostgreSQL in batches, so that nothing waits on
the database; they wait in memory (bounded: the oldest go first, logged) while it is away."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Generic, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.store")

FLUSH_INTERVAL = 1.0
CHECKOUT_TIMEOUT = 3.0

Row = TypeVar("Row")


class BatchWriter(Generic[Row]):
    """Queues rows and writes them every FLUSH_INTERVAL seconds, and at stop, in one
    transaction each time (write_batch says how)."""

    name = "batch"  # in the log lines

    def __init__(self, pool: AsyncConnectionPool, max_waiting: int) -> None:
        self._pool = pool
        self._waiting: deque[Row] = deque(maxlen=max_waiting)
        self._lock = asyncio.Lock()  # one writer at a time: a row is written once
        self._task: asyncio.Task[None] | None = None

    def queue(self, row: Row) -> None:
        if len(self._waiting) == self._waiting.maxlen:
            log.error("event=%s_overflow dropped=%r", self.name, self._waiting[0])
        self._waiting.append(row)

    @property
    def waiting(self) -> list[Row]:
        """The rows not written yet, oldest first."""
        return list(self._waiting)

    async def write_batch(self, conn: psycopg.AsyncConnection, batch: list[Row]) -> None:
        raise NotImplementedError

    async def flush(self) -> bool:
        """Write what waits; False (and kept for the next try) when the database is away."""
        async with self._lock:
            if not self._waiting:
                return True
            batch = list(self._waiting)
            try:
                async with self._pool.connection(timeout=CHECKOUT_TIMEOUT) as conn, \
                        conn.transaction():
                    await self.write_batch(conn, batch)
            except Exception as exc:  # the database away, or a bad row: kept, retried
                log.warning("event=%s_flush_failed waiting=%d error=%r", self.name, len(batch),
                            str(exc))
                return False
            for _ in batch:
                self._waiting.popleft()
            return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the timer, then write what is left. A write under way is let finish first:
        cancelled during its commit, it could reach the database and still look failed, and the
        last flush would write its rows a second time."""
        async with self._lock:
            await cancel_and_wait(self._task)
        await self.flush()
