"""The world as a child process of its gateway (role `all`, the default): started from the code
on disk, so that a reboot runs new code; started again whenever it ends, at once after a
reboot, every few seconds after a failure (a syntax error in new code, a bad world file, a
failed migration) until it comes up or the operator says `reboot`. Its output goes to the
gateway's log, and why it could not run is kept to show the operator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from mud.config import PROBLEM_FILE, SETTINGS, Settings
from mud.embedded import die_with_parent

if TYPE_CHECKING:
    from mud.gateway.server import Gateway

log = logging.getLogger("mud.gateway")

REBOOT_EXIT = 75  # mud.app's: a world that rebooted (not imported: that would load the world)
REPAIRING = ("The world could not start and is being repaired. You stay connected; what you "
             "type waits, and you will be taken back as soon as it is up.")
RETRY_EVERY = 3.0  # seconds between attempts to start a world that failed
STOP_TIMEOUT = 120.0  # seconds a world may take to save and stop
UNIX_PATH_MAX = 100  # bytes of a Unix socket's path (the kernel allows 107)


class WorldChild:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        path = settings.data_path / "link.sock"
        # AF_UNIX paths are short: a deep data folder gets a private one under the system's
        self._folder = None if len(str(path)) < UNIX_PATH_MAX else \
            tempfile.mkdtemp(prefix="mud-link-")
        self.address = str(path if self._folder is None else Path(self._folder) / "link.sock")
        self.proc: asyncio.subprocess.Process | None = None
        self.problem: str | None = None  # why the last world ended, until one runs again
        self.starts = 0
        self.exit_code: int | None = None  # of a world that shut down (not one that failed)
        self._problem_file: Path | None = None  # where a world that cannot run says why
        self._env: dict[str, str] = {}
        self._stopping = False
        self._again = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._gateway: Gateway | None = None

    async def start(self, gateway: Gateway, database_url: str, redis_url: str) -> None:
        """Start the world with the gateway's database and Redis (embedded ones included)."""
        self._gateway = gateway
        name = self.settings.process_id or socket.gethostname().split(".")[0][:20]
        # every setting as this gateway resolved it (flags included), then the world's own
        given = {SETTINGS[field.name][0]: str(value) for field in fields(self.settings)
                 if (value := getattr(self.settings, field.name)) is not None}
        handle, problem_file = tempfile.mkstemp(prefix="mud-world-problem-")
        os.close(handle)
        self._problem_file = Path(problem_file)
        self._env = {**os.environ, **given, "MUD_ROLE": "world",
                     PROBLEM_FILE: problem_file,
                     "MUD_DATABASE_URL": database_url, "MUD_REDIS_URL": redis_url,
                     "MUD_WORLD_ADDRESS": self.address, "MUD_CONSOLE_SOCKET": "off",
                     "MUD_PROCESS_ID": f"{name}-world",
                     "MUD_DATA_DIR": str(self.settings.data_path)}
        gateway.console.restart = self.restart_now
        gateway.console.world_problem = lambda: self.problem
        self._task = asyncio.create_task(self._keep_running())

    async def _keep_running(self) -> None:
        assert self._gateway is not None
        while not self._stopping:
            links = self._gateway.links_made
            code = await self._run_once()
            if self._stopping:
                break
            if self._gateway.world_shut_down:  # `shutdown`: the whole server stops
                self.exit_code = code
                log.info("event=world_shut_down code=%s", code)
                self._gateway.stopping.set()
                break
            if code == REBOOT_EXIT:
                self.problem = None
                log.info("event=world_rebooting")
                continue
            reason = self._reason() or (f"it was killed by signal {-code}" if code < 0
                                        else "see the log for why")
            problem = f"the world exited with code {code}: {reason}"
            # a world that never came up (a crash is told as the link drops), once a streak
            if self._gateway.links_made == links and problem != self.problem:
                self._gateway.tell_waiting(REPAIRING)
            self.problem = problem
            log.error("event=world_exited code=%s retry_s=%s reason=%r", code, RETRY_EVERY,
                      reason)
            self._again.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_EVERY):
                    await self._again.wait()

    async def _run_once(self) -> int:
        self.starts += 1
        assert self._problem_file is not None
        self._problem_file.write_text("")
        log.info("event=world_starting attempt=%d", self.starts)
        # its log goes where this process's goes, in order; its first line (where it listens)
        # too, as stdout is this process's own first line
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mud", "serve", env=self._env, stdout=sys.stderr,
            start_new_session=True,  # a terminal's hang-up or Ctrl-C reaches the gateway only
            preexec_fn=die_with_parent(signal.SIGTERM))
        return await self.proc.wait()

    def _reason(self) -> str:
        """What the last world said of why it could not run (mud.cli), if anything."""
        try:
            return self._problem_file.read_text("utf-8").strip() if self._problem_file else ""
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def restart_now(self) -> str:
        """The operator's `reboot` while the world is down: try again now."""
        if self.running:
            return "The world is starting; it will take the players back when it is up."
        self._again.set()
        return "Starting the world again now; `status` shows whether it came up."

    async def stop(self) -> int:
        """Stop the world (it saves and says goodbye); its exit code."""
        self._stopping = True
        self._again.set()
        code = 0
        if self.running:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    code = await self.proc.wait()
            except TimeoutError:
                log.error("event=world_stop_timeout seconds=%s", STOP_TIMEOUT)
                self.proc.kill()
                code = 1
        elif self.exit_code is not None:
            code = self.exit_code
        elif self.problem:
            code = 1
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._problem_file is not None:
            self._problem_file.unlink(missing_ok=True)
        return code
