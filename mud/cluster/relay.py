"""What arrives over the bus, delivered to this process's players: channel lines, tells from
other processes, and notices."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mud.cluster.bus import Bus
from mud.game.state import Game

CHANNELS: dict[str, str] = {
    "chat": "talk about anything with everyone in the game",
    "ooc": "out of character: the people behind the characters",
    "newbie": "questions and help for new players",
}


def channel_line(channel: str, speaker: str, text: str) -> str:
    return f"[{channel}] {speaker}: {text}"


class Relay:
    def __init__(self, bus: Bus, game: Game, hand_over: Callable[[uuid.UUID], object]) -> None:
        """hand_over(character id) lets a character go to the process that asked for it."""
        self.game = game
        self.hand_over = hand_over
        bus.handlers.update(channel=self.on_channel, tell=self.on_tell,
                            notice=self.on_notice, release=self.on_release)

    def deliver_channel(self, channel: str, speaker: str, text: str) -> None:
        """A channel line to every local player listening to it."""
        line = channel_line(channel, speaker, text)
        for session in list(self.game.players.values()):
            if channel not in getattr(session, "channels_off", ()):
                session.send(line)
                session.gmcp.channel(channel, speaker, text)

    def on_channel(self, message: dict[str, Any]) -> None:
        if message.get("channel") in CHANNELS:
            self.deliver_channel(message["channel"], str(message["speaker"]),
                                 str(message["text"]))

    def on_tell(self, message: dict[str, Any]) -> None:
        target = self.game.find_online(str(message.get("target", "")))
        if target is None:
            return
        session = self.game.players.get(target.id)
        if session is None:
            return
        session.send(f"{message['speaker']} tells you, '{message['text']}'")
        session.reply_to = str(message["speaker"])  # type: ignore[attr-defined]

    def on_notice(self, message: dict[str, Any]) -> None:
        self.game.tell_all(f"[notice] {message.get('text', '')}")

    def on_release(self, message: dict[str, Any]) -> None:
        """Another process has a login for one of our characters: hand it over."""
        try:
            character_id = uuid.UUID(str(message.get("character")))
        except ValueError:
            return
        self.hand_over(character_id)
