"""A character going out of the world of this process, as far as the game is concerned (its
lease, cache entry and saving are mud.lifecycle's)."""

from __future__ import annotations

from mud.game.fighting import disengage
from mud.game.model import Character
from mud.game.notices import LEFT
from mud.game.state import Game


def leave_world(game: Game, ch: Character) -> None:
    """Take ch out of the world: no session plays it, its fights end, it leaves its group and
    its followers, it leaves its room, and the room is told."""
    game.players.pop(ch.id, None)
    room = game.room_of(ch)
    disengage(game, ch)
    part_company(game, ch)
    game.unplace(ch)
    game.notify(room, LEFT, ch)


def part_company(game: Game, ch: Character) -> None:
    """ch leaves its group (the others are told) and stops following; whoever followed ch
    stops."""
    groups = game.groups
    group = groups.leave(ch)
    for member in groups.members(group) if group else []:
        game.tell(member, f"{ch.name} has left the group.")
    groups.following.pop(ch.id, None)
    for follower in groups.followers_in(ch, game.present()):
        del groups.following[follower.id]
        game.tell(follower, f"You stop following {ch.name}.")
