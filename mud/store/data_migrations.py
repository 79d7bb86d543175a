"""Data-migration steps: Python backfills run once each after the SQL migrations, recorded in
data_migrations. Each step works in batches on an autocommit connection, so every batch commits
on its own, and is idempotent, so a step interrupted halfway is safe to run again."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from psycopg import AsyncConnection, sql

log = logging.getLogger("mud.migrations")

Progress = Callable[[str], None]
Step = Callable[[AsyncConnection, Progress], Awaitable[int]]


def ignore_progress(line: str) -> None:
    """For callers with no operator watching: the steps log their progress anyway."""


@dataclass(frozen=True)
class StepRun:
    name: str
    rows_changed: int


# One batch: the next characters by id, the stack counts of those holding any, and the levels
# raised where the count calls for more (level = ceil(stacks / 20) - 1; a character without
# stacks needs level 0, which changes nothing). Returns how many characters the batch held, the
# last of their ids (where the next batch starts) and how many rows changed. The ids go in as an
# array so that the inventory is read through its character_id index, not scanned whole.
_EXPANSION_BATCH = sql.SQL("""
WITH batch AS (
    SELECT id FROM characters {after} ORDER BY id LIMIT %(size)s
), changed AS (
    UPDATE characters AS c
    SET inventory_expansion = GREATEST(c.inventory_expansion, s.level)
    FROM (SELECT character_id, (count(*)::integer + 19) / 20 - 1 AS level
          FROM character_inventory WHERE character_id = ANY (ARRAY(SELECT id FROM batch))
          GROUP BY character_id) AS s
    WHERE c.id = s.character_id AND s.level > c.inventory_expansion
    RETURNING c.id
)
SELECT (SELECT count(*) FROM batch),
       (SELECT id FROM batch ORDER BY id DESC LIMIT 1),
       (SELECT count(*) FROM changed)
""")
_FIRST_BATCH = _EXPANSION_BATCH.format(after=sql.SQL(""))
_NEXT_BATCH = _EXPANSION_BATCH.format(after=sql.SQL("WHERE id > %(after)s"))


async def inventory_expansion(conn: AsyncConnection, progress: Progress,
                              batch_size: int = 1000) -> int:
    """Give each character the inventory expansion its current stacks need, never lowering a
    level it has. Returns the number of characters changed."""
    cur = await conn.execute("SELECT count(*) FROM characters")
    total = (await cur.fetchone())[0]
    done = updated = 0
    after: UUID | None = None
    while True:
        cur = await conn.execute(_FIRST_BATCH if after is None else _NEXT_BATCH,
                                 {"size": batch_size, "after": after})
        count, after, changed = await cur.fetchone()
        if count == 0:
            break
        done += count
        updated += changed
        log.info("event=data_migration_batch name=inventory_expansion done=%d total=%d "
                 "updated=%d", done, total, updated)
        progress(f"inventory_expansion: {done}/{total} characters, {updated} updated")
        if count < batch_size:
            break
    return updated


# Every step in the order it runs. A step is never renamed: its name is its record.
STEPS: tuple[tuple[str, Step], ...] = (
    ("inventory_expansion", inventory_expansion),
)


async def run_data_migrations(conn: AsyncConnection, progress: Progress) -> list[StepRun]:
    """Run every step not recorded in data_migrations, recording each as it finishes; return
    those run."""
    cur = await conn.execute("SELECT name FROM data_migrations")
    done = {row[0] for row in await cur.fetchall()}
    pending = [(name, step) for name, step in STEPS if name not in done]
    log.info("event=data_migrations_check applied=%d pending=%d", len(done), len(pending))
    ran: list[StepRun] = []
    for name, step in pending:
        log.info("event=data_migration_step name=%s status=started", name)
        started = time.monotonic()
        rows = await step(conn, progress)
        await conn.execute("INSERT INTO data_migrations (name, rows_changed) VALUES (%s, %s)",
                           (name, rows))
        log.info("event=data_migration_step name=%s status=done rows_changed=%d seconds=%.2f",
                 name, rows, time.monotonic() - started)
        ran.append(StepRun(name, rows))
    return ran
