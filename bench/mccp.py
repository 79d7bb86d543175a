"""MCCP2 benchmark: the bytes a busy player receives per minute, with and without compression.

    python bench/mccp.py [--seconds 30] [--rate 2] [--database-url URL]

One server; two runs of the same player, one accepting MCCP2 and one refusing it (both accept
GMCP, EOR and the rest, as Mudlet does). The player walks, looks, talks, checks its score and
inventory and reads help, `--rate` commands a second. Without a URL (or MUD_DATABASE_URL) it runs
against an embedded PostgreSQL in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import MudServer, admin_database
from mud.client import EOR, GMCP, MCCP2, MSSP, SGA, Options, TelnetClient

ROUTINE = ("look", "north", "look", "score", "say anyone selling rope?", "south", "inventory",
           "east", "look", "west", "help", "chat heading out to the old road", "equipment",
           "exits", "who")
SUPPORTS = ["Char 1", "Char.Items 1", "Room 1", "Comm.Channel 1"]


async def busy_player(port: int, compress: bool, seconds: float, rate: float
                      ) -> tuple[int, int, int]:
    """Play for seconds; (bytes on the wire, bytes after inflating, commands)."""
    accepted = {SGA, EOR, GMCP, MSSP} | ({MCCP2} if compress else set())
    client = await TelnetClient.connect("127.0.0.1", port,
                                        options=Options.mud_client(do=frozenset(accepted)))
    await client.wait_for(lambda: "Username: " in client.text)
    client.send_gmcp("Core.Hello", {"client": "bench", "version": "1"})
    client.send_gmcp("Core.Supports.Set", SUPPORTS)
    name = "B" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))
    await client.create(name, "correct-horse", f"{name}@example.com")
    wire, plain = client.wire_bytes, client.plain_bytes
    commands, started = 0, time.monotonic()
    for line in itertools.cycle(ROUTINE):
        if time.monotonic() - started >= seconds:
            break
        await client.command(line)
        commands += 1
        await asyncio.sleep(max(0.0, started + commands / rate - time.monotonic()))
    result = client.wire_bytes - wire, client.plain_bytes - plain, commands
    assert client.compressed == compress, "MCCP2 was not negotiated as asked"
    await client.close()
    return result


async def measure(port: int, seconds: float, rate: float) -> None:
    per_minute = 60 / seconds
    figures = {}
    for compress in (False, True):
        wire, plain, commands = await busy_player(port, compress, seconds, rate)
        figures[compress] = wire * per_minute
        label = "with MCCP2   " if compress else "without MCCP2"
        print(f"{label}: {wire * per_minute / 1024:8.1f} KiB/min on the wire "
              f"({plain * per_minute / 1024:.1f} KiB/min of telnet stream, "
              f"{commands * per_minute:.0f} commands/min)")
    print(f"ratio: {figures[False] / figures[True]:.1f}x fewer bytes with MCCP2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2.0, help="commands per second")
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    args = parser.parse_args()
    with admin_database(args.database_url) as admin, \
            tempfile.TemporaryDirectory(prefix="mud-bench-mccp-") as tmp:
        server = MudServer(admin, Path(tmp))
        proc, port, _, _ = server.start("mccp", extra_env={"MUD_DATA_DIR": tmp})
        try:
            asyncio.run(measure(port, args.seconds, args.rate))
        finally:
            server.stop(proc)


if __name__ == "__main__":
    main()
