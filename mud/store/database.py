"""Connection pool and the embedded PostgreSQL used when no MUD_DATABASE_URL is configured."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import stat
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
from psycopg_pool import AsyncConnectionPool

from mud.embedded import EmbeddedService, gone, live_process
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


class EmbeddedPostgres(EmbeddedService):
    """A real PostgreSQL server (the binaries of the pgserver package) living in the data folder,
    run as this process's child (mud.embedded says how a crash is handled). Its own
    postmaster.pid names its pid, its socket folder and whether it is ready."""

    name = "postgres"
    # a fast shutdown (clients are cut, then a checkpoint: clean), then an immediate one (crash
    # recovery at the next start), then SIGKILL
    stop_steps = ((signal.SIGINT, 60.0), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0))
    parent_death_signal = signal.SIGINT
    start_timeout = 120.0  # seconds: a first start runs initdb, a restart may recover from a crash

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir.resolve() / "postgres", data_dir / "postgres.owner")

    def _postmaster(self) -> list[str]:
        """The lines of postmaster.pid (pid, folder, start, port, socket folder, address,
        shared memory, status); none when PostgreSQL is not running."""
        try:
            text = (self.path / "postmaster.pid").read_text()
        except (FileNotFoundError, NotADirectoryError):
            return []
        lines = [line.strip() for line in text.splitlines()]
        return lines if lines and lines[0].isdigit() else []

    async def _find(self) -> psutil.Process | None:
        lines = self._postmaster()
        if not lines:
            return None
        found = live_process(int(lines[0]), str(self.path))
        if found is None:  # a pid reused since (after a reboot, in a container): PostgreSQL
            # would take it for a live server and refuse to start
            log.warning("event=embedded_postgres_stale_pid_file pid=%s path=%s", lines[0],
                        self.path)
            (self.path / "postmaster.pid").unlink(missing_ok=True)
        return found

    async def _launch(self) -> psutil.Popen:
        from pgserver._commands import POSTGRES_BIN_PATH  # only the zero-config path needs it

        self.path.mkdir(parents=True, exist_ok=True)
        user, socket_dir = await asyncio.to_thread(_prepare, self.path)
        with (self.path / "log").open("ab") as server_log:
            return self._spawn([str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.path),
                                "-h", "", "-k", str(socket_dir)],  # no TCP: the socket only
                               stdin=subprocess.DEVNULL, stdout=server_log,
                               stderr=subprocess.STDOUT, user=user)

    async def _until_ready(self, proc: psutil.Process) -> str:
        try:
            async with asyncio.timeout(self.start_timeout):
                while True:
                    lines = self._postmaster()
                    if lines[7:8] == ["ready"] and int(lines[0]) == proc.pid:
                        return f"postgresql://postgres:@/postgres?host={lines[4]}"
                    if gone(proc):
                        break
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pass
        raise OSError(f"the embedded PostgreSQL (pid {proc.pid}) did not start; its log is "
                      f"{self.path / 'log'}")


def _prepare(pgdata: Path) -> tuple[str | None, Path]:
    """Make pgdata a PostgreSQL data folder if it is not one yet, as pgserver does (trust on the
    local socket; no TCP is listened on). Returns the system user to run PostgreSQL as (as root:
    the user pgserver makes for it, since PostgreSQL refuses root) and the folder for its socket
    (pgdata unless that path is too long for a socket)."""
    from pgserver import utils
    from pgserver._commands import POSTGRES_BIN_PATH, initdb
    from pgserver.postgres_server import PostgresServer

    user = None
    if os.geteuid() == 0:
        user = "pgserver"
        utils.ensure_user_exists(user)
        for folder in (pgdata, POSTGRES_BIN_PATH):
            utils.ensure_prefix_permissions(folder)
        readable, runnable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH, readable | runnable)
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
        shutil.chown(pgdata, user, user)
    if not (pgdata / "PG_VERSION").exists():
        initdb(["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
               pgdata=pgdata, user=user)
    socket_dir = utils.find_suitable_socket_dir(pgdata, PostgresServer.runtime_path)
    if user is not None and socket_dir != pgdata:
        utils.ensure_prefix_permissions(socket_dir)
        socket_dir.chmod(0o777)
    return user, socket_dir


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
