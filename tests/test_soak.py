"""A short soak: repeated connect, log in, play, quit cycles leave nothing behind."""

from __future__ import annotations

from bench.soak import STATS_INTERVAL, leaks, soak
from tests.conftest import ServerProcess


async def test_login_cycles_leave_nothing_behind(server_factory) -> None:
    server: ServerProcess = await server_factory(extra_env={
        "MUD_STATS_INTERVAL": str(STATS_INTERVAL), "MUD_ARGON2_TIME_COST": "1",
        "MUD_ARGON2_MEMORY_KIB": "1024", "MUD_LINKDEAD_TIMEOUT": "1"})
    result = await soak(server.port, server.proc.pid, server.log_path, cycles=1000, settle=600,
                        concurrency=4, accounts=8)
    assert result["errors"] == 0
    assert leaks(result) == [], result
