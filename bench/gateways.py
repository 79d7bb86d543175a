"""New accounts at once with the default argon2: through one gateway, and spread over two.

    python bench/gateways.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0 [--accounts 500]

Each layout runs on a fresh `mud serve` (a gateway with its world as a child process) on a new
database and Redis prefix, with argon2's default profile (time cost 3, 64 MiB, one hashing
thread per gateway) and the per-address limits off. `two gateways`: a second gateway
(`mud serve --role gateway`, MUD_WORLD_ADDRESS the first one's world) on another port, and the
accounts split between the two. `one gateway with 2 hashing threads` (MUD_HASH_WORKERS=2) tells a
second process apart from a second thread. Every account is created at the same moment (the
one-line create form); prints the time until all are in and the logins' p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ADAPTERS, Player, distribution, log_in_all, progress
from bench.servers import MudServer, admin_database

LAYOUTS = {"one gateway": (1, "1"), "two gateways": (2, "1"),
           "one gateway with 2 hashing threads": (1, "2")}


async def storm(ports: list[int], accounts: int, timeout: float) -> dict:
    players = [Player(ADAPTERS["mud"], "127.0.0.1", ports[n % len(ports)], "G")
               for n in range(accounts)]
    times: list[float] = []
    load = os.getloadavg()[0]  # the machine's: others may share it
    started = time.perf_counter()
    failures = await log_in_all(players, accounts, timeout, times)
    seconds = time.perf_counter() - started
    for player in players:
        if player.client is not None:
            await player.client.close_now()
    return {"accounts": accounts, "in": len(times), "failures": failures,
            "all_in_s": round(seconds, 1), "login_ms": distribution(times),
            "load_average_at_start": load}


def run(server: MudServer, layout: str, accounts: int, timeout: float) -> dict:
    gateways, workers = LAYOUTS[layout]
    progress(f"== {layout}: {accounts} new accounts at once")
    proc, port, _, _ = server.start(layout.replace(" ", "-"),
                                    default_argon2=True,
                                    extra_env={"MUD_HASH_WORKERS": workers})
    more = [server.add_gateway("second") for _ in range(gateways - 1)]
    try:
        result = asyncio.run(storm([port, *(p for _, p in more)], accounts, timeout))
    finally:
        for extra, _ in more:
            extra.terminate()
            extra.wait(timeout=60)
        server.stop(proc)
    progress(f"  {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--layouts", default=",".join(LAYOUTS),
                        help="comma-separated, of: " + ", ".join(LAYOUTS))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for one login")
    parser.add_argument("--database-url", help="a PostgreSQL to create a scratch database in "
                                               "(default: an embedded one)")
    parser.add_argument("--redis-url", required=True, help="the Redis both gateways share")
    args = parser.parse_args()
    results = {}
    with admin_database(args.database_url) as admin_url, \
            tempfile.TemporaryDirectory(prefix="mud-gateways-") as logdir:
        server = MudServer(admin_url, Path(logdir), redis_url=args.redis_url)
        for layout in args.layouts.split(","):
            results[layout] = run(server, layout, args.accounts, args.timeout)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
