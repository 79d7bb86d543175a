"""A shutdown planned for later: warnings count down to it, then the server stops (saving
everything, as on SIGTERM). One plan at a time; a new one replaces it, `cancel` drops it."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation
from mud.tasks import cancel_and_wait

if TYPE_CHECKING:
    from mud.ops.staff import Staff

log = logging.getLogger("mud.shutdown")

MAX_MINUTES = 24 * 60
WARN_AT = (3600, 1800, 900, 600, 300, 120, 60, 30, 10)  # seconds before: one warning each
REASON_CHARACTERS = 200
CANCEL = ("cancel", "--cancel")  # --cancel and --in: the console's older forms
USAGE = "shutdown <minutes | now> [reason] | shutdown cancel"


def when(seconds: float) -> str:
    count, unit = (max(1, round(seconds)), "second") if seconds < 60 else \
        (round(seconds / 60), "minute")
    return f"{count} {unit}{'s' if count != 1 else ''}"


class ShutdownPlanner:
    def __init__(self, warn: Callable[[str], None], stop: Callable[[], None]) -> None:
        self._warn = warn  # tells every player here
        self._stop = stop  # starts the graceful stop
        self._task: asyncio.Task[None] | None = None
        self.deadline: float | None = None
        self.reason = ""

    def schedule(self, minutes: float, reason: str, by: str) -> str:
        """Plan the shutdown; returns what was planned, in words. Raises ValueError when
        minutes is out of range."""
        if not 0 <= minutes <= MAX_MINUTES:
            raise ValueError(f"Minutes must be from 0 to {MAX_MINUTES}.")
        if self._task is not None:
            self._task.cancel()
        seconds = minutes * 60
        self.deadline, self.reason = time.monotonic() + seconds, reason
        self._task = asyncio.create_task(self._count_down(seconds))
        log.warning("event=shutdown_scheduled seconds=%.0f reason=%r by=%s", seconds, reason, by)
        return (f"The server will shut down in {when(seconds)}"
                + (f" ({reason})" if reason else "") + ".")

    def cancel(self, by: str = "") -> bool:
        if self._task is None:
            return False
        self._task.cancel()
        self._task, self.deadline = None, None
        self._warn("[shutdown] The planned shutdown has been cancelled.")
        log.warning("event=shutdown_cancelled by=%s", by)
        return True

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    async def _count_down(self, seconds: float) -> None:
        assert self.deadline is not None
        marks = [m for m in WARN_AT if m < seconds]
        self._announce(seconds)
        for mark in marks:
            await asyncio.sleep(max(0.0, self.deadline - mark - time.monotonic()))
            self._announce(mark)
        await asyncio.sleep(max(0.0, self.deadline - time.monotonic()))
        log.warning("event=shutdown_starting reason=%r", self.reason)
        self._task = None
        self._stop()

    def _announce(self, seconds: float) -> None:
        self._warn(f"[shutdown] The server shuts down in {when(seconds)}"
                   + (f": {self.reason}" if self.reason else "")
                   + ". Your character will be saved.")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None


def _minutes(word: str) -> float:
    """The minutes a word gives: a number, or `now`. Raises Usage."""
    if word.lower() == "now":
        return 0.0
    try:
        minutes = float(word)
    except ValueError:
        raise Usage from None
    if not math.isfinite(minutes):
        raise Usage
    return minutes


@operation("shutdown", USAGE)
async def shutdown(staff: Staff, actor: Actor, args: str) -> Result:
    """Shut this server down after a countdown that warns every player; everything is saved.

    Warnings count down (60, 30, 15, 10, 5, 2, 1 minutes, 30 and 10 seconds), then the server
    saves everything and stops (exit code 0). The console's older forms, `shutdown --in
    <minutes> [reason]` and `shutdown --cancel`, are understood too.
    """
    planner = staff.shutdowns
    word, _, reason = args.partition(" ")
    if word.lower() in CANCEL:
        if not planner.cancel(actor.name):
            return Result(False, "No shutdown is planned.")
        return Result(True, "The shutdown is cancelled.")
    if word == "--in":
        word, _, reason = reason.strip().partition(" ")
    try:
        minutes = _minutes(word)
    except Usage:
        left = planner.seconds_left()
        return Result(False, (f"A shutdown is planned in {when(left)}. " if left is not None
                              else "") + f"Usage: {USAGE}")
    reason = reason.strip()[:REASON_CHARACTERS]
    try:
        text = planner.schedule(minutes, reason, actor.name)
    except ValueError as exc:
        return Result(False, str(exc))
    if not minutes:
        text = "The server is shutting down now" + (f" ({reason})" if reason else "") + "."
    return Result(True, text, {"seconds": minutes * 60})
