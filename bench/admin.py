"""Admin benchmark: the wizard and operator machinery of one `mud serve` with N players online.

    python bench/admin.py [--players 300] [--rounds 200] [--reloads 20] [--seconds 5]
                          [--database-url URL] [--redis-url URL]

N players log in and stand in the world; a third of them talk in the village square and the
rest walk between it and Market Street, one command every --interval seconds each, so the game
is not idle. One more account is made admin (UPDATE players SET role) and waits in a quiet
room. Then:

1. `reload world`, --reloads times: the round trip from the admin's command to its reply; the
   server's event-loop lag meanwhile (the lag_ms_max of its event=stats lines, one every 0.5 s,
   whose windows hold the reload); and the slowest reply to one more player asking `score`
   about every millisecond. Each against the same figure over 10 s with no reload.
2. The operator console over its Unix socket, in-process (asyncio.open_unix_connection):
   `status` and `sessions`, --rounds times each, connect + request + reply; `status` over one
   kept connection; and one whole `python -m mud console -c status` (and `-c sessions`) process.
3. Audit: `stat <player>` (privileged, audited) and `look` (not) in a closed loop for --seconds
   each from the admin's telnet connection; then every audited command is counted in audit_log
   once the batched writer has flushed.

Progress goes to stderr, the table to stdout; the server's log stays in the temporary folder
named at the start. Without URLs it runs an embedded PostgreSQL and an
embedded Redis in temporary folders; the server's database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ADAPTERS, PASSWORD, Player, distribution, log_in_all, progress
from bench.servers import MudServer, admin_database
from mud.client import TelnetClient
from mud.cluster.redis import EmbeddedRedis
from mud.console.protocol import decode, encode, request

STATS_INTERVAL = 0.5  # seconds between the server's event=stats lines (lag windows)
QUIET_ROOM = "inn_loft"  # where the admin works: no walker comes by, so its replies are alone
BASELINE_SECONDS = 10.0  # of play with no reload, to compare the reloads with
READ_EVERY = 0.5  # seconds between a background player's reads of what it was sent
RELOADED = r"World (?:not )?reloaded"


# -- the game around the measurements ------------------------------------------------------------

@dataclass
class Background:
    """The players' own activity while the admin measures."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    commands: int = 0
    dropped: int = 0  # connections the server closed

    def start(self, clients: list[TelnetClient], interval: float) -> None:
        self.tasks += [asyncio.create_task(self._live(c, i, interval))
                       for i, c in enumerate(clients)]

    async def _live(self, client: TelnetClient, index: int, interval: float) -> None:
        """Every interval seconds (random phase) a step or a word; reads what it is sent every
        READ_EVERY seconds, so the server never sees a slow reader."""
        lines = ("say busy day", "say indeed") if index % 3 == 0 else ("north", "south")
        next_at = time.perf_counter() + random.uniform(0, interval)
        turn = 0
        try:
            while not self.stop.is_set():
                if time.perf_counter() >= next_at:
                    client.send(lines[turn % 2])
                    turn += 1
                    self.commands += 1
                    next_at += interval
                await client.drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(READ_EVERY):
                        await self.stop.wait()
        except (ConnectionError, OSError):
            self.dropped += 1

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)


def make_role_admin(database_url: str, username: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE players SET role = 'admin' WHERE lower(username) = lower(%s)",
                     [username])


async def make_admin(port: int, database_url: str) -> tuple[TelnetClient, str]:
    """A new account, made admin in the database and logged in again (the role is read at
    login), waiting in the quiet room."""
    player = Player(ADAPTERS["mud"], "127.0.0.1", port, "A")
    await player.login(30.0)
    assert player.client is not None
    await player.client.quit()
    await asyncio.to_thread(make_role_admin, database_url, player.name)
    client = await TelnetClient.connect("127.0.0.1", port)
    await client.login(player.name, PASSWORD)
    reply = await client.command(f"goto {QUIET_ROOM}")
    if "Inn Loft" not in reply:
        raise RuntimeError(f"the admin could not goto {QUIET_ROOM}: {reply!r}")
    return client, player.name


# -- 1. reload world -----------------------------------------------------------------------------

