"""What the gateway asks of a player's connection, whatever carries it: telnet (and telnet over
TLS, mud.net.telnet) or a WebSocket (mud.net.websocket). The limits every kind keeps alike
live here too: the length of a line, how far behind a client may fall, what a line may hold."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, Protocol

from mud.net.terminal import Terminal

MAX_LINE_BYTES = 4096
MAX_OUTPUT_BUFFER = 1 << 20  # a client more than 1 MiB behind is disconnected
MAX_GMCP_BYTES = 8192  # a longer GMCP message from a client is dropped unread

# Everything below space except tab, plus DEL and the C1 range: never let through to other players.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0)])


class LineTooLong(Exception):
    """The client sent a line of more than MAX_LINE_BYTES; that line was discarded."""


class Ending(Enum):
    """Why a connection is closed, for clients that can be told (a WebSocket's close code): the
    web client reconnects by itself only when the server is going away."""

    OVER = "over"  # the session is over: quit, kicked, a failed login
    REFUSED = "refused"  # a ban, a limit, a flood
    GOING_AWAY = "going away"  # the server is stopping


def clean_text(raw: bytes, encoding: str = "utf-8") -> str:
    """Bytes of one input line to clean text (see clean_line), bad bytes replaced."""
    return clean_line(raw.decode(encoding, errors="replace"))


def clean_line(text: str) -> str:
    """One input line as the game takes it: editing keys applied, control characters removed,
    surrounding whitespace stripped."""
    if "\b" in text or "\x7f" in text:
        kept: list[str] = []
        for char in text:
            if char in "\b\x7f":
                if kept:
                    kept.pop()
            else:
                kept.append(char)
        text = "".join(kept)
    return text.translate(_CONTROL).replace("\t", " ").strip()


class Connection(Protocol):
    """One player's connection, as the gateway's session and login use it."""

    kind: str  # "telnet", "tls" or "web": how operators count connections
    terminal: Terminal  # what the client told of itself
    host: str  # the client's address (bans, limits per address)
    address: str  # host and port, for logs
    closed: bool
    negotiation_seconds: float  # how long the login waited for the client to tell of itself
    resume_token: str | None  # a web client playing on after a dropped socket names its token
    on_gmcp: Callable[[str, Any], None] | None  # GMCP messages the client sends

    @property
    def gmcp(self) -> bool:
        """Whether the client takes GMCP."""
        ...

    async def readline(self) -> str | None:
        """The next input line as clean text (LineTooLong for one over the limit), or None
        when the client has gone."""
        ...

    def write(self, text: str, prompt: bool = False) -> None:
        """Plain text (no markup); prompt: it ends with a prompt."""

    def show(self, text: str, prompt: str, colour: bool | None) -> None:
        """Text with markup, then a prompt (if any), rendered for this client."""

    def send_gmcp(self, package: str, data: Any) -> None: ...

    def echo(self, enabled: bool) -> None:
        """Off: the next input is a password (not shown as typed)."""

    def offer_late(self) -> None:
        """Offers that nothing waits for, made as the login starts."""

    def watch(self, terminal_changed: Callable[[], None], timing_mark: Callable[[], None]
              ) -> None:
        """Be told when the client tells more of itself, and asked for timing marks."""

    def answer_timing_mark(self) -> None: ...

    def close(self, ending: Ending = Ending.OVER) -> None: ...
