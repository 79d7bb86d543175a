"""A crowd in one room drops at once: how long the server stalls, and what a bystander reads.

    python bench/crowd.py --players 2000 [--database-url postgresql://...] [--redis-url ...]

N players log in (cheap argon2) and stand in the start room with one bystander. Then every
player's connection is cut at the same moment (a TCP reset, as a crashed proxy would), the
bystander sends `score` at once, and the bench measures how long its reply takes (the stall:
the server takes every character out of its connection, tells the room, saves; it includes
cutting_ms, the bench's own time to reset the connections) and how many lines and bytes the
bystander was sent meanwhile. The bystander runs on an event loop of its own, so that the
bench's teardown of the crowd's connections is not counted. world_lag_ms_max is the world's own
event-loop lag after the cut. Prints progress and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ADAPTERS, Player, log_in_all, progress
from bench.servers import MudServer, admin_database
from mud.client import TelnetClient

T = TypeVar("T")

REPLY = ADAPTERS["mud"].private_reply
LAG_WINDOW = 2.5  # seconds after the cut in which the world's event-loop lag is read
STATS_LINE = re.compile(r"^(\S+ \S+) INFO .*event=stats .*gateways=.*lag_ms_max=([\d.]+)")


def world_lag_after(log: Path, since: float) -> float:
    """The world's worst event-loop lag (its own probe, in the event=stats lines the bench has it
    log every second) in the LAG_WINDOW seconds after since: how long the world itself stalled,
    apart from the gateway and the bench that share the machine."""
    worst = 0.0
    for line in log.read_text(errors="replace").splitlines():
        if match := STATS_LINE.match(line):
            stamp = time.mktime(time.strptime(match[1].split(",")[0], "%Y-%m-%d %H:%M:%S"))
            at = stamp + int(match[1].split(",")[1]) / 1000
            if since < at <= since + LAG_WINDOW:
                worst = max(worst, float(match[2]))
    return worst


async def answer(probe: TelnetClient) -> tuple[float, str]:
    """Send `score`; when its reply came, and what was read up to it."""
    probe.send("score")
    told = await probe.read_until(REPLY, timeout=120)
    return time.perf_counter(), told


async def measure(port: int, players: int, settle: float) -> dict[str, float | int]:
    """The bystander runs on an event loop of its own, in a thread: the bench's own teardown of
    thousands of cut connections, on the crowd's loop, must not delay its reading of the reply."""
    side = asyncio.new_event_loop()
    thread = threading.Thread(target=side.run_forever, name="bystander", daemon=True)
    thread.start()

    def on_side(coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, side))

    crowd = [Player(ADAPTERS["mud"], "127.0.0.1", port, "C") for _ in range(players)]
    bystander = Player(ADAPTERS["mud"], "127.0.0.1", port, "B")
    progress(f"logging in a bystander and {players} players ...")
    started = time.perf_counter()
    await on_side(bystander.login(120.0))
    failures = await log_in_all(crowd, 50, 120.0, [])
    progress(f"  in after {time.perf_counter() - started:.1f}s ({failures} failed)")
    probe = bystander.client
    assert probe is not None
    await asyncio.sleep(settle)  # the logins' saves and notices are done before the cut
    await on_side(probe.drain())
    before = probe.wire_bytes
    cut_at = time.time()
    cut = time.perf_counter()
    for player in crowd:
        if player.client is not None:
            player.client.abort()
    cut_ms = (time.perf_counter() - cut) * 1000  # the bench's own work, inside the stall
    answered_at, told = await on_side(answer(probe))
    stall_ms = (answered_at - cut) * 1000
    await asyncio.sleep(LAG_WINDOW)  # notices on their way after the reply; the world's figures
    told += await on_side(probe.drain())
    side.call_soon_threadsafe(side.stop)
    thread.join()
    return {"players": players, "stall_ms": round(stall_ms, 1), "cutting_ms": round(cut_ms, 1),
            "cut_at": cut_at,
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
        proc, port, _, log = server.start("crowd", extra_env={"MUD_LINKDEAD_TIMEOUT": "600"})
        try:
            result = asyncio.run(measure(port, args.players, args.settle))
            result["world_lag_ms_max"] = world_lag_after(log, result.pop("cut_at"))
        finally:
            server.stop(proc)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