class StatsLog:
    """Figures of the event=stats lines the server appends to its log."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        return self.path.stat().st_size

    def _lines(self, offset: int) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(offset)
            return [line.decode(errors="replace") for line in log.read().splitlines()
                    if b"event=stats" in line]

    def figures(self, offset: int, name: str = "lag_ms_max") -> list[float]:
        return [float(m[1]) for line in self._lines(offset)
                if (m := re.search(rf"\b{name}=([\d.]+)", line))]

    async def next_line(self, offset: int, timeout: float = 5.0) -> None:
        """Wait until a stats line is written after offset."""
        async with asyncio.timeout(timeout):
            while not self._lines(offset):
                await asyncio.sleep(0.05)


class Pinger:
    """One player asking `score` about every millisecond: a stall of the server's event loop
    shows as one late reply, however short (the server's own lag probe wakes every 100 ms)."""

    def __init__(self, player: Player) -> None:
        self.player = player
        self.pings: list[tuple[float, float]] = []  # (sent, answered), perf_counter seconds
        self.stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self.stop.is_set():
            sent = time.perf_counter()
            await self.player.once("private", 10.0)
            self.pings.append((sent, time.perf_counter()))
            await asyncio.sleep(0.001)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def finish(self) -> None:
        self.stop.set()
        if self._task is not None:
            await self._task

    def slowest(self, start: float, end: float) -> float:
        """Milliseconds of the slowest ping waiting at some moment between start and end."""
        return max(((answered - sent) * 1000 for sent, answered in self.pings
                    if sent <= end and answered >= start), default=0.0)

    def slowest_per_window(self, start: float, end: float, width: float) -> list[float]:
        """The slowest ping of each window of width seconds from start to end."""
        count = int((end - start) / width)
        return [self.slowest(start + i * width, start + (i + 1) * width) for i in range(count)]


@dataclass
class ReloadFigures:
    round_trip_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)  # the worst stats window around each
    gc_ms: list[float] = field(default_factory=list)
    ping_ms: list[float] = field(default_factory=list)  # the slowest ping during each
    baseline_lag_ms: list[float] = field(default_factory=list)  # stats windows, no reload
    # the slowest ping of each window as long as a reload's median round trip, no reload
    baseline_ping_ms: list[float] = field(default_factory=list)


async def measure_reloads(admin: TelnetClient, stats: StatsLog, pinger: Pinger, count: int,
                          baseline_seconds: float) -> ReloadFigures:
    figures = ReloadFigures()
    progress(f"no reload for {baseline_seconds:.0f} s (lag and pings) ...")
    pinger.start()
    offset, quiet_from = stats.size(), time.perf_counter()
    await asyncio.sleep(baseline_seconds)
    figures.baseline_lag_ms = stats.figures(offset)
    quiet_to = time.perf_counter()
    progress(f"reload world x{count} ...")
    for i in range(count):
        await admin.drain()
        offset = stats.size()
        started = time.perf_counter()
        admin.send("reload world")
        reply = await admin.expect(RELOADED, timeout=60.0)
        ended = time.perf_counter()
        figures.round_trip_ms.append((ended - started) * 1000)
        if "World reloaded" not in reply:
            raise RuntimeError(f"reload refused: {reply[-500:]!r}")
        # the stall is in the window that ends with the first stats line after the reply
        await stats.next_line(stats.size())
        figures.lag_ms.append(max(stats.figures(offset)))
        figures.gc_ms.append(max(stats.figures(offset, "gc_ms_max")))
        figures.ping_ms.append(pinger.slowest(started, ended))
        if (i + 1) % 5 == 0:
            progress(f"  {i + 1}/{count}: round trip {figures.round_trip_ms[-1]:.0f} ms, "
                     f"stats lag max {figures.lag_ms[-1]:.0f} ms, slowest ping "
                     f"{figures.ping_ms[-1]:.0f} ms")
    await pinger.finish()
    figures.baseline_ping_ms = pinger.slowest_per_window(
        quiet_from, quiet_to, statistics.median(figures.round_trip_ms) / 1000)
    return figures


# -- 2. the console ------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def console(path: Path) -> AsyncIterator[tuple[asyncio.StreamReader,
                                                     asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_unix_connection(str(path), limit=1 << 24)
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
              line: str) -> dict[str, Any]:
    writer.write(encode(request(line)))
    reply = decode(await reader.readline())
    if not reply.get("ok"):
        raise RuntimeError(f"console {line!r} failed: {reply.get('text')!r}")
    return reply


