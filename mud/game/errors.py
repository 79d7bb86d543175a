"""The error a game rule raises when it refuses: nothing has changed, and it says why."""

from __future__ import annotations


class GameError(Exception):
    """A refused game action: a stable code for logs and tests, plain words for the player."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
