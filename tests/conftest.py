"""Fixtures: a real PostgreSQL (MUD_TEST_DATABASE_URL, else an embedded one), real server
processes on free ports, and real telnet clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import sys
import tempfile
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from mud.client import TelnetClient
from mud.webclient import WebClient
from tests.forkserver import Child, ForkServer

PASSWORD = "correct-horse"
START_TIMEOUT = 60.0
FORKS = ForkServer()  # forks this test process's servers (started on first use)


def free_port() -> int:
    """A port nothing listens on now (for listeners that cannot pick their own: the web's 0
    means none)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def letters(n: int = 10) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


def new_name() -> str:
    """A fresh account and character name (letters only, valid for both)."""
    return "T" + letters(9)


@pytest_asyncio.fixture(scope="session", autouse=True)
async def fork_server() -> AsyncIterator[ForkServer]:
    """The fork server ends with the session (its servers are stopped by their fixtures)."""
    yield FORKS
    await FORKS.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A PostgreSQL server to create test databases in. The embedded one lives outside pytest's
    temporary folders, which another pytest run on the machine may prune."""
    url = os.environ.get("MUD_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="mud-test-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest_asyncio.fixture(scope="session")
async def redis_url() -> AsyncIterator[str]:
    """A Redis for the servers under test: MUD_TEST_REDIS_URL, else an embedded one. Each
    server gets a key prefix of its own unless a test makes several share one."""
    url = os.environ.get("MUD_TEST_REDIS_URL")
    if url:
        yield url
        return
    from mud.cluster.redis import EmbeddedRedis

    folder = Path(tempfile.mkdtemp(prefix="mud-test-redis-"))
    embedded = EmbeddedRedis(folder)
    yield await embedded.start()
    await embedded.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _with_dbname(url: str, name: str) -> str:
    conninfo = psycopg.conninfo.conninfo_to_dict(url)
    conninfo["dbname"] = name
    return psycopg.conninfo.make_conninfo(**conninfo)


@pytest.fixture(scope="session")
def make_database(pg_admin_url: str) -> Callable[[], str]:
    """Create an empty database and return its URL (dropped at the end of the session)."""
    created: list[str] = []

    def make() -> str:
        name = f"mud_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_dbname(pg_admin_url, name)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServerProcess:
    """`mud serve` as a real child process."""

    def __init__(self, database_url: str, log_path: Path, save_interval: float = 0.3,
                 extra_env: dict[str, str] | None = None, redis_url: str = "",
                 redis_prefix: str | None = None, forked: bool = True) -> None:
        """forked: started by the fork server (tests/forkserver.py), which saves most of a
        second of CPU a start; False: `python -m mud serve` run whole, as an operator runs it."""
        self.database_url = database_url
        self.forked = forked
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix or f"test{uuid.uuid4().hex[:10]}"
        self.log_path = log_path
        self.save_interval = save_interval
        self.extra_env = extra_env or {}
        self.proc: asyncio.subprocess.Process | Child | None = None
        self.port = 0
        # AF_UNIX paths are short (about 107 bytes): a folder of its own under /tmp
        console_dir = tempfile.mkdtemp(prefix="mudc", dir="/tmp")
        weakref.finalize(self, shutil.rmtree, console_dir, True)
        self.console_socket = Path(console_dir) / "console.sock"
        # the world's snapshot and link socket (a server started again may keep its folder)
        self.data_dir = Path(self.extra_env.get("MUD_DATA_DIR") or Path(console_dir) / "data")

    async def start(self) -> ServerProcess:
        env = {**os.environ, "MUD_DATABASE_URL": self.database_url,
               "MUD_REDIS_URL": self.redis_url, "MUD_REDIS_PREFIX": self.redis_prefix,
               "MUD_SAVE_INTERVAL": str(self.save_interval), "MUD_HOST": "127.0.0.1",
               "MUD_TELNET_PORT": "0", "MUD_LOG_LEVEL": "INFO",
               "MUD_WEB_PORT": "0",  # no web listener unless a test asks for one (test_web.py)
               # tests open many connections and create many accounts from one address, and
               # fail passwords on purpose
               "MUD_MAX_CONNECTIONS_PER_ADDRESS": "0", "MUD_NEW_ACCOUNTS_PER_ADDRESS": "0",
               "MUD_LOGIN_FAIL_DELAY": "0.05",
               # argon2 at its production cost takes a tenth of a second of CPU a login, and
               # the suite logs in hundreds of times; the production cost is tested apart
               # (test_login.py)
               "MUD_ARGON2_TIME_COST": "1", "MUD_ARGON2_MEMORY_KIB": "8192",
               # several test processes start servers on one PostgreSQL at once
               "MUD_DATABASE_CONNECTIONS": "4",
               "MUD_CONSOLE_SOCKET": str(self.console_socket),
               "MUD_DATA_DIR": str(self.data_dir),
               **self.extra_env}
        out = self.log_path.with_suffix(".out")
        out.write_bytes(b"")  # the server's stdout: read below for where it listens
        if self.forked:
            self.proc = await FORKS.start(env, out, self.log_path)
        else:
            with out.open("wb") as stdout, self.log_path.open("ab") as stderr:
                self.proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "mud", "serve", env=env, stdout=stdout,
                    stderr=stderr)
        line = await asyncio.wait_for(self._first_line(out), START_TIMEOUT)
        match = re.search(rb"listening on [\d.]+:(\d+)", line)
        if not match:
            raise RuntimeError(f"server did not start: {line!r}; see {self.log_path}")
        self.port = int(match[1])
        web = re.search(rb"web client: http://[^:/]+:(\d+)/", line)
        self.web_port = int(web[1]) if web else None
        world = re.search(rb"world: ([^;]+);", line)
        self.world_address = world[1].decode() if world else ""
        return self

    async def _first_line(self, out: Path) -> bytes:
        """The first line the server prints (where it listens), or what it printed before it
        ended."""
        assert self.proc is not None
        while True:
            printed = await asyncio.to_thread(out.read_bytes)
            if b"\n" in printed or self.proc.returncode is not None:
                return printed.split(b"\n", 1)[0]
            await asyncio.sleep(0.01)

    async def client(self) -> TelnetClient:
        return await TelnetClient.connect("127.0.0.1", self.port)

    @property
    def web_url(self) -> str:
        """The web client's page (the server must have been started with MUD_WEB_PORT)."""
        assert self.web_port is not None, "started without a web listener"
        return f"http://127.0.0.1:{self.web_port}/"

    async def web_client(self, hello: dict[str, Any] | None = None,
                         headers: dict[str, str] | None = None) -> WebClient:
        """A WebSocket client, hello said (by default a plain one)."""
        return await WebClient.connect(self.web_url + "ws", {} if hello is None else hello,
                                       headers)

    def world_pids(self) -> list[int]:
        """The world processes this server (a gateway with its own world) runs now."""
        assert self.proc is not None
        try:
            children = psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []
        found = []
        for child in children:
            with contextlib.suppress(psutil.Error):
                if "serve" in child.cmdline():
                    found.append(child.pid)
        return found

    async def stop(self, sig: int | None = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send sig (None: none, it was sent already) and return the exit code. SIGKILL is a
        crash of the whole server: its world process is killed first, then the gateway."""
        assert self.proc is not None
        if sig == signal.SIGKILL:
            for pid in self.world_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if sig is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest_asyncio.fixture
async def server_factory(make_database: Callable[[], str], tmp_path: Path, redis_url: str
                         ) -> AsyncIterator[Callable[..., Awaitable[ServerProcess]]]:
    """Start servers of one's own (for restarts and signals); all are stopped afterwards."""
    started: list[ServerProcess] = []

    async def start(database_url: str | None = None, gateway_for: ServerProcess | None = None,
                    **kwargs: object) -> ServerProcess:
        """database_url None: a fresh test database; "": the server's own embedded one.
        gateway_for: a second gateway (`--role gateway`) to that server's world."""
        kwargs.setdefault("redis_url", redis_url)
        if gateway_for is not None:
            database_url = gateway_for.database_url
            kwargs["redis_prefix"] = gateway_for.redis_prefix
            kwargs["extra_env"] = {"MUD_ROLE": "gateway",
                                   "MUD_WORLD_ADDRESS": gateway_for.world_address,
                                   **kwargs.get("extra_env", {})}  # type: ignore[dict-item]
        server = ServerProcess(make_database() if database_url is None else database_url,
                               tmp_path / f"server{len(started)}.log", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return await server.start()

    yield start
    for server in started:
        if server.proc is not None and server.proc.returncode is None:
            server.proc.kill()
            await server.proc.wait()


@pytest_asyncio.fixture(scope="session")
async def server(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory,
                 redis_url: str) -> AsyncIterator[ServerProcess]:
    """One shared server for the tests that need no restarts."""
    proc = await ServerProcess(make_database(), tmp_path_factory.mktemp("server") / "server.log",
                               redis_url=redis_url).start()
    yield proc
    await proc.stop()


@pytest_asyncio.fixture
async def connect(server: ServerProcess) -> AsyncIterator[Callable[[], Awaitable[TelnetClient]]]:
    """Open telnet clients to the shared server; all are closed afterwards."""
    clients: list[TelnetClient] = []

    async def open_client() -> TelnetClient:
        client = await server.client()
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.close()


@pytest_asyncio.fixture
async def player(connect: Callable[[], Awaitable[TelnetClient]]
                 ) -> Callable[[], Awaitable[tuple[TelnetClient, str]]]:
    """Create a new account and character and return (client, name) standing in the game."""

    async def make() -> tuple[TelnetClient, str]:
        name = new_name()
        client = await connect()
        await client.create(name, PASSWORD, f"{name}@example.com")
        return client, name

    return make


async def join(server: ServerProcess, name: str | None = None) -> tuple[TelnetClient, str]:
    """A new account and character on server, standing in the game."""
    name = name or new_name()
    client = await server.client()
    await client.create(name, PASSWORD, f"{name}@example.com")
    return client, name


async def rejoin(server: ServerProcess, name: str) -> tuple[TelnetClient, str]:
    """Log an existing account in again; returns the client and the welcome text."""
    client = await server.client()
    return client, await client.login(name, PASSWORD)


async def carrying(server: ServerProcess, *items: str) -> tuple[TelnetClient, str]:
    """A new character who logs in carrying items (put in its inventory while it is away)."""
    client, name = await join(server)
    await client.quit()
    await query(server.database_url,
                "INSERT INTO character_inventory (character_id, item_id)"
                " SELECT c.id, i FROM characters c, unnest(%s::text[]) AS i WHERE c.name = %s",
                list(items), name.capitalize())
    await cached_copy_dropped(server, name)
    client, _ = await rejoin(server, name)
    return client, name


async def cached_copy_dropped(server: ServerProcess, name: str) -> None:
    """Wait until the server has heard of a change made to name's character from outside the
    game (a trigger notifies it) and dropped the character's cached copy (mud.cluster.cache):
    a login before that would still find the copy from before the change."""
    [(character_id,)] = await query(server.database_url,
                                    "SELECT id FROM characters WHERE name = %s",
                                    name.capitalize())
    redis = aioredis.from_url(server.redis_url)
    try:
        async with asyncio.timeout(5):
            while await redis.exists(f"{server.redis_prefix}:character:{character_id}"):
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()


async def query(url: str, sql: str, *params: object) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(sql, params)
        return await cur.fetchall() if cur.description else []


async def wait_for_rows(url: str, sql: str, *params: object, expect: Callable[[list], bool],
                        timeout: float = 5.0) -> list[tuple]:
    """Poll until the database shows what the write-behind saver should have written."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await query(url, sql, *params)
            if expect(rows):
                return rows
            await asyncio.sleep(0.05)


async def console_request(server: ServerProcess, line: str) -> dict[str, Any]:
    """One request on a server's console socket, written by hand (the wire format is the
    interface), without starting a Python to wait on."""
    command, _, args = line.partition(" ")
    reader, writer = await asyncio.open_unix_connection(str(server.console_socket))
    try:
        writer.write(json.dumps({"command": command, "args": args}).encode() + b"\n")
        return json.loads(await asyncio.wait_for(reader.readline(), 30))
    finally:
        writer.close()
        await writer.wait_closed()
