"""One connection's output: wrapped to its window, coloured as it can show (or as the player
chose), prompts marked for clients that look for them."""

from __future__ import annotations

from mud.net.colour import render
from mud.net.telnet import TelnetConnection
from mud.net.terminal import Colours
from mud.net.wrap import wrap


class Display:
    def __init__(self, conn: TelnetConnection) -> None:
        self.conn = conn
        self.colour: bool | None = None  # the player's `color on|off`; None: what the client said
        self.prompt: str | None = None  # the player's `prompt` template; None: the plain one

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
