"""The server before and after its split into gateways and a world, side by side in one run.

    python bench/split.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0 [--before 77ca505] [--rounds 2] [--only private-50]

The single-process server runs from a git worktree of --before (made in a temporary folder and
removed afterwards), this tree's `mud serve` (a gateway with the world as its child process)
from here; each scenario starts each server afresh on a new database and Redis prefix
(bench/servers.py), and bench/load.py drives both the same way (bench/suite.py's scenarios
private-50, say-100 and open-5000). The two alternate which goes first, round by round. Prints
one row per run (throughput, p50, p99, max, the RSS and CPU time of the server's processes when
it was stopped: for the split, gateway + world; the machine's load average before the run) and
whether the targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import suite  # noqa: E402
from servers import MudServer, admin_database  # noqa: E402

from mud.monitor import rss_kib  # noqa: E402

KEYS = ("private-50", "say-100", "open-5000")
SIDES = ("before", "after")
TICKS = os.sysconf("SC_CLK_TCK")
P99_TARGETS = {"private-50": 20.0, "open-5000": 50.0, "say-1000": 100.0}  # ms, after the split


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """A detached git worktree of commit in a temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="mud-before-"))
    git = ["git", "-C", str(HERE.parent), "worktree"]
    subprocess.run([*git, "add", "--detach", str(path), commit], check=True,
                   capture_output=True)
    try:
        yield path
    finally:
        subprocess.run([*git, "remove", "--force", str(path)], check=False, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([*git, "prune"], check=False)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Measured(MudServer):
    """A MudServer that reads its processes' memory and CPU time just before stopping them."""

    def start(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        proc, port, self.pids, log = super().start(*args, **kwargs)
        return proc, port, self.pids, log

    def stop(self, proc) -> None:  # type: ignore[no-untyped-def]
        self.used = [(rss_kib(pid) / 1024, cpu_seconds(pid)) for pid in self.pids]
        super().stop(proc)


def cell(summary: dict) -> str:
    used = summary.get("used", [])
    text = suite.row(summary)
    if used:
        text += ("; at the end " + " + ".join(f"{mb:.0f} MB" for mb, _ in used)
                 + ", CPU " + " + ".join(f"{cpu:.1f} s" for _, cpu in used)
                 + f"; load average before {summary['load']:.1f}")
    return text


def verdicts(scenario: suite.Scenario, before: dict, after: dict) -> str:
    if before.get("failed") or after.get("failed"):
        return "failed"
    ratio = after["commands_per_s"] / max(before["commands_per_s"], 0.001)
    p99 = after["latency_ms"]["p99"]
    said = [f"{ratio:.0%} of the throughput"]
    if "open" not in scenario.argv:  # an open loop's rate is what the client offers
        said.append("≥ 80%: " + ("met" if ratio >= 0.8 else "NOT met"))
    limit = P99_TARGETS.get(scenario.key)
    if limit:
        said.append(f"p99 {p99:.1f} ms < {limit:.0f} ms: " + ("met" if p99 < limit else "NOT met"))
    bad = after["errors"] + after["timeouts"] + after["login_failures"]
    if bad:
        said.append(f"{bad} errors/timeouts")
    return "; ".join(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MUD_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MUD_REDIS_URL"),
                        help="default: each server's embedded Redis")
    parser.add_argument("--before", default="77ca505", help="the single-process commit")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(KEYS), help="comma-separated scenarios")
    parser.add_argument("--out", default="/tmp/mud-split.json", help="raw results (JSON)")
    parser.add_argument("--log-dir", help="keep the servers' logs here (default: thrown away)")
    args = parser.parse_args()
    scenarios = [s for s in suite.SCENARIOS if s.key in args.only.split(",")]
    runs: dict[str, list[dict[str, dict]]] = {s.key: [] for s in scenarios}
    with admin_database(args.database_url) as admin, worktree(args.before) as tree, \
            tempfile.TemporaryDirectory(prefix="mud-split-") as scratch:
        logdir = Path(args.log_dir or scratch)
        suite.progress(f"before: {args.before} in {tree}; logs in {logdir}/<side>")
        servers = {side: Measured(admin, logdir / side, tree if side == "before" else None,
                                  args.redis_url) for side in SIDES}
        for side in SIDES:
            (logdir / side).mkdir(parents=True, exist_ok=True)
        for round_ in range(args.rounds):
            for number, scenario in enumerate(scenarios):
                found: dict[str, dict] = {}
                for side in SIDES if (round_ + number) % 2 == 0 else SIDES[::-1]:
                    suite.progress(f"== round {round_ + 1}/{args.rounds}, {side}: "
                                   f"{scenario.title}")
                    load = os.getloadavg()[0]  # the machine's, before: others share it
                    try:
                        found[side] = suite.run_scenario("mud", servers[side], scenario)
                        found[side] |= {"used": servers[side].used, "load": load}
                    except Exception as exc:  # one failed run must not lose the others
                        found[side] = {"failed": f"{type(exc).__name__}: {exc}"}
                runs[scenario.key].append(found)
                Path(args.out).write_text(json.dumps(runs, indent=2) + "\n")
    print(f"| scenario | before ({args.before}, one process) | after (gateway + world) | "
          "after against before |\n|---|---|---|---|")
    for scenario in scenarios:
        for found in runs[scenario.key]:
            print(f"| {scenario.title} | {cell(found['before'])} | {cell(found['after'])} | "
                  f"{verdicts(scenario, found['before'], found['after'])} |")
        ratios = [f["after"]["commands_per_s"] / f["before"]["commands_per_s"]
                  for f in runs[scenario.key] if not (f["before"].get("failed")
                                                      or f["after"].get("failed"))]
        if ratios:
            print(f"| {scenario.key}: median of {len(ratios)} | | | "
                  f"{statistics.median(ratios):.0%} of the throughput |")


if __name__ == "__main__":
    main()
