"""Socials from socials.toml: short actions (smile, bow, poke) done alone, at someone or
something in the room, or at oneself, each with what the actor, the target and the room read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mud.world.fields import Problem, text, unknown_keys

MESSAGES = ("alone", "alone_room", "at", "at_target", "at_room", "self", "self_room")
# what each message must name: $n the one acting, $N the one acted on
NAMES = {"alone": "", "alone_room": "n", "at": "N", "at_target": "n", "at_room": "nN",
         "self": "", "self_room": "n"}
_PLACEHOLDER = re.compile(r"\$(.?)")
MESSAGE_MAX = 200


@dataclass(frozen=True)
class Social:
    id: str  # the command
    alone: str
    alone_room: str  # "": the social needs a target, and `alone` says so ("Hug whom?")
    at: str
    at_target: str
    at_room: str
    self: str
    self_room: str
    not_found: str = ""  # told when the one named is not here ($T: the name typed); "": the default


def parse_social(problem: Problem, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    unknown_keys(problem, entry, data, {"id", "not_found", *MESSAGES})
    if not str(data.get("id", "")).isalpha():
        problem(entry, "'id' is the command: lowercase letters only")
    fields: dict[str, Any] = {}
    for key in MESSAGES:
        if key == "alone_room" and data.get(key) == "":
            fields[key] = ""
            continue
        message = fields[key] = text(problem, entry, data, key)
        used = {name for name in _PLACEHOLDER.findall(message)}
        if used - {"n", "N"}:
            problem(entry, f"'{key}' may use only $n (who acts) and $N (who is acted on)")
        elif missing := set(NAMES[key]) - used:
            problem(entry, f"'{key}' must name {' and '.join('$' + m for m in sorted(missing))}")
        elif (used - set(NAMES[key])) & {"N"}:
            problem(entry, f"'{key}' has no one acted on to name ($N)")
        if len(message) > MESSAGE_MAX or "\n" in message:
            problem(entry, f"'{key}' must be one line of at most {MESSAGE_MAX} characters")
    if "not_found" in data:
        fields["not_found"] = text(problem, entry, data, "not_found")
        if set(_PLACEHOLDER.findall(fields["not_found"])) - {"T"}:
            problem(entry, "'not_found' may use only $T (the name typed)")
    return fields
