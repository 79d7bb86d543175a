"""A budget on raw input bytes, for every kind of connection: a burst is taken whole, then input
is limited to a rate; past the budget it is discarded unread (with one warning), and a flood that
goes on for FLOOD_CUTOFF seconds ends the connection."""

from __future__ import annotations

import logging
import time
from enum import Enum

log = logging.getLogger("mud.net")

INPUT_BYTES_BURST = 256 * 1024  # raw bytes (telnet commands included) before the rate applies
FLOOD_CUTOFF = 10.0  # seconds of flood before the connection is cut
FLOOD_WARNING = "Input flood: what you send is being discarded. Slow down."
FLOOD_CUTOFF_NOTICE = "Input flood. Disconnecting."


class Verdict(Enum):
    TAKE = "take"  # within the budget
    WARN = "warn"  # the flood has begun: discard, and say so
    DISCARD = "discard"  # the flood goes on: discard quietly
    CUT = "cut"  # the flood went on too long: end the connection


class ByteBudget:
    def __init__(self, bytes_per_second: float, peer: object = "?") -> None:
        self.rate = bytes_per_second  # 0: unlimited
        self.peer = peer  # who sends, as the log names it
        self._budget = float(INPUT_BYTES_BURST)
        self._at = time.monotonic()
        self._flood_since: float | None = None

    def take(self, size: int) -> Verdict:
        """What to do with `size` bytes just received."""
        if not self.rate:
            return Verdict.TAKE
        now = time.monotonic()
        self._budget = min(INPUT_BYTES_BURST,
                           self._budget + (now - self._at) * self.rate) - size
        self._at = now
        if self._budget >= 0:
            self._flood_since = None
            return Verdict.TAKE
        self._budget = 0.0  # discarded bytes are not a debt: input resumes at the rate
        if self._flood_since is None:
            self._flood_since = now
            log.warning("event=input_flood kind=bytes address=%s", self.peer)
            return Verdict.WARN
        if now - self._flood_since > FLOOD_CUTOFF:
            log.warning("event=input_flood_cutoff address=%s", self.peer)
            return Verdict.CUT
        return Verdict.DISCARD
