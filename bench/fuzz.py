"""Hostile-input fuzzing against a running server, for minutes: the long version of
tests/test_fuzz.py (not a test).

    python bench/fuzz.py --host 127.0.0.1 --port 4000 --seconds 300 [--seed N]

Several connections fuzz at once: some at the login prompt (random bytes, telnet IAC sequences
cut anywhere, subnegotiations that never end or carry 64 KB, NUL and ESC, invalid UTF-8, 1 MB
lines, thousands of lines, telnet command floods), some logged in to throwaway accounts (random
command lines, and the same raw junk). One bystander player asks `score` every second and must
get its answer within --timeout seconds; a fresh connection every few seconds must get the login
prompt. Progress goes to stderr every 10 s, a JSON summary to stdout at the end. The exit status
is 1 if the bystander ever failed, the server stopped accepting connections, a command got
"Something went wrong" (an exception in the server), or (with --log) the server logged an
exception.

With a server on the default limits (20 connections per address, 20 input lines per second per
connection) the default mix stays within them: each fuzzing connection paces its command lines,
and the connections the server cuts off for flooding are counted, not failures. --skip-options
leaves out subnegotiations of some telnet options (say, a known bug waiting for its fix), so the
fuzz can look for the next one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import string
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mud.client import TelnetClient
from mud.monitor import rss_kib

IAC, DONT, DO, WONT, WILL, SB, SE, NOP = 255, 254, 253, 252, 251, 250, 240, 241
TTYPE, MCCP3 = 24, 87
NEVER = r"(?!)"  # a pattern that never matches: read until the server hangs up or time is up
# exceptions in the server log: ours, and telnetlib3's (which logs the frames line by line)
PROBLEM = re.compile(r'Traceback|event=command_failed|event=session_failed|File "[^"]*", line \d')
EXCEPTION_LINE = re.compile(r"\b(?:\w+\.)*\w*(?:Error|error|Exception|Exit)\b: .*")
INTERESTING_OPTIONS = (0, 1, 3, 5, 6, 18, 24, 31, 32, 33, 34, 36, 39, 42, 69, 70, 85, 86, 87,
                       90, 91, 93, 200, 201)
SB_BYTES = b"\x00\x01\x02\x03\x04\x05\x06aX"  # the structure bytes of most options, and data
INVALID_UTF8 = (b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80\x80\x80", b"\xef\xbf\xbe")
CONTROL = (b"\x00", b"\x1b", b"\x1b[2J\x1b[31m", b"\x1b]0;title\x07", b"\x00" * 64,
           b"\x1b" * 64, b"\x08\x7f\x08", b"\x07\x0b\x0c", b"\r\x00", b"\x9b31m")
NEWLINES = (b"\r\n", b"\n", b"\r", b"\n\r", b"\r\r\n")
VERBS = ("look", "l", "get", "take", "drop", "give", "say", "'", ":", "emote", "tell", "who",
         "score", "sc", "inventory", "i", "inv", "help", "?", "exits", "go", "north", "n", "south",
         "s", "east", "e", "west", "w", "up", "u", "down", "d", "gate", "at", "to",
         "list", "buy", "sell", "value", "repair", "junk", "sacrifice", "sleep", "whisper",
         "shout", "ignore", "title", "afk", "follow", "group", "gtell", "where", "scan", "map",
         "alias", "unalias", "brief", "compact", "wimpy", "autoloot", "socials", "smile",
         "poke", "bug", "news", "motd", "mail", "commands", "finger")
TARGETS = ("2.x", "all.", "all", "all.coin", "all.all", "coin", "sword", "0.sword", "-1.sword",
           "1.", ".", "..", "2.", "3 coin", "0 coin", "-3 coin", "999999999999999999999 coin",
           "9" * 300 + ".sword", "1e9", "self", "²", "².coin", "① coin", "٣ coin", "３.coin",
           "%s%n%x", "'\";--", "\u202e", "\ufeff", "ǅ", "İ", "ß")
DROP_REASONS = (("flood", "input flood"), ("too fast", "input flood"),
                ("Too many attempts", "login attempts"), ("Too many connections", "per address"),
                ("busy", "server busy"), ("timed out", "timeout"), ("Goodbye", "goodbye"))


# -- junk ---------------------------------------------------------------------------------------

class Junk:
    """Random hostile input from one seeded generator."""

    def __init__(self, rnd: random.Random, skip_options: set[int]) -> None:
        self.rnd = rnd
        self.options = [o for o in INTERESTING_OPTIONS if o not in skip_options]
        self.skip = skip_options

    def option(self) -> int:
        rnd = self.rnd
        while True:
            opt = rnd.choice(self.options) if rnd.random() < 0.7 else rnd.randrange(256)
            if opt not in self.skip:
                return opt

    def iac_piece(self) -> bytes:
        rnd = self.rnd
        kind = rnd.randrange(4)
        if kind == 0:
            return bytes([IAC])
        if kind == 1:
            return bytes([IAC, rnd.randrange(236, 256)])
        if kind == 2:
            return bytes([IAC, rnd.choice((DO, DONT, WILL, WONT)), self.option()])
        if rnd.random() < 0.5:
            body = bytes(rnd.choice(SB_BYTES) for _ in range(rnd.randrange(12)))
        else:
            body = rnd.randbytes(rnd.randrange(48))
        if rnd.random() < 0.7:
            body = body.replace(b"\xff", b"\xff\xff")
        end = rnd.choice((bytes([IAC, SE]), bytes([IAC, SE]), b"", bytes([IAC])))
        return bytes([IAC, SB, self.option()]) + body + end

    def text(self) -> bytes:
        rnd = self.rnd
        top = rnd.choice((0x80, 0x800, 0x10000, 0x110000))
        return "".join(chr(rnd.randrange(top)) for _ in range(rnd.randrange(1, 40))).encode(
            "utf-8", "surrogatepass")

    def piece(self) -> bytes:
        rnd = self.rnd
        kind = rnd.choices(range(9), weights=(3, 4, 1, 1, 1, 1, 1, 1, 1))[0]
        if kind == 0:
            data = rnd.randbytes(rnd.randrange(1, 512))
            return data.replace(b"\xff\xfa", b"\xff\xf1") if self.skip else data
        if kind == 1:
            return self.iac_piece()
        if kind == 2:
            return rnd.choice(CONTROL)
        if kind == 3:
            return rnd.choice(INVALID_UTF8)
        if kind == 4:
            return self.text()
        if kind == 5:
            return rnd.choice(NEWLINES)
        if kind == 6:
            return (rnd.randbytes(rnd.randrange(6)).replace(b"\n", b"") + b"\r\n") * (
                rnd.randrange(60))
        if kind == 7:
            return b"x" * rnd.randrange(4000, 4200)
        return rnd.choice((b"look", b"score", b"connect", b"create", b"say hi", b"help"))

    def big(self) -> tuple[str, list[bytes]]:
        """The rare big cases: each a few writes."""
        rnd = self.rnd
        choices = ["sb-64k", "sb-open-64k", "line-1mb", "lines-3000", "nop-flood", "do-flood",
                   "nul-esc", "junk-2mb"]
        if MCCP3 not in self.skip:
            choices.append("mccp3")
        kind = rnd.choice(choices)
        if kind == "sb-64k":
            data = [bytes([IAC, SB, TTYPE]) + b"y" * 65536 + bytes([IAC, SE])]
        elif kind == "sb-open-64k":
            data = [bytes([IAC, SB, TTYPE]) + b"y" * 65536]
        elif kind == "line-1mb":
            data = [b"say " + b"A" * (1 << 20) + b"\r\n"]
        elif kind == "lines-3000":
            data = [(rnd.choice((b"score", b"x", b"look", b"")) + b"\r\n") * 3000]
        elif kind == "nop-flood":
            data = [bytes([IAC, NOP]) * 100_000]
        elif kind == "do-flood":
            data = [bytes(b for i in range(30_000) for b in (IAC, DO, i % 256))]
        elif kind == "nul-esc":
            data = [b"\x00\x1b" * 200_000 + b"\r\n"]
        elif kind == "junk-2mb":
            data = [rnd.randbytes(2 << 20).replace(b"\n", b"n").replace(b"\xff", b"f")]
        else:  # MCCP3 is never offered; a client may still switch its input to zlib
            data = [bytes([IAC, SB, MCCP3, IAC, SE]), zlib.compress(b"\0" * (4 << 20))]
        return kind, data

    def case(self) -> tuple[str, list[bytes]]:
        rnd = self.rnd
        if rnd.random() < 0.04:
            return self.big()
        return "small", [b"".join(self.piece() for _ in range(rnd.randrange(1, 7)))
                         for _ in range(rnd.randrange(1, 5))]

    def command(self) -> str:
        rnd = self.rnd
        kind = rnd.randrange(5)
        if kind == 0:
            words = [rnd.choice(VERBS)] + [rnd.choice(TARGETS + VERBS)
                                           for _ in range(rnd.randrange(5))]
            line = " ".join(words)
        elif kind == 1:
            line = rnd.choice(VERBS) + " " + " ".join(
                str(rnd.randint(-(10**12), 10**12)) for _ in range(rnd.randrange(1, 4)))
        elif kind == 2:
            line = self.text().decode("utf-8", "replace")
        elif kind == 3:
            line = "".join(rnd.choice(string.printable) for _ in range(rnd.randrange(200)))
        else:
            line = " ".join([rnd.choice(VERBS)] * rnd.randrange(50, 900))
        return line.replace("\r", " ").replace("\n", " ")


# -- shared state -------------------------------------------------------------------------------

@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    cases: int = 0
    bytes_sent: int = 0
    commands: int = 0
    connections: int = 0
    dropped_by_server: int = 0
    drop_reasons: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    connect_errors: int = 0
    accounts_created: int = 0
    logins: int = 0
    something_went_wrong: int = 0
    bystander_checks: int = 0
    bystander_failures: int = 0
    bystander_rtt_max: float = 0.0
    bystander_rtt_total: float = 0.0
    window_rtt_max: float = 0.0
    accept_checks: int = 0
    accept_failures: int = 0
    rss_max_kib: int = 0
    log_problems: int = 0
    log_samples: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        stamp = f"[{time.monotonic() - self.started:.0f}s] "
        print("FAIL " + stamp + message, file=sys.stderr, flush=True)
        if len(self.failures) < 20:
            self.failures.append(stamp + message)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stats = Stats()
        self.deadline = time.monotonic() + args.seconds
        self.stop = asyncio.Event()
        self.seed = args.seed if args.seed is not None else random.randrange(1 << 30)
        self.skip = {int(x) for x in args.skip_options.split(",") if x.strip()}
        self.log_offset = Path(args.log).stat().st_size if args.log else 0
        self.in_traceback = False

    def read_log(self) -> None:
        """Count the exceptions the server logged since the last look (--log)."""
        if not self.args.log:
            return
        with open(self.args.log, "rb") as log:
            log.seek(self.log_offset)
            data = log.read()
        cut = data.rfind(b"\n") + 1  # whole lines only
        self.log_offset += cut
        for line in data[:cut].decode("utf-8", "replace").splitlines():
            if PROBLEM.search(line):
                self.in_traceback = True
            elif self.in_traceback and (match := EXCEPTION_LINE.search(line)):
                self.in_traceback = False
                self.stats.log_problems += 1
                sample = match.group(0)[:160]
                if sample not in self.stats.log_samples and len(self.stats.log_samples) < 10:
                    self.stats.log_samples.append(sample)

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    async def open(self, timeout: float = 5.0) -> TelnetClient | None:
        try:
            client = await TelnetClient.connect(self.args.host, self.args.port, timeout)
        except (OSError, TimeoutError):
            self.stats.connect_errors += 1
            return None
        self.stats.connections += 1
        return client

    def dropped(self, client: TelnetClient) -> None:
        self.stats.dropped_by_server += 1
        tail = client.text[-300:]
        reason = next((label for word, label in DROP_REASONS if word in tail),
                      "no message seen (reset while sending)")
        self.stats.drop_reasons[reason] += 1


async def hang_up(client: TelnetClient) -> None:
    client.in_game = False
    client._writer.close()
    with contextlib.suppress(ConnectionError, OSError, TimeoutError):
        await asyncio.wait_for(client._writer.wait_closed(), 5)


async def send(run: Run, client: TelnetClient, writes: list[bytes]) -> bool:
    """Send the writes; False when the server hung up meanwhile."""
    try:
        for data in writes:
            client.send_raw(data)
            await asyncio.wait_for(client._writer.drain(), 30)
            run.stats.bytes_sent += len(data)
            await asyncio.sleep(0.002)
    except (ConnectionError, OSError, TimeoutError):
        return False
    return True


async def linger(client: TelnetClient, seconds: float) -> bool:
    """Read for a while; False when the server hung up."""
    try:
        await client.read_until(NEVER, seconds)
    except TimeoutError:
        return True
    except (ConnectionError, OSError):
        return False
    return True


async def ask(client: TelnetClient, line: str, expect: str, timeout: float) -> str:
    """Send line and read prompt-ended replies until expect appears (others' messages may come
    first). Raises TimeoutError or ConnectionError."""
    text = ""
    async with asyncio.timeout(timeout):
        await client.drain()
        client.send(line)
        while expect not in text:
            text += await client.read_prompt(timeout)
    return text


# -- the workers --------------------------------------------------------------------------------

async def login_fuzzer(run: Run, index: int) -> None:
    """Fresh connections at the login prompt, one random case each."""
    junk = Junk(random.Random(f"{run.seed} login {index}"), run.skip)
    while run.running():
        kind, writes = junk.case()
        early = junk.rnd.random() < 0.2
        client = await run.open()
        if client is None:
            await asyncio.sleep(0.5)
            continue
        try:
            if not early:
                await client.read_until("Username: ", 10)
            ok = await send(run, client, writes)
            run.stats.cases += 1
            run.stats.kinds[kind] += 1
            if not ok or not await linger(client, junk.rnd.choice((0.01, 0.1, 0.5))):
                run.dropped(client)
        except (ConnectionError, OSError):
            run.dropped(client)
        except TimeoutError:
            pass  # no banner within 10 s: the accept check and the bystander judge the server
        finally:
            await hang_up(client)


class Account:
    def __init__(self, run: Run, rnd: random.Random, index: int) -> None:
        self.run = run
        self.rnd = rnd
        self.index = index
        self.username = ""
        self.password = ""

    async def enter(self) -> TelnetClient | None:
        """Log in to the current account, or create a new one; None if neither worked."""
        run = self.run
        client = await run.open()
        if client is None:
            return None
        try:
            if self.username:
                reply = await asyncio.wait_for(client.login(self.username, self.password), 20)
                if "Welcome" in reply:
                    run.stats.logins += 1
                    return client
                await hang_up(client)
                client = await run.open()
                if client is None:
                    return None
            letters = string.ascii_lowercase
            self.username = "fz" + "".join(self.rnd.choices(letters + string.digits, k=12))
            self.password = "".join(self.rnd.choices(letters, k=16))
            name = "Fz" + "".join(self.rnd.choices(letters, k=10))
            await asyncio.wait_for(client.create(self.username, self.password,
                                                 f"{self.username}@fuzz.example", name), 20)
            run.stats.accounts_created += 1
            return client
        except (ConnectionError, OSError, TimeoutError):
            await hang_up(client)
            self.username = ""
            return None


async def game_fuzzer(run: Run, index: int) -> None:
    """A throwaway character: random command lines (paced), and raw junk after which it hangs
    up and logs in again."""
    junk = Junk(random.Random(f"{run.seed} game {index}"), run.skip)
    account = Account(run, junk.rnd, index)
    client: TelnetClient | None = None
    while run.running():
        if client is None:
            client = await account.enter()
            if client is None:
                await asyncio.sleep(1.0)
                continue
        try:
            if junk.rnd.random() < 0.7:
                for _ in range(junk.rnd.randrange(5, 30)):
                    if not run.running():
                        break
                    line = junk.command()
                    reply = await asyncio.wait_for(client.command(line, timeout=15), 20)
                    run.stats.commands += 1
                    if "Something went wrong" in reply:
                        run.stats.something_went_wrong += 1
                        run.stats.fail(f"'Something went wrong' for the command {line[:200]!r}")
                    if "too fast" in reply:
                        await asyncio.sleep(2.0)
                    await asyncio.sleep(1 / run.args.rate)
            else:
                kind, writes = junk.case()
                ok = await send(run, client, writes)
                run.stats.cases += 1
                run.stats.kinds["game " + kind] += 1
                if not ok or not await linger(client, 0.1):
                    run.dropped(client)
                await hang_up(client)
                client = None
        except (ConnectionError, OSError):
            run.dropped(client)
            await hang_up(client)
            client = None
        except TimeoutError:
            run.stats.fail("a fuzzing character got no reply within 15 s")
            await hang_up(client)
            client = None
    if client is not None:
        await hang_up(client)


async def bystander(run: Run) -> None:
    """A separate player whose `score` must come back within the timeout, every second."""
    account = Account(run, random.Random(f"{run.seed} bystander"), -1)
    client = None
    outage_since: float | None = None
    while run.running():
        next_check = time.monotonic() + 1.0
        if client is None:
            client = await account.enter()
            if client is None:
                run.stats.bystander_failures += 1
                run.stats.fail("the bystander could not log in")
                outage_since = outage_since or time.monotonic()
        if client is not None:
            started = time.monotonic()
            try:
                await ask(client, "score", "normal rank", run.args.timeout)
                rtt = time.monotonic() - started
                run.stats.bystander_checks += 1
                run.stats.bystander_rtt_total += rtt
                run.stats.bystander_rtt_max = max(run.stats.bystander_rtt_max, rtt)
                run.stats.window_rtt_max = max(run.stats.window_rtt_max, rtt)
                if outage_since is not None:
                    run.stats.fail(f"the bystander is served again after "
                                   f"{time.monotonic() - outage_since:.1f}s")
                    outage_since = None
            except (TimeoutError, ConnectionError, OSError) as exc:
                run.stats.bystander_failures += 1
                run.stats.fail(f"the bystander's score got no answer within {run.args.timeout}s "
                               f"({type(exc).__name__})")
                outage_since = outage_since or started
                await hang_up(client)
                client = None
        if outage_since is not None and time.monotonic() - outage_since > run.args.give_up:
            run.stats.fail(f"no recovery in {run.args.give_up:.0f}s: stopping")
            run.stop.set()
        await asyncio.sleep(max(0.0, next_check - time.monotonic()))
    if client is not None:
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await asyncio.wait_for(client.quit(), 5)
        await hang_up(client)


async def accept_check(run: Run) -> None:
    """Every few seconds a new connection must get the login prompt (or a polite refusal)."""
    failures_in_a_row = 0
    while run.running():
        run.stats.accept_checks += 1
        client = await run.open()
        ok = False
        if client is not None:
            try:
                await client.read_until(r"Username: |Too many connections", run.args.timeout)
                ok = True
            except (ConnectionError, OSError, TimeoutError):
                pass
            await hang_up(client)
        if ok:
            failures_in_a_row = 0
        else:
            failures_in_a_row += 1
            run.stats.accept_failures += 1
            run.stats.fail("a new connection got no login prompt")
            if failures_in_a_row >= 3:
                run.stats.fail("the server stopped accepting connections: stopping")
                run.stop.set()
        await asyncio.sleep(5.0)


async def reporter(run: Run) -> None:
    while run.running():
        await asyncio.sleep(min(10.0, max(0.1, run.deadline - time.monotonic())))
        s = run.stats
        run.read_log()
        rss = ""
        if run.args.pid:
            kib = rss_kib(run.args.pid)
            s.rss_max_kib = max(s.rss_max_kib, kib)
            rss = f" server_rss={kib / 1024:.0f}MiB"
        print(f"[{time.monotonic() - s.started:4.0f}s] cases={s.cases} commands={s.commands} "
              f"sent={s.bytes_sent / 1e6:.1f}MB connections={s.connections} "
              f"dropped_by_server={s.dropped_by_server} accounts={s.accounts_created} "
              f"bystander_rtt_max={s.window_rtt_max * 1000:.0f}ms (run "
              f"{s.bystander_rtt_max * 1000:.0f}ms) bystander_failures={s.bystander_failures} "
              f"accept_failures={s.accept_failures}{rss}"
              + (f" log_exceptions={s.log_problems}" if run.args.log else ""),
              file=sys.stderr, flush=True)
        s.window_rtt_max = 0.0


async def sample_rss(run: Run) -> None:
    while run.args.pid and run.running():
        run.stats.rss_max_kib = max(run.stats.rss_max_kib, rss_kib(run.args.pid))
        await asyncio.sleep(0.2)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--login-fuzzers", type=int, default=4)
    parser.add_argument("--game-fuzzers", type=int, default=3)
    parser.add_argument("--rate", type=float, default=8.0,
                        help="command lines per second per logged-in fuzzer (default 8)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds the bystander may wait for its reply (default 5)")
    parser.add_argument("--give-up", type=float, default=30.0,
                        help="stop after the bystander has failed for this long (default 30)")
    parser.add_argument("--skip-options", default="",
                        help="telnet options whose subnegotiations to leave out, e.g. 31,42,69,87")
    parser.add_argument("--pid", type=int, default=0,
                        help="the server's process id, to report its memory (same machine)")
    parser.add_argument("--log", default="",
                        help="the server's log file, to count the exceptions it logs (fails the"
                             " run if any)")
    args = parser.parse_args()
    run = Run(args)
    print(f"fuzzing {args.host}:{args.port} for {args.seconds:.0f}s, seed {run.seed}",
          file=sys.stderr, flush=True)
    workers = [asyncio.create_task(bystander(run)), asyncio.create_task(accept_check(run)),
               asyncio.create_task(reporter(run)), asyncio.create_task(sample_rss(run))]
    await asyncio.sleep(1.0)  # the bystander first, so that it sees the whole run
    workers += [asyncio.create_task(login_fuzzer(run, i)) for i in range(args.login_fuzzers)]
    workers += [asyncio.create_task(game_fuzzer(run, i)) for i in range(args.game_fuzzers)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(run.stop.wait(), max(0.0, run.deadline - time.monotonic()))
    run.stop.set()
    _, late = await asyncio.wait(workers, timeout=35)  # every await inside has a timeout
    for task in late:
        task.cancel()
    s = run.stats
    await asyncio.sleep(0.5)
    run.read_log()
    summary = {
        "host": args.host, "port": args.port, "seed": run.seed,
        "seconds": round(time.monotonic() - s.started, 1),
        "cases": s.cases, "commands": s.commands, "bytes_sent": s.bytes_sent,
        "connections": s.connections, "connect_errors": s.connect_errors,
        "dropped_by_server": s.dropped_by_server, "drop_reasons": dict(s.drop_reasons),
        "case_kinds": dict(s.kinds), "accounts_created": s.accounts_created,
        "logins": s.logins, "something_went_wrong": s.something_went_wrong,
        "bystander_checks": s.bystander_checks, "bystander_failures": s.bystander_failures,
        "bystander_rtt_max_ms": round(s.bystander_rtt_max * 1000, 1),
        "bystander_rtt_avg_ms": round(s.bystander_rtt_total * 1000 / s.bystander_checks, 1)
        if s.bystander_checks else None,
        "accept_checks": s.accept_checks, "accept_failures": s.accept_failures,
        "server_rss_max_mib": round(s.rss_max_kib / 1024, 1) if args.pid else None,
        "log_exceptions_count": s.log_problems if args.log else None,
        "log_exceptions": s.log_samples,
        "failures": s.failures,
        "ok": not (s.bystander_failures or s.accept_failures or s.something_went_wrong
                   or s.log_problems),
    }
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main()))
    sys.exit(130)
