"""One connection's output: wrapped to its window, coloured as it can show (or as the player
chose), prompts marked for clients that look for them. The world says what to show, with the
player's colour choice (Display.write); the gateway that holds the connection renders it for the
client (rendered), so the world never renders anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mud.net.colour import render
from mud.net.terminal import Colours, Terminal
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


class Screen(Protocol):
    """A connection as its output sees it: what the client told of itself, and a way to show
    text (mud.net.telnet.TelnetConnection in the gateway, mud.worldlink.RemoteConnection in the
    world)."""

    terminal: Terminal

    def show(self, text: str, prompt: str, colour: bool | None) -> None: ...


def colours_for(announced: Colours, choice: bool | None) -> Colours:
    """The colours to render with: what the client announced, unless the player chose."""
    if choice is None:
        return announced
    if not choice:
        return Colours.NONE
    return max(announced, Colours.ANSI)


def wrapped(text: str, width: int | None) -> str:
    """Text with markup wrapped to the client's width (None: as it is)."""
    return wrap(text, width) if width and text else text


def rendered(text: str, width: int | None, colours: Colours) -> str:
    """Text with markup, wrapped to width (None: not wrapped) and coloured for colours (the
    gateway caches it ready for the wire: mud.net.telnet.rendered_on_the_wire)."""
    return render(wrapped(text, width), colours)


class Display:
    def __init__(self, conn: Screen) -> None:
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
        return colours_for(self.conn.terminal.colours, self.colour)

    def write(self, text: str, prompt: str = "") -> None:
        """Text (lines ending in newlines) then a prompt, if any, to be rendered for the
        client."""
        self.conn.show(text, prompt, self.colour)
