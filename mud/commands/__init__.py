"""Command handlers; importing this package fills the registry."""

from mud.commands import (  # noqa: F401
    abilities,
    combat,
    comms,
    equipment,
    essences,
    info,
    items,
    movement,
    quests,
    system,
    wizard,
)
from mud.commands.registry import REGISTRY

__all__ = ["REGISTRY"]
