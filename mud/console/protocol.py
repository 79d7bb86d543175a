"""The console's wire format: one JSON object per line each way.

Request: {"command": "status", "args": "..."}. Reply: {"ok": true, "text": "...", "data": {...}}.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 1 << 16  # bytes in one request line
MAX_REPLY = 64 << 20  # bytes in one reply line (`sessions` grows with the players online)


def encode(message: dict[str, Any]) -> bytes:
    """One line of JSON; values JSON lacks (times, ids) are sent as their text."""
    return json.dumps(message, default=str).encode() + b"\n"


def request(line: str) -> dict[str, str]:
    """The request for a line an operator typed: its first word and the rest."""
    name, _, args = line.strip().partition(" ")
    return {"command": name, "args": args.strip()}


def decode(line: bytes) -> dict[str, Any]:
    """Raises ValueError when the line is not one JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    return message
