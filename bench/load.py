"""Load generator: N real telnet (or web client) players against a running MUD server (loopback
only).

    python bench/load.py --port 4000 --players 50 --workload private --mode closed --seconds 20
    python bench/load.py --transport web --web-port 4080 --players 50 --seconds 20
    python bench/load.py --server evennia --port 4100 --players 50 --workload say
    python bench/load.py --players 5000 --mode open --interval 10 --seconds 60
    python bench/load.py --players 50 --mode open --interval 1 --storm 200

Each player logs in with its own throwaway account (the one-line create form), then runs the
workload: `private` (a command whose reply only the sender sees) or `say` (everyone in the
crowded start room hears it). Closed loop: each player sends its next command as soon as its reply
arrives. Open loop: one command every --interval seconds per player, with random phase; latency is
measured from the scheduled moment. --storm N logs N more players in at once in the middle of the
run and reports the players' latency during the storm separately. --transport web plays the same
players over the web client's WebSocket (mud/web/PROTOCOL.md, this server only) instead of telnet.

Prints progress while it runs and a JSON summary at the end (also to --json FILE).
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
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fighters import start_fighters, stop_fighters
from bench.fighters import summary as fight_summary
from mud.client import TelnetClient
from mud.monitor import rss_kib
from mud.webclient import WebClient

PASSWORD = "bench-password"
Client = TelnetClient | WebClient


class Transport:
    """How a player's connection is opened, written to and closed: the workloads, the adapters'
    replies and the figures are the same over every transport."""

    name = ""

    async def connect(self, host: str, port: int, timeout: float) -> Client:
        raise NotImplementedError

    async def send(self, client: Client, line: str) -> None:
        raise NotImplementedError

    def discard(self, client: Client) -> None:
        """Forget the text received so far (others' messages, already counted)."""
        raise NotImplementedError

    async def settle(self, clients: list[Client]) -> None:
        """Consume what the server sent before now (what others caused while logging in)."""
        raise NotImplementedError

    async def close(self, client: Client) -> None:
        """Close without quitting (the server sees a dropped link)."""
        raise NotImplementedError


class TelnetTransport(Transport):
    name = "telnet"

    async def connect(self, host: str, port: int, timeout: float) -> Client:
        return await TelnetClient.connect(host, port, timeout=timeout)

    async def send(self, client: Client, line: str) -> None:
        client.send(line)  # TelnetClient.send is not a coroutine

    def discard(self, client: Client) -> None:
        client.text = ""

    async def settle(self, clients: list[Client]) -> None:
        for client in clients:  # a timing mark each (TelnetClient.drain), one after the other
            await client.drain()

    async def close(self, client: Client) -> None:
        await client.close_now()


# the web client's first message: no screen reader, no width (lines as the world wrote them, as
# for a telnet client that refuses NAWS), nothing to resume
WEB_HELLO = {"client": "mud-bench", "version": "1", "screen_reader": False, "width": None,
             "resume": None}
WEB_SETTLE = 0.05  # seconds a web client reads for what is still on its way when settling


class WebTransport(Transport):
    """The web client's WebSocket (http://host:port/ws, one aiohttp session per player)."""

    name = "web"

    async def connect(self, host: str, port: int, timeout: float) -> Client:
        return await WebClient.connect(f"http://{host}:{port}/ws", WEB_HELLO, timeout=timeout)

    async def send(self, client: Client, line: str) -> None:
        await client.send(line)

    def discard(self, client: Client) -> None:
        client._take(len(client.text))  # also its prompt positions

    async def settle(self, clients: list[Client]) -> None:
        """There is no timing mark over the WebSocket: every client reads for a moment, all at
        once, whatever is still arriving, then forgets it."""
        async def one(client: Client) -> None:
            with contextlib.suppress(TimeoutError, ConnectionError):
                await client.wait_for(lambda: False, WEB_SETTLE)
            self.discard(client)

        await asyncio.gather(*(one(client) for client in clients))

    async def close(self, client: Client) -> None:
        client.in_game = False  # so WebClient.close closes the socket without `quit`
        await client.close()


TRANSPORTS: dict[str, Transport] = {"telnet": TelnetTransport(), "web": WebTransport()}


@dataclass(frozen=True)
class Adapter:
    """How one server logs a new player in and how its replies are recognised."""

    name: str
    private_command: str
    private_reply: str  # regex that ends the private command's reply
    say_echo: str  # regex (format with token) the speaker sees

    async def login(self, client: Client, name: str, timeout: float) -> None:
        raise NotImplementedError


class MudAdapter(Adapter):
    async def login(self, client: Client, name: str, timeout: float) -> None:
        await client.create(name, PASSWORD, f"{name}@bench.example", timeout=timeout)


_ANSI = r"(?:\x1b\[[0-9;]*m)*"  # Evennia colours its text; regexes step over the codes


class EvenniaAdapter(Adapter):
    """Evennia 5: `create` asks for a confirmation and does not log in; `connect` does."""

    async def login(self, client: TelnetClient, name: str, timeout: float) -> None:
        await client.read_until(r"create", timeout)
        client.send(f"create {name} {PASSWORD}")
        await client.read_until(r"Is this what you intended", timeout)
        client.send("y")
        await client.read_until(r"was created", timeout)
        client.send(f"connect {name} {PASSWORD}")
        await client.read_until(r"You become", timeout)
        client.send(self.private_command)  # its reply marks the end of the room's text
        await client.read_until(self.private_reply, timeout)


ADAPTERS: dict[str, Adapter] = {
    # the end of score's reply, then the prompt, which may follow others' messages that went
    # out in the same write; a prompt after others' messages alone must not match
    "mud": MudAdapter("mud", "score", r"stacks\n(?:[^\n]*\n)*?[^\n]*> ", r"You say, '{token}'"),
    "evennia": EvenniaAdapter("evennia", "inventory", r"You are not carrying anything\.",
                              'You say, "' + _ANSI + "{token}" + _ANSI + '"'),
}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def distribution(values_ms: list[float]) -> dict[str, float]:
    return {"count": len(values_ms),
            "p50": round(percentile(values_ms, 50), 2), "p95": round(percentile(values_ms, 95), 2),
            "p99": round(percentile(values_ms, 99), 2),
            "max": round(max(values_ms, default=0.0), 2),
            "mean": round(statistics.fmean(values_ms), 2) if values_ms else 0.0}


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    storm_latencies_ms: list[float] = field(default_factory=list)
    login_ms: list[float] = field(default_factory=list)
    storm_login_ms: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    login_failures: int = 0
    storm_login_failures: int = 0
    commands: int = 0
    storming: bool = False


class Player:
    """One player over a transport (telnet unless told; port is that transport's)."""

    def __init__(self, adapter: Adapter, host: str, port: int, prefix: str,
                 transport: Transport = TRANSPORTS["telnet"]) -> None:
        self.adapter = adapter
        self.transport = transport
        self.host, self.port = host, port
        self.name = prefix + "".join(random.choices(string.ascii_lowercase, k=10))
        self.client: Client | None = None
        self.logged_in = False
        self._count = 0

    async def login(self, timeout: float) -> float:
        started = time.perf_counter()
        async with asyncio.timeout(timeout):  # the whole login, from connecting to in the game
            self.client = await self.transport.connect(self.host, self.port, timeout)
            await self.adapter.login(self.client, self.name, timeout)
        self.logged_in = True
        return (time.perf_counter() - started) * 1000

    def _next(self, workload: str) -> tuple[str, str]:
        if workload == "private":
            return self.adapter.private_command, self.adapter.private_reply
        self._count += 1
        token = f"{self.name}{self._count}"
        return f"say {token}", self.adapter.say_echo.format(token=re.escape(token))

    async def once(self, workload: str, timeout: float) -> None:
        assert self.client is not None
        line, reply = self._next(workload)
        await self.transport.send(self.client, line)
        await self.client.read_until(reply, timeout=timeout)
        if workload == "say":  # what others said meanwhile is fan-out, already counted
            self.transport.discard(self.client)


async def run_player(player: Player, args: argparse.Namespace, results: Results,
                     stop_at: float) -> None:
    if args.mode == "open":
        await asyncio.sleep(random.uniform(0, args.interval))
    next_at = time.perf_counter()
    while time.perf_counter() < stop_at:
        scheduled = next_at if args.mode == "open" else time.perf_counter()
        try:
            await player.once(args.workload, args.timeout)
        except TimeoutError:
            results.timeouts += 1
        except (ConnectionError, OSError):
            results.errors += 1
            return
        elapsed_ms = (time.perf_counter() - scheduled) * 1000
        results.commands += 1
        (results.storm_latencies_ms if results.storming else results.latencies_ms).append(
            elapsed_ms)
        if args.mode == "open":
            next_at += args.interval
            if next_at >= stop_at:  # due after the end: done now, not an interval later
                return
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def log_in_all(players: list[Player], concurrency: int, timeout: float,
                     times: list[float]) -> int:
    """Log players in, at most `concurrency` at a time; returns how many failed."""
    gate = asyncio.Semaphore(concurrency)
    failures = 0
    done = 0

    async def one(player: Player) -> None:
        nonlocal failures, done
        async with gate:
            try:
                times.append(await player.login(timeout))
            except (TimeoutError, ConnectionError, OSError) as exc:
                failures += 1
                if failures <= 3:
                    print(f"  login failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            done += 1
            if done % max(1, len(players) // 10) == 0:
                progress(f"  logged in {done - failures}/{len(players)}")

    await asyncio.gather(*(one(p) for p in players))
    return failures


def server_rss(pids: list[int]) -> int:
    return sum(rss_kib(pid) for pid in pids)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def last_lag(log_path: str | None) -> float | None:
    """The newest lag_ms_max from the server's event=stats log lines, if given."""
    if not log_path:
        return None
    found = re.findall(r"lag_ms_max=([\d.]+)", Path(log_path).read_text(errors="replace"))
    return float(found[-1]) if found else None


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def main(args: argparse.Namespace) -> dict:
    adapter = ADAPTERS[args.server]
    transport = TRANSPORTS[args.transport]
    port = args.web_port if transport.name == "web" else args.port
    pids = [int(p) for p in args.server_pid.split(",")] if args.server_pid else []
    results = Results()
    base_by_pid = [rss_kib(pid) for pid in pids]
    base_kib = sum(base_by_pid)
    prefix = "L" + "".join(random.choices(string.ascii_lowercase, k=3))
    players = [Player(adapter, args.host, port, prefix, transport) for _ in range(args.players)]
    progress(f"{adapter.name}: logging in {len(players)} players over {transport.name} ...")
    started = time.perf_counter()
    results.login_failures = await log_in_all(players, args.login_concurrency, args.login_timeout,
                                              results.login_ms)
    login_seconds = time.perf_counter() - started
    playing = [p for p in players if p.logged_in]
    await asyncio.sleep(1.0)
    # what arrived while others logged in is not a reply
    await transport.settle([p.client for p in playing if p.client is not None])
    loaded_by_pid = [rss_kib(pid) for pid in pids]
    loaded_kib = sum(loaded_by_pid)
    fighters: list[Player] = []
    if args.fighters:
        fighters = [Player(adapter, args.host, port, prefix + "f", transport)
                    for _ in range(args.fighters)]
        progress(f"{adapter.name}: logging in {args.fighters} fighters ...")
        await log_in_all(fighters, args.login_concurrency, args.login_timeout, [])
    progress(f"{adapter.name}: {len(results.login_ms)} in after {login_seconds:.1f}s; "
             f"running {args.workload} {args.mode} loop for {args.seconds}s")
    fight_tasks, fight_stats = await start_fighters(  # they walk to their battlegrounds
        [f.client for f in fighters if f.logged_in and f.client], time.perf_counter()
        + args.seconds + args.timeout + 180)
    stop_at = time.perf_counter() + args.seconds
    cpu_before = [cpu_seconds(pid) for pid in pids]
    client_cpu_before = time.process_time()
    tasks = [asyncio.create_task(run_player(p, args, results, stop_at)) for p in playing]
    storm_players: list[Player] = []
    storm_seconds = 0.0
    if args.storm:
        await asyncio.sleep(args.seconds / 3)
        progress(f"{adapter.name}: storm: {args.storm} players log in at once")
        storm_players = [Player(adapter, args.host, port, prefix + "s", transport)
                         for _ in range(args.storm)]
        results.storming = True
        storm_started = time.perf_counter()
        results.storm_login_failures = await log_in_all(
            storm_players, args.storm, args.login_timeout, results.storm_login_ms)
        storm_seconds = time.perf_counter() - storm_started
        results.storming = False
    last, last_at = 0, time.perf_counter()
    while any(not t.done() for t in tasks):
        await asyncio.sleep(min(5.0, max(0.1, stop_at - time.perf_counter() + 0.1)))
        now = time.perf_counter()
        rate = (results.commands - last) / (now - last_at)
        progress(f"  {results.commands} commands ({rate:,.0f}/s), {results.timeouts} timeouts,"
                 f" {results.errors} errors")
        last, last_at = results.commands, now
        if now > stop_at + args.timeout + 5:
            break
    cpu_used = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
    client_cpu = time.process_time() - client_cpu_before
    await stop_fighters(fight_tasks)
    measured = args.seconds - (storm_seconds if args.storm else 0.0)
    final_by_pid = [rss_kib(pid) for pid in pids]
    final_kib = sum(final_by_pid)
    summary = {
        "server": adapter.name, "transport": transport.name, "workload": args.workload,
        "mode": args.mode,
        "players": args.players, "logged_in": len(results.login_ms),
        "login_failures": results.login_failures,
        "login_ms": distribution(results.login_ms), "login_seconds": round(login_seconds, 2),
        "commands": results.commands,
        "commands_per_s": round(len(results.latencies_ms) / max(measured, 0.001), 1),
        "latency_ms": distribution(results.latencies_ms),
        "errors": results.errors, "timeouts": results.timeouts,
        "server_rss_kib": {"base": base_kib, "after_login": loaded_kib, "end": final_kib,
                           "per_player": round((loaded_kib - base_kib) / max(1, len(
                               results.login_ms)), 1) if pids else None},
        "event_loop_lag_ms_max": last_lag(args.server_log),
        # each of --server-pid's processes apart (memory; CPU time while the workload ran),
        # and the CPU time this client used meanwhile
        "server_processes": [
            {"pid": pid, "rss_kib": {"base": base, "after_login": loaded, "end": final},
             "cpu_s": round(cpu, 3)}
            for pid, base, loaded, final, cpu in zip(pids, base_by_pid, loaded_by_pid,
                                                     final_by_pid, cpu_used, strict=True)],
        "client_cpu_s": round(client_cpu, 3),
    }
    if args.storm:
        summary["storm"] = {"players": args.storm, "logged_in": len(results.storm_login_ms),
                            "failures": results.storm_login_failures,
                            "seconds": round(storm_seconds, 2),
                            "login_ms": distribution(results.storm_login_ms),
                            "players_latency_ms": distribution(results.storm_latencies_ms)}
    if fighters:
        summary["fighting"] = fight_summary(fight_stats)
    for player in players + storm_players + fighters:
        if player.client is not None:
            await transport.close(player.client)
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=sorted(ADAPTERS), default="mud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4000, help="the telnet port")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="telnet",
                        help="web: the web client's WebSocket at --web-port (this server only)")
    parser.add_argument("--web-port", type=int, default=4080,
                        help="the web listener's port (MUD_WEB_PORT), for --transport web")
    parser.add_argument("--players", type=int, default=10)
    parser.add_argument("--workload", choices=["private", "say"], default="private")
    parser.add_argument("--mode", choices=["closed", "open"], default="closed")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="open loop: seconds between one player's commands")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the workload runs")
    parser.add_argument("--fighters", type=int, default=0,
                        help="more players fighting monsters in every zone meanwhile (mud)")
    parser.add_argument("--storm", type=int, default=0,
                        help="players logging in at once a third of the way through")
    parser.add_argument("--timeout", type=float, default=10.0, help="per command")
    parser.add_argument("--login-timeout", type=float, default=60.0)
    parser.add_argument("--login-concurrency", type=int, default=50)
    parser.add_argument("--server-pid",
                        help="PIDs whose memory and CPU time to report, comma-separated")
    parser.add_argument("--server-log", help="server log with event=stats lines (lag)")
    parser.add_argument("--json", help="also write the summary here")
    args = parser.parse_args(argv)
    if args.transport == "web" and args.server != "mud":
        parser.error("--transport web drives this server's web client protocol only")
    if args.transport == "web" and args.fighters:
        parser.error("--fighters play over telnet only (bench/fighters.py)")
    return args


def cli() -> None:
    args = parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load.py drives loopback servers only")
    summary = asyncio.run(main(args))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    cli()
