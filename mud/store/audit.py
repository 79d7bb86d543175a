"""The audit log: privileged commands are queued as they run and written in batches, so no
command waits on the database; rows wait in memory (bounded) while it is away."""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass

import psycopg
from psycopg_pool import AsyncConnectionPool

from mud.store.batches import BatchWriter

log = logging.getLogger("mud.audit")

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


class AuditLog(BatchWriter[AuditEntry]):
    name = "audit"

    def __init__(self, pool: AsyncConnectionPool) -> None:
        super().__init__(pool, MAX_WAITING)

    def record(self, entry: AuditEntry) -> None:
        self.queue(entry)
        log.info("event=audit account=%s character=%s role=%s command=%s target=%r outcome=%r",
                 *astuple(entry)[:5], entry.outcome)

    async def write_batch(self, conn: psycopg.AsyncConnection, batch: list[AuditEntry]) -> None:
        async with conn.cursor().copy("COPY audit_log (account, character, role, command, "
                                      "target, args, outcome) FROM STDIN") as copy:
            for entry in batch:
                await copy.write_row(astuple(entry))

    async def recent(self, character: str | None, count: int) -> list[tuple]:
        """The newest entries, of one character if given."""
        where, params = ("WHERE lower(character) = lower(%s)", [character]) if character \
            else ("", [])
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT at, character, role, command, target, outcome FROM audit_log {where}"
                " ORDER BY at DESC, id DESC LIMIT %s", [*params, count])
            return await cur.fetchall()
