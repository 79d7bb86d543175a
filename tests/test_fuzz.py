"""Hostile input, fuzzed: the short run for CI (the long one is bench/fuzz.py).

Raw byte streams (random bytes; telnet IAC sequences cut at every position, subnegotiations
that never end or carry 64 KB; NUL and ESC; invalid UTF-8; a 1 MB line; thousands of lines in one
write) go to fresh connections at the login prompt and to a logged-in character, and random
command lines to a character. After every case the server must still run, a bystander player must
still get its replies, and the server log must show no exception. Memory must stay bounded.

This module runs its own server (it overrides the `server` fixture, which `connect` and `player`
then use): an input that hangs or kills the server must not take down the server the other test
modules share. A watchdog kills the server if its memory runs away; a server that stopped
answering is killed at once and restarted before the next test.

MUD_FUZZ_EXAMPLES=10 multiplies the number of random cases for a longer local run;
MUD_FUZZ_SEED=N draws other random byte streams (a failure names its case and seed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import time
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import NoReturn

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bench.fuzz import TARGETS, VERBS
from mud.client import TelnetClient
from mud.monitor import rss_kib
from tests.conftest import PASSWORD, ServerProcess, new_name

IAC, DONT, DO, WONT, WILL, SB, SE, NOP = 255, 254, 253, 252, 251, 250, 240, 241
TTYPE, NAWS, CHARSET, MSDP, GMCP, MCCP3 = 24, 31, 42, 69, 201, 87

BYSTANDER_TIMEOUT = 5.0  # seconds the bystander may wait for a reply
BYSTANDER_ROOM = "Village Square"
SESSION_END_TIMEOUT = 10.0  # seconds from hanging up to the server's event=disconnect
MEMORY_BOUND_MIB = 50
WATCHDOG_LIMIT_MIB = 1024  # beyond this the server is killed, before it takes the machine down
EXAMPLES = int(os.environ.get("MUD_FUZZ_EXAMPLES", "1"))

# Exceptions in the server log: our own (Traceback, event=...) and telnetlib3's, which logs the
# frames of an exception raised in its option handlers as separate WARNING lines.
PROBLEM = re.compile(r'Traceback|event=command_failed|event=session_failed|File "[^"]*", line \d')
EXCEPTION_LINE = re.compile(r"\b(?:\w+\.)*\w*(?:Error|error|Exception|Exit)\b: .*")

FUZZ_SETTINGS = settings(
    deadline=None,
    derandomize=True,  # CI runs the same cases every time; bench/fuzz.py explores
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: replays against a server are slow
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


# -- the server under test ----------------------------------------------------------------------

def rss_mib(pid: int) -> float:
    return rss_kib(pid) / 1024


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


NOTES: list[str] = []  # what the watchdog did
BROKEN: list[str] = []  # why the server was killed during this test (later examples repeat it)


def fail(message: str) -> NoReturn:
    """Every failure of the server's health is raised here, so that Hypothesis sees the same
    failure when it replays an example against the (killed) server."""
    raise AssertionError(message)


async def watch_memory(server: ServerProcess) -> None:
    while True:
        proc = server.proc
        if proc is not None and proc.returncode is None:
            mib = rss_mib(proc.pid)
            if mib > WATCHDOG_LIMIT_MIB:
                NOTES.append(f"the watchdog killed the server at {mib:.0f} MiB RSS")
                proc.kill()
        await asyncio.sleep(0.05)


async def answers(server: ServerProcess, timeout: float = 3.0) -> bool:
    """The server runs and a new connection gets the login prompt."""
    if server.proc is None or server.proc.returncode is not None:
        return False
    try:
        client = await TelnetClient.connect("127.0.0.1", server.port, timeout=timeout)
    except (OSError, TimeoutError):
        return False
    try:
        await client.read_until("Username: ", timeout)
        return True
    except (OSError, ConnectionError, TimeoutError):
        return False
    finally:
        await client.close()


async def kill(server: ServerProcess) -> None:
    if server.proc is not None and server.proc.returncode is None:
        server.proc.kill()
        await server.proc.wait()


async def give_up(server: ServerProcess, message: str) -> NoReturn:
    """The server stopped serving: describe its state, kill it (so that nothing else waits on
    it; the next test starts it again) and fail."""
    assert server.proc is not None
    pid = server.proc.pid
    if server.proc.returncode is None:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        busy = (cpu_seconds(pid) - before) / 0.5
        message += (f"\n[server: RSS {rss_mib(pid):.0f} MiB, CPU {busy:.0%} over the last half"
                    " second; killed]")
    else:
        message += f"\n[server exited with {server.proc.returncode}]"
    message += "".join(f"\n[{note}]" for note in NOTES)
    BROKEN.append(message)
    await kill(server)
    fail(message)


@pytest_asyncio.fixture(scope="module")
async def server(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[ServerProcess]:
    """This module's own server (see the module docstring), watched for runaway memory."""
    proc = await ServerProcess(make_database(),
                               tmp_path_factory.mktemp("fuzz") / "server.log").start()
    watchdog = asyncio.create_task(watch_memory(proc))
    yield proc
    watchdog.cancel()
    if await answers(proc):
        with contextlib.suppress(TimeoutError):
            await proc.stop(signal.SIGTERM, timeout=15)
    await kill(proc)


