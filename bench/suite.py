"""Run the load scenarios against this server and Evennia, one after the other on this machine,
and print the side-by-side table for bench/README.md.

    python bench/suite.py                      # both servers, every scenario
    python bench/suite.py --servers mud --quick

This server is started fresh for every scenario (`mud serve` on a new database in the PostgreSQL at
--database-url, or an embedded one), with the per-connection input rate and per-address connection
limits off (every player comes from 127.0.0.1 and the closed loop sends as fast as replies come)
and argon2 lowered to time_cost=1, memory=1 MiB so thousands of throwaway accounts can be created
(the login-storm scenarios keep the default argon2 profile). Evennia is set up and started by
bench/evennia_server.py in a throwaway virtual environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import load  # noqa: E402
from servers import EvenniaServer, MudServer, admin_database  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    argv: tuple[str, ...]
    servers: tuple[str, ...] = ("mud", "evennia")
    default_argon2: bool = False


SCENARIOS = [
    Scenario("private-1", "private command, closed loop, 1 player",
             ("--players", "1", "--seconds", "15")),
    Scenario("private-10", "private command, closed loop, 10 players",
             ("--players", "10", "--seconds", "15")),
    Scenario("private-50", "private command, closed loop, 50 players",
             ("--players", "50", "--seconds", "20")),
    Scenario("say-30", "`say` among 30 players in one room, closed loop",
             ("--players", "30", "--workload", "say", "--seconds", "15")),
    Scenario("say-100", "`say` among 100 players in one room, closed loop",
             ("--players", "100", "--workload", "say", "--seconds", "15")),
    Scenario("create-200", "200 new accounts at once (default password hashing), then one "
             "command every 2 s", ("--players", "200", "--login-concurrency", "200", "--mode",
                                   "open", "--interval", "2", "--seconds", "30"),
             default_argon2=True),
    Scenario("idle-1000", "1,000 players, one command every 10 s (memory)",
             ("--players", "1000", "--mode", "open", "--interval", "10", "--seconds", "30",
              "--login-concurrency", "100"), servers=("mud",)),
    Scenario("open-5000", "5,000 players, one private command every 10 s",
             ("--players", "5000", "--mode", "open", "--interval", "10", "--seconds", "40",
              "--login-concurrency", "200"), servers=("mud",)),
    Scenario("say-1000", "`say` among 1,000 players in one room, one every 10 s each",
             ("--players", "1000", "--workload", "say", "--mode", "open", "--interval", "10",
              "--seconds", "40", "--login-concurrency", "100"), servers=("mud",)),
    Scenario("storm-200", "50 players (1 cmd/s) while 200 log in at once, default argon2",
             ("--players", "50", "--mode", "open", "--interval", "1", "--seconds", "60",
              "--storm", "200"), servers=("mud",), default_argon2=True),
    Scenario("storm-500", "200 players (1 cmd/s) while 500 log in at once, default argon2",
             ("--players", "200", "--mode", "open", "--interval", "1", "--seconds", "150",
              "--storm", "500", "--login-timeout", "120"), servers=("mud",),
             default_argon2=True),
    Scenario("fight-private-50", "private command, closed loop, 50 players, while 200 others "
             "fight monsters in both zones", ("--players", "50", "--seconds", "30",
                                             "--fighters", "200"), servers=("mud",)),
    Scenario("fight-open-5000", "5,000 players, one private command every 10 s, while 300 "
             "others fight monsters in both zones",
             ("--players", "5000", "--mode", "open", "--interval", "10", "--seconds", "40",
              "--login-concurrency", "200", "--fighters", "300"), servers=("mud",)),
]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_scenario(server_kind: str, server, scenario: Scenario) -> dict:
    proc, port, pids, log = server.start(scenario.key, default_argon2=scenario.default_argon2)
    try:
        time.sleep(1.0)
        argv = ["--server", server_kind, "--port", str(port), *scenario.argv,
                "--server-pid", ",".join(map(str, pids))]
        if log is not None:
            argv += ["--server-log", str(log)]
        return asyncio.run(load.main(load.parse_args(argv)))
    finally:
        server.stop(proc)


def row(summary: dict | None) -> str:
    if summary is None:
        return "not run"
    if summary.get("failed"):
        return f"failed: {summary['failed']}"
    lat = summary["latency_ms"]
    text = (f"{summary['commands_per_s']:,.0f}/s, p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms"
            f", max {lat['max']:.0f} ms; {summary['logged_in']}/{summary['players']} in")
    bad = summary["errors"] + summary["timeouts"] + summary["login_failures"]
    text += f", {bad} errors/timeouts" if bad else ", no errors"
    rss = summary["server_rss_kib"]
    if rss["per_player"] is not None:
        text += f"; RSS {rss['after_login'] / 1024:.0f} MB ({rss['per_player']:.0f} KB/player)"
    if "storm" in summary:
        storm = summary["storm"]
        text += (f"; storm: {storm['logged_in']}/{storm['players']} in within "
                 f"{storm['seconds']:.0f} s (login p99 {storm['login_ms']['p99'] / 1000:.1f} s), "
                 f"players' p99 during it {storm['players_latency_ms']['p99']:.1f} ms")
    if "fighting" in summary:
        fight = summary["fighting"]
        text += (f"; meanwhile {fight['fighters']} fighters in {fight['rooms']} rooms of "
                 f"{fight['zones']} zones: {fight['fights']} fights, {fight['kills']} kills, "
                 f"{fight['deaths']} deaths")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default="mud,evennia")
    parser.add_argument("--only", help="comma-separated scenario keys")
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MUD_REDIS_URL"),
                        help="a Redis for this server (a key prefix per run; default: embedded)")
    parser.add_argument("--evennia-root", default="/tmp/mud-evennia")
    parser.add_argument("--evennia-port", type=int, default=4100)
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument("--log-dir", default="/tmp/mud-suite-logs",
                        help="where this server's logs are kept")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    results: dict[str, dict[str, dict]] = {}
    with admin_database(args.database_url) as admin:
        Path(args.log_dir).mkdir(parents=True, exist_ok=True)
        servers = {"mud": MudServer(admin, Path(args.log_dir), redis_url=args.redis_url),
                   "evennia": EvenniaServer(args.evennia_root, args.evennia_port)}
        for scenario in SCENARIOS:
            if wanted and scenario.key not in wanted:
                continue
            for kind in args.servers.split(","):
                if kind not in scenario.servers:
                    continue
                progress(f"== {kind}: {scenario.title}")
                try:
                    summary = run_scenario(kind, servers[kind], scenario)
                except Exception as exc:  # one failed scenario must not lose the others
                    summary = {"failed": f"{type(exc).__name__}: {exc}"}
                results.setdefault(scenario.key, {})[kind] = summary
                Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print("| scenario | this server | Evennia 5.0.1 |\n|---|---|---|")
    for scenario in SCENARIOS:
        if scenario.key in results:
            found = results[scenario.key]
            print(f"| {scenario.title} | {row(found.get('mud'))} | {row(found.get('evennia'))} |")


if __name__ == "__main__":
    main()
