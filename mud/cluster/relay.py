"""What arrives over the bus for the world: another world process (one that lost the game's
lease to this one, say) asking it to let a character go."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mud.cluster.bus import Bus


class Relay:
    def __init__(self, bus: Bus, hand_over: Callable[[uuid.UUID], object]) -> None:
        """hand_over(character id) lets a character go to the process that asked for it."""
        self.hand_over = hand_over
        bus.handlers.update(release=self.on_release)

    def on_release(self, message: dict[str, Any]) -> None:
        """Another process has a login for one of our characters: hand it over."""
        try:
            character_id = uuid.UUID(str(message.get("character")))
        except ValueError:
            return
        self.hand_over(character_id)
