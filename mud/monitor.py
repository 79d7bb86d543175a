"""Health figures for operators: event-loop lag and process memory, logged periodically."""

from __future__ import annotations

import asyncio
import gc
import os
import time

LAG_PROBE_INTERVAL = 0.1


def rss_kib(pid: int | str = "self") -> int:
    """Resident memory of a process in KiB (Linux /proc), 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


class LagMonitor:
    """Measures how late the event loop wakes a sleeping task: the delay every command sees."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self._total = 0.0
        self._samples = 0
        self._task: asyncio.Task[None] | None = None

    def peek(self) -> tuple[float, float]:
        """(average, maximum) lag in ms since the last take(), leaving the window as it is."""
        return (self._total / self._samples if self._samples else 0.0), self.max_ms

    def take(self) -> tuple[float, float]:
        """(average, maximum) lag in ms since the last call."""
        result = self.peek()
        self.max_ms, self._total, self._samples = 0.0, 0.0, 0
        return result

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_INTERVAL)
            lag = (time.perf_counter() - started - LAG_PROBE_INTERVAL) * 1000
            self.max_ms = max(self.max_ms, lag)
            self._total += lag
            self._samples += 1

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lag-monitor")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


GC_YOUNG_THRESHOLD = 50_000  # CPython's default is 700 allocations


def quiet_collector() -> None:
    """Call once start-up is done. What was built so far lives as long as the process: keep the
    garbage collector from scanning it again and again, and collect the young generation less
    often (a full collection over thousands of connections pauses the loop for a second)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


class GcMonitor:
    """Times the garbage collector's pauses, which stop the event loop like any other work."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self.collections = 0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.max_ms = max(self.max_ms, (time.perf_counter() - self._started) * 1000)
            self.collections += 1

    def take(self) -> float:
        """The longest pause in ms since the last call."""
        result, self.max_ms = self.max_ms, 0.0
        return result

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
