"""The world's character leases: the world holds the lease of every character it has in memory,
under its process id (`<MUD_PROCESS_ID>-world` under the default role), whichever gateway the
player came through. When Redis loses its data (a restart without persistence, FLUSHALL) while
characters play, the world takes every lease back within one renewal period, and a login
through the other gateway meanwhile takes the character over within the world. The cache never
gives a character back older than the database: not after a crash that follows a login from
the cache, and not after a login while Redis was away (the entry it could not take out is
dropped when Redis answers again)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from mud.client import TelnetClient
from mud.cluster.redis import EmbeddedRedis
from tests.conftest import PASSWORD, ServerProcess, join, query, rejoin, wait_for_rows

LEASE_SECONDS = 3.0  # renewed every second
RENEWAL = LEASE_SECONDS / 3
HOLDER = "alpha-world"  # the world of the server whose MUD_PROCESS_ID is alpha
Start = Callable[..., Awaitable[ServerProcess]]


@pytest_asyncio.fixture
async def game(server_factory: Start, make_database: Callable[[], str]
               ) -> AsyncIterator[tuple[EmbeddedRedis, ServerProcess, ServerProcess]]:
    """A server alpha (a gateway and its world) and a second gateway beta to that world, on a
    Redis the test may restart and flush (its folder under /tmp: AF_UNIX paths are short)."""
    folder = Path(tempfile.mkdtemp(prefix="mudls", dir="/tmp"))
    redis = EmbeddedRedis(folder / "redis")
    url = await redis.start()
    env = {"MUD_LEASE_SECONDS": str(LEASE_SECONDS)}
    first = await server_factory(make_database(), redis_url=url,
                                 redis_prefix=f"game{uuid.uuid4().hex[:8]}",
                                 extra_env={**env, "MUD_PROCESS_ID": "alpha"})
    second = await server_factory(gateway_for=first, redis_url=url,
                                  extra_env={**env, "MUD_PROCESS_ID": "beta"})
    yield redis, first, second
    await redis.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def restart(server_factory: Start, server: ServerProcess) -> ServerProcess:
    """server started again with its process id and its data folder, where its world listens
    for gateways: the other gateway links to the new world."""
    return await server_factory(server.database_url, redis_url=server.redis_url,
                                redis_prefix=server.redis_prefix,
                                extra_env={**server.extra_env,
                                           "MUD_DATA_DIR": str(server.data_dir)})


async def character_id(server: ServerProcess, name: str) -> uuid.UUID:
    rows = await query(server.database_url, "SELECT id FROM characters WHERE name = %s",
                       name.capitalize())
    return rows[0][0]


async def holders(server: ServerProcess, *ids: uuid.UUID) -> list[str | None]:
    client = aioredis.from_url(server.redis_url)
    try:
        values = [await client.get(f"{server.redis_prefix}:lease:{cid}") for cid in ids]
    finally:
        await client.aclose()
    return [None if v is None else v.decode() for v in values]


async def leases_back(server: ServerProcess, *ids: uuid.UUID) -> float:
    """Seconds until the world holds every lease (again)."""
    started = time.monotonic()
    async with asyncio.timeout(4 * RENEWAL + 2):
        while await holders(server, *ids) != [HOLDER] * len(ids):
            await asyncio.sleep(0.05)
    return time.monotonic() - started


async def lose_redis_data(redis: EmbeddedRedis, how: str) -> None:
    if how == "restart":
        await redis.stop()
        await redis.start()
    else:
        client = aioredis.from_url(redis.url)
        try:
            await client.flushall()
        finally:
            await client.aclose()


def last_load(server: ServerProcess) -> str:
    """Where the world loaded the last character it loaded from (its log line's end)."""
    return server.log_text().rsplit("event=character_loaded", 1)[-1].split("\n", 1)[0]


async def inventory_rows(server: ServerProcess, name: str) -> list[tuple]:
    return await query(server.database_url,
                       "SELECT i.id, i.item_id, i.quantity FROM character_inventory i JOIN"
                       " characters c ON c.id = i.character_id WHERE c.name = %s ORDER BY i.id",
                       name.capitalize())


@pytest.mark.parametrize("how", ["restart", "flushall"])
async def test_leases_come_back_and_a_login_through_the_other_gateway_takes_over(
        game, how: str) -> None:
    redis, first, second = game
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_id, bob_id = await character_id(first, ann_name), await character_id(first, bob_name)
    await leases_back(first, ann_id, bob_id)  # one holder, whichever the gateway
    assert "Market Street" in await ann.command("north")  # maybe in the world's memory only
    await lose_redis_data(redis, how)

    # at once, before the world has taken its leases back: ann logs in through beta
    again = await TelnetClient.connect("127.0.0.1", second.port)
    welcome = await again.login(ann_name, PASSWORD, timeout=15)
    assert f"Welcome back, {ann_name.capitalize()}." in welcome, welcome
    assert "Market Street" in welcome, "the world's live copy, not a saved one"
    assert "bringing it here" not in welcome  # one world: nothing to hand over
    assert "Someone has logged in as you from elsewhere." in await ann.read_closed()
    assert await leases_back(first, ann_id, bob_id) <= RENEWAL + 1.0
    assert "Market Street" in await again.command("look")
    assert "normal rank" in await bob.command("score")  # bob plays on, through beta
    await again.close()


async def test_leases_are_back_within_one_renewal_period(game) -> None:
    redis, first, second = game
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ids = [await character_id(first, ann_name), await character_id(first, bob_name)]
    await leases_back(first, *ids)
    await lose_redis_data(redis, "flushall")
    assert await holders(first, *ids) == [None, None]
    assert await leases_back(first, *ids) <= RENEWAL + 1.0  # and a moment to run
    assert "normal rank" in await ann.command("score")
    assert "normal rank" in await bob.command("score")


async def test_a_crash_after_a_cached_login_leaves_no_stale_copy(game, server_factory) -> None:
    """Log in, quit (cached), log in again (from the cache), walk, crash the server with its
    world: a login through the other gateway, once the server is started again, finds the
    walk, and nothing is written back."""
    _, first, second = game
    ann, name = await join(first)
    await ann.command("get all")
    await ann.quit()
    ann, _ = await rejoin(first, name)
    assert "source=cache" in last_load(first)
    await ann.command("north")
    await ann.command("drop sword")
    await wait_for_rows(first.database_url,
                        "SELECT current_room_id FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda r: r == [("market_street",)])
    await wait_for_rows(first.database_url,
                        "SELECT count(*) FROM character_inventory i JOIN characters c"
                        " ON c.id = i.character_id WHERE c.name = %s AND i.item_id ="
                        " 'rusty_sword'", name.capitalize(), expect=lambda r: r == [(0,)])
    committed = await inventory_rows(first, name)
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    restarted = await restart(server_factory, first)

    back, welcome = await rejoin(second, name)
    assert "source=database" in last_load(restarted)
    assert "Market Street" in welcome
    assert "rusty sword" not in await back.command("inventory")
    await back.quit()
    assert await inventory_rows(first, name) == committed
    assert await query(first.database_url, "SELECT current_room_id FROM characters WHERE"
                       " name = %s", name.capitalize()) == [("market_street",)]


async def test_an_entry_left_while_redis_was_away_is_dropped_when_it_returns(
        game, server_factory) -> None:
    """Redis stops answering (paused, its data kept) just as a cached character logs in
    through the other gateway: the world reads PostgreSQL, and the entry it could not take out
    is dropped when Redis answers again, so a crash afterwards cannot bring the old copy back."""
    redis, first, second = game
    ann, name = await join(first)
    await ann.quit()  # cached as it leaves
    cid = await character_id(first, name)
    client = aioredis.from_url(redis.url)
    try:
        pid = (await client.info("server"))["process_id"]
        key = f"{first.redis_prefix}:character:{cid}"
        assert await client.exists(key)
        os.kill(pid, signal.SIGSTOP)
        try:
            ann = await TelnetClient.connect("127.0.0.1", second.port)
            # the gateway and the world each give Redis a moment, then go on without it
            await ann.login(name, PASSWORD, timeout=30)
            await ann.command("north")
            await wait_for_rows(first.database_url,
                                "SELECT current_room_id FROM characters WHERE name = %s",
                                name.capitalize(), expect=lambda r: r == [("market_street",)])
        finally:
            os.kill(pid, signal.SIGCONT)
        async with asyncio.timeout(10):
            while await client.exists(key):
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    assert "source=database" in last_load(first)
    await first.stop(signal.SIGKILL)
    await restart(server_factory, first)
    back, welcome = await rejoin(second, name)
    assert "Market Street" in welcome
    await back.close()
