"""Write-behind saver benchmark: mark N characters dirty and time one flush to PostgreSQL.

    python bench/saver.py [--characters 10000] [--rounds 5] [--database-url URL]

Without a URL (or MUD_DATABASE_URL) it runs against an embedded PostgreSQL in a temporary
folder. It works in a fresh database it makes, migrates and drops.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psycopg_pool import AsyncConnectionPool

from bench.servers import run_on_scratch_database
from mud.game.model import Character
from mud.store.saver import Saver


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def seed(pool, count: int) -> list[Character]:
    player_id = uuid.uuid4()
    characters = [Character(uuid.uuid4(), player_id, f"Bench{i}", room_id="village_square")
                  for i in range(count)]
    async with pool.connection() as conn:
        await conn.execute("INSERT INTO players (id, username, email, password_hash)"
                           " VALUES (%s, %s, %s, 'x')",
                           (player_id, f"bench{player_id.hex[:8]}", f"{player_id.hex}@bench"))
        async with conn.cursor().copy(
                "COPY characters (id, player_id, name, current_room_id, health, mana, stamina)"
                " FROM STDIN") as copy:
            for ch in characters:
                await copy.write_row((ch.id, player_id, ch.name, ch.room_id, 100, 100, 100))
    return characters


async def run(pool: AsyncConnectionPool, args: argparse.Namespace) -> None:
    count, rounds = args.characters, args.rounds
    progress(f"seeding {count} characters ...")
    characters = await seed(pool, count)
    saver = Saver(pool, interval=3600)
    for ch in characters:
        saver.attach(ch)
    for label, touch in (
            ("core only (room, pools)", lambda ch, r: ch.move_to(f"room_{r}")),
            ("core + 3 new inventory rows", lambda ch, r: (
                ch.move_to(f"room_{r}"), ch.inventory.clear(),
                [ch.add_item(f"item_{k}", 1, False) for k in range(3)])),
            ("core + 1 of 3 rows changed", lambda ch, r: (
                ch.move_to(f"room_{r}"), ch.add_item("item_0", 1, True)))):
        timings = []
        for r in range(rounds):
            for ch in characters:
                touch(ch, r)
            assert saver.dirty_count == count
            started = time.perf_counter()
            ok = await saver.flush()
            elapsed = time.perf_counter() - started
            assert ok, saver.stats.last_error
            timings.append(elapsed)
            progress(f"  {label}: round {r + 1}/{rounds}: {elapsed * 1000:.1f} ms")
        best, median = min(timings), statistics.median(timings)
        print(f"{label}: {count} characters flushed in median {median * 1000:.1f} ms "
              f"(best {best * 1000:.1f} ms) = {count / median:,.0f} characters/s")
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM characters WHERE current_room_id = %s",
                                 (f"room_{rounds - 1}",))
        assert (await cur.fetchone())[0] == count, "flush did not reach every row"


def main() -> None:
    run_on_scratch_database(__doc__, run, characters=10_000, rounds=5)


if __name__ == "__main__":
    main()
