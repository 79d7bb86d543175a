"""Command handlers; importing this package fills the registry."""

from mud.commands import abilities, comms, essences, info, items, movement, system  # noqa: F401
from mud.commands.registry import REGISTRY

__all__ = ["REGISTRY"]
