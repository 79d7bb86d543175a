"""Command handlers; importing this package fills the registry."""

from mud.commands import (  # noqa: F401
    abilities,
    account,
    boards,
    building,
    combat,
    comms,
    display,
    equipment,
    essences,
    groups,
    info,
    items,
    mail,
    moderation,
    movement,
    navigation,
    quests,
    settings,
    shops,
    socials,
    system,
    wizard,
)
from mud.commands.registry import REGISTRY

__all__ = ["REGISTRY"]
