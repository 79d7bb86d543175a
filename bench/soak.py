"""Soak: many cycles of connect -> log in -> a few commands -> quit, watching for leaks.

    python bench/soak.py [--cycles 10000] [--settle 1000] [--concurrency 8]

Starts its own server (argon2 lowered, since every cycle logs in) on a fresh database in the
PostgreSQL at --database-url or an embedded one, and reports the server's memory after the
first --settle cycles and at the end, with its open file descriptors, asyncio tasks, sessions
and characters in memory (from its event=stats lines). Exits 1 if memory grew more than 10%
after settling or anything was left behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mud.client import TelnetClient  # noqa: E402
from mud.monitor import rss_kib  # noqa: E402

PASSWORD = "soak-password"
STATS_INTERVAL = 0.25


def server_stats(log_path: Path) -> dict[str, float]:
    """The newest event=stats line of the server's log as numbers."""
    lines = [line for line in log_path.read_text(errors="replace").splitlines()
             if "event=stats" in line]
    if not lines:
        return {}
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])}


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def quiet_snapshot(pid: int, log_path: Path) -> dict[str, float]:
    """Let the server settle (saves, evictions, a fresh stats line), then read its figures."""
    await asyncio.sleep(4 * STATS_INTERVAL + 0.5)
    stats = server_stats(log_path)
    # the database and Redis pools open connections as load asks and keep them: not leaks
    return {"rss_kib": rss_kib(pid), "tasks": stats.get("tasks", -1),
            "fds": fd_count(pid) - stats.get("db_connections", 0)
            - stats.get("redis_connections", 0),
            "sessions": stats.get("sessions", -1), "characters": stats.get("characters", -1)}


async def one_cycle(port: int, name: str) -> None:
    client = await TelnetClient.connect("127.0.0.1", port)
    try:
        await client.login(name, PASSWORD)
        for line in ("look", "score", "say soaking", "inventory"):
            await client.command(line)
        await client.quit()
    finally:
        await client.close_now()


async def run_cycles(port: int, pid: int, names: list[str], cycles: int,
                     concurrency: int) -> int:
    """Run cycles with concurrency workers; returns how many failed."""
    done = errors = 0
    started = time.perf_counter()
    per_worker = len(names) // concurrency

    async def worker(slot: int, count: int) -> None:
        nonlocal done, errors
        for index in range(count):
            # each worker keeps to its own accounts, so no login takes another one over
            name = names[(index % per_worker) * concurrency + slot]
            try:
                async with asyncio.timeout(30):
                    await one_cycle(port, name)
            except (TimeoutError, ConnectionError, OSError) as exc:
                errors += 1
                if errors <= 3:
                    print(f"  cycle failed: {exc!r}", file=sys.stderr)
            done += 1
            if done % max(1, cycles // 10) == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done}/{cycles} cycles ({rate:.0f}/s), {errors} errors, "
                      f"server RSS {rss_kib(pid) / 1024:.1f} MB, fds {fd_count(pid)}",
                      file=sys.stderr, flush=True)

    shares = [cycles // concurrency + (slot < cycles % concurrency)
              for slot in range(concurrency)]
    await asyncio.gather(*(worker(slot, share) for slot, share in enumerate(shares)))
    return errors


async def soak(port: int, pid: int, log_path: Path, cycles: int, settle: int,
               concurrency: int, accounts: int = 16) -> dict:
    """Create accounts, run `settle` cycles, measure, run the rest, measure again."""
    names = [f"Soak{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(accounts)]
    for name in names:
        client = await TelnetClient.connect("127.0.0.1", port)
        await client.create(name, PASSWORD, f"{name}@soak.example")
        await client.quit()
        await client.close_now()
    before = await quiet_snapshot(pid, log_path)
    started = time.perf_counter()
    errors = await run_cycles(port, pid, names, settle, concurrency)
    settled = await quiet_snapshot(pid, log_path)
    errors += await run_cycles(port, pid, names, cycles - settle, concurrency)
    elapsed = time.perf_counter() - started
    end = await quiet_snapshot(pid, log_path)
    growth = (end["rss_kib"] - settled["rss_kib"]) / settled["rss_kib"] * 100
    return {"cycles": cycles, "errors": errors, "cycles_per_s": round(cycles / elapsed, 1),
            "before": before, "settled": settled, "end": end,
            "rss_growth_after_settling_pct": round(growth, 2)}


def leaks(result: dict) -> list[str]:
    """What grew after settling or was left behind. Descriptors are counted without the
    database's and Redis's pooled connections, and descriptors and tasks are compared with the
    settled figures."""
    settled, end = result["settled"], result["end"]
    found = []
    if result["rss_growth_after_settling_pct"] > 10:
        found.append(f"memory grew {result['rss_growth_after_settling_pct']}% after settling")
    for key in ("fds", "tasks"):
        if end[key] > settled[key]:
            found.append(f"{key} {settled[key]} -> {end[key]}")
    if end["sessions"] != 0 or end["characters"] != 0:
        found.append(f"left in memory: {end['sessions']} sessions, "
                     f"{end['characters']} characters")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--settle", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from servers import MudServer, admin_database

    with admin_database(args.database_url) as admin, \
            tempfile.TemporaryDirectory(prefix="mud-soak-") as tmp:
        server = MudServer(admin, Path(tmp))
        proc, port, pids, log = server.start(
            "soak", extra_env={"MUD_STATS_INTERVAL": str(STATS_INTERVAL)})
        try:
            result = asyncio.run(soak(port, pids[0], log, args.cycles, args.settle,
                                      args.concurrency))
        finally:
            server.stop(proc)
    result["leaks"] = leaks(result)
    print(json.dumps(result, indent=2))
    raise SystemExit(1 if result["leaks"] or result["errors"] else 0)


if __name__ == "__main__":
    main()