async def console_round_trips(path: Path, line: str, rounds: int, keep: bool
                              ) -> tuple[list[float], dict[str, Any]]:
    """Milliseconds per request (with its own connection unless keep), and the last reply."""
    times: list[float] = []
    reply: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        kept = await stack.enter_async_context(console(path)) if keep else None
        for _ in range(rounds):
            started = time.perf_counter()
            if kept is not None:
                reply = await ask(*kept, line)
            else:
                async with console(path) as fresh:
                    reply = await ask(*fresh, line)
            times.append((time.perf_counter() - started) * 1000)
    return times, reply


async def console_process(path: Path, line: str) -> tuple[float, int, int]:
    """One whole `python -m mud console -c line --json`: ms, exit code, bytes printed."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "console", "-c", line, "--json", "--console-socket",
        str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    ms = (time.perf_counter() - started) * 1000
    if proc.returncode:
        progress(f"  mud console -c {line} exited {proc.returncode}: "
                 f"{err.decode(errors='replace').strip()[:300]}")
    return ms, proc.returncode or 0, len(out)


# -- 3. audit ------------------------------------------------------------------------------------

async def closed_loop(client: TelnetClient, line: str, seconds: float) -> list[float]:
    """Send line as soon as the previous reply (up to the prompt) arrived, for seconds."""
    await client.drain()
    times: list[float] = []
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        client.send(line)
        await client.read_prompt()
        times.append((time.perf_counter() - started) * 1000)
    return times


def audit_counts(database_url: str, account: str) -> Counter[str]:
    """audit_log rows by command, of the admin's account and of the console."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT account, command, count(*) FROM audit_log "
                            "WHERE lower(account) IN (lower(%s), 'console') "
                            "GROUP BY account, command", [account]).fetchall()
    return Counter({f"{'console ' if a == 'console' else ''}{c}": n for a, c, n in rows})


async def wait_for_audit(database_url: str, account: str, expected: Counter[str],
                         timeout: float = 20.0) -> tuple[Counter[str], float]:
    """The rows once every expected one is there (or at timeout), and how long that took."""
    started = time.perf_counter()
    while True:
        found = await asyncio.to_thread(audit_counts, database_url, account)
        waited = time.perf_counter() - started
        if all(found[k] >= n for k, n in expected.items()) or waited > timeout:
            return found, waited
        await asyncio.sleep(0.1)


# -- the run -------------------------------------------------------------------------------------

def summary(values: list[float], unit: str = "ms") -> str:
    d = distribution(values)
    return f"p50 {d['p50']:,.1f} {unit}, p99 {d['p99']:,.1f} {unit}, max {d['max']:,.1f} {unit}"


def rate(values: list[float], seconds: float) -> str:
    return f"{len(values) / seconds:,.0f}/s ({len(values):,} in {seconds:.0f} s), {summary(values)}"


