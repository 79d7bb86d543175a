"""What a command handler gets: the game, the caller and its arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mud.commands.targets import BadTarget, TargetSpec, parse_target
from mud.game.model import Character, InventoryItem
from mud.game.state import FloorItem, Game, Room
from mud.net.wrap import WORLD_TEXT_WIDTH, reflow, wrap

if TYPE_CHECKING:
    from mud.commands.host import PlayerSession, Server


@dataclass(frozen=True)
class Confirmation:
    """A question awaiting yes or no; the next line the player types answers it."""

    what: str  # what is confirmed, for the "cancelled" message
    action: Callable[[], Awaitable[None]]
    brief: str  # the question again, short, for an answer that is neither yes nor no


@dataclass
class Context:
    server: Server
    session: PlayerSession
    ch: Character
    args: str
    target: str = ""  # what a privileged command acted on, for the audit log
    outcome: str = "ok"  # how it ended, for the audit log
    audited: bool = False  # a staff operation (mud.ops) has written the audit row itself

    def refuse(self, message: str) -> None:
        """Tell the caller why nothing was done (and record it, for privileged commands)."""
        self.outcome = f"refused: {message}"
        self.send(message)

    @property
    def game(self) -> Game:
        return self.server.game

    @property
    def room(self) -> Room:
        return self.game.room_of(self.ch)

    def send(self, text: str) -> None:
        self.session.send(text)

    def page(self, text: str) -> None:
        """Send text a screen at a time when it is longer than the client's window (the player
        presses Enter for more)."""
        self.session.page(text)

    def prose(self, text: str) -> str:
        """World text (the files wrap it at 78 columns) reflowed for this client: a line per
        paragraph when it told its width (the output wraps it there), else wrapped at 78."""
        flowing = reflow(text)
        return flowing if self.session.display.width else wrap(flowing, WORLD_TEXT_WIDTH)

    def target_spec(self, text: str, verb: str) -> TargetSpec | None:
        """The target text names (`sword`, `2.sword`, `all.coin`); None, and the player told
        why, when there is none or it is malformed."""
        if not text:
            self.send(f"{verb.capitalize()} what?")
            return None
        try:
            return parse_target(text)
        except BadTarget as exc:
            self.send(str(exc))
            return None

    def confirm(self, question: str, what: str, action: Callable[[], Awaitable[None]],
                brief: str = "") -> None:
        """Ask question; 'yes' runs action, 'no' (or quitting, or being frozen) cancels it, and
        anything else asks again, with brief (default: the whole question)."""
        self.session.pending = Confirmation(what, action, brief or question)
        self.send(f"{question} (yes/no)")

    def item_words(self, thing: InventoryItem | FloorItem) -> tuple[str, ...]:
        return self.game.item(thing.item_id).keywords

    def describe_stack(self, thing: InventoryItem | FloorItem) -> str:
        return self.game.label(thing.item_id, thing.quantity)
