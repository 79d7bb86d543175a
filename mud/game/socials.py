"""What everyone reads of a social: the actor's line, the target's and the room's."""

from __future__ import annotations

from dataclasses import dataclass

from mud.world.socials import Social


@dataclass(frozen=True)
class SocialLines:
    actor: str
    target: str  # "": no one acted on, or something that does not read (a monster)
    room: str  # "": the room reads nothing (a social that needs a target was given none)


def _fill(message: str, actor: str, target: str = "") -> str:
    return message.replace("$N", target).replace("$n", actor)


def social_lines(social: Social, actor: str, target: str | None = None,
                 at_self: bool = False) -> SocialLines:
    """The lines of social done by actor: alone (target None), at target (a name), or at
    themselves."""
    if at_self:
        return SocialLines(_fill(social.self, actor), "", _fill(social.self_room, actor))
    if target is None:
        return SocialLines(_fill(social.alone, actor), "", _fill(social.alone_room, actor))
    return SocialLines(_fill(social.at, actor, target), _fill(social.at_target, actor, target),
                       _fill(social.at_room, actor, target))
