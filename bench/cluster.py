"""Cluster benchmark: a returning character's load from the Redis cache against PostgreSQL, and
the round trip of a tell between players on two gateways of one world against one between
players on the same gateway.

    python bench/cluster.py [--characters 1000] [--tells 1000] [--database-url URL]
                            [--redis-url URL]

1. Loads (password hashing excluded): every character, with four essences, twenty abilities,
   ten inventory rows and three skills, loaded by CharacterRepository.load (one round trip)
   and by CharacterCache.take; p50/p99 of each.
2. Tells: `mud serve` (a gateway and its world) and a second gateway to that world; a player
   on the first gateway tells a player on the second and one on the first; the time from
   sending to the other client reading it.

Without URLs it runs an embedded PostgreSQL and an embedded Redis in temporary folders.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.essences import bond_everyone
from bench.load import distribution
from bench.saver import progress, seed
from bench.servers import CHEAP_ARGON2, admin_database, scratch_database
from mud.client import TelnetClient
from mud.cluster.cache import TTL_SECONDS, CharacterCache
from mud.cluster.leases import WAIT, Leases
from mud.cluster.redis import EmbeddedRedis, RedisLink
from mud.game.ids import new_id
from mud.game.model import Skill
from mud.store.characters import CharacterRepository
from mud.store.database import open_pool
from mud.store.migrations import migrate
from mud.store.saver import Saver
from mud.world.essences import Essences
from mud.world.loader import load_world

ITEMS = ("rusty_sword", "healing_herb", "copper_coin", "leather_jerkin", "loaf_of_bread",
         "dented_helm", "wooden_shield", "small_pouch", "hunting_knife", "faded_map")


async def loads(url: str, redis_url: str, catalogue: Essences, count: int) -> None:
    pool = await open_pool(url)
    link = RedisLink(redis_url)
    await link.start()
    try:
        async with pool.connection() as conn:
            await migrate(conn)
        progress(f"seeding {count} characters with essences, abilities, items and skills ...")
        characters = await seed(pool, count)
        saver = Saver(pool, interval=3600)
        for ch in characters:
            saver.attach(ch)
            for item in ITEMS:
                ch.add_item(item, 1, item in ("healing_herb", "copper_coin", "loaf_of_bread"))
            ch.skills.extend(Skill(new_id(), s, 3, 4) for s in ("brawling", "evasion",
                                                                "herbalism"))
        bond_everyone(characters, catalogue)
        assert await saver.flush(), saver.stats.last_error
        prefix = f"bench{uuid.uuid4().hex}"
        repo, cache = CharacterRepository(pool), CharacterCache(link, prefix)
        leases = Leases(link, prefix, "bench", 30)
        from_database, from_cache = [], []
        for ch in characters:
            started = time.perf_counter()
            loaded = await repo.load(ch.id)
            from_database.append((time.perf_counter() - started) * 1000)
            assert loaded is not None and len(loaded.abilities) == 20
            while await leases.acquire(ch.id) == WAIT:  # a new prefix: its epoch is new
                await asyncio.sleep(leases.grace_left())
            # as the world lets a character go: cached as the lease is freed
            await leases.release(ch.id, cache.entries(loaded), TTL_SECONDS)
        for ch in characters:
            started = time.perf_counter()
            cached = await cache.take(ch.id)
            from_cache.append((time.perf_counter() - started) * 1000)
            assert cached is not None and len(cached.inventory) == len(ITEMS)
        for label, values in (("PostgreSQL", from_database), ("Redis cache", from_cache)):
            d = distribution(values)
            print(f"character load from {label}: {count} loads, p50 {d['p50']:.2f} ms, "
                  f"p99 {d['p99']:.2f} ms, max {d['max']:.2f} ms")
        await cache.forget_all()
    finally:
        await link.close()
        await pool.close()


async def start_server(url: str, redis_url: str, prefix: str, name: str, logs: Path,
                       **extra: str) -> tuple[asyncio.subprocess.Process, int, str]:
    """`mud serve` with extra settings; the process, its port and its first line."""
    env = {**os.environ, "MUD_DATABASE_URL": url, "MUD_REDIS_URL": redis_url,
           "MUD_REDIS_PREFIX": prefix, "MUD_PROCESS_ID": name, "MUD_HOST": "127.0.0.1",
           "MUD_TELNET_PORT": "0", "MUD_WEB_PORT": "0", "MUD_INPUT_RATE": "0",
           "MUD_NEW_ACCOUNTS_PER_ADDRESS": "0",
           "MUD_DATA_DIR": str(logs / name), "MUD_CONSOLE_SOCKET": "off", **CHEAP_ARGON2,
           **extra}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "serve", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=(logs / f"{name}.log").open("wb"))
    assert proc.stdout is not None
    line = (await proc.stdout.readline()).decode()
    match = re.search(r"listening on [\d.]+:(\d+)", line)
    if match is None:
        raise RuntimeError(f"{name} did not start: {line!r}; see {logs / name}.log")
    return proc, int(match[1]), line


async def player(port: int) -> tuple[TelnetClient, str]:
    name = "B" + uuid.uuid4().hex[:9].translate(str.maketrans("0123456789", "ghijklmnop"))
    client = await TelnetClient.connect("127.0.0.1", port)
    await client.create(name, "correct-horse", f"{name}@bench.example")
    return client, name


async def tells(url: str, redis_url: str, count: int) -> None:
    logs = Path(tempfile.mkdtemp(prefix="mud-cluster-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    first = await start_server(url, redis_url, prefix, "alpha", logs)
    world = re.search(r"world: ([^;]+);", first[2])[1]  # type: ignore[index]
    servers = [first, await start_server(url, redis_url, prefix, "beta", logs,
                                         MUD_ROLE="gateway", MUD_WORLD_ADDRESS=world)]
    try:
        speaker, _ = await player(servers[0][1])
        near, near_name = await player(servers[0][1])
        far, far_name = await player(servers[1][1])
        for label, listener, name in (("on one gateway", near, near_name),
                                      ("between two gateways", far, far_name)):
            times = []
            for i in range(count):
                started = time.perf_counter()
                speaker.send(f"tell {name} ping{i}")
                await listener.read_until(f"ping{i}'")
                times.append((time.perf_counter() - started) * 1000)
                await speaker.drain()
            d = distribution(times)
            print(f"tell {label}: {count} tells, p50 {d['p50']:.2f} ms, p99 {d['p99']:.2f} ms,"
                  f" max {d['max']:.2f} ms")
        for client in (speaker, near, far):
            await client.close()
    finally:
        for proc, _, _ in reversed(servers):
            proc.terminate()
            await proc.wait()


async def run(url: str, redis_url: str | None, args: argparse.Namespace,
              catalogue: Essences) -> None:
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="mud-bench-redis-")))
        redis_url = await embedded.start()
    try:
        await loads(url, redis_url, catalogue, args.characters)
        await tells(url, redis_url, args.tells)
    finally:
        if embedded is not None:
            await embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--characters", type=int, default=1000)
    parser.add_argument("--tells", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MUD_REDIS_URL"))
    args = parser.parse_args()
    catalogue = load_world(Path(__file__).resolve().parent.parent / "world").essences
    with admin_database(args.database_url) as admin, scratch_database(admin) as url:
        asyncio.run(run(url, args.redis_url, args, catalogue))


if __name__ == "__main__":
    main()
