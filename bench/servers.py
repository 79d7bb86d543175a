"""Start and stop the servers the benchmarks measure."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
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
    """`mud serve` on a database of its own, for one scenario: this tree's code, or the tree at
    root (a git worktree of another commit); with its own data folder, and with the Redis at
    redis_url under a key prefix of its own (else an embedded Redis)."""

    def __init__(self, admin_url: str, logdir: Path, root: Path | None = None,
                 redis_url: str | None = None) -> None:
        self.admin_url = admin_url
        self.logdir = logdir
        self.root = root
        self.redis_url = redis_url
        self.banner = ""  # the server's first line: its port (and a gateway's world address)

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
        data = self.data = self.logdir / name  # its console.sock, link.sock, snapshot
        data.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MUD_DATABASE_URL": psycopg.conninfo.make_conninfo(**info),
               "MUD_HOST": "127.0.0.1", "MUD_TELNET_PORT": "0", "MUD_WEB_PORT": "0",
               "MUD_INPUT_RATE": "0",
               "MUD_INPUT_BYTES_RATE": "0", "MUD_DATA_DIR": str(data),
               "MUD_MAX_CONNECTIONS_PER_ADDRESS": "0", "MUD_NEW_ACCOUNTS_PER_ADDRESS": "0",
               "MUD_STATS_INTERVAL": "1",
               **({} if default_argon2 else CHEAP_ARGON2), **(extra_env or {})}
        if self.redis_url:
            env |= {"MUD_REDIS_URL": self.redis_url, "MUD_REDIS_PREFIX": name}
        if self.root is not None:  # that tree's `mud` before the installed one
            env["PYTHONPATH"] = str(self.root)
        self.env = env
        proc, self.banner = self._spawn(env, log)
        port = int(re.search(r"listening on [\d.]+:(\d+)", self.banner)[1])  # type: ignore[index]
        return proc, port, [proc.pid, *children(proc.pid)], log

    def _spawn(self, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
        """`mud serve` with env; the process and its first line, once it has said it."""
        proc = subprocess.Popen([sys.executable, "-m", "mud", "serve"], env=env, cwd=self.root,
                                stdout=subprocess.PIPE, stderr=log.open("wb"), text=True)
        assert proc.stdout is not None
        return proc, proc.stdout.readline()

    def add_gateway(self, label: str) -> tuple[subprocess.Popen, int]:
        """One more gateway (`--role gateway`, a data folder of its own) to the world of the
        server started last, on its database and Redis prefix; stop it before the server."""
        world = re.search(r"world: (\S+);", self.banner)[1]  # type: ignore[index]
        data = self.data / label
        data.mkdir(exist_ok=True)
        proc, banner = self._spawn({**self.env, "MUD_ROLE": "gateway", "MUD_WORLD_ADDRESS": world,
                                    "MUD_DATA_DIR": str(data)}, self.logdir / f"mud-{label}.log")
        return proc, int(re.search(r"listening on [\d.]+:(\d+)", banner)[1])  # type: ignore[index]

    def stop(self, proc: subprocess.Popen) -> None:
        proc.terminate()
        proc.wait(timeout=120)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        if self.redis_url:
            forget_redis_prefix(self.redis_url, self.dbname)
        shutil.rmtree(self.data, ignore_errors=True)


def children(pid: int) -> list[int]:
    """The processes whose parent is pid (a gateway's world, under `mud serve`)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def forget_redis_prefix(url: str, prefix: str) -> None:
    """Delete every Redis key a server used under prefix."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


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


