"""Connection pool and the embedded PostgreSQL used when no MUD_DATABASE_URL is configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from psycopg_pool import AsyncConnectionPool

from mud.store.data_migrations import Progress, StepRun, ignore_progress
from mud.store.migrations import Migration, migrate

log = logging.getLogger("mud.store")


def redact_url(url: str) -> str:
    """The URL with any password replaced, for logs and start-up messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


class EmbeddedPostgres:
    """A real PostgreSQL server (from the pgserver package) living in the data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "postgres"
        self._server = None

    async def start(self) -> str:
        import pgserver  # imported here: only the zero-config path needs it

        self.path.mkdir(parents=True, exist_ok=True)
        log.info("event=embedded_postgres_starting path=%s", self.path)
        self._server = await asyncio.to_thread(pgserver.get_server, self.path, "stop")
        return self._server.get_uri()

    async def stop(self) -> None:
        if self._server is not None:
            log.info("event=embedded_postgres_stopping path=%s", self.path)
            await asyncio.to_thread(self._server.cleanup)
            self._server = None


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 10,
                    wait_seconds: float = 30.0) -> AsyncConnectionPool:
    """Open a pool and wait until one connection works, so a bad URL fails at start-up.
    Connections are checked on checkout, so a restarted database is reconnected to. A caller
    waits up to wait_seconds for a connection (logins queue behind each other in a storm)."""
    # mud.writer marks the game's own writes: they announce no change to other processes
    # (sql/0004_character_change_notices.sql)
    pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                               timeout=wait_seconds,
                               kwargs={"autocommit": True, "options": "-c mud.writer=game"},
                               check=AsyncConnectionPool.check_connection)
    await pool.open(wait=True, timeout=wait_seconds)
    return pool


@dataclass
class Database:
    pool: AsyncConnectionPool
    url: str
    where: str  # for people: the redacted URL or the embedded server's folder
    applied: list[Migration]  # migrations applied on opening
    data_steps: list[StepRun]  # data-migration steps run on opening


@asynccontextmanager
async def open_database(url: str | None, data_dir: Path, *, max_size: int = 10,
                        progress: Progress = ignore_progress) -> AsyncIterator[Database]:
    """A pool on the database at url, or on an embedded PostgreSQL started in data_dir for the
    duration, with every migration applied and every data step run (reporting to progress)."""
    embedded = None
    if not url:
        embedded = EmbeddedPostgres(data_dir)
        url = await embedded.start()
    try:
        pool = await open_pool(url, min_size=max_size, max_size=max_size)  # a fixed set
        try:
            async with pool.connection() as conn:
                applied, data_steps = await migrate(conn, progress=progress)
            yield Database(pool, url, f"embedded PostgreSQL in {embedded.path}" if embedded
                           else redact_url(url), applied, data_steps)
        finally:
            await pool.close()
    finally:
        if embedded is not None:
            await embedded.stop()
