"""Essence benchmark: bond commits, regeneration ticks, and saving essences and abilities.

    python bench/essences.py [--characters 5000] [--bonds 300] [--database-url URL]

1. Bonds, one after another and all at once: the time from asking to commit_bond returning
   (the player is told only then). Bonds queue behind each other and behind saver flushes.
2. A game tick of regeneration over every character (each with four essences and twenty
   abilities, pools drained, buffs looked up).
3. The saver writing every character's essences and abilities: first their arrival, then one
   changed ability metadata each (progress and cooldown, as `use` leaves it).

Without a URL (or MUD_DATABASE_URL) it runs against an embedded PostgreSQL in a temporary
folder. It works in a fresh database it makes, migrates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psycopg_pool import AsyncConnectionPool

from bench.load import distribution
from bench.saver import progress, seed
from bench.servers import run_on_scratch_database
from mud.game.abilities import earn_progress, regenerate_all, spend, template_of
from mud.game.bonding import apply_bond, plan_bond
from mud.game.model import Character
from mud.store.bonds import commit_bond
from mud.store.saver import Saver
from mud.world.essences import Essences
from mud.world.loader import load_world

THREE = ("ember", "gale", "moon")


async def timed_bond(saver: Saver, catalogue: Essences, ch: Character) -> float:
    row = ch.add_item("ember_essence", 1, False)
    plan = plan_bond(ch, catalogue, row.id, "ember", "power")
    started = time.perf_counter()
    await commit_bond(saver, ch, plan)
    return (time.perf_counter() - started) * 1000


async def bonds(saver: Saver, catalogue: Essences, characters: list[Character],
                count: int) -> None:
    sequential = [await timed_bond(saver, catalogue, ch) for ch in characters[:count]]
    d = distribution(sequential)
    print(f"bond, one at a time: {count} bonds, p50 {d['p50']:.2f} ms, p99 {d['p99']:.2f} ms,"
          f" max {d['max']:.2f} ms")
    started = time.perf_counter()
    together = await asyncio.gather(*(timed_bond(saver, catalogue, ch)
                                      for ch in characters[count:2 * count]))
    elapsed = time.perf_counter() - started
    d = distribution(list(together))
    print(f"bond, {count} at once: all committed in {elapsed * 1000:.0f} ms "
          f"({count / elapsed:,.0f} bonds/s), p50 {d['p50']:.1f} ms, p99 {d['p99']:.1f} ms")


def bond_everyone(characters: list[Character], catalogue: Essences) -> None:
    for ch in characters:
        for essence_id in THREE:
            if any(e.essence_type == essence_id for e in ch.essences):
                continue
            row = ch.add_item(f"{essence_id}_essence", 1, False)
            apply_bond(ch, plan_bond(ch, catalogue, row.id, essence_id, "speed"))


def ticks(characters: list[Character], catalogue: Essences, rounds: int) -> None:
    timings = []
    for _ in range(rounds):
        for ch in characters:
            ch.health, ch.mana, ch.stamina = 1, 1, 1
        started = time.perf_counter()
        changed = regenerate_all(characters, catalogue, time.time())
        timings.append((time.perf_counter() - started) * 1000)
        assert changed == len(characters)
    print(f"regeneration tick over {len(characters)} characters (4 essences, 20 abilities "
          f"each): median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")


async def saves(saver: Saver, characters: list[Character], catalogue: Essences) -> None:
    started = time.perf_counter()
    assert await saver.flush(), saver.stats.last_error
    first = (time.perf_counter() - started) * 1000
    rows = sum(len(ch.abilities) for ch in characters)
    print(f"saver, essences arriving: {len(characters)} characters, {rows} ability rows "
          f"in {first:.0f} ms")
    now = time.time()
    for ch in characters:
        ability = next(a for a in ch.abilities if a.awakened)
        spend(ch, ability, template_of(ch, ability, catalogue), now)
        earn_progress(ch, ability, catalogue)
    started = time.perf_counter()
    assert await saver.flush(), saver.stats.last_error
    print(f"saver, one ability used by each: {len(characters)} characters in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")


async def run(pool: AsyncConnectionPool, args: argparse.Namespace, catalogue: Essences
              ) -> None:
    count = args.characters
    progress(f"seeding {count} characters ...")
    characters = await seed(pool, count)
    saver = Saver(pool, interval=3600)
    for ch in characters:
        ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
        saver.attach(ch)
    progress("bonding ...")
    await bonds(saver, catalogue, characters, min(args.bonds, count // 2))
    bond_everyone(characters, catalogue)
    await saves(saver, characters, catalogue)
    ticks(characters, catalogue, rounds=5)


def main() -> None:
    catalogue = load_world(Path(__file__).resolve().parent.parent / "world").essences
    run_on_scratch_database(__doc__, lambda pool, args: run(pool, args, catalogue),
                            characters=5000, bonds=300)


if __name__ == "__main__":
    main()
