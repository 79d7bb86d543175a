"""A reboot with players online: how long each waits for the new world's first reply.

    python bench/reboot.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0 [--players 1000] [--reboots 3]

`mud serve` (a gateway with its world as a child process) on a new database, N players logged
in (argon2 at time cost 1, 8 MiB), then, --reboots times: the console's `reboot` (over its Unix
socket, as `mud console -c reboot` sends it); once it has answered, every player sends `score`,
which the gateway keeps until the new world is up. For each player, the gap from the trigger to
its `score` reply after "The world is back"; a connection that closes is dropped, a reply
that never comes (--timeout) is a line lost. Prints progress and a JSON summary.
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
from mud.console.client import ConsoleClient

BACK = r"The world is back[\s\S]*?"  # then score's reply, from the new world
REPLY = BACK + ADAPTERS["mud"].private_reply
ENV = {"MUD_ARGON2_TIME_COST": "1", "MUD_ARGON2_MEMORY_KIB": "8192"}


def console(path: Path, line: str) -> str:
    client = ConsoleClient.connect(path)
    try:
        return str(client.ask(line).get("text", ""))
    finally:
        client.close()


async def first_reply(player: Player, trigger: float, timeout: float) -> float | str:
    """Milliseconds from the trigger to the new world's reply; or what went wrong."""
    assert player.client is not None
    try:
        await player.client.read_until(REPLY, timeout)
    except TimeoutError:
        return "lost"
    except (ConnectionError, OSError):
        return "dropped"
    return (time.perf_counter() - trigger) * 1000


async def reboot_once(players: list[Player], socket: Path, timeout: float) -> dict:
    await asyncio.gather(*(p.client.drain() for p in players if p.client))
    trigger = time.perf_counter()
    said = await asyncio.to_thread(console, socket, "reboot")
    answered_ms = (time.perf_counter() - trigger) * 1000
    progress(f"  console answered in {answered_ms:.0f} ms: {said!r}")
    for player in players:
        if player.client is not None:
            player.client.send("score")
    found = await asyncio.gather(*(first_reply(p, trigger, timeout) for p in players))
    gaps = [gap for gap in found if isinstance(gap, float)]
    result = {"replies": len(gaps), "dropped": found.count("dropped"),
              "lost": found.count("lost"), "console_ms": round(answered_ms, 1),
              "gap_ms": distribution(gaps)}
    progress(f"  {result}")
    return result


async def measure(port: int, socket: Path, args: argparse.Namespace) -> dict:
    load = os.getloadavg()[0]  # the machine's: others may share it
    crowd = [Player(ADAPTERS["mud"], "127.0.0.1", port, "R") for _ in range(args.players)]
    progress(f"logging in {args.players} players ...")
    failures = await log_in_all(crowd, 50, 120.0, [])
    playing = [p for p in crowd if p.logged_in]
    rounds = []
    for number in range(args.reboots):
        await asyncio.sleep(args.settle)
        progress(f"reboot {number + 1}/{args.reboots} with {len(playing)} players online")
        rounds.append(await reboot_once(playing, socket, args.timeout))
    for player in crowd:
        if player.client is not None:
            await player.client.close_now()
    return {"players": args.players, "login_failures": failures, "reboots": rounds,
            "load_average_at_start": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--reboots", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the logins (or the last reboot) and a reboot")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a player waits for its reply before the line is lost")
    parser.add_argument("--database-url", help="a PostgreSQL to create a scratch database in "
                                               "(default: an embedded one)")
    parser.add_argument("--redis-url", help="default: the server's embedded one")
    parser.add_argument("--log-dir", help="keep the server's log here (default: thrown away)")
    args = parser.parse_args()
    with admin_database(args.database_url) as admin_url, \
            tempfile.TemporaryDirectory(prefix="mud-reboot-") as scratch:
        logdir = Path(args.log_dir or scratch)
        logdir.mkdir(parents=True, exist_ok=True)
        server = MudServer(admin_url, logdir, redis_url=args.redis_url)
        proc, port, _, log = server.start("reboot", extra_env=ENV)
        try:
            result = asyncio.run(measure(port, server.data / "console.sock", args))
        finally:
            server.stop(proc)
            result_log = [line for line in log.read_text(errors="replace").splitlines()
                          if "ERROR" in line or "Traceback" in line]
    result["server_errors"] = result_log[:20]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
