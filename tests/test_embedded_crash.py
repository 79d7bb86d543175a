"""Zero configuration after a crash: `mud serve` killed with -9 takes its embedded PostgreSQL and
redis-server along, a start finds and replaces what a crashed predecessor left running in the data
folder, and a graceful stop leaves no process of the data folder behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from mud.cluster.redis import redis_server_binary
from tests.conftest import join, rejoin, wait_for_rows

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads process command lines from /proc")


@pytest.fixture
def data() -> Iterator[Path]:
    """A fresh data folder, outside pytest's temporary folders: as root the embedded PostgreSQL
    runs as another user, who loses its way in when another pytest run on the machine closes
    their common parent folder to others."""
    folder = Path(tempfile.mkdtemp(prefix="mud-test-data-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def processes_of(data: Path) -> dict[int, str]:
    """The live processes whose command line names the data folder (PostgreSQL's postmaster names
    its data folder, redis-server its socket), and their children (PostgreSQL's backends)."""
    found: dict[int, str] = {}
    for proc in psutil.process_iter(["cmdline", "status"]):
        line = " ".join(proc.info["cmdline"] or [])
        if str(data) in line and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found[proc.pid] = line
            with contextlib.suppress(psutil.Error):  # it ended meanwhile
                for child in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):  # a backend that ended meanwhile
                        found[child.pid] = " ".join(child.cmdline())
    return found


def alive(processes: dict[int, str]) -> dict[int, str]:
    """Those of processes still running (the same command line under the same pid)."""
    still: dict[int, str] = {}
    for pid, line in processes.items():
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE and " ".join(proc.cmdline()) == line:
                still[pid] = line
        except psutil.Error:
            continue
    return still


async def until_gone(processes: dict[int, str], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while alive(processes):
            await asyncio.sleep(0.1)


def embedded_database_url(data: Path) -> str:
    """The embedded PostgreSQL's URL, from its own postmaster.pid (line 5: the socket folder)."""
    socket_dir = (data / "postgres" / "postmaster.pid").read_text().splitlines()[4]
    return f"postgresql://postgres@/postgres?host={socket_dir}"


async def wait_until_saved_in(data: Path, name: str, room: str) -> None:
    await wait_for_rows(embedded_database_url(data),
                        "SELECT current_room_id FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda rows: rows == [(room,)], timeout=10)


async def run_mud(data: Path, *args: str) -> int:
    """A `mud` command on the data folder's embedded services, as an operator would run it."""
    env = {**os.environ, "MUD_DATA_DIR": str(data), "MUD_DATABASE_URL": ""}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "mud", *args, env=env,
                                                stdout=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(proc.wait(), 60)


async def test_a_server_killed_with_9_takes_its_services_along_and_restarts_whole(
        server_factory, data: Path) -> None:
    env = {"MUD_DATA_DIR": str(data)}
    first = await server_factory("", redis_url="", extra_env=env)
    alice, name = await join(first)
    assert "Temple Walk" in await alice.command("west")
    await wait_until_saved_in(data, name, "temple_walk")
    services = processes_of(data)
    assert any("redis-server" in line for line in services.values())
    assert any("postgres" in line for line in services.values())

    first.proc.kill()  # only the server's own pid
    assert await first.stop(None) == -signal.SIGKILL
    await until_gone(services, timeout=20)  # PostgreSQL's backends, postmaster and Redis

    second = await server_factory("", redis_url="", extra_env=env)
    bob, welcome = await rejoin(second, name)
    assert "Temple Walk" in welcome
    assert "Village Square" in await bob.command("east")
    # another mud command on the same folder shares the server's services and leaves them be
    assert await run_mud(data, "set-role", name, "builder") == 0
    assert "Temple Walk" in await bob.command("west")
    await wait_until_saved_in(data, name, "temple_walk")

    services = processes_of(data)
    assert await second.stop() == 0
    assert not alive(services), "the embedded services must stop with the server"
    assert not processes_of(data)


ORPHANS = """
import os, signal, subprocess, sys
import pgserver
data, redis_server = sys.argv[1], sys.argv[2]
os.makedirs(data + "/redis")
pgserver.get_server(data + "/postgres")  # daemonized by pg_ctl, as mud serve used to start it
subprocess.Popen([redis_server, "--port", "0", "--unixsocket", data + "/redis/redis.sock",
                  "--save", "", "--appendonly", "no"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # and then crashed
"""


async def leave_orphans(data: Path) -> dict[int, str]:
    """What a crashed server that could not take them along leaves running in data (as releases
    before this one did): a PostgreSQL and a redis-server, returned once both are up."""
    maker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ORPHANS, str(data), redis_server_binary(),
        stdout=asyncio.subprocess.PIPE)
    assert await asyncio.wait_for(maker.wait(), 60) == -signal.SIGKILL
    async with asyncio.timeout(10):
        while not (data / "redis" / "redis.sock").is_socket():
            await asyncio.sleep(0.05)
    return processes_of(data)


async def test_services_a_crashed_predecessor_left_running_are_replaced(
        server_factory, data: Path) -> None:
    orphans = await leave_orphans(data)
    postgres = next(pid for pid, line in orphans.items() if " -D " in line)
    redis = next(pid for pid, line in orphans.items() if "redis-server" in line)

    server = await server_factory("", redis_url="", extra_env={"MUD_DATA_DIR": str(data)})
    log = server.log_text()
    assert f"event=embedded_postgres_replaced pid={postgres}" in log
    assert f"event=embedded_redis_replaced pid={redis}" in log
    assert not alive(orphans), "the predecessor's services are gone"
    ann, name = await join(server)
    assert "Temple Walk" in await ann.command("west")
    await wait_until_saved_in(data, name, "temple_walk")

    services = processes_of(data)
    assert await server.stop() == 0
    assert not alive(services)
    assert not processes_of(data)
