"""Numbered SQL migrations from sql/, applied once each and recorded in schema_migrations; then
the data-migration steps of mud/store/data_migrations.py."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg import AsyncConnection

from mud.store.data_migrations import Progress, StepRun, ignore_progress, run_data_migrations

log = logging.getLogger("mud.migrations")

SQL_DIR = Path(__file__).resolve().parent.parent.parent / "sql"
FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LOCK_KEY = 0x6D7564  # advisory lock: one migrating process at a time


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise ValueError(f"{path}: migration files are named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{sql_dir}: two migrations share a number")
    return found


async def migrate(conn: AsyncConnection, sql_dir: Path = SQL_DIR,
                  progress: Progress = ignore_progress
                  ) -> tuple[list[Migration], list[StepRun]]:
    """Apply every unrecorded migration, each in its own transaction, then run the pending data
    steps (batches commit on their own: conn is an autocommit one); return what was applied
    and what was run."""
    pending_all = discover(sql_dir)
    await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in await cur.fetchall()}
        pending = [m for m in pending_all if m.version not in done]
        log.info("event=migrations_check applied=%d pending=%d", len(done), len(pending))
        for index, migration in enumerate(pending, 1):
            log.info("event=migration_apply step=%d/%d version=%04d name=%s",
                     index, len(pending), migration.version, migration.name)
            async with conn.transaction():
                await conn.execute(migration.path.read_text())
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name))
        return pending, await run_data_migrations(conn, progress)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
