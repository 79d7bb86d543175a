"""A character lives in exactly one process, also when Redis loses its data (a restart without
persistence, FLUSHALL) while characters play: every holder takes its leases back within one
renewal period, a login elsewhere waits for that and then hands the character over as usual,
and the cache never gives a character back older than the database."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from mud.client import TelnetClient
from mud.cluster.redis import EmbeddedRedis
from tests.conftest import ServerProcess, join, query, rejoin, wait_for_rows

LEASE_SECONDS = 3.0  # renewed every second
RENEWAL = LEASE_SECONDS / 3


@pytest_asyncio.fixture
async def game(server_factory, make_database, tmp_path: Path
               ) -> AsyncIterator[tuple[EmbeddedRedis, ServerProcess, ServerProcess]]:
    """Processes alpha and beta of one game, on a Redis the test may restart and flush."""
    redis = EmbeddedRedis(tmp_path / "redis")
    url = await redis.start()
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    env = {"MUD_LEASE_SECONDS": str(LEASE_SECONDS)}
    first = await server_factory(database, redis_url=url, redis_prefix=prefix,
                                 extra_env={**env, "MUD_PROCESS_ID": "alpha"})
    second = await server_factory(database, redis_url=url, redis_prefix=prefix,
                                  extra_env={**env, "MUD_PROCESS_ID": "beta"})
    yield redis, first, second
    await redis.stop()


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


async def leases_back(server: ServerProcess, expected: dict[uuid.UUID, str]) -> float:
    """Seconds until every lease is held by its expected process again."""
    started = time.monotonic()
    async with asyncio.timeout(4 * RENEWAL + 2):
        while await holders(server, *expected) != list(expected.values()):
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


@pytest.mark.parametrize("how", ["restart", "flushall"])
async def test_leases_come_back_and_a_login_elsewhere_hands_over(game, how: str) -> None:
    redis, first, second = game
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_id, bob_id = await character_id(first, ann_name), await character_id(second, bob_name)
    await leases_back(first, {ann_id: "alpha", bob_id: "beta"})
    await ann.command("north")  # ann plays on alpha
    await lose_redis_data(redis, how)

    # at once, before alpha has taken its lease back: ann logs in on beta
    again = await TelnetClient.connect("127.0.0.1", second.port)
    welcome = await again.login(ann_name, "correct-horse", timeout=15)
    assert "bringing it here" in welcome, "the holder was asked to let go, not ignored"
    assert "Market Street" in welcome, "the holder's state, saved as it let go"
    assert "logged in from another server" in await ann.read_closed()
    assert await holders(first, ann_id) == ["beta"]
    assert "Market Street" in await again.command("look")
    assert "normal rank" in await bob.command("score")  # bob plays on, on beta
    await again.close()


async def test_leases_are_back_within_one_renewal_period(game) -> None:
    redis, first, second = game
    _, ann_name = await join(first)
    _, bob_name = await join(second)
    expected = {await character_id(first, ann_name): "alpha",
                await character_id(second, bob_name): "beta"}
    await leases_back(first, expected)
    await lose_redis_data(redis, "flushall")
    assert await leases_back(first, expected) <= RENEWAL + 1.0  # and a moment to run


async def test_a_crash_after_a_cached_login_leaves_no_stale_copy(game) -> None:
    """Log in, quit (cached), log in again (from the cache), walk, crash: a login on the other
    process, and on the crashed one restarted, finds the walk, and nothing is written back."""
    _, first, second = game
    ann, name = await join(first)
    await ann.command("get all")
    await ann.quit()
    ann, _ = await rejoin(first, name)
    assert "source=cache" in first.log_text().rsplit("event=character_loaded", 1)[-1]
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
    await first.stop(signal.SIGKILL)
    await asyncio.sleep(LEASE_SECONDS)  # the dead holder's lease runs out

    back, welcome = await rejoin(second, name)
    assert "source=database" in second.log_text().rsplit("event=character_loaded", 1)[-1]
    assert "Market Street" in welcome
    assert "rusty sword" not in await back.command("inventory")
    await back.quit()
    assert await inventory_rows(first, name) == committed
    assert await query(first.database_url, "SELECT current_room_id FROM characters WHERE"
                       " name = %s", name.capitalize()) == [("market_street",)]


async def inventory_rows(server: ServerProcess, name: str) -> list[tuple]:
    return await query(server.database_url,
                       "SELECT i.id, i.item_id, i.quantity FROM character_inventory i JOIN"
                       " characters c ON c.id = i.character_id WHERE c.name = %s ORDER BY i.id",
                       name.capitalize())


async def test_an_entry_left_while_redis_was_away_is_dropped_when_it_returns(game) -> None:
    """Redis stops answering (paused, its data kept) just as a cached character logs in: the
    login reads PostgreSQL, and the entry it could not take out is dropped when Redis answers
    again, so a crash afterwards cannot bring the old copy back."""
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
            ann, _ = await rejoin(first, name)  # waits for Redis a moment, then goes on
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
    await first.stop(signal.SIGKILL)
    back, welcome = await rejoin(second, name)  # once the dead holder's lease has run out
    assert "Market Street" in welcome
    await back.close()
