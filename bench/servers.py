"""Start and stop the servers the benchmarks measure."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
# this server as measured: limits meant for the internet off (every player is on 127.0.0.1 and
# the closed loop sends as fast as replies come), argon2 lowered for mass account creation
CHEAP_ARGON2 = {"MUD_ARGON2_TIME_COST": "1", "MUD_ARGON2_MEMORY_KIB": "1024"}


@contextmanager
def admin_database(url: str | None) -> Iterator[str]:
    """The PostgreSQL at url, or an embedded one in a temporary folder for the duration: where
    each run creates (and drops) the databases it measures with."""
    if url:
        yield url
        return
    from mud.store.database import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="mud-bench-pg-") as tmp:
        embedded = EmbeddedPostgres(Path(tmp))
        try:
            yield asyncio.run(embedded.start())
        finally:
            asyncio.run(embedded.stop())


@contextmanager
def scratch_database(admin_url: str, prefix: str = "mud_bench") -> Iterator[str]:
    """A new empty database on the server at admin_url, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    try:
        yield psycopg.conninfo.make_conninfo(**info)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PoolWork = Callable[[Any, argparse.Namespace], Awaitable[None]]


def run_on_scratch_database(doc: str, work: PoolWork, **options: int) -> None:
    """The main of an in-process benchmark: parse --<option> N (with the defaults given) and
    --database-url, then run work(pool, args) on a fresh migrated database, on an embedded
    PostgreSQL when no URL (or MUD_DATABASE_URL) is given."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    args = parser.parse_args()
    with admin_database(args.database_url) as admin, scratch_database(admin) as url:
        asyncio.run(_with_pool(url, work, args))


async def _with_pool(url: str, work: PoolWork, args: argparse.Namespace) -> None:
    from mud.store.database import open_pool
    from mud.store.migrations import migrate

    pool = await open_pool(url)
    try:
        async with pool.connection() as conn:
            await migrate(conn)
        await work(pool, args)
    finally:
        await pool.close()


class MudServer:
    """`mud serve` on a database of its own, for one scenario."""

    def __init__(self, admin_url: str, logdir: Path) -> None:
        self.admin_url = admin_url
        self.logdir = logdir

    def start(self, label: str, default_argon2: bool = False,
              extra_env: dict[str, str] | None = None
              ) -> tuple[subprocess.Popen, int, list[int], Path]:
        name = f"mud_load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        info = psycopg.conninfo.conninfo_to_dict(self.admin_url)
        info["dbname"] = name
        self.dbname = name
        log = self.logdir / f"mud-{label}.log"
        env = {**os.environ, "MUD_DATABASE_URL": psycopg.conninfo.make_conninfo(**info),
               "MUD_HOST": "127.0.0.1", "MUD_TELNET_PORT": "0", "MUD_INPUT_RATE": "0",
               "MUD_INPUT_BYTES_RATE": "0",
               "MUD_MAX_CONNECTIONS_PER_ADDRESS": "0", "MUD_NEW_ACCOUNTS_PER_ADDRESS": "0",
               "MUD_STATS_INTERVAL": "1",
               **({} if default_argon2 else CHEAP_ARGON2), **(extra_env or {})}
        proc = subprocess.Popen([sys.executable, "-m", "mud", "serve"], env=env,
                                stdout=subprocess.PIPE, stderr=log.open("wb"), text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(re.search(r"listening on [\d.]+:(\d+)", line)[1])  # type: ignore[index]
        return proc, port, [proc.pid], log

    def stop(self, proc: subprocess.Popen) -> None:
        proc.terminate()
        proc.wait(timeout=120)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


class EvenniaServer:
    """Evennia 5.0.1 through bench/evennia_server.py, restarted for each scenario."""

    def __init__(self, root: str, port: int) -> None:
        self.root, self.port = root, port
        self.script = [sys.executable, str(HERE / "evennia_server.py")]

    def _run(self, *args: str) -> str:
        return subprocess.run([*self.script, *args, "--root", self.root], check=True,
                              capture_output=True, text=True, timeout=900).stdout

    def start(self, label: str, default_argon2: bool = False
              ) -> tuple[None, int, list[int], None]:
        # stock Evennia with its throttles off: the accept backlog stays at its 50 and the
        # portal-server link keeps Nagle's algorithm (bench/README.md shows both changed too)
        self._run("setup", "--port", str(self.port), "--backlog", "0")
        self._run("start")
        pids = [int(p) for p in self._run("pids").split()]
        return None, self.port, pids, None

    def stop(self, _proc: None) -> None:
        self._run("stop")


