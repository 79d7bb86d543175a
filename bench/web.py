"""Web clients against telnet clients: the same scenarios, the same server, the same load client
(bench/load.py), once over telnet and once over the web client's WebSocket.

    python bench/web.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0 [--rounds 2] [--only private-50,idle-1000]

Every run starts `mud serve` afresh (a gateway with the world as its child process) on a new
database and Redis prefix (bench/servers.py; an embedded PostgreSQL or Redis when no URL is given
here or in MUD_DATABASE_URL / MUD_REDIS_URL), with its web listener on a free port in both
transports' runs, so only the client's transport differs. Scenarios (bench/suite.py's):
`private-50`, a private command in a closed loop by 50 players for 20 s, and `idle-1000`, 1,000
players logged in, one command every 10 s each for 30 s. The two transports alternate which goes
first, scenario by scenario and round by round.

Prints a row per run: throughput, p50/p99/max, the server's resident memory per connection
((RSS after logging in - RSS before) / players, for the gateway, which holds the connections, and
for gateway + world), the server's CPU time per command while the workload ran (gateway + world)
and the client's own, and the machine's load average before the run; then web against telnet
(throughput and p99, round by round, and their medians) against the target: the web within 20%
of telnet. Progress on stderr; the raw summaries in --out (JSON); the servers' logs are kept in
--log-dir and any warning, error or traceback in them is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import load  # noqa: E402
import suite  # noqa: E402
from servers import MudServer, admin_database, children  # noqa: E402

KEYS = ("private-50", "idle-1000")
TRANSPORTS = ("telnet", "web")
TARGET = 0.20  # the web within 20% of telnet: throughput at least 80%, p99 at most 120%
QUICK = {"private-50": ("--players", "20", "--seconds", "5"),  # --quick: a smoke test
         "idle-1000": ("--players", "100", "--mode", "open", "--interval", "10", "--seconds",
                       "10", "--login-concurrency", "100")}
PROBLEM = re.compile(r" (WARNING|ERROR|CRITICAL) |Traceback")


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    """A port nothing listens on now (bound and let go: MUD_WEB_PORT has no "any free port")."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def world_of(gateway: int) -> int:
    """The world process under a `mud serve` gateway (not an embedded Redis or PostgreSQL)."""
    for pid in children(gateway):
        try:
            if b"mud" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    raise RuntimeError(f"no world process under {gateway}")


def problems(log: Path) -> dict:
    """The warnings, errors and tracebacks in a server's log: counted by event, a few quoted."""
    found = [line for line in log.read_text(errors="replace").splitlines()
             if PROBLEM.search(line)]
    events = Counter((m[1] if (m := re.search(r"event=(\S+)", line)) else line[24:90])
                     for line in found)
    return {"count": len(found), "events": dict(events.most_common(10)), "first": found[:5]}


def run(server: MudServer, key: str, argv: tuple[str, ...], transport: str) -> dict:
    web_port = free_port()
    proc, port, _pids, log = server.start(f"{key}-{transport}",
                                          extra_env={"MUD_WEB_PORT": str(web_port)})
    try:
        if f":{web_port}/" not in server.banner:
            raise RuntimeError(f"the web listener is not on {web_port}: {server.banner!r}")
        gateway, world = proc.pid, world_of(proc.pid)
        progress(f"   gateway {gateway}, world {world}; telnet :{port}, web :{web_port}; "
                 f"log {log}")
        time.sleep(1.0)
        load_average = os.getloadavg()[0]  # the machine's, before: others share it
        summary = asyncio.run(load.main(load.parse_args([
            "--port", str(port), "--transport", transport, "--web-port", str(web_port),
            *argv, "--server-pid", f"{gateway},{world}", "--server-log", str(log)])))
    finally:
        server.stop(proc)
    return summary | {"load": load_average, "log": str(log), "log_problems": problems(log)}


def figures(summary: dict) -> dict:
    """What the table shows of one run."""
    gateway, world = summary["server_processes"]
    players = max(1, summary["logged_in"])
    commands = max(1, summary["commands"])

    def per_connection(*processes: dict) -> float:
        return sum(p["rss_kib"]["after_login"] - p["rss_kib"]["base"] for p in processes) / players

    return {"rate": summary["commands_per_s"], **summary["latency_ms"],
            "in": f"{summary['logged_in']}/{summary['players']}",
            "bad": summary["errors"] + summary["timeouts"] + summary["login_failures"],
            "gateway_kib": per_connection(gateway), "total_kib": per_connection(gateway, world),
            "gateway_mib": gateway["rss_kib"]["after_login"] / 1024,
            "world_mib": world["rss_kib"]["after_login"] / 1024,
            "gateway_us": gateway["cpu_s"] / commands * 1e6,
            "world_us": world["cpu_s"] / commands * 1e6,
            "client_us": summary["client_cpu_s"] / commands * 1e6,
            "load": summary["load"], "problems": summary["log_problems"]["count"]}


