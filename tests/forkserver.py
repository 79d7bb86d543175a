"""Start `mud serve` processes for the tests without paying for Python's start-up each time.

Importing the server takes most of a second of CPU, and the suite starts over a hundred
servers. This module, run as a process (`python -m tests.forkserver`), imports the server once
and then forks one child per request; each child is `mud serve` as the command runs it (its own
pid, environment, stdout and stderr, exit code), so the tests signal, kill and wait for it as for
any process. The parent reads requests as JSON lines on stdin and answers on stdout:

    request  {"env": {...}, "stdout": path, "stderr": path}
    answer   {"pid": pid}                  once per request, in order
             {"exit": pid, "code": code}   when a child ends (code: -signal when killed)

`ForkServer` is the tests' side of it (one per test process), and `Child` is a started server
with the parts of asyncio.subprocess.Process the tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import select
import signal
import sys
from pathlib import Path
from typing import Any

import mud.app  # noqa: F401  (imported here once, so that the children start without it)
from mud.cli import main as mud_main

ROOT = Path(__file__).resolve().parent.parent


# -- the forking process -----------------------------------------------------------------------


def _serve_in_child(request: dict[str, Any], keep_out: list[int]) -> None:
    """In the forked child: become `mud serve` with the request's environment and files."""
    for fd in keep_out:
        os.close(fd)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for fd, target in ((null, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    random.seed()  # not the parent's sequence, shared with every other child
    code = 1
    try:
        code = mud_main(["serve"])
    except SystemExit as exc:  # as the interpreter would: a message goes to stderr
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _run_forks() -> None:
    """Fork a server for every request on stdin; report pids and exits on stdout."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through the pipe
    requests = sys.stdin.buffer
    answers = sys.stdout

    def answer(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    while True:
        readable, _, _ = select.select([requests, wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
        while True:  # reap every child that has ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            answer({"exit": pid, "code": os.waitstatus_to_exitcode(status)})
        if requests in readable:
            line = requests.readline()
            if not line:  # the tests are gone
                return
            pid = os.fork()
            if pid == 0:
                _serve_in_child(json.loads(line), [wake_read, wake_write])
            answer({"pid": pid})


# -- the tests' side ---------------------------------------------------------------------------


class Child:
    """A server forked for a test: what the tests use of asyncio.subprocess.Process."""

    def __init__(self, pid: int, ended: asyncio.Future[int]) -> None:
        self.pid = pid
        self._ended = ended

    @property
    def returncode(self) -> int | None:
        return self._ended.result() if self._ended.done() else None

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            # ended but not yet reported by the fork server: nothing to signal
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        return await asyncio.shield(self._ended)


class ForkServer:
    """The forking process of one test process, started on first use."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self._pids: asyncio.Queue[int] = asyncio.Queue()
        self._ended: dict[int, asyncio.Future[int]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    async def _started(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.forkserver", cwd=ROOT,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            self._reader = asyncio.create_task(self._read_answers(self._proc))
        return self._proc

    def _exit_of(self, pid: int) -> asyncio.Future[int]:
        return self._ended.setdefault(pid, asyncio.get_running_loop().create_future())

    async def _read_answers(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            message = json.loads(line)
            if "pid" in message:
                self._pids.put_nowait(message["pid"])
            else:
                ended = self._exit_of(message["exit"])
                if not ended.done():
                    ended.set_result(message["code"])

    async def start(self, env: dict[str, str], stdout: Path, stderr: Path) -> Child:
        """Fork `mud serve` with env, writing its stdout and stderr to those files."""
        async with self._lock:  # answers come in the order of the requests
            proc = await self._started()
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"env": env, "stdout": str(stdout),
                                         "stderr": str(stderr)}).encode() + b"\n")
            await proc.stdin.drain()
            pid = await asyncio.wait_for(self._pids.get(), 30)
        return Child(pid, self._exit_of(pid))

    async def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            await self._proc.wait()
            if self._reader is not None:
                await self._reader


if __name__ == "__main__":
    _run_forks()
