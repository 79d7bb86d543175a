"""What arrives over the bus, delivered to this process's players: channel lines, tells from
other processes, and notices."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mud.app import MudServer

CHANNELS: dict[str, str] = {
    "chat": "talk about anything with everyone in the game",
    "ooc": "out of character: the people behind the characters",
    "newbie": "questions and help for new players",
}


def channel_line(channel: str, speaker: str, text: str) -> str:
    return f"[{channel}] {speaker}: {text}"


class Relay:
    def __init__(self, server: MudServer) -> None:
        self.server = server
        server.bus.handlers.update(channel=self.on_channel, tell=self.on_tell,
                                   notice=self.on_notice, release=self.on_release)

    def deliver_channel(self, channel: str, speaker: str, text: str) -> None:
        """A channel line to every local player listening to it."""
        line = channel_line(channel, speaker, text)
        for session in list(self.server.game.players.values()):
            if channel not in getattr(session, "channels_off", ()):
                session.send(line)
                session.gmcp.channel(channel, speaker, text)

    def on_channel(self, message: dict[str, Any]) -> None:
        if message.get("channel") in CHANNELS:
            self.deliver_channel(message["channel"], str(message["speaker"]),
                                 str(message["text"]))

    def on_tell(self, message: dict[str, Any]) -> None:
        target = self.server.game.find_online(str(message.get("target", "")))
        if target is None:
            return
        session = self.server.game.players.get(target.id)
        if session is None:
            return
        session.send(f"{message['speaker']} tells you, '{message['text']}'")
        session.reply_to = str(message["speaker"])  # type: ignore[attr-defined]

    def on_notice(self, message: dict[str, Any]) -> None:
        self.server.game.tell_all(f"[notice] {message.get('text', '')}")

    def on_release(self, message: dict[str, Any]) -> None:
        """Another process has a login for one of our characters: hand it over."""
        try:
            character_id = uuid.UUID(str(message.get("character")))
        except ValueError:
            return
        self.server.spawn(self.server.hand_over(character_id))
