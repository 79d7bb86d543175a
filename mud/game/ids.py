"""Time-ordered UUIDs (version 7 layout) for rows the game creates.

Ordering a character's rows by id gives the order they were created in, which is the order a
player sees (inventory, `2.sword`), without a position column.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> uuid.UUID:
    """48 bits of Unix milliseconds, then a 12-bit counter within the millisecond, then random:
    strictly increasing within this process."""
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # more than 4096 in one millisecond: borrow the next one
                _last_ms += 1
                _counter = 0
            now = _last_ms
        else:
            _last_ms, _counter = now, 0
        value = (now << 80) | (0x7 << 76) | (_counter << 64)
        value |= (0b10 << 62) | (int.from_bytes(os.urandom(8), "big") >> 2)
    return uuid.UUID(int=value)
