"""One world per game: a second world for the same Redis key prefix is refused, a dead one's
lease is taken over when named or once it lapses, and a running world takes its lease back
when Redis loses it (deleted, or a Redis restarted empty)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from mud.cluster.redis import EmbeddedRedis, RedisLink
from mud.cluster.worldlease import WorldLease, WorldTaken

SHORT = 0.6  # seconds: a lease renewed every 0.2 s


@pytest_asyncio.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    link = RedisLink(redis_url)
    await link.start()
    assert link.available
    yield link
    await link.close()


@pytest_asyncio.fixture
async def prefix(link: RedisLink) -> AsyncIterator[str]:
    """A game of the test's own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"wl{uuid.uuid4().hex[:10]}"
    yield prefix
    await link.client.delete(f"{prefix}:world")


@pytest_asyncio.fixture
async def leases() -> AsyncIterator[list[WorldLease]]:
    """Leases made by the test; their renewal is stopped afterwards (their keys are left: some
    stand for worlds that died)."""
    made: list[WorldLease] = []
    yield made
    for lease in made:
        await lease.stop()


def world(made: list[WorldLease], link: RedisLink, prefix: str, holder: str,
          ttl: float = 10.0) -> WorldLease:
    lease = WorldLease(link, prefix, holder, ttl)
    made.append(lease)
    return lease


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float) -> float:
    """Seconds until the coroutine function predicate answers true (TimeoutError after
    timeout)."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_second_world_for_the_same_game_is_refused(link, prefix, leases) -> None:
    first = world(leases, link, prefix, "host-a:100:aaaa")
    await first.acquire()
    second = world(leases, link, prefix, "host-b:200:bbbb")
    with pytest.raises(WorldTaken) as taken:
        await second.acquire()
    assert taken.value.holder == "host-a:100:aaaa"
    message = str(taken.value)
    assert "host-a:100:aaaa" in message and f"{prefix}:world" in message
    assert 9.0 < taken.value.seconds_left <= 10.0
    assert "lapses in" in message
    assert await second.current() == "host-a:100:aaaa"


async def test_a_world_of_another_game_is_independent(link, prefix, leases) -> None:
    other = f"{prefix}x"
    try:
        await world(leases, link, prefix, "alpha").acquire()
        await world(leases, link, other, "beta").acquire()
        assert await leases[0].current() == "alpha"
        assert await leases[1].current() == "beta"
    finally:
        await link.client.delete(f"{other}:world")


async def test_release_lets_the_next_world_take_it(link, prefix, leases) -> None:
    first = world(leases, link, prefix, "alpha", ttl=SHORT)
    await first.acquire()
    first.start()
    await first.release()
    assert await first.current() is None
    await asyncio.sleep(SHORT / 3 * 2)  # renewal, were it still running, would take it back
    assert await first.current() is None
    second = world(leases, link, prefix, "beta")
    await second.acquire()
    assert await second.current() == "beta"
    await first.release()  # no longer first's: left alone
    assert await second.current() == "beta"


async def test_a_named_dead_predecessor_is_taken_over(link, prefix, leases) -> None:
    await world(leases, link, prefix, "alpha").acquire()  # then dies, its lease still fresh
    successor = world(leases, link, prefix, "beta")
    await successor.acquire(takeover="alpha")
    assert await successor.current() == "beta"
    assert 9000 < await link.client.pttl(f"{prefix}:world") <= 10000


async def test_a_takeover_naming_the_wrong_holder_is_refused(link, prefix, leases) -> None:
    await world(leases, link, prefix, "alpha").acquire()
    successor = world(leases, link, prefix, "beta")
    with pytest.raises(WorldTaken) as taken:
        await successor.acquire(takeover="gamma")
    assert taken.value.holder == "alpha"
    assert await successor.current() == "alpha"


async def test_waiting_gets_a_lease_that_is_no_longer_renewed(link, prefix, leases) -> None:
    await world(leases, link, prefix, "alpha", ttl=0.5).acquire()  # killed: never renews
    successor = world(leases, link, prefix, "beta")
    started = time.monotonic()
    await successor.acquire(wait=3.0)
    assert 0.3 < time.monotonic() - started < 2.0
    assert await successor.current() == "beta"


async def test_waiting_does_not_get_a_lease_that_is_renewed(link, prefix, leases,
                                                           caplog) -> None:
    caplog.set_level(logging.INFO, logger="mud.worldlease")
    holder = world(leases, link, prefix, "alpha", ttl=0.5)
    await holder.acquire()
    await asyncio.sleep(0.25)  # renewals out of step with the lapses of an unrenewed lease
    holder.start()
    successor = world(leases, link, prefix, "beta")
    started = time.monotonic()
    with pytest.raises(WorldTaken) as taken:
        await successor.acquire(wait=1.5)  # three lifetimes of an unrenewed lease
    assert time.monotonic() - started >= 1.5
    assert taken.value.holder == "alpha"
    assert await holder.current() == "alpha"
    assert "event=world_lease_retaken" not in caplog.text  # extended, never let lapse


async def test_a_deleted_lease_is_retaken_within_one_renewal_period(link, prefix, leases,
                                                                    caplog) -> None:
    caplog.set_level(logging.INFO, logger="mud.worldlease")
    holder = world(leases, link, prefix, "alpha", ttl=1.5)  # renewed every 0.5 s
    await holder.acquire()
    holder.start()
    await link.client.delete(f"{prefix}:world")  # Redis lost its data
    assert await holder.current() is None

    async def back() -> bool:
        return await holder.current() == "alpha"

    assert await until(back, timeout=3.0) <= holder.renewal_seconds + 0.25
    assert "event=world_lease_retaken" in caplog.text
    with pytest.raises(WorldTaken):
        await world(leases, link, prefix, "beta").acquire()


async def test_a_lease_found_held_by_another_is_a_conflict(link, prefix, leases,
                                                           caplog) -> None:
    caplog.set_level(logging.INFO, logger="mud.worldlease")
    holder = world(leases, link, prefix, "alpha", ttl=SHORT)
    lost: list[str] = []
    holder.on_lost = lost.append
    await holder.acquire()
    holder.start()
    await link.client.set(f"{prefix}:world", "intruder", px=10_000)

    async def told() -> bool:
        return bool(lost)

    await until(told, timeout=SHORT)
    await asyncio.sleep(SHORT)  # more renewals: the loss is told once
    assert lost == ["intruder"]
    assert await holder.current() == "intruder"  # the holder is not pushed out
    assert "event=world_lease_conflict holder=intruder" in caplog.text


@pytest_asyncio.fixture
async def own_redis() -> AsyncIterator[EmbeddedRedis]:
    """A Redis of the test's own, to stop and start (AF_UNIX paths are short: under /tmp)."""
    folder = Path(tempfile.mkdtemp(prefix="mudwl", dir="/tmp"))
    redis = EmbeddedRedis(folder / "redis")
    yield redis
    await redis.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def test_a_redis_back_empty_gets_the_lease_at_once(own_redis, leases) -> None:
    """Not at the next renewal (30 s away here): as soon as the link sees Redis again."""
    link = RedisLink(await own_redis.start())
    await link.start()
    try:
        holder = world(leases, link, "game", "alpha", ttl=90.0)
        await holder.acquire()
        holder.start()
        await own_redis.stop()
        assert await holder.current() is None  # the link notices Redis is away
        assert not link.available
        await own_redis.start()  # without its data

        async def back() -> bool:
            return await holder.current() == "alpha"

        await until(back, timeout=5.0)
    finally:
        await link.close()


async def test_a_world_starts_while_redis_is_away_and_takes_the_lease_later(
        own_redis, leases, caplog) -> None:
    caplog.set_level(logging.INFO, logger="mud.worldlease")
    link = RedisLink(own_redis.url)  # not started yet
    await link.start()
    assert not link.available
    try:
        holder = world(leases, link, "game", "alpha", ttl=90.0)
        async with asyncio.timeout(1.0):
            await holder.acquire(wait=30.0)  # does not block start-up
        assert "event=world_lease_unverified" in caplog.text
        holder.start()
        await own_redis.start()

        async def taken() -> bool:
            return await holder.current() == "alpha"

        await until(taken, timeout=5.0)
    finally:
        await link.close()
