"""One connection's output: wrapped to its window, coloured as it can show (or as the player
chose), prompts marked for clients that look for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mud.net.colour import render
from mud.net.telnet import TelnetConnection
from mud.net.terminal import Colours
from mud.net.wrap import wrap


class Choices(Protocol):
    """What a player chose for its display (the character keeps it, so it is saved)."""

    @property
    def colour(self) -> bool | None: ...  # `color on|off`; None: what the client announced

    @property
    def prompt(self) -> str | None: ...  # the `prompt` template; None: the default one


@dataclass(frozen=True)
class NoChoices:
    """Before a character is played: nothing chosen."""

    colour: bool | None = None
    prompt: str | None = None


class Display:
    def __init__(self, conn: TelnetConnection) -> None:
        self.conn = conn
        self.choices: Choices = NoChoices()  # the played character's, once there is one

    @property
    def colour(self) -> bool | None:
        return self.choices.colour

    @property
    def prompt(self) -> str | None:
        return self.choices.prompt

    @property
    def width(self) -> int | None:
        """The client's window width; None when it did not say (text is then not wrapped)."""
        return self.conn.terminal.width

    @property
    def colours(self) -> Colours:
        announced = self.conn.terminal.colours
        if self.colour is None:
            return announced
        if not self.colour:
            return Colours.NONE
        return max(announced, Colours.ANSI)

    def write(self, text: str, prompt: str = "") -> None:
        """Text (lines ending in newlines) then a prompt, if any, rendered for the client."""
        if self.width and text:
            text = wrap(text, self.width)
        self.conn.write(render(text + prompt, self.colours), prompt=bool(prompt))