async def run(admin_url: str, redis_url: str | None, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="mud-admin-bench-"))
    embedded = None
    if not redis_url:
        embedded = EmbeddedRedis(folder / "redis")
        redis_url = await embedded.start()
    socket_path = folder / "console.sock"
    server = MudServer(admin_url, folder)
    proc, port, _, log_path = await asyncio.to_thread(server.start, "admin", extra_env={
        "MUD_REDIS_URL": redis_url, "MUD_REDIS_PREFIX": f"benchadmin{uuid.uuid4().hex[:8]}",
        "MUD_DATA_DIR": str(folder / "data"), "MUD_CONSOLE_SOCKET": str(socket_path),
        "MUD_STATS_INTERVAL": str(STATS_INTERVAL)})
    database_url = psycopg.conninfo.make_conninfo(
        **{**psycopg.conninfo.conninfo_to_dict(admin_url), "dbname": server.dbname})
    progress(f"server on port {port}, log {log_path}")
    players = [Player(ADAPTERS["mud"], "127.0.0.1", port, "P") for _ in range(args.players)]
    background = Background()
    admin: TelnetClient | None = None
    try:
        progress(f"logging in {args.players} players ...")
        failures = await log_in_all(players, 50, 60.0, [])
        playing = [p for p in players if p.logged_in and p.client]
        pinger = Pinger(playing.pop())
        background.start([p.client for p in playing], args.interval)
        admin, admin_name = await make_admin(port, database_url)
        progress(f"{len(playing) + 1} players in ({failures} failed); admin {admin_name} in "
                 f"{QUIET_ROOM}")
        reloads = await measure_reloads(admin, StatsLog(log_path), pinger, args.reloads,
                                       BASELINE_SECONDS)
        background.start([pinger.player.client], args.interval)  # its turn to wander

        progress(f"console: status and sessions x{args.rounds} ...")
        status_ms, status = await console_round_trips(socket_path, "status", args.rounds, False)
        sessions_ms, sessions = await console_round_trips(socket_path, "sessions", args.rounds,
                                                          False)
        kept_ms, _ = await console_round_trips(socket_path, "status", args.rounds, True)
        cli_status = await console_process(socket_path, "status")
        cli_sessions = await console_process(socket_path, "sessions")
        sessions_bytes = len(encode(sessions))

        target = players[0].name
        progress(f"audit: stat {target} then look, closed loop, {args.seconds:.0f} s each ...")
        stat_ms = await closed_loop(admin, f"stat {target}", args.seconds)
        expected = Counter({"stat": len(stat_ms), "goto": 1, "reload": args.reloads,
                            "console status": 2 * args.rounds + 1,
                            "console sessions": args.rounds + 1})
        found, waited = await wait_for_audit(database_url, admin_name, expected)
        look_ms = await closed_loop(admin, "look", args.seconds)
    finally:
        await background.finish()
        for client in [p.client for p in players] + [admin]:
            if client is not None:
                await client.close_now()
        await asyncio.to_thread(server.stop, proc)
        if embedded is not None:
            await embedded.stop()

    data = status["data"]
    audited = ", ".join(f"{k} {found[k]:,}/{n:,}" for k, n in expected.items())
    complete = all(found[k] == n for k, n in expected.items())
    rows = [
        (f"`reload world` round trip, {data['players']} players online ({args.reloads} reloads)",
         summary(reloads.round_trip_ms)),
        ("event-loop lag, worst 0.5 s stats window around each reload",
         f"{summary(reloads.lag_ms)}; gc pause max {max(reloads.gc_ms):.1f} ms"),
        (f"event-loop lag, 0.5 s stats windows with no reload ({BASELINE_SECONDS:g} s)",
         summary(reloads.baseline_lag_ms)),
        ("slowest `score` of a player asking every ~1 ms, during each reload",
         summary(reloads.ping_ms)),
        (f"the same, in each of {len(reloads.baseline_ping_ms):,} windows as long as a reload's "
         f"median round trip with no reload ({BASELINE_SECONDS:g} s)",
         summary(reloads.baseline_ping_ms)),
        (f"console `status`, connect + request + reply ({args.rounds})", summary(status_ms)),
        (f"console `sessions`, connect + request + reply ({args.rounds}; reply "
         f"{sessions_bytes / 1024:,.0f} KiB)", summary(sessions_ms)),
        (f"console `status` over one kept connection ({args.rounds})", summary(kept_ms)),
        ("`python -m mud console -c status --json`, whole process",
         f"{cli_status[0]:,.0f} ms, exit {cli_status[1]}"),
        ("`python -m mud console -c sessions --json`, whole process",
         f"{cli_sessions[0]:,.0f} ms, exit {cli_sessions[1]}, {cli_sessions[2]:,} bytes out"),
        ("`stat <player>` (audited), closed loop, admin's telnet", rate(stat_ms, args.seconds)),
        ("`look` (not audited), closed loop, admin's telnet", rate(look_ms, args.seconds)),
        ("audit_log rows found / commands sent",
         f"{audited}; {'all there' if complete else 'MISSING ROWS'} {waited:.1f} s after the "
         "last command"),
        ("background", f"{background.commands:,} player commands meanwhile "
                       f"(1 per player every {args.interval:g} s), {background.dropped} "
                       f"connections dropped; {data['players']} playing at the console's "
                       f"last status"),
    ]
    print("| what | figure |\n|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")
    print(json.dumps({"reload_round_trip_ms": distribution(reloads.round_trip_ms),
                      "reload_lag_ms": distribution(reloads.lag_ms),
                      "baseline_lag_ms": distribution(reloads.baseline_lag_ms),
                      "audit": dict(found)}), file=sys.stderr)
    if not complete:
        raise SystemExit("audit_log is missing rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200, help="console requests of each kind")
    parser.add_argument("--reloads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of each audit closed loop")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between one background player's commands")
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MUD_REDIS_URL"))
    args = parser.parse_args()
    with admin_database(args.database_url) as admin:
        asyncio.run(run(admin, args.redis_url, args))


if __name__ == "__main__":
    main()
