"""A crowd in one room drops at once: how long the server stalls, and what a bystander reads.

    python bench/crowd.py --players 2000 [--database-url postgresql://...] [--redis-url ...]

N players log in (cheap argon2) and stand in the start room with one bystander. Then every
player's connection is cut at the same moment (a TCP reset, as a crashed proxy would), the
bystander sends `score` at once, and the bench measures how long its reply takes (the stall:
the server takes every character out of its connection, tells the room, saves) and how many
lines and bytes the bystander was sent meanwhile. Prints progress and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ADAPTERS, Player, log_in_all, progress
from bench.servers import MudServer, admin_database

REPLY = ADAPTERS["mud"].private_reply


async def measure(port: int, players: int, settle: float) -> dict[str, float | int]:
    crowd = [Player(ADAPTERS["mud"], "127.0.0.1", port, "C") for _ in range(players)]
    bystander = Player(ADAPTERS["mud"], "127.0.0.1", port, "B")
    progress(f"logging in {players} players and a bystander ...")
    started = time.perf_counter()
    failures = await log_in_all([*crowd, bystander], 50, 120.0, [])
    progress(f"  in after {time.perf_counter() - started:.1f}s ({failures} failed)")
    probe = bystander.client
    assert probe is not None
    await asyncio.sleep(settle)  # the logins' saves and notices are done before the cut
    await probe.drain()
    before = probe.wire_bytes
    cut = time.perf_counter()
    for player in crowd:
        if player.client is not None:
            player.client.abort()
    probe.send("score")
    told = await probe.read_until(REPLY, timeout=120)
    stall_ms = (time.perf_counter() - cut) * 1000
    await asyncio.sleep(1.0)  # notices still on their way after the reply
    told += await probe.drain()
    return {"players": players, "stall_ms": round(stall_ms, 1),
            "lines_to_bystander": told.count("\n"),
            "link_notices": told.count("lost their link") + told.count("lost its link"),
            "bytes_to_bystander": probe.wire_bytes - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the last login and the cut")
    parser.add_argument("--database-url", help="a PostgreSQL to create a scratch database in "
                                               "(default: an embedded one)")
    parser.add_argument("--redis-url", default="", help="default: the server's embedded one")
    parser.add_argument("--root", type=Path, help="run the server of this tree (a git worktree "
                                                  "of another commit) instead of this one")
    args = parser.parse_args()
    with admin_database(args.database_url) as admin_url, \
            tempfile.TemporaryDirectory(prefix="mud-crowd-") as logdir:
        server = MudServer(admin_url, Path(logdir), args.root, args.redis_url or None)
        proc, port, _, _ = server.start("crowd", extra_env={"MUD_LINKDEAD_TIMEOUT": "600"})
        try:
            result = asyncio.run(measure(port, args.players, args.settle))
        finally:
            server.stop(proc)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
