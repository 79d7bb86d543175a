"""Granting ability progress in the running game, with the messages that go with it: after a
use, a kill or a quest reward."""

from __future__ import annotations

from mud.game.abilities import earn_progress
from mud.game.model import Ability, Character
from mud.game.state import Game


def grant(game: Game, ch: Character, ability: Ability, points: int) -> None:
    """Add points of progress to ability and tell ch (and the room, on a rank-up)."""
    advance = earn_progress(ch, ability, game.world.essences, points)
    if advance.ability_rank:
        game.tell(ch, f"Your {ability.ability_name} rises to {advance.ability_rank} rank!")
    if advance.character_rank:
        game.tell(ch, f"Power surges through you: you have risen to {advance.character_rank} "
                      "rank!")
        game.tell_room(game.room_of(ch), f"{ch.name} has risen to {advance.character_rank} "
                                         "rank!", exclude=[ch])
    if advance.awakened:
        game.tell(ch, "Awakened: " + ", ".join(a.ability_name for a in advance.awakened) + ".")


def grant_all(game: Game, ch: Character, points: int) -> None:
    """Progress for every awakened ability (a quest's reward)."""
    for ability in [a for a in ch.abilities if a.awakened]:
        grant(game, ch, ability, points)
