"""The audit log: privileged commands are queued as they run and written in batches, so no
command waits on the database; rows wait in memory (bounded) while it is away."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import astuple, dataclass

from psycopg_pool import AsyncConnectionPool

from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.audit")

FLUSH_INTERVAL = 1.0
MAX_WAITING = 100_000  # rows kept while the database is away; the oldest go first (logged)


@dataclass(frozen=True)
class AuditEntry:
    account: str
    character: str
    role: str
    command: str
    target: str
    args: str
    outcome: str


class AuditLog:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._waiting: deque[AuditEntry] = deque(maxlen=MAX_WAITING)
        self._task: asyncio.Task[None] | None = None

    def record(self, entry: AuditEntry) -> None:
        if len(self._waiting) == MAX_WAITING:
            log.error("event=audit_overflow dropped=%r", entry)
        self._waiting.append(entry)
        log.info("event=audit account=%s character=%s role=%s command=%s target=%r outcome=%r",
                 *astuple(entry)[:5], entry.outcome)

    async def flush(self) -> bool:
        if not self._waiting:
            return True
        batch = list(self._waiting)
        try:
            async with self._pool.connection(timeout=3) as conn, conn.cursor() as cur, \
                    cur.copy("COPY audit_log (account, character, role, command, target, args,"
                             " outcome) FROM STDIN") as copy:
                for entry in batch:
                    await copy.write_row(astuple(entry))
        except Exception as exc:
            log.warning("event=audit_flush_failed waiting=%d error=%r", len(batch), str(exc))
            return False
        for _ in batch:
            self._waiting.popleft()
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        await self.flush()

    async def recent(self, character: str | None, count: int) -> list[tuple]:
        """The newest entries, of one character if given."""
        where, params = ("WHERE lower(character) = lower(%s)", [character]) if character \
            else ("", [])
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT at, character, role, command, target, outcome FROM audit_log {where}"
                " ORDER BY at DESC, id DESC LIMIT %s", [*params, count])
            return await cur.fetchall()