def row(key: str, round_: int, transport: str, summary: dict) -> str:
    if summary.get("failed"):
        return f"| {key} | {round_} | {transport} | failed: {summary['failed']} |" + " |" * 8
    f = figures(summary)
    return (f"| {key} | {round_} | {transport} | {f['rate']:,.0f}/s | {f['p50']:.2f} / "
            f"{f['p99']:.2f} / {f['max']:.0f} ms | {f['in']}, "
            + (f"{f['bad']} errors/timeouts" if f["bad"] else "no errors")
            + f" | {f['gateway_kib']:.1f} | {f['total_kib']:.1f} | {f['gateway_mib']:.0f} + "
            f"{f['world_mib']:.0f} MB | {f['gateway_us']:.0f} + {f['world_us']:.0f} µs | "
            f"{f['client_us']:.0f} µs | {f['load']:.1f} | {f['problems']} |")


def ratios(found: dict[str, dict]) -> tuple[float, float] | None:
    """Web against telnet in one round: throughput and p99."""
    if any(found.get(t, {}).get("failed") or t not in found for t in TRANSPORTS):
        return None
    telnet, web = (found[t] for t in TRANSPORTS)
    return (web["commands_per_s"] / max(telnet["commands_per_s"], 0.001),
            web["latency_ms"]["p99"] / max(telnet["latency_ms"]["p99"], 0.001))


def verdict(rate: float, p99: float) -> str:
    met = rate >= 1 - TARGET and p99 <= 1 + TARGET
    return f"throughput {rate:.0%}, p99 {p99:.0%}: " + ("met" if met else "NOT met")


def header(args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    return (f"# {shlex.join(sys.orig_argv)}\n"
            f"# {time.strftime('%Y-%m-%d %H:%M:%S')}; {os.cpu_count()} cores shared by the "
            f"clients, the server, PostgreSQL and Redis; commit {commit}"
            + (" with uncommitted changes" if dirty else "") + f"; {args.rounds} round(s)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"),
                        help="default: MUD_DATABASE_URL, else an embedded PostgreSQL")
    parser.add_argument("--redis-url", default=os.environ.get("MUD_REDIS_URL"),
                        help="default: MUD_REDIS_URL, else each server's embedded Redis")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", default=",".join(KEYS), help="comma-separated scenarios")
    parser.add_argument("--quick", action="store_true",
                        help="smaller and shorter scenarios, to try the harness")
    parser.add_argument("--out", default="/tmp/mud-web.json", help="raw results (JSON)")
    parser.add_argument("--log-dir", default="/tmp/mud-web-logs", help="the servers' logs")
    args = parser.parse_args()
    wanted = args.only.split(",")
    unknown = set(wanted) - set(KEYS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(KEYS)}")
    scenarios = {s.key: s for s in suite.SCENARIOS if s.key in wanted}
    top = header(args)
    progress(top.rstrip())
    runs: dict[str, list[dict[str, dict]]] = {key: [] for key in scenarios}
    logdir = Path(args.log_dir)
    logdir.mkdir(parents=True, exist_ok=True)
    with admin_database(args.database_url) as admin:
        server = MudServer(admin, logdir, redis_url=args.redis_url)
        for round_ in range(args.rounds):
            for number, (key, scenario) in enumerate(scenarios.items()):
                argv = QUICK[key] if args.quick else scenario.argv
                found: dict[str, dict] = {}
                order = TRANSPORTS if (round_ + number) % 2 == 0 else TRANSPORTS[::-1]
                for transport in order:
                    progress(f"== round {round_ + 1}/{args.rounds}, {transport}: "
                             f"{scenario.title} ({shlex.join(argv)})")
                    try:
                        found[transport] = run(server, key, argv, transport)
                    except Exception as exc:  # one failed run must not lose the others
                        found[transport] = {"failed": f"{type(exc).__name__}: {exc}"}
                    progress("   " + row(key, round_ + 1, transport, found[transport]))
                    bad = found[transport].get("log_problems", {})
                    if bad.get("count"):
                        progress(f"   server log: {bad['count']} problem lines: {bad['events']}")
                runs[key].append(found)
                Path(args.out).write_text(json.dumps(runs, indent=2) + "\n")
    print(top)
    print("| scenario | round | transport | throughput | p50 / p99 / max | players in | "
          "gateway KB/conn | gateway + world KB/conn | RSS after login (gateway + world) | "
          "server CPU/command (gateway + world) | client CPU/command | load before | "
          "server log problems |\n" + "|---" * 13 + "|")
    for key, rounds in runs.items():
        for number, found in enumerate(rounds, 1):
            for transport in TRANSPORTS:
                if transport in found:
                    print(row(key, number, transport, found[transport]))
    print("\n| scenario | round | web / telnet |\n|---|---|---|")
    for key, rounds in runs.items():
        paired = [r for r in map(ratios, rounds) if r is not None]
        for number, found in enumerate(rounds, 1):
            pair = ratios(found)
            print(f"| {key} | {number} | " + (verdict(*pair) if pair else "failed") + " |")
        if len(paired) > 1:
            print(f"| {key} | median of {len(paired)} | "
                  + verdict(statistics.median(r for r, _ in paired),
                            statistics.median(p for _, p in paired)) + " |")
    for key, rounds in runs.items():
        for number, found in enumerate(rounds, 1):
            for transport, summary in found.items():
                bad = summary.get("log_problems", {})
                if bad.get("count"):
                    print(f"\n{key}, round {number}, {transport}: {bad['count']} warning/error "
                          f"lines in {summary['log']}: {bad['events']}")
                    for line in bad["first"]:
                        print(f"    {line}")


if __name__ == "__main__":
    main()
