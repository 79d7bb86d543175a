"""Room notices of one kind (entering, leaving, losing the link, reconnecting) gathered over one
turn of the event loop and told once to each person in the room. When a crowd drops at once,
everyone still there reads "Ann, Bob and 1998 others have lost their link." once, instead of
two thousand lines each, which the server would also have had to send two thousand times over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mud.game.model import Character
    from mud.game.state import Game, Room

NAMED = 3  # names told in full; beyond that, the first two and how many others


@dataclass(frozen=True)
class Kind:
    one: str  # what one person did: "has lost their link"
    many: str  # what several did: "have lost their link"


ENTERED = Kind("has entered the game", "have entered the game")
LEFT = Kind("has left the game", "have left the game")
LOST_LINK = Kind("has lost their link", "have lost their link")
RECONNECTED = Kind("has reconnected", "have reconnected")


def told(kind: Kind, names: list[str], others: int) -> str:
    """The notice for names (the first ones of those it tells of) and others besides them."""
    if others:
        return f"{', '.join(names)} and {others} other{'s' if others != 1 else ''} {kind.many}."
    if len(names) == 1:
        return f"{names[0]} {kind.one}."
    return f"{', '.join(names[:-1])} and {names[-1]} {kind.many}."


class Notices:
    """The notices waiting for the end of this turn. defer(callback) runs callback once the
    turn's work is done (the server's loop.call_soon); with none, each notice is told at once."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.defer: Callable[[Callable[[], None]], Any] | None = None
        self._waiting: dict[tuple[int, Kind], tuple[Room, list[Character]]] = {}

    def add(self, room: Room, kind: Kind, actor: Character) -> None:
        """Tell room (those in it who see actor, not actor) that actor did kind."""
        if self.defer is None:
            self._tell(room, kind, [actor])
            return
        if not self._waiting:
            self.defer(self.flush)
        self._waiting.setdefault((id(room), kind), (room, []))[1].append(actor)

    def flush(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for (_, kind), (room, actors) in waiting.items():
            self._tell(room, kind, actors)

    def _tell(self, room: Room, kind: Kind, actors: list[Character]) -> None:
        game = self.game
        hidden = any(actor.invisible for actor in actors)
        acting = set(map(id, actors))
        for other in room.occupants:
            if other.id not in game.players:
                continue
            if hidden:  # rare: an invisible wizard among them
                seen = [a for a in actors if a is not other and game.sees(other, a)]
                count = len(seen)
            else:
                seen, count = actors, len(actors) - (id(other) in acting)
            if count <= 0:
                continue
            names: list[str] = []
            for actor in seen:
                if actor is not other:
                    names.append(actor.name)
                    if len(names) == NAMED:
                        break
            if count > NAMED:
                names = names[:NAMED - 1]
            game.tell(other, told(kind, names, count - len(names)))