@pytest_asyncio.fixture(autouse=True)
async def answering_server(server: ServerProcess) -> AsyncIterator[None]:
    """Restart the module's server if an earlier test left it dead or hung."""
    if not await answers(server):
        await kill(server)
        await server.start()
    NOTES.clear()
    BROKEN.clear()
    yield


# -- watching the log, the bystander, the end of a session --------------------------------------

class LogWatch:
    """What the server logged since the watch began, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size
        self.text = ""
        self.checked = 0  # problems before this point have been reported already

    def read(self) -> str:
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            more = log.read()
        self.offset += len(more)
        self.text += more.decode("utf-8", errors="replace")
        return self.text

    def new_problems(self) -> list[str]:
        """Lines showing an exception logged since the last call, each followed by the
        exception itself when telnetlib3 logged it frame by frame."""
        text = self.read()
        new, self.checked = text[self.checked:], len(text)
        problems = [line for line in new.splitlines() if PROBLEM.search(line)]
        exceptions = [m.group(0) for line in new.splitlines()
                      if "File " not in line and (m := EXCEPTION_LINE.search(line))]
        return problems + exceptions[-1:] if problems else []


class Pacer:
    """A token bucket below the server's input rate (20 lines/s, bursts of 100), so that the
    fuzzing and checking connections are not cut off as floods."""

    def __init__(self, rate: float = 15.0, burst: float = 60.0) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            await asyncio.sleep((1 - self.tokens) / self.rate)
            self.tokens = 1.0
            self.at = time.monotonic()
        self.tokens -= 1


class Bystander:
    """A separate player that must keep getting correct replies whatever the fuzz does."""

    def __init__(self, client: TelnetClient, name: str) -> None:
        self.client = client
        self.name = name
        self.pacer = Pacer()
        self.checks = 0
        self.worst = 0.0

    async def ask(self, line: str, expect: str) -> str | None:
        """Send line and read replies (others' messages may come first) until expect appears.
        Returns None, or what went wrong."""
        await self.pacer.wait()
        started = time.monotonic()
        text = ""
        try:
            async with asyncio.timeout(BYSTANDER_TIMEOUT):
                await self.client.drain()
                self.client.send(line)
                while expect not in text:
                    text += await self.client.read_prompt(BYSTANDER_TIMEOUT)
        except (TimeoutError, ConnectionError, OSError) as exc:
            return (f"the bystander got no {expect!r} for {line!r} within {BYSTANDER_TIMEOUT}s "
                    f"({type(exc).__name__}); it got {text[-200:]!r}")
        self.worst = max(self.worst, time.monotonic() - started)
        return None


@pytest_asyncio.fixture
async def bystander(server: ServerProcess, player) -> AsyncIterator[Bystander]:
    client, name = await player()
    yield Bystander(client, name)
    if not await answers(server, timeout=2.0):
        await kill(server)  # so that closing the clients does not wait on a hung server


def describe(case: object, limit: int = 600) -> str:
    """A short printable form of a fuzz case (which may hold megabytes)."""
    if isinstance(case, bytes | bytearray):
        text = repr(bytes(case[:200])) + (f"... ({len(case)} bytes)" if len(case) > 200 else "")
    elif isinstance(case, list | tuple):
        text = "[" + ", ".join(describe(part, 200) for part in case) + "]"
    else:
        text = str(case)
    return text if len(text) <= limit else text[:limit] + "..."


async def assert_healthy(server: ServerProcess, bystander: Bystander, log: LogWatch,
                         case: object) -> None:
    """After a fuzz case: the server runs, logged no exception, and the bystander is served."""
    what = describe(case)
    assert server.proc is not None
    if server.proc.returncode is not None:
        await give_up(server, f"the server died after {what}")
    bystander.checks += 1
    problem = await bystander.ask("score", "normal rank")
    if problem is None and bystander.checks % 10 == 1:
        problem = await bystander.ask("look", BYSTANDER_ROOM)
    if problem is not None:
        await give_up(server, f"after {what}: {problem}")
    problems = log.new_problems()
    if problems:
        fail(f"the server logged an exception after {what}:\n" + "\n".join(problems[:30]))


def check_broken() -> None:
    """An earlier Hypothesis example of this test killed the server: report that again."""
    if BROKEN:
        fail(BROKEN[0])


def local_port(client: TelnetClient) -> int:
    return client._writer.get_extra_info("sockname")[1]


async def write(client: TelnetClient, data: bytes) -> bool:
    """Send data and wait until the socket took it; False when the server has hung up."""
    try:
        client.send_raw(data)
        await asyncio.wait_for(client._writer.drain(), 30)
    except (ConnectionError, OSError):
        return False
    return True


async def hang_up(server: ServerProcess, client: TelnetClient, log: LogWatch) -> None:
    """Close the connection and wait for the server to log the end of its session: then it has
    consumed everything sent (a session that never ends is a failure too).

    A session starts once telnet negotiation is over (at most half a second); a connection
    closed before that never has one, so first wait for the start (or the server hanging up)."""
    port = local_port(client)
    started = re.compile(rf"event=connect address=127\.0\.0\.1:{port}(?!\d)")
    deadline = time.monotonic() + 3.0
    while (not started.search(log.read()) and not client._reader.at_eof()
           and time.monotonic() < deadline):
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await client.read_until("never-sent-by-the-server", 0.01)
    client.in_game = False  # no polite quit: the fuzz leaves characters link-dead
    client._writer.close()
    if not started.search(log.read()):
        return
    ended = re.compile(rf"event=disconnect address=127\.0\.0\.1:{port}(?!\d)")
    deadline = time.monotonic() + SESSION_END_TIMEOUT
    while not ended.search(log.read()):
        if time.monotonic() > deadline:
            await give_up(server, f"the session on port {port} did not end "
                                  f"{SESSION_END_TIMEOUT}s after the client hung up")
        await asyncio.sleep(0.01)


async def fuzz_account(connect) -> str:
    """A new account and character for fuzzing, left link-dead (logged in again as needed)."""
    client = await connect()
    name = new_name()
    await client.create(name, PASSWORD, f"{name}@example.com")
    client.in_game = False
    client._writer.close()
    return name


@pytest_asyncio.fixture
async def fuzz_character(connect) -> str:
    return await fuzz_account(connect)


async def in_game(connect, name: str) -> TelnetClient:
    """A new connection logged in to the fuzzing character (which may be link-dead)."""
    client = await connect()
    await client.login(name, PASSWORD)
    return client


@pytest.fixture
def log(server: ServerProcess) -> LogWatch:
    return LogWatch(server.log_path)


# -- telnet sequences cut at every position -----------------------------------------------------

WELL_FORMED = {
    "nop": bytes([IAC, NOP]),
    "iac-iac": bytes([IAC, IAC]),
    "do-echo": bytes([IAC, DO, 1]),
    "will-naws": bytes([IAC, WILL, NAWS]),
    "dont-wont": bytes([IAC, DONT, 200, IAC, WONT, 201]),
    "naws": bytes([IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE]),
    "naws-escaped-iac": bytes([IAC, SB, NAWS, 0, IAC, IAC, 0, 24, IAC, SE]),
    "ttype-is": bytes([IAC, SB, TTYPE, 0]) + b"xterm" + bytes([IAC, SE]),
    "unknown-sb": bytes([IAC, SB, 0x99]) + b"junk" + bytes([IAC, SE]),
    "gmcp": bytes([IAC, SB, GMCP]) + b"Core.Hello {}" + bytes([IAC, SE]),
}
IN_GAME_CUTS = ("nop", "do-echo", "will-naws", "naws", "unknown-sb")


async def test_iac_sequences_cut_at_every_position(server, connect, bystander, log) -> None:
    """Each sequence split over two writes at every byte (so IAC, IAC SB, IAC SB NAWS 0 ... end
    a write): the session then still reads lines, at the login prompt and in the game."""
    for label, seq in WELL_FORMED.items():
        for cut in range(len(seq) + 1):
            client = await connect()
            await client.read_until("Username: ")
            await write(client, seq[:cut])
            await asyncio.sleep(0.003)  # let the first part arrive on its own
            await write(client, seq[cut:] + b"\r\nconnect\r\n")
            await client.read_until("Scripts may use", 5)
            await hang_up(server, client, log)
        await assert_healthy(server, bystander, log, f"{label} cut at every position")

    client = await in_game(connect, await fuzz_account(connect))
    pacer = Pacer()
    for label in IN_GAME_CUTS:
        seq = WELL_FORMED[label]
        for cut in range(len(seq) + 1):
            await pacer.wait()
            await write(client, seq[:cut])
            await asyncio.sleep(0.003)
            await write(client, seq[cut:] + f"help zz{label}{cut}\r\n".encode())
            await client.read_until(f"no help on 'zz{label}{cut}'", 5)
        await assert_healthy(server, bystander, log, f"in game: {label} cut at every position")
    await hang_up(server, client, log)


# -- malformed subnegotiations: handlers that raise, hang or inflate ----------------------------

MALFORMED_SB = {
    "naws-too-short": bytes([IAC, SB, NAWS, 0, IAC, SE]),
    "naws-too-long": bytes([IAC, SB, NAWS, 0, 80, 0, 24, 7, IAC, SE]),
    "charset-request-empty": bytes([IAC, SB, CHARSET, 1, IAC, SE]),
    "charset-ttable-is": bytes([IAC, SB, CHARSET, 5, IAC, SE]),
    "tspeed-garbage": bytes([IAC, SB, 32, 0, 1, 2, IAC, SE]),
    "environ-garbage": bytes([IAC, SB, 39, 0, 3, 1, 2, 0xC3, IAC, SE]),
    "ttype-invalid-utf8": bytes([IAC, SB, TTYPE, 0, 0xC3, 0x28, 0xFE, IAC, SE]),
    "gmcp-not-json": bytes([IAC, SB, GMCP]) + b"Core.Hello {nope" + bytes([IAC, SE]),
    "linemode-garbage": bytes([IAC, SB, 34, 3, 1, 2, IAC, SE]),
    "status-garbage": bytes([IAC, SB, 5, 0, 1, IAC, SE]),
    "mssp-garbage": bytes([IAC, SB, 70, 1, 2, 1, IAC, SE]),
}


async def test_malformed_subnegotiations_log_no_exceptions(server, connect, bystander,
                                                           log) -> None:
    """A subnegotiation the server cannot parse is ignored: the session goes on and the log
    shows no exception. (telnetlib3 logs a dozen lines per exception: a few bytes of input
    would otherwise write over a kilobyte of log and hold up the event loop.)"""
    failures = []
    for label, payload in MALFORMED_SB.items():
        client = await connect()
        await client.read_until("Username: ")
        await write(client, payload + b"\r\nconnect\r\n")
        await client.read_until("Scripts may use", 5)
        await hang_up(server, client, log)
        problems = log.new_problems()
        if problems:
            failures.append(f"{label} ({payload.hex(' ')}): {problems[-1].strip()}")
    await assert_healthy(server, bystander, log, "malformed subnegotiations")
    assert not failures, "exceptions logged for:\n" + "\n".join(failures)


MSDP_VAR, MSDP_VAL, MSDP_TABLE_OPEN, MSDP_ARRAY_OPEN = 1, 2, 3, 5


@pytest.mark.parametrize("payload", [
    # VAR "a" VAL TABLE_OPEN "x": the table parser never moves past "x"
    bytes([IAC, SB, MSDP, MSDP_VAR, 97, MSDP_VAL, MSDP_TABLE_OPEN, 120, IAC, SE]),
    # VAR "a" VAL ARRAY_OPEN "X" VAR: the array parser appends "" forever
    bytes([IAC, SB, MSDP, MSDP_VAR, 97, MSDP_VAL, MSDP_ARRAY_OPEN, 88, MSDP_VAR, IAC, SE]),
], ids=["table", "array"])
async def test_malformed_msdp_cannot_hang_the_server(server, connect, bystander, log,
                                                     payload: bytes) -> None:
    """Ten bytes at the login prompt, before any password: the server must stay responsive."""
    client = await connect()
    await client.read_until("Username: ")
    await write(client, payload + b"\r\nconnect\r\n")
    await assert_healthy(server, bystander, log, payload)
    await client.read_until("Scripts may use", 5)
    await hang_up(server, client, log)


# -- random byte streams ------------------------------------------------------------------------

INTERESTING_OPTIONS = (0, 1, 3, 5, 6, 18, 24, 31, 32, 33, 34, 36, 39, 42, 69, 70, 85, 86, 87,
                       90, 91, 93, 200, 201)
INVALID_UTF8 = (b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80\x80\x80", b"\xef\xbf\xbe")
CONTROL = (b"\x00", b"\x1b", b"\x1b[2J\x1b[31m", b"\x1b]0;title\x07", b"\x00" * 64,
           b"\x1b" * 64, b"\x08\x7f\x08", b"\x07\x0b\x0c", b"\r\x00", b"\x9b31m")
NEWLINES = (b"\r\n", b"\n", b"\r", b"\n\r", b"\r\r\n")
SB_BYTES = b"\x00\x01\x02\x03\x04\x05\x06aX"  # the structure bytes of most options, and data


def option(rnd: random.Random) -> int:
    return rnd.choice(INTERESTING_OPTIONS) if rnd.random() < 0.7 else rnd.randrange(256)


def iac_piece(rnd: random.Random) -> bytes:
    kind = rnd.randrange(4)
    if kind == 0:
        return bytes([IAC])  # IAC alone, possibly at the end of a write
    if kind == 1:
        return bytes([IAC, rnd.randrange(236, 256)])  # NOP, AYT, IAC IAC, SB, SE ...
    if kind == 2:
        return bytes([IAC, rnd.choice((DO, DONT, WILL, WONT)), option(rnd)])
    if rnd.random() < 0.5:  # a subnegotiation: structured (low bytes) or random body
        body = bytes(rnd.choice(SB_BYTES) for _ in range(rnd.randrange(12)))
    else:
        body = rnd.randbytes(rnd.randrange(48))
    if rnd.random() < 0.7:
        body = body.replace(b"\xff", b"\xff\xff")
    end = rnd.choice((bytes([IAC, SE]), bytes([IAC, SE]), b"", bytes([IAC])))  # or never ends
    return bytes([IAC, SB, option(rnd)]) + body + end


def text_piece(rnd: random.Random) -> bytes:
    """Unicode from anywhere, lone surrogates included (invalid UTF-8 once encoded)."""
    top = rnd.choice((0x80, 0x800, 0x10000, 0x110000))
    return "".join(chr(rnd.randrange(top)) for _ in range(rnd.randrange(1, 40))).encode(
        "utf-8", "surrogatepass")


def junk_piece(rnd: random.Random) -> bytes:
    kind = rnd.choices(range(9), weights=(3, 4, 1, 1, 1, 1, 1, 1, 1))[0]
    if kind == 0:
        return rnd.randbytes(rnd.randrange(1, 512))
    if kind == 1:
        return iac_piece(rnd)
    if kind == 2:
        return rnd.choice(CONTROL)
    if kind == 3:
        return rnd.choice(INVALID_UTF8)
    if kind == 4:
        return text_piece(rnd)
    if kind == 5:
        return rnd.choice(NEWLINES)
    if kind == 6:  # many short lines
        return (rnd.randbytes(rnd.randrange(6)).replace(b"\n", b"") + b"\r\n") * rnd.randrange(60)
    if kind == 7:  # around the 4096-byte line cap
        return b"x" * rnd.randrange(4000, 4200)
    return rnd.choice((b"look", b"score", b"connect", b"create", b"say hi", b"help"))


def junk_writes(rnd: random.Random) -> list[bytes]:
    """One case: 1-4 writes of 1-6 pieces each. (The big inputs - a 64 KB subnegotiation, a
    1 MB line, thousands of lines - are in test_floods_and_big_inputs.)"""
    return [b"".join(junk_piece(rnd) for _ in range(rnd.randrange(1, 7)))
            for _ in range(rnd.randrange(1, 5))]


async def send_writes(client: TelnetClient, writes: list[bytes]) -> None:
    for data in writes:
        if not await write(client, data):
            return
        await asyncio.sleep(0.002)  # separate reads on the server, most of the time


SEED = int(os.environ.get("MUD_FUZZ_SEED", "0"))  # another seed explores other cases


async def test_random_bytes_at_the_login_prompt(server, connect, bystander, log) -> None:
    """Fresh connections, each sent one random case; a third send it early, before the banner,
    while telnet negotiation is going on."""
    for case in range(40 * EXAMPLES):
        rnd = random.Random(f"login {SEED} {case}")
        writes = junk_writes(rnd)
        early = rnd.random() < 0.3
        client = await connect()
        if not early:
            await client.read_until("Username: ")
        await send_writes(client, writes)
        await hang_up(server, client, log)
        await assert_healthy(server, bystander, log, f"case {case} (seed {SEED}): "
                                                     f"{describe(writes)}")


async def test_random_bytes_to_a_logged_in_character(server, connect, bystander, log,
                                                     fuzz_character: str) -> None:
    for case in range(20 * EXAMPLES):
        rnd = random.Random(f"game {SEED} {case}")
        writes = junk_writes(rnd)
        client = await in_game(connect, fuzz_character)
        await send_writes(client, writes)
        await hang_up(server, client, log)
        await assert_healthy(server, bystander, log, f"case {case} (seed {SEED}): "
                                                     f"{describe(writes)}")


# -- random command lines -----------------------------------------------------------------------

TOKENS = st.one_of(
    st.sampled_from(VERBS),
    st.sampled_from(TARGETS),
    st.text(max_size=12),
    st.integers(-(10**30), 10**30).map(str),
    st.from_regex(r"[0-9]{1,3}\.[a-z]{0,6}", fullmatch=True),
)
LINES = st.one_of(
    st.lists(TOKENS, max_size=12).map(" ".join),
    st.tuples(st.sampled_from(VERBS), st.lists(TOKENS, max_size=4).map(" ".join)).map(" ".join),
    st.text(max_size=300),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=200),
    st.tuples(st.sampled_from(VERBS), st.integers(50, 900)).map(  # many words, some too long
        lambda t: " ".join([t[0]] * t[1])),
).map(lambda line: line.replace("\r", " ").replace("\n", " "))


class Commander:
    """The fuzzing character's connection: paced, logged in again when the fuzz ends it."""

    def __init__(self, connect, name: str) -> None:
        self.connect = connect
        self.name = name
        self.client: TelnetClient | None = None
        self.pacer = Pacer()
        self.lines = 0

    async def command(self, line: str) -> str:
        if self.client is None:
            self.client = await in_game(self.connect, self.name)
            self.pacer = Pacer()
        await self.pacer.wait()
        self.lines += 1
        try:
            reply = await self.client.command(line, timeout=BYSTANDER_TIMEOUT)
        except ConnectionError:  # `q` is quit; a flood is cut off: both are fine
            self.client = None
            return ""
        if "too fast" in reply:
            await asyncio.sleep(1.0)
        return reply


@pytest_asyncio.fixture
async def commander(connect, fuzz_character: str) -> Commander:
    return Commander(connect, fuzz_character)


@settings(FUZZ_SETTINGS, max_examples=100 * EXAMPLES)
@given(line=LINES)
@example(line="get ² coin")
@example(line="look ².sword")
@example(line="drop ①.coin")
@example(line="give ² coin Someone")
async def test_random_command_lines(server, bystander, log, commander: Commander,
                                    line: str) -> None:
    check_broken()
    try:
        reply = await commander.command(line)
    except TimeoutError:
        await give_up(server, f"no reply to the command {line!r}")
    if "Something went wrong" in reply or log.new_problems():
        problems = log.new_problems() or log.text.splitlines()[-30:]
        fail(f"{line!r} got {reply.strip()!r}; the log:\n" + "\n".join(problems[:30]))
    if commander.lines % 4 == 1:
        await assert_healthy(server, bystander, log, line)


async def test_random_command_lines_with_a_bystander_check_each(server, bystander, log,
                                                                commander: Commander) -> None:
    """Random lines from the same words with a fixed seed, the bystander checked after each."""
    rnd = random.Random(20240611)
    for _ in range(40 * EXAMPLES):
        words = [rnd.choice(VERBS)] + [rnd.choice(TARGETS + VERBS)
                                       for _ in range(rnd.randrange(4))]
        line = " ".join(words)
        reply = await commander.command(line)
        assert "Something went wrong" not in reply, line
        await assert_healthy(server, bystander, log, line)


# -- floods and big inputs ----------------------------------------------------------------------

FLOODS = {
    "thousands-of-lines": b"score\r\n" * 3000,
    "one-mb-line": b"say " + b"A" * (1 << 20) + b"\r\n",
    # one line: without the bytes that end one (a lone CR does too)
    "one-mb-random-line": random.Random(7).randbytes(1 << 20).replace(b"\n", b"").replace(
        b"\r", b"").replace(b"\xff", b"") + b"\r\n",
    "sb-64k": bytes([IAC, SB, TTYPE]) + b"y" * 65536 + bytes([IAC, SE]) + b"\r\n",
    "sb-over-1mib": bytes([IAC, SB, TTYPE]) + b"z" * ((1 << 20) + 4096) + bytes([IAC, SE])
    + b"\r\n",
    "sb-never-ending": bytes([IAC, SB, TTYPE]) + b"never ends " * 100 + b"\r\nscore\r\n",
    "telnet-commands": bytes([IAC, NOP, IAC, DO, 6, IAC, WILL, 3, IAC, IAC]) * 30000,
    "nul-and-esc": b"\x00\x1b" * 200_000 + b"\r\n",
}


@pytest.mark.parametrize("where", ["login", "game"])
@pytest.mark.parametrize("label", list(FLOODS))
async def test_floods_and_big_inputs(server, connect, bystander, log, fuzz_character: str,
                                     label: str, where: str) -> None:
    """Replies, a "too long" message, or a disconnect with a message: never a crash, and the
    bystander is served throughout. The connection then ends its session cleanly."""
    if where == "login":
        client = await connect()
        await client.read_until("Username: ")
    else:
        client = await in_game(connect, fuzz_character)
    sending = asyncio.create_task(write(client, FLOODS[label]))
    await asyncio.sleep(0.05)
    await assert_healthy(server, bystander, log, f"{where}: {label} (while it arrives)")
    await asyncio.wait_for(sending, 30)
    # end an open subnegotiation, then a line whose answer names zzend (a username to create
    # at the login prompt, a help topic in the game), unless the server hung up on the flood
    marker = b"zzend" if where == "login" else b"help zzend"
    await write(client, bytes([IAC, SE]) + b"\r\n" + marker + b"\r\n")
    try:
        text = await client.read_until("zzend", 15)
    except ConnectionError as closed:
        text = str(closed)
        assert re.search(r"flood|too fast|Goodbye|attempts", text, re.I), (
            f"{label}: closed without a message: {text[-300:]!r}")
    assert "Something went wrong" not in text
    await hang_up(server, client, log)
    await assert_healthy(server, bystander, log, f"{where}: {label}")


# -- memory -------------------------------------------------------------------------------------

class MemoryWatch:
    """The server's RSS before some input (base) and its highest since (peak), sampled every
    10 ms while the watch is open."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.base = self.peak = rss_mib(pid)

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mib(self.pid))
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def watching_memory(server, bystander) -> AsyncIterator[MemoryWatch]:
    assert await bystander.ask("score", "normal rank") is None
    await asyncio.sleep(0.3)
    watch = MemoryWatch(server.proc.pid)
    sampler = asyncio.create_task(watch._sample())
    try:
        yield watch
    finally:
        sampler.cancel()


async def test_junk_without_newlines_keeps_memory_bounded(server, connect, bystander,
                                                          log) -> None:
    """Several connections each send megabytes without a newline (lines are capped at 4096
    bytes and the rest discarded), then hang up: memory grows by little, during and after."""
    junk = random.Random(11).randbytes(2 << 20).replace(b"\n", b"n").replace(b"\xff", b"f")
    async with watching_memory(server, bystander) as memory:
        clients = [await connect() for _ in range(4)]
        for client in clients:
            await client.read_until("Username: ")
        await asyncio.gather(*(write(client, junk) for client in clients))
        await assert_healthy(server, bystander, log, "2 MiB without a newline, 4 connections")
        for client in clients:
            await hang_up(server, client, log)
        await asyncio.sleep(0.3)
    after = rss_mib(server.proc.pid)
    assert memory.peak - memory.base < MEMORY_BOUND_MIB, (
        f"RSS {memory.base:.0f} -> peak {memory.peak:.0f} MiB")
    assert after - memory.base < MEMORY_BOUND_MIB, (
        f"RSS {memory.base:.0f} -> {after:.0f} MiB after hang-up")


async def test_compressed_input_cannot_inflate_memory(server, connect, bystander, log) -> None:
    """IAC SB MCCP3 IAC SE (never offered by the server) makes telnetlib3 inflate what follows
    with no size limit: 64 KB of zlib become 64 MiB at once. Memory must stay bounded."""
    async with watching_memory(server, bystander) as memory:
        client = await connect()
        await client.read_until("Username: ")
        await write(client, bytes([IAC, SB, MCCP3, IAC, SE]))
        await asyncio.sleep(0.2)
        await write(client, zlib.compress(b"\0" * (64 << 20), 9))
        await asyncio.sleep(0.5)
        await assert_healthy(server, bystander, log, "MCCP3 and 64 MiB of compressed zeros")
        await hang_up(server, client, log)
    assert memory.peak - memory.base < MEMORY_BOUND_MIB, (
        f"RSS {memory.base:.0f} -> peak {memory.peak:.0f} MiB for 64 KB of compressed input")
