"""The processes of the embedded services (PostgreSQL, redis-server) that `mud` runs in its data
folder when no URL is configured.

Three rules keep a crash from leaving them behind, or two of them on one folder:

- A service is started to die with the process that started it (its owner): Linux sends it a
  signal chosen for a clean stop when the owner dies, even by SIGKILL. It runs in a session of
  its own, so a Ctrl-C meant for the server does not stop it in the middle of the final save.
- The owner is recorded in an owner file beside the service (pid and start time, so a pid reused
  by another program is no owner). The file is also the lock under which a process decides, one
  at a time, whether to start the service, share a live owner's, or replace what a dead one left.
- A service whose owner is gone is a crashed predecessor's: it is stopped cleanly (its own
  signal, then harder ones) before a new one starts. A live owner's service is shared and left to
  its owner to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

log = logging.getLogger("mud.embedded")

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
Steps = Sequence[tuple[signal.Signals, float]]  # signals to send in turn, seconds to wait after


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn that has Linux send sig to the child when this process dies (elsewhere None:
    there a crash leaves the service to the next start). The kernel ties the signal to the thread
    that forks the child: start services from the event loop's thread, never a worker thread."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def arm() -> None:  # runs in the child, after it took its user, before exec
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def live_process(pid: int | None, marker: str) -> psutil.Process | None:
    """The process pid if it runs and its command line names marker (the service's folder or
    socket): a pid that another program has taken since is not the service."""
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE and marker in " ".join(proc.cmdline()):
            return proc
    except psutil.Error:
        pass
    return None


def gone(proc: psutil.Process) -> bool:
    """Whether proc has exited (a zombie not reaped yet has)."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def end_process(proc: psutil.Process, steps: Steps) -> None:
    """Stop proc: each step's signal, then up to its seconds for proc and the children it had
    (PostgreSQL's backends hold its shared memory until they exit, so a successor must wait for
    them too) to be gone. A final SIGKILL goes to every one still there."""
    family = [proc]
    with contextlib.suppress(psutil.Error):
        family += proc.children(recursive=True)
    for sig, seconds in steps:
        for member in family if sig == signal.SIGKILL else [proc]:
            with contextlib.suppress(psutil.Error):
                member.send_signal(sig)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while not all(gone(member) for member in family):
                    await asyncio.sleep(0.05)
        if all(gone(member) for member in family):
            return
        log.warning("event=embedded_process_slow_to_stop pid=%d signal=%s", proc.pid, sig.name)


class Owner:
    """The owner file of a service: who started it, and the lock held while deciding."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[OwnerRecord]:
        """The record, under the file's lock (waited for in a thread: another process may hold
        it while its service starts)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+") as file:
            await asyncio.to_thread(fcntl.flock, file, fcntl.LOCK_EX)
            yield OwnerRecord(file)  # closing the file releases the lock


class OwnerRecord:
    """The owner file's content, read and written under its lock."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file

    def live_owner(self) -> int | None:
        """The recorded owner's pid while that process still runs, else None."""
        self._file.seek(0)
        try:
            record = json.loads(self._file.read())
            proc = psutil.Process(record["pid"])
            if abs(proc.create_time() - record["started"]) < 0.01 and not gone(proc):
                return proc.pid
        except (ValueError, KeyError, TypeError, psutil.Error):
            pass
        return None

    def claim(self) -> None:
        """Record this process as the owner."""
        me = psutil.Process()
        self._write(json.dumps({"pid": me.pid, "started": me.create_time()}))

    def clear(self) -> None:
        self._write("")

    def _write(self, text: str) -> None:
        self._file.seek(0)
        self._file.truncate()
        self._file.write(text)
        self._file.flush()


class EmbeddedService:
    """One service process in a folder, started, shared or replaced by the rules above. A
    subclass says how to find a running one, launch one and wait until it answers."""

    name: str  # for the log: event=embedded_<name>_...
    stop_steps: Steps  # how to stop it: its clean shutdown first
    parent_death_signal: signal.Signals  # what it is sent when this process dies

    def __init__(self, path: Path, owner_file: Path) -> None:
        self.path = path
        self._owner = Owner(owner_file)
        self._proc: psutil.Popen | None = None  # only when this process owns it

    async def start(self) -> str:
        """Start the service (or share a live owner's) and return its URL once it answers."""
        async with self._owner.locked() as record:
            found = await self._find()
            if found is not None:
                owner = record.live_owner()
                if owner is not None:
                    log.info("event=embedded_%s_shared pid=%d owner=%d path=%s", self.name,
                             found.pid, owner, self.path)
                    return await self._until_ready(found)
                log.warning("event=embedded_%s_replaced pid=%d path=%s reason=%r", self.name,
                            found.pid, self.path, "its owner is gone (a crash); stopping it")
                await end_process(found, self.stop_steps)
            self._proc = await self._launch()
            record.claim()
            log.info("event=embedded_%s_started pid=%d path=%s", self.name, self._proc.pid,
                     self.path)
            try:
                return await self._until_ready(self._proc)
            except BaseException:
                await self._end_own(record)
                raise

    async def stop(self) -> None:
        """Stop the service if this process started it; a shared one is its owner's to stop."""
        if self._proc is None:
            return
        async with self._owner.locked() as record:
            log.info("event=embedded_%s_stopping pid=%d path=%s", self.name, self._proc.pid,
                     self.path)
            await self._end_own(record)

    async def _end_own(self, record: OwnerRecord) -> None:
        assert self._proc is not None
        await end_process(self._proc, self.stop_steps)
        self._proc.poll()  # reaps it
        self._proc = None
        record.clear()

    def _spawn(self, args: list[str], **popen: Any) -> psutil.Popen:
        """The service as a child of this process (call from the event loop's thread)."""
        return psutil.Popen(args, start_new_session=True,
                            preexec_fn=die_with_parent(self.parent_death_signal), **popen)

    async def _find(self) -> psutil.Process | None:
        """The service running in the folder, whoever started it."""
        raise NotImplementedError

    async def _launch(self) -> psutil.Popen:
        """Start the service as a child that dies with this process, in a session of its own."""
        raise NotImplementedError

    async def _until_ready(self, proc: psutil.Process) -> str:
        """Wait until the service answers and return its URL; OSError if proc ends first."""
        raise NotImplementedError
